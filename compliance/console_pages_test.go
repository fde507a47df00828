package compliance

import (
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/web"
)

// consoleDynamicKeys are the catalogue prefixes the templates complete with
// a value, and every value they can get.
var consoleDynamicKeys = map[string][]string{
	"compliance.outcome.":           Outcomes,
	"compliance.channel.":           Channels,
	"compliance.kind.":              {"offer_shown", "offer_blocked", "response", "review_request"},
	"compliance.actor.":             {"system", "advisor", "client"},
	"compliance.review.status.":     {ReviewFlag, ReviewApprove},
	"compliance.export.format.":     {FormatCSV, FormatXLSX, FormatJSON},
	"compliance.age_band.":          AgeBands,
	"compliance.segment.":           {"mass", "emerging_affluent", "affluent", "private", "prospect"},
	"compliance.stats.by.":          Dimensions,
	"compliance.access.resource.":   {"client_360", "credit_history", "export", "review_request", "decision_record"},
	"compliance.purpose.":           {"credit_application", "account_review", "collections", "complaint", "regulatory_request"},
	"compliance.filter.":            {"client", "product", "engine", "advisor", "channel", "outcome", "failed_check", "from", "to"},
	"compliance.access.filter.":     {"staff", "client", "from", "to"},
	"compliance.review.action.":     {ReviewFlag, ReviewApprove},
	"compliance.error.":             {"invalid_input", "date_invalid", "to_before_from", "from_after_to", "too_long", "client_invalid", "advisor_invalid", "id_invalid", "outcome_unknown", "limit_range", "after_invalid", "record_not_found", "login_first", "forbidden"},
	"compliance.review.error.":      {"action_required", "action_unknown", "comment_required", "comment_too_long", "four_eyes"},
	"compliance.queue.reason.":      {QueueSampled, QueueRequested, QueueFlagged},
	"compliance.export.error.":      {"too_many", "format_unknown"},
	"compliance.queue.error.":       {"rate_range"},
	"compliance.nav.":               {"console"},
	"products.goal.":                {"borrow", "deposit", "invest", "insure"},
	"compliance.filter.date_hint":   {""},
	"compliance.filter.client_hint": {""},
}

func TestConsoleTemplateKeysExist(t *testing.T) {
	literal := regexp.MustCompile(`(?:\{\{-?|\()\s*t\s+"([^"]*)"`)
	dynamic := regexp.MustCompile(`\((?:print|printf) "([a-z_.]+\.)`)
	var keys []string
	names, _ := fs.Glob(Templates, "*.html")
	if len(names) != 7 { // six pages and the partial they share
		t.Fatalf("templates %v", names)
	}
	for _, name := range names {
		b, _ := fs.ReadFile(Templates, name)
		for _, m := range literal.FindAllStringSubmatch(string(b), -1) {
			keys = append(keys, m[1])
		}
		for _, m := range dynamic.FindAllStringSubmatch(string(b), -1) {
			if _, ok := consoleDynamicKeys[m[1]]; !ok {
				t.Errorf("%s completes key prefix %q unknown to the test", name, m[1])
			}
		}
	}
	for prefix, values := range consoleDynamicKeys {
		for _, v := range values {
			keys = append(keys, prefix+v)
		}
	}
	for _, key := range keys {
		for _, lang := range i18n.Supported() {
			if !i18n.HasMessage(lang, key) {
				t.Errorf("key %q is missing from the %s catalogue", key, lang)
			}
		}
	}
}

var (
	inlineCode = regexp.MustCompile(`(?is)<script\b[^>]*>[^<]|<style\b|\sstyle\s*=|\son[a-z]+\s*=|javascript:`)
	leakedKey  = regexp.MustCompile(`\b(?:compliance|console|date|lang)\.[a-z_]+(?:\.[a-z_0-9]+)*`)
	bareTH     = regexp.MustCompile(`<th(?:\s+class="[^"]*")?>`)
)

// TestConsolePages renders every page in both languages and checks that no
// key is left untranslated, tables have header scopes, every control has a
// label and nothing inline breaks the Content-Security-Policy.
func TestConsolePages(t *testing.T) {
	f := newConsoleFixture(t)
	for _, path := range []string{
		"/console/compliance", "/console/compliance?outcome=blocked", "/console/compliance?from=2026-02-30&to=x",
		"/console/compliance/records/1", "/console/compliance/records/2", "/console/compliance/records/5",
		"/console/compliance/queue", "/console/compliance/stats", "/console/compliance/stats?from=2020-01-01&to=2026-12-31",
		"/console/compliance/stats?from=bad", "/console/compliance/access-log", "/console/compliance/access-log?staff=x",
		"/console/compliance/records/404",
	} {
		for _, lang := range []string{"en", "ro"} {
			w := f.do(t, req{path: path, as: asCompliance, lang: lang})
			body := w.Body.String()
			name := fmt.Sprintf("%s (%s)", path, lang)
			if w.Code >= 500 {
				t.Errorf("%s: status %d", name, w.Code)
			}
			if m := leakedKey.FindString(strings.ReplaceAll(strings.ReplaceAll(body, "/console", ""), "products.matching", "")); m != "" && m != "advisor.nbo" {
				t.Errorf("%s: untranslated key %q", name, m)
			}
			if m := bareTH.FindString(body); m != "" {
				t.Errorf("%s: table header without scope: %q", name, m)
			}
			if m := inlineCode.FindString(body); m != "" {
				t.Errorf("%s: %q breaks the Content-Security-Policy", name, m)
			}
			for _, id := range regexp.MustCompile(`<(?:input|select|textarea)[^>]*\sid="([^"]+)"`).FindAllStringSubmatch(body, -1) {
				if !strings.Contains(body, `<label for="`+id[1]+`">`) {
					t.Errorf("%s: control #%s has no label", name, id[1])
				}
			}
		}
	}
}

func TestConsoleOpenAPIDocumentsEveryRoute(t *testing.T) {
	r := chi.NewRouter()
	(&ConsoleHandler{}).Routes(r)
	(&ConsoleHandler{}).ModelRoutes(r)
	var registered []string
	chi.Walk(r, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if strings.HasPrefix(route, "/api/") {
			registered = append(registered, method+" "+route)
		}
		return nil
	})
	doc, err := web.NewOpenAPI(OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	ops, err := doc.Operations()
	if err != nil {
		t.Fatal(err)
	}
	var documented []string
	for _, op := range ops {
		if strings.Contains(op, " /api/v1/compliance/") {
			documented = append(documented, op)
		}
	}
	sort.Strings(registered)
	if len(registered) != 9 || !slices.Equal(registered, documented) {
		t.Errorf("registered %q\ndocumented %q", registered, documented)
	}
}

// TestIdsWithoutThousandsSeparators: a decision record's number is an id,
// written as it is ("Decision record 1005"), never as a quantity (1,005 or
// 1.005).
func TestIdsWithoutThousandsSeparators(t *testing.T) {
	f := newConsoleFixture(t)
	at := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	n := 0
	_, err := f.log.AppendMany(context.Background(), func() (BulkRecord, bool) {
		if n == 1000 {
			return BulkRecord{}, false
		}
		n++
		return BulkRecord{Record: Record{Kind: KindOfferShown, ClientID: anaID, ProductID: depID, Engine: "test", Channel: "web",
			Actor: Actor{Kind: ActorSystem}, Outcome: OutcomeShown}, RecordedAt: at.Add(time.Duration(n) * time.Second)}, true
	})
	if err != nil {
		t.Fatal(err)
	}
	for lang, want := range map[string]string{"en": "Decision record 1005", "ro": "Înregistrarea de decizie 1005"} {
		body := f.do(t, req{path: "/console/compliance/records/1005", as: asCompliance, lang: lang}).Body.String()
		if !strings.Contains(body, `<h1 id="record-title">`+want+`</h1>`) {
			t.Errorf("%s: the record page's title is not %q", lang, want)
		}
		// A record's page belongs to the records in the console's own
		// navigation.
		if !strings.Contains(body, `<a href="/console/compliance" aria-current="page">`) || strings.Count(body, `aria-current="page"`) != 2 {
			t.Errorf("%s: the records are not the current section (and only they, with the console's Compliance item)", lang)
		}
	}
}
