package compliance

import (
	"time"

	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/products"
)

// The JSON of /api/v1/me/offers (schemas in portal_openapi.json).

type offerJSON struct {
	Seq             int64                  `json:"seq"`
	State           string                 `json:"state"`
	RecordedAt      time.Time              `json:"recorded_at"`
	Channel         string                 `json:"channel"`
	Engine          string                 `json:"engine"`
	Locale          string                 `json:"locale"`
	Purpose         string                 `json:"purpose,omitempty"`
	ClientInitiated bool                   `json:"client_initiated"`
	Product         offerProductJSON       `json:"product"`
	Request         *products.MatchRequest `json:"request,omitempty"`
	Terms           *products.Terms        `json:"terms,omitempty"`
	Reasons         []string               `json:"reasons"`
	Checks          []offerCheckJSON       `json:"checks"`
	Disclosures     []DisclosureText       `json:"disclosures"`
	Response        *offerResponseJSON     `json:"response"`
	Reviews         []humanReviewJSON      `json:"reviews"`
}

type offerProductJSON struct {
	ID        int64  `json:"id,omitempty"`
	VersionID int64  `json:"version_id,omitempty"`
	Code      string `json:"code"`
	Name      string `json:"name"`
	Provider  string `json:"provider"`
	Version   int    `json:"version"`
	Line      string `json:"line,omitempty"`
	Kind      string `json:"kind,omitempty"`
	RiskClass int    `json:"risk_class,omitempty"`
	Complex   bool   `json:"complex"`
}

// offerCheckJSON is a gate check with what it is about and what it found,
// in the request's language.
type offerCheckJSON struct {
	Name    string `json:"name"`
	Title   string `json:"title"`
	About   string `json:"about"`
	Passed  bool   `json:"passed"`
	Warning bool   `json:"warning"`
	Detail  string `json:"detail"`
}

type offerResponseJSON struct {
	Seq        int64     `json:"seq"`
	OfferSeq   int64     `json:"offer_seq"`
	Response   string    `json:"response"`
	Channel    string    `json:"channel"`
	RecordedAt time.Time `json:"recorded_at"`
}

type humanReviewJSON struct {
	ID          int64      `json:"id"`
	OfferSeq    int64      `json:"offer_seq"`
	RequestSeq  int64      `json:"request_seq"`
	Message     string     `json:"message"`
	RequestedAt time.Time  `json:"requested_at"`
	Status      string     `json:"status"`
	Answer      *string    `json:"answer"`
	AnsweredAt  *time.Time `json:"answered_at"`
	AnsweredBy  *string    `json:"answered_by"`
}

func toOfferJSON(l *i18n.Localizer, e *Explanation) offerJSON {
	out := offerJSON{
		Seq: e.Seq, State: e.State(), RecordedAt: e.RecordedAt, Channel: e.Channel, Engine: e.Engine, Locale: e.Locale,
		Purpose: string(e.Purpose), ClientInitiated: e.ClientInitiated,
		Product: offerProductJSON{ID: e.ProductID, VersionID: e.ProductVersionID, Code: e.ProductCode, Name: l.Text(e.ProductName),
			Provider: e.Provider, Version: e.ProductVersion, Line: e.Line, Kind: e.Kind, RiskClass: e.RiskClass, Complex: e.Complex},
		Request: e.Request, Terms: e.Terms,
		Reasons: MessagesIn(l, e.Reasons), Checks: []offerCheckJSON{}, Disclosures: DisclosuresIn(l, e.Disclosures), Reviews: []humanReviewJSON{},
	}
	for _, c := range e.Checks {
		out.Checks = append(out.Checks, offerCheckJSON{Name: c.Name, Title: l.T(checkKey(c.Name, "title")), About: l.T(checkKey(c.Name, "about")),
			Passed: c.Passed, Warning: c.Warning, Detail: c.Detail.In(l)})
	}
	if e.Response != nil {
		r := toOfferResponseJSON(*e.Response)
		out.Response = &r
	}
	for _, h := range e.Reviews {
		out.Reviews = append(out.Reviews, toHumanReviewJSON(h))
	}
	return out
}

func toOfferResponseJSON(r OfferResponse) offerResponseJSON {
	return offerResponseJSON{Seq: r.Seq, OfferSeq: r.OfferSeq, Response: string(r.Outcome), Channel: r.Channel, RecordedAt: r.RecordedAt}
}

func toHumanReviewJSON(h HumanReview) humanReviewJSON {
	out := humanReviewJSON{ID: h.ID, OfferSeq: h.DecisionSeq, RequestSeq: h.RequestSeq, Message: h.Message,
		RequestedAt: h.RequestedAt, Status: h.Status, AnsweredAt: h.AnsweredAt}
	if h.Status == HumanReviewAnswered {
		answer, by := h.Answer, h.AnsweredBy
		out.Answer, out.AnsweredBy = &answer, &by
	}
	return out
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
