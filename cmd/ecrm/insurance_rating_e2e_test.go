package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm/compliance"
	"github.com/ecrm-project/ecrm/insurance"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/pgtest"
)

type oneJourney insurance.Answers

func (j oneJourney) Answers(context.Context, int64, int64) (insurance.Answers, error) {
	return insurance.Answers(j), nil
}

func (j oneJourney) QuestionnaireVersions(context.Context, int64, int64) (map[string]string, error) {
	return map[string]string{"urn:ecrm:questionnaire:insurance-travel": "1"}, nil
}

// TestAuditReplayInsuranceProgramme: `ecrm audit replay --seq N`
// reproduces a presented programme's premium from its record, re-rated
// under the rules and rating versions recorded.
func TestAuditReplayInsuranceProgramme(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	if err := insurance.LoadDemoProgrammes(ctx, pool); err != nil {
		t.Fatal(err)
	}
	var client int64
	if err := pool.QueryRow(ctx, `INSERT INTO clients (given_name, family_name, birth_date) VALUES ('Ana', 'Popescu', '1990-05-20') RETURNING id`).Scan(&client); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO consents (client_id, purpose, channel, granted, wording_version, source, recorded_at)
VALUES ($1, 'marketing', 'web', true, '2024-03', 'portal', now() - interval '1 day')`, client); err != nil {
		t.Fatal(err)
	}
	days, travellers := int64(30), int64(1)
	budget := decimal.RequireFromString("100")
	answers := oneJourney{
		"applicant.birth_date": {{Date: "1990-05-20"}},
		"needs.protect":        {{Coding: &insurance.Coding{Code: "travel"}}},
		"needs.budget_monthly": {{Decimal: &budget}},
		"travel.destination":   {{Coding: &insurance.Coding{Code: "eu"}}},
		"travel.days":          {{Integer: &days}},
		"travel.travellers":    {{Integer: &travellers}},
		"travel.activities":    {{Coding: &insurance.Coding{Code: "standard"}}},
	}
	gate := compliance.NewGate(compliance.NewFactsReader(pool), compliance.NewLog(pool))
	progs := insurance.NewProgrammes(pool, insurance.NewSelector(pool), gate, answers)
	ch, err := progs.Present(ctx, insurance.Viewer{ClientID: client, Channel: "web", Actor: compliance.Actor{Kind: compliance.ActorClient}}, 1,
		i18n.NewLocalizer(i18n.English))
	if err != nil {
		t.Fatal(err)
	}
	var seq int64
	for _, c := range ch.Candidates {
		if c.ProductCode == "PRG-TRAVEL-DELTA-EU30" && c.Shown {
			// 28 × 1.00 (EU) × 1.00 (17+ days) × 1.00 (age 36) × 1 = 28.00
			if c.Premium.StringFixed(2) != "28.00" {
				t.Errorf("premium %s", c.Premium)
			}
			seq = c.Seq
		}
	}
	if seq == 0 {
		t.Fatalf("Delta not shown: %+v", ch.Candidates)
	}
	var out bytes.Buffer
	if err := auditReplay(ctx, newReplayer(pool), seq, 0, "", false, &out); err != nil || !strings.Contains(out.String(), "reproduced") ||
		!strings.Contains(out.String(), "PRG-TRAVEL-DELTA-EU30") {
		t.Errorf("replay: %v\n%s", err, out.String())
	}
}
