package insurance

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm/internal/i18n"
)

// The subset of HL7 FHIR R4 Questionnaire ecrm reads
// (https://hl7.org/fhir/R4/questionnaire.html): items with linkId, text,
// type, required, repeats, answerOption, nested items, enableWhen with
// enableBehavior, maxLength, initial, and the standard extensions minValue,
// maxValue and regex. Anything else is listed in the import's result as
// unsupported, never silently dropped.

// Item types ecrm supports.
var itemTypes = []string{"group", "display", "boolean", "decimal", "integer", "date", "string", "text", "choice",
	"open-choice", "quantity"}

// enableWhen operators of FHIR R4.
var operators = []string{"exists", "=", "!=", ">", "<", ">=", "<="}

// The standard extensions ecrm reads.
const (
	extMinValue = "http://hl7.org/fhir/StructureDefinition/minValue"
	extMaxValue = "http://hl7.org/fhir/StructureDefinition/maxValue"
	extRegex    = "http://hl7.org/fhir/StructureDefinition/regex"
)

// Questionnaire is a FHIR R4 Questionnaire as ecrm keeps it.
type Questionnaire struct {
	URL     string  `json:"url,omitempty"`
	Version string  `json:"version,omitempty"`
	Name    string  `json:"name,omitempty"`
	Title   string  `json:"title,omitempty"`
	Status  string  `json:"status"`
	Items   []*Item `json:"item"`
	// TitleTr holds the title's translations by language ("ro"), from
	// FHIR's translation extension on _title.
	TitleTr map[string]string `json:"-"`
}

// TitleIn is the title in lang, the questionnaire's own when it has no
// translation into it.
func (q *Questionnaire) TitleIn(lang string) string { return translated(q.Title, q.TitleTr, lang) }

// TextIn is the item's text in lang (from the translation extension on
// _text), its own text when it has no translation into it.
func (it *Item) TextIn(lang string) string { return translated(it.Text, it.TextTr, lang) }

// DisplayIn is the coding's display in lang (from the translation
// extension on _display), its own display, or its code.
func (c *Coding) DisplayIn(lang string) string {
	if s := translated(c.Display, c.DisplayTr, lang); s != "" {
		return s
	}
	return c.Code
}

func translated(own string, tr map[string]string, lang string) string {
	if s, ok := tr[lang]; ok && s != "" {
		return s
	}
	if i := strings.IndexByte(lang, '-'); i > 0 {
		if s, ok := tr[lang[:i]]; ok && s != "" {
			return s
		}
	}
	return own
}

// extTranslation is FHIR's standard extension for a translated string
// (https://hl7.org/fhir/R4/extension-translation.html): on a primitive's
// _element, with the sub-extensions lang (a code) and content (the text).
const extTranslation = "http://hl7.org/fhir/StructureDefinition/translation"

// readTranslations reads the translations on a primitive's _element
// ({"extension": [{"url": translation, "extension": [{"url": "lang",
// ...}, {"url": "content", ...}]}]}); another extension there is
// returned as unsupported.
func readTranslations(raw json.RawMessage) (map[string]string, []string, error) {
	if len(raw) == 0 {
		return nil, nil, nil
	}
	var el struct {
		Extension []struct {
			URL       string `json:"url"`
			Extension []struct {
				URL         string `json:"url"`
				ValueCode   string `json:"valueCode"`
				ValueString string `json:"valueString"`
			} `json:"extension"`
		} `json:"extension"`
	}
	if err := json.Unmarshal(raw, &el); err != nil {
		return nil, nil, valueErr("translation")
	}
	var out map[string]string
	var unsupported []string
	for _, ext := range el.Extension {
		if ext.URL != extTranslation {
			unsupported = append(unsupported, "extension "+ext.URL)
			continue
		}
		var lang, content string
		for _, sub := range ext.Extension {
			switch sub.URL {
			case "lang":
				lang = sub.ValueCode
			case "content":
				content = sub.ValueString
			}
		}
		if lang == "" || content == "" {
			return nil, nil, valueErr("translation")
		}
		if out == nil {
			out = map[string]string{}
		}
		out[strings.ToLower(lang)] = content
	}
	return out, unsupported, nil
}

// Item is one question, group or display text.
type Item struct {
	LinkID   string `json:"linkId"`
	Text     string `json:"text,omitempty"`
	Prefix   string `json:"prefix,omitempty"`
	Type     string `json:"type"`
	Required bool   `json:"required,omitempty"`
	Repeats  bool   `json:"repeats,omitempty"`
	// MaxLength applies to string and text answers (0: none).
	MaxLength      int          `json:"maxLength,omitempty"`
	Options        []Value      `json:"answerOption,omitempty"`
	Initial        []Value      `json:"initial,omitempty"`
	EnableWhen     []EnableWhen `json:"enableWhen,omitempty"`
	EnableBehavior string       `json:"enableBehavior,omitempty"`
	// MinValue and MaxValue bound integer, decimal and date answers;
	// Regex constrains string answers (the regex extension).
	MinValue *Value  `json:"minValue,omitempty"`
	MaxValue *Value  `json:"maxValue,omitempty"`
	Regex    string  `json:"regex,omitempty"`
	Items    []*Item `json:"item,omitempty"`
	// TextTr holds the text's translations by language (see TextIn).
	TextTr map[string]string `json:"-"`

	regex *regexp.Regexp
}

// Value is one FHIR value[x]: an answer, an option, an initial value or
// the comparison value of an enableWhen. Exactly one field is set.
type Value struct {
	Boolean  *bool            `json:"boolean,omitempty"`
	Decimal  *decimal.Decimal `json:"decimal,omitempty"`
	Integer  *int64           `json:"integer,omitempty"`
	Date     string           `json:"date,omitempty"`
	String   *string          `json:"string,omitempty"`
	Coding   *Coding          `json:"coding,omitempty"`
	Quantity *Quantity        `json:"quantity,omitempty"`
}

// Coding is a code from a system, with its display text.
type Coding struct {
	System  string `json:"system,omitempty"`
	Code    string `json:"code"`
	Display string `json:"display,omitempty"`
	// DisplayTr holds the display's translations (see DisplayIn); an
	// answer keeps the code, so they are not stored with it.
	DisplayTr map[string]string `json:"-"`
}

// Quantity is an amount with its unit.
type Quantity struct {
	Value decimal.Decimal `json:"value"`
	Unit  string          `json:"unit,omitempty"`
	Code  string          `json:"code,omitempty"`
}

// EnableWhen is one condition on another item's answer.
type EnableWhen struct {
	Question string `json:"question"`
	Operator string `json:"operator"`
	Answer   Value  `json:"answer"`
}

// Problem is one reason a definition is refused, naming the item.
type Problem struct {
	LinkID string `json:"link_id,omitempty"`
	Field  string `json:"field"`
	// Message is the problem in English (the API's wording); Key and
	// Args say it again from the message catalogue, for a page in the
	// reader's language (In).
	Message string `json:"message"`
	Key     string `json:"key,omitempty"`
	Args    []any  `json:"args,omitempty"`
}

// newProblem words a problem from the catalogue: English in Message,
// the key and arguments kept for other languages.
func newProblem(linkID, field, key string, args ...any) Problem {
	return Problem{LinkID: linkID, Field: field, Key: key, Args: args, Message: english.T(key, args...)}
}

// english words the API's messages.
var english = i18n.NewLocalizer(i18n.English)

// In is the problem in l's language.
func (p Problem) In(l *i18n.Localizer) string {
	if p.Key == "" {
		return p.Message
	}
	return l.T(p.Key, p.Args...)
}

func (p Problem) String() string {
	if p.LinkID == "" {
		return p.Field + ": " + p.Message
	}
	return fmt.Sprintf("item %s: %s: %s", p.LinkID, p.Field, p.Message)
}

// Parsed is a definition read from FHIR JSON: the questionnaire, or the
// problems that refuse it, and the features it uses that ecrm does not
// support (listed, not dropped silently).
type Parsed struct {
	Questionnaire *Questionnaire
	Problems      []Problem
	Unsupported   []string
}

// fhirItem is an item as FHIR writes it, before it becomes an Item.
type fhirItem struct {
	LinkID         string            `json:"linkId"`
	Text           string            `json:"text"`
	TextElement    json.RawMessage   `json:"_text"`
	Prefix         string            `json:"prefix"`
	Type           string            `json:"type"`
	Required       bool              `json:"required"`
	Repeats        bool              `json:"repeats"`
	MaxLength      int               `json:"maxLength"`
	AnswerOption   []json.RawMessage `json:"answerOption"`
	Initial        []json.RawMessage `json:"initial"`
	EnableWhen     []json.RawMessage `json:"enableWhen"`
	EnableBehavior string            `json:"enableBehavior"`
	Extension      []json.RawMessage `json:"extension"`
	Item           []json.RawMessage `json:"item"`
}

// The item and questionnaire elements ecrm reads or may ignore without
// changing what is asked (ids, codes, metadata).
var (
	itemKeys = []string{"linkId", "text", "prefix", "type", "required", "repeats", "maxLength", "answerOption", "initial",
		"enableWhen", "enableBehavior", "extension", "item", "id", "code", "definition", "_text"}
	questionnaireKeys = []string{"resourceType", "id", "meta", "url", "identifier", "version", "name", "title", "status",
		"experimental", "subjectType", "date", "publisher", "contact", "description", "useContext", "jurisdiction",
		"purpose", "copyright", "approvalDate", "lastReviewDate", "effectivePeriod", "code", "item", "text", "language",
		"extension", "derivedFrom", "_title"}
)

// ParseFHIR reads a FHIR R4 Questionnaire from JSON and checks it: item
// types, unique linkIds, enableWhen questions that exist and do not form
// a cycle, choices with options, bounds and patterns that make sense.
// A syntax error is an error; a definition ecrm refuses comes back with
// its Problems.
func ParseFHIR(data []byte) (*Parsed, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("questionnaire: not JSON: %w", err)
	}
	out := &Parsed{}
	var resourceType string
	_ = json.Unmarshal(top["resourceType"], &resourceType)
	if resourceType != "Questionnaire" {
		out.Problems = append(out.Problems, newProblem("", "resourceType", "insurance.journey.problem.resource_type", resourceType))
		return out, nil
	}
	q := &Questionnaire{}
	for key, raw := range top {
		switch key {
		case "url":
			_ = json.Unmarshal(raw, &q.URL)
		case "version":
			_ = json.Unmarshal(raw, &q.Version)
		case "name":
			_ = json.Unmarshal(raw, &q.Name)
		case "title":
			_ = json.Unmarshal(raw, &q.Title)
		case "status":
			_ = json.Unmarshal(raw, &q.Status)
		case "_title":
			tr, unsupported, err := readTranslations(raw)
			if err != nil {
				out.Problems = append(out.Problems, newProblem("", "_title", err.(*valueError).key))
			}
			q.TitleTr = tr
			out.Unsupported = append(out.Unsupported, unsupported...)
		default:
			if !slices.Contains(questionnaireKeys, key) {
				out.Unsupported = append(out.Unsupported, "Questionnaire."+key)
			}
		}
	}
	if q.Status == "" {
		q.Status = "draft"
	}
	var items []json.RawMessage
	if raw, ok := top["item"]; ok {
		if err := json.Unmarshal(raw, &items); err != nil {
			out.Problems = append(out.Problems, newProblem("", "item", "insurance.journey.problem.item_list"))
			return out, nil
		}
	}
	if len(items) == 0 {
		out.Problems = append(out.Problems, newProblem("", "item", "insurance.journey.problem.empty"))
		return out, nil
	}
	p := parser{out: out, seen: map[string]int{}}
	q.Items = p.items(items, "")
	p.check(q)
	sort.Strings(out.Unsupported)
	out.Unsupported = slices.Compact(out.Unsupported)
	if len(out.Problems) == 0 {
		out.Questionnaire = q
	}
	return out, nil
}

type parser struct {
	out  *Parsed
	seen map[string]int // linkId → occurrences
	all  []*Item
}

func (p *parser) problem(linkID, field, key string, args ...any) {
	p.out.Problems = append(p.out.Problems, newProblem(linkID, field, "insurance.journey.problem."+key, args...))
}

// valueProblem records an error of readValue under field.
func (p *parser) valueProblem(linkID, field string, err error) {
	var ve *valueError
	if errors.As(err, &ve) {
		p.out.Problems = append(p.out.Problems, newProblem(linkID, field, ve.key, ve.args...))
		return
	}
	p.problem(linkID, field, "unreadable", err.Error())
}

func (p *parser) items(raws []json.RawMessage, path string) []*Item {
	var out []*Item
	for i, raw := range raws {
		var keys map[string]json.RawMessage
		if err := json.Unmarshal(raw, &keys); err != nil {
			p.problem("", fmt.Sprintf("%sitem[%d]", path, i), "not_object")
			continue
		}
		var f fhirItem
		if err := json.Unmarshal(raw, &f); err != nil {
			p.problem(f.LinkID, fmt.Sprintf("%sitem[%d]", path, i), "unreadable", err.Error())
			continue
		}
		for key := range keys {
			if !slices.Contains(itemKeys, key) {
				p.out.Unsupported = append(p.out.Unsupported, "item."+key)
			}
		}
		it := &Item{LinkID: f.LinkID, Text: f.Text, Prefix: f.Prefix, Type: f.Type, Required: f.Required, Repeats: f.Repeats,
			MaxLength: f.MaxLength, EnableBehavior: f.EnableBehavior}
		if tr, unsupported, err := readTranslations(f.TextElement); err != nil {
			p.valueProblem(it.LinkID, "_text", err)
		} else {
			it.TextTr = tr
			p.out.Unsupported = append(p.out.Unsupported, unsupported...)
		}
		if it.LinkID == "" {
			p.problem("", fmt.Sprintf("%sitem[%d].linkId", path, i), "link_id_required")
		} else {
			p.seen[it.LinkID]++
		}
		if !slices.Contains(itemTypes, it.Type) {
			p.problem(it.LinkID, "type", "type", it.Type, strings.Join(itemTypes, ", "))
		}
		for _, raw := range f.AnswerOption {
			v, err := readValue(raw, "value")
			if err != nil {
				p.valueProblem(it.LinkID, "answerOption", err)
				continue
			}
			it.Options = append(it.Options, v)
		}
		for _, raw := range f.Initial {
			v, err := readValue(raw, "value")
			if err != nil {
				p.valueProblem(it.LinkID, "initial", err)
				continue
			}
			it.Initial = append(it.Initial, v)
		}
		for _, raw := range f.EnableWhen {
			var ew struct {
				Question string `json:"question"`
				Operator string `json:"operator"`
			}
			_ = json.Unmarshal(raw, &ew)
			v, err := readValue(raw, "answer")
			if err != nil {
				p.valueProblem(it.LinkID, "enableWhen", err)
				continue
			}
			it.EnableWhen = append(it.EnableWhen, EnableWhen{Question: ew.Question, Operator: ew.Operator, Answer: v})
		}
		for _, raw := range f.Extension {
			p.extension(it, raw)
		}
		it.Items = p.items(f.Item, path+it.LinkID+".")
		p.all = append(p.all, it)
		out = append(out, it)
	}
	return out
}

// extension reads the bounds and the pattern; another extension is
// listed as unsupported.
func (p *parser) extension(it *Item, raw json.RawMessage) {
	var ext struct {
		URL string `json:"url"`
	}
	_ = json.Unmarshal(raw, &ext)
	switch ext.URL {
	case extMinValue, extMaxValue:
		v, err := readValue(raw, "value")
		if err != nil {
			p.valueProblem(it.LinkID, "extension", err)
			return
		}
		if ext.URL == extMinValue {
			it.MinValue = &v
		} else {
			it.MaxValue = &v
		}
	case extRegex:
		var s struct {
			ValueString string `json:"valueString"`
		}
		_ = json.Unmarshal(raw, &s)
		re, err := regexp.Compile("^(?:" + s.ValueString + ")$")
		if err != nil || s.ValueString == "" {
			p.problem(it.LinkID, "extension", "regex", s.ValueString)
			return
		}
		it.Regex, it.regex = s.ValueString, re
	default:
		p.out.Unsupported = append(p.out.Unsupported, "extension "+ext.URL)
	}
}

// check applies the rules that need every item: unique linkIds, choices
// with options, enableWhen on known questions with a valid operator and
// no cycle of conditions.
func (p *parser) check(q *Questionnaire) {
	byID := map[string]*Item{}
	for _, it := range p.all {
		if p.seen[it.LinkID] > 1 {
			if _, reported := byID[it.LinkID]; !reported {
				p.problem(it.LinkID, "linkId", "duplicate", p.seen[it.LinkID])
			}
		}
		byID[it.LinkID] = it
	}
	for _, it := range p.all {
		switch it.Type {
		case "choice":
			if len(it.Options) == 0 {
				p.problem(it.LinkID, "answerOption", "no_options")
			}
		case "group":
			if len(it.Items) == 0 {
				p.problem(it.LinkID, "item", "empty_group")
			}
		}
		if it.EnableBehavior != "" && it.EnableBehavior != "all" && it.EnableBehavior != "any" {
			p.problem(it.LinkID, "enableBehavior", "behavior")
		}
		if len(it.EnableWhen) > 1 && it.EnableBehavior == "" {
			p.problem(it.LinkID, "enableBehavior", "behavior_required")
		}
		for _, ew := range it.EnableWhen {
			target, ok := byID[ew.Question]
			switch {
			case !ok:
				p.problem(it.LinkID, "enableWhen.question", "unknown_question", ew.Question)
			case !slices.Contains(operators, ew.Operator):
				p.problem(it.LinkID, "enableWhen.operator", "operator", ew.Operator, strings.Join(operators, " "))
			case target.Type == "group" || target.Type == "display":
				p.problem(it.LinkID, "enableWhen.question", "no_answer_target", ew.Question, target.Type)
			}
		}
	}
	if cycle := findCycle(p.all, byID); cycle != nil {
		p.problem(cycle[0], "enableWhen", "cycle", strings.Join(cycle, " → "))
	}
}

// findCycle returns a cycle of enableWhen dependencies, if there is one:
// an item enabled by an answer to an item that is (in the end) enabled by
// an answer to the first can never be shown.
func findCycle(all []*Item, byID map[string]*Item) []string {
	const (
		unseen = iota
		visiting
		done
	)
	state := map[string]int{}
	var stack []string
	var visit func(id string) []string
	visit = func(id string) []string {
		switch state[id] {
		case visiting:
			i := slices.Index(stack, id)
			return append(slices.Clone(stack[i:]), id)
		case done:
			return nil
		}
		state[id] = visiting
		stack = append(stack, id)
		if it, ok := byID[id]; ok {
			for _, ew := range it.EnableWhen {
				if c := visit(ew.Question); c != nil {
					return c
				}
			}
		}
		stack = stack[:len(stack)-1]
		state[id] = done
		return nil
	}
	for _, it := range all {
		if c := visit(it.LinkID); c != nil {
			return c
		}
	}
	return nil
}

// readValue reads the one value[x] (prefix "value" or "answer") of a FHIR
// element.
func readValue(raw json.RawMessage, prefix string) (Value, error) {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(raw, &keys); err != nil {
		return Value{}, valueErr("not_object")
	}
	var v Value
	n := 0
	for key, val := range keys {
		if !strings.HasPrefix(key, prefix) || len(key) == len(prefix) {
			continue
		}
		n++
		var err error
		switch key[len(prefix):] {
		case "Boolean":
			err = json.Unmarshal(val, &v.Boolean)
		case "Decimal":
			var d decimal.Decimal
			if err = d.UnmarshalJSON(val); err == nil {
				v.Decimal = &d
			}
		case "Integer":
			err = json.Unmarshal(val, &v.Integer)
		case "Date":
			err = json.Unmarshal(val, &v.Date)
		case "String":
			err = json.Unmarshal(val, &v.String)
		case "Coding":
			var c struct {
				Coding
				DisplayElement json.RawMessage `json:"_display"`
			}
			if err = json.Unmarshal(val, &c); err == nil {
				if c.DisplayTr, _, err = readTranslations(c.DisplayElement); err == nil {
					v.Coding = &c.Coding
				}
			}
		case "Quantity":
			var q struct {
				Value json.Number `json:"value"`
				Unit  string      `json:"unit"`
				Code  string      `json:"code"`
			}
			dec := json.NewDecoder(bytes.NewReader(val))
			dec.UseNumber()
			if err = dec.Decode(&q); err == nil {
				var d decimal.Decimal
				if d, err = decimal.NewFromString(q.Value.String()); err == nil {
					v.Quantity = &Quantity{Value: d, Unit: q.Unit, Code: q.Code}
				}
			}
		default:
			return Value{}, valueErr("unsupported", key)
		}
		if err != nil {
			return Value{}, valueErr("unreadable", key, err.Error())
		}
	}
	if n != 1 {
		return Value{}, valueErr("count", prefix, n)
	}
	return v, nil
}

// valueError is why a value[x] cannot be read, from the catalogue.
type valueError struct {
	key  string
	args []any
}

func valueErr(key string, args ...any) *valueError {
	return &valueError{key: "insurance.journey.value." + key, args: args}
}

func (e *valueError) Error() string { return english.T(e.key, e.args...) }
