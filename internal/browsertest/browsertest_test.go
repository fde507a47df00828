package browsertest

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/page"
)

// strictCSP is the policy ecrm's pages are written for.
const strictCSP = "default-src 'self'"

// newSite serves the home page, the language switch and the static files
// the way the real server does, under a strict Content-Security-Policy.
func newSite(t *testing.T) *httptest.Server {
	t.Helper()
	renderer, err := page.New()
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+page.LangSwitchPath, page.LangSwitchHandler)
	mux.Handle("GET "+page.StaticPrefix, renderer.StaticHandler())
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		renderer.Render(w, r, http.StatusOK, "home", nil)
	})
	// A page breaking the policy, to prove the violation recorder works.
	mux.HandleFunc("GET /inline-style", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!DOCTYPE html><html lang="en"><title>x</title><h1 style="color: red">inline</h1></html>`))
	})
	secured := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", strictCSP)
		i18n.Middleware(mux).ServeHTTP(w, r)
	})
	srv := httptest.NewServer(secured)
	t.Cleanup(srv.Close)
	return srv
}

// TestHomePageInRomanian loads the home page in a browser whose language is
// Romanian and checks the text a person sees, that the stylesheet applied
// and that the strict CSP blocked nothing.
func TestHomePageInRomanian(t *testing.T) {
	site := newSite(t)
	ctx := New(t)
	if err := SetAcceptLanguage(ctx, "ro-RO,ro;q=0.9,en;q=0.5"); err != nil {
		t.Fatal(err)
	}
	if err := RecordCSPViolations(ctx); err != nil {
		t.Fatal(err)
	}
	Visit(t, ctx, site.URL+"/", "h1")

	for _, tt := range []struct{ selector, want string }{
		{"h1", "Bine ați venit la ecrm"},
		{"#home-features", "Ce puteți face aici"},
		{".call-to-action .button", "Autentificare"},
		{".language-switch a", "English"},
		{".language-switch [aria-current]", "Română"},
	} {
		if got := Text(t, ctx, tt.selector); got != tt.want {
			t.Errorf("text of %s = %q, want %q", tt.selector, got, tt.want)
		}
	}
	title, err := chromedp.Run(ctx, chromedp.Title())
	if err != nil {
		t.Fatal(err)
	}
	if want := "Bine ați venit la ecrm · ecrm"; title != want {
		t.Errorf("title = %q, want %q", title, want)
	}
	lang, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.lang`))
	if err != nil {
		t.Fatal(err)
	}
	if lang != "ro" {
		t.Errorf(`<html lang> = %q, want "ro"`, lang)
	}
	// The header colour comes from app.css: the stylesheet loaded under the CSP.
	bg, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector(".site-header")).backgroundColor`))
	if err != nil {
		t.Fatal(err)
	}
	if want := "rgb(11, 61, 107)"; bg != want {
		t.Errorf("header background = %q, want %q (app.css not applied?)", bg, want)
	}
	if v := CSPViolations(t, ctx); len(v) != 0 {
		t.Errorf("CSP %q violations: %q", strictCSP, v)
	}
}

// TestLanguageSwitch clicks "Română" on the English page and expects the
// same page back in Romanian, still Romanian after a reload because the
// cookie outranks the browser's English Accept-Language.
func TestLanguageSwitch(t *testing.T) {
	site := newSite(t)
	ctx := New(t)
	if err := SetAcceptLanguage(ctx, "en-GB,en;q=0.9"); err != nil {
		t.Fatal(err)
	}
	Visit(t, ctx, site.URL+"/", "h1")
	if got := Text(t, ctx, "h1"); got != "Welcome to ecrm" {
		t.Fatalf("h1 = %q, want the English page", got)
	}

	if status := Follow(t, ctx, `.language-switch a[lang="ro"]`); status != http.StatusOK {
		t.Fatalf("after switching language: status %d", status)
	}
	location, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if location != site.URL+"/" {
		t.Errorf("after the switch the browser is at %s, want back at %s/", location, site.URL)
	}
	if got := Text(t, ctx, "h1"); got != "Bine ați venit la ecrm" {
		t.Errorf("h1 after switching = %q, want %q", got, "Bine ați venit la ecrm")
	}

	if err := chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("h1"))); err != nil {
		t.Fatal(err)
	}
	if got := Text(t, ctx, "h1"); got != "Bine ați venit la ecrm" {
		t.Errorf("h1 after reload = %q, want the language choice kept", got)
	}
}

// TestSkipLinkIsFirstTabStop checks the first Tab reaches the skip link and
// shows it on screen, and that it targets the main landmark.
func TestSkipLinkIsFirstTabStop(t *testing.T) {
	site := newSite(t)
	ctx := New(t)
	Visit(t, ctx, site.URL+"/", "h1")
	if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Tab)); err != nil {
		t.Fatal(err)
	}
	type focused struct {
		Class string  `json:"class"`
		Text  string  `json:"text"`
		Href  string  `json:"href"`
		Top   float64 `json:"top"`
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[focused](`(() => {
		const el = document.activeElement;
		return {class: el.className, text: el.innerText, href: el.getAttribute("href"), top: el.getBoundingClientRect().top};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if got.Class != "skip-link" || got.Text != "Skip to main content" || got.Href != "#main" {
		t.Errorf("first Tab focuses %+v, want the skip link to #main", got)
	}
	if got.Top < 0 {
		t.Errorf("focused skip link is off screen (top %v)", got.Top)
	}
}

// TestCSPRecorderCatchesInlineStyle is the negative control for
// CSPViolations: a page with a style attribute must be reported.
func TestCSPRecorderCatchesInlineStyle(t *testing.T) {
	site := newSite(t)
	ctx := New(t)
	if err := RecordCSPViolations(ctx); err != nil {
		t.Fatal(err)
	}
	Visit(t, ctx, site.URL+"/inline-style", "h1")
	if v := CSPViolations(t, ctx); len(v) == 0 {
		t.Error("a style attribute under default-src 'self' gave no CSP violation")
	}
}

var pngSignature = []byte("\x89PNG\r\n\x1a\n")

func assertPNG(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if !bytes.HasPrefix(b, pngSignature) || len(b) < 1000 {
		t.Errorf("%s is not a PNG screenshot (%d bytes, starts %q)", path, len(b), b[:min(len(b), 8)])
	}
}

func TestSaveScreenshot(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(ArtifactsEnv, dir)
	site := newSite(t)
	ctx := New(t)
	Visit(t, ctx, site.URL+"/", "h1")

	path, err := SaveScreenshot(ctx, "TestSomething/sub test: ă")
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "TestSomething_sub_test_.png"); path != want {
		t.Errorf("screenshot path = %s, want %s", path, want)
	}
	assertPNG(t, path)
}

// failedTB is a test that reports itself failed, to drive New's cleanup
// down its failure path without failing the real test.
type failedTB struct{ testing.TB }

func (failedTB) Failed() bool { return true }

// TestScreenshotOnFailure checks that a failed browser test leaves a
// screenshot named after it in the artifacts folder.
func TestScreenshotOnFailure(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: skipped with -short")
	}
	dir := t.TempDir()
	t.Setenv(ArtifactsEnv, dir)
	site := newSite(t)
	t.Run("failing", func(t *testing.T) {
		ctx := New(failedTB{t})
		Visit(t, ctx, site.URL+"/", "h1")
	})
	// The subtest's cleanups, screenshot included, have run.
	assertPNG(t, filepath.Join(dir, "TestScreenshotOnFailure_failing.png"))
}

func TestEnsureChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("may install Chromium: skipped with -short")
	}
	path, err := EnsureChromium()
	if err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(path); err != nil || info.IsDir() {
		t.Errorf("EnsureChromium() = %s, not an executable file (%v)", path, err)
	}
}

func TestModuleRootHoldsGoMod(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	want, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if root != want {
		t.Errorf("moduleRoot() = %s, want %s", root, want)
	}
}
