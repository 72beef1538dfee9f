package handlers_test

import (
	"net/http"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/ketacare/api/internal/apitest"
	"github.com/ketacare/api/internal/config"
)

// TestTwoInstances runs two API instances on one database, as a clinic
// behind a load balancer would, and shows that what must hold across
// requests holds across instances: refresh-token rotation and reuse
// detection, Idempotency-Key replays, login throttling (parallel guesses
// sent to both included), and delta sync.
func TestTwoInstances(t *testing.T) {
	t.Parallel()
	a := apitest.New(t)
	b := a.Reboot(func(*config.Config) {})

	t.Run("refresh rotation", func(t *testing.T) {
		first := tokens(t, register(a, "twin@example.com", "a-decent-passphrase", "Twin").Expect(t, http.StatusCreated))
		second := tokens(t, b.Post("/v1/auth/refresh", "", map[string]any{"refresh_token": first.RefreshToken}).Expect(t, http.StatusOK))
		// An access token from either instance works on the other.
		a.Get("/v1/me", second.AccessToken).Expect(t, http.StatusOK)
		b.Get("/v1/me", first.AccessToken).Expect(t, http.StatusOK)
		// The first token, already used on b, is reuse on a: the family dies,
		// and its access tokens with it, on both instances.
		a.Post("/v1/auth/refresh", "", map[string]any{"refresh_token": first.RefreshToken}).Expect(t, http.StatusUnauthorized)
		b.Post("/v1/auth/refresh", "", map[string]any{"refresh_token": second.RefreshToken}).Expect(t, http.StatusUnauthorized)
		b.Get("/v1/me", second.AccessToken).Expect(t, http.StatusUnauthorized)
		a.Get("/v1/me", first.AccessToken).Expect(t, http.StatusUnauthorized)
	})

	t.Run("idempotency key", func(t *testing.T) {
		p := a.Patient("Pat")
		key := uuid.NewString()
		body := map[string]any{"mood": 4, "note": "tired"}
		req := apitest.Request{Method: http.MethodPost, Path: "/v1/mood-check-ins", Token: p.Token, Body: body, Header: withKey(key)}
		first := a.Do(req).Expect(t, http.StatusCreated)
		replay := b.Do(req).Expect(t, http.StatusCreated)
		if string(first.Body) != string(replay.Body) || replay.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("instance b must replay instance a's response:\n%s\n%s", first.Body, replay.Body)
		}
		if n := len(rawRows(t, a, "mood_check_ins")); n != 1 {
			t.Fatalf("%d mood check-ins, want 1", n)
		}
	})

	t.Run("login throttling", func(t *testing.T) {
		register(a, "locked@example.com", "a-decent-passphrase", "L").Expect(t, http.StatusCreated)
		for i := range 5 {
			env := a
			if i%2 == 1 {
				env = b
			}
			login(env, "locked@example.com", "wrong-passphrase").Expect(t, http.StatusUnauthorized)
		}
		login(a, "locked@example.com", "a-decent-passphrase").Expect(t, http.StatusTooManyRequests)
		login(b, "locked@example.com", "a-decent-passphrase").Expect(t, http.StatusTooManyRequests)
	})

	t.Run("parallel guesses", func(t *testing.T) {
		register(a, "burst@example.com", "a-decent-passphrase", "B").Expect(t, http.StatusCreated)
		statuses := make([]int, 40)
		var wg sync.WaitGroup
		for i := range statuses {
			env := a
			if i%2 == 1 {
				env = b
			}
			wg.Go(func() { statuses[i] = login(env.For(t), "burst@example.com", "wrong-passphrase").Status })
		}
		wg.Wait()
		if checked := len(statuses) - countOf(statuses, http.StatusTooManyRequests); checked < 1 || checked > 10 {
			t.Fatalf("%d of 40 guesses at one account, sent at once to two instances, were checked, want 1 to 10: %v", checked, statuses)
		}
	})

	t.Run("delta sync", func(t *testing.T) {
		p := a.Patient("Syncer")
		e1 := postEntry(t, a, p.Token, map[string]any{"body": "Written through a."})
		first := getSyncPage(t, b, p.Token, "", 0)
		if len(first.Items) != 1 || first.Items[0].ID != e1.ID {
			t.Fatalf("b's first sync: %+v", first.Items)
		}
		e2 := postEntry(t, b, p.Token, map[string]any{"body": "Written through b."})
		a.DeleteIf("/v1/journal-entries/"+e1.ID.String(), p.Token, a.Tag("/v1/journal-entries/"+e1.ID.String())).Expect(t, http.StatusNoContent)
		// b's token works on a, and a sees both instances' changes once each.
		next := getSyncPage(t, a, p.Token, first.NextToken, 0)
		if len(next.Items) != 2 || next.Items[0].ID != e2.ID || next.Items[1].ID != e1.ID || !next.Items[1].Deleted {
			t.Fatalf("a's incremental sync: %+v", next.Items)
		}
	})
}

// countOf is how many of statuses are status.
func countOf(statuses []int, status int) int {
	n := 0
	for _, s := range statuses {
		if s == status {
			n++
		}
	}
	return n
}
