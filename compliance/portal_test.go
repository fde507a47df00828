package compliance

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/page"
	"github.com/ecrm-project/ecrm/internal/web"
	"github.com/ecrm-project/ecrm/products"
)

var portalRenderer = sync.OnceValues(func() (*page.Renderer, error) { return page.New(PortalTemplates) })

// portalEnv is the gate's test database with a portal on it: Ana's offers
// are presented through the gate, Bogdan is another client.
type portalEnv struct {
	*gateEnv
	router http.Handler
	portal *Portal
	bogdan int64
}

func newPortalEnv(t *testing.T) *portalEnv {
	t.Helper()
	e := &portalEnv{gateEnv: newGateEnv(t)}
	pages, err := portalRenderer()
	if err != nil {
		t.Fatalf("page.New(PortalTemplates): %v", err)
	}
	h := NewPortalHandler(e.pool, pages)
	h.portal.log.Now = func() time.Time { return e.clock }
	e.portal = h.portal
	r := chi.NewRouter()
	r.Use(web.RequestID(slog.New(slog.NewTextHandler(io.Discard, nil))), i18n.Middleware, testClient)
	h.Routes(r)
	e.router = r
	e.bogdan = e.newClient("Bogdan")
	e.consent(e.bogdan, "marketing", "web", true, gateNow.AddDate(-1, 0, 0))
	return e
}

// testClient makes the request the client named in X-Test-Client, or a
// member of staff for "staff"; without it the request is anonymous.
func testClient(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch v := r.Header.Get("X-Test-Client"); v {
		case "":
		case "staff":
			r = r.WithContext(ecrm.WithPrincipal(r.Context(), &ecrm.Principal{Kind: ecrm.PrincipalStaff, StaffID: 1, Roles: []string{ecrm.RoleAdvisor}}))
		default:
			id, _ := strconv.ParseInt(v, 10, 64)
			r = r.WithContext(ecrm.WithPrincipal(r.Context(), &ecrm.Principal{Kind: ecrm.PrincipalClient, ClientID: id, Name: "Client"}))
		}
		next.ServeHTTP(w, r)
	})
}

type portalRequest struct {
	method, path, body string
	client             int64 // 0: anonymous
	staff              bool
	form               bool
	lang               string
	header             map[string]string
}

func (e *portalEnv) do(t *testing.T, req portalRequest) *httptest.ResponseRecorder {
	t.Helper()
	if req.method == "" {
		req.method = http.MethodGet
	}
	r := httptest.NewRequest(req.method, req.path, strings.NewReader(req.body))
	switch {
	case req.staff:
		r.Header.Set("X-Test-Client", "staff")
	case req.client != 0:
		r.Header.Set("X-Test-Client", strconv.FormatInt(req.client, 10))
	}
	if req.form {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else if req.body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	r.Header.Set("Accept-Language", cmpOr(req.lang, "en"))
	for k, v := range req.header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	e.router.ServeHTTP(w, r)
	return w
}

// presentOffers shows Ana an ETF (with a fee, a document and terms) and a
// loan, and returns their seqs; a product outside Ana's knowledge is
// blocked and its seq returned too.
func (e *portalEnv) presentOffers(t *testing.T) (etf, loan, blocked int64) {
	t.Helper()
	p := e.presentation(e.clientID, "ETF-EUR-WORLD", "LOAN-EUR-PERS")
	payment := ecrm.MustMoney("1234.56", "EUR")
	p.Offers[0].Disclosures = []Disclosure{
		{Kind: "fee", Text: i18n.Plain("Entry fee"), Amount: ptrMoney(ecrm.MustMoney("1.00", "EUR"))},
		{Kind: "document", Text: i18n.Plain("Key information document"), Document: "KID ETF-EUR-WORLD", DocumentVersion: "2026-03"},
	}
	p.Offers[1].Terms = products.Terms{MonthlyPayment: &payment}
	v := e.present(p)
	if !v[0].Shown || !v[1].Shown {
		t.Fatalf("offers not shown: %+v", v)
	}
	// Without consent in force the same offer is blocked; then Ana
	// consents again.
	e.consent(e.clientID, "marketing", "web", false, gateNow.Add(-2*time.Hour))
	b := e.present(e.presentation(e.clientID, "LOAN-EUR-PERS"))
	e.consent(e.clientID, "marketing", "web", true, gateNow.Add(-time.Hour))
	if b[0].Shown {
		t.Fatalf("offer without consent shown: %+v", b[0])
	}
	return v[0].Seq, v[1].Seq, b[0].Seq
}

func ptrMoney(m ecrm.Money) *ecrm.Money { return &m }

func offerPath(seq int64, suffix string) string {
	return "/portal/offers/" + strconv.FormatInt(seq, 10) + suffix
}

func apiPath(seq int64, suffix string) string {
	return "/api/v1/me/offers/" + strconv.FormatInt(seq, 10) + suffix
}

func TestPortalOfferExplainsTheRecord(t *testing.T) {
	e := newPortalEnv(t)
	etf, loan, blocked := e.presentOffers(t)

	w := e.do(t, portalRequest{path: offerPath(loan, ""), client: e.clientID})
	if w.Code != http.StatusOK {
		t.Fatalf("GET offer = %d: %s", w.Code, w.Body)
	}
	body := w.Body.String()
	for _, want := range []string{"Why am I seeing this offer?", "test reason", "€1,234.56", "Is it suitable for you?",
		"Did you agree to offers?", "Are we showing it too often?", "The portal", "You searched for a product",
		`id="offer-state">Open<`, "I&#39;m interested", "Ask a person to review this offer"} {
		if !strings.Contains(body, want) {
			t.Errorf("offer page lacks %q", want)
		}
	}
	if got := w.Header().Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q", got)
	}

	// Romanian: money and labels per locale; recorded text as recorded.
	w = e.do(t, portalRequest{path: offerPath(etf, ""), client: e.clientID, lang: "ro"})
	body = w.Body.String()
	for _, want := range []string{"De ce văd această ofertă?", "1,00\u00a0EUR", "<code>KID ETF-EUR-WORLD</code>, versiunea 2026-03", `lang="en"`} {
		if !strings.Contains(body, want) {
			t.Errorf("Romanian offer page lacks %q", want)
		}
	}
	if leaked := regexp.MustCompile(`\bportal\.offer\.[a-z_.]+`).FindString(body); leaked != "" {
		t.Errorf("untranslated key %q", leaked)
	}

	w = e.do(t, portalRequest{path: apiPath(etf, ""), client: e.clientID})
	var got offerJSON
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || w.Code != http.StatusOK {
		t.Fatalf("GET API = %d %v: %s", w.Code, err, w.Body)
	}
	if got.Seq != etf || got.State != OfferStateOpen || got.Product.Code != "ETF-EUR-WORLD" || len(got.Checks) != len(CheckNames) ||
		got.Checks[0].Title != "Is it suitable for you?" || len(got.Disclosures) != 2 || got.Request == nil || got.Request.Goal != "invest" {
		t.Errorf("API explanation = %+v", got)
	}

	// Nobody else's, nothing but a shown offer.
	for name, req := range map[string]portalRequest{
		"another client":  {path: offerPath(loan, ""), client: e.bogdan},
		"another via API": {path: apiPath(loan, ""), client: e.bogdan},
		"blocked":         {path: offerPath(blocked, ""), client: e.clientID},
		"blocked via API": {path: apiPath(blocked, ""), client: e.clientID},
		"no such seq":     {path: offerPath(9999, ""), client: e.clientID},
		"not a seq":       {path: "/api/v1/me/offers/abc", client: e.clientID},
	} {
		if w := e.do(t, req); w.Code != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", name, w.Code)
		} else if strings.Contains(w.Body.String(), "test reason") {
			t.Errorf("%s: the 404 shows the offer", name)
		}
	}
	if w := e.do(t, portalRequest{path: apiPath(loan, "")}); w.Code != http.StatusUnauthorized || w.Header().Get("WWW-Authenticate") == "" {
		t.Errorf("anonymous API = %d, want 401 with WWW-Authenticate", w.Code)
	}
	if w := e.do(t, portalRequest{path: apiPath(loan, ""), staff: true}); w.Code != http.StatusUnauthorized {
		t.Errorf("staff API = %d, want 401", w.Code)
	}
}

// count returns how many rows a query counts.
func (e *portalEnv) count(t *testing.T, q string, args ...any) int64 {
	t.Helper()
	return e.scalar(q, args...)
}

func TestPortalAskAHuman(t *testing.T) {
	e := newPortalEnv(t)
	_, loan, _ := e.presentOffers(t)

	tooLong := strings.Repeat("ă", MaxReviewMessage+1)
	// Another client's offer is not found, whatever the message.
	if w := e.do(t, portalRequest{method: http.MethodPost, path: apiPath(loan, "/review"), client: e.bogdan, body: `{"message":"` + tooLong + `"}`}); w.Code != http.StatusNotFound {
		t.Errorf("another client's review request = %d, want 404", w.Code)
	}
	w := e.do(t, portalRequest{method: http.MethodPost, path: apiPath(loan, "/review"), client: e.clientID, body: `{"message":"` + tooLong + `"}`})
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `"field":"message"`) {
		t.Errorf("too long a message = %d %s, want 422 naming the field", w.Code, w.Body)
	}
	w = e.do(t, portalRequest{method: http.MethodPost, path: offerPath(loan, "/review"), client: e.clientID, form: true, body: "message=" + tooLong})
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `id="review-message-error"`) || !strings.Contains(w.Body.String(), tooLong) {
		t.Errorf("too long a message on the page = %d, want 422 with the message at the field and the text kept", w.Code)
	}
	if n := e.count(t, `SELECT count(*) FROM decision_records WHERE kind = 'review_request'`); n != 0 {
		t.Fatalf("%d review records after refused requests", n)
	}

	w = e.do(t, portalRequest{method: http.MethodPost, path: apiPath(loan, "/review"), client: e.clientID, body: `{"message":"Why a loan?"}`})
	var first humanReviewJSON
	if w.Code != http.StatusCreated || json.Unmarshal(w.Body.Bytes(), &first) != nil || first.Status != "open" || first.Message != "Why a loan?" {
		t.Fatalf("review request = %d %s", w.Code, w.Body)
	}
	// Again, by API and by the page: the same request, nothing recorded.
	w = e.do(t, portalRequest{method: http.MethodPost, path: apiPath(loan, "/review"), client: e.clientID})
	var again humanReviewJSON
	if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &again) != nil || again.ID != first.ID {
		t.Errorf("second review request = %d %s, want 200 with request %d", w.Code, w.Body, first.ID)
	}
	w = e.do(t, portalRequest{method: http.MethodPost, path: offerPath(loan, "/review"), client: e.clientID, form: true, body: "message=again"})
	if w.Code != http.StatusSeeOther || !strings.Contains(w.Header().Get("Location"), "done=review_existing") {
		t.Errorf("review request from the page = %d %q", w.Code, w.Header().Get("Location"))
	}
	if n := e.count(t, `SELECT count(*) FROM decision_records WHERE kind = 'review_request' AND refers_to = $1 AND client_id = $2 AND actor_kind = 'client' AND channel = 'web'`, loan, e.clientID); n != 1 {
		t.Errorf("%d review_request records, want 1", n)
	}
	if n := e.count(t, `SELECT count(*) FROM human_review_requests h JOIN decision_records d ON d.seq = h.request_seq WHERE h.decision_seq = $1 AND d.body::jsonb->>'note' = 'Why a loan?'`, loan); n != 1 {
		t.Errorf("%d review requests, want 1 tied to its record", n)
	}
	w = e.do(t, portalRequest{path: offerPath(loan, "?done=review_requested"), client: e.clientID})
	if body := w.Body.String(); !strings.Contains(body, `id="offer-state">A person is reviewing it<`) || strings.Contains(body, `id="review-form"`) ||
		!strings.Contains(body, "Your advisor has not answered yet.") || !strings.Contains(body, `id="offer-notice"`) {
		t.Errorf("offer page after asking: state, request or form wrong")
	}
	mustVerify(t, e.pool, testKey(t))
}

func TestPortalRespondOnce(t *testing.T) {
	e := newPortalEnv(t)
	etf, loan, blocked := e.presentOffers(t)
	respond := func(seq, client int64, body, key string) *httptest.ResponseRecorder {
		// Answers through the API come from the mobile app (a bearer
		// token); the page's from the portal.
		h := map[string]string{"Authorization": "Bearer app-token"}
		if key != "" {
			h["Idempotency-Key"] = key
		}
		return e.do(t, portalRequest{method: http.MethodPost, path: apiPath(seq, "/response"), client: client, body: body, header: h})
	}
	accepted := `{"response":"accepted"}`
	for name, tt := range map[string]struct {
		seq, client int64
		body        string
		status      int
	}{
		"another client": {loan, e.bogdan, accepted, http.StatusNotFound},
		"blocked offer":  {blocked, e.clientID, accepted, http.StatusNotFound},
		"bad answer":     {loan, e.clientID, `{"response":"maybe"}`, http.StatusUnprocessableEntity},
		"no answer":      {loan, e.clientID, `{}`, http.StatusUnprocessableEntity},
		"expired":        {loan, e.clientID, `{"response":"expired"}`, http.StatusUnprocessableEntity},
		"unknown field":  {loan, e.clientID, `{"answer":"accepted"}`, http.StatusUnprocessableEntity},
	} {
		if w := respond(tt.seq, tt.client, tt.body, ""); w.Code != tt.status {
			t.Errorf("%s: %d %s, want %d", name, w.Code, w.Body, tt.status)
		}
	}

	// Interest first: not binding, answerable again with an application.
	interested := `{"response":"interested"}`
	w := respond(loan, e.clientID, interested, "key-1")
	var first offerResponseJSON
	if w.Code != http.StatusCreated || json.Unmarshal(w.Body.Bytes(), &first) != nil || first.Response != "interested" || first.OfferSeq != loan {
		t.Fatalf("interested = %d %s", w.Code, w.Body)
	}
	w = respond(loan, e.clientID, interested, "key-1")
	var replay offerResponseJSON
	if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &replay) != nil || replay.Seq != first.Seq || w.Header().Get("Idempotent-Replayed") != "true" {
		t.Errorf("replay = %d %s, want 200 with record %d", w.Code, w.Body, first.Seq)
	}
	if w := respond(loan, e.clientID, `{"response":"declined"}`, "key-1"); w.Code != http.StatusUnprocessableEntity {
		t.Errorf("same key, other answer = %d, want 422", w.Code)
	}
	if w := respond(loan, e.clientID, interested, "key-2"); w.Code != http.StatusConflict {
		t.Errorf("interested twice = %d, want 409", w.Code)
	}
	// An application is refused here: it is binding and goes through the
	// portal's accept route (a recent login, a deal).
	if w := respond(loan, e.clientID, accepted, "key-3"); w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `"field":"response"`) {
		t.Errorf("accepted on the response route = %d %s, want 422 at response", w.Code, w.Body)
	}
	// A decline after the interest; after it, nothing more.
	w = respond(loan, e.clientID, `{"response":"declined"}`, "key-3")
	var declined offerResponseJSON
	if w.Code != http.StatusCreated || json.Unmarshal(w.Body.Bytes(), &declined) != nil || declined.Response != "declined" || declined.Seq <= first.Seq {
		t.Fatalf("declined after interest = %d %s", w.Code, w.Body)
	}
	for _, answer := range []string{`{"response":"declined"}`, interested} {
		for _, key := range []string{"", "key-4"} {
			if w := respond(loan, e.clientID, answer, key); w.Code != http.StatusConflict || w.Header().Get("Content-Type") != web.ProblemContentType {
				t.Errorf("%s after the decline with key %q = %d %s, want 409 problem", answer, key, w.Code, w.Header().Get("Content-Type"))
			}
		}
	}

	// The page: decline, then try again.
	w = e.do(t, portalRequest{method: http.MethodPost, path: offerPath(etf, "/response"), client: e.clientID, form: true, body: "response=declined"})
	if w.Code != http.StatusSeeOther || !strings.Contains(w.Header().Get("Location"), "done=declined") {
		t.Fatalf("decline = %d %q", w.Code, w.Header().Get("Location"))
	}
	w = e.do(t, portalRequest{method: http.MethodPost, path: offerPath(etf, "/response"), client: e.clientID, form: true, body: "response=interested"})
	if body := w.Body.String(); w.Code != http.StatusConflict || !strings.Contains(body, "You have already answered this offer") ||
		!strings.Contains(body, `id="offer-state">Not interested<`) {
		t.Errorf("second answer on the page = %d, want 409 saying it was answered", w.Code)
	}
	if n := e.count(t, `SELECT count(*) FROM decision_records WHERE kind = 'response' AND
		((refers_to = $1 AND channel = 'mobile') OR (refers_to = $2 AND channel = 'web'))`, loan, etf); n != 3 {
		t.Errorf("%d responses on the channel they came from, want the app's two (mobile) and the portal's (web)", n)
	}
	w = e.do(t, portalRequest{path: offerPath(loan, ""), client: e.clientID})
	if body := w.Body.String(); !strings.Contains(body, "You said you are interested on") ||
		strings.Contains(body, `id="response-form"`) || !strings.Contains(body, `id="offer-state">Not interested<`) {
		t.Errorf("the declined offer's page does not tell the interest and the decline, or still offers the buttons")
	}

	if n := e.count(t, `SELECT count(*) FROM decision_records r JOIN decision_records o ON o.seq = r.refers_to
		WHERE r.kind = 'response' AND r.actor_kind = 'client' AND r.client_id = o.client_id AND r.product_id = o.product_id
		  AND r.product_version_id = o.product_version_id AND r.engine = o.engine`); n != 3 {
		t.Errorf("%d response records, want 3 matching their offers", n)
	}
	if res := mustVerify(t, e.pool, testKey(t)); !res.OK() {
		t.Errorf("verify: %v", res.Problem)
	}
}

// TestPortalConcurrentAnswers: racing answers to one offer record one.
func TestPortalConcurrentAnswers(t *testing.T) {
	e := newPortalEnv(t)
	_, loan, _ := e.presentOffers(t)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			e.portal.Respond(context.Background(), e.clientID, loan, "web", "declined", "")
		}()
		go func() {
			defer wg.Done()
			e.portal.RequestReview(context.Background(), e.clientID, loan, "web", "")
		}()
	}
	wg.Wait()
	if n := e.count(t, `SELECT count(*) FROM decision_records WHERE refers_to = $1 AND kind = 'response'`, loan); n != 1 {
		t.Errorf("%d responses, want 1", n)
	}
	if n := e.count(t, `SELECT count(*) FROM decision_records WHERE refers_to = $1 AND kind = 'review_request'`, loan); n != 1 {
		t.Errorf("%d review requests, want 1", n)
	}
}

func TestPortalTemplatesTranslated(t *testing.T) {
	literal := regexp.MustCompile(`(?:\{\{-?|\()\s*t\s+"([^"]*)"`)
	names, err := fs.Glob(PortalTemplates, "*.html")
	if err != nil || len(names) == 0 {
		t.Fatalf("templates %v, %v", names, err)
	}
	keys := []string{}
	for _, name := range names {
		b, _ := fs.ReadFile(PortalTemplates, name)
		for _, m := range literal.FindAllStringSubmatch(string(b), -1) {
			keys = append(keys, m[1])
		}
		if strings.Contains(string(b), "<script") || strings.Contains(string(b), "style=") {
			t.Errorf("%s: inline code breaks the Content-Security-Policy", name)
		}
	}
	for _, name := range append(CheckNames, "other") {
		keys = append(keys, "portal.offer.check."+name+".title", "portal.offer.check."+name+".about")
	}
	for _, s := range []string{OfferStateOpen, OfferStateAccepted, OfferStateDeclined, OfferStateExpired, OfferStateReviewRequested} {
		keys = append(keys, "portal.offer.state."+s)
	}
	for _, c := range Channels {
		keys = append(keys, "portal.offer.channel."+c)
	}
	for k := range disclosureKinds {
		keys = append(keys, "portal.offer.disclosure."+k)
	}
	keys = append(keys, "portal.offer.disclosure.other", "portal.offer.review.status.open", "portal.offer.review.status.answered",
		"portal.offer.error.not_found", "portal.offer.error.login_first", "portal.offer.error.form_unreadable",
		"portal.offer.review.error.message_too_long", "portal.offer.response.error.required", "portal.offer.response.error.unknown",
		"portal.offer.response.error.key_invalid", "portal.offer.response.error.key_reused", "portal.offer.response.error.already_answered")
	for _, key := range keys {
		for _, lang := range i18n.Supported() {
			if !i18n.HasMessage(lang, key) {
				t.Errorf("key %q is missing from the %s catalogue", key, lang)
			}
		}
	}
}

// TestPortalMyOffersAndMessages: the client finds every offer shown to her
// with where it stands, and her advisor's answers, with a count of those
// not read yet; another client sees none of it.
func TestPortalMyOffersAndMessages(t *testing.T) {
	e := newPortalEnv(t)
	etf, loan, blocked := e.presentOffers(t)
	if w := e.do(t, portalRequest{method: http.MethodPost, path: apiPath(loan, "/review"), client: e.clientID, body: `{"message":"Why a loan?"}`}); w.Code != http.StatusCreated {
		t.Fatalf("review request = %d", w.Code)
	}
	if w := e.do(t, portalRequest{method: http.MethodPost, path: apiPath(etf, "/response"), client: e.clientID, body: `{"response":"interested"}`}); w.Code != http.StatusCreated {
		t.Fatalf("interest = %d", w.Code)
	}
	var list struct {
		Offers []struct {
			Seq     int64  `json:"seq"`
			State   string `json:"state"`
			Product struct {
				Code string `json:"code"`
			} `json:"product"`
			AnsweredReview bool `json:"answered_review"`
		} `json:"offers"`
		NextBefore *int64 `json:"next_before"`
	}
	get := func(client int64, v any) {
		t.Helper()
		w := e.do(t, portalRequest{path: "/api/v1/me/offers/history", client: client})
		if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), v) != nil {
			t.Fatalf("my offers = %d %s", w.Code, w.Body)
		}
	}
	get(e.clientID, &list)
	var got []string
	for _, o := range list.Offers {
		got = append(got, fmt.Sprintf("%d %s %s %t", o.Seq, o.Product.Code, o.State, o.AnsweredReview))
	}
	want := []string{fmt.Sprintf("%d LOAN-EUR-PERS review_requested false", loan), fmt.Sprintf("%d ETF-EUR-WORLD interested false", etf)}
	if !slices.Equal(got, want) || list.NextBefore != nil {
		t.Errorf("my offers = %q, want %q (the blocked offer %d is not one she saw)", got, want, blocked)
	}
	get(e.bogdan, &list)
	if len(list.Offers) != 0 {
		t.Errorf("another client's list holds %d offers", len(list.Offers))
	}
	if w := e.do(t, portalRequest{path: "/api/v1/me/offers/history?before=x", client: e.clientID}); w.Code != http.StatusUnprocessableEntity {
		t.Errorf("before=x = %d, want 422", w.Code)
	}

	// The advisor answers: a notice until the client reads it.
	if _, err := e.pool.Exec(context.Background(), `UPDATE human_review_requests SET status = 'answered', answered_by = $1, answered_at = now(), answer = 'It costs less than a card.' WHERE decision_seq = $2`, e.staffID, loan); err != nil {
		t.Fatal(err)
	}
	if n, err := e.portal.UnreadAnswers(context.Background(), e.clientID); err != nil || n != 1 {
		t.Fatalf("unread answers = %d, %v; want 1", n, err)
	}
	w := e.do(t, portalRequest{path: "/portal/offers", client: e.clientID})
	if body := w.Body.String(); w.Code != http.StatusOK || !strings.Contains(body, `id="answers-notice"`) || !strings.Contains(body, "1 new answer from your advisor") ||
		!strings.Contains(body, `href="/portal/offers/`+strconv.FormatInt(loan, 10)+`"`) {
		t.Errorf("my offers page = %d without the notice or the offer's link", w.Code)
	}
	var messages struct {
		Messages []struct {
			OfferSeq int64   `json:"offer_seq"`
			Answer   *string `json:"answer"`
			Unread   bool    `json:"unread"`
		} `json:"messages"`
	}
	if w := e.do(t, portalRequest{path: "/api/v1/me/messages", client: e.bogdan}); w.Code != http.StatusOK || strings.Contains(w.Body.String(), "card") {
		t.Errorf("another client's messages = %d %s", w.Code, w.Body)
	}
	w = e.do(t, portalRequest{path: "/portal/offers/questions", client: e.clientID, lang: "ro"})
	if body := w.Body.String(); w.Code != http.StatusOK || !strings.Contains(body, "It costs less than a card.") || !strings.Contains(body, ">Nou<") {
		t.Errorf("messages page = %d without the new answer", w.Code)
	}
	w = e.do(t, portalRequest{path: "/api/v1/me/messages", client: e.clientID})
	if json.Unmarshal(w.Body.Bytes(), &messages) != nil || len(messages.Messages) != 1 || messages.Messages[0].OfferSeq != loan ||
		messages.Messages[0].Answer == nil || messages.Messages[0].Unread {
		t.Errorf("messages after reading = %s, want the answer, read", w.Body)
	}
	if n, _ := e.portal.UnreadAnswers(context.Background(), e.clientID); n != 0 {
		t.Errorf("%d unread answers after the messages page, want 0", n)
	}
}
