package risk

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/ecrm-project/ecrm/internal/pgtest"
)

const bureauCSV = `client_id,lender,reference,kind,currency,credit_limit,balance,opened_on,period,amount_due,amount_paid,status,line_status
7,Banca Carpatica,CC-99,credit_card,RON,5000.00,1200.00,2024-03-10,2026-09,60.00,60.00,on_time,active
7,Banca Carpatica,CC-99,credit_card,RON,5000.00,1300.00,2024-03-10,2026-10,65.00,0.00,late_30,active
7,Banca Carpatica,CC-99,credit_card,RON,5000.00,1.005,2024-03-10,2026-11,65.00,65.00,on_time,active
8,Banca Carpatica,PL-1,consumer_loan,EUR,10000.00,8000.00,2025-01-05,2026-11,250.00,250.00,on_time,active
7,IFN Rapid,PL-7,payday,RON,1000.00,900.00,2026-13-01,2026-11,100.00,100.00,on_time,active
`

// TestBureauImport: a report's bad rows are named by line and field (an
// amount with three decimals on line 4, an unknown client on line 5, a
// wrong kind and opening date on line 6) and the good ones applied in one
// transaction; importing the same report again changes nothing.
func TestBureauImport(t *testing.T) {
	pool := pgtest.New(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `INSERT INTO clients (id, given_name, family_name) VALUES (7, 'Ana', 'Popescu')`); err != nil {
		t.Fatal(err)
	}
	rows, err := ReadBureauCSV(strings.NewReader(bureauCSV))
	if err != nil {
		t.Fatal(err)
	}
	res, err := ImportBureau(ctx, pool, rows)
	if err != nil {
		t.Fatal(err)
	}
	var problems []string
	for _, p := range res.Rejected {
		problems = append(problems, strconv.Itoa(p.Line)+":"+strings.Join(p.Fields, "+"))
	}
	if strings.Join(problems, " ") != "4:balance 5:client_id 6:kind+opened_on" || res.Applied != 2 || res.Lines != 1 || res.Months != 2 {
		t.Fatalf("first import: %+v (%q)", res, problems)
	}
	var balance, payment, status string
	if err := pool.QueryRow(ctx, `SELECT balance::text, monthly_payment::text, status FROM credit_lines WHERE client_id = 7 AND bureau_ref = 'CC-99'`).Scan(&balance, &payment, &status); err != nil ||
		balance != "1300.00" || payment != "65.00" || status != "active" {
		t.Errorf("line after import: %s %s %s %v", balance, payment, status, err)
	}
	again, err := ImportBureau(ctx, pool, rows)
	if err != nil || again.Lines != 0 || again.Months != 0 || again.Applied != 2 {
		t.Errorf("the same report again: %+v %v", again, err)
	}
	if _, err := ReadBureauCSV(strings.NewReader("client_id,lender\n1,x\n")); err == nil || !strings.Contains(err.Error(), "lacks the column reference") {
		t.Errorf("a header without columns: %v", err)
	}
	js, err := ReadBureauJSON(strings.NewReader(`[{"client_id": 7, "lender": "Banca Carpatica", "reference": "CC-99", "kind": "credit_card", "currency": "RON",
		"credit_limit": "5000.00", "balance": "1250.00", "opened_on": "2024-03-10", "period": "2026-12", "amount_due": "62.50", "amount_paid": "62.50",
		"status": "on_time", "line_status": "active"}]`))
	if err != nil {
		t.Fatal(err)
	}
	if res, err := ImportBureau(ctx, pool, js); err != nil || res.Months != 1 || res.Lines != 0 {
		t.Errorf("JSON import: %+v %v", res, err)
	}
}
