package handlers_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ketacare/api/internal/apitest"
	"github.com/ketacare/api/internal/clock"
)

// TestOneClock: a service whose clock is set a month back reads that clock
// everywhere: the access tokens it signs are issued then (and it accepts
// them), the records it stamps are made then, and "in the future" is judged
// by it, with a device's clock.Skew and no more.
func TestOneClock(t *testing.T) {
	t.Parallel()
	clk := &clock.Replay{}
	at := time.Now().UTC().Add(-30 * 24 * time.Hour).Truncate(time.Second)
	clk.Set(at)
	env := apitest.NewWithClock(t, clk.Now, nil)
	near := func(got time.Time) bool { return got.Sub(at).Abs() < time.Minute }

	p := env.Patient("Alex Morgan")
	payload, err := base64.RawURLEncoding.DecodeString(strings.Split(p.Token, ".")[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims struct{ Iat, Exp int64 }
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	if iat := time.Unix(claims.Iat, 0); !near(iat) {
		t.Fatalf("the token was issued at %v, want the service's time, about %v", iat, at)
	}
	env.Get("/v1/me", p.Token).Expect(t, http.StatusOK)

	m := checkIn(t, env, p, map[string]any{"mood": 6})
	if !near(m.TakenAt) || !near(m.CreatedAt) {
		t.Fatalf("check-in taken %v, created %v; want both about %v", m.TakenAt, m.CreatedAt, at)
	}

	for _, tc := range []struct {
		name       string
		occurredAt time.Time
		want       int
	}{
		{"within a device's skew", at.Add(clock.Skew - time.Minute), http.StatusCreated},
		{"beyond a device's skew", at.Add(clock.Skew + time.Minute), http.StatusBadRequest},
		{"the real time, a month ahead of the service", time.Now(), http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := env.Post("/v1/activities", p.Token, map[string]any{"kind": "exercise", "occurred_at": tc.occurredAt.UTC().Format(time.RFC3339)}).Expect(t, tc.want)
			if tc.want == http.StatusBadRequest {
				r.Problem(t)
			}
		})
	}
}
