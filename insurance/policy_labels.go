package insurance

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm/internal/i18n"
)

// policyQuestionOrder reads the questions of the questionnaire versions a
// policy's answers answered, by linkId, so the policy page can show each
// answer under its question and a choice by its option's text, in the
// reader's language, and each linkId's place: the questionnaires in the
// order they were imported (the journey's), each in the order it asks. A
// version not imported is left out: its answers show by
// linkId and code, after the others.
func (s *Policies) policyQuestionOrder(ctx context.Context, versions map[string]string) (map[string]*Item, map[string]int, error) {
	out, order := map[string]*Item{}, map[string]int{}
	if len(versions) == 0 {
		return out, order, nil
	}
	urls, vers := make([]string, 0, len(versions)), make([]string, 0, len(versions))
	for u, v := range versions {
		urls, vers = append(urls, u), append(vers, v)
	}
	rows, err := s.pool.Query(ctx, `SELECT q.id FROM questionnaires q
		JOIN unnest($1::text[], $2::text[]) AS w (url, version) ON w.url = q.url AND w.version = q.version
		ORDER BY q.id`, urls, vers)
	if err != nil {
		return nil, nil, fmt.Errorf("policy questions: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, nil, fmt.Errorf("policy questions: %w", err)
	}
	for _, id := range ids {
		q, err := s.parsed.get(ctx, s.pool, id)
		if err != nil {
			return nil, nil, fmt.Errorf("policy questions: %w", err)
		}
		var walk func(items []*Item)
		walk = func(items []*Item) {
			for _, it := range items {
				out[it.LinkID] = it
				order[it.LinkID] = len(order)
				walk(it.Items)
			}
		}
		walk(q.Items)
	}
	return out, order, nil
}

// sortPolicyAnswers puts answers in the order their questions are asked;
// answers to questions not found keep their linkId order, after them.
func sortPolicyAnswers(list []PolicyAnswer, order map[string]int) []PolicyAnswer {
	out := slices.Clone(list)
	slices.SortStableFunc(out, func(a, b PolicyAnswer) int {
		ia, okA := order[a.LinkID]
		ib, okB := order[b.LinkID]
		switch {
		case okA && okB:
			return cmp.Compare(ia, ib)
		case okA:
			return -1
		case okB:
			return 1
		}
		return strings.Compare(a.LinkID, b.LinkID)
	})
	return out
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
		case v.Date != "":
			if d, err := time.Parse(time.DateOnly, v.Date); err == nil {
				parts = append(parts, l.Date(d))
			} else {
				parts = append(parts, v.Date)
			}
		case v.Decimal != nil:
			parts = append(parts, l.Decimal(*v.Decimal, max(0, -v.Decimal.Exponent())))
		case v.Integer != nil:
			parts = append(parts, l.Decimal(decimal.NewFromInt(*v.Integer), 0))
		case v.Quantity != nil:
			parts = append(parts, l.Decimal(v.Quantity.Value, max(0, -v.Quantity.Value.Exponent()))+" "+v.Quantity.Unit)
		default:
			parts = append(parts, policyAnswerText([]Value{v}))
		}
	}
	return question, strings.Join(parts, ", ")
}
