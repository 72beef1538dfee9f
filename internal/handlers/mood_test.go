package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ketacare/api/internal/api"
	"github.com/ketacare/api/internal/apitest"
	"github.com/ketacare/api/internal/config"
	"github.com/ketacare/api/internal/seal"
)

func checkIn(t *testing.T, env *apitest.Env, who apitest.User, body map[string]any) api.MoodCheckIn {
	t.Helper()
	var m api.MoodCheckIn
	env.Post("/v1/mood-check-ins", who.Token, body).Expect(t, http.StatusCreated).JSON(t, &m)
	return m
}

func TestMoodCheckIn(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := newClinic(t, env)

	m := checkIn(t, env, c.patient, map[string]any{"mood": 6, "anxiety": 4, "note": "Slept well; a little tense before work."})
	if m.Mood != 6 || m.Anxiety == nil || *m.Anxiety != 4 || m.Note == nil || *m.Note != "Slept well; a little tense before work." ||
		m.PatientID != c.patient.ID || time.Since(m.TakenAt) > time.Minute || m.TakenAt.After(m.CreatedAt) {
		t.Fatalf("check-in: %+v", m)
	}
	yesterday := time.Now().UTC().Add(-24 * time.Hour).Truncate(time.Second)
	bare := checkIn(t, env, c.patient, map[string]any{"mood": 1, "taken_at": yesterday.Format(time.RFC3339)})
	if bare.Anxiety != nil || bare.Note != nil || !bare.TakenAt.Equal(yesterday) {
		t.Fatalf("mood alone: %+v", bare)
	}
	checkIn(t, env, c.patient, map[string]any{"mood": 10, "anxiety": 1})

	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	for _, tc := range []struct{ body, field string }{
		{`{"mood":0}`, "mood"},
		{`{"mood":11}`, "mood"},
		{`{"mood":5.5}`, "mood"},
		{`{"mood":"5"}`, "mood"},
		{`{"anxiety":3}`, "mood"},
		{`{"mood":5,"anxiety":0}`, "anxiety"},
		{`{"mood":5,"anxiety":11}`, "anxiety"},
		{`{"mood":5,"note":""}`, "note"},
		{`{"mood":5,"note":"   "}`, "note"},
		{`{"mood":5,"note":"` + strings.Repeat("x", 2001) + `"}`, "note"},
		{`{"mood":5,"taken_at":"` + future + `"}`, "taken_at"},
		{`{"mood":5,"taken_at":"yesterday"}`, "taken_at"},
		{`{"mood":5,"energy":5}`, "energy"},
	} {
		t.Run(tc.body[:min(len(tc.body), 40)], func(t *testing.T) {
			p := env.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/mood-check-ins", Token: c.patient.Token, Body: tc.body}).
				Expect(t, http.StatusBadRequest).Problem(t)
			if !slices.Contains(p.Fields(), tc.field) {
				t.Fatalf("problem names %v, want %s", p.Fields(), tc.field)
			}
		})
	}
	var pg api.MoodCheckInPage
	env.Get("/v1/mood-check-ins", c.patient.Token).Expect(t, http.StatusOK).JSON(t, &pg)
	if len(pg.Items) != 3 || pg.Items[2].ID != m.ID || pg.Items[1].ID != bare.ID {
		t.Fatalf("want the 3 accepted check-ins newest recorded first, got %+v", pg.Items)
	}
	q := "?from=" + url.QueryEscape(yesterday.Add(-time.Minute).Format(time.RFC3339)) + "&to=" + url.QueryEscape(yesterday.Add(time.Minute).Format(time.RFC3339))
	env.Get("/v1/mood-check-ins"+q, c.patient.Token).Expect(t, http.StatusOK).JSON(t, &pg)
	if len(pg.Items) != 1 || pg.Items[0].ID != bare.ID {
		t.Fatalf("from/to: %+v", pg.Items)
	}
}

func TestMoodCheckInAccess(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := newClinic(t, env)
	mine := checkIn(t, env, c.patient, map[string]any{"mood": 3, "note": "Rough day; the intrusive thoughts are back."})
	pid := c.patient.ID.String()
	body := map[string]any{"mood": 5}

	for _, tc := range []struct {
		name   string
		who    apitest.User
		status int
	}{
		{"another patient records their own", c.otherPatient, http.StatusCreated},
		{"clinician on the team", c.clinician, http.StatusForbidden},
		{"clinician not on the team", c.outsider, http.StatusForbidden},
		{"admin", c.admin, http.StatusForbidden},
		{"no token", apitest.User{}, http.StatusUnauthorized},
	} {
		t.Run("create as "+tc.name, func(t *testing.T) {
			env.Post("/v1/mood-check-ins", tc.who.Token, body).Expect(t, tc.status)
		})
	}

	for _, tc := range []struct {
		name   string
		who    apitest.User
		path   string
		status int
	}{
		{"own list", c.patient, "/v1/mood-check-ins", 200},
		{"own list, another patient", c.otherPatient, "/v1/mood-check-ins", 200},
		{"own list, clinician", c.clinician, "/v1/mood-check-ins", 403},
		{"own list, admin", c.admin, "/v1/mood-check-ins", 403},
		{"own list, no token", apitest.User{}, "/v1/mood-check-ins", 401},
		{"patient's list, the patient", c.patient, "/v1/patients/" + pid + "/mood-check-ins", 200},
		{"patient's list, care team", c.clinician, "/v1/patients/" + pid + "/mood-check-ins", 200},
		{"patient's list, admin", c.admin, "/v1/patients/" + pid + "/mood-check-ins", 200},
		{"patient's list, another patient", c.otherPatient, "/v1/patients/" + pid + "/mood-check-ins", 404},
		{"patient's list, clinician not on the team", c.outsider, "/v1/patients/" + pid + "/mood-check-ins", 404},
		{"patient's list, no token", apitest.User{}, "/v1/patients/" + pid + "/mood-check-ins", 401},
		{"a patient who does not exist", c.admin, "/v1/patients/" + uuid.NewString() + "/mood-check-ins", 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := env.Get(tc.path, tc.who.Token).Expect(t, tc.status)
			if tc.status != 200 {
				r.Problem(t)
				if strings.Contains(string(r.Body), "intrusive") {
					t.Fatal("a refused request leaked the note")
				}
				return
			}
			var pg api.MoodCheckInPage
			r.JSON(t, &pg)
			if tc.who == c.otherPatient {
				if len(pg.Items) != 1 || pg.Items[0].PatientID != c.otherPatient.ID || strings.Contains(string(r.Body), "intrusive") {
					t.Fatalf("another patient must see only their own check-in, got %+v", pg.Items)
				}
				return
			}
			if len(pg.Items) != 1 || pg.Items[0].ID != mine.ID || pg.Items[0].Note == nil || *pg.Items[0].Note != *mine.Note {
				t.Fatalf("want only the patient's check-in with its note, got %+v", pg.Items)
			}
		})
	}
}

// TestMoodNotesAreSealedAtRest reads the stored row: the note is not there
// in the clear, it opens only in its own row, and it survives a key
// rotation.
func TestMoodNotesAreSealedAtRest(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := newClinic(t, env)
	note := "The intrusive thoughts about the bridge came back tonight."
	m := checkIn(t, env, c.patient, map[string]any{"mood": 2, "anxiety": 9, "note": note})
	other := checkIn(t, env, c.patient, map[string]any{"mood": 7, "note": "Better after the walk."})

	oldKey := env.App.Config.DataEncryptionKey
	oldRaw, _ := seal.ParseKey(oldKey)
	for _, row := range rawRows(t, env, "mood_check_ins") {
		text := strings.ToLower(rawText(row))
		for _, w := range []string{"intrusive", "bridge", "walk"} {
			if strings.Contains(text, w) {
				t.Fatalf("mood_check_ins holds %q in the clear: %s", w, text)
			}
		}
	}
	if got := rawKeyID(t, env, "mood_check_ins", m.ID); got != seal.KeyID(oldRaw) {
		t.Fatalf("sealed under %q, want the current key %q", got, seal.KeyID(oldRaw))
	}
	path := "/v1/patients/" + c.patient.ID.String() + "/mood-check-ins"
	body := string(env.Get(path, c.clinician.Token).Expect(t, http.StatusOK).Body)
	if !strings.Contains(body, note) || strings.Contains(body, "key_id") || strings.Contains(body, "sealed") {
		t.Fatalf("the care team must read the note and nothing of its sealing: %s", body)
	}

	// After a rotation the old key still opens the note, and new notes use
	// the new key.
	next, _ := seal.NewKey()
	nextRaw, _ := seal.ParseKey(next)
	rotated := env.Reboot(func(cfg *config.Config) {
		cfg.DataEncryptionKey, cfg.DataEncryptionPreviousKeys = next, []string{oldKey}
	})
	if body := string(rotated.Get(path, c.clinician.Token).Expect(t, http.StatusOK).Body); !strings.Contains(body, note) {
		t.Fatalf("the old key no longer opens the note: %s", body)
	}
	fresh := checkIn(t, rotated, c.patient, map[string]any{"mood": 5, "note": "New key."})
	if got := rawKeyID(t, rotated, "mood_check_ins", fresh.ID); got != seal.KeyID(nextRaw) {
		t.Fatalf("new note sealed under %q, want the new key %q", got, seal.KeyID(nextRaw))
	}

	// A note copied into another check-in's row does not open there: the
	// answer is an error, never someone else's words.
	db := env.DB.WithContext(context.Background())
	var sealed []byte
	if err := db.Raw("SELECT note_sealed FROM mood_check_ins WHERE id = ?", m.ID).Row().Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	if err := db.Exec("UPDATE mood_check_ins SET note_sealed = ? WHERE id = ?", sealed, other.ID).Error; err != nil {
		t.Fatal(err)
	}
	r := env.Get(path, c.clinician.Token).Expect(t, http.StatusInternalServerError)
	if strings.Contains(string(r.Body), "intrusive") || strings.Contains(string(r.Body), "walk") {
		t.Fatalf("a moved note leaked: %s", r.Body)
	}
	r.Problem(t)
}
