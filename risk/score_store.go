package risk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DB is what the score functions need of a pool or a transaction.
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// scoreLockKey is the advisory lock that orders score writers: a refresh
// of every client holds it exclusively from before it reads until it
// commits; a refresh of a few clients (a bureau import) takes it shared.
// So the full refresh never overwrites a score a concurrent import wrote
// from data the full refresh did not see.
const scoreLockKey = 0x6563726d_73636f72 // "ecrmscor"

// qScoreCounts counts, per client with a credit file, what scorecard-v1
// counts as of the month $2 (first day), its window starting with the
// month $1: lines opened by the end of the month, lines defaulted or
// written off since a month within it, and payments by status in the
// window. /*filter*/ narrows it to some clients.
const qScoreCounts = `
WITH lines AS (
    SELECT l.client_id, count(*) AS lines,
           count(*) FILTER (WHERE l.status IN ('defaulted', 'written_off') AND coalesce(
               (SELECT min(p.period) FROM credit_payments p WHERE p.credit_line_id = l.id AND p.status = 'default'),
               (SELECT max(p.period) FROM credit_payments p WHERE p.credit_line_id = l.id),
               date_trunc('month', l.opened_on)::date) <= $2::date) AS bad_lines
    FROM credit_lines l
    WHERE l.opened_on < $2::date + interval '1 month' /*lines filter*/
    GROUP BY l.client_id
), payments AS (
    SELECT p.client_id,
           count(*) FILTER (WHERE p.status = 'on_time') AS on_time,
           count(*) FILTER (WHERE p.status = 'late_30') AS late_30,
           count(*) FILTER (WHERE p.status = 'late_60') AS late_60,
           count(*) FILTER (WHERE p.status = 'late_90_plus') AS late_90,
           count(*) FILTER (WHERE p.status = 'default') AS dflt
    FROM credit_payments p
    WHERE p.period BETWEEN $1::date AND $2::date /*payments filter*/
    GROUP BY p.client_id
)
SELECT coalesce(l.client_id, p.client_id), coalesce(l.lines, 0)::int, coalesce(l.bad_lines, 0)::int,
       coalesce(p.on_time, 0)::int, coalesce(p.late_30, 0)::int, coalesce(p.late_60, 0)::int,
       coalesce(p.late_90, 0)::int, coalesce(p.dflt, 0)::int
FROM lines l FULL JOIN payments p ON p.client_id = l.client_id`

func countsQuery(filtered bool) string {
	if !filtered {
		return qScoreCounts
	}
	return strings.NewReplacer("/*lines filter*/", "AND l.client_id = ANY ($3::bigint[])",
		"/*payments filter*/", "AND p.client_id = ANY ($3::bigint[])").Replace(qScoreCounts)
}

// scoredRow is one client's computed score, ready to store.
type scoredRow struct {
	client  int64
	score   int
	factors []byte
}

// scorer scores counts, remembering the factors' JSON of counts already
// seen (most clients share a handful of records).
type scorer map[CreditCounts]scoredRow

func (s scorer) score(client int64, c CreditCounts) (scoredRow, error) {
	r, ok := s[c]
	if !ok {
		cs := Score(c)
		f, err := json.Marshal(cs.Factors)
		if err != nil {
			return scoredRow{}, err
		}
		r = scoredRow{score: cs.Score, factors: f}
		if len(s) < 100_000 {
			s[c] = r
		}
	}
	r.client = client
	return r, nil
}

func scanCounts(rows pgx.Rows) (int64, CreditCounts, error) {
	var id int64
	var c CreditCounts
	err := rows.Scan(&id, &c.Lines, &c.BadLines, &c.OnTime, &c.Late30, &c.Late60, &c.Late90Plus, &c.Defaulted)
	return id, c, err
}

// RefreshScores recomputes and stores the scores of the given clients as
// of the month of asOf, in db (a bureau import passes its transaction, so
// the scores change with the data). A client without a credit file loses
// any row it had. It is meant for a few clients at a time; RefreshAllScores
// rescores everyone.
func RefreshScores(ctx context.Context, db DB, asOf time.Time, clientIDs ...int64) error {
	if len(clientIDs) == 0 {
		return nil
	}
	if _, err := db.Exec(ctx, `SELECT pg_advisory_xact_lock_shared($1)`, int64(scoreLockKey)); err != nil {
		return fmt.Errorf("refresh credit scores: %w", err)
	}
	from, to := scoreWindow(asOf)
	rows, err := db.Query(ctx, countsQuery(true), from, to, clientIDs)
	if err != nil {
		return fmt.Errorf("refresh credit scores: %w", err)
	}
	sc := scorer{}
	var ids []int64
	var scores []int32
	var factors []string
	for rows.Next() {
		id, c, err := scanCounts(rows)
		if err != nil {
			rows.Close()
			return fmt.Errorf("refresh credit scores: %w", err)
		}
		r, err := sc.score(id, c)
		if err != nil {
			rows.Close()
			return err
		}
		ids, scores, factors = append(ids, id), append(scores, int32(r.score)), append(factors, string(r.factors))
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("refresh credit scores: %w", err)
	}
	if _, err := db.Exec(ctx, `
		INSERT INTO credit_scores (client_id, score, scorecard_version, factors, as_of, computed_at)
		SELECT u.client_id, u.score, $4, u.factors, $5, clock_timestamp()
		FROM unnest($1::bigint[], $2::int[], $3::jsonb[]) AS u (client_id, score, factors)
		ON CONFLICT (client_id) DO UPDATE SET score = excluded.score, scorecard_version = excluded.scorecard_version,
			factors = excluded.factors, as_of = excluded.as_of, computed_at = excluded.computed_at
		WHERE (credit_scores.score, credit_scores.scorecard_version, credit_scores.factors, credit_scores.as_of)
			IS DISTINCT FROM (excluded.score, excluded.scorecard_version, excluded.factors, excluded.as_of)`,
		ids, scores, factors, ScorecardVersion, to); err != nil {
		return fmt.Errorf("store credit scores: %w", err)
	}
	if _, err := db.Exec(ctx, `DELETE FROM credit_scores WHERE client_id = ANY ($1::bigint[]) AND client_id <> ALL ($2::bigint[])`,
		clientIDs, ids); err != nil {
		return fmt.Errorf("store credit scores: %w", err)
	}
	return nil
}

// bulkSettings tune the transactions of RefreshAllScores: the counts of a
// million clients aggregate in memory instead of spilling to disk, and a
// query that runs once a day is not worth JIT-compiling (on the 1M-client
// seed: 11.0 s with the defaults, 6.6 s with these; docs/benchmarks.md).
const bulkSettings = `SET LOCAL work_mem = '256MB'; SET LOCAL jit = off`

// RefreshReport says what RefreshAllScores did.
type RefreshReport struct {
	Scored  int // clients with a credit file, scored
	Changed int // rows written (new or changed)
	Removed int // rows of clients who no longer have a credit file
	Elapsed time.Duration
}

// RefreshAllScores recomputes every client's score as of the month of
// asOf, set-based: one query streams the counts of every client with a
// credit file from one connection while another copies the scores into a
// temporary table (COPY), from which one statement writes the rows that
// changed and another removes the rows of clients without a credit file.
// Memory does not grow with the number of clients.
func RefreshAllScores(ctx context.Context, pool *pgxpool.Pool, asOf time.Time) (RefreshReport, error) {
	began := time.Now()
	var rep RefreshReport
	w, err := pool.Acquire(ctx)
	if err != nil {
		return rep, fmt.Errorf("refresh credit scores: %w", err)
	}
	defer w.Release()
	wtx, err := w.Begin(ctx)
	if err != nil {
		return rep, fmt.Errorf("refresh credit scores: %w", err)
	}
	defer wtx.Rollback(context.WithoutCancel(ctx))
	// Imports in flight finish first; later ones wait for this commit.
	if _, err := wtx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(scoreLockKey)); err != nil {
		return rep, fmt.Errorf("refresh credit scores: %w", err)
	}
	if _, err := wtx.Exec(ctx, bulkSettings); err != nil {
		return rep, fmt.Errorf("refresh credit scores: %w", err)
	}
	if _, err := wtx.Exec(ctx, `CREATE TEMP TABLE credit_scores_new (client_id bigint NOT NULL, score int NOT NULL, factors jsonb NOT NULL) ON COMMIT DROP`); err != nil {
		return rep, fmt.Errorf("refresh credit scores: %w", err)
	}

	r, err := pool.Acquire(ctx)
	if err != nil {
		return rep, fmt.Errorf("refresh credit scores: %w", err)
	}
	defer r.Release()
	rtx, err := r.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return rep, fmt.Errorf("refresh credit scores: %w", err)
	}
	defer rtx.Rollback(context.WithoutCancel(ctx))
	if _, err := rtx.Exec(ctx, bulkSettings); err != nil {
		return rep, fmt.Errorf("refresh credit scores: %w", err)
	}
	from, to := scoreWindow(asOf)
	rows, err := rtx.Query(ctx, countsQuery(false), from, to)
	if err != nil {
		return rep, fmt.Errorf("refresh credit scores: %w", err)
	}
	src := &countsSource{rows: rows, scorer: scorer{}}
	n, err := wtx.CopyFrom(ctx, pgx.Identifier{"credit_scores_new"}, []string{"client_id", "score", "factors"}, src)
	rows.Close()
	if err == nil {
		err = src.err
	}
	if err == nil {
		err = rows.Err()
	}
	if err != nil {
		return rep, fmt.Errorf("refresh credit scores: %w", err)
	}
	rep.Scored = int(n)
	if err := rtx.Commit(ctx); err != nil {
		return rep, fmt.Errorf("refresh credit scores: %w", err)
	}
	r.Release()

	if _, err := wtx.Exec(ctx, `ALTER TABLE credit_scores_new ADD PRIMARY KEY (client_id); ANALYZE credit_scores_new`); err != nil {
		return rep, fmt.Errorf("refresh credit scores: %w", err)
	}
	tag, err := wtx.Exec(ctx, `
		INSERT INTO credit_scores (client_id, score, scorecard_version, factors, as_of, computed_at)
		SELECT client_id, score, $1, factors, $2, now() FROM credit_scores_new
		ON CONFLICT (client_id) DO UPDATE SET score = excluded.score, scorecard_version = excluded.scorecard_version,
			factors = excluded.factors, as_of = excluded.as_of, computed_at = excluded.computed_at
		WHERE (credit_scores.score, credit_scores.scorecard_version, credit_scores.factors, credit_scores.as_of)
			IS DISTINCT FROM (excluded.score, excluded.scorecard_version, excluded.factors, excluded.as_of)`,
		ScorecardVersion, to)
	if err != nil {
		return rep, fmt.Errorf("store credit scores: %w", err)
	}
	rep.Changed = int(tag.RowsAffected())
	tag, err = wtx.Exec(ctx, `DELETE FROM credit_scores s WHERE NOT EXISTS (SELECT 1 FROM credit_scores_new n WHERE n.client_id = s.client_id)`)
	if err != nil {
		return rep, fmt.Errorf("store credit scores: %w", err)
	}
	rep.Removed = int(tag.RowsAffected())
	if err := wtx.Commit(ctx); err != nil {
		return rep, fmt.Errorf("store credit scores: %w", err)
	}
	rep.Elapsed = time.Since(began)
	return rep, nil
}

// countsSource feeds COPY with the scores of the counts the read
// connection streams.
type countsSource struct {
	rows   pgx.Rows
	scorer scorer
	row    scoredRow
	err    error
}

func (s *countsSource) Next() bool {
	if s.err != nil || !s.rows.Next() {
		return false
	}
	id, c, err := scanCounts(s.rows)
	if err == nil {
		s.row, err = s.scorer.score(id, c)
	}
	s.err = err
	return err == nil
}

func (s *countsSource) Values() ([]any, error) {
	return []any{s.row.client, int32(s.row.score), s.row.factors}, nil
}

func (s *countsSource) Err() error {
	if s.err != nil {
		return s.err
	}
	return s.rows.Err()
}

// StoredScore is a client's score as stored for the eligibility rules.
type StoredScore struct {
	CreditScore
	AsOf       time.Time // first day of the last month counted
	ComputedAt time.Time
}

// LoadStoredScore reads the client's stored score; nil when the client
// has no credit file (no row).
func LoadStoredScore(ctx context.Context, db DB, clientID int64) (*StoredScore, error) {
	var s StoredScore
	var factors []byte
	err := db.QueryRow(ctx, `SELECT score, scorecard_version, factors, as_of, computed_at FROM credit_scores WHERE client_id = $1`, clientID).
		Scan(&s.Score, &s.Version, &factors, &s.AsOf, &s.ComputedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err == nil {
		err = json.Unmarshal(factors, &s.Factors)
	}
	if err != nil {
		return nil, fmt.Errorf("stored credit score of client %d: %w", clientID, err)
	}
	return &s, nil
}
