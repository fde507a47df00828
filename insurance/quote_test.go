package insurance

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/compliance"
	"github.com/ecrm-project/ecrm/internal/i18n"
)

// fakeJourneys holds answers by client and journey, read client-scoped as
// the journey part's Journeys does.
type fakeJourneys map[[2]int64]Answers

func (f fakeJourneys) Answers(_ context.Context, clientID, journeyID int64) (Answers, error) {
	a, ok := f[[2]int64{clientID, journeyID}]
	if !ok {
		return nil, ecrm.Errorf(ecrm.ENOTFOUND, "There is no journey %d.", journeyID)
	}
	return a, nil
}

func (f fakeJourneys) QuestionnaireVersions(_ context.Context, clientID, journeyID int64) (map[string]string, error) {
	return map[string]string{"urn:ecrm:questionnaire:insurance-travel": "1"}, nil
}

type quoteEnv struct {
	t        testing.TB
	pool     *pgxpool.Pool
	progs    *Programmes
	journeys fakeJourneys
	ana, bob int64
}

// now is the tests' clock: the as-of day at noon.
var now = asOf.Add(12 * time.Hour)

func newQuoteEnv(t testing.TB) *quoteEnv {
	t.Helper()
	s, pool := demoSelector(t)
	ctx := context.Background()
	e := &quoteEnv{t: t, pool: pool, journeys: fakeJourneys{}}
	scalar := func(q string, args ...any) int64 {
		var v int64
		if err := pool.QueryRow(ctx, q, args...).Scan(&v); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return v
	}
	e.ana = scalar(`INSERT INTO clients (given_name, family_name, birth_date) VALUES ('Ana', 'Popescu', '1956-03-10') RETURNING id`)
	e.bob = scalar(`INSERT INTO clients (given_name, family_name, birth_date) VALUES ('Bob', 'Ionescu', '1980-01-01') RETURNING id`)
	if _, err := pool.Exec(ctx, `INSERT INTO consents (client_id, purpose, channel, granted, wording_version, source, recorded_at)
VALUES ($1, 'marketing', 'web', true, '2024-03', 'portal', $2)`, e.ana, now.AddDate(-1, 0, 0)); err != nil {
		t.Fatal(err)
	}
	log := compliance.NewLog(pool)
	log.Now = func() time.Time { return now }
	gate := compliance.NewGate(compliance.NewFactsReader(pool), log)
	gate.Now = log.Now
	e.progs = NewProgrammes(pool, s, gate, e.journeys)
	e.progs.Now = func() time.Time { return now }
	e.progs.SetResponses(compliance.NewPortal(pool))
	// The journeys' rows (quotes refer to them); their answers are the
	// fake's, so that each test sets exactly what is rated.
	if _, err := pool.Exec(ctx, `INSERT INTO insurance_journeys (id, client_id, kind, current_section, started_at, updated_at)
		OVERRIDING SYSTEM VALUE VALUES (7, $1, 'new', 'applicant', $3, $3), (8, $2, 'new', 'applicant', $3, $3), (9, $1, 'new', 'applicant', $3, $3)`,
		e.ana, e.bob, now); err != nil {
		t.Fatal(err)
	}
	e.journeys[[2]int64{e.ana, 7}] = travelAnswers()
	e.journeys[[2]int64{e.bob, 8}] = travelAnswers()
	return e
}

func (e *quoteEnv) present(client, journey int64) *Choice {
	e.t.Helper()
	ch, err := e.progs.Present(context.Background(), Viewer{ClientID: client, Channel: "web", Actor: compliance.Actor{Kind: compliance.ActorClient}},
		journey, i18n.NewLocalizer(i18n.English))
	if err != nil {
		e.t.Fatal(err)
	}
	return ch
}

func presentedOf(t testing.TB, ch *Choice, code string) Presented {
	t.Helper()
	for _, c := range ch.Candidates {
		if c.ProductCode == code {
			return c
		}
	}
	t.Fatalf("no %s", code)
	return Presented{}
}

// TestPresentThroughGate: every programme not declined is recorded in the
// offer log with its terms and inputs; a declined one is not presented;
// a quote the client asked for needs no marketing consent (the gate's
// "requested" purpose); the record replays to the same premium.
func TestPresentThroughGate(t *testing.T) {
	e := newQuoteEnv(t)
	ctx := context.Background()
	ch := e.present(e.ana, 7)
	var recorded int64
	if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM decision_records WHERE client_id = $1 AND engine = $2 AND kind = 'offer_shown'`,
		e.ana, ProgrammeEngine).Scan(&recorded); err != nil {
		t.Fatal(err)
	}
	shown := 0
	for _, c := range ch.Candidates {
		if c.Outcome == OutcomeDecline && (c.Seq != 0 || c.Shown) {
			t.Errorf("declined %s presented: %+v", c.ProductCode, c)
		}
		if c.Shown {
			shown++
		}
	}
	// Winter sports in Europe at 70: the EU-only Delta declines; the four
	// others are shown.
	if shown != 4 || recorded != 4 {
		t.Fatalf("%d shown, %d recorded", shown, recorded)
	}
	carp := presentedOf(t, ch, "PRG-TRAVEL-CARP-EU30")
	var premium string
	if err := e.pool.QueryRow(ctx, `SELECT body::jsonb -> 'inputs' -> 'terms' -> 'premium' ->> 'amount' FROM decision_records WHERE seq = $1`,
		carp.Seq).Scan(&premium); err != nil || premium != "185.40" {
		t.Errorf("recorded premium %q, %v", premium, err)
	}
	// Replay re-rates the premium from the record.
	rp := compliance.NewReplayer(e.pool)
	rp.ReplayEngine(ProgrammeEngine, ReplayProgrammeTerms(e.pool))
	r, err := rp.Record(ctx, carp.Seq)
	if err != nil || !r.Reproduced() {
		t.Fatalf("replay: %+v, %v", r, err)
	}
	// The same showing again within the window is the same records.
	if again := presentedOf(t, e.present(e.ana, 7), "PRG-TRAVEL-CARP-EU30"); again.Seq != carp.Seq {
		t.Errorf("shown again: seq %d, first %d", again.Seq, carp.Seq)
	}
	// Changed answers are a new presentation.
	a := travelAnswers()
	a["travel.travellers"] = []Value{integer(1)}
	e.journeys[[2]int64{e.ana, 7}] = a
	changed := presentedOf(t, e.present(e.ana, 7), "PRG-TRAVEL-CARP-EU30")
	if changed.Seq == carp.Seq || changed.Premium.StringFixed(2) != "115.20" {
		t.Errorf("changed answers: seq %d (first %d), premium %s", changed.Seq, carp.Seq, changed.Premium)
	}
	// Bob gave no marketing consent, but he asked for these quotes: the
	// gate presents them (a requested quote is not marketing) and says so
	// in the consent check's record.
	bob := e.present(e.bob, 8)
	bobCarp := presentedOf(t, bob, "PRG-TRAVEL-CARP-EU30")
	if !bobCarp.Shown || bobCarp.Seq == 0 {
		t.Fatalf("bob's quote withheld: %+v", bobCarp)
	}
	var consent string
	if err := e.pool.QueryRow(ctx, `SELECT c -> 'detail' ->> 'text' FROM decision_records, jsonb_array_elements(body::jsonb -> 'checks') c
		WHERE seq = $1 AND c ->> 'name' = 'consent'`, bobCarp.Seq).Scan(&consent); err != nil ||
		!strings.HasPrefix(consent, "The client asked for this quote") {
		t.Errorf("bob's consent check: %q, %v", consent, err)
	}
	// A programme never presented (declined) cannot be quoted.
	for _, c := range bob.Candidates {
		if c.Outcome == OutcomeDecline {
			if _, _, err = e.progs.CreateQuote(ctx, e.bob, 8, QuoteRequest{Seq: c.Seq}, "k-bob"); err == nil {
				t.Errorf("quote of declined %s", c.ProductCode)
			}
		}
	}
}

// TestQuote: choosing a shown programme quotes it at its presented
// premium, once per key; another client can neither read it nor quote on
// the first client's presentation; changed answers refuse the quote.
func TestQuote(t *testing.T) {
	e := newQuoteEnv(t)
	ctx := context.Background()
	carp := presentedOf(t, e.present(e.ana, 7), "PRG-TRAVEL-CARP-EU30")
	q, created, err := e.progs.CreateQuote(ctx, e.ana, 7, QuoteRequest{Seq: carp.Seq}, "key-1")
	if err != nil || !created {
		t.Fatalf("quote: %v, %v", created, err)
	}
	if q.Premium.String() != "185.40 RON" || q.TermMonths != 1 || q.Frequency != "single" || q.Status != "quoted" ||
		q.StartsOn.Format(time.DateOnly) != "2027-01-10" && q.StartsOn.Format(time.DateOnly) != "2026-12-07" ||
		q.DecisionSeq != carp.Seq || len(q.Breakdown) != 6 || q.QuestionnaireVersions["urn:ecrm:questionnaire:insurance-travel"] != "1" ||
		!q.ExpiresAt.Equal(now.Add(30*24*time.Hour)) || q.BindPath() != "/portal/insurance/quotes/"+itoa(q.ID)+"/bind" {
		t.Errorf("quote: %+v", q)
	}
	again, created, err := e.progs.CreateQuote(ctx, e.ana, 7, QuoteRequest{Seq: carp.Seq}, "key-1")
	if err != nil || created || again.ID != q.ID {
		t.Errorf("same key: %v %v %v", again, created, err)
	}
	// The offer log holds her interest in the programme, once, even when
	// she quotes it again under another key.
	if _, created, err := e.progs.CreateQuote(ctx, e.ana, 7, QuoteRequest{Seq: carp.Seq}, "key-1b"); err != nil || !created {
		t.Errorf("second quote: %v %v", created, err)
	}
	var responses int
	var outcome string
	if err := e.pool.QueryRow(ctx, `SELECT count(*), min(outcome) FROM decision_records WHERE refers_to = $1 AND kind = 'response'`,
		carp.Seq).Scan(&responses, &outcome); err != nil || responses != 1 || outcome != "interested" {
		t.Errorf("responses %d %q, %v", responses, outcome, err)
	}
	// Client isolation.
	if _, err := e.progs.Quote(ctx, e.bob, q.ID); ecrm.ErrorCode(err) != ecrm.ENOTFOUND {
		t.Errorf("bob reads ana's quote: %v", err)
	}
	if _, _, err := e.progs.CreateQuote(ctx, e.bob, 7, QuoteRequest{Seq: carp.Seq}, "key-b"); ecrm.ErrorCode(err) != ecrm.ENOTFOUND {
		t.Errorf("bob quotes on ana's presentation: %v", err)
	}
	if _, err := e.progs.Reprice(ctx, e.bob, q.ID); ecrm.ErrorCode(err) != ecrm.ENOTFOUND {
		t.Errorf("bob reprices ana's quote: %v", err)
	}
	// A one-month programme is paid in one premium.
	if _, _, err := e.progs.CreateQuote(ctx, e.ana, 7, QuoteRequest{Seq: carp.Seq, Frequency: "monthly"}, "key-2"); ecrm.ErrorCode(err) != ecrm.EINVALID {
		t.Errorf("monthly for one month: %v", err)
	}
	// Binding marks it bound once, for its own client only.
	tx, err := e.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := MarkBoundTx(ctx, tx, e.bob, q.ID); ok || err != nil {
		t.Errorf("bob binds ana's quote: %v %v", ok, err)
	}
	if ok, err := MarkBoundTx(ctx, tx, e.ana, q.ID); !ok || err != nil {
		t.Errorf("bind: %v %v", ok, err)
	}
	if ok, err := MarkBoundTx(ctx, tx, e.ana, q.ID); ok || err != nil {
		t.Errorf("bound twice: %v %v", ok, err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	// Answers changed since the presentation: shown again, not quoted.
	a := travelAnswers()
	a["travel.days"] = []Value{integer(20)}
	e.journeys[[2]int64{e.ana, 7}] = a
	if _, _, err := e.progs.CreateQuote(ctx, e.ana, 7, QuoteRequest{Seq: carp.Seq}, "key-3"); ecrm.ErrorCode(err) != ecrm.ECONFLICT {
		t.Errorf("changed answers: %v", err)
	}
}

func itoa(n int64) string { return decimal.NewFromInt(n).String() }

// TestReprice: a quote re-rated under the versions in force is unchanged
// until a new rating version comes into force, then says what changed.
func TestReprice(t *testing.T) {
	e := newQuoteEnv(t)
	ctx := context.Background()
	carp := presentedOf(t, e.present(e.ana, 7), "PRG-TRAVEL-CARP-EU30")
	q, _, err := e.progs.CreateQuote(ctx, e.ana, 7, QuoteRequest{Seq: carp.Seq}, "key-1")
	if err != nil {
		t.Fatal(err)
	}
	r, err := e.progs.Reprice(ctx, e.ana, q.ID)
	if err != nil || r.Changed || !r.Current.Premium.Equal(q.Premium.Amount) {
		t.Fatalf("unchanged: %+v, %v", r, err)
	}
	list, err := DemoProgrammes()
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(list, func(s ProgrammeSpec) bool { return s.Product.Code == "PRG-TRAVEL-CARP-EU30" })
	spec := list[i]
	spec.Rating.Version, spec.Rating.Base = 2, decimal.RequireFromString("42")
	if err := LoadProgrammes(ctx, e.pool, []ProgrammeSpec{spec}, asOf.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	r, err = e.progs.Reprice(ctx, e.ana, q.ID)
	// 42 × 1.30 = 54.60 × 0.75 = 40.95 × 1.80 = 73.71 × 2 = 147.42 + 45 = 192.42
	if err != nil || !r.Changed || !slices.Equal(r.Changes, []string{"rating_version", "premium"}) || r.Current.Premium.StringFixed(2) != "192.42" {
		t.Errorf("new rating: %+v, %v", r, err)
	}
	// The same version changed is refused.
	spec.Rating.Base = decimal.RequireFromString("43")
	if err := LoadProgrammes(ctx, e.pool, []ProgrammeSpec{spec}, asOf); err == nil {
		t.Error("a changed rating under version 2 was written")
	}
}
