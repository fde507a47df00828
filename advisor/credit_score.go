package advisor

import (
	"context"
	"html/template"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm/internal/chart"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/risk"
)

// CreditScoreView is the internal credit score (risk's scorecard, 300–850)
// as it stands at the end of the history's window, with each factor's
// part so the advisor can say why it is what it is, its score at each of
// the last 24 month-ends as a chart and a table, and the score the
// eligibility rules read (Stored, nil when the client has no credit file).
type CreditScoreView struct {
	Score   int
	Version string
	Factors []ScoreFactor
	Months  []risk.MonthScore
	Chart   template.HTML
	Stored  *risk.StoredScore
}

// ScoreFactor is one line of the score: what it counts and its points.
type ScoreFactor struct {
	Key    string // catalogue key, with Count as its argument
	Count  int
	Points int
}

// factorKeys are the catalogue keys of the scorecard's factors.
var factorKeys = map[string]string{
	risk.FactorThinFile: "console.credit.score.thin_file",
	risk.FactorBase:     "console.credit.score.base",
	risk.FactorOnTime:   "console.credit.score.on_time",
	risk.FactorLate30:   "console.credit.score.late_30",
	risk.FactorLate60:   "console.credit.score.late_60",
	risk.FactorLate90:   "console.credit.score.late_90",
	risk.FactorDefault:  "console.credit.score.default",
	risk.FactorBadLines: "console.credit.score.bad_lines",
}

// creditScoreData is what the history reads for the score: computed by
// risk from the client's record as of the history's last month, and the
// stored row.
type creditScoreData struct {
	History risk.ScoreHistory
	Stored  *risk.StoredScore
}

// loadCreditScore reads the score's history and the stored score in the
// credit history's transaction.
func loadCreditScore(ctx context.Context, tx pgx.Tx, clientID int64, asOf time.Time) (creditScoreData, error) {
	var d creditScoreData
	var err error
	if d.History, err = risk.LoadScoreHistory(ctx, tx, clientID, asOf); err != nil {
		return d, err
	}
	d.Stored, err = risk.LoadStoredScore(ctx, tx, clientID)
	return d, err
}

// creditScore explains the score and draws its history.
func creditScore(l *i18n.Localizer, h *CreditHistory) CreditScoreView {
	s := h.Score.History.Current
	v := CreditScoreView{Score: s.Score, Version: s.Version, Months: h.Score.History.Months, Stored: h.Score.Stored}
	for _, f := range s.Factors {
		v.Factors = append(v.Factors, ScoreFactor{Key: factorKeys[f.Factor], Count: f.Count, Points: f.Points})
	}
	if l != nil {
		v.Chart = scoreChart(l, v.Months)
	}
	return v
}

// scoreChart draws the score at each month-end.
func scoreChart(l *i18n.Localizer, months []risk.MonthScore) template.HTML {
	s := chart.Series{Name: l.T("console.credit.score.chart_series")}
	var labels []string
	for _, m := range months {
		labels = append(labels, m.Month.Format("2006-01"))
		s.Values = append(s.Values, decimal.NewFromInt(int64(m.Score)))
	}
	return chart.Bars{Title: l.T("console.credit.score.chart_title"), Categories: labels, Series: []chart.Series{s},
		Format: func(d decimal.Decimal) string { return l.Decimal(d, 0) }}.SVG()
}

// timelineChart draws, month by month, how many lines were paid on time
// and how many late or in default.
func timelineChart(l *i18n.Localizer, h *CreditHistory) template.HTML {
	var months []string
	onTime := chart.Series{Name: l.T("console.credit.chart.on_time")}
	late := chart.Series{Name: l.T("console.credit.chart.late")}
	index := map[time.Time]int{}
	for m := h.From; !m.After(h.To); m = m.AddDate(0, 1, 0) {
		index[m] = len(months)
		months = append(months, m.Format("2006-01"))
		onTime.Values = append(onTime.Values, decimal.Zero)
		late.Values = append(late.Values, decimal.Zero)
	}
	one := decimal.NewFromInt(1)
	for _, line := range h.Lines {
		for _, m := range line.Months {
			i, ok := index[m.Month]
			switch {
			case !ok || m.Status == StatusNone:
			case m.Status == StatusOnTime:
				onTime.Values[i] = onTime.Values[i].Add(one)
			default:
				late.Values[i] = late.Values[i].Add(one)
			}
		}
	}
	return chart.Bars{Title: l.T("console.credit.chart.title"), Categories: months, Series: []chart.Series{onTime, late},
		Format: func(d decimal.Decimal) string { return l.Decimal(d, 0) }}.SVG()
}

// creditScoreJSON is the score in the credit history's JSON.
type creditScoreJSON struct {
	Value   int                `json:"value"`
	Version string             `json:"version"`
	AsOf    string             `json:"as_of"`
	Factors []risk.ScoreFactor `json:"factors"`
	History []monthScoreJSON   `json:"history"`
	Stored  *storedScoreJSON   `json:"stored"`
}

type monthScoreJSON struct {
	Month string `json:"month"`
	Score int    `json:"score"`
}

type storedScoreJSON struct {
	Value      int       `json:"value"`
	Version    string    `json:"version"`
	AsOf       string    `json:"as_of"`
	ComputedAt time.Time `json:"computed_at"`
}

func toCreditScoreJSON(h *CreditHistory) creditScoreJSON {
	s := h.Score.History.Current
	out := creditScoreJSON{Value: s.Score, Version: s.Version, AsOf: monthJSON(h.To), Factors: s.Factors,
		History: make([]monthScoreJSON, 0, len(h.Score.History.Months))}
	for _, m := range h.Score.History.Months {
		out.History = append(out.History, monthScoreJSON{Month: monthJSON(m.Month), Score: m.Score})
	}
	if st := h.Score.Stored; st != nil {
		out.Stored = &storedScoreJSON{Value: st.Score, Version: st.Version, AsOf: monthJSON(st.AsOf), ComputedAt: st.ComputedAt}
	}
	return out
}
