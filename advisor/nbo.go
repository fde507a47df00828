package advisor

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/compliance"
	"github.com/ecrm-project/ecrm/crosssell"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/web"
)

// Next best offers on the client 360 (issue 14, item 5): crosssell's
// ranking of the client's candidates with every factor of their priority,
// read without presenting anything; "present to client" puts one through
// the gate as presented by the advisor (branch or phone), recorded shown
// or blocked with the checks that stopped it.

// SetArbiter shows the next best offers of arb on the 360.
func (h *Handler) SetArbiter(arb *crosssell.Arbiter) { h.nbo = arb }

// PresentChannels are where an advisor presents an offer.
var PresentChannels = []string{"branch", "phone"}

// nextOfferView is a candidate on the 360, in the viewer's language.
type nextOfferView struct {
	ProductVersionID int64
	Code, Name       string
	Family           string
	ModelVersion     string
	Propensity       decimal.Decimal // probability, a fraction
	Need             string
	Programme        string
	Priority         decimal.Decimal
	Factors          crosssell.Factors
	Value            ecrm.Money
	Contributions    []crosssell.Contribution
	Terms            string
	Reasons          []string
}

func (h *Handler) nextOffers(r *http.Request, clientID int64) ([]nextOfferView, error) {
	if h.nbo == nil {
		return nil, nil
	}
	l := i18n.FromContext(r.Context())
	ranked, err := h.nbo.Ranking(r.Context(), clientID, PresentChannels[0], l)
	if err != nil {
		return nil, err
	}
	out := make([]nextOfferView, 0, len(ranked))
	for _, c := range ranked {
		v := nextOfferView{ProductVersionID: c.Product.VersionID, Code: c.Product.Code, Name: l.Text(c.Product.Name),
			Family: c.Family, ModelVersion: c.ModelVersion, Propensity: c.Factors.Propensity, Need: c.Need, Programme: c.Programme,
			Priority: c.Priority, Factors: c.Factors, Value: ecrm.Money{Amount: c.Factors.ValueEUR, Currency: "EUR"},
			Contributions: c.Contributions, Terms: l.T("console.nbo.request", l.Money(c.Request.Amount), c.Request.Months)}
		for _, m := range c.Reasons {
			v.Reasons = append(v.Reasons, m.In(l))
		}
		out = append(out, v)
	}
	return out, nil
}

// presentForm presents a candidate from the 360 and comes back to it
// saying what the gate decided.
func (h *Handler) presentForm(w http.ResponseWriter, r *http.Request) {
	sc, id, ok := h.clientInScope(w, r, WriteScope)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, ecrm.Errorf(ecrm.EINVALID, "console.error.invalid_input"))
		return
	}
	set, err := h.present(r, sc, id, r.PostForm.Get("product_version_id"), r.PostForm.Get("channel"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	q := "presented=" + strconv.FormatInt(firstSeq(set), 10)
	if len(set.Blocked) > 0 {
		q = "blocked=" + strconv.FormatInt(set.Blocked[0].Seq, 10)
	}
	http.Redirect(w, r, "/console/clients/"+strconv.FormatInt(id, 10)+"?"+q+"#next-offers", http.StatusSeeOther)
}

func firstSeq(set *crosssell.OfferSet) int64 {
	if len(set.Offers) > 0 {
		return set.Offers[0].Seq
	}
	return 0
}

// present checks the advisor may present to the client (her own book, by
// the scope) and the form, then presents.
func (h *Handler) present(r *http.Request, sc Scope, clientID int64, version, channel string) (*crosssell.OfferSet, error) {
	if h.nbo == nil {
		return nil, errNotFound
	}
	if _, _, err := h.store.ClientName(r.Context(), sc, clientID); err != nil {
		return nil, err
	}
	var problems []ecrm.FieldError
	versionID, err := strconv.ParseInt(version, 10, 64)
	if err != nil || versionID <= 0 {
		problems = append(problems, ecrm.FieldError{Field: "product_version_id", Message: "console.nbo.error.product"})
	}
	if !slices.Contains(PresentChannels, channel) {
		problems = append(problems, ecrm.FieldError{Field: "channel", Message: "console.nbo.error.channel"})
	}
	if len(problems) > 0 {
		return nil, &ecrm.Error{Code: ecrm.EINVALID, Message: "console.error.invalid_input", Fields: problems}
	}
	p := ecrm.PrincipalFrom(r.Context())
	return h.nbo.Present(r.Context(), crosssell.Viewer{ClientID: clientID, Channel: channel,
		Actor: compliance.Actor{Kind: compliance.ActorAdvisor, StaffID: p.StaffID}}, versionID, i18n.FromContext(r.Context()))
}

// JSON API --------------------------------------------------------------------

type nextOfferJSON struct {
	ProductVersionID int64                    `json:"product_version_id"`
	Code             string                   `json:"code"`
	Name             string                   `json:"name"`
	Family           string                   `json:"family"`
	ModelVersion     string                   `json:"model_version,omitempty"`
	Need             string                   `json:"need,omitempty"`
	Programme        string                   `json:"programme,omitempty"`
	Priority         decimal.Decimal          `json:"priority"`
	Factors          crosssell.Factors        `json:"factors"`
	Contributions    []crosssell.Contribution `json:"contributions"`
	Request          any                      `json:"request"`
	Terms            any                      `json:"terms"`
	Reasons          []string                 `json:"reasons"`
	Value            string                   `json:"value"`
}

func (h *Handler) listNextOffers(w http.ResponseWriter, r *http.Request) {
	sc, id, ok := h.clientInScope(w, r, ReadScope)
	if !ok {
		return
	}
	if h.nbo == nil {
		h.fail(w, r, errNotFound)
		return
	}
	if _, _, err := h.store.ClientName(r.Context(), sc, id); err != nil {
		h.fail(w, r, err)
		return
	}
	l := i18n.FromContext(r.Context())
	ranked, err := h.nbo.Ranking(r.Context(), id, PresentChannels[0], l)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := struct {
		Offers []nextOfferJSON `json:"offers"`
	}{Offers: make([]nextOfferJSON, 0, len(ranked))}
	for _, c := range ranked {
		j := nextOfferJSON{ProductVersionID: c.Product.VersionID, Code: c.Product.Code, Name: l.Text(c.Product.Name), Family: c.Family,
			ModelVersion: c.ModelVersion, Need: c.Need, Programme: c.Programme, Priority: c.Priority, Factors: c.Factors, Contributions: c.Contributions,
			Request: c.Request, Terms: c.Terms, Reasons: []string{}, Value: c.Value}
		if j.Contributions == nil {
			j.Contributions = []crosssell.Contribution{}
		}
		for _, m := range c.Reasons {
			j.Reasons = append(j.Reasons, m.In(l))
		}
		out.Offers = append(out.Offers, j)
	}
	web.WriteJSON(w, http.StatusOK, out)
}

type presentBody struct {
	ProductVersionID int64  `json:"product_version_id"`
	Channel          string `json:"channel"`
}

type presentedJSON struct {
	Seq    int64    `json:"seq"`
	Shown  bool     `json:"shown"`
	Checks []string `json:"failed_checks"`
}

func (h *Handler) createPresentation(w http.ResponseWriter, r *http.Request) {
	sc, id, ok := h.clientInScope(w, r, WriteScope)
	if !ok {
		return
	}
	var body presentBody
	if err := web.DecodeJSON(r, &body); err != nil {
		h.fail(w, r, err)
		return
	}
	set, err := h.present(r, sc, id, strconv.FormatInt(body.ProductVersionID, 10), body.Channel)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := presentedJSON{Seq: firstSeq(set), Shown: len(set.Offers) > 0, Checks: []string{}}
	if len(set.Blocked) > 0 {
		out.Seq, out.Checks = set.Blocked[0].Seq, set.Blocked[0].Checks
	}
	web.WriteJSON(w, http.StatusCreated, out)
}
