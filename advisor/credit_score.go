package advisor

import (
	"html/template"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm/internal/chart"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/products"
)

// CreditScoreView is the internal credit score as the eligibility rules
// use it (products.CreditScore, 300–850), with each factor's part, so the
// advisor can say why it is what it is.
type CreditScoreView struct {
	Score   int
	Factors []ScoreFactor
}

// ScoreFactor is one line of the score: what it counts and its points.
type ScoreFactor struct {
	Key    string // catalogue key, with Count as its argument
	Count  int
	Points int
}

// creditScore counts the last 24 months of every line as the scorecard
// does and says what each count is worth.
func creditScore(h *CreditHistory) CreditScoreView {
	var c products.CreditHistory
	c.Lines = len(h.Lines)
	since := h.To.AddDate(0, -23, 0)
	for _, line := range h.Lines {
		if line.Status == "defaulted" || line.Status == "written_off" {
			c.BadLines++
		}
		for _, m := range line.Months {
			if m.Month.Before(since) {
				continue
			}
			switch m.Status {
			case StatusOnTime:
				c.OnTime++
			case StatusLate30:
				c.Late30++
			case StatusLate60:
				c.Late60++
			case StatusLate90Plus:
				c.Late90Plus++
			case StatusDefault:
				c.Defaulted++
			}
		}
	}
	v := CreditScoreView{Score: products.CreditScore(c)}
	if c.Lines == 0 && c.OnTime+c.Late30+c.Late60+c.Late90Plus+c.Defaulted == 0 {
		return CreditScoreView{Score: v.Score, Factors: []ScoreFactor{{Key: "console.credit.score.thin_file", Points: 650}}}
	}
	v.Factors = []ScoreFactor{{Key: "console.credit.score.base", Points: 680}}
	add := func(key string, n, each, cap int) {
		if n == 0 {
			return
		}
		p := n * each
		if cap != 0 && p > cap {
			p = cap
		}
		v.Factors = append(v.Factors, ScoreFactor{Key: key, Count: n, Points: p})
	}
	add("console.credit.score.on_time", c.OnTime, 3, 120)
	add("console.credit.score.late_30", c.Late30, -20, 0)
	add("console.credit.score.late_60", c.Late60, -45, 0)
	add("console.credit.score.late_90", c.Late90Plus, -90, 0)
	add("console.credit.score.default", c.Defaulted, -150, 0)
	add("console.credit.score.bad_lines", c.BadLines, -200, 0)
	return v
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
