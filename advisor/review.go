package advisor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/compliance"
	"github.com/ecrm-project/ecrm/internal/pgdb"
)

// Human review of automated offers: a client who asks a person to review
// an offer (compliance.Portal.RequestReview) opens a work item in
// human_review_requests; the request itself is a review_request record in
// the offer log, which compliance sees. The client's advisor sees the open
// requests of their book on the console's home page and on the client 360,
// opens one with the offer explained from its decision record, and answers
// it; the client reads the answer on the offer's page. Compliance and
// admin read every request; only the client's advisor answers. Like every
// query here, the scope is a condition in SQL: a request of a client
// outside the book is not found.

// ReviewRequest is one client's request for a person to review an offer.
type ReviewRequest struct {
	ID          int64
	ClientID    int64
	GivenName   string
	FamilyName  string
	DecisionSeq int64
	RequestSeq  int64
	ProductCode string
	ProductName ecrm.Text
	Message     string
	RequestedAt time.Time
	Status      string
	Answer      string
	AnsweredAt  *time.Time
	AnsweredBy  string
}

// Name is the client's name.
func (r ReviewRequest) Name() string { return r.GivenName + " " + r.FamilyName }

// Product is the product's name, or its code when the name is unknown.
func (r ReviewRequest) Product() ecrm.Text {
	if r.ProductName.EN != "" {
		return r.ProductName
	}
	return ecrm.Text{EN: r.ProductCode}
}

// Age is how long the request has waited (until it was answered), in
// whole hours, for "3 days" on the page.
func (r ReviewRequest) age(now time.Time) time.Duration {
	end := now
	if r.AnsweredAt != nil {
		end = *r.AnsweredAt
	}
	return max(0, end.Sub(r.RequestedAt))
}

// AnsweredTime is AnsweredAt for templates; the zero time while open.
func (r ReviewRequest) AnsweredTime() time.Time {
	if r.AnsweredAt == nil {
		return time.Time{}
	}
	return *r.AnsweredAt
}

// ReviewQueue is the open requests in a scope: how many, and the oldest.
type ReviewQueue struct {
	Open     int
	Requests []ReviewRequest
}

// ReviewRequestView is one request with the offer it is about, explained
// from the offer's decision record.
type ReviewRequestView struct {
	ReviewRequest
	AdvisorID *int64
	Offer     *compliance.Explanation
}

// reviewQueueShown bounds the requests listed on the home page.
const reviewQueueShown = 50

var errReviewNotFound = ecrm.Errorf(ecrm.ENOTFOUND, "console.review.error.not_found")

const reviewColumns = `h.id, h.client_id, c.given_name, c.family_name, h.decision_seq, h.request_seq,
       coalesce(p.code, ''), json_build_object('en', pv.name, 'ro', pv.name_ro), h.message, h.requested_at, h.status,
       coalesce(h.answer, ''), h.answered_at, coalesce(s.display_name, '')`

const reviewJoins = `FROM human_review_requests h
JOIN clients c ON c.id = h.client_id
JOIN decision_records d ON d.seq = h.decision_seq
LEFT JOIN products p ON p.id = d.product_id
LEFT JOIN product_versions pv ON pv.id = d.product_version_id
LEFT JOIN staff_users s ON s.id = h.answered_by`

// qOpenReviews lists the open requests in scope, oldest first, with their
// number.
const qOpenReviews = `
SELECT ` + reviewColumns + `, count(*) OVER ()
` + reviewJoins + `
WHERE h.status = 'open'
  AND ($1::bigint IS NULL OR c.advisor_id = $1)
ORDER BY h.requested_at, h.id
LIMIT $2`

// qClientReviews lists one client's requests, newest first.
const qClientReviews = `
SELECT ` + reviewColumns + `
` + reviewJoins + `
WHERE h.client_id = $1
  AND ($2::bigint IS NULL OR c.advisor_id = $2)
ORDER BY h.requested_at DESC, h.id DESC`

// qReview reads one request in scope.
const qReview = `
SELECT ` + reviewColumns + `, c.advisor_id
` + reviewJoins + `
WHERE h.id = $1
  AND ($2::bigint IS NULL OR c.advisor_id = $2)`

func scanReview(row pgx.CollectableRow, extra ...any) (ReviewRequest, error) {
	var r ReviewRequest
	dest := append([]any{&r.ID, &r.ClientID, &r.GivenName, &r.FamilyName, &r.DecisionSeq, &r.RequestSeq,
		&r.ProductCode, &r.ProductName, &r.Message, &r.RequestedAt, &r.Status, &r.Answer, &r.AnsweredAt, &r.AnsweredBy}, extra...)
	err := row.Scan(dest...)
	return r, err
}

// OpenReviewRequests returns the number of open review requests in the
// scope and the oldest of them.
func (s *Store) OpenReviewRequests(ctx context.Context, sc Scope) (ReviewQueue, error) {
	var q ReviewQueue
	rows, err := s.pool.Query(ctx, qOpenReviews, sc.advisorFilter(), reviewQueueShown)
	if err != nil {
		return q, fmt.Errorf("open review requests: %w", err)
	}
	q.Requests, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (ReviewRequest, error) {
		return scanReview(row, &q.Open)
	})
	if err != nil {
		return q, fmt.Errorf("open review requests: %w", err)
	}
	return q, nil
}

// ClientReviewRequests returns one client's review requests, newest
// first; none for a client outside the scope.
func (s *Store) ClientReviewRequests(ctx context.Context, sc Scope, clientID int64) ([]ReviewRequest, error) {
	rows, err := s.pool.Query(ctx, qClientReviews, clientID, sc.advisorFilter())
	if err != nil {
		return nil, fmt.Errorf("review requests of client %d: %w", clientID, err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (ReviewRequest, error) { return scanReview(row) })
	if err != nil {
		return nil, fmt.Errorf("review requests of client %d: %w", clientID, err)
	}
	return list, nil
}

// ReviewRequest returns one request in scope with its offer explained
// (compliance.ReadExplanation), read in one snapshot; the view is recorded
// in the staff access log in the same transaction.
func (s *Store) ReviewRequest(ctx context.Context, sc Scope, id int64, requestID string) (*ReviewRequestView, error) {
	var out *ReviewRequestView
	err := pgdb.Transact(ctx, s.pool, pgx.RepeatableRead, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, qReview, id, sc.advisorFilter())
		if err != nil {
			return fmt.Errorf("review request %d: %w", id, err)
		}
		v := &ReviewRequestView{}
		v.ReviewRequest, err = pgx.CollectExactlyOneRow(rows, func(row pgx.CollectableRow) (ReviewRequest, error) {
			return scanReview(row, &v.AdvisorID)
		})
		if errors.Is(err, pgx.ErrNoRows) {
			return errReviewNotFound
		}
		if err != nil {
			return fmt.Errorf("review request %d: %w", id, err)
		}
		if v.Offer, err = compliance.ReadExplanation(ctx, tx, v.ClientID, v.DecisionSeq); err != nil {
			return fmt.Errorf("review request %d: %w", id, err)
		}
		if err := logAccess(ctx, tx, sc.StaffID, v.ClientID, resourceReviewRequest, "", requestID); err != nil {
			return err
		}
		out = v
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CheckReviewInScope reports errReviewNotFound unless the request id is in
// the scope; it shows nothing, so it is not an access to log.
func (s *Store) CheckReviewInScope(ctx context.Context, sc Scope, id int64) error {
	var exists bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM human_review_requests h JOIN clients c ON c.id = h.client_id
		WHERE h.id = $1 AND ($2::bigint IS NULL OR c.advisor_id = $2))`, id, sc.advisorFilter()).Scan(&exists)
	switch {
	case err != nil:
		return fmt.Errorf("review request %d: %w", id, err)
	case !exists:
		return errReviewNotFound
	}
	return nil
}

// ReviewAnswer is an advisor's answer as entered.
type ReviewAnswer struct {
	Answer string `json:"answer"`
}

// validate trims the answer and checks it: required, at most
// compliance.MaxReviewAnswer characters.
func (in ReviewAnswer) validate() (string, error) {
	a := strings.TrimSpace(in.Answer)
	switch {
	case a == "":
		return "", invalid(ecrm.FieldError{Field: "answer", Message: "console.review.error.answer_required"})
	case len([]rune(a)) > compliance.MaxReviewAnswer:
		return "", invalid(ecrm.FieldError{Field: "answer", Message: "console.review.error.answer_too_long"})
	}
	return a, nil
}

const qAnswerReview = `
UPDATE human_review_requests h
SET status = 'answered', answered_by = $2, answered_at = $3, answer = $4
FROM clients c
WHERE h.id = $1 AND c.id = h.client_id AND c.advisor_id = $2 AND h.status = 'open'
RETURNING h.id`

var errReviewAnswered = ecrm.Errorf(ecrm.ECONFLICT, "console.review.error.already_answered")

// AnswerReview answers an open request of a client in the advisor's book
// (sc is a WriteScope). A request outside the book is not found, whatever
// the answer; one already answered is ECONFLICT.
func (s *Store) AnswerReview(ctx context.Context, sc Scope, id int64, in ReviewAnswer) (*ReviewRequest, error) {
	var out *ReviewRequest
	err := pgdb.Transact(ctx, s.pool, pgx.ReadCommitted, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, qReview, id, sc.advisorFilter())
		if err != nil {
			return fmt.Errorf("review request %d: %w", id, err)
		}
		r, err := pgx.CollectExactlyOneRow(rows, func(row pgx.CollectableRow) (ReviewRequest, error) { return scanReview(row, new(*int64)) })
		if errors.Is(err, pgx.ErrNoRows) {
			return errReviewNotFound
		}
		if err != nil {
			return fmt.Errorf("review request %d: %w", id, err)
		}
		answer, err := in.validate()
		if err != nil {
			return err
		}
		now := s.now().UTC().Truncate(time.Microsecond)
		var got int64
		err = tx.QueryRow(ctx, qAnswerReview, id, sc.StaffID, now, answer).Scan(&got)
		if errors.Is(err, pgx.ErrNoRows) {
			return errReviewAnswered
		}
		if err != nil {
			return fmt.Errorf("answer review request %d: %w", id, err)
		}
		r.Status, r.Answer, r.AnsweredAt = compliance.HumanReviewAnswered, answer, &now
		if err := tx.QueryRow(ctx, `SELECT display_name FROM staff_users WHERE id = $1`, sc.StaffID).Scan(&r.AnsweredBy); err != nil {
			return fmt.Errorf("answer review request %d: %w", id, err)
		}
		out = &r
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
