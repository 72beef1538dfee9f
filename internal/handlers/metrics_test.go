package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/ketacare/api/internal/apitest"
	"github.com/ketacare/api/internal/app"
	"github.com/ketacare/api/internal/config"
)

// TestMetrics scrapes /metrics after a few requests: requests are counted
// by route template and status, timed, the pool and the runtime reported,
// the alert counted once it is stored, and no label holds an id, an email
// or a path as sent.
func TestMetrics(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	p := env.Patient("Quinn")
	stranger := uuid.NewString()
	env.Get("/v1/me", p.Token).Expect(t, http.StatusOK)
	env.Get("/v1/me", "").Expect(t, http.StatusUnauthorized)
	env.Get("/v1/patients/"+stranger, p.Token).Expect(t, http.StatusNotFound)
	env.Get("/v1/nothing-here/"+p.Email, "").Expect(t, http.StatusNotFound)
	env.Do(apitest.Request{Method: http.MethodDelete, Path: "/v1/me", Token: p.Token}).Expect(t, http.StatusMethodNotAllowed)
	env.Post("/v1/assessments", p.Token, phq9(12, 1)).Expect(t, http.StatusCreated)
	env.Post("/v1/assessments", p.Token, phq9(12, 0)).Expect(t, http.StatusCreated)

	out := string(env.Get("/metrics", "").Expect(t, http.StatusOK).Body)
	for _, want := range []string{
		`ketacare_http_requests_total{method="GET",route="/v1/me",status="200"} 1`,
		`ketacare_http_requests_total{method="GET",route="/v1/me",status="401"} 1`,
		`ketacare_http_requests_total{method="GET",route="/v1/patients/:patient_id",status="404"} 1`,
		`ketacare_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`ketacare_http_requests_total{method="DELETE",route="unmatched",status="405"} 1`,
		`ketacare_http_requests_total{method="POST",route="/v1/assessments",status="201"} 2`,
		`ketacare_http_request_duration_seconds_bucket{method="GET",route="/v1/me",le="+Inf"} 2`,
		`ketacare_http_requests_in_flight 1`, // the scrape itself
		`ketacare_safety_alerts_created_total{reason="phq9_item9"} 1`,
		`go_sql_max_open_connections{db_name="ketacare"} 8`,
		`go_sql_open_connections{db_name="ketacare"}`,
		`go_goroutines `,
		`process_resident_memory_bytes `,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the metrics lack %s", want)
		}
	}

	label := regexp.MustCompile(`(\w+)="([^"]*)"`)
	anID := regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-`)
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		for _, m := range label.FindAllStringSubmatch(line, -1) {
			name, value := m[1], m[2]
			if anID.MatchString(value) || strings.Contains(value, "@") || strings.Contains(value, "nothing-here") {
				t.Errorf("label %s=%q carries personal data or a raw path: %s", name, value, line)
			}
			if name == "route" && value != "unmatched" && !strings.HasPrefix(value, "/") {
				t.Errorf("route label %q is not a template", value)
			}
		}
	}
}

// TestMetricsToken: with METRICS_TOKEN set, /metrics answers only the
// request that carries it, not even an admin's access token.
func TestMetricsToken(t *testing.T) {
	t.Parallel()
	const token = "scrape-token-for-tests-7f3a"
	env := apitest.NewWith(t, func(c *config.Config) { c.MetricsToken = token })
	for _, auth := range []string{"", "Bearer wrong-token", "Bearer " + env.Admin().Token, "Basic " + token, token} {
		r := env.Do(apitest.Request{Method: http.MethodGet, Path: "/metrics", Header: http.Header{"Authorization": {auth}}})
		r.Expect(t, http.StatusUnauthorized).Problem(t)
		if got := r.Header.Get("WWW-Authenticate"); got != `Bearer realm="ketacare"` {
			t.Errorf("Authorization %q: WWW-Authenticate %q", auth, got)
		}
	}
	r := env.Do(apitest.Request{Method: http.MethodGet, Path: "/metrics", Header: http.Header{"Authorization": {"Bearer " + token}}})
	if !bytes.Contains(r.Expect(t, http.StatusOK).Body, []byte("ketacare_http_requests_total")) {
		t.Fatalf("the metrics lack the request counter:\n%.500s", r.Body)
	}

	// In production, without a token, nobody may read them. (Production
	// refuses to serve as a superuser: on PostgreSQL it runs as a role of
	// its own, as deployed.)
	env = env.Reboot(func(c *config.Config) {
		c.MetricsToken, c.Env = "", config.Production
		apitest.LeastPrivilege(t, c)
	})
	env.Get("/metrics", "").Expect(t, http.StatusUnauthorized).Problem(t)
	env.Do(apitest.Request{Method: http.MethodGet, Path: "/metrics", Header: http.Header{"Authorization": {"Bearer "}}}).
		Expect(t, http.StatusUnauthorized).Problem(t)
}

// TestLogsCarryRequestID: every line logged while answering a request, the
// handler's own as well as the request line, names the request's id.
func TestLogsCarryRequestID(t *testing.T) {
	logs := &syncBuffer{}
	a, err := app.New(context.Background(), apitest.Config(t), slog.New(slog.NewJSONHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Echo)
	defer srv.Close()
	a.Close() // the readiness check fails and logs why

	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/readyz", nil)
	req.Header.Set("X-Request-ID", "trace-logs-42")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("/readyz without a database: %d", res.StatusCode)
	}
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("not a JSON log line: %s", line)
		}
		msg := rec["msg"].(string)
		if msg == "readiness check failed" || msg == "request" {
			seen[msg] = true
			if rec["request_id"] != "trace-logs-42" {
				t.Errorf("log line without the request id: %s", line)
			}
		}
	}
	if !seen["readiness check failed"] || !seen["request"] {
		t.Fatalf("missing log lines:\n%s", logs.String())
	}
}

// syncBuffer is a bytes.Buffer the server's goroutines may write at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
