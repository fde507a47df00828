// Package chart draws ecrm's charts as SVG on the server: no script, so
// they work under the strict Content-Security-Policy and without
// JavaScript; colours come from classes the stylesheet defines (no inline
// style). Each chart is role="img" with a title, and the page shows its
// numbers in a table beside it for screen readers and for copying.
package chart

import (
	"fmt"
	"html/template"
	"math"
	"strings"

	"github.com/shopspring/decimal"
)

// Series is one named set of values, one per category.
type Series struct {
	Name   string
	Values []decimal.Decimal
}

// Bars is a grouped bar chart: categories along the bottom, one bar per
// series in each.
type Bars struct {
	Title      string
	Categories []string
	Series     []Series
	// Format writes a value for the axis and the bars' titles (the
	// reader's number format).
	Format func(decimal.Decimal) string
}

const (
	width, height       = 720.0, 300.0
	left, right, top    = 64.0, 16.0, 16.0
	bottom              = 56.0
	plotW, plotH        = width - left - right, height - top - bottom
	maxSeriesClasses    = 6
	gridLines           = 4
	barGroupFill        = 0.8
	labelLimit          = 14
	legendSwatch        = 10.0
	legendGap           = 16.0
	legendY             = height - 12
	categoryLabelOffset = 18.0
)

// SVG draws the chart.
func (b Bars) SVG() template.HTML {
	format := b.Format
	if format == nil {
		format = func(d decimal.Decimal) string { return d.String() }
	}
	maxV := 0.0
	for _, s := range b.Series {
		for _, v := range s.Values {
			f, _ := v.Float64()
			maxV = math.Max(maxV, f)
		}
	}
	scaleMax := niceCeiling(maxV)
	var out strings.Builder
	fmt.Fprintf(&out, `<svg class="chart" viewBox="0 0 %.0f %.0f" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`,
		width, height, template.HTMLEscapeString(b.Title))
	fmt.Fprintf(&out, `<title>%s</title>`, template.HTMLEscapeString(b.Title))
	for i := 0; i <= gridLines; i++ {
		v := scaleMax * float64(i) / gridLines
		y := top + plotH - plotH*float64(i)/gridLines
		fmt.Fprintf(&out, `<line class="chart-grid" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, left, y, width-right, y)
		fmt.Fprintf(&out, `<text class="chart-axis" x="%.1f" y="%.1f" text-anchor="end">%s</text>`, left-6, y+4,
			template.HTMLEscapeString(format(decimal.NewFromFloat(v).Round(2))))
	}
	n := len(b.Categories)
	if n > 0 && len(b.Series) > 0 {
		groupW := plotW / float64(n)
		barW := groupW * barGroupFill / float64(len(b.Series))
		for c, cat := range b.Categories {
			x0 := left + groupW*float64(c) + groupW*(1-barGroupFill)/2
			for si, s := range b.Series {
				if c >= len(s.Values) {
					continue
				}
				f, _ := s.Values[c].Float64()
				h := 0.0
				if scaleMax > 0 {
					h = plotH * f / scaleMax
				}
				fmt.Fprintf(&out, `<rect class="chart-bar chart-series-%d" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s · %s: %s</title></rect>`,
					si%maxSeriesClasses, x0+barW*float64(si), top+plotH-h, math.Max(barW-1, 1), h,
					template.HTMLEscapeString(cat), template.HTMLEscapeString(s.Name), template.HTMLEscapeString(format(s.Values[c])))
			}
			fmt.Fprintf(&out, `<text class="chart-label" x="%.1f" y="%.1f" text-anchor="middle">%s</text>`,
				left+groupW*(float64(c)+0.5), top+plotH+categoryLabelOffset, template.HTMLEscapeString(shorten(cat)))
		}
	}
	x := left
	for si, s := range b.Series {
		fmt.Fprintf(&out, `<rect class="chart-series-%d" x="%.1f" y="%.1f" width="%.0f" height="%.0f"/>`, si%maxSeriesClasses, x, legendY-legendSwatch+1, legendSwatch, legendSwatch)
		fmt.Fprintf(&out, `<text class="chart-legend" x="%.1f" y="%.1f">%s</text>`, x+legendSwatch+4, legendY, template.HTMLEscapeString(s.Name))
		x += legendSwatch + 4 + float64(len([]rune(s.Name)))*7 + legendGap
	}
	out.WriteString(`</svg>`)
	return template.HTML(out.String())
}

// niceCeiling rounds a maximum up to 1, 2 or 5 times a power of ten, so
// the axis reads in round numbers.
func niceCeiling(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func shorten(s string) string {
	r := []rune(s)
	if len(r) <= labelLimit {
		return s
	}
	return string(r[:labelLimit-1]) + "…"
}
