package compliance

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/products"
)

// TestRecordsKeepMessagesToSayInAnyLanguage: an offer decided for a client
// reading Romanian keeps, in its record, the Romanian texts she read and
// the keys and arguments to say them again; an officer reading English
// gets English reasons, findings and disclosures from the same record.
func TestRecordsKeepMessagesToSayInAnyLanguage(t *testing.T) {
	e := newGateEnv(t)
	ro, en := i18n.NewLocalizer(i18n.Romanian), i18n.NewLocalizer(i18n.English)
	withoutConsent := e.newClient("Ion")
	p := e.presentation(withoutConsent, "LOAN-EUR-PERS")
	p.Request = products.MatchRequest{Goal: products.GoalBorrow, Amount: ecrm.MustMoney("10000", "EUR"), Months: 36}
	p.Localizer = ro
	p.Offers[0].Reasons = []i18n.Message{ro.Say("products.why.term", 36)}
	prod := e.product("LOAN-EUR-PERS")
	p.Offers[0].Disclosures = []Disclosure{{Kind: "product_warning", Text: ro.SayText(prod.Definition.Disclosures[0])}}
	v := e.present(p)
	if v[0].Shown {
		t.Fatal("shown without a marketing consent")
	}
	var body string
	if err := e.pool.QueryRow(context.Background(), `SELECT body::text FROM decision_records WHERE seq = $1`, v[0].Seq).Scan(&body); err != nil {
		t.Fatal(err)
	}
	var b Body
	if err := json.Unmarshal([]byte(body), &b); err != nil {
		t.Fatal(err)
	}
	var consent Check
	for _, c := range b.Checks {
		if c.Name == CheckConsent {
			consent = c
		}
	}
	if consent.Detail.Key != "gate.consent.missing" || consent.Detail.Text != ro.T("gate.consent.missing", ro.T("gate.channel.web")) {
		t.Errorf("consent finding recorded as %+v", consent.Detail)
	}
	if got, want := consent.Detail.In(en), en.T("gate.consent.missing", en.T("gate.channel.web")); got != want {
		t.Errorf("consent finding in English = %q, want %q", got, want)
	}
	if got, want := b.Reasons[0].In(en), en.T("products.why.term", 36); got != want || b.Reasons[0].Text != ro.T("products.why.term", 36) {
		t.Errorf("reason in English %q (want %q), as read %q", got, want, b.Reasons[0].Text)
	}
	if got := b.Disclosures[0].Text.In(en); got != prod.Definition.Disclosures[0].EN || b.Disclosures[0].Text.Text != prod.Definition.Disclosures[0].RO {
		t.Errorf("disclosure in English %q, as read %q", got, b.Disclosures[0].Text.Text)
	}
	// A record written before messages were keys reads as it was.
	var old Body
	if err := json.Unmarshal([]byte(`{"reasons": ["Cel mai mic DAE"], "checks": [{"name": "consent", "passed": true, "detail": "Acord dat"}]}`), &old); err != nil {
		t.Fatal(err)
	}
	if old.Reasons[0].In(en) != "Cel mai mic DAE" || !old.Checks[0].Detail.Fixed() || old.Checks[0].Detail.In(en) != "Acord dat" {
		t.Errorf("an old record reads %+v", old)
	}
	if res := mustVerify(t, e.pool, testKey(t)); !res.OK() {
		t.Fatalf("chain broken: %v", res.Problem)
	}
}
