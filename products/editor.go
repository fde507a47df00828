package products

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/page"
)

// The catalogue editor's form. Each field is named by its path in the
// product's JSON ("definition.rate_tiers[0].rate"), so one table of field
// specs turns a ProductInput into the form's values and the form's values
// back into a ProductInput, and a validation error (which names the same
// path) lands at its field. Amounts are typed in the reader's format, rates
// as percentages ("5,25" is 0.0525).

// editorKind is how a field is typed and shown.
type editorKind int

const (
	editText     editorKind = iota // a one-line text
	editTextarea                   // a paragraph
	editAmount                     // a decimal in the reader's format
	editPercent                    // a rate, typed as a percentage
	editInteger                    // a whole number
	editSelect                     // one of options
	editChoices                    // any of options (checkboxes)
	editCheckbox                   // yes or no
)

// editorSpec is one field of the form.
type editorSpec struct {
	path string // JSON path; rows use "%d" for the row number
	kind editorKind
	max  int // characters, for texts
	// options are the values of a select or a checkbox group; their
	// labels are the catalogue keys optionKey+value.
	options   []string
	optionKey string
	// newOnly fields are chosen when the product is created and are the
	// product's identity afterwards (code, line, kind).
	newOnly bool
}

var riskClasses = []string{"1", "2", "3", "4", "5", "6", "7"}

func allKinds() []string {
	var kinds []string
	for _, line := range []string{LineBanking, LineBrokerage, LineInsurance} {
		kinds = append(kinds, lineKinds[line]...)
	}
	return kinds
}

func currencies() []string {
	list := []string{"RON", "EUR", "USD", "GBP", "CHF", "HUF", "PLN", "CZK", "SEK", "DKK", "NOK", "BGN", "JPY"}
	return slices.DeleteFunc(list, func(c string) bool { _, ok := ecrm.CurrencyMinorUnits(c); return !ok })
}

// editorFields are the single fields, in the order of the form.
var editorFields = []editorSpec{
	{path: "code", kind: editText, max: 40, newOnly: true},
	{path: "name.en", kind: editText, max: maxNameLength},
	{path: "name.ro", kind: editText, max: maxNameLength},
	{path: "line", kind: editSelect, options: []string{LineBanking, LineBrokerage, LineInsurance}, optionKey: "products.line.", newOnly: true},
	{path: "kind", kind: editSelect, options: allKinds(), optionKey: "products.editor.kind.", newOnly: true},
	{path: "provider", kind: editText, max: maxNameLength},
	{path: "currency", kind: editSelect, options: currencies()},
	{path: "risk_class", kind: editSelect, options: riskClasses, optionKey: "products.editor.risk."},
	{path: "complex", kind: editCheckbox},
	{path: "definition.description.en", kind: editTextarea, max: maxDescriptionLength},
	{path: "definition.description.ro", kind: editTextarea, max: maxDescriptionLength},
	{path: "definition.min_amount", kind: editAmount},
	{path: "definition.max_amount", kind: editAmount},
	{path: "definition.min_months", kind: editInteger},
	{path: "definition.max_months", kind: editInteger},
	{path: "definition.capitalisation", kind: editSelect, options: []string{"", "at_maturity", "monthly", "quarterly", "annually"}, optionKey: "products.editor.capitalisation."},
	{path: "definition.expected_annual_return", kind: editPercent},
	{path: "definition.upfront_fee_fixed", kind: editAmount},
	{path: "definition.upfront_fee_percent", kind: editPercent},
	{path: "definition.monthly_fee", kind: editAmount},
	{path: "definition.annual_fee", kind: editAmount},
	{path: "definition.ongoing_charges", kind: editPercent},
	{path: "definition.annual_premium_base", kind: editAmount},
	{path: "definition.premium_per_1000", kind: editAmount},
	{path: "definition.sum_insured_min", kind: editAmount},
	{path: "definition.sum_insured_max", kind: editAmount},
	{path: "definition.target_market.client_types", kind: editChoices, options: clientTypes, optionKey: "products.editor.client_type."},
	{path: "definition.target_market.min_knowledge", kind: editSelect, options: knowledgeLevels, optionKey: "products.editor.knowledge."},
	{path: "definition.target_market.min_loss_capacity", kind: editSelect, options: lossCapacities, optionKey: "products.editor.loss."},
	{path: "definition.target_market.min_risk_tolerance", kind: editSelect, options: riskClasses, optionKey: "products.editor.risk."},
	{path: "definition.target_market.objectives", kind: editChoices, options: objectives, optionKey: "products.editor.objective."},
	{path: "definition.target_market.min_horizon_months", kind: editInteger},
	{path: "definition.negative_target_market.knowledge_levels", kind: editChoices, options: knowledgeLevels, optionKey: "products.editor.knowledge."},
	{path: "definition.negative_target_market.risk_tolerance_below", kind: editSelect, options: append([]string{""}, riskClasses...), optionKey: "products.editor.risk."},
	{path: "definition.negative_target_market.horizon_below_months", kind: editInteger},
	{path: "definition.negative_target_market.vulnerable", kind: editCheckbox},
	{path: "definition.negative_target_market.objectives", kind: editChoices, options: objectives, optionKey: "products.editor.objective."},
}

// editorRows are the lists, one row of fields per item.
var editorRows = map[string][]editorSpec{
	"definition.rate_tiers": {
		{path: "definition.rate_tiers[%d].min_amount", kind: editAmount},
		{path: "definition.rate_tiers[%d].rate", kind: editPercent},
	},
	"definition.disclosures": {
		{path: "definition.disclosures[%d].en", kind: editTextarea, max: maxDescriptionLength},
		{path: "definition.disclosures[%d].ro", kind: editTextarea, max: maxDescriptionLength},
	},
	"rules": {
		{path: "rules[%d].id", kind: editText, max: 40},
		{path: "rules[%d].expression", kind: editText, max: 2000},
		{path: "rules[%d].reason.en", kind: editText, max: maxReasonLength},
		{path: "rules[%d].reason.ro", kind: editText, max: maxReasonLength},
	},
}

// editorBlankRows is how many empty rows follow a list's items, so an
// item can be added without JavaScript; "more rows" adds as many again.
const editorBlankRows = 2

// productForm is the typed form: values by field path, and how many rows
// each list shows.
type productForm struct {
	values url.Values
	rows   map[string]int
}

// formOf fills the form from a product, in the reader's format.
func formOf(in ProductInput, l *i18n.Localizer) (productForm, error) {
	b, err := json.Marshal(in)
	if err != nil {
		return productForm{}, err
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return productForm{}, err
	}
	f := productForm{values: url.Values{}, rows: map[string]int{}}
	show := func(s editorSpec, path string) {
		v, ok := lookupPath(doc, path)
		if !ok || v == nil {
			return
		}
		switch s.kind {
		case editChoices:
			for _, item := range v.([]any) {
				f.values.Add(path, fmt.Sprint(item))
			}
		case editCheckbox:
			if v == true {
				f.values.Set(path, "on")
			}
		case editAmount, editPercent:
			d, err := decimal.NewFromString(fmt.Sprint(v))
			if err != nil || d.IsZero() && !strings.Contains(path, "rate_tiers") {
				return
			}
			if s.kind == editPercent {
				d = d.Shift(2)
			}
			f.values.Set(path, l.Decimal(d, int32(i18n.ExactPlaces(d, 0))))
		case editInteger:
			if n := fmt.Sprint(v); n != "0" {
				f.values.Set(path, n)
			}
		default:
			if s := fmt.Sprint(v); s != "0" || path != "definition.negative_target_market.risk_tolerance_below" {
				f.values.Set(path, s)
			}
		}
	}
	for _, s := range editorFields {
		show(s, s.path)
	}
	for list, specs := range editorRows {
		items, _ := lookupPath(doc, list)
		n, _ := items.([]any)
		f.rows[list] = len(n) + editorBlankRows
		for i := range n {
			for _, s := range specs {
				show(s, fmt.Sprintf(s.path, i))
			}
		}
	}
	return f, nil
}

// postedForm is the form as submitted; moreRows asks for more empty rows.
func postedForm(values url.Values, moreRows bool) productForm {
	f := productForm{values: values, rows: map[string]int{}}
	for list, specs := range editorRows {
		n := 0
		for i := 0; i < maxListItems; i++ {
			for _, s := range specs {
				if values.Has(fmt.Sprintf(s.path, i)) {
					n = i + 1
				}
			}
		}
		f.rows[list] = min(maxListItems, max(n, lastFilled(values, specs)+1+editorBlankRows))
		if moreRows {
			f.rows[list] = min(maxListItems, f.rows[list]+editorBlankRows)
		}
	}
	return f
}

// lastFilled is the index of the last row with any value, -1 for none.
func lastFilled(values url.Values, specs []editorSpec) int {
	last := -1
	for i := 0; i < maxListItems; i++ {
		for _, s := range specs {
			if strings.TrimSpace(values.Get(fmt.Sprintf(s.path, i))) != "" {
				last = i
			}
		}
	}
	return last
}

// input reads the form into a product. A value that cannot be read (an
// amount with letters) is named in problems and left out, so that the
// product's own validation still reports everything else in the same
// round. Rows left empty are skipped; fixed are the code, line and kind
// of an existing product.
func (f productForm) input(l *i18n.Localizer, fixed *ProductInput) (ProductInput, []ecrm.FieldError) {
	doc := map[string]any{}
	var problems []ecrm.FieldError
	read := func(s editorSpec, path, as string) {
		raw := f.values[path]
		text := strings.TrimSpace(f.values.Get(path))
		var v any
		switch s.kind {
		case editChoices:
			if len(raw) == 0 {
				return // none ticked: left out, as the JSON would
			}
			list := []any{}
			for _, item := range raw {
				list = append(list, item)
			}
			v = list
		case editCheckbox:
			if text == "" {
				return
			}
			v = true
		case editAmount, editPercent:
			if text == "" {
				return
			}
			d, ok := l.ParseAmount(text)
			if !ok {
				problems = append(problems, ecrm.FieldError{Field: path})
				return
			}
			if s.kind == editPercent {
				d = d.Shift(-2)
			}
			v = d.String()
		case editInteger:
			if text == "" {
				return
			}
			n, err := strconv.Atoi(text)
			if err != nil {
				problems = append(problems, ecrm.FieldError{Field: path})
				return
			}
			v = n
		case editSelect:
			if text == "" {
				return
			}
			if path == "risk_class" || strings.HasSuffix(path, "risk_tolerance") || strings.HasSuffix(path, "risk_tolerance_below") {
				n, err := strconv.Atoi(text)
				if err != nil {
					problems = append(problems, ecrm.FieldError{Field: path})
					return
				}
				v = n
			} else {
				v = text
			}
		default:
			if s.kind == editTextarea {
				text = strings.TrimSpace(strings.ReplaceAll(f.values.Get(path), "\r\n", "\n"))
			}
			v = text
		}
		setPath(doc, as, v)
	}
	for _, s := range editorFields {
		read(s, s.path, s.path)
	}
	for list, specs := range editorRows {
		row := 0
		for i := range f.rows[list] {
			empty := true
			for _, s := range specs {
				if strings.TrimSpace(f.values.Get(fmt.Sprintf(s.path, i))) != "" {
					empty = false
				}
			}
			if empty {
				continue
			}
			// The row is stored at its position among the filled rows;
			// problems keep the row's number on the page.
			for _, s := range specs {
				before := len(problems)
				read(s, fmt.Sprintf(s.path, i), fmt.Sprintf(s.path, row))
				for j := before; j < len(problems); j++ {
					problems[j].Field = fmt.Sprintf(s.path, i)
				}
			}
			row++
		}
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return ProductInput{}, append(problems, ecrm.FieldError{Field: "code"})
	}
	var in ProductInput
	if err := json.Unmarshal(b, &in); err != nil {
		return ProductInput{}, append(problems, ecrm.FieldError{Field: "code"})
	}
	if fixed != nil {
		in.Code, in.Line, in.Kind = fixed.Code, fixed.Line, fixed.Kind
	}
	return in, problems
}

var pathSegment = regexp.MustCompile(`^([a-z0-9_]+)(?:\[(\d+)\])?$`)

// lookupPath reads "a.b[2].c" from a decoded JSON document.
func lookupPath(doc any, path string) (any, bool) {
	cur := doc
	for _, seg := range strings.Split(path, ".") {
		m := pathSegment.FindStringSubmatch(seg)
		obj, ok := cur.(map[string]any)
		if m == nil || !ok {
			return nil, false
		}
		if cur, ok = obj[m[1]]; !ok {
			return nil, false
		}
		if m[2] != "" {
			i, _ := strconv.Atoi(m[2])
			list, ok := cur.([]any)
			if !ok || i >= len(list) {
				return nil, false
			}
			cur = list[i]
		}
	}
	return cur, true
}

// setPath writes v at "a.b[2].c", creating objects and list items.
func setPath(doc map[string]any, path string, v any) {
	segs := strings.Split(path, ".")
	obj := doc
	for k, seg := range segs {
		m := pathSegment.FindStringSubmatch(seg)
		last := k == len(segs)-1
		if m[2] == "" {
			if last {
				obj[m[1]] = v
				return
			}
			next, ok := obj[m[1]].(map[string]any)
			if !ok {
				next = map[string]any{}
				obj[m[1]] = next
			}
			obj = next
			continue
		}
		i, _ := strconv.Atoi(m[2])
		list, _ := obj[m[1]].([]any)
		for len(list) <= i {
			list = append(list, map[string]any{})
		}
		obj[m[1]] = list
		if last {
			list[i] = v
			return
		}
		obj = list[i].(map[string]any)
	}
}

// editorID is a field's HTML id.
func editorID(path string) string {
	return "f-" + strings.Trim(strings.NewReplacer(".", "-", "[", "-", "]", "").Replace(path), "-")
}

// specKey is a path without its row numbers, for the field's label and
// error message keys: "rules[2].reason.en" → "rules.reason.en".
var rowNumber = regexp.MustCompile(`\[\d+\]`)

func specKey(path string) string { return rowNumber.ReplaceAllString(path, "") }

// editorView is the form as the template draws it.
type editorView struct {
	Fields map[string]page.FormField
	// Choices are the checkbox groups and single checkboxes.
	Choices map[string]choiceGroup
	Rows    map[string][]editorRow
	Errors  []pageError
}

type choiceGroup struct {
	Single   bool // one yes/no checkbox rather than a group
	Name     string
	ID       string
	LabelKey string
	HintKey  string
	Error    string
	Options  []choiceOption
}

type choiceOption struct {
	Value    string
	ID       string
	LabelKey string
	Checked  bool
}

type editorRow struct {
	Number int // from 1, for the legend
	Fields []page.FormField
}

// view lays the form out with each problem at its field, in the reader's
// language; the summary lists them in the form's order.
func (f productForm) view(l *i18n.Localizer, isNew bool, problems []ecrm.FieldError) editorView {
	msgs := map[string]string{}
	for _, p := range problems {
		field := editorFieldOf(p.Field)
		if _, done := msgs[field]; !done {
			msgs[field] = editorMessage(l, field, p)
		}
	}
	v := editorView{Fields: map[string]page.FormField{}, Choices: map[string]choiceGroup{}, Rows: map[string][]editorRow{}}
	field := func(s editorSpec, path string) page.FormField {
		key := specKey(path)
		ff := page.FormField{Name: path, ID: editorID(path), LabelKey: "products.editor.field." + key,
			Value: f.values.Get(path), Error: msgs[path], MaxLength: s.max}
		if hint := "products.editor.hint." + key; l.T(hint) != hint {
			ff.HintKey = hint
		}
		switch s.kind {
		case editTextarea:
			ff.Rows = 3
		case editAmount, editPercent:
			ff.InputMode = "decimal"
		case editInteger:
			ff.InputMode = "numeric"
		case editSelect:
			for _, o := range s.options {
				opt := page.FormOption{Value: o, LabelKey: s.optionKey + o, Selected: f.values.Get(path) == o}
				if o == "" {
					opt.LabelKey = "products.editor.none"
				} else if s.optionKey == "" {
					opt.LabelKey, opt.Label = "", o
				}
				ff.Options = append(ff.Options, opt)
			}
		}
		return ff
	}
	for _, s := range editorFields {
		if s.newOnly && !isNew {
			continue
		}
		switch s.kind {
		case editChoices, editCheckbox:
			g := choiceGroup{Name: s.path, ID: editorID(s.path), LabelKey: "products.editor.field." + s.path, Error: msgs[s.path]}
			if hint := "products.editor.hint." + s.path; l.T(hint) != hint {
				g.HintKey = hint
			}
			if s.kind == editCheckbox {
				g.Single = true
				g.Options = []choiceOption{{Value: "on", ID: g.ID, LabelKey: g.LabelKey, Checked: f.values.Get(s.path) != ""}}
			}
			for _, o := range s.options {
				g.Options = append(g.Options, choiceOption{Value: o, ID: g.ID + "-" + o, LabelKey: s.optionKey + o,
					Checked: slices.Contains(f.values[s.path], o)})
			}
			v.Choices[s.path] = g
		default:
			v.Fields[s.path] = field(s, s.path)
		}
	}
	for list, specs := range editorRows {
		for i := range f.rows[list] {
			row := editorRow{Number: i + 1}
			for _, s := range specs {
				ff := field(s, fmt.Sprintf(s.path, i))
				if i > 0 {
					ff.HintKey = "" // said once, on the first row
				}
				row.Fields = append(row.Fields, ff)
			}
			v.Rows[list] = append(v.Rows[list], row)
		}
	}
	// The summary in the form's order: single fields, then the lists.
	add := func(path string) {
		if msg, ok := msgs[path]; ok {
			v.Errors = append(v.Errors, pageError{Anchor: editorID(path), Message: msg})
			delete(msgs, path)
		}
	}
	for _, s := range editorFields {
		add(s.path)
	}
	for _, list := range []string{"definition.rate_tiers", "definition.disclosures", "rules"} {
		add(list)
		for i := range f.rows[list] {
			for _, s := range editorRows[list] {
				add(fmt.Sprintf(s.path, i))
			}
		}
	}
	// Anything left names a field the form does not show (a list too
	// long, say); it is still said, at the top.
	rest := make([]string, 0, len(msgs))
	for path := range msgs {
		rest = append(rest, path)
	}
	slices.Sort(rest)
	for _, path := range rest {
		v.Errors = append(v.Errors, pageError{Anchor: "product-form", Message: msgs[path]})
	}
	return v
}

// editorFieldOf maps a validation error's field onto the form's field: an
// item of a checkbox group is the group, a rule's reason is its English
// reason field.
func editorFieldOf(field string) string {
	for _, s := range editorFields {
		if s.kind == editChoices && strings.HasPrefix(field, s.path+"[") {
			return s.path
		}
	}
	if strings.HasPrefix(field, "rules[") && strings.HasSuffix(field, ".reason") {
		return field + ".en"
	}
	return field
}

// editorMessage says what a field needs, in the reader's language. The
// validation's own English detail is kept only where it is the point: the
// position and cause of an error in a rule's expression.
func editorMessage(l *i18n.Localizer, field string, p ecrm.FieldError) string {
	key := specKey(field)
	switch {
	case key == "rules.expression" && p.Message != "":
		return l.T("products.editor.error.rules.expression", p.Message)
	case key == "rules.id" && strings.Contains(p.Message, "another rule"):
		return l.T("products.editor.error.rules.id_taken")
	case key == "code" && strings.Contains(p.Message, "already exists"):
		return l.T("products.editor.error.code_taken")
	}
	msg := "products.editor.error." + key
	if l.T(msg) == msg {
		// A field without a message of its own: its label and the detail.
		return l.T("products.editor.error.other", l.T("products.editor.field."+key), p.Message)
	}
	switch key {
	case "definition.min_months", "definition.max_months", "definition.target_market.min_horizon_months",
		"definition.negative_target_market.horizon_below_months":
		return l.T(msg, MaxLoanMonths)
	}
	return l.T(msg)
}
