package chart

import (
	"fmt"
	"html/template"
	"math"
	"strings"

	"github.com/shopspring/decimal"
)

// Line is a line chart over an ordered axis (days, months): one line per
// series, one value per label. The vertical scale spans the values'
// range in round steps, below zero too (a drawdown), so a long history
// that moves a few percent is not flattened against a zero baseline.
type Line struct {
	Title  string
	Labels []string
	Series []Series
	// Format writes a value for the axis (the reader's number format).
	Format func(decimal.Decimal) string
	// Ticks is how many labels are written along the bottom (default 6).
	Ticks int
}

// SVG draws the chart.
func (c Line) SVG() template.HTML {
	format := c.Format
	if format == nil {
		format = func(d decimal.Decimal) string { return d.String() }
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range c.Series {
		for _, v := range s.Values {
			f, _ := v.Float64()
			lo, hi = math.Min(lo, f), math.Max(hi, f)
		}
	}
	if math.IsInf(lo, 0) {
		lo, hi = 0, 1
	}
	step := niceStep((hi - lo) / gridLines)
	lo, hi = math.Floor(lo/step)*step, math.Ceil(hi/step)*step
	if hi-lo < step {
		hi = lo + step
	}
	lines := int(math.Round((hi - lo) / step))
	var out strings.Builder
	fmt.Fprintf(&out, `<svg class="chart chart-line-chart" viewBox="0 0 %.0f %.0f" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`,
		width, height, template.HTMLEscapeString(c.Title))
	fmt.Fprintf(&out, `<title>%s</title>`, template.HTMLEscapeString(c.Title))
	y := func(v float64) float64 { return top + plotH - plotH*(v-lo)/(hi-lo) }
	for i := 0; i <= lines; i++ {
		v := lo + step*float64(i)
		fmt.Fprintf(&out, `<line class="chart-grid" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, left, y(v), width-right, y(v))
		fmt.Fprintf(&out, `<text class="chart-axis" x="%.1f" y="%.1f" text-anchor="end">%s</text>`, left-6, y(v)+4,
			template.HTMLEscapeString(format(decimal.NewFromFloat(v).Round(4))))
	}
	n := len(c.Labels)
	x := func(i int) float64 {
		if n < 2 {
			return left + plotW/2
		}
		return left + plotW*float64(i)/float64(n-1)
	}
	ticks := c.Ticks
	if ticks <= 0 {
		ticks = 6
	}
	if n > 0 {
		for k := range min(ticks, n) {
			i := 0
			if ticks > 1 && n > 1 {
				i = k * (n - 1) / (min(ticks, n) - 1)
			}
			anchor := "middle"
			switch {
			case i == 0:
				anchor = "start"
			case i == n-1:
				anchor = "end"
			}
			fmt.Fprintf(&out, `<text class="chart-label" x="%.1f" y="%.1f" text-anchor="%s">%s</text>`,
				x(i), top+plotH+categoryLabelOffset, anchor, template.HTMLEscapeString(c.Labels[i]))
		}
	}
	for si, s := range c.Series {
		var points strings.Builder
		for i, v := range s.Values {
			if i >= n {
				break
			}
			f, _ := v.Float64()
			fmt.Fprintf(&points, "%.1f,%.1f ", x(i), y(f))
		}
		fmt.Fprintf(&out, `<polyline class="chart-line chart-series-%d" points="%s"><title>%s</title></polyline>`,
			si%maxSeriesClasses, strings.TrimSpace(points.String()), template.HTMLEscapeString(s.Name))
	}
	lx := left
	for si, s := range c.Series {
		fmt.Fprintf(&out, `<rect class="chart-series-%d" x="%.1f" y="%.1f" width="%.0f" height="%.0f"/>`, si%maxSeriesClasses, lx, legendY-legendSwatch+1, legendSwatch, legendSwatch)
		fmt.Fprintf(&out, `<text class="chart-legend" x="%.1f" y="%.1f">%s</text>`, lx+legendSwatch+4, legendY, template.HTMLEscapeString(s.Name))
		lx += legendSwatch + 4 + float64(len([]rune(s.Name)))*7 + legendGap
	}
	out.WriteString(`</svg>`)
	return template.HTML(out.String())
}

// niceStep rounds a step up to 1, 2 or 5 times a power of ten.
func niceStep(v float64) float64 {
	if !(v > 0) {
		return 1
	}
	return niceCeiling(v)
}
