package products

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ecrm-project/ecrm/internal/i18n"
)

var (
	inlineCode     = regexp.MustCompile(`(?i)<script\b|<style\b|\sstyle\s*=|\son[a-z]+\s*=|javascript:`)
	translatedCall = regexp.MustCompile(`(?:\{\{-?|\()\s*t\s+"([^"]*)"`)
	templateAction = regexp.MustCompile(`(?s)\{\{.*?\}\}`)
	betweenTags    = regexp.MustCompile(`>([^<]*)<`)
	letter         = regexp.MustCompile(`\pL`)
	goKeyLiteral   = regexp.MustCompile(`"(products\.[a-z0-9_.]+)"`)
)

func hasKey(t *testing.T, where, key string) {
	t.Helper()
	for _, lang := range i18n.Supported() {
		if !i18n.HasMessage(lang, key) {
			t.Errorf("%s uses %q, missing from the %s catalogue", where, key, lang)
		}
	}
}

// TestTemplatesAreCSPSafeAndTranslated: no inline script or style (the CSP
// forbids them) and no text that bypasses the catalogue.
func TestTemplatesAreCSPSafeAndTranslated(t *testing.T) {
	names, err := fs.Glob(Templates, "*.html")
	if err != nil || len(names) == 0 {
		t.Fatalf("templates: %v, %v", names, err)
	}
	for _, name := range names {
		b, _ := fs.ReadFile(Templates, name)
		text := string(b)
		if m := inlineCode.FindString(text); m != "" {
			t.Errorf("%s: %s is refused by the content security policy", name, m)
		}
		for _, m := range translatedCall.FindAllStringSubmatch(text, -1) {
			hasKey(t, name, m[1])
		}
		for _, m := range betweenTags.FindAllStringSubmatch(templateAction.ReplaceAllString(text, ""), -1) {
			if words := strings.TrimSpace(m[1]); letter.MatchString(words) {
				t.Errorf("%s: text %q is not translated", name, words)
			}
		}
	}
}

// TestKeysBuiltInCodeExist checks keys built from data and every
// "products.…" literal in the package's Go code.
func TestKeysBuiltInCodeExist(t *testing.T) {
	for prefix, values := range map[string][]string{
		"products.knowledge.":   knowledgeLevels,
		"products.loss.":        lossCapacities,
		"products.objective.":   objectives,
		"products.client_type.": clientTypes,
		"products.goal.":        {GoalBorrow, GoalDeposit, GoalInvest, GoalInsure},
		"products.line.":        {LineBanking, LineBrokerage, LineInsurance},
		"products.purpose.":     {"none", "personal", "car", "home", "education"},
	} {
		for _, v := range values {
			hasKey(t, "code", prefix+v)
		}
	}
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range goKeyLiteral.FindAllStringSubmatch(string(b), -1) {
			if !strings.HasSuffix(m[1], ".") {
				hasKey(t, f, m[1])
			}
		}
	}
}
