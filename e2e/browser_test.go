package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// skipBrowserEnv names the variable that skips the browser tests when set
// to 1.
const skipBrowserEnv = "SWITCHBOARD_TEST_SKIP_BROWSER"

// stepTimeout bounds one group of browser actions, so a page that never
// shows what a test waits for fails the test instead of hanging it.
const stepTimeout = 20 * time.Second

// screenshotDir is where the tests write their screenshots, relative to
// this package's folder, the working directory of `go test`.
var screenshotDir = filepath.Join("..", "test-output", "agent")

// chromiumPath returns the Chromium binary: /usr/bin/chromium, where
// Debian's package installs it, or the first chromium on PATH. Without one
// the test fails, unless SWITCHBOARD_TEST_SKIP_BROWSER=1 skips it.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if os.Getenv(skipBrowserEnv) == "1" {
		t.Skip(skipBrowserEnv + "=1: browser tests skipped")
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	if path, err := exec.LookPath("chromium"); err == nil {
		return path
	}
	t.Fatalf("chromium is not installed, and the browser tests need it: install it with "+
		"`apt-get install -y chromium`, or set %s=1 to skip these tests", skipBrowserEnv)
	return ""
}

// browser is one headless Chromium tab and the problems the page reported.
type browser struct {
	t   *testing.T
	ctx context.Context

	mu       sync.Mutex
	problems []string
}

// newBrowser starts headless Chromium with a fresh profile in a temporary
// folder, opens a tab sized like a laptop screen (1280×800) and stops the
// browser when the test ends. It records uncaught exceptions and console
// errors from scripts and security checks (Content-Security-Policy
// violations among them); checkNoProblems fails the test on any.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})

	b := &browser{t: t, ctx: ctx}
	// The first action starts the browser, so it runs without a timeout:
	// a timeout on it would stop the browser when it expires.
	require.NoError(t, chromedp.Do(ctx, laptop.emulate()), "start Chromium")
	require.NoError(t, chromedp.Listen(ctx, b.record))
	return b
}

// newTab opens another tab of the same browser, closed when the test
// ends. Tabs share cookies and localStorage but not sessionStorage.
func (b *browser) newTab() *browser {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	b.t.Cleanup(cancel)

	tab := &browser{t: b.t, ctx: ctx}
	require.NoError(b.t, chromedp.Do(ctx, laptop.emulate()), "open a tab")
	require.NoError(b.t, chromedp.Listen(ctx, tab.record))
	return tab
}

// record keeps the page's exceptions and error messages. It runs on
// chromedp's reader goroutine, so it only appends.
func (b *browser) record(ev any) {
	var problem string
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		problem = "exception: " + ev.ExceptionDetails.Text
		if ev.ExceptionDetails.Exception != nil {
			problem += " " + ev.ExceptionDetails.Exception.Description
		}
	case *log.EventEntryAdded:
		entry := ev.Entry
		if entry.Level == log.EntryLevelError && (entry.Source == log.EntrySourceJavascript || entry.Source == log.EntrySourceSecurity) {
			problem = string(entry.Source) + ": " + entry.Text
		}
	}
	if problem == "" {
		return
	}
	b.mu.Lock()
	b.problems = append(b.problems, problem)
	b.mu.Unlock()
}

// checkNoProblems fails the test when the page threw an exception or
// logged a script or security error.
func (b *browser) checkNoProblems() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	require.Empty(b.t, b.problems, "the page reported errors:\n%s", strings.Join(b.problems, "\n"))
}

// do runs actions in order within stepTimeout and fails the test on the
// first error, naming step in the failure message.
func (b *browser) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	require.NoError(b.t, chromedp.Do(ctx, actions...), step)
}

// text returns the visible text of the first element that sel matches.
func (b *browser) text(sel string) string {
	b.t.Helper()
	return run(b, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
}

// textContent returns the text content of the first element that sel
// matches, visible or not.
func (b *browser) textContent(sel string) string {
	b.t.Helper()
	return run(b, chromedp.TextContent(chromedp.CSS(sel), chromedp.NodeReady))
}

// visible reports whether the first element that sel matches exists and is
// rendered, without waiting.
func (b *browser) visible(sel string) bool {
	b.t.Helper()
	return run(b, chromedp.Evaluate[bool]("(el => !!el && el.checkVisibility())(document.querySelector("+jsString(sel)+"))"))
}

// attributeExists reports whether the first element that sel matches has
// attribute name.
func (b *browser) attributeExists(sel, name string) bool {
	b.t.Helper()
	return run(b, chromedp.AttributeValue(chromedp.CSS(sel), name, chromedp.NodeReady)).Exists
}

// fillSignIn replaces the sign-in form's email and password.
func (b *browser) fillSignIn(email, password string) {
	b.t.Helper()
	b.do("wait for the sign-in form", chromedp.WaitVisible(chromedp.ID("email")))
	// chromedp.SetValue cannot set an empty value: it reads "" back as a
	// failure.
	run(b, chromedp.Evaluate[bool](`["email", "password"].every(id => (document.getElementById(id).value = "") === "")`))
	b.do("fill the sign-in form",
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), password))
}

// attribute returns attribute name of the first element that sel matches,
// failing the test when the element lacks it.
func (b *browser) attribute(sel, name string) string {
	b.t.Helper()
	result := run(b, chromedp.AttributeValue(chromedp.CSS(sel), name, chromedp.NodeReady))
	require.True(b.t, result.Exists, "%s has no %s attribute", sel, name)
	return result.Value
}

// count returns how many elements sel matches now, without waiting.
func (b *browser) count(sel string) int {
	b.t.Helper()
	return run(b, chromedp.Evaluate[int]("document.querySelectorAll("+jsString(sel)+").length"))
}

// screen is a viewport size of the screenshots, in CSS pixels.
type screen struct {
	name          string
	width, height int64
	// mobile emulates a phone in portrait with a touch screen.
	mobile bool
}

// The screens of the screenshots: a laptop, which is also the viewport the
// tests run in, and a phone.
var (
	laptop = screen{name: "laptop", width: 1280, height: 800}
	phone  = screen{name: "phone", width: 390, height: 844, mobile: true}
)

func (s screen) emulate() chromedp.Action[chromedp.Void] {
	if s.mobile {
		return chromedp.EmulateViewport(s.width, s.height, chromedp.EmulateMobile, chromedp.EmulatePortrait, chromedp.EmulateTouch)
	}
	return chromedp.EmulateViewport(s.width, s.height)
}

// screenshot writes a PNG of the viewport on screen to
// test-output/agent/<name>-<screen>.png, then sets the laptop viewport back.
func (b *browser) screenshot(name string, on screen) {
	b.t.Helper()
	b.screenshotTo(screenshotDir, name, on, chromedp.CaptureScreenshot())
}

// screenshotTo writes a PNG that capture takes on screen to
// dir/<name>-<screen>.png, then sets the laptop viewport back.
func (b *browser) screenshotTo(dir, name string, on screen, capture chromedp.Action[[]byte]) {
	b.t.Helper()
	b.resize(on.emulate())
	png := run(b, capture)
	b.resize(laptop.emulate())

	require.NoError(b.t, os.MkdirAll(dir, 0o755))
	path := filepath.Join(dir, name+"-"+on.name+".png")
	require.NoError(b.t, os.WriteFile(path, png, 0o644))
	b.t.Logf("screenshot: %s", path)
}

// resize applies a viewport emulation and waits until the page has laid
// out and painted at the new size: the second animation frame after the
// change runs after its paint.
func (b *browser) resize(emulation chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	b.do("resize the viewport", emulation)
	run(b, chromedp.Evaluate[bool]("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))",
		chromedp.EvalAwaitPromise))
}

// run runs one action that returns a value, within stepTimeout.
func run[T any](b *browser, action chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	value, err := chromedp.Run(ctx, action)
	require.NoError(b.t, err)
	return value
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}
