package main

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ecrm-project/ecrm/internal/browsertest"
	"github.com/ecrm-project/ecrm/pipeline"
)

// TestPipelineBoardInABrowser: the advisor finds her client's deal on the
// board, opens it, moves it to the next stage and sees the stage's task
// appear with its deadline, does it, and — once her first task is past
// its deadline and the sweep has run — reads the notification on the
// console's home page and finds the e-mail in the outbox.
func TestPipelineBoardInABrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	e := newTestEnv(t, nil)
	ctx := context.Background()
	zone := e.app.cfg.TimeZone
	hours := pipeline.DefaultBusinessHours(zone)
	// The deal was opened three business days ago: its call-back is late.
	opened := hours.Add(time.Now().AddDate(0, 0, -5), 0)
	store := pipeline.NewStore(e.pool, hours)
	store.SetClock(func() time.Time { return opened })
	id, err := store.CreateDeal(ctx, pipeline.DealInput{Pipeline: "sales", ClientID: 1, Title: "Savings for the children",
		Amount: "20000.00", Currency: "RON", Source: "branch"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	deal := "/console/deals/" + strconv.FormatInt(id, 10)

	b := browsertest.New(t)
	if err := browsertest.SetAcceptLanguage(b, "en"); err != nil {
		t.Fatal(err)
	}
	if err := browsertest.RecordCSPViolations(b); err != nil {
		t.Fatal(err)
	}
	browsertest.Visit(t, b, e.baseURL+"/console", `button[value="`+advisorSubject+`"]`)
	browsertest.Follow(t, b, `button[value="`+advisorSubject+`"]`)
	browsertest.Visit(t, b, e.baseURL+"/console/pipelines/sales", "#board")
	if got := browsertest.Text(t, b, `[data-stage="lead"]`); !strings.Contains(got, "Savings for the children") || !strings.Contains(got, "Ana Popescu") {
		t.Fatalf("the Lead column: %q", got)
	}
	browsertest.Follow(t, b, `[data-stage="lead"] a[href="`+deal+`"]`)
	if err := chromedp.Do(b, chromedp.SetValue(chromedp.CSS("#deal-stage-select"), "first_call")); err != nil {
		t.Fatal(err)
	}
	browsertest.Follow(t, b, "#deal-move")
	if got := browsertest.Text(t, b, "#deal-moved"); got != "The deal is now at: First call." {
		t.Errorf("after the move: %q", got)
	}
	tasks := browsertest.Text(t, b, "#deal-tasks")
	if !strings.Contains(tasks, "Book a needs-analysis meeting") || !strings.Contains(tasks, "Call the client back") || !strings.Contains(tasks, "Overdue") {
		t.Errorf("the deal's tasks: %q", tasks)
	}
	if got := browsertest.Text(t, b, "#deal-timeline"); !strings.Contains(got, "moved from Lead to First call") {
		t.Errorf("timeline %q", got)
	}

	// The sweep (a job every minute in serve) tells her of the late call.
	if _, err := pipeline.NewStore(e.pool, hours).Sweep(ctx, e.app.outbox, e.baseURL); err != nil {
		t.Fatal(err)
	}
	browsertest.Visit(t, b, e.baseURL+"/console", "#notifications")
	if got := browsertest.Text(t, b, "#notification-list"); !strings.Contains(got, "Overdue: Call the client back (Ana Popescu)") {
		t.Errorf("notification %q", got)
	}
	var subject string
	if err := e.pool.QueryRow(ctx, `SELECT subject FROM outbox_messages WHERE to_address = 'maria@bank.example'`).Scan(&subject); err != nil || subject != "Overdue: Call the client back" {
		t.Errorf("the e-mail: %q %v", subject, err)
	}
	// Done from her tasks page.
	browsertest.Visit(t, b, e.baseURL+"/console/tasks", "#overdue-tasks")
	browsertest.Follow(t, b, "#overdue-tasks button")
	if got := browsertest.Text(t, b, "#task-done"); got != "The task is done." {
		t.Errorf("after done: %q", got)
	}
	if v := browsertest.CSPViolations(t, b); len(v) > 0 {
		t.Errorf("CSP violations: %v", v)
	}
	if _, err := browsertest.SaveScreenshot(b, "pipeline-board"); err != nil {
		t.Log(err)
	}
}
