package risk

import (
	"fmt"
	"html/template"
	"math"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/chart"
	"github.com/ecrm-project/ecrm/internal/i18n"
)

// PortfolioView is what the template "portfolio-risk"
// (templates/portfolio_risk.shared.html) draws: the figures with their
// charts and sentences in the reader's language. The portal's risk page
// and the advisor's 360 both build it with NewPortfolioView, so they show
// the same thing.
type PortfolioView struct {
	*PortfolioRisk
	// HeadingLevel is the level of the section's headings (2 on the
	// portal's own page, 3 inside the 360's portfolio section).
	HeadingLevel int
	// Client is true on the portal: sentences say "your".
	Client bool
	// VaRRows are the VaR table, one row per confidence and horizon.
	VaRRows []VaRRow
	// Explanation says what the 99 % one-day figure means, in words.
	Explanation   string
	ValueChart    template.HTML
	DrawdownChart template.HTML
	Allocations   []AllocationView
	// Valued is how many positions have a base value, of Positions.
	Valued int
}

// VaRRow is one line of the VaR table: both methods side by side.
type VaRRow struct {
	Confidence  decimal.Decimal
	HorizonDays int
	Historical  *VaRFigure
	Parametric  *VaRFigure
}

// AllocationView is one way of splitting the total: a bar chart of the
// shares and the lines, labelled.
type AllocationView struct {
	ID    string
	Title string
	Chart template.HTML
	Lines []AllocationLabel
}

// AllocationLabel is an allocation line with its label in the reader's
// language.
type AllocationLabel struct {
	AllocationLine
	Label string
}

// maxChartBars is how many groups an allocation chart draws; the rest are
// drawn as one "other" bar (the table lists them all).
const maxChartBars = 8

// maxChartPoints is how many days the value and drawdown charts draw:
// three years of days thinned to about every third, which a 720-unit-wide
// chart cannot tell apart, keeping the page light.
const maxChartPoints = 260

// NewPortfolioView prepares r for the template in l's language.
func NewPortfolioView(l *i18n.Localizer, r *PortfolioRisk, headingLevel int, client bool) *PortfolioView {
	v := &PortfolioView{PortfolioRisk: r, HeadingLevel: headingLevel, Client: client}
	for _, p := range r.Positions {
		if p.BaseValue != nil {
			v.Valued++
		}
	}
	if h := r.History; h != nil {
		for _, c := range varConfidences {
			for _, hd := range varHorizons {
				row := VaRRow{Confidence: decimal.NewFromFloat(c), HorizonDays: hd}
				for i := range h.VaR {
					f := &h.VaR[i]
					if f.Confidence.Equal(row.Confidence) && f.HorizonDays == hd {
						if f.Method == "historical" {
							row.Historical = f
						} else {
							row.Parametric = f
						}
					}
				}
				v.VaRRows = append(v.VaRRows, row)
			}
		}
		for _, row := range v.VaRRows {
			if row.HorizonDays == 1 && row.Confidence.Equal(decimal.NewFromFloat(0.99)) && row.Historical != nil {
				key := "portfolio.var.explain_client"
				if !client {
					key = "portfolio.var.explain_staff"
				}
				v.Explanation = l.T(key, l.Money(row.Historical.Amount), l.TN("portfolio.var.days", h.ReturnDays, h.ReturnDays))
			}
		}
		v.ValueChart, v.DrawdownChart = historyCharts(l, r)
	}
	percent := func(d decimal.Decimal) string { return l.Percent(d.Shift(-2), 1) }
	for _, a := range []struct {
		id    string
		lines []AllocationLine
		label func(string) string
	}{
		{"asset-class", r.Allocation.AssetClass, func(k string) string { return l.T("portal.instrument_kind." + k) }},
		{"sector", r.Allocation.Sector, func(k string) string { return sectorLabel(l, k) }},
		{"currency", r.Allocation.Currency, func(k string) string { return k }},
		{"issuer", r.Allocation.Issuer, func(k string) string { return orUnclassified(l, k) }},
	} {
		if len(a.lines) == 0 {
			continue
		}
		av := AllocationView{ID: a.id, Title: l.T("portfolio.allocation." + a.id)}
		series := chart.Series{Name: l.T("portfolio.allocation.share")}
		var categories []string
		other := decimal.Zero
		for i, line := range a.lines {
			label := a.label(line.Key)
			av.Lines = append(av.Lines, AllocationLabel{AllocationLine: line, Label: label})
			share := decimal.Zero
			if line.Share != nil {
				share = line.Share.Shift(2)
			}
			if i < maxChartBars-1 || len(a.lines) == maxChartBars {
				categories = append(categories, label)
				series.Values = append(series.Values, share)
			} else {
				other = other.Add(share)
			}
		}
		if len(a.lines) > maxChartBars {
			categories = append(categories, l.T("portfolio.allocation.other"))
			series.Values = append(series.Values, other)
		}
		av.Chart = chart.Bars{Title: av.Title, Categories: categories, Series: []chart.Series{series}, Format: percent}.SVG()
		v.Allocations = append(v.Allocations, av)
	}
	return v
}

// sectorLabel says a sector in the reader's language when the catalogue
// knows it (portfolio.sector.fixed_income for "Fixed income"), else as the
// instrument data names it.
func sectorLabel(l *i18n.Localizer, sector string) string {
	key := "portfolio.sector." + strings.ReplaceAll(strings.ToLower(strings.TrimSpace(sector)), " ", "_")
	if sector != "" && i18n.HasMessage(l.Lang(), key) {
		return l.T(key)
	}
	return orUnclassified(l, sector)
}

func orUnclassified(l *i18n.Localizer, key string) string {
	if key == "" {
		return l.T("portfolio.unclassified")
	}
	return key
}

// historyCharts draws the value of today's positions over the history and
// its drawdown from the running peak, in percent.
func historyCharts(l *i18n.Localizer, r *PortfolioRisk) (value, drawdown template.HTML) {
	points := r.ValueHistory
	if len(points) == 0 {
		return "", ""
	}
	step := max(1, int(math.Ceil(float64(len(points))/maxChartPoints)))
	var labels []string
	values := chart.Series{Name: l.T("portfolio.chart.value_series", r.BaseCurrency)}
	falls := chart.Series{Name: l.T("portfolio.chart.drawdown_series")}
	places, ok := ecrm.CurrencyMinorUnits(r.BaseCurrency)
	if !ok {
		places = 2
	}
	for i := 0; i < len(points); i += step {
		// The last day is always drawn: the chart ends today.
		if i+step >= len(points) {
			i = len(points) - 1
		}
		p := points[i]
		labels = append(labels, l.Date(p.Date.Time))
		values.Values = append(values.Values, decimal.NewFromFloat(p.Value).Round(places))
		falls.Values = append(falls.Values, decimal.NewFromFloat(-p.Drawdown*100).Round(2))
	}
	money := func(d decimal.Decimal) string { return l.Decimal(d, 0) }
	percent := func(d decimal.Decimal) string { return l.Percent(d.Shift(-2), 0) }
	value = chart.Line{Title: l.T("portfolio.chart.value", r.BaseCurrency), Labels: labels, Series: []chart.Series{values}, Format: money}.SVG()
	drawdown = chart.Line{Title: l.T("portfolio.chart.drawdown"), Labels: labels, Series: []chart.Series{falls}, Format: percent}.SVG()
	return value, drawdown
}

// Heading writes the section's heading at its level.
func (v *PortfolioView) Heading(id, text string) template.HTML {
	level := min(max(v.HeadingLevel, 2), 6)
	return template.HTML(fmt.Sprintf(`<h%d id="%s">%s</h%d>`, level, template.HTMLEscapeString(id), template.HTMLEscapeString(text), level))
}
