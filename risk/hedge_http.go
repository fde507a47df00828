package risk

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/compliance"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/page"
	"github.com/ecrm-project/ecrm/internal/web"
)

// The client's hedging page, /portal/hedging, and its API under
// /api/v1/me/hedges (issue 15, item 7). The page lists the holdings the
// rules flagged with the hedges the gate let through; the client changes
// the protection level or the horizon and the figures follow (a GET the
// page's script swaps in place; a plain submit without JavaScript); one
// click on Accept sends the order request to the advisor.
//
// Accepting asks for no fresh login, unlike an application for a
// product: an order request binds nobody — the advisor confirms it with
// the client before placing it (the orders pipeline's first task).

// HedgePortal serves the page and the API.
type HedgePortal struct {
	desk  *HedgeDesk
	pages *page.Renderer
}

// NewHedgePortal serves desk's suggestions with pages.
func NewHedgePortal(desk *HedgeDesk, pages *page.Renderer) *HedgePortal {
	return &HedgePortal{desk: desk, pages: pages}
}

// Routes registers the client's routes (behind the client guard).
func (h *HedgePortal) Routes(r chi.Router) {
	r.Get("/portal/hedging", clientPage(h.pages, "hedging page failed", h.show))
	r.Post("/portal/hedging/accept", clientPage(h.pages, "hedging page failed", h.acceptForm))
	r.Get("/api/v1/me/hedges", clientAPI(h.list))
	r.Post("/api/v1/me/hedges/preview", clientAPI(h.preview))
	r.Post("/api/v1/me/hedges/{seq}/accept", clientAPI(h.acceptAPI))
	r.Get("/api/v1/me/orders", clientAPI(h.orders))
}

func viewer(r *http.Request, clientID int64) HedgeViewer {
	return HedgeViewer{ClientID: clientID, Channel: web.ClientChannel(r), Actor: compliance.Actor{Kind: compliance.ActorSystem}}
}

func newIdempotencyKey() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// The choices the page offers; the client's own default is added when it
// is not one of them.
var (
	protectionChoices = []string{"0.80", "0.85", "0.90", "0.95"}
	horizonChoices    = []int{1, 3, 6, 12}
)

type hedgePage struct {
	Book           *HedgeBook
	PortfolioValue ecrm.Money
	LossCapacity   *ecrm.Money
	Holdings       []holdingView
	Orders         []OrderRequest
	Unpriced       string
	Accepted       int64
	MaxWeight      decimal.Decimal
	Errors         []string
}

type holdingView struct {
	Holding     BookHolding
	Reasons     []i18n.Message
	Levels      []page.FormOption
	Horizons    []page.FormOption
	Params      HedgeParams
	ParamsError string
	Strategies  []strategyView
	Stale       string
}

type strategyView struct {
	Strategy HedgeStrategy
	Offer    *HedgeOffer
	// Terms are the figures with the page's parameters: the offer's, or
	// a preview when the client changed them.
	Terms   *HedgeTerms
	Reason  string
	Checks  []string
	Key     string
	Preview bool
}

func (h *HedgePortal) show(w http.ResponseWriter, r *http.Request, clientID int64) error {
	l := i18n.FromContext(r.Context())
	s, err := h.desk.Suggest(r.Context(), viewer(r, clientID), l)
	if err != nil {
		return err
	}
	c := s.Book.Client
	data := hedgePage{Book: s.Book, Unpriced: strings.Join(s.Book.Unpriced, ", "), MaxWeight: h.desk.Rules.MaxWeight,
		PortfolioValue: money(c.PortfolioValue, c.BaseCurrency)}
	if c.LossCapacity != nil {
		m := money(*c.LossCapacity, c.BaseCurrency)
		data.LossCapacity = &m
	}
	if data.Orders, err = h.desk.Orders(r.Context(), clientID); err != nil {
		return err
	}
	data.Accepted, _ = strconv.ParseInt(r.URL.Query().Get("order"), 10, 64)
	q := r.URL.Query()
	chosen, _ := strconv.ParseInt(q.Get("instrument"), 10, 64)
	for _, hd := range s.Triggered() {
		v := holdingView{Holding: hd, Params: DefaultHedgeParams(s.Book.Client, hd.Position)}
		in := s.Book.Input(hd, StrategyProtectivePut, v.Params, h.desk.Rules)
		v.Reasons = hedgeReasons(in, l)
		if hd.Stale != nil {
			v.Stale = hd.Stale.Error()
		}
		changed := false
		if chosen == hd.Position.InstrumentID {
			p, perr := paramsFromForm(q.Get("protection_level"), q.Get("horizon_months"))
			if perr != nil {
				v.ParamsError = ecrm.ErrorMessage(perr)
			} else if !p.ProtectionLevel.Equal(v.Params.ProtectionLevel) || p.HorizonMonths != v.Params.HorizonMonths {
				v.Params, changed = p, true
			}
		}
		v.Levels, v.Horizons = levelOptions(v.Params.ProtectionLevel, l), horizonOptions(v.Params.HorizonMonths, l)
		for _, st := range Strategies {
			sv := strategyView{Strategy: st, Key: newIdempotencyKey()}
			if i := slices.IndexFunc(s.Offers, func(o HedgeOffer) bool {
				return o.InstrumentID == hd.Position.InstrumentID && o.Strategy == st
			}); i >= 0 {
				sv.Offer = &s.Offers[i]
				sv.Terms = &s.Offers[i].Terms
				if changed {
					t, err := SuggestHedge(s.Book.Input(hd, st, v.Params, h.desk.Rules))
					if reason, ok := unavailableReason(err); ok {
						sv.Terms, sv.Reason = nil, reason
					} else if err != nil {
						return err
					} else {
						sv.Terms, sv.Preview = &t, true
					}
				}
			}
			if i := slices.IndexFunc(s.Unavailable, func(u HedgeUnavailable) bool {
				return u.InstrumentID == hd.Position.InstrumentID && u.Strategy == st
			}); i >= 0 {
				sv.Reason, sv.Checks = s.Unavailable[i].Reason, s.Unavailable[i].Checks
			}
			v.Strategies = append(v.Strategies, sv)
		}
		data.Holdings = append(data.Holdings, v)
	}
	h.pages.Render(w, r, http.StatusOK, "risk_hedging", data)
	return nil
}

func levelOptions(chosen decimal.Decimal, l *i18n.Localizer) []page.FormOption {
	values := slices.Clone(protectionChoices)
	if c := chosen.StringFixed(2); !slices.Contains(values, c) {
		values = append(values, c)
		slices.Sort(values)
	}
	out := make([]page.FormOption, len(values))
	for i, v := range values {
		d := decimal.RequireFromString(v)
		out[i] = page.FormOption{Value: v, Label: l.Percent(d, 0), Selected: d.Equal(chosen)}
	}
	return out
}

func horizonOptions(chosen int, l *i18n.Localizer) []page.FormOption {
	values := slices.Clone(horizonChoices)
	if !slices.Contains(values, chosen) {
		values = append(values, chosen)
		slices.Sort(values)
	}
	out := make([]page.FormOption, len(values))
	for i, v := range values {
		out[i] = page.FormOption{Value: strconv.Itoa(v), Label: l.TN("hedge.months", v, v), Selected: v == chosen}
	}
	return out
}

// paramsFromForm reads the two parameters, naming the one that is wrong.
func paramsFromForm(level, horizon string) (HedgeParams, error) {
	var p HedgeParams
	var err error
	if p.ProtectionLevel, err = decimal.NewFromString(level); err != nil {
		return p, ecrm.FieldErrorf("protection_level", "must be a share of today's price, e.g. 0.90")
	}
	if p.HorizonMonths, err = strconv.Atoi(horizon); err != nil {
		return p, ecrm.FieldErrorf("horizon_months", "must be a whole number of months")
	}
	return p, p.Validate()
}

// acceptForm is the page's one click: the offer with the parameters on
// the page.
func (h *HedgePortal) acceptForm(w http.ResponseWriter, r *http.Request, clientID int64) error {
	if err := r.ParseForm(); err != nil {
		return ecrm.FieldErrorf("form", "cannot be read")
	}
	seq, err := strconv.ParseInt(r.PostForm.Get("seq"), 10, 64)
	if err != nil || seq <= 0 {
		return ecrm.FieldErrorf("seq", "names no offer")
	}
	params, err := paramsFromForm(r.PostForm.Get("protection_level"), r.PostForm.Get("horizon_months"))
	if err != nil {
		return err
	}
	order, _, err := h.desk.Accept(r.Context(), viewer(r, clientID), seq, &params, r.PostForm.Get("key"), i18n.FromContext(r.Context()))
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/portal/hedging?order="+strconv.FormatInt(order.ID, 10)+"#orders", http.StatusSeeOther)
	return nil
}

// JSON API -------------------------------------------------------------------

type hedgeListJSON struct {
	AsOf           string            `json:"as_of"`
	BaseCurrency   string            `json:"base_currency"`
	PortfolioValue ecrm.Money        `json:"portfolio_value"`
	LossCapacity   *ecrm.Money       `json:"loss_capacity"`
	Flagged        []flaggedJSON     `json:"flagged"`
	Offers         []hedgeOfferJSON  `json:"offers"`
	Unavailable    []unavailableJSON `json:"unavailable"`
	Unpriced       []string          `json:"unpriced"`
}

type flaggedJSON struct {
	Symbol           string          `json:"symbol"`
	InstrumentID     int64           `json:"instrument_id"`
	Weight           decimal.Decimal `json:"weight"`
	Concentrated     bool            `json:"concentrated"`
	VaRAboveCapacity bool            `json:"var_above_capacity"`
	VaR10d99         ecrm.Money      `json:"var_10d_99"`
	PriceDate        string          `json:"price_date"`
}

type hedgeOfferJSON struct {
	Seq          int64         `json:"seq"`
	InstrumentID int64         `json:"instrument_id"`
	Strategy     HedgeStrategy `json:"strategy"`
	Product      string        `json:"product"`
	Params       HedgeParams   `json:"params"`
	Terms        HedgeTerms    `json:"terms"`
	Reasons      []string      `json:"reasons"`
	Warnings     []string      `json:"warnings"`
	Accept       string        `json:"accept_url"`
}

type unavailableJSON struct {
	InstrumentID int64         `json:"instrument_id"`
	Symbol       string        `json:"symbol"`
	Strategy     HedgeStrategy `json:"strategy,omitempty"`
	Reason       string        `json:"reason"`
	Message      string        `json:"message"`
	Checks       []string      `json:"failed_checks,omitempty"`
}

func (h *HedgePortal) list(w http.ResponseWriter, r *http.Request, clientID int64) error {
	l := i18n.FromContext(r.Context())
	s, err := h.desk.Suggest(r.Context(), viewer(r, clientID), l)
	if err != nil {
		return err
	}
	c := s.Book.Client
	out := hedgeListJSON{AsOf: c.AsOf, BaseCurrency: c.BaseCurrency, Flagged: []flaggedJSON{}, Offers: []hedgeOfferJSON{},
		Unavailable: []unavailableJSON{}, Unpriced: append([]string{}, s.Book.Unpriced...),
		PortfolioValue: money(c.PortfolioValue, c.BaseCurrency)}
	if c.LossCapacity != nil {
		m := money(*c.LossCapacity, c.BaseCurrency)
		out.LossCapacity = &m
	}
	for _, hd := range s.Triggered() {
		out.Flagged = append(out.Flagged, flaggedJSON{Symbol: hd.Position.Symbol, InstrumentID: hd.Position.InstrumentID,
			Weight: hd.Trigger.Weight, Concentrated: hd.Trigger.Concentrated, VaRAboveCapacity: hd.Trigger.VaRAboveCapacity,
			VaR10d99: money(hd.Position.VaR10d99, c.BaseCurrency), PriceDate: hd.Position.PriceDate})
	}
	for _, o := range s.Offers {
		j := hedgeOfferJSON{Seq: o.Seq, InstrumentID: o.InstrumentID, Strategy: o.Strategy, Product: o.Product.Code, Params: o.Params,
			Terms: o.Terms, Reasons: []string{}, Warnings: []string{},
			Accept: "/api/v1/me/hedges/" + strconv.FormatInt(o.Seq, 10) + "/accept"}
		for _, m := range o.Reasons {
			j.Reasons = append(j.Reasons, m.In(l))
		}
		for _, m := range o.Warnings {
			j.Warnings = append(j.Warnings, m.In(l))
		}
		out.Offers = append(out.Offers, j)
	}
	for _, u := range s.Unavailable {
		out.Unavailable = append(out.Unavailable, unavailableJSON{InstrumentID: u.InstrumentID, Symbol: u.Symbol, Strategy: u.Strategy,
			Reason: u.Reason, Message: l.T(u.Reason), Checks: u.Checks})
	}
	w.Header().Set("Cache-Control", "no-store")
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}

type previewJSON struct {
	InstrumentID    int64           `json:"instrument_id"`
	Strategy        HedgeStrategy   `json:"strategy"`
	ProtectionLevel decimal.Decimal `json:"protection_level"`
	HorizonMonths   int             `json:"horizon_months"`
}

func (h *HedgePortal) preview(w http.ResponseWriter, r *http.Request, clientID int64) error {
	var in previewJSON
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	if !slices.Contains(Strategies, in.Strategy) {
		return ecrm.FieldErrorf("strategy", "must be protective_put, collar or diversify")
	}
	params := HedgeParams{ProtectionLevel: in.ProtectionLevel, HorizonMonths: in.HorizonMonths}
	if err := params.Validate(); err != nil {
		return err
	}
	t, err := h.desk.Preview(r.Context(), clientID, in.InstrumentID, in.Strategy, params)
	if reason, ok := unavailableReason(err); ok {
		return ecrm.Errorf(ecrm.ECONFLICT, "%s", i18n.FromContext(r.Context()).T(reason))
	}
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	web.WriteJSON(w, http.StatusOK, t)
	return nil
}

type acceptJSON struct {
	ProtectionLevel *decimal.Decimal `json:"protection_level"`
	HorizonMonths   int              `json:"horizon_months"`
}

func (h *HedgePortal) acceptAPI(w http.ResponseWriter, r *http.Request, clientID int64) error {
	seq, err := strconv.ParseInt(chi.URLParam(r, "seq"), 10, 64)
	if err != nil || seq <= 0 {
		return ecrm.FieldErrorf("seq", "names no offer")
	}
	var body acceptJSON
	if r.ContentLength != 0 {
		if err := web.DecodeJSON(r, &body); err != nil {
			return err
		}
	}
	var params *HedgeParams
	if body.ProtectionLevel != nil || body.HorizonMonths != 0 {
		if body.ProtectionLevel == nil {
			return ecrm.FieldErrorf("protection_level", "is required with horizon_months")
		}
		params = &HedgeParams{ProtectionLevel: *body.ProtectionLevel, HorizonMonths: body.HorizonMonths}
		if err := params.Validate(); err != nil {
			return err
		}
	}
	order, created, err := h.desk.Accept(r.Context(), viewer(r, clientID), seq, params, r.Header.Get("Idempotency-Key"),
		i18n.FromContext(r.Context()))
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if !created {
		status = http.StatusOK
		w.Header().Set("Idempotent-Replayed", "true")
	}
	w.Header().Set("Cache-Control", "no-store")
	web.WriteJSON(w, status, orderJSON(*order, i18n.FromContext(r.Context())))
	return nil
}

type orderOut struct {
	OrderRequest
	StatusLabel string `json:"status_label"`
}

func orderJSON(o OrderRequest, l *i18n.Localizer) orderOut {
	return orderOut{OrderRequest: o, StatusLabel: l.Text(o.StatusName)}
}

func (h *HedgePortal) orders(w http.ResponseWriter, r *http.Request, clientID int64) error {
	list, err := h.desk.Orders(r.Context(), clientID)
	if err != nil {
		return err
	}
	out := struct {
		Orders []orderOut `json:"orders"`
	}{Orders: make([]orderOut, 0, len(list))}
	for _, o := range list {
		out.Orders = append(out.Orders, orderJSON(o, i18n.FromContext(r.Context())))
	}
	w.Header().Set("Cache-Control", "no-store")
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}
