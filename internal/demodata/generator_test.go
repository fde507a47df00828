package demodata

import (
	"testing"
	"time"
)

// TestGeneratedInvariants checks, without a database, the properties the
// schema's CHECK constraints and the data's consistency rely on, over a
// population large enough to hit rare branches.
func TestGeneratedInvariants(t *testing.T) {
	gen := newGenerator(Options{Clients: 6000, Seed: 7, AsOf: time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC)})
	w := &rowWriter{flush: func(b []byte) ([]byte, error) { return b[:0], nil }}
	var clients, events, lines, overdrawn int
	err := gen.forEachGroup(w, needBanking, func(grp *group) {
		for _, c := range grp.members {
			clients++
			gen.simulateBanking(c, func(c *client, e *event) { events++ })
			for i := range c.accounts {
				a := &c.accounts[i]
				switch a.kind {
				case "savings", "term_deposit", "brokerage":
					if a.balance < 0 {
						t.Errorf("client %d: %s account %d balance %d < 0", c.id, a.kind, a.id, a.balance)
					}
				}
				if a.closed != noDay && a.kind == "term_deposit" && a.balance != 0 {
					t.Errorf("client %d: closed deposit %d has balance %d", c.id, a.id, a.balance)
				}
			}
			for i := range c.lines {
				l := &c.lines[i]
				lines++
				b := gen.lineBalance(c, l)
				if b < 0 || b*2 > l.limit*3 {
					overdrawn++
					t.Logf("client %d: %s line balance %d limit %d", c.id, l.kind, b, l.limit)
				}
				if l.history.status == "closed" && l.history.closed < l.opened {
					t.Errorf("client %d: line closed %v before opened %v", c.id, l.history.closed, l.opened)
				}
				if l.account >= 0 && c.accounts[l.account].kind == "loan" {
					a := &c.accounts[l.account]
					if want := -l.history.balance; l.history.status != "closed" && a.balance != want {
						t.Errorf("client %d: loan account %d balance %d, line outstanding %d", c.id, a.id, a.balance, -want)
					}
				}
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if overdrawn > 0 {
		t.Errorf("%d of %d credit lines outside 0..1.5×limit", overdrawn, lines)
	}
	t.Logf("%d clients, %.1f transactions per client, %d credit lines", clients, float64(events)/float64(clients), lines)
}
