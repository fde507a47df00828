package selfservice

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ecrm-project/ecrm/internal/i18n"
)

// These checks follow internal/page's template tests, which cover only that
// package's own templates.

var (
	scriptTag      = regexp.MustCompile(`(?is)<script\b[^>]*>`)
	scriptSrc      = regexp.MustCompile(`(?i)\ssrc\s*=`)
	styleTag       = regexp.MustCompile(`(?i)<style\b`)
	styleAttribute = regexp.MustCompile(`(?i)\sstyle\s*=`)
	handlerAttr    = regexp.MustCompile(`(?i)\son[a-z]+\s*=`)
	javascriptURL  = regexp.MustCompile(`(?i)javascript:`)
	externalURL    = regexp.MustCompile(`(?i)(?:src|href|action)\s*=\s*"(?:https?:)?//`)
	translatedCall = regexp.MustCompile(`(?:\{\{-?|\()\s*t\s+"([^"]*)"`)
	templateAction = regexp.MustCompile(`(?s)\{\{.*?\}\}`)
	betweenTags    = regexp.MustCompile(`>([^<]*)<`)
	letter         = regexp.MustCompile(`\pL`)
	goKeyLiteral   = regexp.MustCompile(`"(portal\.[a-z0-9_.-]+)"`)
)

func cspViolations(html string) []string {
	var found []string
	for _, tag := range scriptTag.FindAllString(html, -1) {
		if !scriptSrc.MatchString(tag) {
			found = append(found, "inline script "+tag)
		}
	}
	for _, re := range []*regexp.Regexp{styleTag, styleAttribute, handlerAttr, javascriptURL, externalURL} {
		if m := re.FindString(html); m != "" {
			found = append(found, m)
		}
	}
	return found
}

func templateSources(t *testing.T) map[string]string {
	t.Helper()
	files := map[string]string{}
	names, err := fs.Glob(Templates, "*.html")
	if err != nil || len(names) < 5 {
		t.Fatalf("templates: %v, %v", names, err)
	}
	for _, name := range names {
		b, err := fs.ReadFile(Templates, name)
		if err != nil {
			t.Fatal(err)
		}
		files[name] = string(b)
	}
	return files
}

func hasKey(t *testing.T, where, key string) {
	t.Helper()
	for _, lang := range i18n.Supported() {
		if !i18n.HasMessage(lang, key) {
			t.Errorf("%s uses %q, missing from the %s catalogue", where, key, lang)
		}
	}
}

func TestTemplatesAreCSPSafeAndTranslated(t *testing.T) {
	calls := 0
	for name, text := range templateSources(t) {
		for _, v := range cspViolations(text) {
			t.Errorf("%s: %s", name, v)
		}
		for _, m := range translatedCall.FindAllStringSubmatch(text, -1) {
			calls++
			hasKey(t, name, m[1])
		}
		stripped := templateAction.ReplaceAllString(text, "")
		for _, m := range betweenTags.FindAllStringSubmatch(stripped, -1) {
			if words := strings.TrimSpace(m[1]); letter.MatchString(words) {
				t.Errorf("%s: text %q is not translated", name, words)
			}
		}
	}
	if calls < 100 {
		t.Errorf("only %d t calls found; is the pattern broken?", calls)
	}
}

// TestKeysBuiltInCodeExist checks the keys that templates and Go build
// from data (printf "portal.account_kind.%s" .Kind) for every value the
// schema allows, and every "portal.…" literal in the package's Go code.
func TestKeysBuiltInCodeExist(t *testing.T) {
	enums := map[string][]string{
		"portal.account_kind.":      {"current", "savings", "term_deposit", "loan", "card", "brokerage"},
		"portal.account_status.":    {"open", "blocked", "closed"},
		"portal.instrument_kind.":   {"equity", "bond", "fund", "etf", "option"},
		"portal.policy_line.":       {"life", "health", "home", "motor", "travel", "liability", "accident"},
		"portal.policy_status.":     {"quoted", "active", "lapsed", "cancelled", "expired"},
		"portal.payment_status.":    {PaymentUpToDate, PaymentLate, PaymentMissed},
		"portal.credit_kind.":       {"mortgage", "consumer_loan", "car_loan", "credit_card", "overdraft"},
		"portal.credit_status.":     {"active", "closed", "defaulted", "written_off"},
		"portal.channel.":           append([]string{"phone", "fax", "web", "mail", "visit", "email"}, ContactChannels...),
		"portal.direction.":         {"inbound", "outbound"},
		"portal.marital_status.":    MaritalStatuses,
		"portal.employment_status.": EmploymentStatuses,
		"portal.transaction_kind.": {"salary", "transfer_in", "transfer_out", "standing_order", "direct_debit", "card_payment",
			"atm_withdrawal", "card_top_up", "loan_repayment", "deposit", "interest", "fee", "premium_payment", "securities_trade"},
		"portal.profile.field.":          append([]string{"annual_income"}, ProfileFields...),
		"portal.profile.changes.actor.":  {"client", "staff", "system"},
		"portal.quick.label.":            {QuickPayPayee, QuickDirectDebit, QuickTopUpCard, QuickOpenAccount, QuickUpdateProfile, QuickManageConsents, QuickDownloadData},
		"portal.quick.label.calculator.": calculatorKinds,
	}
	for _, class := range []string{"payment", "card_top_up", "direct_debit"} {
		enums["portal.quick.reason."+class+"."] = []string{FrequencyWeekly, FrequencyMonthly, FrequencyQuarterly, "count"}
	}
	for prefix, values := range enums {
		for _, v := range values {
			hasKey(t, "code", prefix+v)
		}
	}
	for _, topic := range ConsentTopics {
		hasKey(t, "ConsentTopics", topic.WordingKey(ConsentWordingVersion))
		hasKey(t, "ConsentTopics", "portal.consent.topic."+topic.Purpose+"."+topic.Channel)
	}
	for _, g := range profileFormSpec {
		hasKey(t, "profileFormSpec", g.LegendKey)
		for _, f := range g.Fields {
			if f.HintKey != "" {
				hasKey(t, "profileFormSpec", f.HintKey)
			}
			for _, o := range choices(f.Name) {
				if o.LabelKey != "" && !strings.HasPrefix(o.LabelKey, "lang.") {
					hasKey(t, "choices", o.LabelKey)
				}
			}
		}
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	literals := 0
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range goKeyLiteral.FindAllStringSubmatch(string(src), -1) {
			if strings.HasSuffix(m[1], ".") {
				continue // a prefix completed at run time, checked above
			}
			literals++
			hasKey(t, file, m[1])
		}
	}
	if literals < 20 {
		t.Errorf("found only %d key literals in the Go code", literals)
	}
}

// TestRenderedPagesAreCSPSafe renders every page in both languages and
// scans the output, so that nothing a template function writes breaks the
// policy either.
func TestRenderedPagesAreCSPSafe(t *testing.T) {
	pool := newFixture(t)
	srv := newRouter(newTestHandler(t, pool), testPrincipal)
	for _, path := range []string{"/portal", "/portal/accounts/11", "/portal/accounts/13", "/portal/profile", "/portal/accounts/404"} {
		for _, lang := range []string{"en", "ro"} {
			rec := do(t, srv, request{path: path, client: asClient(ana), lang: lang})
			for _, v := range cspViolations(rec.Body.String()) {
				t.Errorf("%s in %s: %s", path, lang, v)
			}
			// A key missing from the catalogue would show as itself.
			if m := regexp.MustCompile(`portal\.[a-z_]+\.[a-z_.]+`).FindString(rec.Body.String()); m != "" {
				t.Errorf("%s in %s shows the bare key %q", path, lang, m)
			}
			if lang == "ro" && rec.Code == 200 && !strings.Contains(rec.Body.String(), `<html lang="ro">`) {
				t.Errorf("%s: not in Romanian", path)
			}
		}
	}
}
