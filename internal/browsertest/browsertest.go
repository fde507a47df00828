// Package browsertest runs ecrm's end-to-end tests in a real browser:
// Debian's headless Chromium, driven over the DevTools protocol by
// github.com/chromedp/chromedp.
//
// A test calls [New] to get a context bound to a fresh browser (its own
// temporary profile, a per-test timeout) and passes that context to
// chromedp actions or to the helpers here. When the test fails, a full-page
// screenshot is saved before the browser closes, to $ECRM_E2E_ARTIFACTS or
// <module root>/.e2e-artifacts/, and its path is logged.
//
// Browser tests are skipped only under go test -short. Otherwise a browser
// that is missing and cannot be installed fails the test: the end-to-end
// suite is part of "make test", and a silent skip would hide that pages were
// never checked in a browser.
package browsertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// TestTimeout bounds each browser test: every action on the context New
// returns fails once it is spent, so a stuck page fails fast with a
// screenshot instead of hanging until go test's own timeout.
const TestTimeout = 15 * time.Second

// startTimeout bounds starting Chromium and opening its first tab.
const startTimeout = 30 * time.Second

// screenshotTimeout bounds taking the screenshot of a failed test.
const screenshotTimeout = 5 * time.Second

// ArtifactsEnv names the environment variable that overrides where failure
// screenshots are written.
const ArtifactsEnv = "ECRM_E2E_ARTIFACTS"

// browserNames are the executables looked up on PATH, Debian's first.
var browserNames = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// debianChromium is where Debian's chromium package puts its launcher.
const debianChromium = "/usr/bin/chromium"

var ensure struct {
	sync.Mutex
	path string
	err  error
	done bool
}

// EnsureChromium returns the path of a Chromium (or Chrome) executable. It
// looks for /usr/bin/chromium, then chromium, chromium-browser and
// google-chrome on PATH. When none is there and the process runs as root, it
// installs Debian's chromium package with the module's scripts/apt-install
// (which waits for a package lock held by another apt run and says so);
// otherwise it returns an error giving the command to run. The answer is
// kept for the rest of the process, so parallel tests install at most once.
func EnsureChromium() (path string, err error) {
	ensure.Lock()
	defer ensure.Unlock()
	if ensure.done {
		return ensure.path, ensure.err
	}
	ensure.path, ensure.err = findOrInstallChromium()
	ensure.done = true
	return ensure.path, ensure.err
}

const installCommand = "apt-get update && apt-get install -y chromium"

func findOrInstallChromium() (string, error) {
	if path, ok := findChromium(); ok {
		return path, nil
	}
	if os.Geteuid() != 0 {
		return "", fmt.Errorf("browsertest: Chromium is not installed; install it with: sudo sh -c '%s'", installCommand)
	}
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	fmt.Fprintln(os.Stderr, "browsertest: Chromium not found; running scripts/apt-install chromium")
	cmd := exec.Command(filepath.Join(root, "scripts", "apt-install"), "chromium")
	cmd.Stdout = os.Stderr
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("browsertest: scripts/apt-install chromium: %w (install Chromium with: %s)", err, installCommand)
	}
	if path, ok := findChromium(); ok {
		return path, nil
	}
	return "", errors.New("browsertest: apt-get installed chromium but no chromium executable was found")
}

func findChromium() (string, bool) {
	if info, err := os.Stat(debianChromium); err == nil && !info.IsDir() && info.Mode()&0o111 != 0 {
		return debianChromium, true
	}
	for _, name := range browserNames {
		if path, err := exec.LookPath(name); err == nil {
			return path, true
		}
	}
	return "", false
}

// New starts a headless Chromium for one test and returns a chromedp
// context bound to its tab and to TestTimeout. The browser runs with a fresh
// temporary profile and without background traffic (no sync, component
// updates or QUIC), and closes in t.Cleanup; if the test failed by then, a
// full-page screenshot is saved first (see SaveScreenshot). Under go test
// -short the test is skipped; otherwise a missing browser fails it.
func New(t testing.TB) context.Context {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test: skipped with -short")
	}
	execPath, err := EnsureChromium()
	if err != nil {
		t.Fatal(err)
	}
	profile := t.TempDir() // removed after the browser has exited (cleanups run last-in first-out)
	// Chromium puts its singleton socket in a directory of its own under
	// TMPDIR and leaves it behind when it is killed; give it one that goes
	// with the test. Not under t.TempDir(): a socket path must stay short.
	scratch, err := os.MkdirTemp("", "ecrm-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(scratch) })

	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(execPath),
		chromedp.UserDataDir(profile),
		chromedp.Env("TMPDIR="+scratch),
		chromedp.Headless,
		chromedp.NoSandbox, // root in a container has no user namespace sandbox
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints"),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("use-mock-keychain", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.WindowSize(1280, 900),
	)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))

	// The first action starts the browser and binds it to browserCtx, which
	// has no deadline; a start that hangs is bounded here instead.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(browserCtx) }()
	select {
	case err = <-started:
	case <-time.After(startTimeout):
		err = fmt.Errorf("no answer after %s", startTimeout)
	}
	if err != nil {
		cancelBrowser()
		cancelAlloc()
		t.Fatalf("browsertest: start %s: %v", execPath, err)
	}

	testCtx, cancelTest := context.WithTimeout(browserCtx, TestTimeout)
	t.Cleanup(func() {
		if t.Failed() {
			shotCtx, cancel := context.WithTimeout(browserCtx, screenshotTimeout)
			path, err := SaveScreenshot(shotCtx, t.Name())
			cancel()
			if err != nil {
				t.Logf("browsertest: no failure screenshot: %v", err)
			} else {
				t.Logf("browsertest: failure screenshot: %s", path)
			}
		}
		cancelTest()
		cancelBrowser()
		cancelAlloc() // waits for the browser process to exit
	})
	return testCtx
}

// ArtifactsDir returns the folder failure screenshots go to:
// $ECRM_E2E_ARTIFACTS when set, else .e2e-artifacts/ in the module root
// (the folder holding go.mod, found from the working directory up). It
// creates the folder.
func ArtifactsDir() (string, error) {
	dir := os.Getenv(ArtifactsEnv)
	if dir == "" {
		root, err := moduleRoot()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(root, ".e2e-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("browsertest: artifacts folder: %w", err)
	}
	return dir, nil
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("browsertest: no go.mod above the working directory; set %s", ArtifactsEnv)
		}
		dir = parent
	}
}

var unsafeFileChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// SaveScreenshot writes a full-page PNG screenshot of the context's tab to
// ArtifactsDir, named after name (a test name; "/" and other characters
// unsafe in file names become "_"), and returns the file's path. A later
// screenshot with the same name replaces it.
func SaveScreenshot(ctx context.Context, name string) (string, error) {
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100 means PNG
	if err != nil {
		return "", fmt.Errorf("browsertest: screenshot: %w", err)
	}
	dir, err := ArtifactsDir()
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, unsafeFileChars.ReplaceAllString(name, "_")+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		return "", fmt.Errorf("browsertest: save screenshot: %w", err)
	}
	return path, nil
}

// SetAcceptLanguage makes the tab send value as Accept-Language (e.g.
// "ro-RO,ro;q=0.9") on every following request, as a browser set to that
// language would.
func SetAcceptLanguage(ctx context.Context, value string) error {
	_, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{
		Headers: network.Headers{"Accept-Language": value},
	})
	return err
}

// Visit loads url and waits until an element matching the CSS selector
// ready is visible; it fails the test otherwise.
func Visit(t testing.TB, ctx context.Context, url, ready string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(ready))); err != nil {
		t.Fatalf("visit %s, wait for %s: %v", url, ready, err)
	}
}

// Follow clicks the first element matching the CSS selector, a link or
// a submit button, waits for the page it leads to to load, and returns that
// page's HTTP status; it fails the test otherwise. The click must start a
// navigation.
func Follow(t testing.TB, ctx context.Context, selector string) int64 {
	t.Helper()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(selector), chromedp.NodeVisible))
	if err != nil {
		t.Fatalf("follow %s: %v", selector, err)
	}
	return resp.Status
}

// Text returns the visible text (innerText) of the first element matching
// the CSS selector; it fails the test when there is none.
func Text(t testing.TB, ctx context.Context, selector string) string {
	t.Helper()
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(selector), chromedp.NodeVisible))
	if err != nil {
		t.Fatalf("text of %s: %v", selector, err)
	}
	return text
}

// cspRecorder collects the page's Content-Security-Policy violations from
// the moment the document is created, before any of its own content runs.
const cspRecorder = `(() => {
	const seen = [];
	Object.defineProperty(window, "__ecrmCSPViolations", {value: seen});
	document.addEventListener("securitypolicyviolation", (e) => {
		seen.push(e.violatedDirective + " blocked " + (e.blockedURI || "inline") +
			(e.sourceFile ? " at " + e.sourceFile + ":" + e.lineNumber : ""));
	});
})();`

// RecordCSPViolations makes every page the tab loads from now on record
// its Content-Security-Policy violations (an inline style or script, a
// resource from another site), for CSPViolations to report. Call it before
// Visit. The recorder is injected through DevTools, so the policy does not
// block it.
func RecordCSPViolations(ctx context.Context) error {
	_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: cspRecorder,
	})
	return err
}

// CSPViolations returns the CSP violations of the current page, one line
// each, after letting the browser deliver pending reports; it fails the
// test if RecordCSPViolations was not called before the page loaded.
func CSPViolations(t testing.TB, ctx context.Context) []string {
	t.Helper()
	const script = `new Promise((resolve) => setTimeout(resolve, 50)).then(() =>
		window.__ecrmCSPViolations ? Array.from(window.__ecrmCSPViolations) : null)`
	got, err := chromedp.Run(ctx, chromedp.Evaluate[*[]string](script, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("read CSP violations: %v", err)
	}
	if got == nil {
		t.Fatal("CSPViolations: the page has no recorder; call RecordCSPViolations before Visit")
	}
	return *got
}
