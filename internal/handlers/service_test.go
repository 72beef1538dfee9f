package handlers_test

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/ketacare/api/internal/apitest"
	"github.com/ketacare/api/internal/config"
)

// TestRoutesMatchSpec fails when Echo serves a route the spec does not
// document, or the spec documents one Echo does not serve.
func TestRoutesMatchSpec(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	var served, documented []string
	for _, r := range env.App.Echo.Routes() {
		parts := strings.Split(r.Path, "/")
		for i, p := range parts {
			if strings.HasPrefix(p, ":") {
				parts[i] = "{" + p[1:] + "}"
			}
		}
		served = append(served, r.Method+" "+strings.Join(parts, "/"))
	}
	for path, item := range env.Spec().Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	sort.Strings(served)
	sort.Strings(documented)
	if !slices.Equal(served, documented) {
		t.Fatalf("routes and spec differ:\nserved:     %v\ndocumented: %v", served, documented)
	}
}

func TestOperationalEndpoints(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	env.Get("/healthz", "").Expect(t, http.StatusOK)
	env.Get("/readyz", "").Expect(t, http.StatusOK)
	spec := env.Get("/openapi.yaml", "").Expect(t, http.StatusOK)
	if !bytes.HasPrefix(spec.Body, []byte("openapi: 3.0.3")) {
		t.Fatalf("/openapi.yaml is not the spec: %.40s", spec.Body)
	}
	page := env.Get("/docs", "").Expect(t, http.StatusOK)
	if !bytes.Contains(page.Body, []byte("/docs/assets/swagger-ui-bundle.js")) || bytes.Contains(page.Body, []byte("https://")) {
		t.Fatal("the reference page must load its assets from this server only")
	}
	for _, asset := range []string{"swagger-ui-bundle.js", "swagger-ui.css", "init.js"} {
		env.Get("/docs/assets/"+asset, "").Expect(t, http.StatusOK)
	}
	env.Get("/docs/assets/index.html", "").Expect(t, http.StatusNotFound).Problem(t)
	env.Get("/docs/assets/..%2Fembed.go", "").Expect(t, http.StatusBadRequest).Problem(t)
	env.Get("/v1/nothing-here", "").Expect(t, http.StatusNotFound).Problem(t)
	env.Do(apitest.Request{Method: http.MethodDelete, Path: "/v1/me"}).Expect(t, http.StatusMethodNotAllowed).Problem(t)

	// Without its database the service is not ready, and says so.
	env.App.Close()
	env.Get("/readyz", "").Expect(t, http.StatusServiceUnavailable).Problem(t)
	env.Get("/healthz", "").Expect(t, http.StatusOK)
}

func TestRequestIDIsEchoed(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	r := env.Do(apitest.Request{Method: http.MethodGet, Path: "/healthz", Header: http.Header{"X-Request-Id": {"trace-42"}}})
	if got := r.Header.Get("X-Request-Id"); got != "trace-42" {
		t.Fatalf("X-Request-ID = %q, want the client's", got)
	}
	r = env.Do(apitest.Request{Method: http.MethodGet, Path: "/healthz", Header: http.Header{"X-Request-Id": {"bad id with spaces"}}})
	if got := r.Header.Get("X-Request-Id"); got == "" || strings.Contains(got, " ") {
		t.Fatalf("an unsafe request id must be replaced, got %q", got)
	}
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	big := `{"email":"a@example.com","password":"a-decent-passphrase","display_name":"` + strings.Repeat("x", 2<<20) + `"}`
	env.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/auth/register", Body: big}).
		Expect(t, http.StatusRequestEntityTooLarge).Problem(t)
	login(env, "a@example.com", "a-decent-passphrase").Expect(t, http.StatusUnauthorized)
}

func TestResponsesAreNotCached(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	p := env.Patient("Pat")
	r := env.Get("/v1/me", p.Token).Expect(t, http.StatusOK)
	for h, want := range map[string]string{"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY"} {
		if got := r.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
}

// TestContentSecurityPolicy pins the policies: the API's forbids everything;
// the reference page's allows only what Swagger UI needs from this server,
// with no inline script or style and no eval (TestDocsInBrowser in cmd/api
// renders the page in Chromium under it).
func TestContentSecurityPolicy(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	const (
		api  = "default-src 'none'; frame-ancestors 'none'"
		docs = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
	)
	for path, want := range map[string]string{
		"/healthz": api, "/openapi.yaml": api, "/v1/me": api,
		"/docs": docs, "/docs/assets/init.js": docs, "/docs/assets/swagger-ui.css": docs,
	} {
		if got := env.Get(path, "").Header.Get("Content-Security-Policy"); got != want {
			t.Errorf("%s: Content-Security-Policy %q, want %q", path, got, want)
		}
	}
}

func TestCORS(t *testing.T) {
	t.Parallel()
	env := apitest.NewWith(t, func(c *config.Config) { c.CORSAllowedOrigins = []string{"https://app.clinic.example"} })
	preflight := func(origin string) *apitest.Response {
		return env.Do(apitest.Request{Method: http.MethodOptions, Path: "/v1/me", Header: http.Header{
			"Origin": {origin}, "Access-Control-Request-Method": {"PATCH"}, "Access-Control-Request-Headers": {"authorization,content-type"},
		}})
	}
	ok := preflight("https://app.clinic.example")
	if ok.Status != http.StatusNoContent || ok.Header.Get("Access-Control-Allow-Origin") != "https://app.clinic.example" {
		t.Fatalf("allowed origin: %d %v", ok.Status, ok.Header)
	}
	if got := preflight("https://evil.example").Header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Fatalf("a foreign origin was allowed: %q", got)
	}
	r := env.Do(apitest.Request{Method: http.MethodGet, Path: "/healthz", Header: http.Header{"Origin": {"https://app.clinic.example"}}})
	if r.Header.Get("Access-Control-Allow-Origin") != "https://app.clinic.example" {
		t.Fatal("simple requests from the allowed origin must carry Access-Control-Allow-Origin")
	}
}

func TestNULIsRefusedEverywhere(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	env.Get("/v1/patients?q=a%00b", admin.Token).Expect(t, http.StatusBadRequest).Problem(t)
	// An escaped backslash before u0000 is ordinary text.
	p := env.Patient("P")
	tag := env.Get("/v1/me", p.Token).Expect(t, http.StatusOK).ETag(t)
	env.Do(apitest.Request{Method: http.MethodPatch, Path: "/v1/me", Token: p.Token, Body: `{"display_name":"back\\u0000slash"}`,
		Header: http.Header{"If-Match": {tag}}}).Expect(t, http.StatusOK)
}

// TestSpecDeclaresEveryError fails when an operation leaves out an error
// response the service can give it, so the mobile team sees every one:
// 429, 500 and 503 for everything under /v1, 401 where a token is needed, 403
// where x-roles restricts, and 400, 413 and 415 for bodies.
func TestSpecDeclaresEveryError(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	doc := env.Spec()
	for path, item := range doc.Paths.Map() {
		if !strings.HasPrefix(path, "/v1/") {
			continue
		}
		for method, op := range item.Operations() {
			want := []string{"429", "500", "503"}
			sec := doc.Security
			if op.Security != nil {
				sec = *op.Security
			}
			if len(sec) > 0 {
				want = append(want, "401")
			}
			if _, ok := op.Extensions["x-roles"]; ok {
				want = append(want, "403")
			}
			if op.RequestBody != nil {
				want = append(want, "400", "413", "415")
			}
			for _, code := range want {
				if op.Responses.Value(code) == nil {
					t.Errorf("%s %s (%s) does not declare %s", method, path, op.OperationID, code)
				}
			}
		}
	}
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	env := apitest.NewWith(t, func(c *config.Config) { c.RateLimitPerMinute = 3 })
	p, q := env.Patient("P"), env.Patient("Q")
	for i := range 3 {
		r := env.Get("/v1/me", p.Token).Expect(t, http.StatusOK)
		if r.Header.Get("RateLimit-Policy") != `"default";q=3;w=60` || !strings.HasPrefix(r.Header.Get("RateLimit"), fmt.Sprintf(`"default";r=%d;t=`, 2-i)) {
			t.Fatalf("request %d: RateLimit-Policy %q, RateLimit %q", i+1, r.Header.Get("RateLimit-Policy"), r.Header.Get("RateLimit"))
		}
	}
	over := env.Get("/v1/me", p.Token).Expect(t, http.StatusTooManyRequests)
	over.Problem(t)
	if ra, err := strconv.Atoi(over.Header.Get("Retry-After")); err != nil || ra < 1 || ra > 60 {
		t.Fatalf("Retry-After = %q", over.Header.Get("Retry-After"))
	}
	// Each caller has their own allowance; health checks are not counted.
	env.Get("/v1/me", q.Token).Expect(t, http.StatusOK)
	env.Get("/healthz", "").Expect(t, http.StatusOK)

	// Refused requests count too: a client hammering with a bad token is
	// limited by its address, and told so in the headers of every refusal.
	for i := range 3 {
		r := env.Get("/v1/me", "not-a-token").Expect(t, http.StatusUnauthorized)
		if !strings.HasPrefix(r.Header.Get("RateLimit"), fmt.Sprintf(`"default";r=%d;`, 2-i)) {
			t.Fatalf("refusal %d: RateLimit %q", i+1, r.Header.Get("RateLimit"))
		}
	}
	env.Get("/v1/me", "not-a-token").Expect(t, http.StatusTooManyRequests)
	env.Post("/v1/auth/login", "", map[string]any{"email": "x@example.com", "password": "whatever-it-is"}).Expect(t, http.StatusTooManyRequests)
}

// TestMethodNotAllowedListsAllow: a 405 says which methods the path takes
// (RFC 9110 §15.5.6), exactly those the spec declares for it.
func TestMethodNotAllowedListsAllow(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	p := env.Patient("Pat")
	for _, tc := range []struct{ method, path, token, allow string }{
		{http.MethodDelete, "/v1/me", "", "GET, PATCH"},
		{http.MethodDelete, "/v1/me", p.Token, "GET, PATCH"},
		{http.MethodPut, "/v1/sessions/" + uuid.NewString(), p.Token, "GET, PATCH"},
		{http.MethodGet, "/v1/auth/login", "", "POST"},
		{http.MethodPost, "/healthz", "", "GET"},
		{http.MethodOptions, "/v1/me", "", "GET, PATCH"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			r := env.Do(apitest.Request{Method: tc.method, Path: tc.path, Token: tc.token})
			r.Expect(t, http.StatusMethodNotAllowed).Problem(t)
			if got := r.Header.Get("Allow"); got != tc.allow {
				t.Fatalf("Allow = %q, want %q", got, tc.allow)
			}
		})
	}
}
