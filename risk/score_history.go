package risk

import (
	"context"
	"fmt"
	"time"
)

// MonthScore is the score as it stood at the end of a month (for the
// month under way: as it stands now).
type MonthScore struct {
	Month time.Time // first day of the month, UTC
	Score int
}

// ScoreHistory is a client's score now, with its factors, and as it was
// at each of the last ScoreHistoryMonths month-ends, oldest first; the
// last month is the month of the as-of date and its score is Current's.
type ScoreHistory struct {
	Current CreditScore
	Months  []MonthScore
}

// scoreLine is what the scorecard needs of a credit line.
type scoreLine struct {
	opened   time.Time // first day of the opening month
	badSince *time.Time
}

// scorePayment is one monthly payment record.
type scorePayment struct {
	period time.Time
	status string
}

// countsAt counts the record as scorecard-v1 does as of the month m.
func countsAt(lines []scoreLine, payments []scorePayment, m time.Time) CreditCounts {
	var c CreditCounts
	from := m.AddDate(0, -ScoreWindowMonths, 0)
	for _, l := range lines {
		if l.opened.After(m) {
			continue
		}
		c.Lines++
		if l.badSince != nil && !l.badSince.After(m) {
			c.BadLines++
		}
	}
	for _, p := range payments {
		if p.period.Before(from) || p.period.After(m) {
			continue
		}
		switch p.status {
		case "on_time":
			c.OnTime++
		case "late_30":
			c.Late30++
		case "late_60":
			c.Late60++
		case "late_90_plus":
			c.Late90Plus++
		case "default":
			c.Defaulted++
		}
	}
	return c
}

// LoadScoreHistory computes, for one client, the score as of the month of
// asOf with its factors and the score at each of the 24 month-ends up to
// it, from the client's credit lines and payments (two small indexed
// reads; nothing of it is stored). The last month's score is what
// RefreshScores stores for the same date.
func LoadScoreHistory(ctx context.Context, db DB, clientID int64, asOf time.Time) (ScoreHistory, error) {
	last := monthOf(asOf)
	first := last.AddDate(0, 1-ScoreHistoryMonths, 0)
	var lines []scoreLine
	rows, err := db.Query(ctx, `
		SELECT date_trunc('month', l.opened_on)::date,
		       CASE WHEN l.status IN ('defaulted', 'written_off') THEN coalesce(
		           (SELECT min(p.period) FROM credit_payments p WHERE p.credit_line_id = l.id AND p.status = 'default'),
		           (SELECT max(p.period) FROM credit_payments p WHERE p.credit_line_id = l.id),
		           date_trunc('month', l.opened_on)::date) END
		FROM credit_lines l WHERE l.client_id = $1`, clientID)
	if err != nil {
		return ScoreHistory{}, fmt.Errorf("score history of client %d: %w", clientID, err)
	}
	for rows.Next() {
		var l scoreLine
		if err := rows.Scan(&l.opened, &l.badSince); err != nil {
			rows.Close()
			return ScoreHistory{}, fmt.Errorf("score history of client %d: %w", clientID, err)
		}
		lines = append(lines, l)
	}
	if err := rows.Err(); err != nil {
		return ScoreHistory{}, fmt.Errorf("score history of client %d: %w", clientID, err)
	}
	var payments []scorePayment
	rows, err = db.Query(ctx, `SELECT period, status FROM credit_payments WHERE client_id = $1 AND period BETWEEN $2 AND $3`,
		clientID, first.AddDate(0, -ScoreWindowMonths, 0), last)
	if err != nil {
		return ScoreHistory{}, fmt.Errorf("score history of client %d: %w", clientID, err)
	}
	for rows.Next() {
		var p scorePayment
		if err := rows.Scan(&p.period, &p.status); err != nil {
			rows.Close()
			return ScoreHistory{}, fmt.Errorf("score history of client %d: %w", clientID, err)
		}
		payments = append(payments, p)
	}
	if err := rows.Err(); err != nil {
		return ScoreHistory{}, fmt.Errorf("score history of client %d: %w", clientID, err)
	}
	h := ScoreHistory{Months: make([]MonthScore, 0, ScoreHistoryMonths)}
	for m := first; !m.After(last); m = m.AddDate(0, 1, 0) {
		s := Score(countsAt(lines, payments, m))
		h.Months = append(h.Months, MonthScore{Month: m, Score: s.Score})
		h.Current = s
	}
	return h, nil
}
