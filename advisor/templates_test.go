package advisor

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/ecrm-project/ecrm/crosssell"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/web"
	"github.com/ecrm-project/ecrm/pipeline"
	"github.com/ecrm-project/ecrm/risk"
	"github.com/ecrm-project/ecrm/servicedesk"
)

func templateTexts(t *testing.T) map[string]string {
	t.Helper()
	files := map[string]string{}
	names, err := fs.Glob(Templates, "*.html")
	if err != nil || len(names) < 9 {
		t.Fatalf("templates %v, %v; want the console pages", names, err)
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

// dynamicKeys are the catalogue prefixes the templates complete with a
// value, and every value they can get.
var dynamicKeys = map[string][]string{
	"console.segment.":            Segments,
	"console.campaign.notice.":    {"created", "launched", "already_launched"},
	"console.campaign.channel.":   {crosssell.ChannelEmail, crosssell.ChannelPortal},
	"console.campaign.status.":    {crosssell.CampaignDraft, crosssell.CampaignRunning, crosssell.CampaignDone},
	"console.campaign.age_band.":  crosssell.AgeBands,
	"console.kyc.":                {"pending", "verified", "expired", "rejected"},
	"console.channel.":            append(slices.Clone(Channels), "sms"), // preferred_channel also allows sms
	"console.direction.":          Directions,
	"console.direction_short.":    Directions,
	"console.consent_purpose.":    {"marketing", "profiling", "third_party_sharing"},
	"console.consent_channel.":    {"email", "sms", "phone", "mail", "web", "any"},
	"console.consent_source.":     {"portal", "advisor", "import", "paper"},
	"console.marital.":            {"single", "married", "partnership", "divorced", "widowed"},
	"console.employment.":         {"employed", "self_employed", "unemployed", "retired", "student", "homemaker"},
	"console.life_stage.":         {LifeStageUnknown, LifeStageStartingOut, LifeStageSingle, LifeStageCouple, LifeStageFamily, LifeStagePreRetirement, LifeStageRetired},
	"console.relationship.":       {"spouse", "partner", "dependant", "parent", "joint_holder"},
	"console.account_kind.":       {"current", "savings", "term_deposit", "loan", "card", "brokerage"},
	"console.account_status.":     {"open", "blocked", "closed"},
	"console.instrument_kind.":    {"equity", "bond", "fund", "etf", "option"},
	"console.policy_line.":        {"life", "health", "home", "motor", "travel", "liability", "accident"},
	"console.policy_status.":      {"quoted", "active", "lapsed", "cancelled", "expired"},
	"console.frequency.":          {"single", "monthly", "quarterly", "semiannual", "annual"},
	"insurance.claim.status.":     {"received", "in_review", "more_info_needed", "approved", "paid", "rejected"},
	"console.credit_kind.":        {"mortgage", "consumer_loan", "car_loan", "credit_card", "overdraft"},
	"console.credit_source.":      {"internal", "bureau"},
	"console.credit_line_status.": {"active", "closed", "defaulted", "written_off"},
	"console.credit.status.":      {"on_time", "late_30", "late_60", "late_90_plus", "default", "none"},
	"console.purpose.":            {"credit_application", "account_review", "collections", "complaint", "regulatory_request"},
	"console.actor.":              {"client", "staff", "system"},
	"servicedesk.kind.":           servicedesk.Kinds,
	"servicedesk.status.":         {servicedesk.StatusOpen, servicedesk.StatusAnswered, servicedesk.StatusClosed},
	"console.notifications.":      {"task_overdue", "task_escalated"},
	"console.deal.source.":        pipeline.Sources,
	"console.deal.status.":        {"open", "won", "lost"},
	"console.nbo.channel.":        PresentChannels,
	"crosssell.need.":             {"renewal_due", "life_event_marriage", "life_event_birth", "life_event_new_job", "life_event_retirement", "protection_gap", "emergency_fund", "idle_cash", "retirement_gap", "expensive_debt", "mortgage_refinance", "complete_profile"},
	"console.tasks.status.":       {"open", "done", "cancelled"},
	"console.deal.event.":         {"created", "stage", "won", "lost", "reopened", "task_done", "note"},
	"console.deal.document.":      {"offer_letter", "payment_instructions", "meeting_summary"},
	"console.deal.document.lang_": {"en", "ro"},
	"console.reports.":            {"deals_by_month.title", "deals_by_month.caption", "deals_by_month.label", "conversion.title", "conversion.caption", "conversion.label", "tasks.title", "tasks.caption", "tasks.label", "segments.title", "segments.caption", "segments.label"},
	"console.review.offer_state.": {"open", "accepted", "declined", "expired", "review_requested"},
	"lang.":                       {"en", "ro"},
	"date.month_short.":           {"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"},
	// The risk profile section (risk_profile.partial.html).
	"suitability.console.stale.":      {risk.StaleAge, risk.StaleIncome, risk.StaleEmployment},
	"suitability.behaviour.mismatch.": {risk.RiskierThanStated, risk.CautiousThanStated},
	"programmes.programme.":           {risk.ProgrammeHighYield, risk.ProgrammeDiversified, risk.ProgrammeRebalancing},
}

// goKeys are the catalogue keys the Go code uses.
var goKeys = []string{
	"console.error.login_first", "console.error.forbidden", "console.error.read_only",
	"console.error.client_not_found", "console.error.invalid_input",
	"console.purpose.error.required", "console.purpose.error.unknown",
	"console.clients.error.query_too_long", "console.clients.error.segment_unknown",
	"console.clients.error.limit_range", "console.clients.error.after_invalid",
	"console.interaction.error.channel_required", "console.interaction.error.channel_unknown",
	"console.interaction.error.direction_required", "console.interaction.error.direction_unknown",
	"console.interaction.error.subject_required", "console.interaction.error.subject_too_long",
	"console.interaction.error.notes_too_long", "console.interaction.error.occurred_at_invalid",
	"console.interaction.error.occurred_at_future",
	"console.credit.explain.none", "console.credit.explain.clean", "console.credit.explain.late",
	"console.credit.phrase.on_time", "console.credit.phrase.late_30", "console.credit.phrase.late_60",
	"console.credit.phrase.late_90_plus", "console.credit.phrase.default", "console.credit.phrase.none",
	"console.review.error.not_found", "console.review.error.answer_required", "console.review.error.answer_too_long",
	"console.review.error.already_answered",
	"console.review.age.under_hour", "console.review.age.hours", "console.review.age.one_day", "console.review.age.days",
	"console.review.check.suitability", "console.review.check.appropriateness", "console.review.check.target_market",
	"console.review.check.consent", "console.review.check.objection", "console.review.check.contact_policy",
	"console.review.check.vulnerability", "console.review.check.household", "console.review.check.other",
	"console.review.disclosure.fee", "console.review.disclosure.cost", "console.review.disclosure.conflict_of_interest",
	"console.review.disclosure.document", "console.review.disclosure.warning", "console.review.disclosure.risk",
	"console.review.disclosure.other",
}

func TestTemplateKeysExist(t *testing.T) {
	literal := regexp.MustCompile(`(?:\{\{-?|\()\s*t\s+"([^"]*)"`)
	dynamic := regexp.MustCompile(`\((?:print|printf) "([a-z_.]+\.)`)
	keys := slices.Clone(goKeys)
	for name, text := range templateTexts(t) {
		for _, m := range literal.FindAllStringSubmatch(text, -1) {
			keys = append(keys, m[1])
		}
		for _, m := range dynamic.FindAllStringSubmatch(text, -1) {
			if _, ok := dynamicKeys[m[1]]; !ok {
				t.Errorf("%s completes key prefix %q, which the test does not know: add it to dynamicKeys", name, m[1])
			}
		}
	}
	for prefix, values := range dynamicKeys {
		for _, v := range values {
			keys = append(keys, prefix+v)
		}
	}
	if len(keys) < 300 {
		t.Fatalf("found only %d keys; is the pattern broken?", len(keys))
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
	scriptTag   = regexp.MustCompile(`(?is)<script\b[^>]*>`)
	scriptSrc   = regexp.MustCompile(`(?i)\ssrc\s*=`)
	styleTag    = regexp.MustCompile(`(?i)<style\b`)
	styleAttr   = regexp.MustCompile(`(?i)\sstyle\s*=`)
	handlerAttr = regexp.MustCompile(`(?i)\son[a-z]+\s*=`)
	jsURL       = regexp.MustCompile(`(?i)javascript:`)
	externalURL = regexp.MustCompile(`(?i)(?:src|href|action)\s*=\s*"(?:https?:)?//`)
)

// cspViolations lists what the policy (script-src 'self', no inline code)
// refuses: a script without src is inline; one from this origin is fine.
func cspViolations(html string) []string {
	var found []string
	for _, tag := range scriptTag.FindAllString(html, -1) {
		if !scriptSrc.MatchString(tag) {
			found = append(found, tag)
		}
	}
	for _, re := range []*regexp.Regexp{styleTag, styleAttr, handlerAttr, jsURL, externalURL} {
		if m := re.FindString(html); m != "" {
			found = append(found, m)
		}
	}
	return found
}

func TestTemplatesHaveNoBareTextAndNoInlineCode(t *testing.T) {
	betweenTags := regexp.MustCompile(`>([^<]*)<`)
	actions := regexp.MustCompile(`(?s)\{\{.*?\}\}`)
	letter := regexp.MustCompile(`\pL`)
	for name, text := range templateTexts(t) {
		for _, m := range betweenTags.FindAllStringSubmatch(actions.ReplaceAllString(text, ""), -1) {
			if words := strings.TrimSpace(m[1]); letter.MatchString(words) {
				t.Errorf("%s: text %q is not translated", name, words)
			}
		}
		for _, v := range cspViolations(text) {
			t.Errorf("%s: %q breaks the Content-Security-Policy", name, v)
		}
	}
}

// TestRenderedPages renders every console page in both languages and checks
// that no catalogue key is left untranslated, that the markup keeps the
// accessibility conventions, and that nothing inline slipped in.
func TestRenderedPages(t *testing.T) {
	f := newFixture(t)
	leakedKey := regexp.MustCompile(`\b(?:console|date|lang)\.[a-z_]+(?:\.[a-z_0-9]+)*`)
	thWithoutScope := regexp.MustCompile(`<th(?:\s+class="[^"]*")?>`)
	if !leakedKey.MatchString("<td>console.segment.mass</td>") || !thWithoutScope.MatchString(`<th class="numeric">`) {
		t.Fatal("the checks' patterns are broken")
	}
	for _, req := range []request{
		{path: "/console", as: asAdvisorA},
		{path: "/console", as: asCompliance},
		{path: "/console/clients", as: asAdvisorA},
		{path: "/console/clients?segment=gold", as: asAdvisorA},
		{path: "/console/clients?q=zzz", as: asAdvisorA},
		{path: "/console/clients/101", as: asAdvisorA},
		{path: "/console/clients/101", as: asCompliance},
		{path: "/console/clients/103", as: asAdvisorA},
		{path: "/console/clients/104", as: asAdvisorA},
		{path: "/console/clients/105", as: asAdvisorA},
		{path: "/console/clients/108", as: asAdmin},
		{path: "/console/clients/101?channel=fax", as: asAdvisorA},
		{path: "/console/clients/101/credit-history", as: asAdvisorA},
		{path: "/console/clients/101/credit-history?purpose=complaint", as: asAdvisorA},
		{path: "/console/clients/105/credit-history?purpose=complaint", as: asAdvisorA},
		{method: http.MethodPost, path: "/console/clients/101/interactions", as: asAdvisorA, form: true, body: "subject=x"},
		{path: "/console/clients/999", as: asAdvisorA},
	} {
		for _, lang := range []string{"en", "ro"} {
			req.acceptLanguage = lang
			w := f.do(t, req)
			body := w.Body.String()
			name := fmt.Sprintf("%s %s (%s)", req.method, req.path, lang)
			if w.Code >= 500 {
				t.Errorf("%s: status %d", name, w.Code)
			}
			// URLs hold "/console/..." but never "console." followed by a key.
			if m := leakedKey.FindString(strings.ReplaceAll(body, "/console", "")); m != "" {
				t.Errorf("%s: untranslated key %q", name, m)
			}
			if m := thWithoutScope.FindString(body); m != "" {
				t.Errorf("%s: table header without scope: %q", name, m)
			}
			for _, v := range cspViolations(body) {
				t.Errorf("%s: %q breaks the Content-Security-Policy", name, v)
			}
			for _, id := range regexp.MustCompile(`<(?:input|select|textarea)[^>]*\sid="([^"]+)"`).FindAllStringSubmatch(body, -1) {
				if !strings.Contains(body, `<label for="`+id[1]+`">`) {
					t.Errorf("%s: form control #%s has no label", name, id[1])
				}
			}
		}
	}
}

// TestOpenAPIDocumentsEveryRoute compares the API routes registered with
// the fragment, both ways, and checks that every $ref resolves.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	r := chi.NewRouter()
	(&Handler{}).Routes(r)
	var registered []string
	err := chi.Walk(r, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if strings.HasPrefix(route, "/api/") {
			registered = append(registered, method+" "+route)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := web.NewOpenAPI(OpenAPI, servicedesk.OpenAPI, pipeline.OpenAPI)
	if err != nil {
		t.Fatalf("merge fragment: %v", err)
	}
	ops, err := doc.Operations()
	if err != nil {
		t.Fatal(err)
	}
	var documented []string
	for _, op := range ops {
		if strings.Contains(op, " /api/v1/clients") || strings.Contains(op, " /api/v1/review-requests") || strings.Contains(op, " /api/v1/tasks") ||
			strings.Contains(op, " /api/v1/pipelines") || strings.Contains(op, " /api/v1/deals") || strings.Contains(op, " /api/v1/service-requests") ||
			strings.Contains(op, " /api/v1/complaints") || strings.Contains(op, " /api/v1/documents") || strings.Contains(op, " /api/v1/campaigns") {
			documented = append(documented, op)
		}
	}
	sort.Strings(registered)
	if !slices.Equal(registered, documented) {
		t.Errorf("registered %q\ndocumented %q", registered, documented)
	}

	rec := &recordingWriter{header: http.Header{}}
	doc.ServeHTTP(rec, nil)
	var merged map[string]any
	if err := json.Unmarshal(rec.body, &merged); err != nil {
		t.Fatal(err)
	}
	refs := regexp.MustCompile(`"\$ref":\s*"#/components/(schemas|responses)/([A-Za-z0-9]+)"`).FindAllStringSubmatch(string(OpenAPI), -1)
	if len(refs) < 30 {
		t.Fatalf("found only %d $refs", len(refs))
	}
	components := merged["components"].(map[string]any)
	for _, ref := range refs {
		if _, ok := components[ref[1]].(map[string]any)[ref[2]]; !ok {
			t.Errorf("$ref to %s/%s does not resolve", ref[1], ref[2])
		}
	}
}

type recordingWriter struct {
	header http.Header
	body   []byte
}

func (w *recordingWriter) Header() http.Header { return w.header }
func (w *recordingWriter) Write(b []byte) (int, error) {
	w.body = append(w.body, b...)
	return len(b), nil
}
func (w *recordingWriter) WriteHeader(int) {}
