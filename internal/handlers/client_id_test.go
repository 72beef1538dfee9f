package handlers_test

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"

	"github.com/google/uuid"

	"github.com/ketacare/api/internal/apitest"
)

// TestClientMadeIDs: every create takes an id the client made, so a phone
// that lost the response can retry offline: the retry answers 200 with the
// same record and creates nothing; the same id from anyone else is 409.
func TestClientMadeIDs(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c, _, sessions := plannedClinic(t, env)
	colleague := env.Clinician("Dr. Second", "therapist")
	env.Put("/v1/patients/"+c.patient.ID.String()+"/care-team/"+colleague.ID.String(), c.admin.Token, nil).Expect(t, http.StatusOK)
	other := env.Patient("Other")
	goal := postGoal(t, env, c.patient.Token, map[string]any{"title": "Walk daily", "category": "self_care"})
	otherGoal := postGoal(t, env, other.Token, map[string]any{"title": "Read", "category": "self_care"})
	session := "/v1/sessions/" + sessions[0].ID.String()
	pid := c.patient.ID.String()

	for _, tc := range []struct {
		name, table, path string
		body              map[string]any
		owner, stranger   apitest.User
		strangerPath      string // where the stranger posts the same id
	}{
		{"journal entry", "journal_entries", "/v1/journal-entries", map[string]any{"body": "I felt calm."}, c.patient, other, ""},
		{"activity", "activities", "/v1/activities", map[string]any{"kind": "nature", "occurred_at": "2026-11-20T08:00:00Z", "duration_minutes": 30}, c.patient, other, ""},
		{"goal", "goals", "/v1/goals", map[string]any{"title": "Call my sister", "category": "connection"}, c.patient, other, ""},
		{"goal check-in", "goal_check_ins", "/v1/goals/" + goal.ID.String() + "/check-ins", map[string]any{"progress": 40}, c.patient, other,
			"/v1/goals/" + otherGoal.ID.String() + "/check-ins"},
		{"mood check-in", "mood_check_ins", "/v1/mood-check-ins", map[string]any{"mood": 6, "taken_at": "2026-11-20T08:00:00Z"}, c.patient, other, ""},
		{"assessment", "assessments", "/v1/assessments", map[string]any{"instrument": "gad7", "answers": []int{1, 1, 1, 1, 1, 1, 1}}, c.patient, other, ""},
		{"evaluation", "candidacy_evaluations", "/v1/patients/" + pid + "/evaluations",
			map[string]any{"evaluated_at": "2026-11-20T08:00:00Z", "outcome": "needs_more_information"}, c.clinician, colleague, ""},
		{"vital sign", "vital_signs", session + "/vitals",
			map[string]any{"taken_at": "2026-11-20T08:00:00Z", "systolic": 120, "diastolic": 80, "heart_rate": 70, "spo2": 98}, c.clinician, colleague, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := uuid.New() // a v4, as a phone without v7 would make
			body := map[string]any{"id": id}
			for k, v := range tc.body {
				body[k] = v
			}
			before := len(rawRows(t, env, tc.table))
			first := env.Post(tc.path, tc.owner.Token, body).Expect(t, http.StatusCreated)
			if !bytes.Contains(first.Body, []byte(id.String())) {
				t.Fatalf("the record must keep the client's id: %s", first.Body)
			}
			again := env.Post(tc.path, tc.owner.Token, body).Expect(t, http.StatusOK)
			if !bytes.Equal(again.Body, first.Body) {
				t.Fatalf("the retry must return the record as it is:\n%s\n%s", first.Body, again.Body)
			}
			strangerPath := tc.path
			if tc.strangerPath != "" {
				strangerPath = tc.strangerPath
			}
			env.Post(strangerPath, tc.stranger.Token, body).Expect(t, http.StatusConflict).Problem(t)
			if n := len(rawRows(t, env, tc.table)); n != before+1 {
				t.Fatalf("%d rows, want %d: one create, however many retries", n, before+1)
			}
		})
	}

	t.Run("same id under another parent", func(t *testing.T) {
		id := uuid.New()
		reading := map[string]any{"id": id, "taken_at": "2026-11-20T08:00:00Z", "systolic": 120, "diastolic": 80, "heart_rate": 70, "spo2": 98}
		env.Post(session+"/vitals", c.clinician.Token, reading).Expect(t, http.StatusCreated)
		env.Post(fmt.Sprintf("/v1/sessions/%s/vitals", sessions[1].ID), c.clinician.Token, reading).Expect(t, http.StatusConflict)
	})

	t.Run("a retried PHQ-9 with item 9 shows the crisis resources again", func(t *testing.T) {
		body := map[string]any{"id": uuid.New(), "instrument": "phq9", "answers": []int{1, 1, 1, 1, 1, 1, 1, 1, 1}}
		first := decodeObject(t, env.Post("/v1/assessments", c.patient.Token, body).Expect(t, http.StatusCreated))
		again := decodeObject(t, env.Post("/v1/assessments", c.patient.Token, body).Expect(t, http.StatusOK))
		if first["safety"] == nil || again["safety"] == nil {
			t.Fatalf("safety notice missing: %v / %v", first["safety"], again["safety"])
		}
		var alerts []map[string]any
		env.DB.Table("safety_alerts").Where("assessment_id = ?", first["id"]).Find(&alerts)
		if len(alerts) != 1 {
			t.Fatalf("%d alerts for one assessment, want 1", len(alerts))
		}
	})
}

func TestClientMadePlanID(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := eligibleClinic(t, env)
	body := map[string]any{"id": uuid.New(), "start_date": localDate(t, "UTC", 1), "sessions_per_week": 3, "route": "intranasal"}
	first := env.Post(plansPath(c), c.clinician.Token, body).Expect(t, http.StatusCreated)
	again := env.Post(plansPath(c), c.clinician.Token, body).Expect(t, http.StatusOK)
	if !bytes.Equal(first.Body, again.Body) || again.Header.Get("ETag") != first.Header.Get("ETag") {
		t.Fatalf("the retry must return the plan as it is:\n%s\n%s", first.Body, again.Body)
	}
	if n := len(rawRows(t, env, "treatment_sessions")); n != 6 {
		t.Fatalf("%d sessions, want the one plan's 6", n)
	}
}
