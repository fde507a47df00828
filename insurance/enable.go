package insurance

import (
	"fmt"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// Answers are a response's answers by linkId (several for an item that
// repeats).
type Answers map[string][]Value

// Enabled decides which items are shown, by FHIR R4's enableWhen rules:
// an item is enabled when its parent is and its conditions hold — all of
// them, or any with enableBehavior any. A condition on a question that is
// itself disabled sees no answer (its answers are not considered). For
// the operators: exists true holds when the question has an answer,
// exists false when it has none; = holds when an answer equals the value;
// != when none does (an unanswered question included); >, <, >=, <=
// compare numbers, dates and quantities of the same unit, and hold when
// an answer compares so.
func Enabled(q *Questionnaire, answers Answers) map[string]bool { return enabled(q, answers, nil) }

// enabled is Enabled with the journey's own conditions: an item off in
// gate (a group the journey leaves out on earlier sections' answers) is
// disabled with everything in it, and its answers are not considered.
func enabled(q *Questionnaire, answers Answers, gate map[string]bool) map[string]bool {
	byID := map[string]*Item{}
	parent := map[string]string{}
	var index func(items []*Item, up string)
	index = func(items []*Item, up string) {
		for _, it := range items {
			byID[it.LinkID] = it
			parent[it.LinkID] = up
			index(it.Items, it.LinkID)
		}
	}
	index(q.Items, "")
	memo := map[string]bool{}
	var enabled func(id string) bool
	enabled = func(id string) bool {
		if v, ok := memo[id]; ok {
			return v
		}
		memo[id] = false // a cycle (refused at import) stays disabled
		it := byID[id]
		on := it != nil && (parent[id] == "" || enabled(parent[id]))
		if on && gate != nil {
			if g, ok := gate[id]; ok && !g {
				on = false
			}
		}
		if on && len(it.EnableWhen) > 0 {
			any := it.EnableBehavior == "any"
			on = !any
			for _, ew := range it.EnableWhen {
				var given []Value
				if enabled(ew.Question) {
					given = answers[ew.Question]
				}
				holds := condition(ew, given)
				if any && holds {
					on = true
					break
				}
				if !any && !holds {
					on = false
					break
				}
			}
		}
		memo[id] = on
		return on
	}
	out := make(map[string]bool, len(byID))
	for id := range byID {
		out[id] = enabled(id)
	}
	return out
}

func condition(ew EnableWhen, given []Value) bool {
	switch ew.Operator {
	case "exists":
		want := ew.Answer.Boolean != nil && *ew.Answer.Boolean
		return (len(given) > 0) == want
	case "=":
		return slices.ContainsFunc(given, func(v Value) bool { c, ok := compare(v, ew.Answer); return ok && c == 0 })
	case "!=":
		return !slices.ContainsFunc(given, func(v Value) bool { c, ok := compare(v, ew.Answer); return ok && c == 0 })
	}
	return slices.ContainsFunc(given, func(v Value) bool {
		c, ok := compare(v, ew.Answer)
		if !ok {
			return false
		}
		switch ew.Operator {
		case ">":
			return c > 0
		case "<":
			return c < 0
		case ">=":
			return c >= 0
		case "<=":
			return c <= 0
		}
		return false
	})
}

// compare orders two values of the same kind; false when they cannot be
// compared (different kinds, quantities of different units). A decimal
// and an integer compare as numbers; codings are equal by system and
// code, never ordered.
func compare(a, b Value) (int, bool) {
	if an, ok := a.number(); ok {
		if bn, ok := b.number(); ok {
			return an.Cmp(bn), true
		}
		return 0, false
	}
	switch {
	case a.Boolean != nil && b.Boolean != nil:
		if *a.Boolean == *b.Boolean {
			return 0, true
		}
		if !*a.Boolean {
			return -1, true
		}
		return 1, true
	case a.Date != "" && b.Date != "":
		// ISO dates of the same precision order as text.
		return compareStrings(a.Date, b.Date), true
	case a.String != nil && b.String != nil:
		return compareStrings(*a.String, *b.String), true
	case a.Coding != nil && b.Coding != nil:
		if a.Coding.Code == b.Coding.Code && (a.Coding.System == "" || b.Coding.System == "" || a.Coding.System == b.Coding.System) {
			return 0, true
		}
		return 1, false
	case a.Quantity != nil && b.Quantity != nil && a.Quantity.Unit == b.Quantity.Unit:
		return a.Quantity.Value.Cmp(b.Quantity.Value), true
	}
	return 0, false
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (v Value) number() (decimal.Decimal, bool) {
	switch {
	case v.Decimal != nil:
		return *v.Decimal, true
	case v.Integer != nil:
		return decimal.NewFromInt(*v.Integer), true
	}
	return decimal.Decimal{}, false
}

// kind is the value type an item's answers must have.
func (it *Item) kind(v Value) bool {
	switch it.Type {
	case "boolean":
		return v.Boolean != nil
	case "decimal":
		return v.Decimal != nil || v.Integer != nil
	case "integer":
		return v.Integer != nil
	case "date":
		return v.Date != ""
	case "string", "text":
		return v.String != nil
	case "choice":
		return v.Coding != nil || v.String != nil || v.Integer != nil
	case "open-choice":
		return v.Coding != nil || v.String != nil
	case "quantity":
		return v.Quantity != nil
	}
	return false
}

// Validate checks a response against the questionnaire, naming the
// question of each problem: an answer to an unknown, disabled, group or
// display item; the wrong type; more than one answer where the item does
// not repeat; out of the bounds; too long; not matching the pattern; a
// choice not among the options; and, when complete is true, an enabled
// required question left unanswered.
func Validate(q *Questionnaire, answers Answers, complete bool) []Problem {
	return validate(q, answers, complete, nil)
}

// validate is Validate under the journey's gate (see enabled).
func validate(q *Questionnaire, answers Answers, complete bool, gate map[string]bool) []Problem {
	on := enabled(q, answers, gate)
	var out []Problem
	bad := func(id, key string, args ...any) {
		out = append(out, newProblem(id, "answer", "insurance.journey.answer."+key, args...))
	}
	byID := map[string]*Item{}
	var walk func(items []*Item)
	walk = func(items []*Item) {
		for _, it := range items {
			byID[it.LinkID] = it
			walk(it.Items)
		}
	}
	walk(q.Items)
	ids := make([]string, 0, len(answers))
	for id := range answers {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		given := answers[id]
		it, ok := byID[id]
		switch {
		case !ok:
			bad(id, "unknown")
			continue
		case it.Type == "group" || it.Type == "display":
			bad(id, "no_answer", it.Type)
			continue
		case !on[id] && len(given) > 0:
			bad(id, "disabled")
			continue
		case len(given) > 1 && !it.Repeats:
			bad(id, "single", len(given))
			continue
		}
		for _, v := range given {
			if key, args := it.check(v); key != "" {
				bad(id, key, args...)
			}
		}
	}
	if complete {
		for _, id := range slices.Sorted(mapKeys(byID)) {
			it := byID[id]
			if it.Required && on[id] && it.Type != "group" && it.Type != "display" && len(answers[id]) == 0 {
				bad(id, "required")
			}
		}
	}
	return out
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// check is what is wrong with one answer (a catalogue key under
// insurance.journey.answer. and its arguments), "" when nothing.
func (it *Item) check(v Value) (string, []any) {
	if !it.kind(v) {
		return "type", []any{it.Type}
	}
	if it.MinValue != nil {
		if c, ok := compare(v, *it.MinValue); ok && c < 0 {
			return "min", []any{it.MinValue.text()}
		}
	}
	if it.MaxValue != nil {
		if c, ok := compare(v, *it.MaxValue); ok && c > 0 {
			return "max", []any{it.MaxValue.text()}
		}
	}
	if v.String != nil {
		if it.MaxLength > 0 && utf8.RuneCountInString(*v.String) > it.MaxLength {
			return "too_long", []any{it.MaxLength}
		}
		if it.regex != nil && !it.regex.MatchString(*v.String) {
			return "pattern", nil
		}
	}
	if it.Type == "choice" && !slices.ContainsFunc(it.Options, func(o Value) bool { c, ok := compare(v, o); return ok && c == 0 }) {
		return "option", nil
	}
	return "", nil
}

func (v Value) text() string {
	switch {
	case v.Integer != nil:
		return fmt.Sprint(*v.Integer)
	case v.Decimal != nil:
		return v.Decimal.String()
	case v.Date != "":
		return v.Date
	case v.String != nil:
		return *v.String
	case v.Boolean != nil:
		return strconv.FormatBool(*v.Boolean)
	}
	return ""
}
