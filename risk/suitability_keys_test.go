package risk

import (
	"io/fs"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ecrm-project/ecrm/internal/i18n"
)

// TestSuitabilityKeysExist: every catalogue key the questionnaire, the
// risk profile pages and the behaviour summary use exists in English and
// Romanian — the literal ones in the templates, and the ones built from
// data for every value they can take.
func TestSuitabilityKeysExist(t *testing.T) {
	keys := map[string]string{}
	add := func(where, key string) { keys[key] = where }
	literal := regexp.MustCompile(`\b(t|tn) "([a-z0-9_.]+)"`)
	built := regexp.MustCompile(`printf "([a-z0-9_.]+)%[sd]`)
	prefixes := map[string][]string{
		"suitability.section.":            {"knowledge", "financial", "objectives", "tolerance"},
		"suitability.legend.":             append([]string{"financial", "objectives", "tolerance"}, KnowledgeTypes...),
		"suitability.stale.":              {StaleIncome, StaleEmployment},
		"suitability.period.":             {"years.other", "months.other", "days.other", "years.one", "months.one", "days.one"},
		"suitability.behaviour.mismatch.": {RiskierThanStated, CautiousThanStated},
		"suitability.result.source.":      {"questionnaire", "advisor", "import"},
	}
	files, err := fs.Glob(Templates, "*.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, _ := fs.ReadFile(Templates, f)
		for _, m := range literal.FindAllStringSubmatch(string(b), -1) {
			switch {
			case !strings.HasPrefix(m[2], "suitability.") || strings.HasSuffix(m[2], "."):
			case m[1] == "tn":
				add(f, m[2]+".other")
			default:
				add(f, m[2])
			}
		}
		for _, m := range built.FindAllStringSubmatch(string(b), -1) {
			if _, ok := prefixes[m[1]]; !ok && strings.HasPrefix(m[1], "suitability.") {
				t.Errorf("%s builds keys from %q, which this test does not know", f, m[1])
			}
		}
	}
	for prefix, values := range prefixes {
		for _, v := range values {
			add("prefixes", prefix+v)
		}
	}
	for _, s := range Questionnaire {
		add("Questionnaire", "suitability.section."+s.ID+".intro")
		for _, fs := range s.Fieldsets {
			for _, q := range fs.Questions {
				add(q.Field, "suitability.q."+q.Label)
				for _, o := range q.Options {
					add(q.Field, "suitability.opt."+q.Label+"."+o.Value)
				}
			}
		}
	}
	for class := 1; class <= 7; class++ {
		add("NewProfileView", "suitability.class."+strconv.Itoa(class))
	}
	for _, c := range []string{"loss_impact", "horizon", "objective", "knowledge"} {
		add("LimitedBy", "suitability.explain.limited."+c)
	}
	for _, level := range knowledgeLevels {
		add("knowledge", "suitability.level."+level)
	}
	for _, area := range assessmentAreas {
		add("assessmentAreas", "suitability.area."+area)
	}
	for _, key := range []string{"suitability.result.months.one", "suitability.result.months.other", "suitability.match.assessed",
		"suitability.match.no_assessment", "suitability.match.prospect", "suitability.overview.stale", "suitability.overview.none",
		"suitability.console.advisors_only", "suitability.error.key", "suitability.console.link"} {
		add("code", key)
	}
	if len(keys) < 150 {
		t.Fatalf("only %d keys found; is the pattern broken?", len(keys))
	}
	for key, where := range keys {
		for _, lang := range i18n.Supported() {
			if !i18n.HasMessage(lang, key) {
				t.Errorf("%s: %q is missing in %s", where, key, lang)
			}
		}
	}
}
