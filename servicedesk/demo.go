package servicedesk

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// SeedDemo staffs the queues and gives the demo client a conversation: the
// demo advisor and the first advisors work the service centre's queue, the
// demo compliance officer the complaints; the demo client asked her
// advisor a question two days ago and has an answer she has not read yet.
// It does nothing when requests exist.
func SeedDemo(ctx context.Context, pool *pgxpool.Pool, desk *Desk, asOf time.Time, clientEmail, advisorEmail, complianceEmail string) error {
	var existing int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM service_requests`).Scan(&existing); err != nil || existing > 0 {
		return err
	}
	if _, err := pool.Exec(ctx, `INSERT INTO service_team_members (team_code, staff_id)
		SELECT 'service', id FROM (SELECT id FROM staff_users WHERE 'advisor' = ANY (roles) ORDER BY email <> $1, id LIMIT 4) a
		UNION ALL SELECT 'complaints', id FROM staff_users WHERE email = $2
		ON CONFLICT DO NOTHING`, advisorEmail, complianceEmail); err != nil {
		return fmt.Errorf("demo service teams: %w", err)
	}
	var clientID, advisorID int64
	err := pool.QueryRow(ctx, `SELECT c.id, coalesce(c.advisor_id, 0) FROM clients c WHERE lower(c.email) = lower($1)`, clientEmail).Scan(&clientID, &advisorID)
	if err != nil || advisorID == 0 {
		return err // no demo client with an advisor: nothing more to show
	}
	saved := desk.now
	defer func() { desk.now = saved }()
	desk.now = func() time.Time { return asOf.Add(-50 * time.Hour) }
	id, err := desk.Open(ctx, clientID, NewRequest{Kind: "question", Subject: "Limita cardului în străinătate",
		Body:           "Bună ziua, călătoresc în Canada luna viitoare. Funcționează cardul meu de debit acolo și pot mări limita zilnică pe durata călătoriei?",
		IdempotencyKey: "demo-question"})
	if err != nil {
		return fmt.Errorf("demo request: %w", err)
	}
	desk.now = func() time.Time { return asOf.Add(-46 * time.Hour) }
	if err := desk.StaffReply(ctx, Viewer{StaffID: advisorID}, id, Reply{IdempotencyKey: "demo-answer",
		Body: "Bună ziua, doamna Popescu! Da, cardul funcționează în Canada. Pot mări limita zilnică la 5.000 RON între 1 și 20 ale lunii viitoare — răspundeți aici pentru a confirma datele."}); err != nil {
		return fmt.Errorf("demo answer: %w", err)
	}
	return nil
}
