package server_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/syncd/syncd/internal/store"
)

// EnvChromium names a Chromium (or Chrome) binary for the browser test;
// by default it looks for Debian's chromium on the PATH.
const EnvChromium = "SYNCD_CHROMIUM"

// EnvArtifacts names the directory the browser test saves its screenshots
// in; testdata/out beside this file (ignored by git) by default.
const EnvArtifacts = "SYNCD_TEST_ARTIFACTS"

func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv(EnvChromium); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("browser test skipped: no Chromium binary found (looked for chromium, chromium-browser, google-chrome on the PATH, and " +
		EnvChromium + "); install it with `apt-get install chromium`, as .ci/run does")
	return ""
}

func artifacts(t *testing.T) string {
	t.Helper()
	dir := os.Getenv(EnvArtifacts)
	if dir == "" {
		dir = filepath.Join("testdata", "out")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestStatusPageInBrowser drives the status page in headless Chromium as
// an operator would: a failed row is shown with its reason, its retry
// button requeues it, the lookup finds a record and links to it in
// HubSpot, a Thai browser gets Thai labels, and the language switch sticks.
// Screenshots of both languages are saved under testdata/out (or
// $SYNCD_TEST_ARTIFACTS).
func TestStatusPageInBrowser(t *testing.T) {
	t.Parallel()
	bin := chromium(t)
	out := artifacts(t)
	e := newEnv(t, "")
	// The endpoint keeps serving; with the daemon stopped, a requeued row
	// stays as the retry left it.
	e.stopDaemon()
	ctx := context.Background()
	cBad, tBad := e.id(t, "C-BAD"), e.id(t, "T-BAD")
	var reason, portal, hsID string
	if err := e.db.Pool.QueryRow(ctx, `SELECT (SELECT last_error FROM outbox WHERE id = $1),
	  (SELECT portal_id::text FROM id_map WHERE object_type = 'contact' AND erp_id = 'C-1'),
	  (SELECT hubspot_id FROM id_map WHERE object_type = 'contact' AND erp_id = 'C-1')`, cBad).Scan(&reason, &portal, &hsID); err != nil {
		t.Fatal(err)
	}

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1000),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	bctx, cancel := context.WithTimeout(bctx, 2*time.Minute)
	defer cancel()

	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(bctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(bctx, chromedp.Text(css(sel)))
		if err != nil {
			t.Fatalf("the text of %s: %v", sel, err)
		}
		return strings.TrimSpace(v)
	}
	attr := func(sel, name string) string {
		t.Helper()
		v, err := chromedp.Run(bctx, chromedp.AttributeValue(css(sel), name))
		if err != nil || !v.Exists {
			t.Fatalf("attribute %s of %s: %v (exists %v)", name, sel, err, v.Exists)
		}
		return v.Value
	}
	acceptLanguage := func(v string) {
		t.Helper()
		if _, err := chromedp.Call(bctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": v}}); err != nil {
			t.Fatal(err)
		}
	}
	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		path := filepath.Join(out, name)
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", path)
	}

	// An English browser: the failed row with its reason.
	if _, err := chromedp.Call(bctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("start Chromium (%s): %v", bin, err)
	}
	acceptLanguage("en-GB,en;q=0.9")
	do("open the page in English", chromedp.Navigate(e.url+"/"), chromedp.WaitVisible(css("#failed")))
	if shown := text(fmt.Sprintf("#row-%d td.reason", cBad)); shown != reason {
		t.Errorf("row %d's reason on the page = %q, want %q", cBad, shown, reason)
	}
	if h2 := text("#failed h2"); !strings.HasPrefix(h2, "Failed and dead rows") {
		t.Errorf("the English page's heading = %q", h2)
	}
	shot("status-en.png")

	// The dead row's retry button requeues it.
	do("retry the dead row",
		chromedp.Click(css(fmt.Sprintf("#row-%d button.retry-row", tBad))),
		chromedp.WaitVisible(css("p.flash")))
	if flash := text("p.flash"); !strings.Contains(flash, "Requeued 1 row(s)") {
		t.Errorf("after the retry the page says %q", flash)
	}
	if st, n := e.state(t, tBad); st != store.StatePending || n != 0 {
		t.Errorf("row %d after its retry button: %s with %d attempts, want pending with 0", tBad, st, n)
	}

	// The lookup finds C-1 and links to its contact in HubSpot.
	do("look C-1 up",
		chromedp.SetValue(css("#lookup-key"), "C-1"),
		chromedp.SetValue(css("#lookup-entity"), "customer"),
		chromedp.Click(css("#lookup-go")),
		chromedp.WaitVisible(css("#lookup-result a.hubspot-link")))
	if href, want := attr("#lookup-result a.hubspot-link", "href"), "https://app.hubspot.com/contacts/"+portal+"/record/0-1/"+hsID; href != want {
		t.Errorf("the lookup's link = %q, want %q", href, want)
	}
	shot("lookup-en.png")

	// A Thai browser gets the page in Thai.
	acceptLanguage("th-TH,th;q=0.9,en;q=0.5")
	do("open the page in Thai", chromedp.Navigate(e.url+"/"), chromedp.WaitVisible(css("#failed")))
	lang, thFailed, thBacklog := attr("html", "lang"), text("#failed h2"), text("#backlog h2")
	thRetry := text(fmt.Sprintf("#row-%d button.retry-row", cBad))
	if lang != "th" || !strings.HasPrefix(thFailed, "รายการที่ล้มเหลว") || thBacklog != "รายการในคิวตามประเภทข้อมูล" || thRetry != "ลองใหม่" {
		t.Errorf("the Thai page: lang %q, headings %q, %q, button %q", lang, thFailed, thBacklog, thRetry)
	}
	shot("status-th.png")

	// The switch goes to English and stays there for this browser.
	do("switch to English",
		chromedp.Click(css("#lang")),
		chromedp.WaitVisible(css("#failed")),
		chromedp.Navigate(e.url+"/"),
		chromedp.WaitVisible(css("#failed")))
	if lang, h2 := attr("html", "lang"), text("#failed h2"); lang != "en" || !strings.HasPrefix(h2, "Failed and dead rows") {
		t.Errorf("after the switch, a Thai browser sees lang %q, heading %q", lang, h2)
	}
}
