package selfservice

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm/internal/i18n"
)

// The readable form of "my data": the same document as the JSON download,
// one table a section, for a person to read or print (GDPR article 15 asks
// for the data "in a concise, transparent, intelligible form").

// dataSections are the sections of the personal-data document in the order
// the page shows them; their titles are portal.data.section.<name>.
var dataSections = []string{"client", "relationships", "identities", "consents", "objections", "profile_changes",
	"accounts", "account_transactions", "positions", "trades", "watchlist", "insurance_policies", "premium_instalments", "premium_payments", "claims",
	"credit_lines", "credit_payments", "credit_scores", "risk_assessments", "suitability_responses", "interactions", "offer_decisions", "review_requests",
	"service_requests", "documents", "portal_actions"}

// dataTable is one section as a table; its column headings are
// portal.data.column.<name> (the JSON download keeps the names).
type dataTable struct {
	Name    string
	Columns []string
	Rows    [][]dataCell
}

// dataCell is a value as text, as a catalogue key (Key: yes and no, codes)
// or as a day, an instant or a number written the reader's way; Nested
// marks a document (a decision record's body) shown folded.
type dataCell struct {
	Text    string
	Key     string
	Day     *time.Time
	Instant *time.Time
	Number  *decimal.Decimal
	Places  int
	Nested  bool
	// Lang marks a value stored in one language (an account's English
	// name), so screen readers and translation tools read it as such.
	Lang string
}

// numericColumns hold amounts, rates and quantities, written with the
// reader's separators and every decimal the firm keeps. Only these: a
// phone or an account number is digits too, but not a number to format.
var numericColumns = map[string]bool{
	"amount": true, "amount_due": true, "amount_paid": true, "annual_income": true, "approved_amount": true,
	"average_cost": true, "balance": true, "claimed_amount": true, "credit_limit": true, "interest_rate": true,
	"loss_capacity": true, "monthly_payment": true, "paid_amount": true, "premium": true, "quantity": true,
	"sum_insured": true, "price": true, "fees": true,
}

type myDataPage struct {
	Tables []dataTable
	Zone   *time.Location
}

// dataTables turns the personal-data document into tables.
func dataTables(doc []byte) ([]dataTable, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var data map[string]any
	if err := dec.Decode(&data); err != nil {
		return nil, err
	}
	var tables []dataTable
	for _, name := range dataSections {
		var rows []map[string]any
		switch v := data[name].(type) {
		case map[string]any:
			rows = []map[string]any{v}
		case []any:
			for _, r := range v {
				if m, ok := r.(map[string]any); ok {
					rows = append(rows, m)
				}
			}
		}
		t := dataTable{Name: name}
		for _, r := range rows {
			for k := range r {
				if !slices.Contains(t.Columns, k) {
					t.Columns = append(t.Columns, k)
				}
			}
		}
		slices.Sort(t.Columns)
		slices.SortStableFunc(t.Columns, func(a, b string) int { return columnRank(a) - columnRank(b) })
		for _, r := range rows {
			cells := make([]dataCell, len(t.Columns))
			for i, c := range t.Columns {
				cells[i] = cellOf(valueColumn(name, c, r), r[c])
				if name == "accounts" && c == "name" {
					cells[i].Lang = "en"
				}
			}
			t.Rows = append(t.Rows, cells)
		}
		tables = append(tables, t)
	}
	return tables, nil
}

// columnRank puts ids first and long documents last; the rest keep the
// alphabetical order they are given in.
func columnRank(c string) int {
	switch {
	case c == "id" || c == "seq":
		return 0
	case c == "record" || c == "body":
		return 2
	}
	return 1
}

// valueColumn is the column whose words a cell's value takes: a profile
// change's old and new values are values of the field it names
// ("married" is a marital status), and the field itself is a column name.
func valueColumn(section, column string, row map[string]any) string {
	if section != "profile_changes" {
		return column
	}
	field, _ := row["field"].(string)
	switch column {
	case "old_value", "new_value":
		return field
	case "field":
		return "field_name"
	}
	return column
}

func cellOf(column string, v any) dataCell {
	if numericColumns[column] {
		if d, err := decimal.NewFromString(fmt.Sprint(v)); err == nil {
			return dataCell{Number: &d, Places: max(0, -int(d.Exponent()))}
		}
	}
	switch v := v.(type) {
	case nil:
		return dataCell{Text: "—"}
	case string:
		if key := "portal.data.value." + column + "." + v; i18n.HasMessage(i18n.English, key) {
			return dataCell{Key: key} // a code the schema allows, in words
		}
		if key := "portal.data.column." + v; column == "field_name" && i18n.HasMessage(i18n.English, key) {
			return dataCell{Key: key}
		}
		if key := "engine." + v; column == "engine" && i18n.HasMessage(i18n.English, key) {
			return dataCell{Key: key} // which engine made an offer, in words
		}
		// PostgreSQL's JSON writes dates and timestamps in these forms;
		// other text (an IBAN, a policy number) never parses as them.
		if t, err := time.Parse(time.DateOnly, v); err == nil {
			return dataCell{Day: &t}
		}
		if t, err := time.Parse("2006-01-02T15:04:05.999999Z07:00", v); err == nil {
			return dataCell{Instant: &t}
		}
		return dataCell{Text: v}
	case json.Number:
		return dataCell{Text: v.String()}
	case bool:
		if v {
			return dataCell{Key: "portal.data.yes"}
		}
		return dataCell{Key: "portal.data.no"}
	}
	b, _ := json.MarshalIndent(v, "", "  ")
	return dataCell{Text: string(b), Nested: true}
}

// showMyData is the readable form of the download.
func (h *Handler) showMyData(w http.ResponseWriter, r *http.Request, clientID int64) error {
	doc, err := h.svc.Export(r.Context(), clientID)
	if err != nil {
		return err
	}
	tables, err := dataTables(doc)
	if err != nil {
		return fmt.Errorf("my data page: %w", err)
	}
	w.Header().Set("Cache-Control", "no-store")
	h.pages.Render(w, r, http.StatusOK, "portal_data", myDataPage{Tables: tables, Zone: h.svc.zone})
	return nil
}
