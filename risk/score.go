package risk

import (
	"time"
)

// The internal credit score: a simple, explainable scorecard on the
// familiar 300–850 scale, deliberately plain so that a client and an
// advisor can follow it. It is versioned: a stored score names the
// scorecard that made it, and a calibrated model will come as a new
// version beside this one.
//
// scorecard-v1, counted over the score's window (the as-of month and the
// 24 months before it, so two full years and the month under way):
//
//	no credit history at all                   650 ("thin file")
//	otherwise start at                         680
//	+ 3 per on-time monthly payment             up to +120
//	- 20 per payment 30 days late
//	- 45 per payment 60 days late
//	- 90 per payment 90+ days late
//	- 150 per payment in default
//	- 200 per credit line defaulted or written off
//	clamped to 300–850
//
// Credit lines count, internal and bureau alike, once opened (closed lines
// too: a line is credit ever held). A line defaulted or written off counts
// against the score from the month of its first payment in default, or,
// when none was recorded, from the month of its last payment record (when
// its lender last reported it), or its opening month when it has none; so
// the score at an earlier month-end does not carry a default that came
// later.
//
// Products reads the stored score (credit_scores, written by this package)
// and uses ThinFileScore, which it mirrors as products.NoCreditFileScore,
// for a client without a row: only a client without any credit line or
// payment has none.
const (
	// ScorecardVersion names the scorecard below in every stored score.
	ScorecardVersion = "scorecard-v1"
	// ThinFileScore is the score of a client with no credit history.
	ThinFileScore = 650
	// ScoreWindowMonths is how many months before the as-of month count.
	ScoreWindowMonths = 24
	// ScoreHistoryMonths is how many month-ends the score history shows.
	ScoreHistoryMonths = 24

	scoreBase       = 680
	pointsOnTime    = 3
	maxOnTimePoints = 120
	pointsLate30    = -20
	pointsLate60    = -45
	pointsLate90    = -90
	pointsDefault   = -150
	pointsBadLine   = -200
	minScore        = 300
	maxScore        = 850
)

// CreditCounts is what the scorecard counts in a client's credit record
// over the window.
type CreditCounts struct {
	Lines      int // credit lines opened by the end of the as-of month
	OnTime     int // monthly payments on time
	Late30     int
	Late60     int
	Late90Plus int
	Defaulted  int // monthly payments recorded as default
	BadLines   int // lines defaulted or written off (see above from when)
}

// thin reports a record with nothing in it.
func (c CreditCounts) thin() bool {
	return c.Lines == 0 && c.OnTime+c.Late30+c.Late60+c.Late90Plus+c.Defaulted == 0
}

// Factor names, in the order a score lists them.
const (
	FactorThinFile = "thin_file"
	FactorBase     = "base"
	FactorOnTime   = "on_time"
	FactorLate30   = "late_30"
	FactorLate60   = "late_60"
	FactorLate90   = "late_90_plus"
	FactorDefault  = "default"
	FactorBadLines = "bad_lines"
)

// ScoreFactor is one line of a score's explanation: what was counted, how
// many, and the points it is worth (the on-time bonus already capped).
// Before clamping to 300–850 the points add up to the score.
type ScoreFactor struct {
	Factor string `json:"factor"`
	Count  int    `json:"count,omitempty"`
	Points int    `json:"points"`
}

// CreditScore is a score with the scorecard that made it and its factors.
type CreditScore struct {
	Score   int           `json:"score"`
	Version string        `json:"version"`
	Factors []ScoreFactor `json:"factors"`
}

// Score applies scorecard-v1 to the counts.
func Score(c CreditCounts) CreditScore {
	if c.thin() {
		return CreditScore{Score: ThinFileScore, Version: ScorecardVersion,
			Factors: []ScoreFactor{{Factor: FactorThinFile, Points: ThinFileScore}}}
	}
	s := CreditScore{Version: ScorecardVersion, Factors: []ScoreFactor{{Factor: FactorBase, Points: scoreBase}}}
	add := func(factor string, n, each, limit int) {
		if n == 0 {
			return
		}
		p := n * each
		if limit != 0 && p > limit {
			p = limit
		}
		s.Factors = append(s.Factors, ScoreFactor{Factor: factor, Count: n, Points: p})
	}
	add(FactorOnTime, c.OnTime, pointsOnTime, maxOnTimePoints)
	add(FactorLate30, c.Late30, pointsLate30, 0)
	add(FactorLate60, c.Late60, pointsLate60, 0)
	add(FactorLate90, c.Late90Plus, pointsLate90, 0)
	add(FactorDefault, c.Defaulted, pointsDefault, 0)
	add(FactorBadLines, c.BadLines, pointsBadLine, 0)
	total := 0
	for _, f := range s.Factors {
		total += f.Points
	}
	s.Score = max(minScore, min(maxScore, total))
	return s
}

// monthOf is the first day of t's month, UTC.
func monthOf(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// scoreWindow is the first and the last month counted by a score as of
// the month of asOf.
func scoreWindow(asOf time.Time) (from, to time.Time) {
	to = monthOf(asOf)
	return to.AddDate(0, -ScoreWindowMonths, 0), to
}
