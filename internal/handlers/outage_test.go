package handlers_test

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/ketacare/api/internal/apitest"
	"github.com/ketacare/api/internal/config"
)

// TestDatabaseOutage stops the PostgreSQL server under a running service
// and starts it again: while it is down, /readyz and every API call answer
// 503 problem+json (never a 500 or a panic); once it is back the service
// serves again without a restart. It needs root and Debian's
// postgresql-common to make a private cluster; CI sets TEST_PG_OUTAGE=1.
func TestDatabaseOutage(t *testing.T) {
	if os.Getenv("TEST_PG_OUTAGE") == "" {
		t.Skip("set TEST_PG_OUTAGE=1 (as root, with pg_createcluster) to run the outage test")
	}
	const version = "15"
	name := fmt.Sprintf("outage%d", os.Getpid())
	port := 55400 + os.Getpid()%90
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	run("pg_createcluster", version, name, "-p", fmt.Sprint(port), "--", "--auth=trust")
	t.Cleanup(func() {
		_ = exec.Command("pg_ctlcluster", "--skip-systemctl-redirect", version, name, "stop", "-m", "immediate").Run()
		_ = exec.Command("pg_dropcluster", version, name).Run()
	})
	start := func() { run("pg_ctlcluster", "--skip-systemctl-redirect", version, name, "start") }
	stop := func() { run("pg_ctlcluster", "--skip-systemctl-redirect", version, name, "stop", "-m", "fast") }
	start()

	env := apitest.NewWith(t, func(c *config.Config) {
		c.DatabaseURL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	})
	p := env.Patient("Pat")
	env.Get("/v1/me", p.Token).Expect(t, http.StatusOK)

	stop()
	env.Get("/readyz", "").Expect(t, http.StatusServiceUnavailable).Problem(t)
	env.Get("/v1/me", p.Token).Expect(t, http.StatusServiceUnavailable).Problem(t)
	env.Post("/v1/mood-check-ins", p.Token, map[string]any{"mood": 5}).Expect(t, http.StatusServiceUnavailable).Problem(t)
	env.Get("/healthz", "").Expect(t, http.StatusOK)

	start()
	deadline := time.Now().Add(20 * time.Second)
	for env.Get("/readyz", "").Status != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatal("not ready 20s after the database came back")
		}
		time.Sleep(200 * time.Millisecond)
	}
	env.Get("/v1/me", p.Token).Expect(t, http.StatusOK)
	env.Post("/v1/mood-check-ins", p.Token, map[string]any{"mood": 5}).Expect(t, http.StatusCreated)
}
