package handlers_test

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ketacare/api/internal/api"
	"github.com/ketacare/api/internal/apitest"
	"github.com/ketacare/api/internal/config"
	"github.com/ketacare/api/internal/seal"
	"github.com/ketacare/api/internal/store"
)

// clinicalMarkers are words written into each field of free text about a
// patient's care outside the integration work, one per field.
var clinicalMarkers = map[string]string{
	"emergency_contact.name":         "Quillon Ashdown",
	"emergency_contact.phone":        "+44 7700 900461",
	"emergency_contact.relationship": "Godmother Wren",
	"sitter.name":                    "Tamsin Fairweather",
	"sitter.relationship":            "Cousin Bellamy",
	"sitter.phone":                   "+44 7700 900462",
	"preparation.intention":          "To befriend the thunderstorm",
	"preparation.notes":              "Bring the ochre blanket",
	"journey.notes":                  "Saw a copper cathedral",
	"integration.therapist_notes":    "Revisit the cathedral imagery",
	"evaluation.clinician_notes":     "Family history of periwinkle fever",
	"alert.acknowledgement_note":     "Phoned about the tangerine plan",
}

// clinicalWords are the records writeClinicalWords wrote to.
type clinicalWords struct {
	evaluation, alert uuid.UUID
}

// writeClinicalWords writes clinicalMarkers through the API: the patient's
// emergency contact, the session's sitter and preparation (as the patient),
// its notes (as the clinician), an evaluation's notes, and the note
// acknowledging the alert an answer raised.
func writeClinicalWords(t *testing.T, env *apitest.Env, c clinic, s api.TreatmentSession) clinicalWords {
	t.Helper()
	m := clinicalMarkers
	profile := "/v1/patients/" + c.patient.ID.String()
	env.PatchIf(profile, c.patient.Token, env.Tag(profile), map[string]any{"emergency_contact": map[string]any{
		"name": m["emergency_contact.name"], "phone": m["emergency_contact.phone"], "relationship": m["emergency_contact.relationship"]}}).
		Expect(t, http.StatusOK)
	env.PatchIf(sessionURL(s), c.patient.Token, env.Tag(sessionURL(s)), map[string]any{
		"sitter":      map[string]any{"name": m["sitter.name"], "relationship": m["sitter.relationship"], "phone": m["sitter.phone"]},
		"preparation": map[string]any{"intention": m["preparation.intention"], "notes": m["preparation.notes"]},
	}).Expect(t, http.StatusOK)
	env.PatchIf(sessionURL(s), c.clinician.Token, env.Tag(sessionURL(s)), map[string]any{
		"journey":     map[string]any{"notes": m["journey.notes"]},
		"integration": map[string]any{"therapist_notes": m["integration.therapist_notes"]},
	}).Expect(t, http.StatusOK)
	var e api.CandidacyEvaluation
	env.Post(evaluationsPath(c), c.clinician.Token, map[string]any{"evaluated_at": timeAgo(time.Minute),
		"outcome": "needs_more_information", "clinician_notes": m["evaluation.clinician_notes"]}).
		Expect(t, http.StatusCreated).JSON(t, &e)
	assess(t, env, c.patient, phq9(9, 3))
	alert := alerts(t, env, c.clinician, "")[0]
	env.Post("/v1/alerts/"+alert.ID.String()+"/acknowledge", c.clinician.Token, map[string]any{"note": m["alert.acknowledgement_note"]}).
		Expect(t, http.StatusOK)
	return clinicalWords{evaluation: e.ID, alert: alert.ID}
}

// readBack reads the words writeClinicalWords wrote through the API, as
// the clinician sees them: each field shows what was written.
func (w clinicalWords) readBack(t *testing.T, env *apitest.Env, c clinic, s api.TreatmentSession) {
	t.Helper()
	var p api.Patient
	env.Get("/v1/patients/"+c.patient.ID.String(), c.clinician.Token).Expect(t, http.StatusOK).JSON(t, &p)
	got := getSession(t, env, c.clinician.Token, s)
	var evals api.CandidacyEvaluationPage
	env.Get(evaluationsPath(c), c.clinician.Token).Expect(t, http.StatusOK).JSON(t, &evals)
	var alert api.SafetyAlert
	for _, a := range alerts(t, env, c.clinician, "?status=acknowledged") {
		if a.ID == w.alert {
			alert = a
		}
	}
	var notes *string
	for _, e := range evals.Items {
		if e.ID == w.evaluation {
			notes = e.ClinicianNotes
		}
	}
	if p.EmergencyContact == nil || got.Sitter == nil {
		t.Fatalf("contact %+v, sitter %+v", p.EmergencyContact, got.Sitter)
	}
	for field, value := range map[string]*string{
		"emergency_contact.name": &p.EmergencyContact.Name, "emergency_contact.phone": &p.EmergencyContact.Phone,
		"emergency_contact.relationship": &p.EmergencyContact.Relationship,
		"sitter.name":                    &got.Sitter.Name, "sitter.relationship": &got.Sitter.Relationship, "sitter.phone": &got.Sitter.Phone,
		"preparation.intention": got.Preparation.Intention, "preparation.notes": got.Preparation.Notes,
		"journey.notes": got.Journey.Notes, "integration.therapist_notes": got.Integration.TherapistNotes,
		"evaluation.clinician_notes": notes, "alert.acknowledgement_note": alert.AcknowledgementNote,
	} {
		if value == nil || *value != clinicalMarkers[field] {
			t.Errorf("%s reads %v, want %q", field, value, clinicalMarkers[field])
		}
	}
}

// expectNoClearText reads every row of every table as the database holds
// it and, on SQLite, the database's files, and fails for each of the words
// found.
func expectNoClearText(t *testing.T, env *apitest.Env, words []string) {
	t.Helper()
	expectNoClearRows(t, env, words)
	if store.Dialect(env.DB) != store.SQLite {
		return
	}
	files, _ := filepath.Glob(filepath.Join(env.App.Config.DataDir, "ketacare.db*"))
	if len(files) == 0 {
		t.Fatal("no database file")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range words {
			if bytes.Contains(b, []byte(w)) {
				t.Errorf("%s holds %q in the clear", filepath.Base(f), w)
			}
		}
	}
}

// expectNoClearRows reads every row of every table as the database holds
// it, and fails for each of the words found.
func expectNoClearRows(t *testing.T, env *apitest.Env, words []string) {
	t.Helper()
	tables, err := env.DB.Migrator().GetTables()
	if err != nil || len(tables) < 10 {
		t.Fatalf("tables %v: %v", tables, err)
	}
	for _, table := range tables {
		for _, row := range rawRows(t, env, table) {
			text := strings.ToLower(rawText(row))
			for _, w := range words {
				if strings.Contains(text, strings.ToLower(w)) {
					t.Errorf("%s holds %q in the clear", table, w)
				}
			}
		}
	}
}

// TestWordsAreSealedAtRest writes words through the API into every field of
// free text, the patient's integration work and the clinical records about
// them, then reads every table as the database holds it, and on SQLite its
// files, and finds none of them.
func TestWordsAreSealedAtRest(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c, _, sessions := plannedClinic(t, env)
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

	clinical := writeClinicalWords(t, env, c, sessions[0])
	markers := append(slices.Clone(words), secretEvaluationNote)
	for _, w := range clinicalMarkers {
		markers = append(markers, w)
	}
	expectNoClearText(t, env, markers)
	for table, id := range map[string]uuid.UUID{"users": c.patient.ID, "treatment_sessions": sessions[0].ID,
		"candidacy_evaluations": clinical.evaluation, "safety_alerts": clinical.alert} {
		if got := rawKeyID(t, env, table, id); got != keyID {
			t.Errorf("%s sealed under %q, the journal under %q", table, got, keyID)
		}
	}
	clinical.readBack(t, env, c, sessions[0])

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
	t.Parallel()
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
	rotated.PatchIf("/v1/journal-entries/"+e1.ID.String(), c.patient.Token, rotated.Tag("/v1/journal-entries/"+e1.ID.String()), map[string]any{"mood": 4}).Expect(t, http.StatusOK)
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
	t.Parallel()
	env := apitest.New(t)
	c := newClinic(t, env)
	a := postEntry(t, env, c.patient.Token, map[string]any{"title": "Ocean", "body": "The first entry's words.", "shared_with_care_team": true})
	b := postEntry(t, env, c.patient.Token, map[string]any{"title": "Forest", "body": "The second entry's words."})
	g := postGoal(t, env, c.patient.Token, map[string]any{"title": "Swim weekly", "why": "The water calms me", "category": "self_care"})

	read := func(table, column string, id uuid.UUID) []byte {
		t.Helper()
		var v []byte
		if err := env.DB.Raw("SELECT "+column+" FROM "+table+" WHERE id = ?", id).Row().Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	write := func(table, column string, id uuid.UUID, v []byte) {
		t.Helper()
		if err := env.DB.Exec("UPDATE "+table+" SET "+column+" = ? WHERE id = ?", v, id).Error; err != nil {
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
	expectSealError(t, env.PatchIf("/v1/goals/"+g.ID.String(), c.patient.Token, env.Tag("/v1/goals/"+g.ID.String()), map[string]any{"status": "paused"}), "calms")
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
