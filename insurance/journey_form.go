package insurance

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm/internal/i18n"
)

// A questionnaire's items as a page draws them, and a submitted form read
// back into answers. The same drawing serves the applicant's section page
// (only the items enabled) and the administrators' preview (every item,
// with the conditions that show it).

// ItemView is one item to draw.
type ItemView struct {
	LinkID string
	// ID is the HTML id ("q-" and the linkId with dots as dashes).
	ID       string
	Type     string
	Text     string
	Prefix   string
	Required bool
	// Control is how it is drawn: group, display, yesno, radio, select,
	// checkbox, textarea, date, number, decimal, text.
	Control   string
	Options   []OptionView
	Value     string
	MaxLength int
	InputMode string
	// Hint gives the bounds or the pattern, translated.
	Hint string
	// Error is the message at the question, translated.
	Error string
	// Attention marks a question a renewal asks to look at again.
	Attention bool
	// Conditions are the enableWhen conditions, written out (preview).
	Conditions []string
	// Disabled marks an item the answers do not enable (preview).
	Disabled bool
	Children []ItemView
}

// OptionView is one option of a choice.
type OptionView struct {
	ID      string
	Value   string
	Label   string
	Checked bool
}

// HTMLID is the id of the control of linkID.
func HTMLID(linkID string) string { return "q-" + strings.ReplaceAll(linkID, ".", "-") }

// formState is what a page shows in its controls: the submitted text of
// each question (kept as typed, also when wrong) or the stored answers.
type formState struct {
	raw      url.Values
	answers  Answers
	errors   map[string]string
	attend   map[string]bool
	lang     string
	l        *i18n.Localizer
	showAll  bool
	enabled  map[string]bool
	describe bool
}

// itemViews draws items.
func itemViews(items []*Item, fs *formState) []ItemView {
	var out []ItemView
	for _, it := range items {
		on := fs.enabled == nil || fs.enabled[it.LinkID]
		if !on && !fs.showAll {
			continue
		}
		v := ItemView{LinkID: it.LinkID, ID: HTMLID(it.LinkID), Type: it.Type, Text: it.TextIn(fs.lang), Prefix: it.Prefix,
			Required: it.Required, MaxLength: it.MaxLength, Error: fs.errors[it.LinkID], Attention: fs.attend[it.LinkID], Disabled: !on}
		if fs.describe {
			for _, ew := range it.EnableWhen {
				v.Conditions = append(v.Conditions, ew.Question+" "+ew.Operator+" "+ew.Answer.text()+ew.Answer.codeText())
			}
		}
		given := fs.answers[it.LinkID]
		raw, typed := fs.raw[it.LinkID]
		selected := func(key string) bool {
			if typed {
				return slices.Contains(raw, key)
			}
			return slices.ContainsFunc(given, func(g Value) bool { return optionKey(g) == key })
		}
		switch it.Type {
		case "group":
			v.Control = "group"
			v.Children = itemViews(it.Items, fs)
		case "display":
			v.Control = "display"
		case "boolean":
			v.Control = "yesno"
			for _, o := range []struct{ key, label string }{{"true", "insurance.journey.yes"}, {"false", "insurance.journey.no"}} {
				v.Options = append(v.Options, OptionView{ID: v.ID + "-" + o.key, Value: o.key, Label: fs.l.T(o.label), Checked: selected(o.key)})
			}
		case "choice", "open-choice":
			for i, o := range it.Options {
				key := optionKey(o)
				v.Options = append(v.Options, OptionView{ID: v.ID + "-" + strconv.Itoa(i), Value: key, Label: optionLabel(o, fs.lang),
					Checked: selected(key)})
			}
			switch {
			case it.Type == "open-choice":
				v.Control = "text"
				v.Value = fs.text(it, given, raw, typed)
			case it.Repeats:
				v.Control = "checkbox"
			case len(it.Options) <= 6:
				v.Control = "radio"
			default:
				v.Control = "select"
			}
		case "text":
			v.Control = "textarea"
			v.Value = fs.text(it, given, raw, typed)
		case "date":
			v.Control = "date"
			v.Value = fs.text(it, given, raw, typed)
		case "integer":
			v.Control, v.InputMode = "number", "numeric"
			v.Value = fs.text(it, given, raw, typed)
		case "decimal", "quantity":
			v.Control, v.InputMode = "decimal", "decimal"
			v.Value = fs.text(it, given, raw, typed)
		default:
			v.Control = "text"
			v.Value = fs.text(it, given, raw, typed)
		}
		v.Hint = hint(it, fs.l)
		out = append(out, v)
	}
	return out
}

// text is the control's text: as typed, or the stored answer written in
// the reader's format.
func (fs *formState) text(it *Item, given []Value, raw []string, typed bool) string {
	if typed {
		if len(raw) > 0 {
			return raw[0]
		}
		return ""
	}
	if len(given) == 0 {
		return ""
	}
	v := given[0]
	switch {
	case v.Decimal != nil:
		return fs.l.Decimal(*v.Decimal, int32(i18n.ExactPlaces(*v.Decimal, 0)))
	case v.Quantity != nil:
		return fs.l.Decimal(v.Quantity.Value, int32(i18n.ExactPlaces(v.Quantity.Value, 0)))
	case v.Coding != nil:
		for _, o := range it.Options {
			if optionKey(o) == optionKey(v) {
				return optionLabel(o, fs.lang)
			}
		}
		return v.Coding.Code
	}
	return v.text()
}

// hint words an item's bounds for the reader.
func hint(it *Item, l *i18n.Localizer) string {
	show := func(v *Value) string {
		if n, ok := v.number(); ok {
			return l.Decimal(n, int32(i18n.ExactPlaces(n, 0)))
		}
		return v.text()
	}
	switch {
	case it.MinValue != nil && it.MaxValue != nil:
		return l.T("insurance.journey.hint.between", show(it.MinValue), show(it.MaxValue))
	case it.MinValue != nil:
		return l.T("insurance.journey.hint.min", show(it.MinValue))
	case it.MaxValue != nil:
		return l.T("insurance.journey.hint.max", show(it.MaxValue))
	}
	return ""
}

// optionKey is how an option travels in a form: a coding's code, a
// string, a number or a date as written.
func optionKey(v Value) string {
	if v.Coding != nil {
		return v.Coding.Code
	}
	return v.text()
}

func optionLabel(v Value, lang string) string {
	if v.Coding != nil {
		return v.Coding.DisplayIn(lang)
	}
	return v.text()
}

func (v Value) codeText() string {
	if v.Coding != nil {
		return v.Coding.Code
	}
	if v.Boolean != nil {
		return strconv.FormatBool(*v.Boolean)
	}
	return ""
}

// readForm reads the answers to q's items from a submitted form: each
// question by its linkId, in the reader's number format; an empty control
// is no answer. What cannot be read is a problem naming the question
// (insurance.journey.answer.type); the text stays in raw to be shown.
func readForm(q *Questionnaire, form url.Values, l *i18n.Localizer) (Answers, url.Values, []Problem) {
	answers, raw := Answers{}, url.Values{}
	var problems []Problem
	walkItems(q.Items, func(it *Item) {
		if it.Type == "group" || it.Type == "display" {
			return
		}
		given, ok := form[it.LinkID]
		if !ok {
			return
		}
		raw[it.LinkID] = given
		for _, s := range given {
			s = strings.TrimSpace(s)
			if s == "" {
				continue
			}
			v, ok := readAnswer(it, s, l)
			if !ok {
				problems = append(problems, newProblem(it.LinkID, "answer", "insurance.journey.answer.type", it.Type))
				continue
			}
			answers[it.LinkID] = append(answers[it.LinkID], v)
		}
	})
	return answers, raw, problems
}

func readAnswer(it *Item, s string, l *i18n.Localizer) (Value, bool) {
	switch it.Type {
	case "boolean":
		b, err := strconv.ParseBool(s)
		return Value{Boolean: &b}, err == nil
	case "integer":
		d, ok := l.ParseAmount(s)
		if !ok || !d.IsInteger() || d.Abs().GreaterThan(decimal.NewFromInt(1<<53)) {
			return Value{}, false
		}
		n := d.IntPart()
		return Value{Integer: &n}, true
	case "decimal":
		d, ok := l.ParseAmount(s)
		return Value{Decimal: &d}, ok
	case "quantity":
		d, ok := l.ParseAmount(s)
		return Value{Quantity: &Quantity{Value: d}}, ok
	case "date":
		if _, err := time.Parse(time.DateOnly, s); err != nil {
			return Value{}, false
		}
		return Value{Date: s}, true
	case "choice", "open-choice":
		for _, o := range it.Options {
			if optionKey(o) == s || (it.Type == "open-choice" && o.Coding != nil && strings.EqualFold(o.Coding.Display, s)) {
				if o.Coding != nil {
					return Value{Coding: &Coding{System: o.Coding.System, Code: o.Coding.Code, Display: o.Coding.Display}}, true
				}
				return o, true
			}
		}
		if it.Type == "open-choice" {
			return Value{String: &s}, true
		}
		// Not an option: kept as a coding so that validation names it.
		return Value{Coding: &Coding{Code: s}}, true
	}
	return Value{String: &s}, true
}

// fieldMessage is a problem as the page says it at its question.
func fieldMessage(p Problem, it *Item, l *i18n.Localizer) string {
	key, ok := strings.CutPrefix(p.Key, "insurance.journey.answer.")
	if !ok {
		return p.In(l)
	}
	switch key {
	case "type":
		return l.T("insurance.journey.field.type_" + strings.ReplaceAll(it.Type, "-", "_"))
	case "min", "max":
		bound := it.MinValue
		if key == "max" {
			bound = it.MaxValue
		}
		if bound != nil {
			if n, ok := bound.number(); ok {
				return l.T("insurance.journey.field."+key, l.Decimal(n, int32(i18n.ExactPlaces(n, 0))))
			}
		}
	}
	return l.T("insurance.journey.field."+key, p.Args...)
}
