package insurance

import (
	"context"
	"fmt"
	"strings"

	"github.com/ecrm-project/ecrm/internal/i18n"
)

// policyQuestions reads the questions of the questionnaire versions a
// policy's answers answered, by linkId, so the policy page can show each
// answer under its question and a choice by its option's text, in the
// reader's language. A version not imported (or not parsable) is left
// out: its answers show by linkId and code.
func (s *Policies) policyQuestions(ctx context.Context, versions map[string]string) (map[string]*Item, error) {
	out := map[string]*Item{}
	if len(versions) == 0 {
		return out, nil
	}
	urls, vers := make([]string, 0, len(versions)), make([]string, 0, len(versions))
	for u, v := range versions {
		urls, vers = append(urls, u), append(vers, v)
	}
	rows, err := s.pool.Query(ctx, `SELECT q.definition FROM questionnaires q
		JOIN unnest($1::text[], $2::text[]) AS w (url, version) ON w.url = q.url AND w.version = q.version`, urls, vers)
	if err != nil {
		return nil, fmt.Errorf("policy questions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var def []byte
		if err := rows.Scan(&def); err != nil {
			return nil, fmt.Errorf("policy questions: %w", err)
		}
		parsed, err := ParseFHIR(def)
		if err != nil || parsed.Questionnaire == nil {
			continue
		}
		var walk func(items []*Item)
		walk = func(items []*Item) {
			for _, it := range items {
				out[it.LinkID] = it
				walk(it.Items)
			}
		}
		walk(parsed.Questionnaire.Items)
	}
	return out, rows.Err()
}

// policyAnswerLabel is the answer's question and its values as the reader
// reads them.
func policyAnswerLabel(a PolicyAnswer, it *Item, l *i18n.Localizer) (question, text string) {
	lang := l.Lang().String()
	question = a.LinkID
	if it != nil {
		if t := it.TextIn(lang); t != "" {
			question = t
		}
	}
	parts := make([]string, 0, len(a.Values))
	for _, v := range a.Values {
		switch {
		case v.Boolean != nil:
			parts = append(parts, l.T("insurance.policy.answer."+fmt.Sprint(*v.Boolean)))
		case v.Coding != nil:
			shown := v.Coding.Code
			if it != nil {
				for _, o := range it.Options {
					if o.Coding != nil && o.Coding.Code == v.Coding.Code {
						shown = o.Coding.DisplayIn(lang)
					}
				}
			}
			parts = append(parts, shown)
		default:
			parts = append(parts, policyAnswerText([]Value{v}))
		}
	}
	return question, strings.Join(parts, ", ")
}
