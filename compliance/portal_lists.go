package compliance

import (
	"context"
	"fmt"
	"time"

	"github.com/ecrm-project/ecrm"
	"github.com/jackc/pgx/v5"
)

// The client's "My offers" and "Messages": every offer shown to her, newest
// first, with where it stands, and every answer from her advisor to a
// request for review. Both read by client id in SQL, like every portal read.

// OffersPageSize is how many offers a page of "My offers" lists.
const OffersPageSize = 50

// OfferSummary is one shown offer in the client's list.
type OfferSummary struct {
	Seq         int64
	RecordedAt  time.Time
	Channel     string
	ProductCode string
	ProductName ecrm.Text
	Provider    string
	// State is the offer's state as on its page (Explanation.State).
	State string
	// AnsweredReview is true when a review request of the offer has been
	// answered.
	AnsweredReview bool
}

const qClientOffers = `
SELECT d.seq, d.recorded_at, d.channel, coalesce(p.code, ''), json_build_object('en', pv.name, 'ro', pv.name_ro), coalesce(p.provider, ''),
       coalesce((SELECT r.outcome FROM decision_records r
                 WHERE r.refers_to = d.seq AND r.client_id = d.client_id AND r.kind = 'response'
                 ORDER BY r.seq DESC LIMIT 1), ''),
       EXISTS (SELECT 1 FROM human_review_requests h WHERE h.decision_seq = d.seq AND h.client_id = d.client_id AND h.status = 'open'),
       EXISTS (SELECT 1 FROM human_review_requests h WHERE h.decision_seq = d.seq AND h.client_id = d.client_id AND h.status = 'answered')
FROM decision_records d
LEFT JOIN products p ON p.id = d.product_id
LEFT JOIN product_versions pv ON pv.id = d.product_version_id
WHERE d.client_id = $1 AND d.kind = 'offer_shown' AND ($2::bigint = 0 OR d.seq < $2)
ORDER BY d.seq DESC
LIMIT $3`

// Offers lists the client's shown offers, newest first, OffersPageSize a
// page; before is the seq the page starts below (0: the newest). next is
// the before of the following page, 0 when there is none.
func (p *Portal) Offers(ctx context.Context, clientID, before int64) (list []OfferSummary, next int64, err error) {
	rows, err := p.pool.Query(ctx, qClientOffers, clientID, before, OffersPageSize+1)
	if err != nil {
		return nil, 0, fmt.Errorf("list offers of client %d: %w", clientID, err)
	}
	list, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (OfferSummary, error) {
		var o OfferSummary
		var outcome string
		var openReview bool
		err := row.Scan(&o.Seq, &o.RecordedAt, &o.Channel, &o.ProductCode, &o.ProductName, &o.Provider, &outcome, &openReview, &o.AnsweredReview)
		switch {
		case outcome != "":
			o.State = outcome
		case openReview:
			o.State = OfferStateReviewRequested
		default:
			o.State = OfferStateOpen
		}
		return o, err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("list offers of client %d: %w", clientID, err)
	}
	if len(list) > OffersPageSize {
		list = list[:OffersPageSize]
		next = list[len(list)-1].Seq
	}
	return list, next, nil
}

// Message is a request for review the client made and, once answered, her
// advisor's answer.
type Message struct {
	HumanReview
	ProductName ecrm.Text
	ProductCode string
	// Unread is true for an answer the client has not opened yet.
	Unread bool
}

const qClientMessages = `
SELECT h.id, h.client_id, h.decision_seq, h.request_seq, h.message, h.requested_at, h.status,
       coalesce(h.answer, ''), h.answered_at, coalesce(s.display_name, ''),
       json_build_object('en', pv.name, 'ro', pv.name_ro), coalesce(p.code, ''), h.status = 'answered' AND h.client_read_at IS NULL
FROM human_review_requests h
JOIN decision_records d ON d.seq = h.decision_seq AND d.client_id = h.client_id
LEFT JOIN products p ON p.id = d.product_id
LEFT JOIN product_versions pv ON pv.id = d.product_version_id
LEFT JOIN staff_users s ON s.id = h.answered_by
WHERE h.client_id = $1
ORDER BY coalesce(h.answered_at, h.requested_at) DESC, h.id DESC
LIMIT 200`

// Messages lists the client's review requests and the answers, the most
// recent first (at most 200).
func (p *Portal) Messages(ctx context.Context, clientID int64) ([]Message, error) {
	rows, err := p.pool.Query(ctx, qClientMessages, clientID)
	if err != nil {
		return nil, fmt.Errorf("messages of client %d: %w", clientID, err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Message, error) {
		var m Message
		h := &m.HumanReview
		err := row.Scan(&h.ID, &h.ClientID, &h.DecisionSeq, &h.RequestSeq, &h.Message, &h.RequestedAt, &h.Status,
			&h.Answer, &h.AnsweredAt, &h.AnsweredBy, &m.ProductName, &m.ProductCode, &m.Unread)
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("messages of client %d: %w", clientID, err)
	}
	return list, nil
}

// OpenMessages is Messages as the client opens them: the answers listed are
// read from then on (Unread still marks them in the list returned).
func (p *Portal) OpenMessages(ctx context.Context, clientID int64) ([]Message, error) {
	list, err := p.Messages(ctx, clientID)
	if err != nil {
		return nil, err
	}
	if err := p.MarkAnswersRead(ctx, clientID, 0); err != nil {
		return nil, err
	}
	return list, nil
}

// UnreadAnswers counts the advisor's answers the client has not read yet
// (the portal's notice and the badge of "Messages").
func (p *Portal) UnreadAnswers(ctx context.Context, clientID int64) (int, error) {
	var n int
	err := p.pool.QueryRow(ctx, `SELECT count(*) FROM human_review_requests
		WHERE client_id = $1 AND status = 'answered' AND client_read_at IS NULL`, clientID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("unread answers of client %d: %w", clientID, err)
	}
	return n, nil
}

// MarkAnswersRead records that the client read the answers to her review
// requests of offer seq, or all of them when seq is 0.
func (p *Portal) MarkAnswersRead(ctx context.Context, clientID, seq int64) error {
	_, err := p.pool.Exec(ctx, `UPDATE human_review_requests SET client_read_at = now()
		WHERE client_id = $1 AND status = 'answered' AND client_read_at IS NULL AND ($2::bigint = 0 OR decision_seq = $2)`, clientID, seq)
	if err != nil {
		return fmt.Errorf("mark answers read for client %d: %w", clientID, err)
	}
	return nil
}

// MarkViewed records the first time the client opened her shown offer seq
// (its page, or the API's offer): a campaign counts it as opened, without
// a tracking pixel in its e-mail. Later views change nothing; the offer
// log itself is not touched.
func (p *Portal) MarkViewed(ctx context.Context, clientID, seq int64) error {
	_, err := p.pool.Exec(ctx, `INSERT INTO offer_views (decision_seq, client_id, first_viewed_at)
		SELECT d.seq, d.client_id, $3 FROM decision_records d
		WHERE d.seq = $1 AND d.client_id = $2 AND d.kind = 'offer_shown'
		ON CONFLICT (decision_seq) DO NOTHING`, seq, clientID, p.log.Now())
	if err != nil {
		return fmt.Errorf("mark offer %d viewed by client %d: %w", seq, clientID, err)
	}
	return nil
}
