package compliance

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/pgdb"
	"github.com/ecrm-project/ecrm/internal/pgtest"
)

// fixture holds the rows decision records refer to.
type fixture struct {
	clientID, otherClientID, productID, versionID, staffID int64
}

func newFixture(tb testing.TB, pool *pgxpool.Pool) fixture {
	tb.Helper()
	ctx := context.Background()
	var f fixture
	steps := []struct {
		q   string
		dst *int64
	}{
		{`INSERT INTO clients (given_name, family_name) VALUES ('Ana', 'Popescu') RETURNING id`, &f.clientID},
		{`INSERT INTO clients (given_name, family_name) VALUES ('Ion', 'Ionescu') RETURNING id`, &f.otherClientID},
		{`INSERT INTO products (code, name, line, kind, provider, currency) VALUES ('DEP-12M', 'Deposit 12 months', 'banking', 'deposit', 'ecrm bank', 'EUR') RETURNING id`, &f.productID},
		{`INSERT INTO staff_users (email, display_name) VALUES ('maria@bank.example', 'Maria') RETURNING id`, &f.staffID},
	}
	for _, s := range steps {
		if err := pool.QueryRow(ctx, s.q).Scan(s.dst); err != nil {
			tb.Fatalf("fixture %q: %v", s.q, err)
		}
	}
	err := pool.QueryRow(ctx, `INSERT INTO product_versions (product_id, version, name, definition, risk_class, complex, rules_hash)
		VALUES ($1, 1, 'Deposit 12 months', '{}', 1, false, repeat('a', 64)) RETURNING id`, f.productID).Scan(&f.versionID)
	if err != nil {
		tb.Fatalf("fixture product version: %v", err)
	}
	return f
}

func (f fixture) offer(i int) Record {
	return Record{
		Kind: KindOfferShown, ClientID: f.clientID, ProductID: f.productID, ProductVersionID: f.versionID,
		Engine: "products.matching", EngineVersion: "m-2026.11", RuleVersion: strings.Repeat("a", 64),
		Channel: "web", Actor: Actor{Kind: ActorSystem}, Outcome: OutcomeShown,
		Body: Body{
			Inputs: map[string]any{"age": 41, "annual_income": "52000.00", "risk_profile": "balanced", "i": i,
				"prices": map[string]any{"rate": "0.0450", "fee": "0.00"}},
			Score: &Score{Value: decimal.RequireFromString("0.8125"), Components: []ScoreComponent{
				{Name: "propensity", Value: decimal.RequireFromString("0.70")},
				{Name: "need", Value: decimal.RequireFromString("0.1125")},
			}},
			Reasons: []i18n.Message{i18n.Plain("Your savings balance grew for 6 months"), i18n.Plain("Fixed 4.50 % for 12 months")},
			Checks: []Check{{Name: "target_market", Passed: true}, {Name: "consent_marketing", Passed: true},
				{Name: "contact_policy", Passed: true, Detail: i18n.Plain("1 offer in 7 days")}},
			Disclosures: []Disclosure{
				{Kind: "fee", Text: i18n.Plain("No opening fee"), Amount: ptr(ecrm.MustMoney("0", "EUR"))},
				{Kind: "document", Document: "deposit-terms", DocumentVersion: "2026-09"},
			},
		},
	}
}

func ptr[T any](v T) *T { return &v }

func newLog(tb testing.TB) (*Log, *pgxpool.Pool, fixture) {
	tb.Helper()
	pool := pgtest.New(tb)
	return NewLog(pool), pool, newFixture(tb, pool)
}

func testKey(tb testing.TB) ed25519.PrivateKey {
	tb.Helper()
	key, err := GenerateSigningKey(filepath.Join(tb.TempDir(), "decision-log.key"))
	if err != nil {
		tb.Fatal(err)
	}
	return key
}

func pub(k ed25519.PrivateKey) ed25519.PublicKey { return k.Public().(ed25519.PublicKey) }

func mustVerify(tb testing.TB, pool *pgxpool.Pool, key ed25519.PrivateKey) *VerifyResult {
	tb.Helper()
	res, err := Verify(context.Background(), pool, pub(key), nil)
	if err != nil {
		tb.Fatalf("Verify: %v", err)
	}
	return res
}

func TestAppendAndVerify(t *testing.T) {
	ctx := context.Background()
	log, pool, f := newLog(t)
	key := testKey(t)

	var shown int64
	for i := 0; i < 5; i++ {
		got, err := log.Append(ctx, f.offer(i))
		if err != nil {
			t.Fatalf("Append: %v", err)
		}
		if got[0].Seq != int64(i+1) {
			t.Fatalf("seq = %d, want %d", got[0].Seq, i+1)
		}
		shown = got[0].Seq
	}
	if _, err := log.Checkpoint(ctx, key); err != nil {
		t.Fatal(err)
	}
	batch := make([]Record, 20)
	for i := range batch {
		batch[i] = f.offer(100 + i)
	}
	blocked := f.offer(200)
	blocked.Kind, blocked.Outcome = KindOfferBlocked, OutcomeBlocked
	blocked.Actor = Actor{Kind: ActorAdvisor, StaffID: f.staffID}
	blocked.Body.Checks = []Check{{Name: "suitability", Passed: false, Detail: i18n.Plain("risk class 6 above the client's 3")}}
	batch = append(batch, blocked, Record{
		Kind: KindResponse, RefersTo: shown, ClientID: f.clientID, ProductID: f.productID,
		Channel: "web", Actor: Actor{Kind: ActorClient}, Outcome: OutcomeAccepted,
	})
	got, err := log.Append(ctx, batch...)
	if err != nil {
		t.Fatalf("Append batch: %v", err)
	}
	if len(got) != 22 || got[0].Seq != 6 || got[21].Seq != 27 || got[1].PrevHash != got[0].Hash {
		t.Fatalf("batch appended as %d records from %d; prev links ok=%v", len(got), got[0].Seq, got[1].PrevHash == got[0].Hash)
	}
	cp, err := log.Checkpoint(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if cp.Seq != 27 || cp.HeadHash != got[21].Hash {
		t.Fatalf("checkpoint at %d, want 27 with the last hash", cp.Seq)
	}
	again, err := log.Checkpoint(ctx, key)
	if err != nil || string(again.Signature) != string(cp.Signature) {
		t.Fatalf("second checkpoint on an unchanged head: %v, same signature %v", err, string(again.Signature) == string(cp.Signature))
	}

	res := mustVerify(t, pool, key)
	if !res.OK() || res.Records != 27 || res.LastSeq != 27 || res.Checkpoints != 2 || res.CoveredSeq != 27 || res.LastHash != got[21].Hash {
		t.Fatalf("Verify = %+v, problem %v", res, res.Problem)
	}
}

func TestAppendFailsClosed(t *testing.T) {
	ctx := context.Background()
	log, pool, f := newLog(t)
	shown, err := log.Append(ctx, f.offer(0))
	if err != nil {
		t.Fatal(err)
	}
	blocked := f.offer(1)
	blocked.Kind, blocked.Outcome = KindOfferBlocked, OutcomeBlocked
	b, err := log.Append(ctx, blocked)
	if err != nil {
		t.Fatal(err)
	}
	unknownClient := f.offer(2)
	unknownClient.ClientID = 999999
	noChannel := f.offer(3)
	noChannel.Channel = ""
	advisorWithoutID := f.offer(4)
	advisorWithoutID.Actor = Actor{Kind: ActorAdvisor}
	resp := func(refers, client int64) Record {
		return Record{Kind: KindResponse, RefersTo: refers, ClientID: client, Channel: "web",
			Actor: Actor{Kind: ActorClient}, Outcome: OutcomeDeclined}
	}
	nul := f.offer(5)
	nul.Body.Note = "a\x00b"
	for _, tc := range []struct {
		name string
		recs []Record
		want string
	}{
		{"UnknownClientInBatch", []Record{f.offer(10), unknownClient}, "insert decision records"},
		{"ChannelRequired", []Record{noChannel}, "channel"},
		{"AdvisorNeedsStaffID", []Record{advisorWithoutID}, "actor_staff_id"},
		{"ResponseToBlockedOffer", []Record{resp(b[0].Seq, f.clientID)}, "refers_to"},
		{"ResponseOfAnotherClient", []Record{resp(shown[0].Seq, f.otherClientID)}, "refers_to"},
		{"ResponseToMissingRecord", []Record{resp(77, f.clientID)}, "insert decision records"},
		{"NULInBody", []Record{nul}, "NUL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := log.Append(ctx, tc.recs...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Append err = %v, want one mentioning %q", err, tc.want)
			}
			var n, head int64
			if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM decision_records), seq FROM decision_chain_head`).Scan(&n, &head); err != nil {
				t.Fatal(err)
			}
			if n != 2 || head != 2 {
				t.Fatalf("after a failed append: %d records, head %d; want 2 and 2", n, head)
			}
		})
	}
}

func TestUpdateAndDeleteRefused(t *testing.T) {
	ctx := context.Background()
	log, pool, f := newLog(t)
	key := testKey(t)
	if _, err := log.Append(ctx, f.offer(0), f.offer(1)); err != nil {
		t.Fatal(err)
	}
	if _, err := log.Checkpoint(ctx, key); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`UPDATE decision_records SET outcome = 'blocked', kind = 'offer_blocked' WHERE seq = 1`,
		`DELETE FROM decision_records WHERE seq = 2`,
		`TRUNCATE decision_records CASCADE`,
		`UPDATE decision_checkpoints SET seq = 1`,
		`DELETE FROM decision_checkpoints`,
		`TRUNCATE decision_checkpoints`,
		`DELETE FROM decision_chain_head`,
		`UPDATE decision_chain_head SET seq = 1`,
	} {
		_, err := pool.Exec(ctx, q)
		if err == nil || !(strings.Contains(err.Error(), "append-only") || strings.Contains(err.Error(), "decision_chain_head")) {
			t.Errorf("%s: err = %v, want the trigger's refusal", q, err)
		}
	}
	if res := mustVerify(t, pool, key); !res.OK() || res.Records != 2 {
		t.Fatalf("after refused changes: %+v %v", res, res.Problem)
	}
}

// tamper runs statements as a superuser attacker would: with triggers
// (and foreign keys) off for the session.
func tamper(tb testing.TB, pool *pgxpool.Pool, stmts ...string) {
	tb.Helper()
	ctx := context.Background()
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL session_replication_role = replica`); err != nil {
			return err
		}
		for _, s := range stmts {
			if _, err := tx.Exec(ctx, s); err != nil {
				return fmt.Errorf("%s: %w", s, err)
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("tamper: %v", err)
	}
}

func TestVerifyCatchesTampering(t *testing.T) {
	forge := func(t *testing.T, pool *pgxpool.Pool, seq int64, prev []byte) string {
		// A forger who knows the algorithm: a well-formed record with a
		// correctly computed hash.
		f := recordFields{seq: seq, kind: []byte("offer_shown"), clientID: 1, engine: []byte("x"),
			channel: []byte("web"), actorKind: []byte("system"), outcome: []byte("shown"),
			recordedAtMicros: 1_800_000_000_000_000, body: []byte(`{"note": "forged"}`)}
		var clientID int64
		if err := pool.QueryRow(context.Background(), `SELECT min(id) FROM clients`).Scan(&clientID); err != nil {
			t.Fatal(err)
		}
		f.clientID = clientID
		h, _ := chainHash(nil, prev, &f)
		return fmt.Sprintf(`INSERT INTO decision_records (seq, kind, client_id, engine, engine_version, rule_version, channel,
			actor_kind, outcome, body, recorded_at, prev_hash, hash)
			VALUES (%d, 'offer_shown', %d, 'x', '', '', 'web', 'system', 'shown', '{"note": "forged"}',
			to_timestamp(1800000000), '\x%x', '\x%x')`, seq, clientID, prev, h[:])
	}
	hashOf := func(t *testing.T, pool *pgxpool.Pool, seq int64) []byte {
		var h []byte
		if err := pool.QueryRow(context.Background(), `SELECT hash FROM decision_records WHERE seq = $1`, seq).Scan(&h); err != nil {
			t.Fatal(err)
		}
		return h
	}
	for _, tc := range []struct {
		name     string
		attack   func(t *testing.T, pool *pgxpool.Pool)
		wrongKey bool
		seq      int64
		kind     ProblemKind
		detail   string
	}{
		{name: "AlteredBody", seq: 4, kind: ProblemAltered, detail: "altered", attack: func(t *testing.T, pool *pgxpool.Pool) {
			tamper(t, pool, `UPDATE decision_records SET body = jsonb_set(body::jsonb, '{reasons,0}', '"Because we said so"')::json WHERE seq = 4`)
		}},
		{name: "AlteredOutcome", seq: 3, kind: ProblemAltered, detail: "altered", attack: func(t *testing.T, pool *pgxpool.Pool) {
			tamper(t, pool, `UPDATE decision_records SET kind = 'offer_blocked', outcome = 'blocked' WHERE seq = 3`)
		}},
		{name: "AlteredTime", seq: 8, kind: ProblemAltered, detail: "altered", attack: func(t *testing.T, pool *pgxpool.Pool) {
			tamper(t, pool, `UPDATE decision_records SET recorded_at = recorded_at + interval '1 microsecond' WHERE seq = 8`)
		}},
		{name: "DeletedMiddle", seq: 5, kind: ProblemDeleted, detail: "seq 5 missing — deleted", attack: func(t *testing.T, pool *pgxpool.Pool) {
			tamper(t, pool, `DELETE FROM decision_records WHERE seq = 5`)
		}},
		{name: "DeletedLast", seq: 13, kind: ProblemDeleted, detail: "seq 13 missing — deleted (the chain head is at 13)", attack: func(t *testing.T, pool *pgxpool.Pool) {
			tamper(t, pool, `DELETE FROM decision_records WHERE seq = 13`)
		}},
		{name: "DeletedCheckpointedTail", seq: 12, kind: ProblemDeleted, detail: "checkpoint 12 was signed for them", attack: func(t *testing.T, pool *pgxpool.Pool) {
			tamper(t, pool, `DELETE FROM decision_records WHERE seq >= 12`,
				`UPDATE decision_chain_head SET seq = 11, hash = (SELECT hash FROM decision_records WHERE seq = 11)`)
		}},
		{name: "DeletedLastAndHeadRewound", seq: 11, kind: ProblemDeleted, detail: "checkpoint 12", attack: func(t *testing.T, pool *pgxpool.Pool) {
			tamper(t, pool, `DELETE FROM decision_records WHERE seq >= 11`,
				`UPDATE decision_chain_head SET seq = 10, hash = (SELECT hash FROM decision_records WHERE seq = 10)`)
		}},
		{name: "InsertedForgedInMiddle", seq: 9, kind: ProblemInserted, detail: "does not match record 8", attack: func(t *testing.T, pool *pgxpool.Pool) {
			prev := hashOf(t, pool, 7)
			tamper(t, pool, `UPDATE decision_records SET seq = seq + 1000 WHERE seq >= 8`,
				`UPDATE decision_records SET seq = seq - 999 WHERE seq > 1000`,
				forge(t, pool, 8, prev),
				`UPDATE decision_chain_head SET seq = 14, hash = (SELECT hash FROM decision_records WHERE seq = 14)`)
		}},
		{name: "InsertedForgedAtEnd", seq: 14, kind: ProblemHead, detail: "beyond the chain head", attack: func(t *testing.T, pool *pgxpool.Pool) {
			tamper(t, pool, forge(t, pool, 14, hashOf(t, pool, 13)))
		}},
		{name: "Swapped", seq: 4, kind: ProblemInserted, detail: "inserted or reordered", attack: func(t *testing.T, pool *pgxpool.Pool) {
			tamper(t, pool, `UPDATE decision_records SET seq = 1004 WHERE seq = 4`,
				`UPDATE decision_records SET seq = 4 WHERE seq = 5`,
				`UPDATE decision_records SET seq = 5 WHERE seq = 1004`)
		}},
		{name: "ChainRewrittenWithRecomputedHashes", seq: 12, kind: ProblemCheckpoint, detail: "signed in checkpoint 12", attack: func(t *testing.T, pool *pgxpool.Pool) {
			tamper(t, pool, `UPDATE decision_records SET body = jsonb_set(body::jsonb, '{note}', '"rewritten"')::json WHERE seq = 9`)
			rehash(t, pool)
		}},
		{name: "CheckpointSignatureTampered", seq: 6, kind: ProblemCheckpoint, detail: "checkpoint 6 signature invalid", attack: func(t *testing.T, pool *pgxpool.Pool) {
			tamper(t, pool, `UPDATE decision_checkpoints SET signed_at = signed_at + interval '1 second' WHERE seq = 6`)
		}},
		{name: "WrongKey", wrongKey: true, seq: 6, kind: ProblemCheckpoint, detail: "not by the given key", attack: func(t *testing.T, pool *pgxpool.Pool) {}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			log, pool, f := newLog(t)
			key := testKey(t)
			for i := 0; i < 6; i++ {
				if _, err := log.Append(ctx, f.offer(i)); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := log.Checkpoint(ctx, key); err != nil {
				t.Fatal(err)
			}
			batch := []Record{f.offer(6), f.offer(7), f.offer(8), f.offer(9), f.offer(10), f.offer(11)}
			if _, err := log.Append(ctx, batch...); err != nil {
				t.Fatal(err)
			}
			if _, err := log.Checkpoint(ctx, key); err != nil {
				t.Fatal(err)
			}
			// Record 13 is after the last checkpoint: only the chain and
			// the head protect it.
			if _, err := log.Append(ctx, f.offer(12)); err != nil {
				t.Fatal(err)
			}
			if res := mustVerify(t, pool, key); !res.OK() {
				t.Fatalf("before the attack: %v", res.Problem)
			}
			tc.attack(t, pool)
			if tc.wrongKey {
				key = testKey(t)
			}
			res := mustVerify(t, pool, key)
			if res.OK() {
				t.Fatalf("Verify found nothing after the attack")
			}
			p := res.Problem
			if p.Seq != tc.seq || p.Kind != tc.kind || !strings.Contains(p.Detail, tc.detail) {
				t.Fatalf("Problem = %d %s %q; want %d %s containing %q", p.Seq, p.Kind, p.Detail, tc.seq, tc.kind, tc.detail)
			}
		})
	}
}

// rehash recomputes every hash and the head as an attacker without the
// signing key would after rewriting a record.
func rehash(tb testing.TB, pool *pgxpool.Pool) {
	tb.Helper()
	ctx := context.Background()
	rows, err := pool.Query(ctx, `SELECT seq, kind, refers_to, client_id, product_id, product_version_id,
    engine, engine_version, rule_version, channel, actor_kind, actor_staff_id, outcome,
    recorded_at, body::text, prev_hash, hash FROM decision_records ORDER BY seq`, pgx.QueryResultFormats{pgx.BinaryFormatCode})
	if err != nil {
		tb.Fatal(err)
	}
	prev := make([]byte, 32)
	var stmts []string
	for rows.Next() {
		v := rows.RawValues()
		f := recordFields{seq: rawInt(v[0]), kind: v[1], refersTo: rawInt(v[2]), clientID: rawInt(v[3]),
			productID: rawInt(v[4]), productVersionID: rawInt(v[5]), engine: v[6], engineVersion: v[7],
			ruleVersion: v[8], channel: v[9], actorKind: v[10], actorStaffID: rawInt(v[11]), outcome: v[12],
			recordedAtMicros: rawInt(v[13]) + pgEpochMicros, body: v[14]}
		h, _ := chainHash(nil, prev, &f)
		stmts = append(stmts, fmt.Sprintf(`UPDATE decision_records SET prev_hash = '\x%x', hash = '\x%x' WHERE seq = %d`, prev, h[:], f.seq))
		prev = h[:]
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	stmts = append(stmts, fmt.Sprintf(`UPDATE decision_chain_head SET hash = '\x%x'`, prev))
	tamper(tb, pool, stmts...)
}

func TestConcurrentWritersInSeparateProcesses(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewURL(t)
	const writers, perWriter = 4, 40
	var f fixture
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	pools := make([]*pgxpool.Pool, writers)
	for w := range pools {
		// A pool per writer, as separate ecrm processes would have.
		p, err := pgdb.Open(ctx, url, 4)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		pools[w] = p
	}
	f = newFixture(t, pools[0])
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			log := NewLog(pools[w])
			for i := 0; i < perWriter; i++ {
				recs := []Record{f.offer(w*1000 + i)}
				if i%4 == 0 {
					recs = append(recs, f.offer(w*1000+i+500), f.offer(w*1000+i+600))
				}
				if _, err := log.Append(ctx, recs...); err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	// Verification and checkpoints run while the writers append: a live
	// log must never look tampered.
	key := testKey(t)
	stop := make(chan struct{})
	verified := make(chan error, 1)
	go func() {
		var err error
		for err == nil {
			select {
			case <-stop:
				verified <- nil
				return
			default:
			}
			if _, err = NewLog(pools[3]).Checkpoint(ctx, key); err != nil {
				break
			}
			var res *VerifyResult
			res, err = Verify(ctx, pools[3], pub(key), nil)
			if err == nil && !res.OK() {
				err = res.Problem
			}
		}
		verified <- err
	}()
	wg.Wait()
	close(stop)
	if err := <-verified; err != nil {
		t.Fatalf("Verify during appends: %v", err)
	}
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if _, err := NewLog(pools[1]).Checkpoint(ctx, key); err != nil {
		t.Fatal(err)
	}
	want := int64(writers * (perWriter + 2*perWriter/4))
	res := mustVerify(t, pools[2], key)
	if !res.OK() || res.Records != want || res.LastSeq != want {
		t.Fatalf("Verify = %d records up to %d, want %d: %v", res.Records, res.LastSeq, want, res.Problem)
	}
}

// A Log appends after the head it committed last in one round trip; when
// another writer has appended since, nothing is written on that guess and
// the Log reads the head and appends after it.
func TestAppendAfterAHeadThatMoved(t *testing.T) {
	ctx := context.Background()
	a, pool, f := newLog(t)
	b := NewLog(pool) // another process
	appendOne := func(l *Log, i int) Appended {
		t.Helper()
		out, err := l.Append(ctx, f.offer(i))
		if err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
		return out[0]
	}
	for i := 1; i <= 5; i++ {
		if got := appendOne(a, i); got.Seq != int64(i) {
			t.Fatalf("seq %d, want %d", got.Seq, i)
		}
	}
	if n := a.headMoved.Load(); n != 0 {
		t.Fatalf("one writer: %d appends found the head moved, want 0", n)
	}
	// Alternating writers: every append after the first of b finds its
	// guess stale.
	for i := 6; i <= 15; i++ {
		l := a
		if i%2 == 0 {
			l = b
		}
		if got := appendOne(l, i); got.Seq != int64(i) {
			t.Fatalf("seq %d, want %d", got.Seq, i)
		}
	}
	if na, nb := a.headMoved.Load(), b.headMoved.Load(); na != 5 || nb != 4 {
		t.Errorf("head moved under a %d times (want 5), under b %d times (want 4)", na, nb)
	}
	// A batch on a stale guess writes none of its records.
	if _, err := b.Append(ctx, f.offer(100), f.offer(101), f.offer(102)); err != nil {
		t.Fatal(err)
	}
	out, err := a.Append(ctx, f.offer(103), f.offer(104))
	if err != nil || out[0].Seq != 19 || out[1].Seq != 20 {
		t.Fatalf("batch after a moved head: %+v, %v", out, err)
	}
	key := testKey(t)
	if _, err := a.Checkpoint(ctx, key); err != nil {
		t.Fatal(err)
	}
	if res := mustVerify(t, pool, key); !res.OK() || res.Records != 20 {
		t.Fatalf("Verify: %d records, want 20: %v", res.Records, res.Problem)
	}
}

func TestSigningKeyFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.key")
	key, err := GenerateSigningKey(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v (%v), want 0600", st.Mode().Perm(), err)
	}
	if _, err := GenerateSigningKey(path); err == nil {
		t.Fatal("GenerateSigningKey overwrote an existing key")
	}
	loaded, err := LoadSigningKey(path)
	if err != nil || !loaded.Equal(key) {
		t.Fatalf("LoadSigningKey: %v, equal %v", err, loaded.Equal(key))
	}
	pk, err := LoadPublicKey(path + ".pub")
	if err != nil || !pk.Equal(key.Public()) {
		t.Fatalf("LoadPublicKey: %v", err)
	}
	if id := KeyID(pk); len(id) != 16 {
		t.Fatalf("KeyID = %q", id)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadSigningKey(path); err == nil || !strings.Contains(err.Error(), "readable by others") {
		t.Fatalf("LoadSigningKey of a world-readable key: %v", err)
	}
}
