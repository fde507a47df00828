package risk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/jobs"
	"github.com/ecrm-project/ecrm/internal/pgdb"
)

// Suitability keeps questionnaire responses and reads a client's risk
// profile: the assessment in force, whether it should be asked again, and
// the last answers to start from.
//
// A profile is stale, and the client is asked to review it, when it is
// older than MaxAge (ECRM_SUITABILITY_MAX_AGE, two years by default), or
// when the client's income or employment changed after it (profile_changes
// records every edit of the client's profile). The offer gate keeps its own,
// longer limit (three years) beyond which it treats the client as not
// assessed at all: between the two the profile still counts, and the
// client is reminded to review it.
type Suitability struct {
	pool *pgxpool.Pool
	// MaxAge is how long an assessment lasts before it is asked again.
	MaxAge Period
	Now    func() time.Time
	// queue, when set, re-evaluates the client's hedging rules with the
	// new loss capacity, queued with the assessment.
	queue *jobs.Queue
}

// SetQueue queues the re-evaluation of the hedging rules of a client whose
// profile changed.
func (s *Suitability) SetQueue(q *jobs.Queue) { s.queue = q }

// DefaultMaxAge is the review cycle when ECRM_SUITABILITY_MAX_AGE is not set.
var DefaultMaxAge = Period{Years: 2}

// NewSuitability reads and writes profiles in pool's database.
func NewSuitability(pool *pgxpool.Pool, maxAge Period) *Suitability {
	if maxAge.IsZero() {
		maxAge = DefaultMaxAge
	}
	return &Suitability{pool: pool, MaxAge: maxAge, Now: time.Now}
}

// Period is a calendar period: a number of years, months or days, added
// to a date as a calendar does (time.AddDate).
type Period struct{ Years, Months, Days int }

// IsZero reports whether the period is empty.
func (p Period) IsZero() bool { return p == Period{} }

// After returns t plus the period.
func (p Period) After(t time.Time) time.Time { return t.AddDate(p.Years, p.Months, p.Days) }

// String writes the period as ParsePeriod reads it.
func (p Period) String() string {
	switch {
	case p.Years != 0:
		return strconv.Itoa(p.Years) + "y"
	case p.Months != 0:
		return strconv.Itoa(p.Months) + "mo"
	}
	return strconv.Itoa(p.Days) + "d"
}

var periodPattern = regexp.MustCompile(`^([1-9][0-9]{0,3})(y|mo|d)$`)

// ParsePeriod reads "2y", "18mo" or "730d".
func ParsePeriod(s string) (Period, error) {
	m := periodPattern.FindStringSubmatch(s)
	if m == nil {
		return Period{}, fmt.Errorf("%q is not a period such as 2y, 18mo or 730d", s)
	}
	n, _ := strconv.Atoi(m[1])
	switch m[2] {
	case "y":
		return Period{Years: n}, nil
	case "mo":
		return Period{Months: n}, nil
	}
	return Period{Days: n}, nil
}

// Profile statuses.
const (
	StatusNone    = "none"
	StatusCurrent = "current"
	StatusStale   = "stale"
)

// Reasons a profile is stale.
const (
	StaleAge        = "age"
	StaleIncome     = "income_changed"
	StaleEmployment = "employment_changed"
)

// Who completed a questionnaire.
const (
	CompletedByClient  = "client"
	CompletedByAdvisor = "advisor_with_client"
)

// RiskProfile is a client's risk profile as the portal, the API and the
// advisor show it.
type RiskProfile struct {
	ClientID int64  `json:"client_id"`
	Status   string `json:"status"`
	// StaleReasons say why a stale profile should be reviewed.
	StaleReasons []string `json:"stale_reasons"`
	// ReviewDue is when the assessment in force goes stale by age.
	ReviewDue *time.Time `json:"review_due"`
	// Stated is the assessment in force, nil when there is none.
	Stated *StatedProfile `json:"assessment"`
	// Answers are the last questionnaire's answers, to start a review
	// from; nil when the client never answered it.
	Answers Answers `json:"answers"`
	// Currency is the client's own currency, the form's default.
	Currency string `json:"-"`
	// ClientName is the client's name (for the advisor's page).
	ClientName string `json:"-"`
}

// StatedProfile is the assessment in force (risk_assessments) and, when it
// came from this questionnaire, how it was scored.
type StatedProfile struct {
	AssessmentID int64      `json:"id"`
	RiskClass    int        `json:"risk_class"`
	LossCapacity ecrm.Money `json:"loss_capacity"`
	// Knowledge is a level per product type, as the gate reads it.
	Knowledge            map[string]string `json:"knowledge"`
	Objective            string            `json:"objective"`
	HorizonMonths        int               `json:"horizon_months"`
	QuestionnaireVersion string            `json:"questionnaire_version"`
	// Source is questionnaire, advisor or import.
	Source string `json:"source"`
	// AssessedBy is the advisor who completed it with the client.
	AssessedBy string    `json:"assessed_by,omitempty"`
	AssessedAt time.Time `json:"assessed_at"`
	// CompletedBy is client or advisor_with_client; empty for an
	// assessment that did not come from this questionnaire (imported,
	// or recorded before it).
	CompletedBy string `json:"completed_by,omitempty"`
	// Result is the questionnaire's scoring, with CompletedBy.
	Result *Result `json:"result,omitempty"`
}

// responseScores is suitability_responses.section_scores: each section's
// points with the derivation, what limited the class and each type's level.
type responseScores struct {
	Scores
	LimitedBy []string          `json:"limited_by"`
	Levels    map[string]string `json:"levels"`
}

// Completion says who completed a questionnaire and under which
// idempotency key.
type Completion struct {
	// StaffID is the advisor who completed it with the client; 0 when
	// the client completed it in the portal.
	StaffID int64
	// Key makes a resent submission the same response (the form's hidden
	// key, an API call's Idempotency-Key); empty for none.
	Key string
}

// Submitted is a stored response.
type Submitted struct {
	ResponseID   int64
	AssessmentID int64
	Result       Result
	// Created is false when the key had been used: the response is the
	// earlier one, and nothing was written.
	Created bool
}

// ErrNoSuchClient is the answer for a client out of reach: unknown, or not
// served by the advisor asking.
var ErrNoSuchClient = ecrm.Errorf(ecrm.ENOTFOUND, "There is no such client.")

// maxKey bounds an idempotency key (suitability_responses).
const maxKey = 200

// Submit scores the answers and, when they are valid, writes the response
// and the risk_assessments row the gate reads in one transaction: the
// assessment's source is questionnaire (the client in the portal) or
// advisor (with assessed_by, when an advisor completed it with the
// client). An advisor reaches only the clients they serve, checked in SQL.
// Invalid answers write nothing.
func (s *Suitability) Submit(ctx context.Context, clientID int64, a Answers, c Completion, l *i18n.Localizer) (Submitted, error) {
	if len(c.Key) > maxKey {
		return Submitted{}, ecrm.FieldErrorf("Idempotency-Key", "%s", l.T("suitability.error.key"))
	}
	r, err := ScoreAnswers(a, l)
	if err != nil {
		return Submitted{}, err
	}
	answers, err := json.Marshal(a)
	if err != nil {
		return Submitted{}, err
	}
	scores, err := json.Marshal(responseScores{Scores: r.Scores, LimitedBy: r.LimitedBy, Levels: r.Knowledge})
	if err != nil {
		return Submitted{}, err
	}
	knowledge, err := json.Marshal(r.AssessmentKnowledge())
	if err != nil {
		return Submitted{}, err
	}
	source, completedBy := "questionnaire", CompletedByClient
	var key *string
	var staffID *int64
	if c.StaffID != 0 {
		source, completedBy, staffID = "advisor", CompletedByAdvisor, &c.StaffID
	}
	if c.Key != "" {
		key = &c.Key
	}
	now := s.Now().UTC().Truncate(time.Microsecond)
	out := Submitted{Result: r, Created: true}
	err = pgdb.Transact(ctx, s.pool, pgx.ReadCommitted, func(tx pgx.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, `SELECT id FROM clients WHERE id = $1 AND ($2::bigint IS NULL OR advisor_id = $2)`, clientID, staffID).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNoSuchClient
		}
		if err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `
INSERT INTO risk_assessments (client_id, risk_class, loss_capacity, loss_capacity_currency, knowledge, objective, horizon_months,
                              questionnaire_version, source, assessed_by, assessed_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
			clientID, r.RiskClass, r.LossCapacity.Amount, r.LossCapacity.Currency, knowledge, r.Objective, r.HorizonMonths,
			ScoringVersion, source, staffID, now).Scan(&out.AssessmentID); err != nil {
			return err
		}
		if s.queue != nil {
			if err := s.queue.InsertTx(ctx, tx, HedgeTriggersArgs{ClientID: clientID}); err != nil {
				return err
			}
		}
		return tx.QueryRow(ctx, `
INSERT INTO suitability_responses (client_id, assessment_id, scoring_version, answers, section_scores, risk_class, loss_capacity, currency,
                                   completed_by, staff_id, idempotency_key, completed_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
			clientID, out.AssessmentID, ScoringVersion, answers, scores, r.RiskClass, r.LossCapacity.Amount, r.LossCapacity.Currency,
			completedBy, staffID, key, now).Scan(&out.ResponseID)
	})
	if key != nil && pgdb.IsUniqueViolation(err, "suitability_responses_client_id_idempotency_key_key") {
		return s.byKey(ctx, clientID, c.Key, l)
	}
	if err != nil {
		return Submitted{}, fmt.Errorf("store the questionnaire of client %d: %w", clientID, err)
	}
	return out, nil
}

// byKey returns the response stored under an idempotency key.
func (s *Suitability) byKey(ctx context.Context, clientID int64, key string, l *i18n.Localizer) (Submitted, error) {
	var out Submitted
	var answers Answers
	err := s.pool.QueryRow(ctx, `SELECT id, assessment_id, answers FROM suitability_responses WHERE client_id = $1 AND idempotency_key = $2`,
		clientID, key).Scan(&out.ResponseID, &out.AssessmentID, &answers)
	if err != nil {
		return Submitted{}, fmt.Errorf("questionnaire of client %d by key: %w", clientID, err)
	}
	if out.Result, err = ScoreAnswers(answers, l); err != nil {
		return Submitted{}, err
	}
	return out, nil
}

// profileSQL reads the client (in the caller's reach), the assessment in
// force with its response, whether income or employment changed since,
// and the last answers. $2 is the advisor who must serve the client, NULL
// for the client herself.
const profileSQL = `
SELECT c.given_name || ' ' || c.family_name, coalesce(c.base_currency, c.income_currency, ''),
       a.id, a.risk_class, a.loss_capacity, a.loss_capacity_currency, a.knowledge, a.objective, a.horizon_months,
       a.questionnaire_version, a.source, coalesce(s.display_name, ''), a.assessed_at,
       r.completed_by, r.section_scores,
       coalesce(EXISTS (SELECT 1 FROM profile_changes pc WHERE pc.client_id = c.id AND pc.field = 'annual_income'
                        AND pc.changed_at > a.assessed_at), false),
       coalesce(EXISTS (SELECT 1 FROM profile_changes pc WHERE pc.client_id = c.id AND pc.field IN ('employment_status', 'employer')
                        AND pc.changed_at > a.assessed_at), false),
       (SELECT lr.answers FROM suitability_responses lr WHERE lr.client_id = c.id ORDER BY lr.completed_at DESC, lr.id DESC LIMIT 1)
FROM clients c
LEFT JOIN LATERAL (
    SELECT * FROM risk_assessments ra WHERE ra.client_id = c.id AND ra.assessed_at <= $3
    ORDER BY ra.assessed_at DESC, ra.id DESC LIMIT 1) a ON true
LEFT JOIN suitability_responses r ON r.assessment_id = a.id
LEFT JOIN staff_users s ON s.id = a.assessed_by
WHERE c.id = $1 AND ($2::bigint IS NULL OR c.advisor_id = $2)`

// Profile reads the client's own risk profile.
func (s *Suitability) Profile(ctx context.Context, clientID int64) (*RiskProfile, error) {
	return s.profile(ctx, clientID, nil)
}

// ProfileForAdvisor reads the profile of a client the advisor serves;
// any other client is ErrNoSuchClient.
func (s *Suitability) ProfileForAdvisor(ctx context.Context, clientID, staffID int64) (*RiskProfile, error) {
	return s.profile(ctx, clientID, &staffID)
}

// ProfileForStaff reads any client's profile, for staff whose own scope
// was checked by the caller (the advisor's 360).
func (s *Suitability) ProfileForStaff(ctx context.Context, clientID int64) (*RiskProfile, error) {
	return s.profile(ctx, clientID, nil)
}

func (s *Suitability) profile(ctx context.Context, clientID int64, staffID *int64) (*RiskProfile, error) {
	return s.profileAt(ctx, clientID, staffID, s.Now())
}

// profileAt reads the profile as it stands at now.
func (s *Suitability) profileAt(ctx context.Context, clientID int64, staffID *int64, now time.Time) (*RiskProfile, error) {
	p := &RiskProfile{ClientID: clientID, Status: StatusNone, StaleReasons: []string{}}
	var (
		id, class, horizon                   *int64
		capacity                             *decimal.Decimal
		currency, objective, version, source *string
		completedBy                          *string
		knowledge, scores, answers           []byte
		assessedBy                           string
		assessedAt                           *time.Time
		incomeChanged, employmentChanged     bool
	)
	err := s.pool.QueryRow(ctx, profileSQL, clientID, staffID, now).Scan(&p.ClientName, &p.Currency,
		&id, &class, &capacity, &currency, &knowledge, &objective, &horizon, &version, &source, &assessedBy, &assessedAt,
		&completedBy, &scores, &incomeChanged, &employmentChanged, &answers)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNoSuchClient
	}
	if err != nil {
		return nil, fmt.Errorf("risk profile of client %d: %w", clientID, err)
	}
	if answers != nil {
		if err := json.Unmarshal(answers, &p.Answers); err != nil {
			return nil, fmt.Errorf("risk profile of client %d: answers: %w", clientID, err)
		}
	}
	if id == nil {
		return p, nil
	}
	st := &StatedProfile{AssessmentID: *id, RiskClass: int(*class), LossCapacity: ecrm.Money{Amount: *capacity, Currency: *currency},
		Objective: *objective, HorizonMonths: int(*horizon), QuestionnaireVersion: *version, Source: *source,
		AssessedBy: assessedBy, AssessedAt: assessedAt.UTC(), Knowledge: map[string]string{}}
	if err := json.Unmarshal(knowledge, &st.Knowledge); err != nil {
		return nil, fmt.Errorf("risk profile of client %d: knowledge: %w", clientID, err)
	}
	if completedBy != nil {
		st.CompletedBy = *completedBy
		var stored responseScores
		if err := json.Unmarshal(scores, &stored); err != nil {
			return nil, fmt.Errorf("risk profile of client %d: scores: %w", clientID, err)
		}
		st.Result = &Result{Version: st.QuestionnaireVersion, RiskClass: st.RiskClass, LimitedBy: stored.LimitedBy,
			LossCapacity: st.LossCapacity, Objective: st.Objective, HorizonMonths: st.HorizonMonths, Knowledge: stored.Levels, Scores: stored.Scores}
	}
	p.Stated = st
	due := s.MaxAge.After(st.AssessedAt)
	p.ReviewDue = &due
	if !due.After(now) {
		p.StaleReasons = append(p.StaleReasons, StaleAge)
	}
	if incomeChanged {
		p.StaleReasons = append(p.StaleReasons, StaleIncome)
	}
	if employmentChanged {
		p.StaleReasons = append(p.StaleReasons, StaleEmployment)
	}
	p.Status = StatusCurrent
	if len(p.StaleReasons) > 0 {
		p.Status = StatusStale
	}
	return p, nil
}

// Behaviour measures the client's risk behaviour today (LoadBehaviour),
// for callers whose own scope was checked.
func (s *Suitability) Behaviour(ctx context.Context, clientID int64) (Behaviour, error) {
	return LoadBehaviour(ctx, s.pool, clientID, s.Now())
}
