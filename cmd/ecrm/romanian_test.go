package main

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/ecrm-project/ecrm/compliance"
	"github.com/ecrm-project/ecrm/internal/browsertest"
	"github.com/ecrm-project/ecrm/internal/demodata"
	"github.com/ecrm-project/ecrm/pipeline"
	"github.com/ecrm-project/ecrm/products"
	"github.com/ecrm-project/ecrm/servicedesk"
)

// englishWords are common English words that are not Romanian words: one
// of them on a Romanian page is a string that skipped the catalogue.
var englishWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`the and your you of with for is this from has have will was were months more
		please shown offer offers save log sign back next previous none yes no not when which what who why how
		about our there their than then by on at or if be all any some other only new accepted declined
		interested blocked expired review reviews amount balance account accounts payment due name phone
		address income search filter download page details summary reason reasons check checks passed failed
		product products version risk loss horizon policy claim claims deposit loan fee fees term terms
		messages message answer answers history contacts task tasks settings profile language home overview help`) {
		englishWords[w] = true
	}
}

// TestEveryPageInRomanian logs in as each demo person with Romanian chosen,
// follows every link the pages offer (GET only, same site) and fails on a
// dead link or on any common English word in a page's text or its labels
// outside names and what people typed.
func TestEveryPageInRomanian(t *testing.T) {
	if testing.Short() {
		t.Skip("crawls every page")
	}
	e := newTestEnv(t, nil)
	e.withDemoPeople()
	ctx := context.Background()
	now := time.Now()
	// The demo data set, as make run has it, in place of newTestEnv's people.
	if _, err := e.pool.Exec(ctx, `DELETE FROM clients; DELETE FROM staff_users`); err != nil {
		t.Fatal(err)
	}
	if _, err := demodata.Seed(ctx, e.pool, demodata.Options{Clients: 60, Seed: 1, AsOf: now}); err != nil {
		t.Fatal(err)
	}
	if err := products.LoadDemoCatalogue(ctx, e.pool); err != nil {
		t.Fatal(err)
	}
	if _, err := compliance.SeedDemoHistory(ctx, e.pool, compliance.DemoHistoryOptions{AsOf: now, Seed: 1, Years: 1, Clients: 20}); err != nil {
		t.Fatal(err)
	}
	desk := servicedesk.New(e.pool, nil, pipeline.DefaultBusinessHours(time.UTC), servicedesk.DefaultConfig())
	if err := servicedesk.SeedDemo(ctx, e.pool, desk, now, demodata.DemoClientEmail, demodata.DemoAdvisorEmail, demodata.DemoComplianceEmail); err != nil {
		t.Fatal(err)
	}
	// Names and free text people typed are data, shown as stored:
	// instrument names and issuers, providers, contact notes. They are removed from the
	// pages before the check. Product and account names are not: they have
	// a Romanian text, and an English one on a Romanian page is a fault.
	var data []string
	rows, err := e.pool.Query(ctx, `
		SELECT name FROM instruments UNION SELECT coalesce(issuer, '') FROM instruments
		UNION SELECT subject FROM interactions UNION SELECT coalesce(notes, '') FROM interactions
		UNION SELECT provider FROM products UNION SELECT code FROM products UNION SELECT lender FROM credit_lines
		UNION SELECT coalesce(description, '') FROM account_transactions UNION SELECT coalesce(counterparty_name, '') FROM account_transactions
		UNION SELECT description FROM claims
		UNION SELECT coalesce(rejection_reason, '') FROM claims UNION SELECT coalesce(place, '') FROM claims
		UNION SELECT coalesce(note, '') FROM claim_status_history UNION SELECT body FROM claim_messages
		UNION SELECT coalesce(occupation, '') FROM clients UNION SELECT coalesce(employer, '') FROM clients
		UNION SELECT subject FROM service_requests UNION SELECT body FROM service_messages`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		if v != "" {
			data = append(data, v)
		}
	}
	if rows.Err() != nil || len(data) < 50 {
		t.Fatalf("%d data values, %v", len(data), rows.Err())
	}
	// Longest first, so a name is removed before a shorter one inside it.
	sort.Slice(data, func(i, j int) bool { return len(data[i]) > len(data[j]) })
	found := map[string][]string{} // word → pages
	total := 0
	for _, subject := range []string{"", "demo-client-ana", "demo-advisor-maria", "demo-compliance-andrei", "demo-admin-elena", "demo-prospect-radu"} {
		b := e.newBrowser()
		start := "/"
		if subject != "" {
			start = strings.TrimPrefix(e.login(b, subject), e.baseURL)
		}
		b.get(e.baseURL + "/lang?to=ro&back=%2F")
		var paths []string
		pages, visited := crawlRomanian(t, b, e.baseURL, start, 80, data, &paths)
		if visited < 3 {
			t.Errorf("%q: only %d pages read", subject, visited)
		}
		total += visited
		for page, words := range pages {
			for _, w := range words {
				found[w] = append(found[w], subject+" "+page)
			}
		}
		// The same pages as a real browser renders them: Chromium, in
		// Romanian, reading each page's visible text (a dozen pages per
		// person keep the test quick).
		for page, words := range inChromium(t, e.baseURL, subject, paths[:min(12, len(paths))], data) {
			for _, w := range words {
				found[w] = append(found[w], subject+" "+page+" (Chromium)")
			}
		}
	}
	if total < 60 {
		t.Errorf("only %d pages read in all", total)
	}
	var words []string
	for w := range found {
		words = append(words, w)
	}
	sort.Strings(words)
	for _, w := range words {
		t.Errorf("English %q on %d Romanian pages, e.g. %v", w, len(found[w]), found[w][:min(3, len(found[w]))])
	}
}

var (
	hrefAttr    = regexp.MustCompile(`href="([^"#]*)`)
	dropped     = regexp.MustCompile(`(?s)<script.*?</script>|<style.*?</style>|<code.*?</code>|<textarea.*?</textarea>|<pre.*?</pre>|<[^>]*\blang="en"[^>]*>.*?</[a-z0-9]+>`)
	labelAttrs  = regexp.MustCompile(`\b(?:title|aria-label|placeholder|alt)="([^"]*)"`)
	anyTag      = regexp.MustCompile(`<[^>]*>`)
	letters     = regexp.MustCompile(`\p{L}+`) // words, diacritics included
	idSegment   = regexp.MustCompile(`/\d+`)
	skipCrawled = regexp.MustCompile(`^/(logout|lang|auth|login|static|api)|/export|/download|\.csv|format=`)
)

// englishIn returns the common English words in a page's text once the
// data values (names, typed text) are taken out.
func englishIn(text string, data []string) []string {
	for _, v := range data {
		text = strings.ReplaceAll(text, v, " ")
	}
	words := map[string]bool{}
	for _, w := range letters.FindAllString(text, -1) {
		if w = strings.ToLower(w); englishWords[w] {
			words[w] = true
		}
	}
	var out []string
	for w := range words {
		out = append(out, w)
	}
	sort.Strings(out)
	return out
}

// crawlRomanian visits up to limit pages reachable from start (one per
// route shape), returning the English words found on each and how many
// pages it read.
func crawlRomanian(t *testing.T, b *browser, base, start string, limit int, data []string, pages *[]string) (map[string][]string, int) {
	t.Helper()
	seen := map[string]bool{start: true}
	queue := []string{start}
	out := map[string][]string{}
	visited := 0
	for len(queue) > 0 && len(seen) <= limit {
		path := queue[0]
		queue = queue[1:]
		res, body := b.get(base + path)
		if res.StatusCode >= 400 {
			t.Errorf("%s links to %s, which answers %d", start, path, res.StatusCode)
		}
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
			continue
		}
		visited++
		text := dropped.ReplaceAllString(body, " ")
		var labels []string
		for _, m := range labelAttrs.FindAllStringSubmatch(text, -1) {
			labels = append(labels, m[1])
		}
		text = html.UnescapeString(anyTag.ReplaceAllString(text, " ") + " " + strings.Join(labels, " "))
		out[path] = append(out[path], englishIn(text, data)...)
		*pages = append(*pages, path)
		for _, m := range hrefAttr.FindAllStringSubmatch(body, -1) {
			u, err := url.Parse(html.UnescapeString(m[1]))
			if err != nil || u.Host != "" || !strings.HasPrefix(u.Path, "/") || skipCrawled.MatchString(u.Path+"?"+u.RawQuery) {
				continue
			}
			// One page per route shape: /clients/17 and /clients/18 read alike.
			key := idSegment.ReplaceAllString(u.Path, "/N")
			if !seen[key] {
				seen[key] = true
				queue = append(queue, u.RequestURI())
			}
		}
	}
	return out, visited
}

// inChromium logs subject in (nobody for ""), chooses Romanian and reads
// the visible text of each page, returning the English words found.
func inChromium(t *testing.T, base, subject string, paths []string, data []string) map[string][]string {
	t.Helper()
	b := browsertest.New(t)
	if err := browsertest.SetAcceptLanguage(b, "ro"); err != nil {
		t.Fatal(err)
	}
	if subject != "" {
		browsertest.Visit(t, b, base+"/login", `button[value="`+subject+`"]`)
		browsertest.Follow(t, b, `button[value="`+subject+`"]`)
	}
	browsertest.Visit(t, b, base+"/lang?to=ro&back=%2F", "body")
	out := map[string][]string{}
	romanian := 0
	defer func() {
		// The text read is the page's: most pages say something with ă,
		// â, î, ș or ț.
		if romanian*2 < len(paths) {
			t.Errorf("%q: only %d of %d pages read in Chromium look Romanian", subject, romanian, len(paths))
		}
	}()
	for _, p := range paths {
		browsertest.Visit(t, b, base+p, "main")
		// Code, typed text and what is marked English are left out, as in
		// the crawl.
		const visible = `(() => { const m = document.body.cloneNode(true);
			m.querySelectorAll('code, pre, textarea, script, style, [lang="en"]').forEach(e => e.remove());
			return m.innerText + ' ' + [...m.querySelectorAll('[title],[aria-label],[placeholder],[alt]')].map(e =>
				[e.title, e.getAttribute('aria-label'), e.placeholder, e.alt].filter(Boolean).join(' ')).join(' '); })()`
		text, err := chromedp.Run(b, chromedp.Evaluate[string](visible))
		if err != nil {
			t.Fatalf("read %s: %v", p, err)
		}
		if strings.ContainsAny(text, "ăâîșțĂÂÎȘȚ") {
			romanian++
		}
		if words := englishIn(text, data); len(words) > 0 {
			out[p] = words
		}
	}
	return out
}
