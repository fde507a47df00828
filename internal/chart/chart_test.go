package chart

import (
	"encoding/xml"
	"regexp"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

// TestBarsSVG: the chart is well-formed SVG with an accessible name, one
// bar per value with its value in a title, heights proportional to the
// values on a round scale, and no inline style or script.
func TestBarsSVG(t *testing.T) {
	d := decimal.NewFromInt
	svg := string(Bars{Title: "Deals won & lost", Categories: []string{"2026-10", "2026-11"},
		Series: []Series{{Name: "Won", Values: []decimal.Decimal{d(4), d(8)}}, {Name: "Lost", Values: []decimal.Decimal{d(2), d(0)}}}}.SVG())
	if err := xml.Unmarshal([]byte(svg), new(struct{})); err != nil {
		t.Fatalf("not XML: %v\n%s", err, svg)
	}
	if !strings.Contains(svg, `role="img" aria-label="Deals won &amp; lost"`) || strings.Contains(svg, "style=") || strings.Contains(svg, "<script") {
		t.Errorf("svg head or inline code: %.300s", svg)
	}
	bars := regexp.MustCompile(`<rect class="chart-bar chart-series-(\d)" x="[\d.]+" y="[\d.]+" width="[\d.]+" height="([\d.]+)"><title>([^<]+)</title>`).FindAllStringSubmatch(svg, -1)
	if len(bars) != 4 {
		t.Fatalf("%d bars, want 4", len(bars))
	}
	// The scale is 0–10 (8 rounded up); the plot is 228 units high.
	want := map[string]string{"2026-10 · Won: 4": "91.2", "2026-11 · Won: 8": "182.4", "2026-10 · Lost: 2": "45.6", "2026-11 · Lost: 0": "0.0"}
	for _, b := range bars {
		if want[b[3]] != b[2] {
			t.Errorf("bar %q is %s high, want %s", b[3], b[2], want[b[3]])
		}
	}
}

func TestNiceCeiling(t *testing.T) {
	for in, want := range map[float64]float64{0: 1, 0.7: 1, 3: 5, 8: 10, 12: 20, 180: 200, 999: 1000, 1001: 2000} {
		if got := niceCeiling(in); got != want {
			t.Errorf("niceCeiling(%v) = %v, want %v", in, got, want)
		}
	}
}

// TestLineSVG: the scale spans the values in round steps (90 to 120 by
// 10), the points are placed on it, three labels are written and the
// chart stays well-formed SVG with no inline style; a drawdown below zero
// is drawn below the zero line.
func TestLineSVG(t *testing.T) {
	d := decimal.NewFromInt
	svg := string(Line{Title: "Value", Labels: []string{"1 May", "4 May", "5 May"}, Ticks: 3,
		Series: []Series{{Name: "Value", Values: []decimal.Decimal{d(100), d(120), d(90)}}}}.SVG())
	if err := xml.Unmarshal([]byte(svg), new(struct{})); err != nil {
		t.Fatalf("not XML: %v\n%s", err, svg)
	}
	if strings.Contains(svg, "style=") || !strings.Contains(svg, `role="img" aria-label="Value"`) {
		t.Errorf("svg head or inline style: %.300s", svg)
	}
	// The plot is 640 wide from x = 64 and 228 high from y = 16: 100 on
	// a 90–120 scale is a third of the way up.
	if !strings.Contains(svg, `points="64.0,168.0 384.0,16.0 704.0,244.0"`) {
		t.Errorf("points: %s", svg)
	}
	if got := len(regexp.MustCompile(`class="chart-grid"`).FindAllString(svg, -1)); got != 4 {
		t.Errorf("%d grid lines, want 4 (90, 100, 110, 120)", got)
	}
	if got := regexp.MustCompile(`<text class="chart-label"[^>]*>([^<]+)</text>`).FindAllStringSubmatch(svg, -1); len(got) != 3 || got[2][1] != "5 May" {
		t.Errorf("labels %q", got)
	}
	dd := string(Line{Labels: []string{"a", "b"}, Series: []Series{{Values: []decimal.Decimal{d(0), decimal.RequireFromString("-0.25")}}}}.SVG())
	// −0.25 to 0 by 0.1 (0.0625 rounded up): −0.3 to 0; 0 at the top.
	if !strings.Contains(dd, `points="64.0,16.0 704.0,206.0"`) {
		t.Errorf("drawdown points: %s", dd)
	}
}
