package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/getkin/kin-openapi/openapi3"

	"github.com/ketacare/api/docs"
)

// chromiumPath is Debian's chromium package; .ci/browser installs it.
const chromiumPath = "/usr/bin/chromium"

// TestDocsInBrowser opens /docs of the real binary in headless Chromium and
// checks that Swagger UI renders every operation of docs/openapi.yaml with no
// request leaving the server, no console error, no uncaught exception and no
// Content-Security-Policy violation. It saves a full-page screenshot.
func TestDocsInBrowser(t *testing.T) {
	if _, err := exec.LookPath(chromiumPath); err != nil {
		if os.Getenv("REQUIRE_BROWSER") == "1" {
			t.Fatalf("REQUIRE_BROWSER=1 but %s is missing: %v (install Debian's chromium package, or run .ci/browser)", chromiumPath, err)
		}
		t.Skipf("%s is missing: install Debian's chromium package (apt-get install chromium) to run the browser check", chromiumPath)
	}
	started := time.Now()
	srv := startBinary(t)
	t.Logf("binary built and ready in %s", time.Since(started).Round(time.Millisecond))
	host := strings.TrimPrefix(srv.base, "http://")
	want := specOperations(t)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ctx, cancel = chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		// The second guard: were the page to ask for anything but the server,
		// the request would go to a proxy on a port where nothing listens.
		chromedp.ProxyServer("http://"+freeAddr(t)),
		chromedp.Flag("proxy-bypass-list", "127.0.0.1"),
		chromedp.WindowSize(1280, 900),
	)
	defer cancel()

	var (
		mu       sync.Mutex
		problems []string
		requests int
	)
	record := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		problems = append(problems, fmt.Sprintf(format, args...))
	}
	// The listener sees every event of the tab from its first command, so no
	// request, message or exception of the page's life escapes it.
	ctx, cancel = chromedp.NewContext(ctx, chromedp.WithListener(func(ev any) {
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			mu.Lock()
			requests++
			mu.Unlock()
			if u, err := url.Parse(ev.Request.URL); err != nil ||
				(u.Scheme != "data" && u.Scheme != "blob" && (u.Scheme != "http" || u.Host != host)) {
				record("request to %s leaves the server %s", ev.Request.URL, host)
			}
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				var args []string
				for _, a := range ev.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				record("console.%s: %s", ev.Type, strings.Join(args, " "))
			}
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			text := d.Text
			if d.Exception != nil {
				text += " " + d.Exception.Description
			}
			record("uncaught exception at %s:%d: %s", d.URL, d.LineNumber+1, text)
		case *log.EventEntryAdded:
			// The browser's own messages: failed loads, CSP refusals.
			if ev.Entry.Level == log.EntryLevelError || ev.Entry.Source == log.EntrySourceSecurity {
				record("browser %s %s: %s (%s)", ev.Entry.Source, ev.Entry.Level, ev.Entry.Text, ev.Entry.URL)
			}
		}
	}))
	defer cancel()

	// Records each CSP violation in the page itself, with the directive and
	// the blocked resource, before any script of the page runs.
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", e =>
  window.__cspViolations.push(e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " at " + e.sourceFile + ":" + e.lineNumber));`,
	}); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}

	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(srv.base+"/docs"))
	if err != nil {
		t.Fatalf("open /docs: %v", err)
	}
	if resp.Status != 200 {
		t.Fatalf("/docs: status %d", resp.Status)
	}
	t.Logf("Chromium started and /docs loaded at %s", time.Since(started).Round(time.Millisecond))

	// Swagger UI fetches /openapi.yaml and renders; wait for every operation.
	rendered := waitFor[int](t, ctx, fmt.Sprintf(`document.querySelectorAll("#reference .opblock").length >= %d`, len(want)),
		`document.querySelectorAll("#reference .opblock").length`)
	type op struct {
		Method  string `json:"method"`
		Path    string `json:"path"`
		Summary string `json:"summary"`
	}
	ops, err := chromedp.Run(ctx, chromedp.Evaluate[[]op](`Array.from(document.querySelectorAll("#reference .opblock"), el => ({
  method: el.querySelector(".opblock-summary-method").textContent.trim(),
  path: el.querySelector(".opblock-summary-path").getAttribute("data-path"),
  summary: el.querySelector(".opblock-summary-description").textContent.trim(),
}))`))
	if err != nil {
		t.Fatalf("read the rendered operations: %v", err)
	}
	t.Logf("%d operations rendered at %s", rendered, time.Since(started).Round(time.Millisecond))
	var got []string
	for _, o := range ops {
		got = append(got, o.Method+" "+o.Path+" | "+o.Summary)
	}
	slices.Sort(got)
	if rendered != len(want) || !slices.Equal(got, want) {
		t.Errorf("rendered %d operations, the spec has %d\nmissing: %v\nextra: %v", rendered, len(want), minus(want, got), minus(got, want))
	}
	for _, known := range []string{
		"POST /v1/auth/login | Sign in with email and password",
		"GET /v1/journal-entries | The patient's own journal (patient)",
	} {
		if !slices.Contains(got, known) {
			t.Errorf("the reference lacks %q", known)
		}
	}

	// Expanding an operation renders its parameters and its body's schema.
	for _, x := range []struct{ id, section string }{
		{"operations-Journal-listJournalEntries", `.parameters tr[data-param-name="limit"]`},
		{"operations-Auth-login", `.opblock-section-request-body`},
	} {
		if err := chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS("#"+x.id+" .opblock-summary-control")),
			chromedp.WaitVisible(chromedp.CSS("#"+x.id+" "+x.section)),
		); err != nil {
			t.Fatalf("expand %s: %v", x.id, err)
		}
	}
	params, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll(
  "#operations-Journal-listJournalEntries .parameters tr[data-param-name]"), tr => tr.dataset.paramName)`))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"limit", "cursor", "updated_since", "session_id", "from", "to"} {
		if !slices.Contains(params, p) {
			t.Errorf("GET /v1/journal-entries shows parameters %v, lacking %q", params, p)
		}
	}
	login, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#operations-Auth-login .opblock-body")))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"Request body", "application/json", `"email"`, `"password"`, "Responses", "429"} {
		if !strings.Contains(login, s) {
			t.Errorf("expanded POST /v1/auth/login lacks %q:\n%s", s, login)
		}
	}

	// The body's Schema tab renders LoginRequest's model.
	const loginSchema = `#operations-Auth-login .opblock-section-request-body`
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(loginSchema+` button[data-name="model"]`)),
		chromedp.WaitVisible(chromedp.CSS(loginSchema+` .model-box`)),
	); err != nil {
		t.Fatalf("show the login body's schema: %v", err)
	}
	model, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(loginSchema+` .model-box`)))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"LoginRequest", "email", "password"} {
		if !strings.Contains(model, s) {
			t.Errorf("the login body's schema lacks %q:\n%s", s, model)
		}
	}

	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	path := screenshotPath(t, srv)
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	// go test hides a passing package's output unless -v; .ci/run prints
	// the folder, and this line shows it when the test is run alone.
	t.Logf("screenshot of /docs: %s", path)
	fmt.Println("screenshot of /docs:", path)

	violations, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.__cspViolations`))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range violations {
		record("CSP violation: %s", v)
	}
	mu.Lock()
	defer mu.Unlock()
	if requests == 0 {
		t.Error("saw no network events: the request check watched nothing")
	}
	for _, p := range problems {
		t.Error(p)
	}
	t.Logf("%d requests, %d problems, %d operations; done at %s", requests, len(problems), rendered, time.Since(started).Round(time.Millisecond))
}

// specOperations lists docs/openapi.yaml's operations as Swagger UI shows
// them, "METHOD path | summary", once under each of their tags, sorted.
func specOperations(t *testing.T) []string {
	t.Helper()
	spec, err := openapi3.NewLoader().LoadFromData(docs.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			for range max(1, len(op.Tags)) {
				ops = append(ops, method+" "+path+" | "+op.Summary)
			}
		}
	}
	slices.Sort(ops)
	return ops
}

// waitFor evaluates cond in the page until it is true or 15 seconds pass,
// then returns the value of result. The loop runs inside the page, in the
// evaluated expression itself, because the page's CSP forbids the eval that
// chromedp's Poll uses.
func waitFor[T any](t *testing.T, ctx context.Context, cond, result string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](fmt.Sprintf(`new Promise(resolve => {
  const deadline = Date.now() + 15000;
  (function check() {
    if ((%s) || Date.now() > deadline) return resolve(%s);
    setTimeout(check, 25);
  })();
})`, cond, result), chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("wait for %s: %v", cond, err)
	}
	return v
}

// minus returns the items of a that b lacks.
func minus(a, b []string) []string {
	var out []string
	for _, s := range a {
		if !slices.Contains(b, s) {
			out = append(out, s)
		}
	}
	return out
}

// screenshotPath is a file in TEST_ARTIFACTS_DIR, or else in the temporary
// folder, named after the database so the two CI runs keep both.
func screenshotPath(t *testing.T, srv *server) string {
	t.Helper()
	dir := os.Getenv("TEST_ARTIFACTS_DIR")
	if dir == "" {
		dir = os.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	db := "sqlite"
	if srv.dbURL != "" {
		db = "postgres"
	}
	return filepath.Join(dir, "ketacare-docs-"+db+".png")
}
