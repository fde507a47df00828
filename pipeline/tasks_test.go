package pipeline

import (
	"context"
	"slices"
	"testing"
	"time"
)

// TestAddTaskByHand: every mistake named at its field and nothing
// written — no title, a deadline in the past or unreadable, another
// advisor's deal or client, a closed deal; a good task is due when typed
// in the firm's zone, escalated a working day later, and is listed among
// the advisor's tasks.
func TestAddTaskByHand(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, err := f.store.AddTask(ctx, TaskInput{Title: " ", Due: "2026-11-24T09:00", ClientID: 11}, maria)
	if got, want := fieldsOf(err), []string{"client_id=pipeline.error.client", "title=pipeline.error.task_title", "due=pipeline.error.task_due_past"}; !slices.Equal(got, want) {
		t.Errorf("problems = %v, want %v", got, want)
	}
	if _, err := f.store.AddTask(ctx, TaskInput{Title: "Call", Due: "next Friday"}, maria); !slices.Equal(fieldsOf(err), []string{"due=pipeline.error.task_due"}) {
		t.Errorf("an unreadable deadline: %v", fieldsOf(err))
	}
	bogdans, err := f.store.CreateDeal(ctx, DealInput{Pipeline: "sales", ClientID: 11, Title: "Card", Source: "branch"}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.AddTask(ctx, TaskInput{DealID: bogdans, Title: "Call", Due: "2026-11-26T10:00"}, maria); !slices.Equal(fieldsOf(err), []string{"deal_id=pipeline.error.task_deal"}) {
		t.Errorf("another advisor's deal: %v", fieldsOf(err))
	}
	anas, err := f.store.CreateDeal(ctx, DealInput{Pipeline: "sales", ClientID: 10, Title: "Savings", Source: "branch"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.MoveDeal(ctx, anas, "lost", "Chose another bank", maria); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.AddTask(ctx, TaskInput{DealID: anas, Title: "Call", Due: "2026-11-26T10:00"}, maria); !slices.Equal(fieldsOf(err), []string{"deal_id=pipeline.error.task_deal_closed"}) {
		t.Errorf("a closed deal: %v", fieldsOf(err))
	}
	var n int
	if err := f.pool.QueryRow(ctx, `SELECT count(*) FROM tasks WHERE template_id IS NULL`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("tasks written for refused input: %d, %v", n, err)
	}
	id, err := f.store.AddTask(ctx, TaskInput{ClientID: 10, Title: " Call Ana about the card limit ", Due: "2026-11-27T17:30"}, maria)
	if err != nil {
		t.Fatal(err)
	}
	list, _, err := f.store.MyTasks(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(list, func(t Task) bool { return t.ID == id })
	if i < 0 {
		t.Fatalf("the task is not among Maria's")
	}
	task := list[i]
	due := time.Date(2026, 11, 27, 17, 30, 0, 0, f.now.Location())
	// Nine working hours after Friday 17:30: half an hour on Friday, then
	// Monday 30 November and Tuesday 1 December are holidays, so
	// Wednesday 2 December from 09:00 for eight and a half: 17:30.
	escalate := time.Date(2026, 12, 2, 17, 30, 0, 0, f.now.Location())
	if task.Title.EN != "Call Ana about the card limit" || task.Title.RO != task.Title.EN || task.ClientID != 10 || task.DealID != 0 ||
		!task.DueAt.Equal(due) || !task.EscalateAt.Equal(escalate) || task.AssigneeID != 1 {
		t.Errorf("task = %+v (escalate %s, want %s)", task, task.EscalateAt, escalate)
	}
}
