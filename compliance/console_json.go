package compliance

import (
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/shopspring/decimal"
)

// The console API's JSON shapes (documented in openapi.json).

type recordJSON struct {
	Seq         int64     `json:"seq"`
	Kind        string    `json:"kind"`
	RefersTo    *int64    `json:"refers_to,omitempty"`
	ClientID    int64     `json:"client_id"`
	ClientName  string    `json:"client_name"`
	ProductCode *string   `json:"product_code,omitempty"`
	Engine      string    `json:"engine"`
	Channel     string    `json:"channel"`
	ActorKind   string    `json:"actor_kind"`
	StaffID     *int64    `json:"actor_staff_id,omitempty"`
	StaffName   *string   `json:"actor_name,omitempty"`
	Outcome     string    `json:"outcome"`
	RecordedAt  time.Time `json:"recorded_at"`
	Review      *string   `json:"review,omitempty"`
}

type recordPageJSON struct {
	Records    []recordJSON `json:"records"`
	NextCursor *string      `json:"next_cursor"`
}

func optID(v int64) *int64 {
	if v == 0 {
		return nil
	}
	return &v
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func toRecordJSON(s Summary) recordJSON {
	return recordJSON{Seq: s.Seq, Kind: s.Kind, RefersTo: optID(s.RefersTo), ClientID: s.ClientID, ClientName: s.ClientName,
		ProductCode: optString(s.ProductCode), Engine: s.Engine, Channel: s.Channel, ActorKind: s.ActorKind,
		StaffID: optID(s.StaffID), StaffName: optString(s.StaffName), Outcome: s.Outcome, RecordedAt: s.RecordedAt,
		Review: optString(s.Review)}
}

func toRecordPageJSON(res *SearchResult) recordPageJSON {
	p := recordPageJSON{Records: make([]recordJSON, 0, len(res.Records)), NextCursor: optString(res.Next)}
	for _, s := range res.Records {
		p.Records = append(p.Records, toRecordJSON(s))
	}
	return p
}

type reviewJSON struct {
	ID         int64     `json:"id"`
	Seq        int64     `json:"seq"`
	StaffID    int64     `json:"staff_id"`
	StaffName  string    `json:"staff_name"`
	Action     string    `json:"action"`
	Comment    string    `json:"comment"`
	ReviewedAt time.Time `json:"reviewed_at"`
}

func toReviewJSON(r Review) reviewJSON {
	return reviewJSON{ID: r.ID, Seq: r.Seq, StaffID: r.StaffID, StaffName: r.StaffName, Action: r.Action, Comment: r.Comment, ReviewedAt: r.ReviewedAt}
}

type detailJSON struct {
	recordJSON
	ProductID        *int64          `json:"product_id,omitempty"`
	ProductVersionID *int64          `json:"product_version_id,omitempty"`
	EngineVersion    string          `json:"engine_version"`
	RuleVersion      string          `json:"rule_version"`
	Body             json.RawMessage `json:"body"`
	PrevHash         string          `json:"prev_hash"`
	Hash             string          `json:"hash"`
	Sampled          bool            `json:"sampled"`
	Related          []recordJSON    `json:"related"`
	Reviews          []reviewJSON    `json:"reviews"`
}

func toDetailJSON(d *Detail) detailJSON {
	out := detailJSON{recordJSON: toRecordJSON(d.Summary), ProductID: optID(d.ProductID), ProductVersionID: optID(d.ProductVersionID),
		EngineVersion: d.EngineVersion, RuleVersion: d.RuleVersion, Body: json.RawMessage(d.BodyText),
		PrevHash: hex.EncodeToString(d.PrevHash), Hash: hex.EncodeToString(d.Hash), Sampled: d.Sampled,
		Related: []recordJSON{}, Reviews: []reviewJSON{}}
	for _, s := range d.Related {
		out.Related = append(out.Related, toRecordJSON(s))
	}
	for _, r := range d.Reviews {
		out.Reviews = append(out.Reviews, toReviewJSON(r))
	}
	return out
}

type countsJSON struct {
	Shown           int64   `json:"shown"`
	Blocked         int64   `json:"blocked"`
	Interested      int64   `json:"interested"`
	Accepted        int64   `json:"accepted"`
	Declined        int64   `json:"declined"`
	Expired         int64   `json:"expired"`
	ReviewRequested int64   `json:"review_requested"`
	InterestRate    *string `json:"interest_rate"`
	AcceptanceRate  *string `json:"acceptance_rate"`
}

type groupJSON struct {
	Key string `json:"key"`
	countsJSON
}

type statsJSON struct {
	From      string                 `json:"from"`
	To        string                 `json:"to"`
	Total     countsJSON             `json:"total"`
	By        map[string][]groupJSON `json:"by"`
	BlockedBy []checkCountJSON       `json:"blocked_by_check"`
}

type checkCountJSON struct {
	Check string `json:"check"`
	Count int64  `json:"count"`
}

func toCountsJSON(c Counts) countsJSON {
	out := countsJSON{Shown: c.Shown, Blocked: c.Blocked, Interested: c.Interested, Accepted: c.Accepted, Declined: c.Declined, Expired: c.Expired, ReviewRequested: c.ReviewRequested}
	if rate, ok := c.AcceptanceRate(); ok {
		s := rate.StringFixed(4)
		out.AcceptanceRate = &s
	}
	if rate, ok := c.InterestRate(); ok {
		s := rate.StringFixed(4)
		out.InterestRate = &s
	}
	return out
}

func toStatsJSON(st *Stats, loc *time.Location) statsJSON {
	out := statsJSON{From: st.From.In(loc).Format(time.DateOnly), To: st.To.In(loc).AddDate(0, 0, -1).Format(time.DateOnly),
		Total: toCountsJSON(st.Total), By: map[string][]groupJSON{}, BlockedBy: []checkCountJSON{}}
	for _, dim := range Dimensions {
		groups := []groupJSON{}
		for _, g := range st.By[dim] {
			groups = append(groups, groupJSON{Key: g.Key, countsJSON: toCountsJSON(g.Counts)})
		}
		out.By[dim] = groups
	}
	for _, c := range st.BlockedBy {
		out.BlockedBy = append(out.BlockedBy, checkCountJSON(c))
	}
	return out
}

type accessJSON struct {
	ID         int64           `json:"id"`
	StaffID    int64           `json:"staff_id"`
	StaffName  string          `json:"staff_name"`
	ClientID   *int64          `json:"client_id,omitempty"`
	ClientName *string         `json:"client_name,omitempty"`
	Resource   string          `json:"resource"`
	Purpose    *string         `json:"purpose,omitempty"`
	RequestID  *string         `json:"request_id,omitempty"`
	Detail     json.RawMessage `json:"detail,omitempty"`
	AccessedAt time.Time       `json:"accessed_at"`
}

type accessPageJSON struct {
	Rows       []accessJSON `json:"rows"`
	NextCursor *string      `json:"next_cursor"`
}

func toAccessPageJSON(p *AccessPage) accessPageJSON {
	out := accessPageJSON{Rows: []accessJSON{}, NextCursor: optString(p.Next)}
	for _, a := range p.Rows {
		j := accessJSON{ID: a.ID, StaffID: a.StaffID, StaffName: a.StaffName, ClientID: optID(a.ClientID), ClientName: optString(a.ClientName),
			Resource: a.Resource, Purpose: optString(a.Purpose), RequestID: optString(a.RequestID), AccessedAt: a.AccessedAt}
		if a.Detail != "" {
			j.Detail = json.RawMessage(a.Detail)
		}
		out.Rows = append(out.Rows, j)
	}
	return out
}

// basisPointsRatio is basis points as a ratio (500 → 0.05).
func basisPointsRatio(bp int) decimal.Decimal { return decimal.New(int64(bp), -4) }
