package compliance

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strconv"
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
// changed: approving a flagged record adds a row. Four eyes: an officer who
// flagged the record since its last approval may not approve it; another
// officer must.
func (c *Console) AddReview(ctx context.Context, staffID, seq int64, in ReviewInput) (*Review, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	// The check and the insert run under a lock of the record's reviews
	// (an advisory lock: the application role may not lock log rows),
	// so a flag and an approval by the same officer cannot cross.
	const q = `
INSERT INTO compliance_reviews (record_seq, staff_id, action, comment, reviewed_at)
SELECT d.seq, $2, $3, $4, $5 FROM decision_records d WHERE d.seq = $1
RETURNING id, reviewed_at, (SELECT display_name FROM staff_users WHERE id = $2)`
	const qOwnFlag = `
SELECT EXISTS (
    SELECT 1 FROM compliance_reviews r
    WHERE r.record_seq = $1 AND r.action = 'flag' AND r.staff_id = $2
      AND r.id > coalesce((SELECT max(a.id) FROM compliance_reviews a WHERE a.record_seq = $1 AND a.action = 'approve'), 0))`
	r := Review{Seq: seq, StaffID: staffID, Action: in.Action, Comment: strings.TrimSpace(in.Comment)}
	err := pgx.BeginFunc(ctx, c.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, -seq); err != nil {
			return err
		}
		if r.Action == ReviewApprove {
			var own bool
			if err := tx.QueryRow(ctx, qOwnFlag, seq, staffID).Scan(&own); err != nil {
				return err
			}
			if own {
				return invalid(ecrm.FieldError{Field: "action", Message: "compliance.review.error.four_eyes"})
			}
		}
		return tx.QueryRow(ctx, q, seq, staffID, r.Action, r.Comment, c.now().UTC().Truncate(time.Microsecond)).
			Scan(&r.ID, &r.ReviewedAt, &r.StaffName)
	})
	if ecrm.ErrorCode(err) == ecrm.EINVALID {
		return nil, err
	}
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
	// The change and its log entry in one transaction, the old rate read
	// under the row's lock so that two officers' changes log in turn.
	err := pgx.BeginFunc(ctx, c.pool, func(tx pgx.Tx) error {
		var old int
		if err := tx.QueryRow(ctx, `SELECT sample_basis_points FROM compliance_settings FOR UPDATE`).Scan(&old); err != nil {
			return err
		}
		if old == basisPoints {
			return nil
		}
		now := c.now()
		if _, err := tx.Exec(ctx, `UPDATE compliance_settings SET sample_basis_points = $1, updated_by = $2, updated_at = $3`,
			basisPoints, staffID, now); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO compliance_sampling_changes (staff_id, from_bp, to_bp, changed_at) VALUES ($1, $2, $3, $4)`,
			staffID, old, basisPoints, now)
		return err
	})
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23503" {
		return ecrm.Errorf(ecrm.EFORBIDDEN, "compliance.error.forbidden")
	}
	if err != nil {
		return fmt.Errorf("set sampling rate: %w", err)
	}
	return nil
}

// SamplingChange is one change of the sampling rate.
type SamplingChange struct {
	StaffName string
	From, To  int // basis points
	ChangedAt time.Time
}

// SamplingChanges returns the latest changes of the sampling rate, newest
// first (at most 20).
func (c *Console) SamplingChanges(ctx context.Context) ([]SamplingChange, error) {
	rows, err := c.pool.Query(ctx, `
SELECT s.display_name, c.from_bp, c.to_bp, c.changed_at
FROM compliance_sampling_changes c JOIN staff_users s ON s.id = c.staff_id
ORDER BY c.changed_at DESC, c.id DESC LIMIT 20`)
	if err != nil {
		return nil, fmt.Errorf("sampling rate changes: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (SamplingChange, error) {
		var ch SamplingChange
		err := row.Scan(&ch.StaffName, &ch.From, &ch.To, &ch.ChangedAt)
		return ch, err
	})
	if err != nil {
		return nil, fmt.Errorf("sampling rate changes: %w", err)
	}
	return list, nil
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

// MaxQueueCount is where counting the queue stops: over a log of millions
// of records an exact count would cost seconds; "more than 1,000 wait" says
// what an officer needs.
const MaxQueueCount = 1000

// QueueCount counts the records waiting for review under the filter, up
// to MaxQueueCount (more reports MaxQueueCount+1).
func (c *Console) QueueCount(ctx context.Context, f Filter) (int, error) {
	q, err := f.query(c.loc)
	if err != nil {
		return 0, err
	}
	sql := `SELECT count(*) FROM (SELECT 1 FROM decision_records d WHERE ` + q.sql() + ` AND ` + queueCondition +
		` LIMIT ` + strconv.Itoa(MaxQueueCount+1) + `) waiting`
	var n int
	if err := c.pool.QueryRow(ctx, sql, append([]any{pgx.QueryExecModeExec}, q.args...)...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count the review queue: %w", err)
	}
	return n, nil
}

// Why a record waits in the review queue; a record may wait for several.
const (
	QueueSampled   = "sampled"
	QueueRequested = "requested"
	QueueFlagged   = "flagged"
)

// QueueReasons says why each of the records seqs waits for review.
func (c *Console) QueueReasons(ctx context.Context, seqs []int64) (map[int64][]string, error) {
	rows, err := c.pool.Query(ctx, `
SELECT d.seq,
       d.kind = 'offer_shown' AND compliance_sample_point(d.hash) < (SELECT sample_basis_points FROM compliance_settings),
       EXISTS (SELECT 1 FROM decision_records q WHERE q.refers_to = d.seq AND q.kind = 'review_request'),
       coalesce((SELECT r.action FROM compliance_reviews r WHERE r.record_seq = d.seq ORDER BY r.id DESC LIMIT 1), '') = 'flag'
FROM decision_records d WHERE d.seq = ANY($1)`, seqs)
	if err != nil {
		return nil, fmt.Errorf("why records wait for review: %w", err)
	}
	out := map[int64][]string{}
	for rows.Next() {
		var seq int64
		var sampled, requested, flagged bool
		if err := rows.Scan(&seq, &sampled, &requested, &flagged); err != nil {
			return nil, err
		}
		for reason, yes := range map[string]bool{QueueFlagged: flagged, QueueRequested: requested, QueueSampled: sampled} {
			if yes {
				out[seq] = append(out[seq], reason)
			}
		}
		slices.Sort(out[seq])
	}
	return out, rows.Err()
}
