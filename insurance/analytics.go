package insurance

import (
	"context"
	"html/template"
	"net/http"
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm/internal/chart"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/page"
)

// Journey analytics (issue 16, item 7): per questionnaire version, how
// many applicants opened it, how many submitted it, how long they took,
// and where those who left gave up, so that the insurer sees which
// questions cost applicants.

// abandonAfter is how long a journey may rest before the applicants who
// left a section unsubmitted count as having dropped off there (an
// applicant still answering is not a drop-off).
const abandonAfter = 24 * time.Hour

// VersionStats are one questionnaire version's figures.
type VersionStats struct {
	QuestionnaireID int64
	URL, Version    string
	// Starts: journeys that opened the section (or answered in it, as an
	// app through the API does without a page); Completions: that
	// submitted it; Dropped: that left it unsubmitted and idle for
	// abandonAfter.
	Starts, Completions, Dropped int64
	// MedianSeconds is the median time from opening to submitting (a
	// section submitted without being opened on a page, as an app does
	// through the API, has no time and does not count).
	MedianSeconds decimal.Decimal
	// DropOff counts, by the last question answered before leaving ("":
	// none), the journeys that dropped off, most first.
	DropOff []QuestionDropOff
}

// QuestionDropOff is how many applicants left after a question.
type QuestionDropOff struct {
	LinkID string
	Count  int64
}

// Analytics reads the figures of every questionnaire version with events,
// as of now.
func (j *Journeys) Analytics(ctx context.Context, now time.Time) ([]VersionStats, error) {
	rows, err := j.pool.Query(ctx, `
SELECT q.id, q.url, q.version,
       count(DISTINCT e.journey_id) FILTER (WHERE e.kind IN ('view', 'answer', 'submit')),
       count(DISTINCT e.journey_id) FILTER (WHERE e.kind = 'submit'),
       coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY e.elapsed_ms) FILTER (WHERE e.kind = 'submit' AND e.elapsed_ms > 0), 0)::numeric
FROM insurance_journey_events e JOIN questionnaires q ON q.id = e.questionnaire_id
GROUP BY q.id, q.url, q.version`)
	if err != nil {
		return nil, err
	}
	byID := map[int64]*VersionStats{}
	var out []*VersionStats
	for rows.Next() {
		var v VersionStats
		var medianMS decimal.Decimal
		if err := rows.Scan(&v.QuestionnaireID, &v.URL, &v.Version, &v.Starts, &v.Completions, &medianMS); err != nil {
			rows.Close()
			return nil, err
		}
		// Seconds to one place, half away from zero.
		v.MedianSeconds = medianMS.Div(decimal.NewFromInt(1000)).Round(1)
		byID[v.QuestionnaireID] = &v
		out = append(out, &v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Drop-off: sections opened, never submitted, in a journey idle since
	// abandonAfter, by the last question answered there.
	rows, err = j.pool.Query(ctx, `
WITH dropped AS (
    SELECT DISTINCT v.journey_id, v.questionnaire_id
    FROM insurance_journey_events v
    JOIN insurance_journeys jn ON jn.id = v.journey_id
    WHERE v.kind IN ('view', 'answer') AND jn.status <> 'completed' AND jn.updated_at < $1
      AND NOT EXISTS (SELECT FROM insurance_journey_events s
                      WHERE s.journey_id = v.journey_id AND s.questionnaire_id = v.questionnaire_id AND s.kind = 'submit')
)
SELECT d.questionnaire_id,
       coalesce((SELECT a.link_id FROM insurance_journey_events a
                 WHERE a.journey_id = d.journey_id AND a.questionnaire_id = d.questionnaire_id AND a.kind = 'answer'
                 ORDER BY a.at DESC, a.id DESC LIMIT 1), '') AS last_answered,
       count(*)
FROM dropped d
GROUP BY 1, 2
ORDER BY 1, 3 DESC, 2`, now.Add(-abandonAfter))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var d QuestionDropOff
		if err := rows.Scan(&id, &d.LinkID, &d.Count); err != nil {
			return nil, err
		}
		if v := byID[id]; v != nil {
			v.DropOff = append(v.DropOff, d)
			v.Dropped += d.Count
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// In the journey's order, versions of a section oldest first.
	order := map[string]int{}
	for i, s := range j.def.Sections {
		order[s.URL] = i + 1
	}
	slices.SortFunc(out, func(a, b *VersionStats) int {
		oa, ob := order[a.URL], order[b.URL]
		if oa == 0 {
			oa = len(order) + 1
		}
		if ob == 0 {
			ob = len(order) + 1
		}
		if oa != ob {
			return oa - ob
		}
		return int(a.QuestionnaireID - b.QuestionnaireID)
	})
	res := make([]VersionStats, len(out))
	for i, v := range out {
		res[i] = *v
	}
	return res, nil
}

// analyticsPage is the data of insurance_journey_analytics.html.
type analyticsPage struct {
	Versions     []versionRow
	FunnelChart  template.HTML
	TimeChart    template.HTML
	AbandonHours int
}

type versionRow struct {
	VersionStats
	Title     string
	Rate      decimal.Decimal
	HasRate   bool
	DropRows  []dropRow
	DropChart template.HTML
}

type dropRow struct {
	LinkID, Text string
	Count        int64
}

func (h *JourneyConsole) analytics(w http.ResponseWriter, r *http.Request, _ int64) error {
	ctx := r.Context()
	l := i18n.FromContext(ctx)
	lang := l.Lang().String()
	stats, err := h.journeys.Analytics(ctx, h.journeys.Now())
	if err != nil {
		return err
	}
	d := analyticsPage{AbandonHours: int(abandonAfter / time.Hour)}
	count := func(x decimal.Decimal) string { return l.Decimal(x, 0) }
	funnel := chart.Bars{Title: l.T("insurance.journey.analytics.funnel_chart"), Format: count,
		Series: []chart.Series{{Name: l.T("insurance.journey.analytics.starts")}, {Name: l.T("insurance.journey.analytics.completions")},
			{Name: l.T("insurance.journey.analytics.dropped")}}}
	times := chart.Bars{Title: l.T("insurance.journey.analytics.time_chart"), Format: func(x decimal.Decimal) string { return l.Decimal(x, 1) },
		Series: []chart.Series{{Name: l.T("insurance.journey.analytics.median_seconds")}}}
	for _, v := range stats {
		q, err := h.journeys.questionnaire(ctx, h.journeys.pool, v.QuestionnaireID)
		if err != nil {
			return err
		}
		row := versionRow{VersionStats: v, Title: q.TitleIn(lang) + " · v" + q.Version}
		if v.Starts > 0 {
			// The share of starts completed, as a ratio rounded to 3 places
			// (the page shows a percentage with one decimal).
			row.Rate, row.HasRate = decimal.NewFromInt(v.Completions).Div(decimal.NewFromInt(v.Starts)).Round(3), true
		}
		texts := map[string]string{}
		walkItems(q.Items, func(it *Item) { texts[it.LinkID] = it.TextIn(lang) })
		drops := chart.Bars{Title: l.T("insurance.journey.analytics.drop_chart", row.Title), Format: count,
			Series: []chart.Series{{Name: l.T("insurance.journey.analytics.dropped")}}}
		for _, dr := range v.DropOff {
			text := texts[dr.LinkID]
			if dr.LinkID == "" {
				text = l.T("insurance.journey.analytics.none_answered")
			}
			row.DropRows = append(row.DropRows, dropRow{LinkID: dr.LinkID, Text: text, Count: dr.Count})
			label := dr.LinkID
			if label == "" {
				label = "—"
			}
			drops.Categories = append(drops.Categories, label)
			drops.Series[0].Values = append(drops.Series[0].Values, decimal.NewFromInt(dr.Count))
		}
		if len(drops.Categories) > 0 {
			row.DropChart = drops.SVG()
		}
		funnel.Categories = append(funnel.Categories, row.Title)
		funnel.Series[0].Values = append(funnel.Series[0].Values, decimal.NewFromInt(v.Starts))
		funnel.Series[1].Values = append(funnel.Series[1].Values, decimal.NewFromInt(v.Completions))
		funnel.Series[2].Values = append(funnel.Series[2].Values, decimal.NewFromInt(v.Dropped))
		times.Categories = append(times.Categories, row.Title)
		times.Series[0].Values = append(times.Series[0].Values, v.MedianSeconds)
		d.Versions = append(d.Versions, row)
	}
	if len(d.Versions) > 0 {
		d.FunnelChart, d.TimeChart = funnel.SVG(), times.SVG()
	}
	h.pages.Render(w, r, http.StatusOK, "insurance_journey_analytics", page.View{Area: page.AreaConsole, Data: d})
	return nil
}
