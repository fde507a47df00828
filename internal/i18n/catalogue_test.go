package i18n

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/language"
)

// TestCatalogueLanguagesHaveTheSameKeys fails when a message exists in one
// language and not in another, naming every key that is missing where.
func TestCatalogueLanguagesHaveTheSameKeys(t *testing.T) {
	c, err := parseCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	// A plural message (TN) has the forms its language's rules need
	// (English one and other; Romanian one, few and other): each language
	// must have its base's ".other", not every form of the others.
	all := map[string]bool{}
	for _, tag := range supported {
		for key := range c.messages[tag] {
			if base, ok := pluralBase(key); ok {
				key = base + ".other"
			}
			all[key] = true
		}
	}
	for _, tag := range supported {
		var missing []string
		for key := range all {
			if _, ok := c.messages[tag][key]; !ok {
				missing = append(missing, key)
			}
		}
		slices.Sort(missing)
		if len(missing) > 0 {
			t.Errorf("messages/%s.json lacks %d keys that another language has: %s", tag, len(missing), strings.Join(missing, ", "))
		}
	}
}

// pluralBase returns the message a plural form key belongs to.
func pluralBase(key string) (string, bool) {
	for _, form := range pluralForms {
		if base, ok := strings.CutSuffix(key, "."+form); ok {
			return base, true
		}
	}
	return "", false
}

var verbPattern = regexp.MustCompile(`%(?:\[\d+\])?[-+# 0]*\d*(?:\.\d+)?[a-zA-Z%]`)

// TestTranslationsKeepFormatVerbs checks that each translation takes the
// same arguments as the English message, so T(key, args...) never prints
// "%!d(MISSING)" in one language only.
func TestTranslationsKeepFormatVerbs(t *testing.T) {
	c, err := parseCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	for key, en := range c.messages[English] {
		want := verbPattern.FindAllString(en, -1)
		for _, tag := range supported[1:] {
			msg, ok := c.messages[tag][key]
			if !ok {
				continue // reported by TestCatalogueLanguagesHaveTheSameKeys
			}
			if got := verbPattern.FindAllString(msg, -1); !slices.Equal(got, want) {
				t.Errorf("%s %q: format verbs %q, English has %q", tag, key, got, want)
			}
		}
	}
}

// TestRomanianUsesCommaBelowDiacritics guards against the cedilla forms
// (ş ţ), which are wrong in Romanian but common in copied text.
func TestRomanianUsesCommaBelowDiacritics(t *testing.T) {
	c, err := parseCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	for key, msg := range c.messages[Romanian] {
		if strings.ContainsAny(msg, "şţŞŢ") {
			t.Errorf("ro %q uses a cedilla (ş/ţ) instead of comma below (ș/ț): %q", key, msg)
		}
	}
}

func TestDecodeMessagesRejectsBadFiles(t *testing.T) {
	tests := map[string]string{
		"duplicate key": `{"a": "x", "a": "y"}`,
		"empty message": `{"a": " "}`,
		"not a string":  `{"a": 1}`,
		"array":         `["a"]`,
		"trailing data": `{"a": "x"} {}`,
	}
	for name, input := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := decodeMessages(strings.NewReader(input)); err == nil {
				t.Errorf("decodeMessages(%s) = nil error, want an error", input)
			}
		})
	}
}

func TestHasMessage(t *testing.T) {
	tests := []struct {
		lang language.Tag
		key  string
		want bool
	}{
		{English, "nav.overview", true},
		{Romanian, "nav.overview", true},
		{language.MustParse("ro-RO"), "nav.overview", true},
		{English, "nav.no_such_key", false},
	}
	for _, tt := range tests {
		if got := HasMessage(tt.lang, tt.key); got != tt.want {
			t.Errorf("HasMessage(%s, %q) = %v, want %v", tt.lang, tt.key, got, tt.want)
		}
	}
}

func TestT(t *testing.T) {
	en, ro := NewLocalizer(English), NewLocalizer(Romanian)
	tests := []struct {
		l    *Localizer
		key  string
		args []any
		want string
	}{
		{en, "nav.overview", nil, "Overview"},
		{ro, "nav.overview", nil, "Prezentare generală"},
		{ro, "home.title", nil, "Bine ați venit la ecrm"},
		{en, "layout.signed_in_as", []any{"Ana Popescu"}, "Signed in as Ana Popescu"},
		{ro, "layout.signed_in_as", []any{"Ana Popescu"}, "Utilizator: Ana Popescu"},
		{en, "error.status", []any{404}, "Error 404"},
		{ro, "error.status", []any{503}, "Eroare 503"},
		// A missing key comes back verbatim, args and all ignored.
		{en, "nav.no_such_key", []any{1}, "nav.no_such_key"},
		{ro, "100% sure", nil, "100% sure"},
	}
	for _, tt := range tests {
		if got := tt.l.T(tt.key, tt.args...); got != tt.want {
			t.Errorf("%s T(%q, %v) = %q, want %q", tt.l.Lang(), tt.key, tt.args, got, tt.want)
		}
	}
}
