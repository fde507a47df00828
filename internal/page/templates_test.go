package page

import (
	"fmt"
	"io/fs"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
)

func offersData() any {
	return struct {
		Amount ecrm.Money
		Rate   decimal.Decimal
		When   time.Time
	}{
		Amount: ecrm.MustMoney("1234.50", "RON"),
		Rate:   decimal.RequireFromString("0.0525"),
		When:   time.Date(2026, time.November, 26, 14, 5, 0, 0, time.UTC),
	}
}

// templateFiles returns every embedded template's name and text.
func templateFiles(t *testing.T) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := fs.WalkDir(embedded, "templates", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(embedded, name)
		files[name] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 3 {
		t.Fatalf("found %d templates, want layout, home and error at least", len(files))
	}
	return files
}

var (
	scriptTag      = regexp.MustCompile(`(?is)<script\b[^>]*>`)
	styleTag       = regexp.MustCompile(`(?i)<style\b`)
	styleAttribute = regexp.MustCompile(`(?i)\sstyle\s*=`)
	handlerAttr    = regexp.MustCompile(`(?i)\son[a-z]+\s*=`)
	javascriptURL  = regexp.MustCompile(`(?i)javascript:`)
	externalURL    = regexp.MustCompile(`(?i)(?:src|href)\s*=\s*"(?:https?:)?//`)
	scriptSrc      = regexp.MustCompile(`(?i)\ssrc\s*=`)
	translatedCall = regexp.MustCompile(`(?:\{\{-?|\()\s*t\s+"([^"]*)"`)
)

// cspViolations lists inline script, inline style, event-handler
// attributes and external resources in html, all of which a
// Content-Security-Policy of default-src 'self' blocks or forbids.
func cspViolations(html string) []string {
	var found []string
	for _, tag := range scriptTag.FindAllString(html, -1) {
		if !scriptSrc.MatchString(tag) {
			found = append(found, fmt.Sprintf("inline script %q; load scripts from static/ with src", tag))
		}
	}
	for _, check := range []struct {
		re   *regexp.Regexp
		what string
	}{
		{styleTag, "a <style> element"},
		{styleAttribute, "a style= attribute"},
		{handlerAttr, "an on...= event handler attribute"},
		{javascriptURL, "a javascript: URL"},
		{externalURL, "a resource from another site"},
	} {
		if m := check.re.FindString(html); m != "" {
			found = append(found, fmt.Sprintf("%s (%q)", check.what, m))
		}
	}
	return found
}

func TestTemplatesAreCSPSafe(t *testing.T) {
	for name, text := range templateFiles(t) {
		for _, v := range cspViolations(text) {
			t.Errorf("%s: %s", name, v)
		}
	}
	// The rendered pages too, so that nothing a template function emits
	// breaks the rule.
	r := mustNew(t)
	view := View{User: &PageUser{Name: "Ana", Kind: "client"}}
	for _, p := range []struct {
		name string
		data any
	}{{"home", nil}, {"home", view}, {"error", View{Data: ErrorPage{Status: 500, Title: "x", Detail: "y", RequestID: "z"}}}} {
		for _, lang := range []string{"en", "ro"} {
			rec := do(t, newTestServer(t, r, p.name, p.data), request{path: "/portal", acceptLanguage: lang})
			if rec.Code != http.StatusOK {
				t.Fatalf("render %s: status %d", p.name, rec.Code)
			}
			for _, v := range cspViolations(rec.Body.String()) {
				t.Errorf("%s rendered in %s: %s", p.name, lang, v)
			}
		}
	}
}

func TestCheckCSPSafeCatchesViolations(t *testing.T) {
	bad := map[string]string{
		"inline script":  `<script>alert(1)</script>`,
		"style element":  `<style>p{}</style>`,
		"style attr":     `<p style="color:red">`,
		"handler attr":   `<button onclick="x()">`,
		"handler upper":  `<body ONLOAD='x()'>`,
		"javascript url": `<a href="javascript:x()">`,
		"external css":   `<link rel="stylesheet" href="https://cdn.example/x.css">`,
		"protocol-rel":   `<script src="//cdn.example/x.js"></script>`,
	}
	for name, html := range bad {
		if len(cspViolations(html)) == 0 {
			t.Errorf("cspViolations found nothing in %s: %q", name, html)
		}
	}
	good := `<script src="/static/app.js"></script><a href="/x" class="online" data-onload="1">`
	if v := cspViolations(good); len(v) != 0 {
		t.Errorf("cspViolations(%q) = %q, want none", good, v)
	}
}

// TestTemplateKeysExist fails when a template calls t with a key that the
// catalogue lacks in any language.
func TestTemplateKeysExist(t *testing.T) {
	calls := 0
	for name, text := range templateFiles(t) {
		for _, m := range translatedCall.FindAllStringSubmatch(text, -1) {
			calls++
			for _, lang := range i18n.Supported() {
				if !i18n.HasMessage(lang, m[1]) {
					t.Errorf("%s uses key %q, missing from messages/%s.json", name, m[1], lang)
				}
			}
		}
	}
	if calls < 10 {
		t.Errorf("found only %d t calls in the templates; is the pattern broken?", calls)
	}
}

// TestGoKeysExist checks the catalogue keys the Go code puts in templates:
// navigation labels, language names and error wording.
func TestGoKeysExist(t *testing.T) {
	var keys []string
	for _, item := range append(append([]NavItem{}, portalNav...), consoleNav...) {
		keys = append(keys, item.LabelKey)
	}
	for _, link := range languageLinks(i18n.English, "/") {
		keys = append(keys, link.NameKey)
	}
	for _, area := range []Area{AreaPortal, AreaConsole} {
		keys = append(keys, (&View{Area: area}).AreaLabelKey())
	}
	for _, status := range []int{400, 401, 403, 404, 405, 500, 503, 418} {
		keys = append(keys, statusKey(status, "title"), statusKey(status, "detail"))
	}
	for _, key := range keys {
		for _, lang := range i18n.Supported() {
			if !i18n.HasMessage(lang, key) {
				t.Errorf("Go code uses key %q, missing from messages/%s.json", key, lang)
			}
		}
	}
}

// TestTemplatesHaveNoBareText is a rough guard that templates hold no
// words of their own: text between tags must be a template action.
func TestTemplatesHaveNoBareText(t *testing.T) {
	betweenTags := regexp.MustCompile(`>([^<]*)<`)
	for name, text := range templateFiles(t) {
		// Drop template actions, then look for letters left between tags.
		stripped := regexp.MustCompile(`(?s)\{\{.*?\}\}`).ReplaceAllString(text, "")
		for _, m := range betweenTags.FindAllStringSubmatch(stripped, -1) {
			words := strings.TrimSpace(m[1])
			if words != "" && regexp.MustCompile(`\pL`).MatchString(words) {
				t.Errorf("%s: text %q is not translated; use {{t \"key\"}}", name, words)
			}
		}
	}
}
