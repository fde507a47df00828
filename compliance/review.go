package compliance

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ecrm-project/ecrm"
)

// Review actions. A flagged record stays in the review queue until it is
// approved; the latest review of a record is its status.
const (
	ReviewFlag    = "flag"
	ReviewApprove = "approve"
)

// MaxReviewComment bounds a review's comment.
const MaxReviewComment = 2000

// Review is one compliance review of a decision record.
type Review struct {
	ID         int64
	Seq        int64
	StaffID    int64
	StaffName  string
	Action     string
	Comment    string
	ReviewedAt time.Time
}

// ReviewInput is a review as entered.
type ReviewInput struct {
	Action  string `json:"action"`
	Comment string `json:"comment"`
}

func (in ReviewInput) validate() error {
	var faults []ecrm.FieldError
	switch in.Action {
	case ReviewFlag, ReviewApprove:
	case "":
		faults = append(faults, ecrm.FieldError{Field: "action", Message: "compliance.review.error.action_required"})
	default:
		faults = append(faults, ecrm.FieldError{Field: "action", Message: "compliance.review.error.action_unknown"})
	}
	comment := strings.TrimSpace(in.Comment)
	switch {
	case in.Action == ReviewFlag && comment == "":
		faults = append(faults, ecrm.FieldError{Field: "comment", Message: "compliance.review.error.comment_required"})
	case len([]rune(comment)) > MaxReviewComment:
		faults = append(faults, ecrm.FieldError{Field: "comment", Message: "compliance.review.error.comment_too_long"})
	}
	if len(faults) > 0 {
		return invalid(faults...)
	}
	return nil
}

// AddReview records staffID's review of the record seq. Reviews are never
// changed: approving a flagged record adds a row.
func (c *Console) AddReview(ctx context.Context, staffID, seq int64, in ReviewInput) (*Review, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	const q = `
INSERT INTO compliance_reviews (record_seq, staff_id, action, comment, reviewed_at)
SELECT d.seq, $2, $3, $4, $5 FROM decision_records d WHERE d.seq = $1
RETURNING id, reviewed_at, (SELECT display_name FROM staff_users WHERE id = $2)`
	r := Review{Seq: seq, StaffID: staffID, Action: in.Action, Comment: strings.TrimSpace(in.Comment)}
	err := c.pool.QueryRow(ctx, q, seq, staffID, r.Action, r.Comment, c.now().UTC().Truncate(time.Microsecond)).
		Scan(&r.ID, &r.ReviewedAt, &r.StaffName)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errRecordNotFound
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23503" { // the reviewer is not a staff user
		return nil, ecrm.Errorf(ecrm.EFORBIDDEN, "compliance.error.forbidden")
	}
	if err != nil {
		return nil, fmt.Errorf("add review of decision record %d: %w", seq, err)
	}
	return &r, nil
}

func reviews(ctx context.Context, tx pgx.Tx, seq int64) ([]Review, error) {
	const q = `
SELECT r.id, r.record_seq, r.staff_id, s.display_name, r.action, r.comment, r.reviewed_at
FROM compliance_reviews r JOIN staff_users s ON s.id = r.staff_id
WHERE r.record_seq = $1 ORDER BY r.id`
	rows, err := tx.Query(ctx, q, seq)
	if err != nil {
		return nil, fmt.Errorf("read reviews of %d: %w", seq, err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Review, error) {
		var r Review
		err := row.Scan(&r.ID, &r.Seq, &r.StaffID, &r.StaffName, &r.Action, &r.Comment, &r.ReviewedAt)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("read reviews of %d: %w", seq, err)
	}
	return list, nil
}

// SamplePoint maps a record's chain hash to 0..9999: the first four bytes
// as an unsigned big-endian integer, modulo 10000, exactly as the SQL
// function compliance_sample_point. A shown offer is in the review sample
// when its point is below the sampling rate in basis points. The hash is
// fixed when the record is appended and cannot be steered without changing
// the record, so the sample is reproducible and nobody picks it.
func SamplePoint(hash []byte) int {
	if len(hash) < 4 {
		return 0
	}
	return int(binary.BigEndian.Uint32(hash) % 10000)
}

// SampleRate returns the share of shown offers sampled for review, in
// basis points (500 = 5 %).
func (c *Console) SampleRate(ctx context.Context) (int, error) {
	var bp int
	if err := c.pool.QueryRow(ctx, `SELECT sample_basis_points FROM compliance_settings`).Scan(&bp); err != nil {
		return 0, fmt.Errorf("read sampling rate: %w", err)
	}
	return bp, nil
}

// SetSampleRate changes the sampling rate (basis points, 0..10000).
func (c *Console) SetSampleRate(ctx context.Context, staffID int64, basisPoints int) error {
	if basisPoints < 0 || basisPoints > 10000 {
		return invalid(ecrm.FieldError{Field: "sample_percent", Message: "compliance.queue.error.rate_range"})
	}
	_, err := c.pool.Exec(ctx, `UPDATE compliance_settings SET sample_basis_points = $1, updated_by = $2, updated_at = $3`,
		basisPoints, staffID, c.now())
	if err != nil {
		return fmt.Errorf("set sampling rate: %w", err)
	}
	return nil
}

// queueCondition selects the records waiting for review: shown offers in
// the sample, records a client asked a human to review and flagged
// records, unless their latest review approved them.
const queueCondition = `d.kind IN ('offer_shown', 'offer_blocked')
AND coalesce((SELECT r.action FROM compliance_reviews r WHERE r.record_seq = d.seq ORDER BY r.id DESC LIMIT 1), 'flag') = 'flag'
AND ((d.kind = 'offer_shown' AND compliance_sample_point(d.hash) < (SELECT sample_basis_points FROM compliance_settings))
  OR EXISTS (SELECT 1 FROM decision_records q WHERE q.refers_to = d.seq AND q.kind = 'review_request')
  OR EXISTS (SELECT 1 FROM compliance_reviews r WHERE r.record_seq = d.seq))`

// Queue returns one page of the review queue, newest first; the filter
// narrows it like a search.
func (c *Console) Queue(ctx context.Context, f Filter) (*SearchResult, error) {
	q, err := f.query(c.loc)
	if err != nil {
		return nil, err
	}
	return c.page(ctx, q, queueCondition)
}
