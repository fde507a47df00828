package advisor

import (
	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/crosssell"
	"github.com/ecrm-project/ecrm/internal/i18n"
)

// The client 360's needs: what crosssell's rules (needs-v1) name for the
// client, read in the 360's own batch (readClient360) so they cost no
// round trip, and shown in the staff's words with the facts behind each.

// needView is a need as the 360 page shows it, in the viewer's language.
type needView struct {
	Code, Title, RuleSet string
	Size                 *ecrm.Money
	Facts                []string
}

func needViews(needs []crosssell.Need, l *i18n.Localizer) []needView {
	out := make([]needView, 0, len(needs))
	for _, n := range needs {
		v := needView{Code: n.Code, Title: n.Title(l), RuleSet: n.RuleSetVersion, Size: n.Size, Facts: make([]string, 0, len(n.Facts))}
		for _, f := range n.Facts {
			v.Facts = append(v.Facts, f.In(l))
		}
		out = append(out, v)
	}
	return out
}

// needJSON is a need in the 360's API: its code and size for programs,
// its title and facts in the request's language for people.
type needJSON struct {
	Code     string         `json:"code"`
	Title    string         `json:"title"`
	Size     *moneyJSON     `json:"size"`
	Facts    []needFactJSON `json:"facts"`
	Priority int            `json:"priority"`
	RuleSet  string         `json:"rule_set"`
}

type needFactJSON struct {
	Code string `json:"code"`
	Text string `json:"text"`
}

func toNeedsJSON(needs []crosssell.Need, l *i18n.Localizer) []needJSON {
	out := make([]needJSON, 0, len(needs))
	for _, n := range needs {
		j := needJSON{Code: n.Code, Title: n.Title(l), Size: optionalMoneyJSON(n.Size), Priority: n.Priority,
			RuleSet: n.RuleSetVersion, Facts: make([]needFactJSON, 0, len(n.Facts))}
		for _, f := range n.Facts {
			j.Facts = append(j.Facts, needFactJSON{Code: f.Code, Text: f.In(l)})
		}
		out = append(out, j)
	}
	return out
}
