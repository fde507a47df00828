package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ecrm-project/ecrm/internal/pgdb"
	"github.com/ecrm-project/ecrm/internal/pgtest"
)

// TestImportMarketCommand: `ecrm import prices` applies a good file and
// says what it wrote; a file with a bad row names the line and fails,
// writing nothing; `ecrm import news` takes news tagged by segment.
func TestImportMarketCommand(t *testing.T) {
	url := pgtest.NewURL(t)
	env := map[string]string{"DATABASE_URL": url}
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("prices.csv", "type,symbol,name,kind,currency,segment,risk_class,date,close,base,quote,rate\n"+
		"instrument,ROX,Romania Blue Chip Index,index,RON,Bucharest equities,5,,,,,\n"+
		"price,ROX,,,,,,2026-03-13,16235.079,,,\n"+
		"fx,,,,,,,2026-03-13,,EUR,RON,4.9734\n")
	out, err := runCommand(t, env, "import", "prices", "--source", "BVB", good)
	if err != nil || !strings.Contains(out, "3 rows read, 3 new or changed (import 1)") || !strings.Contains(out, "  fx                     1 rows        1 new or changed") {
		t.Fatalf("good file: %v\n%s", err, out)
	}
	bad := write("bad.csv", "type,symbol,date,close\nprice,ROX,2026-03-12,16100\nprice,ROX,2026-03-11,abc\n")
	out, err = runCommand(t, env, "import", "prices", bad)
	if err == nil || err.Error() != "import: 1 of 2 rows refused; nothing was written" || out != "line 3: missing or invalid: close\n" {
		t.Errorf("bad file: %v\n%s", err, out)
	}
	news := write("news.json", `[{"type": "news", "source": "BVB", "external_id": "1", "published_at": "2026-03-13T08:00:00Z",
		"language": "ro", "headline": "Rulaj record la bursă", "segments": ["Bucharest equities"], "instruments": ["ROX"]}]`)
	if out, err = runCommand(t, env, "import", "news", news); err != nil || !strings.Contains(out, "1 rows read, 1 new or changed (import 2)") {
		t.Errorf("news file: %v\n%s", err, out)
	}
	pool, err := pgdb.Open(context.Background(), url, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var prices int
	var source string
	if err := pool.QueryRow(context.Background(), `SELECT count(*), min(source) FROM instrument_prices`).Scan(&prices, &source); err != nil || prices != 1 || source != "BVB" {
		t.Errorf("stored closes: %d from %q, %v", prices, source, err)
	}
}
