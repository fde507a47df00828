package crosssell

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
)

// fingerprint is what a client's ranking depends on, read in one query:
// when it changes, the ranking is made again. Balances moving with every
// payment are left out on purpose (the needs they size are judged again
// the next day: the date is part of the key); a product opened or closed,
// a profile change, a response to an offer, a new suitability assessment,
// an activated model or a changed lever all change it at once. So do the
// inputs of the targeted programmes (programmes.go) beyond those: a trade
// (it changes what is held and the turnover), and an import of market
// data (prices, rates and volatilities value the holdings; every import is
// a market_imports row). Prices of the day written otherwise are seen the
// next day, like balances.
type fingerprint struct {
	key string
	// active is the active model version of each family.
	active map[string]string
	// lastContact is the firm's latest contact with the client.
	lastContact *time.Time
	// riskClass is the client's assessed risk class, 0 without one.
	riskClass int
	levers    map[int64]decimal.Decimal
	// pending are the products of the client's open deals (an
	// application in progress): not offered again meanwhile.
	pending []int64
}

// lever is the lever in force for a product, 1 when none was set.
func (f fingerprint) lever(productID int64) decimal.Decimal {
	if l, ok := f.levers[productID]; ok {
		return l
	}
	return decimal.NewFromInt(1)
}

const fingerprintSQL = `
SELECT c.updated_at,
       (SELECT count(*)::text || ':' || coalesce(max(a.id), 0) FROM accounts a WHERE a.client_id = c.id AND a.status <> 'closed'),
       (SELECT count(*)::text || ':' || coalesce(max(l.id), 0) FROM credit_lines l WHERE l.client_id = c.id AND l.status = 'active'),
       (SELECT count(*)::text || ':' || coalesce(max(ip.id), 0) FROM insurance_policies ip WHERE ip.client_id = c.id AND ip.status = 'active'),
       (SELECT count(*)::text || ':' || coalesce(max(p.id), 0) FROM positions p WHERE p.client_id = c.id),
       (SELECT count(*)::text || ':' || coalesce(max(t.id), 0) FROM trades t WHERE t.client_id = c.id),
       (SELECT coalesce(max(mi.id), 0) FROM market_imports mi),
       (SELECT coalesce(max(pc.id), 0) FROM profile_changes pc WHERE pc.client_id = c.id),
       (SELECT coalesce(max(d.seq), 0) FROM decision_records d WHERE d.client_id = c.id AND d.kind = 'response'),
       (SELECT max(i.occurred_at) FROM interactions i WHERE i.client_id = c.id AND i.direction = 'outbound'),
       coalesce((SELECT r.risk_class FROM risk_assessments r WHERE r.client_id = c.id ORDER BY r.assessed_at DESC LIMIT 1), 0),
       (SELECT coalesce(max(r.id), 0) FROM risk_assessments r WHERE r.client_id = c.id),
       array(SELECT m.family || '=' || m.version FROM (` + activeVersionsSQL + `) m),
       array(SELECT ol.product_id::text || '=' || ol.lever::text
             FROM (SELECT DISTINCT ON (product_id) product_id, lever FROM offer_levers ORDER BY product_id, id DESC) ol),
       array(SELECT DISTINCT d.product_id FROM deals d WHERE d.client_id = c.id AND d.status = 'open' AND d.product_id IS NOT NULL ORDER BY 1)
FROM clients c
WHERE c.id = $1`

// fingerprint reads the client's fingerprint; a client that does not exist
// is ENOTFOUND.
func (a *Arbiter) fingerprint(ctx context.Context, clientID int64, now time.Time) (fingerprint, error) {
	var (
		updated                              time.Time
		accounts, lines, policies, positions string
		trades                               string
		imports                              int64
		changes, responses, assessment       int64
		fp                                   = fingerprint{active: map[string]string{}, levers: map[int64]decimal.Decimal{}}
		active, levers                       []string
	)
	err := a.pool.QueryRow(ctx, fingerprintSQL, clientID).Scan(&updated, &accounts, &lines, &policies, &positions, &trades, &imports, &changes,
		&responses, &fp.lastContact, &fp.riskClass, &assessment, &active, &levers, &fp.pending)
	if errors.Is(err, pgx.ErrNoRows) {
		return fingerprint{}, ecrm.Errorf(ecrm.ENOTFOUND, "There is no such client.")
	}
	if err != nil {
		return fingerprint{}, fmt.Errorf("offers of client %d: %w", clientID, err)
	}
	for _, s := range active {
		family, version, _ := cutLast(s, '=')
		fp.active[family] = version
	}
	for _, s := range levers {
		id, lever, _ := cutLast(s, '=')
		var pid int64
		if _, err := fmt.Sscan(id, &pid); err != nil {
			return fingerprint{}, fmt.Errorf("offer lever %q: %w", s, err)
		}
		fp.levers[pid] = decimal.RequireFromString(lever)
	}
	contact := ""
	if fp.lastContact != nil {
		contact = fp.lastContact.UTC().Format(time.RFC3339Nano)
	}
	h := sha256.New()
	// The latest assessment's id, not only its class: a questionnaire
	// that changes the client's knowledge or loss capacity changes what
	// the gate lets through.
	fmt.Fprintf(h, "%s|%s|%s|%s|%s|%s|%s|%d|%d|%d|%s|%d|%d|%q|%q|%v", now.Format(time.DateOnly), updated.UTC().Format(time.RFC3339Nano),
		accounts, lines, policies, positions, trades, imports, changes, responses, contact, fp.riskClass, assessment, active, levers, fp.pending)
	fp.key = hex.EncodeToString(h.Sum(nil)[:16])
	return fp, nil
}

func cutLast(s string, sep byte) (before, after string, found bool) {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == sep {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}
