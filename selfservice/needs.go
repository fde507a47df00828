package selfservice

import (
	"github.com/ecrm-project/ecrm/crosssell"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/web"
)

// Need is one of the client's needs as crosssell's rules (needs-v1,
// docs/needs.md) name it, in the client's own words: "Things you may
// need" on the overview. The facts are read in the overview's own batch
// (queryOverview), so they cost no round trip.
type Need struct {
	Code string `json:"code"`
	// Text and Facts are in the request's language.
	Text  string   `json:"text"`
	Size  *Money   `json:"size"`
	Facts []string `json:"facts"`
	// Href is where to act on it (the product search for the goal, the
	// profile), "" when there is nowhere.
	Href    string `json:"href,omitempty"`
	RuleSet string `json:"rule_set"`
}

// clientNeeds evaluates the facts read with the overview.
func clientNeeds(f *crosssell.Facts, l *i18n.Localizer) ([]Need, error) {
	needs, err := crosssell.EvaluateNeeds(f)
	if err != nil {
		return nil, err
	}
	out := make([]Need, 0, len(needs))
	for _, n := range needs {
		v := Need{Code: n.Code, Text: n.ClientText(l), Href: n.Href(), RuleSet: n.RuleSetVersion, Facts: make([]string, 0, len(n.Facts))}
		if n.Size != nil {
			m := newMoney(n.Size.Amount, n.Size.Currency)
			v.Size = &m
		}
		for _, f := range n.Facts {
			v.Facts = append(v.Facts, f.In(l))
		}
		out = append(out, v)
	}
	return out, nil
}

func (n *Need) appendJSON(b []byte) []byte {
	b = append(b, `{"code":`...)
	b = web.AppendJSONString(b, n.Code)
	b = append(b, `,"text":`...)
	b = web.AppendJSONString(b, n.Text)
	b = append(b, `,"size":`...)
	b = appendMoneyOrNull(b, n.Size)
	b = append(b, `,"facts":`...)
	b = appendList(b, n.Facts, func(s *string, b []byte) []byte { return web.AppendJSONString(b, *s) })
	if n.Href != "" {
		b = append(b, `,"href":`...)
		b = web.AppendJSONString(b, n.Href)
	}
	b = append(b, `,"rule_set":`...)
	b = web.AppendJSONString(b, n.RuleSet)
	return append(b, '}')
}
