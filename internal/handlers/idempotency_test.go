package handlers_test

import (
	"bytes"
	"net/http"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/ketacare/api/internal/apitest"
)

func withKey(key string) http.Header { return http.Header{"Idempotency-Key": {key}} }

// TestIdempotencyKey: a flaky client's create is written, its response lost,
// and it retries with the same key: one record, the same response back.
func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := newClinic(t, env)
	key := uuid.NewString()
	body := map[string]any{"body": "What insights did I gain? That I can rest.", "mood": 7}
	create := func(who apitest.User, key string, body any) *apitest.Response {
		return env.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/journal-entries", Token: who.Token, Body: body, Header: withKey(key)})
	}

	first := create(c.patient, key, body).Expect(t, http.StatusCreated)
	retry := create(c.patient, key, body).Expect(t, http.StatusCreated)
	if !bytes.Equal(first.Body, retry.Body) || retry.Header.Get("Idempotent-Replayed") != "true" || retry.Header.Get("ETag") != first.Header.Get("ETag") {
		t.Fatalf("the retry must replay the first response:\n%s\n%s", first.Body, retry.Body)
	}
	if n := len(rawRows(t, env, "journal_entries")); n != 1 {
		t.Fatalf("%d journal entries, want exactly 1", n)
	}

	// The same key with another body is a client bug, not a retry.
	changed := map[string]any{"body": "Something else entirely.", "mood": 7}
	create(c.patient, key, changed).Expect(t, http.StatusUnprocessableEntity).Problem(t)
	// Keys are per user: another patient's same key is theirs alone.
	create(c.otherPatient, key, body).Expect(t, http.StatusCreated)
	if n := len(rawRows(t, env, "journal_entries")); n != 2 {
		t.Fatalf("%d journal entries, want 2", n)
	}
	// A refused request is replayed as refused, and still creates nothing.
	bad := uuid.NewString()
	create(c.patient, bad, map[string]any{"body": "x", "mood": 11}).Expect(t, http.StatusBadRequest)
	create(c.patient, bad, map[string]any{"body": "x", "mood": 11}).Expect(t, http.StatusBadRequest)

	// The kept response is sealed: the raw row holds none of the words.
	for _, row := range rawRows(t, env, "idempotency_keys") {
		for col, v := range row {
			if b, ok := v.([]byte); ok && bytes.Contains(b, []byte("I can rest")) {
				t.Fatalf("column %s keeps the response in plain text", col)
			}
			if s, ok := v.(string); ok && bytes.Contains([]byte(s), []byte("I can rest")) {
				t.Fatalf("column %s keeps the response in plain text", col)
			}
		}
	}
}

// TestIdempotencyKeyConcurrentRetries: retries racing the first request
// create exactly one record; each gets the first response or 409.
func TestIdempotencyKeyConcurrentRetries(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := newClinic(t, env)
	key := uuid.NewString()
	var wg sync.WaitGroup
	statuses := make([]int, 8)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := env.For(t).Do(apitest.Request{Method: http.MethodPost, Path: "/v1/mood-check-ins", Token: c.patient.Token,
				Body: map[string]any{"mood": 6, "taken_at": "2026-11-20T08:00:00Z"}, Header: withKey(key)})
			statuses[i] = r.Status
		}()
	}
	wg.Wait()
	created := 0
	for _, s := range statuses {
		switch s {
		case http.StatusCreated:
			created++
		case http.StatusConflict:
		default:
			t.Fatalf("status %d among %v", s, statuses)
		}
	}
	if created == 0 {
		t.Fatalf("no request succeeded: %v", statuses)
	}
	if n := len(rawRows(t, env, "mood_check_ins")); n != 1 {
		t.Fatalf("%d mood check-ins, want exactly 1", n)
	}
}

// TestIdempotentReplayIsAccess: replaying a clinician's create is reading
// the patient's records again: refused once the clinician is off the care
// team, and audited while they are on it.
func TestIdempotentReplayIsAccess(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := newClinic(t, env)
	key := uuid.NewString()
	req := apitest.Request{Method: http.MethodPost, Path: "/v1/patients/" + c.patient.ID.String() + "/evaluations", Token: c.clinician.Token,
		Body:   map[string]any{"evaluated_at": "2026-11-20T08:00:00Z", "outcome": "needs_more_information", "clinician_notes": "Asked about sleep."},
		Header: withKey(key)}
	env.Do(req).Expect(t, http.StatusCreated)
	countEvents := func() int { return len(rawRows(t, env, "audit_events")) }
	before := countEvents()
	env.Do(req).Expect(t, http.StatusCreated)
	if countEvents() != before+1 {
		t.Fatal("a replay must be audited like the request it repeats")
	}

	env.Delete("/v1/patients/"+c.patient.ID.String()+"/care-team/"+c.clinician.ID.String(), c.admin.Token).Expect(t, http.StatusNoContent)
	r := env.Do(req).Expect(t, http.StatusNotFound)
	r.Problem(t)
	if bytes.Contains(r.Body, []byte("Asked about sleep")) || bytes.Contains(r.Body, []byte(c.patient.ID.String())) {
		t.Fatal("a refused replay must not carry the record")
	}
}
