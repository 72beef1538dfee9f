package handlers_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ketacare/api/internal/api"
	"github.com/ketacare/api/internal/apitest"
	"github.com/ketacare/api/internal/store"
)

// syncedRecords writes one record of every synced type for the clinic's
// patient through the API (the session straight in the database, as the
// journal tests do), and some for the other patient, which must never
// show in the patient's sync.
func syncedRecords(t *testing.T, env *apitest.Env, c clinic) {
	t.Helper()
	sessionID := newSession(t, env, c.patient.ID, c.clinician.ID)
	postEntry(t, env, c.patient.Token, map[string]any{"body": "The room felt very far away, then very close.", "session_id": sessionID, "insights": []string{"I can let go"}})
	postActivity(t, env, c.patient.Token, map[string]any{"kind": "nature", "occurred_at": time.Now().UTC().Add(-time.Hour).Format(time.RFC3339), "note": "A walk by the river"})
	g := postGoal(t, env, c.patient.Token, map[string]any{"title": "Call my sister", "category": "connection"})
	env.Post("/v1/goals/"+g.ID.String()+"/check-ins", c.patient.Token, map[string]any{"progress": 40, "note": "Texted her"}).Expect(t, http.StatusCreated)
	checkIn(t, env, c.patient, map[string]any{"mood": 6, "note": "Steadier today"})
	assess(t, env, c.patient, phq9(9, 0))

	newSession(t, env, c.otherPatient.ID, c.clinician.ID)
	postEntry(t, env, c.otherPatient.Token, map[string]any{"body": "Someone else's words"})
	checkIn(t, env, c.otherPatient, map[string]any{"mood": 3})
}

func TestSyncFirstSyncHasEverything(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := newClinic(t, env)
	syncedRecords(t, env, c)

	app := newSyncClient(env, c.patient.Token)
	items := app.catchUp(t, 0)
	types := map[string]int{}
	for _, it := range items {
		if it.Deleted {
			t.Errorf("first sync has a tombstone for %s", it)
		}
		types[it.Type]++
	}
	want := map[string]int{"journal_entry": 1, "activity": 1, "goal": 1, "goal_check_in": 1, "mood_check_in": 1, "assessment": 1, "treatment_session": 1}
	if fmt.Sprint(types) != fmt.Sprint(want) {
		t.Fatalf("first sync has %v, want %v", types, want)
	}
	// Each record exactly as its own GET (or list) gives it to the patient:
	// the session with the journal entry about it and no clinical notes.
	app.expectCopy(t, serverState(t, env, c.patient))
	if r := app.repeats(); len(r) > 0 {
		t.Fatalf("repeated: %v", r)
	}

	// Nothing changed: an empty page, and the same position.
	p := getSyncPage(t, env, c.patient.Token, app.since, 0)
	if len(p.Items) != 0 || p.HasMore {
		t.Fatalf("a sync with nothing new returned %d items, has_more %v", len(p.Items), p.HasMore)
	}
	app.apply(p)
	if items := app.catchUp(t, 0); len(items) != 0 {
		t.Fatalf("nothing changed, yet %d items", len(items))
	}
}

func TestSyncIncremental(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := newClinic(t, env)
	tok := c.patient.Token
	sessionID := newSession(t, env, c.patient.ID, c.clinician.ID)
	e := postEntry(t, env, tok, map[string]any{"body": "First draft"})
	a := postActivity(t, env, tok, map[string]any{"kind": "exercise", "occurred_at": time.Now().UTC().Format(time.RFC3339)})
	g := postGoal(t, env, tok, map[string]any{"title": "Sleep before midnight", "category": "self_care"})
	var ci api.GoalCheckIn
	env.Post("/v1/goals/"+g.ID.String()+"/check-ins", tok, map[string]any{"progress": 20}).Expect(t, http.StatusCreated).JSON(t, &ci)
	kept := postGoal(t, env, tok, map[string]any{"title": "Walk every morning", "category": "self_care"})

	app := newSyncClient(env, tok)
	app.catchUp(t, 0)

	// Edited twice: delivered once, as it is now.
	entryPath := "/v1/journal-entries/" + e.ID.String()
	env.PatchIf(entryPath, tok, env.Tag(entryPath), map[string]any{"body": "Second draft"}).Expect(t, http.StatusOK)
	env.PatchIf(entryPath, tok, env.Tag(entryPath), map[string]any{"body": "Third draft", "session_id": sessionID}).Expect(t, http.StatusOK)
	env.Delete("/v1/activities/"+a.ID.String(), tok).Expect(t, http.StatusNoContent)
	// The goal goes with its check-in: both are tombstoned.
	env.DeleteIf("/v1/goals/"+g.ID.String(), tok, env.Tag("/v1/goals/"+g.ID.String())).Expect(t, http.StatusNoContent)
	m := checkIn(t, env, c.patient, map[string]any{"mood": 8})
	// A change by the care team is a change too.
	env.PatchIf("/v1/sessions/"+sessionID.String(), c.clinician.Token, env.Tag("/v1/sessions/"+sessionID.String()),
		map[string]any{"journey": map[string]any{
			"started_at": time.Now().UTC().Add(-3 * time.Hour).Format(time.RFC3339),
			"ended_at":   time.Now().UTC().Add(-2 * time.Hour).Format(time.RFC3339),
			"notes":      "Calm throughout",
		}}).Expect(t, http.StatusOK)

	items := app.catchUp(t, 0)
	got := map[string]syncItem{}
	for _, it := range items {
		if _, dup := got[it.String()]; dup {
			t.Errorf("%s comes twice in one sync", it)
		}
		got[it.String()] = it
	}
	for key, deleted := range map[syncKey]bool{
		{"journal_entry", e.ID}:          false,
		{"activity", a.ID}:               true,
		{"goal", g.ID}:                   true,
		{"goal_check_in", ci.ID}:         true,
		{"mood_check_in", m.ID}:          false,
		{"treatment_session", sessionID}: false,
	} {
		it, ok := got[key.String()]
		if !ok {
			t.Errorf("%s is missing from the sync", key)
			continue
		}
		if it.Deleted != deleted {
			t.Errorf("%s: deleted %v, want %v", key, it.Deleted, deleted)
		}
	}
	if _, ok := got[syncKey{"goal", kept.ID}.String()]; ok {
		t.Error("an unchanged goal came again")
	}
	if len(got) != 6 {
		t.Errorf("sync has %d records, want 6: %v", len(got), keysOf(got))
	}
	if rec := got[syncKey{"journal_entry", e.ID}.String()].Record; rec["body"] != "Third draft" || rec["version"] != float64(3) {
		t.Errorf("the entry came as %v, want the third draft at version 3", rec)
	}
	// The session now lists the entry about it; the patient never sees the
	// care team's notes.
	sess := got[syncKey{"treatment_session", sessionID}.String()].Record
	integration, _ := sess["integration"].(map[string]any)
	if ids, _ := integration["journal_entry_ids"].([]any); len(ids) != 1 || ids[0] != e.ID.String() {
		t.Errorf("session integration %v, want the entry's id", integration)
	}
	if journey, _ := sess["journey"].(map[string]any); journey["notes"] != nil {
		t.Error("the care team's journey notes reached the patient's sync")
	}
	app.expectCopy(t, serverState(t, env, c.patient))
	if r := app.repeats(); len(r) > 0 {
		t.Fatalf("repeated: %v", r)
	}
}

func TestSyncTombstoneCarriesDeletionTime(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	patient := env.Patient("Robin")
	a := postActivity(t, env, patient.Token, map[string]any{"kind": "creativity", "occurred_at": time.Now().UTC().Format(time.RFC3339)})
	first := getSyncPage(t, env, patient.Token, "", 0)
	before := time.Now().Add(-time.Second)
	env.Delete("/v1/activities/"+a.ID.String(), patient.Token).Expect(t, http.StatusNoContent)
	after := time.Now().Add(time.Second)

	var page api.SyncPage
	env.Get("/v1/sync?since="+first.NextToken, patient.Token).Expect(t, http.StatusOK).JSON(t, &page)
	if len(page.Items) != 1 {
		t.Fatalf("want the one tombstone, got %d items", len(page.Items))
	}
	ts := page.Items[0]
	if ts.Type != api.SyncRecordTypeActivity || ts.ID != a.ID || ts.DeletedAt == nil || ts.Activity != nil {
		t.Fatalf("tombstone %+v", ts)
	}
	if ts.DeletedAt.Before(before) || ts.DeletedAt.After(after) || ts.DeletedAt.Location() != time.UTC {
		t.Fatalf("deleted_at %v, want between %v and %v, in UTC", ts.DeletedAt, before, after)
	}
}

func TestSyncPaging(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	patient := env.Patient("Kai")
	const n = 12
	var entries []api.JournalEntry
	for i := range n {
		entries = append(entries, postEntry(t, env, patient.Token, map[string]any{"body": fmt.Sprintf("Entry %d", i)}))
	}

	app := newSyncClient(env, patient.Token)
	var sizes []int
	var more []bool
	for {
		p := getSyncPage(t, env, patient.Token, app.since, 5)
		app.apply(p)
		sizes, more = append(sizes, len(p.Items)), append(more, p.HasMore)
		if !p.HasMore {
			break
		}
		if len(sizes) == 1 {
			// Between pages: an entry already delivered is edited, one not
			// yet delivered is deleted, and a new one is written. The edit
			// and the new entry come on a later page; the deleted one comes
			// only as a tombstone.
			path := "/v1/journal-entries/" + entries[0].ID.String()
			env.PatchIf(path, patient.Token, env.Tag(path), map[string]any{"mood": 4}).Expect(t, http.StatusOK)
			path = "/v1/journal-entries/" + entries[n-1].ID.String()
			env.DeleteIf(path, patient.Token, env.Tag(path)).Expect(t, http.StatusNoContent)
			postEntry(t, env, patient.Token, map[string]any{"body": "Written while paging"})
		}
	}
	// 12 entries, less the deleted one, plus its tombstone, the edit and the
	// new entry: 14 items in pages of 5.
	if fmt.Sprint(sizes) != "[5 5 4]" || fmt.Sprint(more) != "[true true false]" {
		t.Fatalf("pages %v, has_more %v; want [5 5 4], [true true false]", sizes, more)
	}
	if app.delivered[syncKey{"journal_entry", entries[n-1].ID}.String()+" v1"] != 0 {
		t.Error("the entry deleted before its page came was delivered")
	}
	app.expectCopy(t, serverState(t, env, patient))
	if r := app.repeats(); len(r) > 0 {
		t.Fatalf("repeated: %v", r)
	}
}

// TestSyncUnderConcurrentWriters pages through /v1/sync with a small page
// while several devices write, edit and delete journal entries, mood
// check-ins, goals and goal check-ins at once: every change reaches the
// app, none twice, and once the writers stop the app's copy is exactly the
// server's. A second device that starts from scratch midway ends the same.
func TestSyncUnderConcurrentWriters(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	patient := env.Patient("Jules")
	tok := patient.Token
	const writers, rounds = 4, 10

	var wg sync.WaitGroup
	// Should the reader fail the test, the writers finish before the
	// service stops under them.
	t.Cleanup(wg.Wait)
	failures := make(chan string, writers*rounds*10)
	expect := func(res *apitest.Response, status int, what string) bool {
		if res.Status != status {
			failures <- fmt.Sprintf("%s: want %d, got %d: %s", what, status, res.Status, res.Body)
			return false
		}
		return true
	}
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				who := fmt.Sprintf("writer %d round %d", w, r)
				res := env.Post("/v1/journal-entries", tok, map[string]any{"body": who})
				if !expect(res, http.StatusCreated, who+" entry") {
					continue
				}
				var e api.JournalEntry
				_ = json.Unmarshal(res.Body, &e)
				path := "/v1/journal-entries/" + e.ID.String()
				res = env.PatchIf(path, tok, res.Header.Get("ETag"), map[string]any{"body": who + ", edited", "mood": 1 + r%10})
				if expect(res, http.StatusOK, who+" entry edit") && r%3 == 0 {
					expect(env.DeleteIf(path, tok, res.Header.Get("ETag")), http.StatusNoContent, who+" entry delete")
				}

				expect(env.Post("/v1/mood-check-ins", tok, map[string]any{"mood": 1 + (w+r)%10}), http.StatusCreated, who+" mood")

				res = env.Post("/v1/goals", tok, map[string]any{"title": who, "category": "other"})
				if !expect(res, http.StatusCreated, who+" goal") {
					continue
				}
				var g api.Goal
				_ = json.Unmarshal(res.Body, &g)
				gpath := "/v1/goals/" + g.ID.String()
				expect(env.Post(gpath+"/check-ins", tok, map[string]any{"progress": 10 * (r % 10)}), http.StatusCreated, who+" check-in")
				// The check-in made a new version of the goal: edit that one.
				res = env.Get(gpath, tok)
				if !expect(res, http.StatusOK, who+" goal read") {
					continue
				}
				res = env.PatchIf(gpath, tok, res.Header.Get("ETag"), map[string]any{"status": "paused"})
				if expect(res, http.StatusOK, who+" goal edit") && r%4 == 1 {
					expect(env.DeleteIf(gpath, tok, res.Header.Get("ETag")), http.StatusNoContent, who+" goal delete")
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()

	phone := newSyncClient(env, tok)
	var tablet *syncClient
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		phone.catchUp(t, 3)
		if tablet == nil && phone.pages > 20 {
			tablet = newSyncClient(env, tok)
		}
		if tablet != nil {
			tablet.catchUp(t, 7)
		}
	}
	close(failures)
	for f := range failures {
		t.Error(f)
	}
	// The writers are done: one last sync each.
	phone.catchUp(t, 3)
	if tablet == nil {
		tablet = newSyncClient(env, tok)
	}
	tablet.catchUp(t, 7)

	want := serverState(t, env, patient)
	if len(want) < writers*rounds {
		t.Fatalf("only %d records on the server", len(want))
	}
	for name, app := range map[string]*syncClient{"phone": phone, "tablet": tablet} {
		t.Run(name, func(t *testing.T) {
			app.expectCopy(t, want)
			if r := app.repeats(); len(r) > 0 {
				t.Fatalf("delivered more than once: %v", r)
			}
		})
	}
	t.Logf("phone read %d pages, tablet %d; %d records", phone.pages, tablet.pages, len(want))
}

// ageToken returns the token as if issued at issued.
func ageToken(t *testing.T, token string, issued time.Time) string {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	m["t"] = issued.UTC().Format(time.RFC3339Nano)
	b, _ = json.Marshal(m)
	return base64.RawURLEncoding.EncodeToString(b)
}

func expectGone(t *testing.T, env *apitest.Env, token, since string) {
	t.Helper()
	p := env.Get("/v1/sync?since="+since, token).Expect(t, http.StatusGone).Problem(t)
	if p.Type != "urn:ketacare:problem:gone" || !strings.Contains(p.Detail, "sync again") {
		t.Fatalf("410 problem %+v", p)
	}
}

func TestSyncTokenExpiry(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	patient := env.Patient("Noor")
	tok := patient.Token
	postEntry(t, env, tok, map[string]any{"body": "Before"})
	token := getSyncPage(t, env, tok, "", 0).NextToken

	t.Run("a token older than 90 days", func(t *testing.T) {
		getSyncPage(t, env, tok, ageToken(t, token, time.Now().Add(-89*24*time.Hour)), 0)
		expectGone(t, env, tok, ageToken(t, token, time.Now().Add(-91*24*time.Hour)))
	})

	t.Run("deletions after the token were pruned", func(t *testing.T) {
		e := postEntry(t, env, tok, map[string]any{"body": "Soon gone"})
		path := "/v1/journal-entries/" + e.ID.String()
		env.DeleteIf(path, tok, env.Tag(path)).Expect(t, http.StatusNoContent)
		later := getSyncPage(t, env, tok, token, 0)
		if len(later.Items) != 1 || !later.Items[0].Deleted {
			t.Fatalf("want the tombstone, got %+v", later.Items)
		}
		recent := postEntry(t, env, tok, map[string]any{"body": "Also soon gone"})
		path = "/v1/journal-entries/" + recent.ID.String()
		env.DeleteIf(path, tok, env.Tag(path)).Expect(t, http.StatusNoContent)

		// The first deletion was 91 days ago; the second 89.
		now := time.Now().UTC()
		age := func(id uuid.UUID, ago time.Duration) {
			if err := env.DB.Exec("UPDATE sync_changes SET deleted_at = ? WHERE record_id = ?", now.Add(-ago), id).Error; err != nil {
				t.Fatal(err)
			}
		}
		age(e.ID, 91*24*time.Hour)
		age(recent.ID, 89*24*time.Hour)
		pruned, err := env.App.Store.PruneSyncLog(context.Background(), now.Add(-store.SyncRetention))
		if err != nil || pruned != 1 {
			t.Fatalf("pruned %d tombstones (%v), want 1", pruned, err)
		}

		// A token from before the pruned deletion would miss it: 410.
		expectGone(t, env, tok, token)
		// One from after it misses nothing and still works: the second
		// entry, written and deleted since, is one tombstone.
		p := getSyncPage(t, env, tok, later.NextToken, 0)
		if len(p.Items) != 1 || p.Items[0].ID != recent.ID || !p.Items[0].Deleted {
			t.Fatalf("after the pruned deletion: %+v", p.Items)
		}
		// Starting again from scratch works, without the pruned tombstone.
		fresh := newSyncClient(env, tok)
		for _, it := range fresh.catchUp(t, 0) {
			if it.ID == e.ID {
				t.Fatal("the pruned tombstone is still served")
			}
		}
		fresh.expectCopy(t, serverState(t, env, patient))

		// Pruning again finds nothing more.
		if n, err := env.App.Store.PruneSyncLog(context.Background(), now.Add(-store.SyncRetention)); err != nil || n != 0 {
			t.Fatalf("second prune: %d, %v", n, err)
		}
	})

	t.Run("a token ahead of the log", func(t *testing.T) {
		var m map[string]any
		b, _ := base64.RawURLEncoding.DecodeString(token)
		_ = json.Unmarshal(b, &m)
		m["s"] = 1_000_000
		b, _ = json.Marshal(m)
		expectGone(t, env, tok, base64.RawURLEncoding.EncodeToString(b))
	})
}

func TestSyncAccess(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := newClinic(t, env)
	syncedRecords(t, env, c)
	patientToken := getSyncPage(t, env, c.patient.Token, "", 0).NextToken

	for _, tc := range []struct {
		name   string
		who    apitest.User
		status int
	}{
		{"clinician on the care team", c.clinician, http.StatusForbidden},
		{"admin", c.admin, http.StatusForbidden},
		{"no token", apitest.User{}, http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env.Get("/v1/sync", tc.who.Token).Expect(t, tc.status).Problem(t)
		})
	}

	t.Run("another patient's token", func(t *testing.T) {
		// The other patient's own sync holds only their records.
		other := newSyncClient(env, c.otherPatient.Token)
		other.catchUp(t, 0)
		other.expectCopy(t, serverState(t, env, c.otherPatient))

		// Replaying the patient's token as the other patient: 410, and not
		// a word of the patient's records.
		res := env.Get("/v1/sync?since="+patientToken, c.otherPatient.Token).Expect(t, http.StatusGone)
		res.Problem(t)
		for k := range serverState(t, env, c.patient) {
			if strings.Contains(string(res.Body), k.ID.String()) {
				t.Fatalf("410 names the patient's %s", k)
			}
		}
		// Aged back to seq 0 it is still refused.
		b, _ := base64.RawURLEncoding.DecodeString(patientToken)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		m["s"] = 0
		b, _ = json.Marshal(m)
		expectGone(t, env, c.otherPatient.Token, base64.RawURLEncoding.EncodeToString(b))
	})

	for _, tc := range []struct {
		name, query, field string
	}{
		{"not base64", "since=%25%25%25", "query.since"},
		{"not a token", "since=" + base64.RawURLEncoding.EncodeToString([]byte(`{"x":1}`)), "query.since"},
		{"negative position", "since=" + base64.RawURLEncoding.EncodeToString([]byte(`{"p":"`+c.patient.ID.String()+`","s":-1,"t":"2026-01-01T00:00:00Z"}`)), "query.since"},
		{"empty since", "since=", "query.since"},
		{"limit 0", "limit=0", "query.limit"},
		{"limit too large", "limit=201", "query.limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := env.Get("/v1/sync?"+tc.query, c.patient.Token).Expect(t, http.StatusBadRequest).Problem(t)
			if !slices.Contains(p.Fields(), tc.field) {
				t.Fatalf("problem names %v, want %s", p.Fields(), tc.field)
			}
		})
	}
}

// TestSyncPageQueries counts the database queries of a sync page: the
// account check every authenticated request makes, one for the patient's
// head, one for the changes, one per type of record among them and one for
// the journal entries of the sessions, however many records the page holds.
func TestSyncPageQueries(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := newClinic(t, env)
	queriesOf := func(since string) (int64, syncPage) {
		var p syncPage
		n := env.Statements().Of(func() { p = getSyncPage(t, env, c.patient.Token, since, 200) })
		return n.Queries, p
	}

	syncedRecords(t, env, c)
	n, first := queriesOf("")
	if n != 11 || len(first.Items) != 7 {
		t.Fatalf("a page of %d items of 7 types took %d queries, want 11", len(first.Items), n)
	}
	for range 3 {
		syncedRecords(t, env, c)
	}
	n, all := queriesOf("")
	if n != 11 || len(all.Items) != 28 {
		t.Fatalf("a page of %d items of 7 types took %d queries, want 11", len(all.Items), n)
	}
	for i := range 5 {
		postEntry(t, env, c.patient.Token, map[string]any{"body": fmt.Sprintf("Entry %d", i)})
	}
	if n, p := queriesOf(all.NextToken); n != 4 || len(p.Items) != 5 {
		t.Fatalf("a page of %d journal entries took %d queries, want 4", len(p.Items), n)
	}
}
