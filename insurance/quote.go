package insurance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/compliance"
)

// Quotes (issue 16, item 3): the applicant chooses a programme the gate
// showed; the quote holds its premium, broken down, for QuoteValidity,
// with the answers and the exact versions it was rated under. Binding
// (the policies part) re-prices it first (Selector.Reprice) and never
// binds at an old price silently.

// Quote frequencies: how the premium is paid.
var Frequencies = []string{"single", "monthly", "quarterly"}

// Quote is one quote.
type Quote struct {
	ID                    int64             `json:"id"`
	JourneyID             int64             `json:"journey_id"`
	ProductID             int64             `json:"product_id"`
	ProductCode           string            `json:"product_code"`
	Name                  ecrm.Text         `json:"name"`
	Insurer               string            `json:"insurer"`
	Line                  string            `json:"line"`
	Outcome               Outcome           `json:"outcome"`
	Premium               ecrm.Money        `json:"premium"`
	Breakdown             []Factor          `json:"breakdown"`
	SumInsured            ecrm.Money        `json:"sum_insured"`
	Deductible            decimal.Decimal   `json:"deductible"`
	TermMonths            int               `json:"term_months"`
	StartsOn              time.Time         `json:"starts_on"`
	Frequency             string            `json:"frequency"`
	QuestionnaireVersions map[string]string `json:"questionnaire_versions"`
	Answers               Answers           `json:"-"`
	AsOf                  time.Time         `json:"as_of"`
	ProductVersionID      int64             `json:"product_version_id"`
	RulesVersionID        int64             `json:"-"`
	RatingVersionID       int64             `json:"-"`
	RulesVersion          int               `json:"rules_version"`
	RatingVersion         int               `json:"rating_version"`
	DecisionSeq           int64             `json:"decision_seq"`
	Status                string            `json:"status"`
	ExpiresAt             time.Time         `json:"expires_at"`
	CreatedAt             time.Time         `json:"created_at"`
}

// BindPath is where the policies part binds a quote (a POST).
func (q *Quote) BindPath() string { return fmt.Sprintf("/portal/insurance/quotes/%d/bind", q.ID) }

// Expired reports whether the quote can no longer be bound at its price.
func (q *Quote) Expired(now time.Time) bool { return q.Status == "expired" || !now.Before(q.ExpiresAt) }

// QuoteRequest is the applicant's choice.
type QuoteRequest struct {
	// Seq is the gate's decision record of the programme chosen.
	Seq       int64  `json:"decision_seq"`
	Frequency string `json:"frequency"`
	// StartsOn is YYYY-MM-DD; empty: the trip's start date for travel,
	// else tomorrow.
	StartsOn string `json:"starts_on,omitempty"`
	// Channel is where the client chose (web, mobile), for the offer
	// log's record of her interest.
	Channel string `json:"-"`
}

const quoteColumns = `q.id, q.journey_id, q.product_id, p.code, v.name, v.name_ro, p.provider, ip.line, q.outcome, q.premium, q.currency,
	q.breakdown, q.sum_insured, q.deductible, q.term_months, q.starts_on, q.frequency, q.questionnaire_versions, q.answers, q.as_of,
	q.product_version_id, q.rules_version_id, q.rating_version_id, q.rules_version, q.rating_version, q.decision_seq, q.status,
	q.expires_at, q.created_at`

const quoteFrom = `FROM insurance_quotes q JOIN products p ON p.id = q.product_id JOIN product_versions v ON v.id = q.product_version_id
	JOIN insurance_programmes ip ON ip.product_id = q.product_id`

func scanQuote(row pgx.Row) (*Quote, error) {
	var q Quote
	var breakdown, versions, answers []byte
	var premium, sum decimal.Decimal
	var ccy string
	err := row.Scan(&q.ID, &q.JourneyID, &q.ProductID, &q.ProductCode, &q.Name.EN, &q.Name.RO, &q.Insurer, &q.Line, &q.Outcome, &premium, &ccy,
		&breakdown, &sum, &q.Deductible, &q.TermMonths, &q.StartsOn, &q.Frequency, &versions, &answers, &q.AsOf,
		&q.ProductVersionID, &q.RulesVersionID, &q.RatingVersionID, &q.RulesVersion, &q.RatingVersion, &q.DecisionSeq, &q.Status,
		&q.ExpiresAt, &q.CreatedAt)
	if err != nil {
		return nil, err
	}
	q.Premium, q.SumInsured = ecrm.Money{Amount: premium, Currency: ccy}, ecrm.Money{Amount: sum, Currency: ccy}
	if err := errors.Join(json.Unmarshal(breakdown, &q.Breakdown), json.Unmarshal(versions, &q.QuestionnaireVersions),
		json.Unmarshal(answers, &q.Answers)); err != nil {
		return nil, fmt.Errorf("quote %d: %w", q.ID, err)
	}
	return &q, nil
}

var errNoQuote = ecrm.Errorf(ecrm.ENOTFOUND, "insurance.rating.error.no_quote")

// Quote returns the client's quote id.
func (p *Programmes) Quote(ctx context.Context, clientID, id int64) (*Quote, error) {
	return quoteOf(ctx, p.pool, clientID, id)
}

func quoteOf(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, clientID, id int64) (*Quote, error) {
	quote, err := scanQuote(q.QueryRow(ctx, `SELECT `+quoteColumns+` `+quoteFrom+` WHERE q.id = $1 AND q.client_id = $2`, id, clientID))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errNoQuote
	}
	return quote, err
}

// Quotes lists the client's quotes of a journey, newest first.
func (p *Programmes) Quotes(ctx context.Context, clientID, journeyID int64) ([]Quote, error) {
	rows, err := p.pool.Query(ctx, `SELECT `+quoteColumns+` `+quoteFrom+` WHERE q.client_id = $1 AND q.journey_id = $2
ORDER BY q.created_at DESC, q.id DESC LIMIT 50`, clientID, journeyID)
	if err != nil {
		return nil, fmt.Errorf("quotes of journey %d: %w", journeyID, err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Quote, error) {
		q, err := scanQuote(r)
		if err != nil {
			return Quote{}, err
		}
		return *q, nil
	})
}

// CreateQuote quotes the programme of decision req.Seq (shown to the
// client for journeyID) at its presented premium, idempotently: the same
// key again returns the same quote (created false). The answers must be
// those it was presented on, complete, and the programme accepted or
// referred; else nothing is written and the error says why.
func (p *Programmes) CreateQuote(ctx context.Context, clientID, journeyID int64, req QuoteRequest, key string) (*Quote, bool, error) {
	if key == "" || len(key) > 200 {
		return nil, false, ecrm.FieldErrorf("Idempotency-Key", "is required (at most 200 characters) to choose a programme")
	}
	if q, err := p.quoteByKey(ctx, clientID, key); err != nil || q != nil {
		return q, false, err
	}
	if req.Frequency == "" {
		req.Frequency = "single"
	}
	if !slices.Contains(Frequencies, req.Frequency) {
		return nil, false, ecrm.FieldErrorf("frequency", "must be one of single, monthly, quarterly")
	}
	if req.Seq <= 0 {
		return nil, false, ecrm.FieldErrorf("decision_seq", "names the programme chosen: the decision_seq of a programme presented")
	}
	in, terms, shown, err := recordedInputs(ctx, p.pool, clientID, req.Seq)
	if err != nil {
		return nil, false, err
	}
	if in.JourneyID != journeyID {
		return nil, false, errNoPresentation
	}
	if !shown {
		return nil, false, ecrm.Errorf(ecrm.ECONFLICT, "insurance.rating.error.withheld")
	}
	answers, err := p.journeys.Answers(ctx, clientID, journeyID)
	if err != nil {
		return nil, false, err
	}
	now, recorded := digestOr(answers), digestOr(in.Answers)
	if now != recorded {
		return nil, false, ecrm.Errorf(ecrm.ECONFLICT, "insurance.rating.error.answers_changed")
	}
	c, err := rateVersions(ctx, p.pool, in)
	if err != nil {
		return nil, false, err
	}
	if !c.Premium.Equal(terms.Premium.Amount) || c.Outcome != terms.Outcome {
		return nil, false, fmt.Errorf("programme decision %d: re-rated at %s %s, presented at %s %s", req.Seq, c.Outcome, c.Premium,
			terms.Outcome, terms.Premium.Amount)
	}
	switch {
	case c.Outcome == OutcomeDecline:
		return nil, false, ecrm.Errorf(ecrm.ECONFLICT, "insurance.rating.error.declined")
	case len(c.Missing) > 0:
		e := ecrm.Errorf(ecrm.EINVALID, "insurance.rating.error.incomplete")
		for _, m := range c.Missing {
			e.Fields = append(e.Fields, ecrm.FieldError{Field: m, Message: "is needed to quote"})
		}
		return nil, false, e
	}
	if c.TermMonths == 1 && req.Frequency != "single" {
		return nil, false, ecrm.FieldErrorf("frequency", "a one-month policy is paid in a single premium")
	}
	if c.TermMonths < 3 && req.Frequency == "quarterly" {
		return nil, false, ecrm.FieldErrorf("frequency", "quarterly instalments need a term of at least three months")
	}
	today := p.today()
	starts := today.AddDate(0, 0, 1)
	if d, ok := answers.date("travel.start_date"); ok && c.Line == "travel" && !d.Before(today) {
		starts = d
	}
	if req.StartsOn != "" {
		d, err := time.Parse(time.DateOnly, req.StartsOn)
		if err != nil || d.Before(today) || d.After(today.AddDate(0, 6, 0)) {
			return nil, false, ecrm.FieldErrorf("starts_on", "must be a date YYYY-MM-DD from today to six months ahead")
		}
		starts = d
	}
	versions, err := p.journeys.QuestionnaireVersions(ctx, clientID, journeyID)
	if err != nil {
		return nil, false, err
	}
	breakdown, err := json.Marshal(c.Breakdown)
	if err != nil {
		return nil, false, err
	}
	rawVersions, _ := json.Marshal(versions)
	rawAnswers, err := json.Marshal(answers)
	if err != nil {
		return nil, false, err
	}
	asOf, _ := time.Parse(time.DateOnly, in.AsOf)
	var rulesVersion, ratingVersion int
	fmt.Sscan(c.RulesVersion, &rulesVersion)
	fmt.Sscan(c.RatingVersion, &ratingVersion)
	channel := req.Channel
	if channel == "" {
		channel = "web"
	}
	inserted := false
	err = pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		// The offer log records the client's interest in the programme
		// she chose (once per presentation: a second quote of the same
		// programme adds none), in the quote's transaction.
		if p.responses != nil {
			var answered bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM decision_records WHERE refers_to = $1 AND kind = 'response')`,
				req.Seq).Scan(&answered); err != nil {
				return err
			}
			if !answered {
				if _, _, err := p.responses.RespondTx(ctx, tx, clientID, req.Seq, channel, string(compliance.OutcomeInterested), "quote/"+key); err != nil {
					return err
				}
			}
		}
		tag, err := tx.Exec(ctx, `
INSERT INTO insurance_quotes (client_id, journey_id, product_id, product_version_id, rules_version_id, rating_version_id,
    rules_version, rating_version, outcome, premium, currency, breakdown, sum_insured, deductible, term_months, starts_on, frequency,
    questionnaire_versions, answers, as_of, decision_seq, expires_at, idempotency_key)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)
ON CONFLICT (client_id, idempotency_key) DO NOTHING`,
			clientID, journeyID, c.ProductID, c.ProductVersionID, c.RulesVersionID, c.RatingVersionID, rulesVersion, ratingVersion,
			c.Outcome, c.Premium, c.Currency, breakdown, c.SumInsured, c.Deductible, c.TermMonths, starts, req.Frequency,
			rawVersions, rawAnswers, asOf, req.Seq, p.Now().Add(p.QuoteValidity), key)
		inserted = err == nil && tag.RowsAffected() == 1
		return err
	})
	if err != nil {
		return nil, false, fmt.Errorf("quote: %w", err)
	}
	q, err := p.quoteByKey(ctx, clientID, key)
	return q, err == nil && inserted, err
}

var errNoPresentation = ecrm.Errorf(ecrm.ENOTFOUND, "insurance.rating.error.no_presentation")

func digestOr(a Answers) string {
	d, err := answersDigest(a)
	if err != nil {
		return "!" + err.Error()
	}
	return d
}

func (p *Programmes) quoteByKey(ctx context.Context, clientID int64, key string) (*Quote, error) {
	q, err := scanQuote(p.pool.QueryRow(ctx, `SELECT `+quoteColumns+` `+quoteFrom+` WHERE q.client_id = $1 AND q.idempotency_key = $2`, clientID, key))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	return q, err
}

// Repricing is a quote re-rated under the versions in force.
type Repricing struct {
	Quote   *Quote    `json:"quote"`
	Current Candidate `json:"current"`
	// Changed is true when anything below differs: the quote must be
	// shown again (re-presented and re-quoted), never bound as it is.
	Changed bool `json:"changed"`
	// Changes name what differs: product_version, rules_version,
	// rating_version, outcome, premium, missing (answers now needed),
	// expired, withdrawn (the programme is no longer sold).
	Changes []string `json:"changes,omitempty"`
}

// Reprice re-rates the client's quote (see Selector.Reprice).
func (p *Programmes) Reprice(ctx context.Context, clientID, quoteID int64) (*Repricing, error) {
	return p.selector.Reprice(ctx, clientID, quoteID)
}

// Reprice re-rates the client's quote on its answers under the product,
// rules and rating versions in force today (in Zone) and says whether
// anything changed. The policies part calls it before binding; comparing
// the questionnaire versions with the journey's is the journey's to say.
// The quote is read for clientID only: another client's is not found.
func (s *Selector) Reprice(ctx context.Context, clientID, quoteID int64) (*Repricing, error) {
	q, err := quoteOf(ctx, s.pool, clientID, quoteID)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	out := &Repricing{Quote: q}
	if q.Expired(now) {
		out.Changes = append(out.Changes, "expired")
	}
	progs, err := s.current(ctx)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(progs, func(pr *programme) bool { return pr.Product.ID == q.ProductID })
	if i < 0 {
		out.Changes = append(out.Changes, "withdrawn")
		out.Changed = true
		return out, nil
	}
	y, m, d := now.In(s.Zone).Date()
	c, err := progs[i].candidate(newFacts(q.Answers, time.Date(y, m, d, 0, 0, 0, 0, time.UTC)))
	if err != nil {
		return nil, err
	}
	out.Current = c
	diff := func(what string, differs bool) {
		if differs {
			out.Changes = append(out.Changes, what)
		}
	}
	diff("product_version", c.ProductVersionID != q.ProductVersionID)
	diff("rules_version", c.RulesVersionID != q.RulesVersionID)
	diff("rating_version", c.RatingVersionID != q.RatingVersionID)
	diff("outcome", c.Outcome != q.Outcome)
	diff("premium", !c.Premium.Equal(q.Premium.Amount))
	diff("missing", len(c.Missing) > 0)
	out.Changed = len(out.Changes) > 0
	return out, nil
}

// MarkBoundTx marks the client's quote bound in the binding transaction;
// false when it was not quoted (bound, superseded or expired already).
func MarkBoundTx(ctx context.Context, tx pgx.Tx, clientID, quoteID int64) (bool, error) {
	tag, err := tx.Exec(ctx, `UPDATE insurance_quotes SET status = 'bound' WHERE id = $1 AND client_id = $2 AND status = 'quoted'`,
		quoteID, clientID)
	return tag.RowsAffected() == 1, err
}

// Supersede marks the client's quote superseded (a re-priced quote
// replaced it); true when it was quoted.
func (p *Programmes) Supersede(ctx context.Context, clientID, quoteID int64) (bool, error) {
	tag, err := p.pool.Exec(ctx, `UPDATE insurance_quotes SET status = 'superseded' WHERE id = $1 AND client_id = $2 AND status = 'quoted'`,
		quoteID, clientID)
	return tag.RowsAffected() == 1, err
}
