package insurance

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
)

// The insurance journey's definition (docs/insurance-journey.md): ten
// FHIR R4 Questionnaires, one per section, shipped in questionnaires/ and
// imported when the server or the seed starts, and journey.json, which
// orders the sections and says when a section, or a group or question in
// one, applies on earlier sections' answers (FHIR enableWhen cannot point
// outside its own questionnaire). linkIds are unique across the journey,
// so one flat Answers holds it.

//go:embed questionnaires/*.json
var questionnaireFiles embed.FS

// Condition is a set of enableWhen conditions on the journey's answers,
// with FHIR's meaning (enable.go).
type Condition struct {
	EnableWhen     []EnableWhen
	EnableBehavior string
}

// UnmarshalJSON reads enableWhen as FHIR writes it (answer[x]).
func (c *Condition) UnmarshalJSON(data []byte) error {
	var raw struct {
		EnableWhen     []json.RawMessage `json:"enableWhen"`
		EnableBehavior string            `json:"enableBehavior"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	c.EnableBehavior = raw.EnableBehavior
	for _, r := range raw.EnableWhen {
		var ew struct {
			Question string `json:"question"`
			Operator string `json:"operator"`
		}
		if err := json.Unmarshal(r, &ew); err != nil {
			return err
		}
		v, err := readValue(r, "answer")
		if err != nil {
			return fmt.Errorf("enableWhen on %s: %w", ew.Question, err)
		}
		c.EnableWhen = append(c.EnableWhen, EnableWhen{Question: ew.Question, Operator: ew.Operator, Answer: v})
	}
	return nil
}

// Holds reports whether the conditions hold on answers: no condition
// always holds.
func (c Condition) Holds(answers Answers) bool {
	if len(c.EnableWhen) == 0 {
		return true
	}
	anyOf := c.EnableBehavior == "any"
	for _, ew := range c.EnableWhen {
		h := condition(ew, answers[ew.Question])
		if anyOf && h {
			return true
		}
		if !anyOf && !h {
			return false
		}
	}
	return !anyOf
}

// Section is one questionnaire of the journey.
type Section struct {
	// Key names the section in URLs ("motor", "life-health").
	Key string `json:"key"`
	// URL is the questionnaire's canonical url; the journey asks its
	// newest imported version.
	URL string `json:"url"`
	Condition
	// Items are conditions on groups or questions of the section, by
	// linkId: an item whose condition fails is not asked, nor anything
	// in it.
	Items map[string]Condition `json:"items"`
}

// UnmarshalJSON reads a section with its own conditions.
func (s *Section) UnmarshalJSON(data []byte) error {
	var raw struct {
		Key   string               `json:"key"`
		URL   string               `json:"url"`
		Items map[string]Condition `json:"items"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	s.Key, s.URL, s.Items = raw.Key, raw.URL, raw.Items
	return s.Condition.UnmarshalJSON(data)
}

// JourneyDefinition is the sections in order.
type JourneyDefinition struct {
	Sections []Section `json:"sections"`
}

// LoadJourneyDefinition reads the shipped journey.json and checks that
// every condition names a question of an earlier section (or, for an
// item's condition, of an earlier section or the same one is not
// allowed: FHIR enableWhen does that inside a questionnaire).
func LoadJourneyDefinition() (*JourneyDefinition, error) {
	data, err := fs.ReadFile(questionnaireFiles, "questionnaires/journey.json")
	if err != nil {
		return nil, err
	}
	var d JourneyDefinition
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("journey.json: %w", err)
	}
	qs, err := ShippedQuestionnaires()
	if err != nil {
		return nil, err
	}
	byURL := map[string]*Questionnaire{}
	for _, q := range qs {
		byURL[q.URL] = q
	}
	asked := map[string]bool{} // linkIds of the sections before
	for _, s := range d.Sections {
		q, ok := byURL[s.URL]
		if !ok {
			return nil, fmt.Errorf("journey.json: section %s: no shipped questionnaire %s", s.Key, s.URL)
		}
		check := func(what string, c Condition) error {
			for _, ew := range c.EnableWhen {
				if !asked[ew.Question] {
					return fmt.Errorf("journey.json: %s: %s is not a question of an earlier section", what, ew.Question)
				}
			}
			return nil
		}
		if err := check("section "+s.Key, s.Condition); err != nil {
			return nil, err
		}
		own := map[string]bool{}
		walkItems(q.Items, func(it *Item) { own[it.LinkID] = true })
		for id, c := range s.Items {
			if !own[id] {
				return nil, fmt.Errorf("journey.json: section %s: %s is not an item of %s", s.Key, id, s.URL)
			}
			if err := check("item "+id, c); err != nil {
				return nil, err
			}
		}
		for id := range own {
			asked[id] = true
		}
	}
	return &d, nil
}

// ShippedQuestionnaires parses the journey's questionnaires as shipped.
func ShippedQuestionnaires() ([]*Questionnaire, error) {
	files, err := shippedFiles()
	if err != nil {
		return nil, err
	}
	var out []*Questionnaire
	for _, f := range files {
		p, err := ParseFHIR(f.data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.name, err)
		}
		if len(p.Problems) > 0 || len(p.Unsupported) > 0 {
			return nil, fmt.Errorf("%s: problems %v, unsupported %v", f.name, p.Problems, p.Unsupported)
		}
		out = append(out, p.Questionnaire)
	}
	return out, nil
}

type shippedFile struct {
	name string
	data []byte
}

func shippedFiles() ([]shippedFile, error) {
	names, err := fs.Glob(questionnaireFiles, "questionnaires/insurance-*.json")
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	var out []shippedFile
	for _, n := range names {
		data, err := fs.ReadFile(questionnaireFiles, n)
		if err != nil {
			return nil, err
		}
		out = append(out, shippedFile{path.Base(n), data})
	}
	return out, nil
}

// ImportJourneyQuestionnaires imports the shipped questionnaires through
// the store: the same files again change nothing, so the server and the
// seed call it at every start.
func ImportJourneyQuestionnaires(ctx context.Context, store *Store) error {
	files, err := shippedFiles()
	if err != nil {
		return err
	}
	for _, f := range files {
		res, err := store.Import(ctx, f.data, 0)
		if err != nil {
			return fmt.Errorf("import %s: %w", f.name, err)
		}
		if len(res.Problems) > 0 {
			return fmt.Errorf("import %s: %v", f.name, res.Problems)
		}
	}
	return nil
}

// Section returns the section with key, or false.
func (d *JourneyDefinition) Section(key string) (Section, int, bool) {
	for i, s := range d.Sections {
		if s.Key == key {
			return s, i, true
		}
	}
	return Section{}, -1, false
}

// gate is the section's item conditions evaluated on answers: the items
// the journey leaves out map to false.
func (s Section) gate(answers Answers) map[string]bool {
	if len(s.Items) == 0 {
		return nil
	}
	g := make(map[string]bool, len(s.Items))
	for id, c := range s.Items {
		g[id] = c.Holds(answers)
	}
	return g
}

// Applicable returns the keys of the sections asked on answers, in order.
func (d *JourneyDefinition) Applicable(answers Answers) []string {
	var out []string
	for _, s := range d.Sections {
		if s.Holds(answers) {
			out = append(out, s.Key)
		}
	}
	return out
}

// walkItems calls fn for every item, depth first.
func walkItems(items []*Item, fn func(*Item)) {
	for _, it := range items {
		fn(it)
		walkItems(it.Items, fn)
	}
}
