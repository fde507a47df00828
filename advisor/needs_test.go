package advisor

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestClient360Needs: Maria Ionescu (45, married on 2026-09-01, two
// dependants, 84,000 RON a year, no life cover, a card at 20 %, a home
// policy ending 2027-01-01) on 2026-11-15. By hand:
//
//	protection gap 10 × 84,000.00 − 0 = 840,000.00 RON
//	retirement (45: 3 × income 252,000.00) − investments at cost
//	  (10.5 × 10 + 3 × 990 = 3,075.00 EUR = 15,375.00 RON; the option is
//	  not counted) = 236,625.00 RON
//	expensive debt: the card's 4,000.00 RON at 20 %
//
// Her mortgage is not compared: the fixture has no mortgage on sale.
func TestClient360Needs(t *testing.T) {
	f := newFixture(t)
	var got client360JSON
	f.getJSON(t, "/api/v1/clients/101", asAdvisorA, http.StatusOK, &got)
	var needs []string
	for _, n := range got.Needs {
		line := n.Code
		if n.Size != nil {
			line += " " + n.Size.Amount + " " + n.Size.Currency
		}
		if n.RuleSet != "needs-v1" || n.Title == "" || strings.HasPrefix(n.Title, "crosssell.") {
			t.Errorf("%s: rule set %q, title %q", n.Code, n.RuleSet, n.Title)
		}
		needs = append(needs, line)
	}
	want := []string{"renewal_due", "life_event_marriage", "protection_gap 840000.00 RON", "retirement_gap 236625.00 RON",
		"expensive_debt 4000.00 RON"}
	if !slices.Equal(needs, want) {
		t.Errorf("needs = %q, want %q", needs, want)
	}
	if facts := got.Needs[0].Facts; len(facts) != 1 || facts[0].Code != "policies_ending" ||
		facts[0].Text != "Ends soon: home insurance, on 1 Jan 2027" {
		t.Errorf("renewal facts = %+v", facts)
	}

	// Ana Popescu has no stated income: the one need is to learn it.
	f.getJSON(t, "/api/v1/clients/103", asAdvisorA, http.StatusOK, &got)
	if len(got.Needs) != 1 || got.Needs[0].Code != "complete_profile" || got.Needs[0].Size != nil {
		t.Errorf("Ana Popescu's needs = %+v", got.Needs)
	}

	for lang, wants := range map[string][]string{
		"en": {`<h2 id="needs-heading">Needs</h2>`, "Protection gap (life cover)", "RON\u00a0840,000.00", "Highest card rate: 20.00%",
			"Ends soon: home insurance, on 1 Jan 2027", "Married: 1 Sep 2026"},
		"ro": {`<h2 id="needs-heading">Nevoi</h2>`, "Deficit de protecție (asigurare de viață)", "840.000,00\u00a0lei",
			"Cea mai mare dobândă la card: 20,00\u00a0%", "Expiră curând: asigurarea locuinței, pe 1 ian. 2027", "Căsătorie: 1 sept. 2026",
			"2 persoane în întreținere"},
	} {
		body := f.do(t, request{path: "/console/clients/101", as: asAdvisorA, acceptLanguage: lang}).Body.String()
		for _, w := range wants {
			if !strings.Contains(body, w) {
				t.Errorf("%s: the 360 lacks %q", lang, w)
			}
		}
	}
}
