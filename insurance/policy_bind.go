package insurance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/pgdb"
)

// Binding (issue 16, item 4): one click turns a quote into a policy in
// force. It is idempotent twice over: the client's key (the
// Idempotency-Key header, or the Buy form's token) answers with the policy
// it bound, and a quote binds at most one policy (insurance_policies
// quote_id is unique and the quote is marked bound in the same
// transaction), so a double click, a retried request or two tabs give one
// policy.
//
// Before binding, the quote is re-priced under the programme's versions
// in force (the rating part's Reprice) and its questionnaire versions are
// compared with the newest imported: if the product, rules or rating
// version, the outcome, the premium or a questionnaire changed, or the
// quote expired or was withdrawn, nothing is bound — the quote is marked
// superseded and the client is shown the new terms and sent back to choose
// again (the programmes are presented again through the gate). A quote is
// never bound at an old price silently.

// PolicyQuotes is what binding needs of the quotes (the rating part's
// Programmes).
type PolicyQuotes interface {
	Reprice(ctx context.Context, clientID, quoteID int64) (*Repricing, error)
	Supersede(ctx context.Context, clientID, quoteID int64) (bool, error)
}

// PolicyBinder binds quotes into policies.
type PolicyBinder struct {
	pool   *pgxpool.Pool
	quotes PolicyQuotes
	// Now is the clock (tests set it).
	Now func() time.Time
}

// NewPolicyBinder binds the quotes of quotes.
func NewPolicyBinder(pool *pgxpool.Pool, quotes PolicyQuotes) *PolicyBinder {
	return &PolicyBinder{pool: pool, quotes: quotes, Now: time.Now}
}

// BindResult is what a bind did: a policy (Created when this call bound
// it), or, when the quote changed, the re-pricing and nothing bound.
type BindResult struct {
	PolicyID int64
	Created  bool
	// Repriced is set when nothing was bound: the quote's terms changed.
	Repriced *Repricing
	// Changes name what changed (the rating part's, and
	// questionnaire_version).
	Changes []string
}

// Bind errors.
var (
	ErrBindKey = ecrm.FieldErrorf("Idempotency-Key", "is required (1 to 200 characters) to bind a quote: the same key again answers with the same policy")
	// ErrBindKeyReused: the key bound another quote.
	ErrBindKeyReused = &ecrm.Error{Code: ecrm.ECONFLICT, Field: "Idempotency-Key",
		Message: "This Idempotency-Key already bound another quote: use a new key for each quote."}
	// ErrQuoteNotBindable: superseded, expired or bound to nothing.
	ErrQuoteNotBindable = &ecrm.Error{Code: ecrm.ECONFLICT, Field: "id",
		Message: "This quote can no longer be bound: choose a programme again to get a new quote."}
	// ErrQuoteReferred: an underwriter must look at the answers first.
	ErrQuoteReferred = &ecrm.Error{Code: ecrm.ECONFLICT, Field: "id",
		Message: "This quote needs an underwriter's review before a policy can be bound; your advisor will contact you."}
)

// Owns reports whether the quote is the client's (not found otherwise), so
// that a caller can ask for a fresh login only for the client's own quote.
func (b *PolicyBinder) Owns(ctx context.Context, clientID, quoteID int64) error {
	var one int
	err := b.pool.QueryRow(ctx, `SELECT 1 FROM insurance_quotes WHERE id = $1 AND client_id = $2`, quoteID, clientID).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return ecrm.Errorf(ecrm.ENOTFOUND, "No such quote.")
	}
	if err != nil {
		return fmt.Errorf("quote %d: %w", quoteID, err)
	}
	return nil
}

// Bind binds the client's quote with key.
func (b *PolicyBinder) Bind(ctx context.Context, clientID, quoteID int64, key string) (*BindResult, error) {
	if key == "" || len(key) > 200 {
		return nil, ErrBindKey
	}
	// The same key again, or the quote bound already: the same policy.
	if res, err := b.boundBefore(ctx, clientID, quoteID, key); res != nil || err != nil {
		return res, err
	}
	rep, err := b.quotes.Reprice(ctx, clientID, quoteID)
	if err != nil {
		return nil, err
	}
	q := rep.Quote
	if q.Status != "quoted" {
		return nil, ErrQuoteNotBindable
	}
	changes := slices.Clone(rep.Changes)
	changed, err := b.questionnairesChanged(ctx, q.QuestionnaireVersions)
	if err != nil {
		return nil, err
	}
	if changed {
		changes = append(changes, "questionnaire_version")
	}
	if rep.Changed || len(changes) > 0 {
		if _, err := b.quotes.Supersede(ctx, clientID, quoteID); err != nil {
			return nil, err
		}
		return &BindResult{Repriced: rep, Changes: changes}, nil
	}
	if q.Outcome != OutcomeAccept {
		return nil, ErrQuoteReferred
	}
	var id int64
	err = pgdb.Transact(ctx, b.pool, pgx.ReadCommitted, func(tx pgx.Tx) error {
		id = 0
		ok, err := MarkBoundTx(ctx, tx, clientID, quoteID)
		if err != nil || !ok {
			return err // !ok: bound meanwhile (read below)
		}
		id, err = b.insertPolicy(ctx, tx, clientID, q, key)
		return err
	})
	if pgdb.IsUniqueViolation(err, "insurance_policies_bind_key_idx") || err == nil && id == 0 {
		// A concurrent bind of the same quote or key won: its policy.
		if res, err := b.boundBefore(ctx, clientID, quoteID, key); res != nil || err != nil {
			return res, err
		}
		return nil, ErrQuoteNotBindable
	}
	if err != nil {
		return nil, err
	}
	return &BindResult{PolicyID: id, Created: true}, nil
}

// boundBefore finds the policy the key or the quote bound.
func (b *PolicyBinder) boundBefore(ctx context.Context, clientID, quoteID int64, key string) (*BindResult, error) {
	var id int64
	var quote *int64
	err := b.pool.QueryRow(ctx, `SELECT id, quote_id FROM insurance_policies WHERE client_id = $1 AND (bind_key = $2 OR quote_id = $3)
		ORDER BY (bind_key = $2) DESC LIMIT 1`, clientID, key, quoteID).Scan(&id, &quote)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("bind quote %d: %w", quoteID, err)
	}
	if quote == nil || *quote != quoteID {
		return nil, ErrBindKeyReused
	}
	return &BindResult{PolicyID: id}, nil
}

// questionnairesChanged: a questionnaire the quote's answers answered has
// a newer version imported (the newest import of a url is its current
// version, as the journey reads it).
func (b *PolicyBinder) questionnairesChanged(ctx context.Context, versions map[string]string) (bool, error) {
	if len(versions) == 0 {
		return false, nil
	}
	urls := make([]string, 0, len(versions))
	for u := range versions {
		urls = append(urls, u)
	}
	rows, err := b.pool.Query(ctx, `SELECT DISTINCT ON (url) url, version FROM questionnaires WHERE url = ANY ($1)
		ORDER BY url, imported_at DESC, id DESC`, urls)
	if err != nil {
		return false, fmt.Errorf("questionnaire versions: %w", err)
	}
	current, err := pgx.CollectRows(rows, pgx.RowToStructByPos[struct{ URL, Version string }])
	if err != nil {
		return false, fmt.Errorf("questionnaire versions: %w", err)
	}
	for _, c := range current {
		if versions[c.URL] != c.Version {
			return true, nil
		}
	}
	return false, nil
}

// policyLineCodes are the policy numbers' line codes (as the demo data
// set writes them).
var policyLineCodes = map[string]string{"life": "LIF", "health": "HLT", "home": "HOM", "motor": "MOT", "travel": "TRV", "liability": "LIA", "accident": "ACC"}

// policyInsurerPrefix is the first three letters of the insurer's name,
// upper case, as a policy number's prefix.
func policyInsurerPrefix(insurer string) string {
	var b strings.Builder
	for _, r := range insurer {
		if r < unicode.MaxASCII && unicode.IsLetter(r) {
			b.WriteRune(unicode.ToUpper(r))
			if b.Len() == 3 {
				break
			}
		}
	}
	if b.Len() == 0 {
		return "POL"
	}
	return b.String()
}

// insertPolicy writes the policy and its premium schedule.
func (b *PolicyBinder) insertPolicy(ctx context.Context, tx pgx.Tx, clientID int64, q *Quote, key string) (int64, error) {
	code, ok := policyLineCodes[q.Line]
	if !ok {
		return 0, fmt.Errorf("bind quote %d: line %q", q.ID, q.Line)
	}
	schedule, err := PremiumSchedule(q.Premium, q.Frequency, q.StartsOn, q.TermMonths)
	if err != nil {
		return 0, fmt.Errorf("bind quote %d: %w", q.ID, err)
	}
	if !q.SumInsured.Amount.IsPositive() {
		return 0, fmt.Errorf("bind quote %d: no sum insured", q.ID)
	}
	// The terms and conditions are the catalogue version the programme
	// was quoted under.
	var terms string
	if err := tx.QueryRow(ctx, `SELECT p.code || ' v' || v.version FROM product_versions v JOIN products p ON p.id = v.product_id
		WHERE v.id = $1`, q.ProductVersionID).Scan(&terms); err != nil {
		return 0, fmt.Errorf("bind quote %d: terms: %w", q.ID, err)
	}
	answers, err := json.Marshal(q.Answers)
	if err != nil {
		return 0, err
	}
	versions, err := json.Marshal(q.QuestionnaireVersions)
	if err != nil {
		return 0, err
	}
	// A renewal journey's policy renews the policy the journey was
	// started from (the client's own).
	var renews *int64
	err = tx.QueryRow(ctx, `SELECT j.renews_policy_id FROM insurance_journeys j
		WHERE j.id = $1 AND j.client_id = $2
		  AND EXISTS (SELECT 1 FROM insurance_policies p WHERE p.id = j.renews_policy_id AND p.client_id = $2)`, q.JourneyID, clientID).Scan(&renews)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("bind quote %d: journey: %w", q.ID, err)
	}
	var id int64
	if err := tx.QueryRow(ctx, `SELECT nextval(pg_get_serial_sequence('insurance_policies', 'id'))`).Scan(&id); err != nil {
		return 0, err
	}
	now := b.Now()
	// premium is one regular instalment (the last: the first carries the
	// remainder cents), as insurance_policies.premium holds it.
	_, err = tx.Exec(ctx, `INSERT INTO insurance_policies (id, client_id, product_id, policy_number, insurer, line, status, starts_on, ends_on,
		sum_insured, premium, currency, premium_frequency, short_term, quote_id, journey_id, terms_version, answers, questionnaire_versions,
		term_premium, bound_at, bind_key, created_at, renews_policy_id)
	VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, $8, $9, $10, $11, $12, true, $13, $14, $15, $16, $17, $18, $19, $20, $19, $21)`,
		id, clientID, q.ProductID, fmt.Sprintf("%s-%s-%08d", policyInsurerPrefix(q.Insurer), code, id), q.Insurer, q.Line,
		q.StartsOn, PolicyEndsOn(q.StartsOn, q.TermMonths), q.SumInsured.Amount, schedule[len(schedule)-1].Amount, q.Premium.Currency,
		q.Frequency, q.ID, q.JourneyID, terms, answers, versions, q.Premium.Amount, now, key, renews)
	if err != nil {
		return 0, fmt.Errorf("bind quote %d: %w", q.ID, err)
	}
	for _, in := range schedule {
		if _, err := tx.Exec(ctx, `INSERT INTO premium_instalments (policy_id, client_id, due_on, amount, currency, status)
			VALUES ($1, $2, $3, $4, $5, 'scheduled')`, id, clientID, in.DueOn, in.Amount, q.Premium.Currency); err != nil {
			return 0, fmt.Errorf("bind quote %d: instalment: %w", q.ID, err)
		}
	}
	return id, nil
}
