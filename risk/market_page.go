package risk

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm/internal/i18n"
)

// The portal's brokerage page, /portal/brokerage: the client's quotes,
// a form to add to the watch list and a button to remove from it (plain
// form posts, no script), and the ranked news and reviews with the reason
// each is shown.

// brokeragePage is the data of risk_brokerage.html; figures are formatted
// for the reader here.
type brokeragePage struct {
	Quotes  []quoteView
	News    []itemView
	Reviews []itemView
	// Choices are the instruments the add form suggests.
	Choices []instrumentChoice
	// Symbol and SymbolError are the add form after a refusal.
	Symbol, SymbolError string
	// Notice confirms the last change.
	Notice   string
	MaxAge   string
	HasStale bool
}

type quoteView struct {
	Symbol, Name, Segment                string
	Held, Watched, Stale                 bool
	Close, Date, Change, Percent, Weight string
	Direction                            string // up, down or flat
}

type itemView struct {
	ID                                   int64
	Kind, Headline, Summary, URL, Source string
	Published, Reason, Analyst           string
	Recommendation, Target               string
}

type instrumentChoice struct{ Symbol, Name string }

// segmentName is a market segment in the reader's language when the
// catalogue has it (the demo's segments), as stored otherwise.
func segmentName(l *i18n.Localizer, segment string) string {
	if key := "market.segment." + segment; i18n.HasMessage(l.Lang(), key) {
		return l.T(key)
	}
	return segment
}

func newQuoteView(l *i18n.Localizer, q MarketQuote) quoteView {
	v := quoteView{Symbol: q.Symbol, Name: q.Name, Segment: segmentName(l, q.Segment), Held: q.Held, Watched: q.Watched, Stale: q.Stale,
		Close: "—", Date: "—", Change: "—", Percent: "—", Direction: "flat"}
	if q.Held {
		v.Weight = l.Percent(q.Weight, 1)
	}
	if q.Close != nil {
		v.Close = l.Decimal(*q.Close, int32(i18n.ExactPlaces(*q.Close, 2))) + "\u00a0" + q.Currency
		v.Date = l.Date(q.Date.Time)
	}
	if q.Change != nil {
		sign := ""
		switch q.Change.Sign() {
		case 1:
			sign, v.Direction = "+", "up"
		case -1:
			v.Direction = "down"
		}
		places := int32(max(i18n.ExactPlaces(*q.Close, 2), i18n.ExactPlaces(*q.PreviousClose, 2)))
		v.Change = sign + l.Decimal(*q.Change, places)
		v.Percent = sign + l.Percent(q.ChangePercent.Shift(-2), 2)
	}
	return v
}

func newItemView(l *i18n.Localizer, it RankedItem, zone *time.Location) itemView {
	v := itemView{ID: it.ID, Kind: it.Kind, Headline: it.Headline, Summary: it.Summary, URL: it.URL, Source: it.Source,
		Published: l.Date(it.PublishedAt.In(zone)), Analyst: it.Analyst}
	subject := it.Reason.Subject
	if it.Reason.Code == ReasonHoldsSegment || it.Reason.Code == ReasonWatchesSegment {
		subject = segmentName(l, subject)
	}
	v.Reason = l.T("market.reason."+it.Reason.Code, subject)
	if it.Recommendation != "" {
		v.Recommendation = l.T("market.recommendation." + it.Recommendation)
	}
	if it.TargetPrice != nil {
		v.Target = l.Decimal(*it.TargetPrice, 2)
		if it.TargetCurrency != "" {
			v.Target += "\u00a0" + it.TargetCurrency
		}
	}
	return v
}

func (h *MarketHandler) showPage(w http.ResponseWriter, r *http.Request, clientID int64) error {
	return h.render(w, r, clientID, http.StatusOK, brokeragePage{})
}

// render loads the view and shows the page with the form state in d.
func (h *MarketHandler) render(w http.ResponseWriter, r *http.Request, clientID int64, status int, d brokeragePage) error {
	ctx := r.Context()
	l := i18n.FromContext(ctx)
	opt := h.options(r)
	v, err := LoadMarketView(ctx, h.pool, clientID, opt)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	for _, quote := range v.Quotes {
		d.Quotes = append(d.Quotes, newQuoteView(l, quote))
		d.HasStale = d.HasStale || quote.Stale
		// A notice only for what the list shows, so that a link cannot
		// make the page say something untrue.
		switch {
		case quote.Watched && q.Get("added") == quote.Symbol:
			d.Notice = l.T("market.watch.added", quote.Symbol)
		case quote.Watched && q.Get("already") == quote.Symbol:
			d.Notice = l.T("market.watch.already", quote.Symbol)
		}
	}
	if s := q.Get("removed"); s != "" && !slices.ContainsFunc(v.Quotes, func(x MarketQuote) bool { return x.Symbol == s && x.Watched }) {
		if _, err := NormaliseSymbol(s); err == nil {
			d.Notice = l.T("market.watch.removed", s)
		}
	}
	for _, it := range v.News {
		d.News = append(d.News, newItemView(l, it, h.zone))
	}
	for _, it := range v.Reviews {
		d.Reviews = append(d.Reviews, newItemView(l, it, h.zone))
	}
	days := decimal.NewFromFloat(h.maxAge.Hours() / 24).Round(1)
	d.MaxAge = l.Decimal(days, int32(i18n.ExactPlaces(days, 0)))
	rows, err := h.pool.Query(ctx, `SELECT symbol, name FROM instruments WHERE kind <> 'option' ORDER BY symbol LIMIT 500`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var c instrumentChoice
		if err := rows.Scan(&c.Symbol, &c.Name); err != nil {
			return err
		}
		d.Choices = append(d.Choices, c)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	h.pages.Render(w, r, status, "risk_brokerage", d)
	return nil
}

// addForm adds the symbol typed to the watch list and comes back to the
// page; a symbol that cannot be added is named at the field.
func (h *MarketHandler) addForm(w http.ResponseWriter, r *http.Request, clientID int64) error {
	typed := r.PostFormValue("symbol")
	added, err := Watch(r.Context(), h.pool, clientID, typed, h.Now())
	if key := watchErrorKey(err); key != "" {
		l := i18n.FromContext(r.Context())
		msg := l.T(key)
		if errors.Is(err, ErrWatchlistFull) {
			msg = l.T(key, MaxWatchlist)
		}
		return h.render(w, r, clientID, http.StatusUnprocessableEntity, brokeragePage{Symbol: typed, SymbolError: msg})
	}
	if err != nil {
		return err
	}
	symbol, _ := NormaliseSymbol(typed)
	what := "already"
	if added {
		what = "added"
	}
	http.Redirect(w, r, "/portal/brokerage?"+url.Values{what: {symbol}}.Encode()+"#quotes", http.StatusSeeOther)
	return nil
}

// removeForm takes the instrument off the watch list.
func (h *MarketHandler) removeForm(w http.ResponseWriter, r *http.Request, clientID int64) error {
	symbol := chi.URLParam(r, "symbol")
	if _, err := Unwatch(r.Context(), h.pool, clientID, symbol); err != nil {
		return err
	}
	symbol, _ = NormaliseSymbol(symbol)
	http.Redirect(w, r, "/portal/brokerage?"+url.Values{"removed": {symbol}}.Encode()+"#quotes", http.StatusSeeOther)
	return nil
}
