// Package demodata generates the deterministic synthetic population behind
// `ecrm seed`: staff with client books, clients with Romanian and European
// names, households and relationships, accounts with a year of
// transactions, a market of instruments with three years of prices,
// portfolios, insurance policies with premium schedules and claims, credit
// lines with a 36-month payment history, contacts on every channel and
// consent histories.
//
// The same (Seed, Clients, AsOf) always produce byte-identical tables:
// every client's rows are drawn from random streams seeded by the seed, the
// client's index and a theme, so a client can be regenerated alone and a
// change to one theme does not shift the others.
//
// Seed loads everything in one transaction with binary COPY, so a failed or
// interrupted run leaves the database as it was. For the benchmark size
// (1,000,000 clients, about 87 million rows, under six minutes on two
// cores) it follows the bulk-loading advice of the PostgreSQL manual
// (https://www.postgresql.org/docs/15/populate.html): the loaded tables'
// foreign keys, keys and indexes are dropped first and rebuilt at the end
// from their catalogue definitions, which checks every row again before
// the commit, with a larger maintenance_work_mem.
package demodata

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm"
)

// Options configure a seeding run.
type Options struct {
	// Clients is the number of clients to create (at least 1).
	Clients int
	// Seed selects the data set: the same Seed, Clients and AsOf give
	// byte-identical data.
	Seed int64
	// AsOf is the data set's "today": histories end on this date. Only
	// the date is used; zero means today.
	AsOf time.Time
	// Reset replaces existing data. Without it, seeding a database that
	// already holds data fails with ErrNotEmpty.
	Reset bool
	// Log receives progress messages; nil discards them.
	Log *slog.Logger
}

// Report says what a run created.
type Report struct {
	Rows    map[string]int64 // rows per table
	Elapsed time.Duration
}

// ErrNotEmpty is returned when the database already holds data and
// Options.Reset is false.
var ErrNotEmpty = &ecrm.Error{
	Code:    ecrm.ECONFLICT,
	Message: "the database already holds data (clients, staff or instruments); pass --reset to replace it with the demo data set",
}

// table is one loaded table and the pass that writes its rows.
type table struct {
	name    string
	columns []string
	write   func(gen *generator, w *rowWriter) error
}

// tables in load order. Order does not matter for integrity (foreign keys
// are checked at the end) but parents first reads naturally in the log.
var tables = []table{
	{"staff_users", staffColumns, (*generator).writeStaff},
	{"instruments", instrumentColumns, (*generator).writeInstruments},
	{"instrument_prices", priceColumns, (*generator).writePrices},
	{"fx_rates", fxColumns, (*generator).writeFXRates},
	{"instrument_dividend_yields", yieldColumns, (*generator).writeDividendYields},
	{"instrument_volatilities", volatilityColumns, (*generator).writeVolatilities},
	{"benchmarks", benchmarkColumns, (*generator).writeBenchmarks},
	{"risk_free_rates", riskFreeColumns, (*generator).writeRiskFreeRates},
	{"market_items", itemColumns, (*generator).writeMarketItems},
	{"market_item_instruments", itemInstrumentColumns, (*generator).writeItemInstruments},
	{"households", householdColumns, (*generator).writeHouseholds},
	{"clients", clientColumns, (*generator).writeClients},
	{"client_relationships", relationshipColumns, (*generator).writeRelationships},
	{"accounts", accountColumns, (*generator).writeAccounts},
	{"account_transactions", transactionColumns, (*generator).writeTransactions},
	{"positions", positionColumns, (*generator).writePositions},
	{"trades", tradeColumns, (*generator).writeTrades},
	{"watchlist_items", watchlistColumns, (*generator).writeWatchlist},
	{"insurance_policies", policyColumns, (*generator).writePolicies},
	{"premium_instalments", instalmentColumns, (*generator).writeInstalments},
	{"premium_payments", paymentColumns, (*generator).writePremiumPayments},
	{"claims", claimColumns, (*generator).writeClaims},
	{"credit_lines", creditLineColumns, (*generator).writeCreditLines},
	{"credit_payments", creditPaymentColumns, (*generator).writeCreditPayments},
	{"interactions", interactionColumns, (*generator).writeInteractions},
	{"consents", consentColumns, (*generator).writeConsents},
	{"risk_assessments", assessmentColumns, (*generator).writeAssessments},
	{"objections", objectionColumns, (*generator).writeObjections},
}

type keptSetting struct{ table, staffColumn string }

// keptSettings are the firm's settings that refer to staff: a reset keeps
// their rows and forgets who last changed them.
var keptSettings = []keptSetting{
	{"contact_policies", "updated_by"},
	{"compliance_settings", "updated_by"},
}

func isKeptSetting(table string) bool {
	return slices.ContainsFunc(keptSettings, func(k keptSetting) bool { return k.table == table })
}

func tableNames() []string {
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = t.name
	}
	return names
}

// IsEmpty reports whether the database has neither clients nor staff, the
// state in which `make run` seeds demo data.
func IsEmpty(ctx context.Context, pool *pgxpool.Pool) (bool, error) {
	var exists bool
	err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM clients) OR EXISTS (SELECT 1 FROM staff_users)`).Scan(&exists)
	if err != nil {
		return false, fmt.Errorf("check for existing data: %w", err)
	}
	return !exists, nil
}

// Seed generates the data set and loads it in one transaction.
func Seed(ctx context.Context, pool *pgxpool.Pool, opt Options) (rep Report, err error) {
	if opt.Clients < 1 {
		return Report{}, ecrm.FieldErrorf("clients", "must be at least 1, got %d", opt.Clients)
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	opt.AsOf = asOfDate(opt.AsOf)
	start := time.Now()
	log := opt.Log

	conn, err := pool.Acquire(ctx)
	if err != nil {
		return Report{}, fmt.Errorf("seed: %w", err)
	}
	defer conn.Release()
	tx, err := conn.Begin(ctx)
	if err != nil {
		return Report{}, fmt.Errorf("seed: begin: %w", err)
	}
	defer func() {
		if err != nil {
			tx.Rollback(context.WithoutCancel(ctx))
		}
	}()

	names := tableNames()
	list := strings.Join(names, ", ")
	// Lock before looking, so two concurrent seeds cannot both find the
	// database empty.
	if _, err := tx.Exec(ctx, "LOCK TABLE "+list+" IN ACCESS EXCLUSIVE MODE"); err != nil {
		return Report{}, fmt.Errorf("seed: lock tables: %w", err)
	}
	if opt.Reset {
		// Everything that refers to the old population goes with it:
		// logins, access logs, offers, and any table with a foreign key to
		// a loaded one (today that includes product_versions, through its
		// created_by_staff_id, and products through current_version_id).
		dependants, err := dependentTables(ctx, tx, names)
		if err != nil {
			return Report{}, err
		}
		// The firm's settings refer to the staff who last changed them,
		// so CASCADE would empty them too; they are configuration, not
		// demo data, and the gate cannot run without its contact
		// policies. Their rows are kept, without the departed staff.
		for _, k := range keptSettings {
			if _, err := tx.Exec(ctx, fmt.Sprintf(`CREATE TEMP TABLE kept_%[1]s ON COMMIT DROP AS SELECT * FROM %[1]s;
				UPDATE kept_%[1]s SET %[2]s = NULL`, k.table, k.staffColumn)); err != nil {
				return Report{}, fmt.Errorf("seed: keep %s: %w", k.table, err)
			}
		}
		if _, err := tx.Exec(ctx, "TRUNCATE "+list+" RESTART IDENTITY CASCADE"); err != nil {
			return Report{}, fmt.Errorf("seed: reset: %w", err)
		}
		for _, k := range keptSettings {
			if _, err := tx.Exec(ctx, fmt.Sprintf(`INSERT INTO %[1]s SELECT * FROM kept_%[1]s`, k.table)); err != nil {
				return Report{}, fmt.Errorf("seed: restore %s: %w", k.table, err)
			}
		}
		if dependants = slices.DeleteFunc(dependants, isKeptSetting); len(dependants) > 0 {
			log.Warn("reset also emptied the tables that refer to the demo data", "tables", strings.Join(dependants, ", "))
		}
	} else {
		empty, err := allEmpty(ctx, tx, names)
		if err != nil {
			return Report{}, err
		}
		if !empty {
			return Report{}, ErrNotEmpty
		}
	}
	// Index builds sort in memory and foreign-key checks hash in memory
	// with maintenance_work_mem; the default 64MB spills 50-million-row
	// sorts to disk.
	if _, err := tx.Exec(ctx, "SET LOCAL maintenance_work_mem = '1GB'"); err != nil {
		return Report{}, fmt.Errorf("seed: set maintenance_work_mem: %w", err)
	}
	ddl, err := suspendIndexesAndForeignKeys(ctx, tx, names)
	if err != nil {
		return Report{}, err
	}
	// The loaded tables are empty now; truncating them in this transaction
	// resets their identities and lets COPY FREEZE write the rows already
	// frozen and all-visible (index-only scans work at once, and VACUUM
	// need not rewrite ~20 GB later). With the foreign keys that point at
	// them dropped, no CASCADE is needed, so other features' tables (the
	// product catalogue) are left alone.
	if _, err := tx.Exec(ctx, "TRUNCATE "+list+" RESTART IDENTITY"); err != nil {
		return Report{}, fmt.Errorf("seed: truncate: %w", err)
	}

	gen := newGenerator(opt)
	log.Info("seeding demo data", "clients", opt.Clients, "seed", opt.Seed, "as_of", opt.AsOf.Format(time.DateOnly),
		"advisors", len(gen.staff.advisors))
	rep.Rows = map[string]int64{}
	for _, t := range tables {
		began := time.Now()
		n, err := copyRows(ctx, tx.Conn().PgConn(), t.name, t.columns, func(w *rowWriter) error { return t.write(gen, w) })
		if err != nil {
			return Report{}, fmt.Errorf("seed: %w", err)
		}
		rep.Rows[t.name] = n
		log.Info("loaded", "table", t.name, "rows", n, "elapsed", time.Since(began).Round(time.Millisecond))
	}
	if err := ddl.restore(ctx, tx, names, log); err != nil {
		return Report{}, err
	}
	if err := resetSequences(ctx, tx, names); err != nil {
		return Report{}, err
	}
	if err := tx.Commit(ctx); err != nil {
		return Report{}, fmt.Errorf("seed: commit: %w", err)
	}
	rep.Elapsed = time.Since(start)
	log.Info("demo data seeded", "elapsed", rep.Elapsed.Round(time.Millisecond))
	return rep, nil
}

// dependentTables lists the other tables TRUNCATE ... CASCADE would empty
// with the loaded ones: those with a foreign key to them, transitively.
func dependentTables(ctx context.Context, tx pgx.Tx, names []string) ([]string, error) {
	rows, err := tx.Query(ctx, `
		WITH RECURSIVE dependent (rel) AS (
			SELECT conrelid FROM pg_constraint
			WHERE contype = 'f' AND confrelid = ANY ($1::text[]::regclass[])
			UNION
			SELECT c.conrelid FROM pg_constraint c JOIN dependent d ON c.confrelid = d.rel
			WHERE c.contype = 'f'
		)
		SELECT rel::regclass::text FROM dependent
		WHERE rel <> ALL ($1::text[]::regclass[])
		ORDER BY 1`, names)
	if err != nil {
		return nil, fmt.Errorf("seed: find dependent tables: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

func allEmpty(ctx context.Context, tx pgx.Tx, names []string) (bool, error) {
	checks := make([]string, len(names))
	for i, n := range names {
		checks[i] = "EXISTS (SELECT 1 FROM " + n + ")"
	}
	var found bool
	if err := tx.QueryRow(ctx, "SELECT "+strings.Join(checks, " OR ")).Scan(&found); err != nil {
		return false, fmt.Errorf("seed: check for existing data: %w", err)
	}
	return !found, nil
}

// deferredDDL holds the definitions of the dropped constraints and
// indexes, read from the catalogue so they always match the migrations.
type deferredDDL struct {
	keys        []constraint // primary keys and unique constraints
	indexes     []string     // CREATE INDEX statements
	foreignKeys []constraint
}

type constraint struct{ table, name, definition string }

// suspendIndexesAndForeignKeys drops the foreign keys on and to the loaded
// tables, then their primary keys, unique constraints and other indexes,
// as the PostgreSQL manual advises for bulk loads: building an index once
// over loaded data is cheaper than maintaining it row by row (a random
// key such as an IBAN makes every insert a random B-tree descent), and
// checking a foreign key once for the whole table is cheaper than a
// trigger per row. Rows of other tables that point at the loaded ones can
// only hold NULL there (the loaded tables were empty or reset with
// CASCADE), so their foreign keys come back valid.
func suspendIndexesAndForeignKeys(ctx context.Context, tx pgx.Tx, names []string) (*deferredDDL, error) {
	d := &deferredDDL{}
	readConstraints := func(where string) ([]constraint, error) {
		rows, err := tx.Query(ctx, `
			SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
			FROM pg_constraint c
			WHERE `+where+`
			ORDER BY c.conrelid::regclass::text, c.contype, c.conname`, names)
		if err != nil {
			return nil, err
		}
		return pgx.CollectRows(rows, func(row pgx.CollectableRow) (constraint, error) {
			var c constraint
			err := row.Scan(&c.table, &c.name, &c.definition)
			return c, err
		})
	}
	var err error
	d.foreignKeys, err = readConstraints(`c.contype = 'f' AND (c.conrelid = ANY ($1::text[]::regclass[]) OR c.confrelid = ANY ($1::text[]::regclass[]))`)
	if err != nil {
		return nil, fmt.Errorf("seed: read foreign keys: %w", err)
	}
	d.keys, err = readConstraints(`c.contype IN ('p', 'u') AND c.conrelid = ANY ($1::text[]::regclass[])`)
	if err != nil {
		return nil, fmt.Errorf("seed: read keys: %w", err)
	}
	rows, err := tx.Query(ctx, `
		SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
		FROM pg_index i
		WHERE i.indrelid = ANY ($1::text[]::regclass[])
		  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.contype <> 'f')
		ORDER BY 1`, names)
	if err != nil {
		return nil, fmt.Errorf("seed: read indexes: %w", err)
	}
	var indexNames []string
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			return nil, err
		}
		indexNames = append(indexNames, name)
		d.indexes = append(d.indexes, def)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("seed: read indexes: %w", err)
	}
	for _, c := range append(d.foreignKeys, d.keys...) {
		if _, err := tx.Exec(ctx, "ALTER TABLE "+c.table+" DROP CONSTRAINT "+pgx.Identifier{c.name}.Sanitize()); err != nil {
			return nil, fmt.Errorf("seed: drop constraint %s: %w", c.name, err)
		}
	}
	for _, name := range indexNames {
		if _, err := tx.Exec(ctx, "DROP INDEX "+name); err != nil {
			return nil, fmt.Errorf("seed: drop index %s: %w", name, err)
		}
	}
	return d, nil
}

// restore rebuilds the keys and indexes, refreshes planner
// statistics (so the foreign-key checks get good plans) and adds the
// foreign keys back. Adding a constraint checks every row, so the whole
// load is validated before the commit.
func (d *deferredDDL) restore(ctx context.Context, tx pgx.Tx, names []string, log *slog.Logger) error {
	timed := func(what, stmt string) error {
		began := time.Now()
		if _, err := tx.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("seed: %s: %s: %w", what, stmt, err)
		}
		log.Debug(what, "statement", stmt, "elapsed", time.Since(began).Round(time.Millisecond))
		return nil
	}
	began := time.Now()
	for _, c := range d.keys {
		if err := timed("restore key", "ALTER TABLE "+c.table+" ADD CONSTRAINT "+pgx.Identifier{c.name}.Sanitize()+" "+c.definition); err != nil {
			return err
		}
	}
	for _, def := range d.indexes {
		if err := timed("recreate index", def); err != nil {
			return err
		}
	}
	log.Info("keys and indexes rebuilt", "count", len(d.keys)+len(d.indexes), "elapsed", time.Since(began).Round(time.Millisecond))
	began = time.Now()
	if err := timed("analyze", "ANALYZE "+strings.Join(names, ", ")); err != nil {
		return err
	}
	log.Info("statistics updated", "elapsed", time.Since(began).Round(time.Millisecond))
	began = time.Now()
	for _, c := range d.foreignKeys {
		if err := timed("validate foreign key", "ALTER TABLE "+c.table+" ADD CONSTRAINT "+pgx.Identifier{c.name}.Sanitize()+" "+c.definition); err != nil {
			return err
		}
	}
	log.Info("foreign keys validated", "count", len(d.foreignKeys), "elapsed", time.Since(began).Round(time.Millisecond))
	return nil
}

// resetSequences moves every identity past the largest loaded id, so rows
// inserted later without an id do not collide with the demo data.
func resetSequences(ctx context.Context, tx pgx.Tx, names []string) error {
	rows, err := tx.Query(ctx, `
		SELECT table_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND column_name = 'id' AND is_identity = 'YES'
		  AND table_name = ANY ($1) ORDER BY 1`, names)
	if err != nil {
		return fmt.Errorf("seed: find identity columns: %w", err)
	}
	identities, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("seed: find identity columns: %w", err)
	}
	for _, t := range identities {
		q := fmt.Sprintf(`SELECT setval(pg_get_serial_sequence('%s', 'id'), coalesce(max(id), 0) + 1, false) FROM %s`, t, t)
		if _, err := tx.Exec(ctx, q); err != nil {
			return fmt.Errorf("seed: set sequence of %s: %w", t, err)
		}
	}
	return nil
}
