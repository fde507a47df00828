package compliance

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

func (f *consoleFixture) setRate(t testing.TB, bp int) {
	t.Helper()
	if err := f.handler.console.SetSampleRate(context.Background(), complianceID, bp); err != nil {
		t.Fatal(err)
	}
}

func (f *consoleFixture) queue(t testing.TB) []int64 {
	t.Helper()
	var got recordPageJSON
	f.getJSON(t, "/api/v1/compliance/queue", http.StatusOK, &got)
	return seqsOf(got)
}

func TestReviewFlagApproveAndQueue(t *testing.T) {
	f := newConsoleFixture(t)
	f.setRate(t, 0)
	want := []int64{}
	if f.reviewRequest != 0 {
		want = []int64{9} // the client asked a human to review offer 9
	}
	if q := f.queue(t); !slices.Equal(q, want) {
		t.Fatalf("queue at 0 %% = %v, want %v", q, want)
	}

	// Flagging needs a comment, named at the field; nothing is stored.
	w := f.do(t, req{method: http.MethodPost, path: "/api/v1/compliance/records/2/reviews", as: asCompliance, body: `{"action":"flag","comment":"  "}`})
	if p := decodeProblemDoc(t, w); w.Code != 422 || len(p.Errors) != 1 || p.Errors[0].Field != "comment" {
		t.Fatalf("flag without comment: %d %+v", w.Code, p)
	}
	w = f.do(t, req{method: http.MethodPost, path: "/api/v1/compliance/records/2/reviews", as: asCompliance, body: `{"action":"delete"}`})
	if p := decodeProblemDoc(t, w); w.Code != 422 || p.Errors[0].Field != "action" {
		t.Fatalf("unknown action: %d %+v", w.Code, p)
	}
	w = f.do(t, req{method: http.MethodPost, path: "/console/compliance/records/2/reviews", as: asCompliance, form: true, body: "action=flag&comment="})
	if w.Code != 422 || !strings.Contains(w.Body.String(), `id="review-comment-error"`) {
		t.Fatalf("page flag without comment: %d", w.Code)
	}

	// A flagged record enters the queue.
	w = f.do(t, req{method: http.MethodPost, path: "/api/v1/compliance/records/2/reviews", as: asCompliance,
		body: `{"action":"flag","comment":"Blocked for consent, but the client had consented by phone"}`})
	if w.Code != http.StatusCreated {
		t.Fatalf("flag: %d %s", w.Code, w.Body)
	}
	if q := f.queue(t); !slices.Equal(q, append(slices.Clone(want), 2)) {
		t.Errorf("queue after flag = %v", q)
	}
	var d detailJSON
	f.getJSON(t, "/api/v1/compliance/records/2", http.StatusOK, &d)
	if *d.Review != "flag" || len(d.Reviews) != 1 || d.Reviews[0].StaffName != "Carmen Compliance" || !strings.Contains(d.Reviews[0].Comment, "consented by phone") {
		t.Errorf("record 2 after flag: review %v, reviews %+v", d.Review, d.Reviews)
	}

	// Four eyes: the officer who flagged it may not approve it.
	w = f.do(t, req{method: http.MethodPost, path: "/api/v1/compliance/records/2/reviews", as: asCompliance, body: `{"action":"approve"}`})
	if p := decodeProblemDoc(t, w); w.Code != 422 || len(p.Errors) != 1 || p.Errors[0].Field != "action" ||
		p.Errors[0].Message != "You flagged this record: another compliance officer must approve it (four eyes)." {
		t.Fatalf("approval by the flagging officer: %d %+v", w.Code, p)
	}
	w = f.do(t, req{method: http.MethodPost, path: "/console/compliance/records/2/reviews", as: asCompliance, form: true, body: "action=approve"})
	if w.Code != 422 || !strings.Contains(w.Body.String(), "another compliance officer must approve it") {
		t.Fatalf("page approval by the flagging officer: %d", w.Code)
	}
	if _, err := f.pool.Exec(context.Background(), `INSERT INTO staff_users (id, email, display_name, roles) VALUES (13, 'dana@bank.test', 'Dana Compliance', '{compliance}')`); err != nil {
		t.Fatal(err)
	}
	const asSecondOfficer = "staff:13:compliance"

	// Approving, by another officer with the form, takes it out; the
	// history keeps both.
	w = f.do(t, req{method: http.MethodPost, path: "/console/compliance/records/2/reviews", as: asSecondOfficer, form: true,
		body: url.Values{"action": {"approve"}, "comment": {"Checked the call recording"}}.Encode()})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/console/compliance/records/2?reviewed=1#reviews" {
		t.Fatalf("approve form: %d %s", w.Code, w.Header().Get("Location"))
	}
	if q := f.queue(t); !slices.Equal(q, want) {
		t.Errorf("queue after approve = %v, want %v", q, want)
	}
	f.getJSON(t, "/api/v1/compliance/records/2", http.StatusOK, &d)
	if *d.Review != "approve" || len(d.Reviews) != 2 || d.Reviews[0].Action != "flag" || d.Reviews[1].Action != "approve" {
		t.Errorf("history = %+v", d.Reviews)
	}
	page := f.do(t, req{path: "/console/compliance/records/2?reviewed=1", as: asCompliance}).Body.String()
	if !strings.Contains(page, `id="review-saved"`) || !strings.Contains(page, "Checked the call recording") {
		t.Errorf("record page does not show the saved review")
	}
	// Approving without a comment is fine; reviewing a missing record is 404.
	if w := f.do(t, req{method: http.MethodPost, path: "/api/v1/compliance/records/1/reviews", as: asCompliance, body: `{"action":"approve"}`}); w.Code != 201 {
		t.Errorf("approve without comment: %d", w.Code)
	}
	if w := f.do(t, req{method: http.MethodPost, path: "/api/v1/compliance/records/99/reviews", as: asCompliance, body: `{"action":"approve"}`}); w.Code != 404 {
		t.Errorf("review of a missing record: %d", w.Code)
	}
	// Reviews cannot be changed.
	if _, err := f.pool.Exec(context.Background(), `UPDATE compliance_reviews SET comment = 'x'`); err == nil {
		t.Error("UPDATE of compliance_reviews succeeded")
	}

	// At 100 %, every shown offer not approved waits: 1 was approved.
	f.setRate(t, 10000)
	if q := f.queue(t); !slices.Equal(q, []int64{9, 7, 4}) {
		t.Errorf("queue at 100 %% = %v, want [9 7 4]", q)
	}
	if q := f.do(t, req{path: "/console/compliance/queue", as: asCompliance}).Body.String(); !strings.Contains(q, "100.00%") || !slices.Equal(pageSeqs(q), []int64{9, 7, 4}) {
		t.Errorf("queue page: %v", pageSeqs(q))
	}
}

// TestSamplingIsReproducible checks that the sample is what anyone can
// compute from the records' hashes, in Go or in SQL, at any rate.
func TestSamplingIsReproducible(t *testing.T) {
	f := newConsoleFixture(t)
	ctx := context.Background()
	// More shown offers, so that the sample is neither empty nor all.
	var extra []Record
	for i := 0; i < 190; i++ {
		extra = append(extra, Record{Kind: KindOfferShown, ClientID: anaID, ProductID: depID, Engine: "products.matching",
			Channel: "web", Actor: Actor{Kind: ActorSystem}, Outcome: OutcomeShown, Body: Body{Inputs: map[string]any{"i": i}}})
	}
	f.log.Now = func() time.Time { return utc("2026-11-23 12:00") }
	if _, err := f.log.Append(ctx, extra...); err != nil {
		t.Fatal(err)
	}
	rows, err := f.pool.Query(ctx, `SELECT seq, hash, compliance_sample_point(hash) FROM decision_records WHERE kind = 'offer_shown' ORDER BY seq DESC`)
	if err != nil {
		t.Fatal(err)
	}
	type shown struct {
		seq   int64
		point int
	}
	var offers []shown
	for rows.Next() {
		var s shown
		var hash []byte
		var sqlPoint int
		if err := rows.Scan(&s.seq, &hash, &sqlPoint); err != nil {
			t.Fatal(err)
		}
		s.point = SamplePoint(hash)
		if s.point != sqlPoint {
			t.Fatalf("record %d: Go sample point %d, SQL %d", s.seq, s.point, sqlPoint)
		}
		offers = append(offers, s)
	}
	for _, bp := range []int{1000, 2500, 5000} {
		f.setRate(t, bp)
		var want []int64
		for _, o := range offers {
			// Offer 9 waits anyway: its client asked for a human review.
			if o.point < bp || (o.seq == 9 && f.reviewRequest != 0) {
				want = append(want, o.seq)
			}
		}
		var got []int64
		after := ""
		for {
			var p recordPageJSON
			q := url.Values{"limit": {"200"}, "outcome": {"shown"}}
			if after != "" {
				q.Set("after", after)
			}
			f.getJSON(t, "/api/v1/compliance/queue?"+q.Encode(), http.StatusOK, &p)
			got = append(got, seqsOf(p)...)
			if p.NextCursor == nil {
				break
			}
			after = *p.NextCursor
		}
		if !slices.Equal(got, want) {
			t.Errorf("rate %d bp: queue %v, want %v", bp, got, want)
		}
		// Roughly the rate: 194 shown offers.
		if share := float64(len(got)) / float64(len(offers)); share < float64(bp)/10000/2 || share > float64(bp)/10000*2 {
			t.Errorf("rate %d bp sampled %d of %d", bp, len(got), len(offers))
		}
	}
	if err := f.handler.console.SetSampleRate(ctx, complianceID, 10001); err == nil {
		t.Error("rate above 100 % accepted")
	}
}

func TestSamplingRateIsSetByTheOfficer(t *testing.T) {
	f := newConsoleFixture(t)
	for _, tt := range []struct {
		body   string
		status int
		bp     int
	}{
		{`{"percent":"12.5"}`, 200, 1250},
		{`{"percent":"0"}`, 200, 0},
		{`{"percent":"100"}`, 200, 10000},
		{`{"percent":"100.01"}`, 422, 10000},
		{`{"percent":"-1"}`, 422, 10000},
		{`{"percent":"1.234"}`, 422, 10000},
		{`{"percent":"five"}`, 422, 10000},
	} {
		w := f.do(t, req{method: http.MethodPut, path: "/api/v1/compliance/sampling", as: asCompliance, body: tt.body})
		if w.Code != tt.status {
			t.Errorf("%s: %d %s", tt.body, w.Code, w.Body)
		}
		if tt.status == 422 {
			if p := decodeProblemDoc(t, w); len(p.Errors) != 1 || p.Errors[0].Field != "sample_percent" {
				t.Errorf("%s: %+v", tt.body, p)
			}
		}
		if bp, _ := f.handler.console.SampleRate(context.Background()); bp != tt.bp {
			t.Errorf("%s: rate %d bp, want %d", tt.body, bp, tt.bp)
		}
	}
	if w := f.do(t, req{method: http.MethodPut, path: "/api/v1/compliance/sampling", as: asAdvisor, body: `{"percent":"1"}`}); w.Code != 403 {
		t.Errorf("advisor sets the rate: %d", w.Code)
	}
	// The form on the queue page, in Romanian with a decimal comma.
	w := f.do(t, req{method: http.MethodPost, path: "/console/compliance/queue/sampling", as: asCompliance, form: true, body: "sample_percent=2,5", lang: "ro"})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("form: %d", w.Code)
	}
	if bp, _ := f.handler.console.SampleRate(context.Background()); bp != 250 {
		t.Errorf("rate %d bp after the form, want 250", bp)
	}
	page := f.do(t, req{path: "/console/compliance/queue?sampling=saved", as: asCompliance, lang: "ro"}).Body.String()
	if !strings.Contains(page, "2,50\u00a0%") {
		t.Errorf("queue page does not show 2,50 %%")
	}
	if !strings.Contains(page, `id="sampling-saved"`) {
		t.Error("no confirmation")
	}
	w = f.do(t, req{method: http.MethodPost, path: "/console/compliance/queue/sampling", as: asCompliance, form: true, body: "sample_percent=200"})
	if w.Code != 422 || !strings.Contains(w.Body.String(), `id="sample_percent-error"`) || !strings.Contains(w.Body.String(), `value="200"`) {
		t.Errorf("bad rate on the form: %d", w.Code)
	}
}

// TestSamplingRateChangesAreLogged: every change of the sampling rate is
// kept with who made it, and shown on the queue page; setting the rate it
// already has records nothing.
func TestSamplingRateChangesAreLogged(t *testing.T) {
	f := newConsoleFixture(t)
	f.setRate(t, 1000)
	f.setRate(t, 1000)
	w := f.do(t, req{method: http.MethodPut, path: "/api/v1/compliance/sampling", as: asCompliance, body: `{"percent":"25"}`})
	if w.Code != http.StatusOK && w.Code != http.StatusNoContent {
		t.Fatalf("PUT sampling: %d %s", w.Code, w.Body)
	}
	changes, err := f.handler.console.SamplingChanges(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range changes {
		got = append(got, fmt.Sprintf("%s %d→%d", c.StaffName, c.From, c.To))
	}
	if want := []string{"Carmen Compliance 1000→2500", "Carmen Compliance 500→1000"}; !slices.Equal(got, want) {
		t.Errorf("changes = %q, want %q", got, want)
	}
	page := f.do(t, req{path: "/console/compliance/queue", as: asCompliance}).Body.String()
	if !strings.Contains(page, `id="sampling-changes"`) || strings.Count(page, "Carmen Compliance changed it from") != 2 {
		t.Errorf("the queue page does not show both changes")
	}
}

// TestQueueSaysHowManyWaitAndWhy: the queue page counts the records that
// wait and says of each why it is there.
func TestQueueSaysHowManyWaitAndWhy(t *testing.T) {
	f := newConsoleFixture(t)
	f.setRate(t, 10000) // every shown offer is sampled
	if w := f.do(t, req{method: http.MethodPost, path: "/api/v1/compliance/records/2/reviews", as: asCompliance,
		body: `{"action":"flag","comment":"Check the consent"}`}); w.Code != http.StatusCreated {
		t.Fatalf("flag: %d", w.Code)
	}
	queue := f.queue(t)
	reasons, err := f.handler.console.QueueReasons(context.Background(), queue)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, seq := range queue {
		got = append(got, fmt.Sprintf("%d:%s", seq, strings.Join(reasons[seq], "+")))
	}
	want := []string{"9:sampled", "7:sampled", "4:sampled", "2:flagged", "1:sampled"}
	if f.reviewRequest != 0 {
		want[0] = "9:requested+sampled"
	}
	if !slices.Equal(got, want) {
		t.Errorf("queue and reasons = %q, want %q", got, want)
	}
	page := f.do(t, req{path: "/console/compliance/queue", as: asCompliance}).Body.String()
	if !strings.Contains(page, fmt.Sprintf(`<p id="queue-count"><strong>%d records wait for review</strong></p>`, len(queue))) ||
		!strings.Contains(page, `<td class="queue-reasons">flagged</td>`) || !strings.Contains(page, `<td class="queue-reasons">the client asked for a review, sampled</td>`) == (f.reviewRequest != 0) {
		t.Errorf("the queue page does not count the records or say why they wait:\n%s", page)
	}
	n, err := f.handler.console.QueueCount(context.Background(), Filter{Client: "2"})
	if err != nil || n != 1 {
		t.Errorf("records of client 2 waiting = %d, %v; want 1 (offer 4, sampled; the blocked 5 is neither sampled nor flagged)", n, err)
	}
}
