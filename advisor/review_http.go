package advisor

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/compliance"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/web"
)

// reviewRoutes registers the human review pages and API (see review.go).
func (h *Handler) reviewRoutes(r chi.Router) {
	r.Get("/console/reviews/{rid}", h.showReview)
	r.Post("/console/reviews/{rid}/answer", h.saveReviewAnswer)

	r.Get("/api/v1/review-requests", h.listReviewRequests)
	r.Get("/api/v1/review-requests/{rid}", h.getReviewRequest)
	r.Post("/api/v1/review-requests/{rid}/answer", h.createReviewAnswer)
}

// reviewID reads the {rid} path parameter; anything but a positive
// integer names no request.
func reviewID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(chi.URLParam(r, "rid"), 10, 64)
	return id, err == nil && id > 0
}

// reviewRow is a review request as the lists show it, with its age.
type reviewRow struct {
	ReviewRequest
	Age string
}

// ageText says how long a request has waited: "under an hour", "5 h",
// "1 day", "3 days".
func ageText(l *i18n.Localizer, d time.Duration) string {
	switch hours := int(d / time.Hour); {
	case hours < 1:
		return l.T("console.review.age.under_hour")
	case hours < 24:
		return l.T("console.review.age.hours", hours)
	case hours < 48:
		return l.T("console.review.age.one_day")
	default:
		return l.T("console.review.age.days", hours/24)
	}
}

func (h *Handler) reviewRows(r *http.Request, list []ReviewRequest) []reviewRow {
	l := i18n.FromContext(r.Context())
	now := h.store.now()
	rows := make([]reviewRow, len(list))
	for i, rr := range list {
		rows[i] = reviewRow{ReviewRequest: rr, Age: ageText(l, rr.age(now))}
	}
	return rows
}

// reviewCheck is a gate check with the key of its plain-words title.
type reviewCheck struct {
	compliance.Check
	TitleKey string
}

// reviewDisclosure is a disclosure with the key of its kind's label.
type reviewDisclosure struct {
	compliance.Disclosure
	KindKey string
}

var reviewDisclosureKinds = []string{"fee", "cost", "conflict_of_interest", "document", "warning", "risk"}

// reviewPage is the data of console_review.html.
type reviewPage struct {
	*ReviewRequestView
	Age         string
	Zone        *time.Location
	Checks      []reviewCheck
	Disclosures []reviewDisclosure
	// CanAnswer is true for the client's advisor while the request is open.
	CanAnswer bool
	// AnswerInput is the answer as entered, kept when it was refused.
	AnswerInput string
	AnswerError string
	MaxAnswer   int
	Answered    bool
}

func (h *Handler) reviewPage(r *http.Request, v *ReviewRequestView) reviewPage {
	p := ecrm.PrincipalFrom(r.Context())
	data := reviewPage{
		ReviewRequestView: v,
		Age:               ageText(i18n.FromContext(r.Context()), v.age(h.store.now())),
		Zone:              h.store.loc,
		MaxAnswer:         compliance.MaxReviewAnswer,
		CanAnswer: v.Status == compliance.HumanReviewOpen && p.HasRole(ecrm.RoleAdvisor) &&
			v.AdvisorID != nil && *v.AdvisorID == p.StaffID,
	}
	for _, c := range v.Offer.Checks {
		key := "console.review.check.other"
		if slices.Contains(compliance.CheckNames, c.Name) {
			key = "console.review.check." + c.Name
		}
		data.Checks = append(data.Checks, reviewCheck{Check: c, TitleKey: key})
	}
	for _, d := range v.Offer.Disclosures {
		key := "console.review.disclosure.other"
		if slices.Contains(reviewDisclosureKinds, d.Kind) {
			key = "console.review.disclosure." + d.Kind
		}
		data.Disclosures = append(data.Disclosures, reviewDisclosure{Disclosure: d, KindKey: key})
	}
	return data
}

func (h *Handler) showReview(w http.ResponseWriter, r *http.Request) {
	sc, err := ReadScope(ecrm.PrincipalFrom(r.Context()))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	id, ok := reviewID(r)
	if !ok {
		h.fail(w, r, errReviewNotFound)
		return
	}
	v, err := h.store.ReviewRequest(r.Context(), sc, id, web.RequestIDFrom(r.Context()))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	data := h.reviewPage(r, v)
	data.Answered = r.URL.Query().Get("answered") == "1"
	h.render(w, r, http.StatusOK, "console_review", data)
}

// saveReviewAnswer answers a request from its page. A refused answer shows
// the page again with the message at the field and the text kept.
func (h *Handler) saveReviewAnswer(w http.ResponseWriter, r *http.Request) {
	sc, err := WriteScope(ecrm.PrincipalFrom(r.Context()))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	id, ok := reviewID(r)
	if !ok {
		h.fail(w, r, errReviewNotFound)
		return
	}
	if err := r.ParseForm(); err != nil {
		var tooLarge *http.MaxBytesError
		if !errors.As(err, &tooLarge) {
			err = ecrm.Errorf(ecrm.EINVALID, "console.error.invalid_input")
		}
		h.fail(w, r, err)
		return
	}
	in := ReviewAnswer{Answer: r.PostForm.Get("answer")}
	_, err = h.store.AnswerReview(r.Context(), sc, id, in)
	if ecrm.ErrorCode(err) == ecrm.EINVALID {
		v, viewErr := h.store.ReviewRequest(r.Context(), sc, id, web.RequestIDFrom(r.Context()))
		if viewErr != nil {
			h.fail(w, r, viewErr)
			return
		}
		data := h.reviewPage(r, v)
		data.AnswerInput = in.Answer
		if fe := newFormErrors(r, err); fe.Any() {
			data.AnswerError = fe.ByField["answer"]
		}
		h.render(w, r, http.StatusUnprocessableEntity, "console_review", data)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/console/reviews/"+strconv.FormatInt(id, 10)+"?answered=1#answer", http.StatusSeeOther)
}

// ---------------------------------------------------------------------------
// JSON API

func (h *Handler) listReviewRequests(w http.ResponseWriter, r *http.Request) {
	sc, err := ReadScope(ecrm.PrincipalFrom(r.Context()))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	q, err := h.store.OpenReviewRequests(r.Context(), sc)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, toReviewQueueJSON(i18n.FromContext(r.Context()), q))
}

func (h *Handler) getReviewRequest(w http.ResponseWriter, r *http.Request) {
	sc, err := ReadScope(ecrm.PrincipalFrom(r.Context()))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	id, ok := reviewID(r)
	if !ok {
		h.fail(w, r, errReviewNotFound)
		return
	}
	v, err := h.store.ReviewRequest(r.Context(), sc, id, web.RequestIDFrom(r.Context()))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, toReviewDetailJSON(i18n.FromContext(r.Context()), v))
}

func (h *Handler) createReviewAnswer(w http.ResponseWriter, r *http.Request) {
	sc, err := WriteScope(ecrm.PrincipalFrom(r.Context()))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	id, ok := reviewID(r)
	if !ok {
		h.fail(w, r, errReviewNotFound)
		return
	}
	var in ReviewAnswer
	if err := web.DecodeJSON(r, &in); err != nil {
		// A request out of reach is not found, whatever the body.
		if scopeErr := h.store.CheckReviewInScope(r.Context(), sc, id); scopeErr != nil {
			err = scopeErr
		}
		h.fail(w, r, err)
		return
	}
	answered, err := h.store.AnswerReview(r.Context(), sc, id, in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, toReviewRequestJSON(i18n.FromContext(r.Context()), *answered))
}

// ---------------------------------------------------------------------------
// JSON shapes (advisor/openapi.json: ReviewRequest, ReviewQueue,
// ReviewRequestDetail)

type reviewRequestJSON struct {
	ID          int64      `json:"id"`
	ClientID    int64      `json:"client_id"`
	ClientName  string     `json:"client_name"`
	OfferSeq    int64      `json:"offer_seq"`
	RequestSeq  int64      `json:"request_seq"`
	ProductCode string     `json:"product_code"`
	ProductName string     `json:"product_name"`
	Message     string     `json:"message"`
	RequestedAt time.Time  `json:"requested_at"`
	Status      string     `json:"status"`
	Answer      *string    `json:"answer"`
	AnsweredAt  *time.Time `json:"answered_at"`
	AnsweredBy  *string    `json:"answered_by"`
}

func toReviewRequestJSON(l *i18n.Localizer, r ReviewRequest) reviewRequestJSON {
	out := reviewRequestJSON{ID: r.ID, ClientID: r.ClientID, ClientName: r.Name(), OfferSeq: r.DecisionSeq, RequestSeq: r.RequestSeq,
		ProductCode: r.ProductCode, ProductName: l.Text(r.ProductName), Message: r.Message, RequestedAt: r.RequestedAt, Status: r.Status,
		AnsweredAt: r.AnsweredAt}
	if r.Status == compliance.HumanReviewAnswered {
		a, by := r.Answer, r.AnsweredBy
		out.Answer, out.AnsweredBy = &a, &by
	}
	return out
}

type reviewQueueJSON struct {
	Open     int                 `json:"open"`
	Requests []reviewRequestJSON `json:"requests"`
}

func toReviewQueueJSON(l *i18n.Localizer, q ReviewQueue) reviewQueueJSON {
	out := reviewQueueJSON{Open: q.Open, Requests: []reviewRequestJSON{}}
	for _, r := range q.Requests {
		out.Requests = append(out.Requests, toReviewRequestJSON(l, r))
	}
	return out
}

type reviewOfferJSON struct {
	Seq         int64                       `json:"seq"`
	State       string                      `json:"state"`
	RecordedAt  time.Time                   `json:"recorded_at"`
	Channel     string                      `json:"channel"`
	Engine      string                      `json:"engine"`
	Locale      string                      `json:"locale"`
	Reasons     []string                    `json:"reasons"`
	Checks      []reviewCheckJSON           `json:"checks"`
	Disclosures []compliance.DisclosureText `json:"disclosures"`
}

// reviewCheckJSON is a gate check with its finding in the reader's
// language.
type reviewCheckJSON struct {
	Name    string `json:"name"`
	Passed  bool   `json:"passed"`
	Warning bool   `json:"warning,omitempty"`
	Detail  string `json:"detail,omitempty"`
}

type reviewDetailJSON struct {
	reviewRequestJSON
	Offer reviewOfferJSON `json:"offer"`
}

func toReviewDetailJSON(l *i18n.Localizer, v *ReviewRequestView) reviewDetailJSON {
	o := v.Offer
	out := reviewDetailJSON{reviewRequestJSON: toReviewRequestJSON(l, v.ReviewRequest), Offer: reviewOfferJSON{
		Seq: o.Seq, State: o.State(), RecordedAt: o.RecordedAt, Channel: o.Channel, Engine: o.Engine, Locale: o.Locale,
		Reasons: compliance.MessagesIn(l, o.Reasons), Checks: []reviewCheckJSON{}, Disclosures: compliance.DisclosuresIn(l, o.Disclosures),
	}}
	for _, c := range o.Checks {
		out.Offer.Checks = append(out.Offer.Checks, reviewCheckJSON{Name: c.Name, Passed: c.Passed, Warning: c.Warning, Detail: c.Detail.In(l)})
	}
	return out
}
