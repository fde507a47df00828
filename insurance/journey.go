package insurance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/pgdb"
)

// Journeys keeps applicants' insurance journeys: which sections apply,
// their answers as QuestionnaireResponses tied to the questionnaire
// version answered, saved at every change so that an abandoned journey
// keeps what was answered, and the events analytics counts. Every read
// and write names the client in SQL: a client reaches only her own
// journeys.
type Journeys struct {
	pool *pgxpool.Pool
	def  *JourneyDefinition
	Now  func() time.Time

	parsed definitions
}

// NewJourneys keeps journeys in pool's database under the shipped
// journey definition.
func NewJourneys(pool *pgxpool.Pool) (*Journeys, error) {
	def, err := LoadJourneyDefinition()
	if err != nil {
		return nil, err
	}
	return &Journeys{pool: pool, def: def, Now: time.Now}, nil
}

// Definition is the journey's definition.
func (j *Journeys) Definition() *JourneyDefinition { return j.def }

// Journey is one applicant's way through the sections.
type Journey struct {
	ID                int64      `json:"id"`
	Kind              string     `json:"kind"`
	RenewsPolicyID    *int64     `json:"renews_policy_id,omitempty"`
	PreviousJourneyID *int64     `json:"previous_journey_id,omitempty"`
	Status            string     `json:"status"`
	CurrentSection    string     `json:"current_section"`
	StartedAt         time.Time  `json:"started_at"`
	UpdatedAt         time.Time  `json:"updated_at"`
	CompletedAt       *time.Time `json:"completed_at,omitempty"`
}

// The journey's statuses.
const (
	JourneyInProgress = "in_progress"
	JourneyCompleted  = "completed"
)

// ErrJourneyNotFound: no such journey of this client (another client's
// journey is not found either).
var ErrJourneyNotFound = ecrm.Errorf(ecrm.ENOTFOUND, "No such insurance journey.")

// ErrSectionNotFound: the journey has no section by that name.
var ErrSectionNotFound = ecrm.Errorf(ecrm.ENOTFOUND, "No such section of the insurance journey.")

// ErrSectionNotApplicable: the section is not asked on the answers given.
var ErrSectionNotApplicable = ecrm.Errorf(ecrm.ECONFLICT, "This section does not apply to the answers given so far.")

// ErrJourneyCompleted: a completed journey's answers do not change (start
// a new one, or renew).
var ErrJourneyCompleted = ecrm.Errorf(ecrm.ECONFLICT, "This journey is completed; its answers no longer change.")

const journeyColumns = `id, kind, renews_policy_id, previous_journey_id, status, current_section, started_at, updated_at, completed_at`

func scanJourney(row pgx.Row) (*Journey, error) {
	var jn Journey
	err := row.Scan(&jn.ID, &jn.Kind, &jn.RenewsPolicyID, &jn.PreviousJourneyID, &jn.Status, &jn.CurrentSection, &jn.StartedAt,
		&jn.UpdatedAt, &jn.CompletedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrJourneyNotFound
	}
	return &jn, err
}

// Start opens a new journey for the client at the first section.
func (j *Journeys) Start(ctx context.Context, clientID int64) (int64, error) {
	first := j.def.Sections[0]
	var id int64
	err := pgdb.Transact(ctx, j.pool, pgx.ReadCommitted, func(tx pgx.Tx) error {
		qid, err := latestVersion(ctx, tx, first.URL)
		if err != nil {
			return err
		}
		now := j.Now()
		if err := tx.QueryRow(ctx, `
INSERT INTO insurance_journeys (client_id, kind, status, current_section, started_at, updated_at)
VALUES ($1, 'new', 'in_progress', $2, $3, $3) RETURNING id`, clientID, first.Key, now).Scan(&id); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO insurance_journey_events (journey_id, questionnaire_id, kind, at) VALUES ($1, $2, 'start', $3)`,
			id, qid, now)
		return err
	})
	return id, err
}

// latestVersion is the newest imported version of the questionnaire url.
func latestVersion(ctx context.Context, q querier, url string) (int64, error) {
	var id int64
	err := q.QueryRow(ctx, `SELECT id FROM questionnaires WHERE url = $1 ORDER BY imported_at DESC, id DESC LIMIT 1`, url).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("questionnaire %s is not imported (the server imports the journey's at start)", url)
	}
	return id, err
}

// List is the client's journeys, newest first.
func (j *Journeys) List(ctx context.Context, clientID int64) ([]Journey, error) {
	rows, err := j.pool.Query(ctx, `SELECT `+journeyColumns+` FROM insurance_journeys WHERE client_id = $1 ORDER BY started_at DESC, id DESC LIMIT 200`, clientID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Journey
	for rows.Next() {
		jn, err := scanJourney(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *jn)
	}
	return out, rows.Err()
}

// Get is one of the client's journeys.
func (j *Journeys) Get(ctx context.Context, clientID, journeyID int64) (*Journey, error) {
	return scanJourney(j.pool.QueryRow(ctx, `SELECT `+journeyColumns+` FROM insurance_journeys WHERE id = $1 AND client_id = $2`, journeyID, clientID))
}

// response is one stored QuestionnaireResponse of a journey.
type response struct {
	questionnaireID int64
	url             string
	status          string
	answers         Answers
	attention       []string
}

// responses are the journey's responses by questionnaire url.
func responses(ctx context.Context, q querier, clientID, journeyID int64) (map[string]*response, error) {
	rows, err := q.Query(ctx, `
SELECT r.questionnaire_id, q.url, r.status, r.answers, r.attention
FROM questionnaire_responses r JOIN questionnaires q ON q.id = r.questionnaire_id
WHERE r.journey_id = $1 AND r.client_id = $2`, journeyID, clientID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]*response{}
	for rows.Next() {
		var r response
		var raw []byte
		if err := rows.Scan(&r.questionnaireID, &r.url, &r.status, &raw, &r.attention); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(raw, &r.answers); err != nil {
			return nil, fmt.Errorf("response to %s: %w", r.url, err)
		}
		out[r.url] = &r
	}
	return out, rows.Err()
}

// questionnaire is the parsed version row id.
func (j *Journeys) questionnaire(ctx context.Context, q querier, id int64) (*Questionnaire, error) {
	return j.parsed.get(ctx, q, id)
}

// definitions holds questionnaire versions parsed, by row id: a row never
// changes once imported, so its parse is kept for the process.
type definitions struct {
	mu     sync.RWMutex
	parsed map[int64]*Questionnaire
}

// get is the parsed version row id, read and parsed the first time.
func (d *definitions) get(ctx context.Context, q querier, id int64) (*Questionnaire, error) {
	d.mu.RLock()
	parsed, ok := d.parsed[id]
	d.mu.RUnlock()
	if ok {
		return parsed, nil
	}
	var def []byte
	if err := q.QueryRow(ctx, `SELECT definition FROM questionnaires WHERE id = $1`, id).Scan(&def); err != nil {
		return nil, err
	}
	p, err := ParseFHIR(def)
	if err != nil {
		return nil, err
	}
	if p.Questionnaire == nil {
		return nil, fmt.Errorf("questionnaire %d no longer parses: %v", id, p.Problems)
	}
	d.mu.Lock()
	if d.parsed == nil {
		d.parsed = map[int64]*Questionnaire{}
	}
	d.parsed[id] = p.Questionnaire
	d.mu.Unlock()
	return p.Questionnaire, nil
}

// state is a journey with its responses, read in one go.
type state struct {
	journey   *Journey
	responses map[string]*response
}

func (j *Journeys) load(ctx context.Context, q querier, clientID, journeyID int64, lock bool) (*state, error) {
	query := `SELECT ` + journeyColumns + ` FROM insurance_journeys WHERE id = $1 AND client_id = $2`
	if lock {
		query += ` FOR UPDATE`
	}
	jn, err := scanJourney(q.QueryRow(ctx, query, journeyID, clientID))
	if err != nil {
		return nil, err
	}
	rs, err := responses(ctx, q, clientID, journeyID)
	if err != nil {
		return nil, err
	}
	return &state{journey: jn, responses: rs}, nil
}

// flat is the answers of the sections that apply, in order, each section
// seeing the answers of those before it; the items the journey leaves out
// (and the answers of a section that no longer applies) are left out.
func (j *Journeys) flat(ctx context.Context, q querier, st *state) (Answers, error) {
	out := Answers{}
	for _, s := range j.def.Sections {
		r := st.responses[s.URL]
		if r == nil || !s.Holds(out) {
			continue
		}
		qn, err := j.questionnaire(ctx, q, r.questionnaireID)
		if err != nil {
			return nil, err
		}
		on := enabled(qn, r.answers, s.gate(out))
		for id, v := range r.answers {
			if on[id] {
				out[id] = v
			}
		}
	}
	return out, nil
}

// Answers are the journey's answers by linkId, as programme selection
// and quoting read them: the sections and items that apply only.
func (j *Journeys) Answers(ctx context.Context, clientID, journeyID int64) (Answers, error) {
	st, err := j.load(ctx, j.pool, clientID, journeyID, false)
	if err != nil {
		return nil, err
	}
	return j.flat(ctx, j.pool, st)
}

// QuestionnaireVersions are the versions the journey's answers were given
// under ({url: version}), recorded with a quote so that a bind under a
// newer questionnaire re-prices.
func (j *Journeys) QuestionnaireVersions(ctx context.Context, clientID, journeyID int64) (map[string]string, error) {
	if _, err := j.load(ctx, j.pool, clientID, journeyID, false); err != nil {
		return nil, err
	}
	rows, err := j.pool.Query(ctx, `SELECT q.url, q.version FROM questionnaire_responses r
		JOIN questionnaires q ON q.id = r.questionnaire_id
		WHERE r.client_id = $1 AND r.journey_id = $2`, clientID, journeyID)
	if err != nil {
		return nil, fmt.Errorf("journey %d: questionnaire versions: %w", journeyID, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var url, version string
		if err := rows.Scan(&url, &version); err != nil {
			return nil, fmt.Errorf("journey %d: questionnaire versions: %w", journeyID, err)
		}
		out[url] = version
	}
	return out, rows.Err()
}

// SectionState is one section of a journey as a page or the API shows it.
type SectionState struct {
	Key             string         `json:"key"`
	QuestionnaireID int64          `json:"questionnaire_id"`
	URL             string         `json:"url"`
	Version         string         `json:"version"`
	Questionnaire   *Questionnaire `json:"-"`
	// Applies is false for a section the answers so far leave out.
	Applies bool `json:"applies"`
	// Status is "", in-progress or completed.
	Status  string  `json:"status"`
	Answers Answers `json:"answers"`
	// Attention lists the questions a renewal asks to look at again.
	Attention []string `json:"attention"`
	// Enabled says which items are shown on the answers.
	Enabled map[string]bool `json:"-"`
	gate    map[string]bool
}

// Overview is a journey with the state of every section, in order.
type Overview struct {
	Journey  *Journey       `json:"journey"`
	Sections []SectionState `json:"sections"`
	// Answers are the journey's flat answers (Answers).
	Answers Answers `json:"-"`
}

// Overview reads the journey and its sections.
func (j *Journeys) Overview(ctx context.Context, clientID, journeyID int64) (*Overview, error) {
	st, err := j.load(ctx, j.pool, clientID, journeyID, false)
	if err != nil {
		return nil, err
	}
	return j.overview(ctx, j.pool, st)
}

func (j *Journeys) overview(ctx context.Context, q querier, st *state) (*Overview, error) {
	flat, err := j.flat(ctx, q, st)
	if err != nil {
		return nil, err
	}
	ov := &Overview{Journey: st.journey, Answers: flat}
	for _, s := range j.def.Sections {
		ss, err := j.sectionState(ctx, q, st, s, flat)
		if err != nil {
			return nil, err
		}
		ov.Sections = append(ov.Sections, *ss)
	}
	return ov, nil
}

// sectionState is section s of the journey: its questionnaire (the
// version answered, or the newest for a section not yet answered), its
// answers and what applies on the journey's other answers.
func (j *Journeys) sectionState(ctx context.Context, q querier, st *state, s Section, flat Answers) (*SectionState, error) {
	ss := &SectionState{Key: s.Key, URL: s.URL, Answers: Answers{}, Attention: []string{}}
	if r := st.responses[s.URL]; r != nil {
		ss.QuestionnaireID, ss.Status, ss.Answers, ss.Attention = r.questionnaireID, r.status, r.answers, r.attention
	} else {
		id, err := latestVersion(ctx, q, s.URL)
		if err != nil {
			return nil, err
		}
		ss.QuestionnaireID = id
	}
	qn, err := j.questionnaire(ctx, q, ss.QuestionnaireID)
	if err != nil {
		return nil, err
	}
	ss.Questionnaire, ss.Version = qn, qn.Version
	// The conditions read the answers of the sections before this one.
	before := Answers{}
	for _, other := range j.def.Sections {
		if other.Key == s.Key {
			break
		}
		if r := st.responses[other.URL]; r != nil {
			for id, v := range flat {
				if _, ok := r.answers[id]; ok {
					before[id] = v
				}
			}
		}
	}
	ss.Applies = s.Holds(before)
	ss.gate = s.gate(before)
	ss.Enabled = enabled(qn, ss.Answers, ss.gate)
	return ss, nil
}

// SaveOptions say how a section's answers are saved.
type SaveOptions struct {
	// Submit asks for the section complete: every enabled required
	// question answered; then the journey moves on.
	Submit bool
	// Strict refuses the whole change when any answer is wrong (the
	// API); otherwise (pages) answers to questions no longer shown are
	// dropped and the good answers are kept while the wrong ones are
	// shown at their questions.
	Strict bool
	// Changed names the questions the applicant just changed (a live
	// change), for analytics; nil counts every answer given.
	Changed []string
}

// SaveResult is what a save did.
type SaveResult struct {
	// Problems name each wrong answer; with Strict nothing was saved.
	Problems []Problem `json:"problems"`
	// Saved are the section's answers as stored.
	Saved Answers `json:"answers"`
	// Completed is true when the section was submitted complete.
	Completed bool `json:"completed"`
	// Next is the next section that applies after a complete submit, ""
	// when this was the last (the journey is then completed).
	Next string `json:"next,omitempty"`
	// JourneyCompleted is true when this submit completed the journey.
	JourneyCompleted bool `json:"journey_completed"`
}

// Save stores the section's answers (all of them: an answer left out is
// taken away) in the journey, in one transaction.
func (j *Journeys) Save(ctx context.Context, clientID, journeyID int64, key string, answers Answers, opt SaveOptions) (*SaveResult, error) {
	s, idx, ok := j.def.Section(key)
	if !ok {
		return nil, ErrSectionNotFound
	}
	var res *SaveResult
	err := pgdb.Transact(ctx, j.pool, pgx.ReadCommitted, func(tx pgx.Tx) error {
		res = &SaveResult{}
		st, err := j.load(ctx, tx, clientID, journeyID, true)
		if err != nil {
			return err
		}
		if st.journey.Status == JourneyCompleted {
			return ErrJourneyCompleted
		}
		flat, err := j.flat(ctx, tx, st)
		if err != nil {
			return err
		}
		ss, err := j.sectionState(ctx, tx, st, s, flat)
		if err != nil {
			return err
		}
		if !ss.Applies {
			return ErrSectionNotApplicable
		}
		qn := ss.Questionnaire
		answers = clean(answers)
		if !opt.Strict {
			answers = prune(qn, answers, ss.gate)
		}
		problems := validate(qn, answers, false, ss.gate)
		if opt.Strict && len(problems) > 0 {
			res.Problems = problems
			return nil
		}
		for _, p := range problems {
			delete(answers, p.LinkID)
		}
		res.Problems = problems
		complete := validate(qn, answers, true, ss.gate)
		if opt.Submit {
			res.Problems = append(res.Problems, complete...)
			res.Problems = uniqueProblems(res.Problems)
		}
		status := "in-progress"
		if len(complete) == 0 && (opt.Submit || ss.Status == "completed") && len(problems) == 0 {
			status = "completed"
		}
		attention := ss.Attention
		changed := opt.Changed
		if changed == nil {
			for id := range answers {
				changed = append(changed, id)
			}
			slices.Sort(changed)
		}
		attention = slices.DeleteFunc(slices.Clone(attention), func(id string) bool { return slices.Contains(changed, id) })
		if opt.Submit && len(res.Problems) == 0 {
			attention = []string{}
		}
		now := j.Now()
		doc, err := json.Marshal(ToResponse(qn, ss.QuestionnaireID, journeyID, answers, status, now))
		if err != nil {
			return err
		}
		flatAnswers, err := json.Marshal(answers)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `
INSERT INTO questionnaire_responses (journey_id, client_id, questionnaire_id, status, response, answers, attention, authored)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (journey_id, questionnaire_id) DO UPDATE
SET status = EXCLUDED.status, response = EXCLUDED.response, answers = EXCLUDED.answers, attention = EXCLUDED.attention,
    authored = EXCLUDED.authored`, journeyID, clientID, ss.QuestionnaireID, status, doc, flatAnswers, attention, now); err != nil {
			return err
		}
		res.Saved = answers
		viewed, err := firstView(ctx, tx, journeyID, ss.QuestionnaireID)
		if err != nil {
			return err
		}
		elapsed := int64(0)
		if !viewed.IsZero() && now.After(viewed) {
			elapsed = now.Sub(viewed).Milliseconds()
		}
		var ids []string
		for _, id := range changed {
			if _, known := ss.Enabled[id]; known || answers[id] != nil {
				ids = append(ids, id)
			}
		}
		if len(ids) > 0 {
			if _, err := tx.Exec(ctx, `
INSERT INTO insurance_journey_events (journey_id, questionnaire_id, link_id, kind, at, elapsed_ms)
SELECT $1, $2, id, 'answer', $4, $5 FROM unnest($3::text[]) AS id`, journeyID, ss.QuestionnaireID, ids, now, elapsed); err != nil {
				return err
			}
		}
		current := st.journey.CurrentSection
		if opt.Submit && len(res.Problems) == 0 {
			res.Completed = true
			if _, err := tx.Exec(ctx, `INSERT INTO insurance_journey_events (journey_id, questionnaire_id, kind, at, elapsed_ms) VALUES ($1, $2, 'submit', $3, $4)`,
				journeyID, ss.QuestionnaireID, now, elapsed); err != nil {
				return err
			}
			// The next section that applies on the answers as they are now.
			st.responses[s.URL] = &response{questionnaireID: ss.QuestionnaireID, url: s.URL, status: status, answers: answers}
			after, err := j.flat(ctx, tx, st)
			if err != nil {
				return err
			}
			for _, next := range j.def.Sections[idx+1:] {
				if next.Holds(after) {
					res.Next = next.Key
					break
				}
			}
			if res.Next != "" {
				current = res.Next
			} else if missing := j.firstIncomplete(st, after); missing != "" {
				// An earlier section still needs answers (a renewal's
				// changed question, a section that came to apply).
				res.Next, current = missing, missing
			} else {
				res.JourneyCompleted = true
				if _, err := tx.Exec(ctx, `INSERT INTO insurance_journey_events (journey_id, questionnaire_id, kind, at) VALUES ($1, $2, 'complete', $3)`,
					journeyID, ss.QuestionnaireID, now); err != nil {
					return err
				}
			}
		}
		if res.JourneyCompleted {
			_, err = tx.Exec(ctx, `UPDATE insurance_journeys SET status = 'completed', completed_at = $3, updated_at = $3 WHERE id = $1 AND client_id = $2`,
				journeyID, clientID, now)
		} else {
			_, err = tx.Exec(ctx, `UPDATE insurance_journeys SET current_section = $3, updated_at = $4 WHERE id = $1 AND client_id = $2`,
				journeyID, clientID, current, now)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// firstIncomplete is the first section that applies and is not completed,
// "" when there is none.
func (j *Journeys) firstIncomplete(st *state, answers Answers) string {
	for _, s := range j.def.Sections {
		if !s.Holds(answers) {
			continue
		}
		if r := st.responses[s.URL]; r == nil || r.status != "completed" || len(r.attention) > 0 {
			return s.Key
		}
	}
	return ""
}

// RecordView notes that the applicant opened a section (the start of its
// time, for analytics); a section already viewed keeps its first view.
func (j *Journeys) RecordView(ctx context.Context, clientID, journeyID, questionnaireID int64) error {
	_, err := j.pool.Exec(ctx, `
INSERT INTO insurance_journey_events (journey_id, questionnaire_id, kind, at)
SELECT j.id, $3, 'view', $4 FROM insurance_journeys j
WHERE j.id = $1 AND j.client_id = $2 AND j.status = 'in_progress'
  AND NOT EXISTS (SELECT FROM insurance_journey_events e WHERE e.journey_id = j.id AND e.questionnaire_id = $3 AND e.kind = 'view')`,
		journeyID, clientID, questionnaireID, j.Now())
	return err
}

func firstView(ctx context.Context, q querier, journeyID, questionnaireID int64) (time.Time, error) {
	var at *time.Time
	err := q.QueryRow(ctx, `SELECT min(at) FROM insurance_journey_events WHERE journey_id = $1 AND questionnaire_id = $2 AND kind = 'view'`,
		journeyID, questionnaireID).Scan(&at)
	if err != nil || at == nil {
		return time.Time{}, err
	}
	return *at, nil
}

// clean drops empty answer lists.
func clean(a Answers) Answers {
	out := make(Answers, len(a))
	for id, v := range a {
		if len(v) > 0 {
			out[id] = v
		}
	}
	return out
}

// prune drops the answers to questions not shown on the other answers
// (an applicant who says "no" after answering the follow-up), until
// nothing changes.
func prune(q *Questionnaire, a Answers, gate map[string]bool) Answers {
	for range 10 {
		on := enabled(q, a, gate)
		dropped := false
		for id := range a {
			if !on[id] {
				if _, known := on[id]; known {
					delete(a, id)
					dropped = true
				}
			}
		}
		if !dropped {
			break
		}
	}
	return a
}

func uniqueProblems(ps []Problem) []Problem {
	seen := map[string]bool{}
	var out []Problem
	for _, p := range ps {
		if seen[p.LinkID] {
			continue
		}
		seen[p.LinkID] = true
		out = append(out, p)
	}
	return out
}

// querier is a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}
