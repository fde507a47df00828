package risk

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/pgdb"
)

// A client's watch list: instruments they follow without holding them,
// whose quotes and news their brokerage page shows. Adding and removing
// are idempotent (PUT and DELETE), and only ever touch the list of the
// client given, in SQL.

// MaxWatchlist is how many instruments a watch list holds: enough to
// follow a market, few enough to read on one page.
const MaxWatchlist = 50

// Watch list errors, each about the symbol field.
var (
	ErrNoSymbol      = ecrm.FieldErrorf("symbol", "enter an instrument's symbol")
	ErrUnknownSymbol = ecrm.FieldErrorf("symbol", "no instrument has this symbol")
	ErrWatchlistFull = &ecrm.Error{Code: ecrm.ECONFLICT, Field: "symbol", Message: "symbol: a watch list holds at most 50 instruments",
		Fields: []ecrm.FieldError{{Field: "symbol", Message: "a watch list holds at most 50 instruments"}}}
)

// NormaliseSymbol is a symbol as typed, trimmed and in capitals, the way
// instruments' symbols are written.
func NormaliseSymbol(s string) (string, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if s == "" || len(s) > 40 || ecrm.CheckText(s) != nil {
		return "", ErrNoSymbol
	}
	return s, nil
}

// instrumentID finds the instrument with the symbol.
func instrumentID(ctx context.Context, tx pgx.Tx, symbol string) (int64, error) {
	var id int64
	err := tx.QueryRow(ctx, `SELECT id FROM instruments WHERE symbol = $1`, symbol).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, ErrUnknownSymbol
	}
	return id, err
}

// Watch adds the instrument to the client's watch list; added is false
// when it was there already.
func Watch(ctx context.Context, pool *pgxpool.Pool, clientID int64, symbol string, now time.Time) (added bool, err error) {
	if symbol, err = NormaliseSymbol(symbol); err != nil {
		return false, err
	}
	err = pgdb.Transact(ctx, pool, pgx.ReadCommitted, func(tx pgx.Tx) error {
		added = false
		id, err := instrumentID(ctx, tx, symbol)
		if err != nil {
			return err
		}
		// Two additions at once must not both pass the limit: they take
		// turns on the client's row.
		if _, err := tx.Exec(ctx, `SELECT 1 FROM clients WHERE id = $1 FOR NO KEY UPDATE`, clientID); err != nil {
			return err
		}
		var count int
		var there bool
		if err := tx.QueryRow(ctx, `SELECT count(*), coalesce(bool_or(instrument_id = $2), false) FROM watchlist_items WHERE client_id = $1`,
			clientID, id).Scan(&count, &there); err != nil {
			return err
		}
		switch {
		case there:
			return nil
		case count >= MaxWatchlist:
			return ErrWatchlistFull
		}
		_, err = tx.Exec(ctx, `INSERT INTO watchlist_items (client_id, instrument_id, added_at) VALUES ($1, $2, $3)`, clientID, id, now)
		added = err == nil
		return err
	})
	return added, err
}

// Unwatch removes the instrument from the client's watch list; removed is
// false when it was not on it.
func Unwatch(ctx context.Context, pool *pgxpool.Pool, clientID int64, symbol string) (removed bool, err error) {
	if symbol, err = NormaliseSymbol(symbol); err != nil {
		return false, err
	}
	err = pgdb.Transact(ctx, pool, pgx.ReadCommitted, func(tx pgx.Tx) error {
		id, err := instrumentID(ctx, tx, symbol)
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM watchlist_items WHERE client_id = $1 AND instrument_id = $2`, clientID, id)
		removed = tag.RowsAffected() > 0
		return err
	})
	return removed, err
}
