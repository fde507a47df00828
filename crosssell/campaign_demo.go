package crosssell

import (
	"context"
	"fmt"
	"slices"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm/compliance"
)

// The demo campaign (`make run`): so that a finished campaign with an
// uplift is there to look at, the demo advisor's book is offered the
// flexible RON savings account by e-mail through the real path (create,
// launch, run: the gate, the decision records, the outbox), and then her
// clients answer as a fixed rule says, every one deterministic:
//
//   - treatment, shown: of the offers in client order, the 1st, 3rd, 5th …
//     are opened, and those at positions 0–11 of every 20 are answered
//     "interested" (opened too);
//   - control: every twentieth in client order opens a savings account on her
//     own the same day — a take-up without the campaign.
//
// The figures it gives depend on the demo data (consents, holdings), and
// are shown as any campaign's.

// Demo campaign settings.
const (
	demoCampaignName    = "Flexible savings for my clients"
	demoCampaignProduct = "SAV-RON-FLEX"
	demoCampaignSeed    = 2026
)

// SeedDemoCampaign creates, runs and answers the demo campaign for the
// advisor with this e-mail, once (nothing when any campaign exists).
// portal records the clients' answers.
func SeedDemoCampaign(ctx context.Context, c *Campaigns, portal *compliance.Portal, advisorEmail string) (int64, error) {
	var exists bool
	var advisor int64
	if err := c.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM campaigns), coalesce((SELECT id FROM staff_users WHERE email = $1), 0)`,
		advisorEmail).Scan(&exists, &advisor); err != nil {
		return 0, err
	}
	if exists || advisor == 0 {
		return 0, nil
	}
	staff := CampaignStaff{StaffID: advisor, Book: true}
	share, seed := decimal.NewFromInt(20), int64(demoCampaignSeed)
	id, err := c.Create(ctx, CampaignInput{Name: demoCampaignName, Product: demoCampaignProduct, Channel: ChannelEmail,
		ControlPercent: &share, Seed: &seed}, staff)
	if err != nil {
		return 0, fmt.Errorf("demo campaign: %w", err)
	}
	if _, err := c.Launch(ctx, id, staff); err != nil {
		return 0, fmt.Errorf("demo campaign: %w", err)
	}
	if _, err := c.Run(ctx, id, 0); err != nil {
		return 0, fmt.Errorf("demo campaign: %w", err)
	}
	rows, err := c.pool.Query(ctx, `SELECT client_id, grp, coalesce(decision_seq, 0), state FROM campaign_recipients WHERE campaign_id = $1 ORDER BY client_id`, id)
	if err != nil {
		return 0, err
	}
	type rec struct {
		client, seq int64
		grp, state  string
	}
	var shown, control []rec
	for rows.Next() {
		var r rec
		if err := rows.Scan(&r.client, &r.grp, &r.seq, &r.state); err != nil {
			rows.Close()
			return 0, err
		}
		switch {
		case r.state == "shown":
			shown = append(shown, r)
		case r.grp == "control":
			control = append(control, r)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for i, r := range shown {
		interested := i%20 < 12
		if i%2 == 0 || interested {
			if err := portal.MarkViewed(ctx, r.client, r.seq); err != nil {
				return 0, err
			}
		}
		if interested {
			if _, _, err := portal.Respond(ctx, r.client, r.seq, "web", string(compliance.OutcomeInterested), fmt.Sprintf("demo-campaign-%d", r.seq)); err != nil {
				return 0, fmt.Errorf("demo campaign answer: %w", err)
			}
		}
	}
	today := c.Now().UTC().Format("2006-01-02")
	for i, r := range slices.Clip(control) {
		if i%20 != 0 {
			continue
		}
		if _, err := c.pool.Exec(ctx, `INSERT INTO accounts (client_id, kind, name, currency, balance, interest_rate, opened_on)
			VALUES ($1, 'savings', 'Savings RON', 'RON', 1000, 0.02, $2::date)`, r.client, today); err != nil {
			return 0, fmt.Errorf("demo campaign take-up: %w", err)
		}
	}
	return id, nil
}
