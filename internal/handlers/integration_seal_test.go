package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/ketacare/api/internal/api"
	"github.com/ketacare/api/internal/apitest"
	"github.com/ketacare/api/internal/config"
	"github.com/ketacare/api/internal/seal"
)

// TestWordsAreSealedAtRest reads every row the integration work stores, as
// the database holds it, and finds none of the patient's words.
func TestWordsAreSealedAtRest(t *testing.T) {
	env := apitest.New(t)
	c := newClinic(t, env)
	words := []string{"Marigold", "lighthouse", "grandmother", "Saltwater", "cartwheel", "violin", "Juniper", "harbour"}
	e := postEntry(t, env, c.patient.Token, map[string]any{
		"title": words[0] + " morning", "body": "I dreamt of the " + words[1] + " and my " + words[2] + ".",
		"insights": []string{words[3] + " heals"}, "prompt_key": "insights_gained", "mood": 6,
	})
	postActivity(t, env, c.patient.Token, map[string]any{"kind": "creativity", "occurred_at": "2026-01-10T10:00:00Z", "note": "Drew a " + words[4]})
	g := postGoal(t, env, c.patient.Token, map[string]any{"title": "Learn the " + words[5], "why": words[6] + " asked me to", "first_step": "Find a teacher at the " + words[7], "category": "comfort_zone"})
	env.Post("/v1/goals/"+g.ID.String()+"/check-ins", c.patient.Token, map[string]any{"progress": 10, "note": words[4] + " again"}).
		Expect(t, http.StatusCreated)

	keyID := rawKeyID(t, env, "journal_entries", e.ID)
	for _, table := range []string{"journal_entries", "activities", "goals", "goal_check_ins"} {
		rows := rawRows(t, env, table)
		if len(rows) != 1 {
			t.Fatalf("%s: %d rows", table, len(rows))
		}
		text := strings.ToLower(rawText(rows[0]))
		for _, w := range words {
			if strings.Contains(text, strings.ToLower(w)) {
				t.Errorf("%s holds %q in the clear", table, w)
			}
		}
		if got := rawKeyID(t, env, table, uuidOf(t, rows[0]["id"])); got != keyID {
			t.Errorf("%s sealed under %q, the journal under %q: one current key seals everything", table, got, keyID)
		}
	}
	if len(keyID) != 16 {
		t.Fatalf("key id %q", keyID)
	}

	// The key id stays in the database: no response carries it.
	for _, path := range []string{
		"/v1/journal-entries/" + e.ID.String(), "/v1/journal-entries", "/v1/activities", "/v1/goals",
		"/v1/goals/" + g.ID.String(), "/v1/goals/" + g.ID.String() + "/check-ins",
	} {
		r := env.Get(path, c.patient.Token).Expect(t, http.StatusOK)
		if strings.Contains(string(r.Body), keyID) || strings.Contains(string(r.Body), "key_id") || strings.Contains(string(r.Body), "sealed") {
			t.Fatalf("%s reveals the key id or sealed data: %s", path, r.Body)
		}
		if !strings.Contains(string(r.Body), words[0]) && !strings.Contains(string(r.Body), words[4]) && !strings.Contains(string(r.Body), words[5]) {
			t.Fatalf("%s does not show the patient's words: %s", path, r.Body)
		}
	}
}

// TestKeyRotation restarts the service with a new key: what the old key
// sealed still reads, new writes use the new key, and an edit reseals.
func TestKeyRotation(t *testing.T) {
	env := apitest.New(t)
	c := newClinic(t, env)
	old := env.App.Config.DataEncryptionKey
	oldRaw, _ := seal.ParseKey(old)
	e1 := postEntry(t, env, c.patient.Token, map[string]any{"body": "Sealed before the rotation.", "insights": []string{"old key"}})
	g1 := postGoal(t, env, c.patient.Token, map[string]any{"title": "Walk at dawn", "category": "slow_down"})
	if got := rawKeyID(t, env, "journal_entries", e1.ID); got != seal.KeyID(oldRaw) {
		t.Fatalf("first key id %q, want %q", got, seal.KeyID(oldRaw))
	}

	next, _ := seal.NewKey()
	nextRaw, _ := seal.ParseKey(next)
	rotated := env.Reboot(func(cfg *config.Config) {
		cfg.DataEncryptionKey = next
		cfg.DataEncryptionPreviousKeys = []string{old}
	})
	var got api.JournalEntry
	rotated.Get("/v1/journal-entries/"+e1.ID.String(), c.patient.Token).Expect(t, http.StatusOK).JSON(t, &got)
	if got.Body != "Sealed before the rotation." || got.Insights[0] != "old key" {
		t.Fatalf("an old row after rotation: %+v", got)
	}
	e2 := postEntry(t, rotated, c.patient.Token, map[string]any{"body": "Sealed after the rotation."})
	if got := rawKeyID(t, env, "journal_entries", e2.ID); got != seal.KeyID(nextRaw) {
		t.Fatalf("a new row uses key %q, want the new key %q", got, seal.KeyID(nextRaw))
	}
	rotated.Patch("/v1/journal-entries/"+e1.ID.String(), c.patient.Token, map[string]any{"mood": 4}).Expect(t, http.StatusOK)
	if got := rawKeyID(t, env, "journal_entries", e1.ID); got != seal.KeyID(nextRaw) {
		t.Fatalf("an edited row stays under key %q, want it resealed under %q", got, seal.KeyID(nextRaw))
	}
	rotated.Get("/v1/journal-entries/"+e1.ID.String(), c.patient.Token).Expect(t, http.StatusOK).JSON(t, &got)
	if got.Body != "Sealed before the rotation." || *got.Mood != 4 {
		t.Fatalf("resealed row: %+v", got)
	}

	// Once the old key is retired, rows it still seals fail loudly, and
	// reveal nothing; rows under the new key read on.
	retired := env.Reboot(func(cfg *config.Config) {
		cfg.DataEncryptionKey = next
		cfg.DataEncryptionPreviousKeys = nil
	})
	expectSealError(t, retired.Get("/v1/goals/"+g1.ID.String(), c.patient.Token), "Walk at dawn")
	retired.Get("/v1/journal-entries/"+e1.ID.String(), c.patient.Token).Expect(t, http.StatusOK)
	retired.Get("/v1/journal-entries/"+e2.ID.String(), c.patient.Token).Expect(t, http.StatusOK)
}

// TestTamperedWordsAreAnError: altered or misplaced ciphertext never reads
// as garbage; the request fails with a bare internal error.
func TestTamperedWordsAreAnError(t *testing.T) {
	env := apitest.New(t)
	c := newClinic(t, env)
	a := postEntry(t, env, c.patient.Token, map[string]any{"title": "Ocean", "body": "The first entry's words.", "shared_with_care_team": true})
	b := postEntry(t, env, c.patient.Token, map[string]any{"title": "Forest", "body": "The second entry's words."})
	g := postGoal(t, env, c.patient.Token, map[string]any{"title": "Swim weekly", "why": "The water calms me", "category": "self_care"})

	read := func(table, column string, id uuid.UUID) []byte {
		t.Helper()
		var v []byte
		if err := env.App.DB.Raw("SELECT "+column+" FROM "+table+" WHERE id = ?", id).Row().Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	write := func(table, column string, id uuid.UUID, v []byte) {
		t.Helper()
		if err := env.App.DB.Exec("UPDATE "+table+" SET "+column+" = ? WHERE id = ?", v, id).Error; err != nil {
			t.Fatal(err)
		}
	}

	// One flipped bit in the body.
	body := read("journal_entries", "body_sealed", a.ID)
	flipped := append([]byte(nil), body...)
	flipped[len(flipped)/2] ^= 0x01
	write("journal_entries", "body_sealed", a.ID, flipped)
	expectSealError(t, env.Get("/v1/journal-entries/"+a.ID.String(), c.patient.Token), "first entry")
	expectSealError(t, env.Get("/v1/journal-entries", c.patient.Token), "second entry")
	expectSealError(t, env.Get("/v1/patients/"+c.patient.ID.String()+"/journal-entries/"+a.ID.String(), c.clinician.Token), "first entry")
	write("journal_entries", "body_sealed", a.ID, body)
	env.Get("/v1/journal-entries/"+a.ID.String(), c.patient.Token).Expect(t, http.StatusOK)

	// Another row's body, sealed under the same key, does not open here: the
	// row id is bound in.
	write("journal_entries", "body_sealed", b.ID, body)
	expectSealError(t, env.Get("/v1/journal-entries/"+b.ID.String(), c.patient.Token), "first entry")

	// Nor does a field moved to another column of the same row.
	write("journal_entries", "title_sealed", a.ID, body)
	expectSealError(t, env.Get("/v1/journal-entries/"+a.ID.String(), c.patient.Token), "first entry")

	// Nor a goal's why swapped into its title.
	write("goals", "title_sealed", g.ID, read("goals", "why_sealed", g.ID))
	expectSealError(t, env.Get("/v1/goals/"+g.ID.String(), c.patient.Token), "calms")
	expectSealError(t, env.Get("/v1/patients/"+c.patient.ID.String()+"/goals", c.clinician.Token), "calms")

	// An edit of a row that does not open is refused, and writes nothing.
	expectSealError(t, env.Patch("/v1/goals/"+g.ID.String(), c.patient.Token, map[string]any{"status": "paused"}), "calms")
	if st := rawRows(t, env, "goals")[0]["status"]; st != "active" {
		t.Fatalf("a refused edit changed the goal's status to %v", st)
	}
}

// expectSealError checks a response is the bare 500 a sealed value that
// does not open gives: no detail, and none of the words.
func expectSealError(t *testing.T, r *apitest.Response, words string) {
	t.Helper()
	p := r.Expect(t, http.StatusInternalServerError).Problem(t)
	if p.Detail != "" || p.Type != "urn:ketacare:problem:internal" || strings.Contains(string(r.Body), words) || strings.Contains(strings.ToLower(string(r.Body)), "seal") {
		t.Fatalf("the error reveals more than it should: %s", r.Body)
	}
}

// uuidOf reads an id from a raw row: text in SQLite, a uuid in PostgreSQL.
func uuidOf(t *testing.T, v any) uuid.UUID {
	t.Helper()
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case []byte:
		s = string(x)
	case [16]byte:
		return uuid.UUID(x)
	default:
		t.Fatalf("id of type %T", v)
	}
	id, err := uuid.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
