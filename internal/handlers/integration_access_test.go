package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ketacare/api/internal/api"
	"github.com/ketacare/api/internal/apitest"
)

// TestIntegrationAccess calls every integration operation as every kind of
// caller. Patients alone write, and only their own records; the care team
// reads through the patient's paths; anyone else learns nothing, not even
// that a record exists.
func TestIntegrationAccess(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := newClinic(t, env)
	const secret = "lighthouse"
	session := newSession(t, env, c.patient.ID, c.clinician.ID)
	e := postEntry(t, env, c.patient.Token, map[string]any{"body": "The " + secret + " dream.", "session_id": session, "shared_with_care_team": true})
	a := postActivity(t, env, c.patient.Token, map[string]any{"kind": "nature", "occurred_at": "2026-02-01T08:00:00Z", "note": "Walked to the " + secret})
	g := postGoal(t, env, c.patient.Token, map[string]any{"title": "Visit the " + secret, "category": "comfort_zone", "source_journal_entry_id": e.ID})
	env.Post("/v1/goals/"+g.ID.String()+"/check-ins", c.patient.Token, map[string]any{"progress": 30, "note": "Saw the " + secret}).Expect(t, http.StatusCreated)

	callers := []struct {
		name string
		user apitest.User
	}{
		{"patient", c.patient}, {"another patient", c.otherPatient}, {"care team", c.clinician},
		{"unassigned clinician", c.outsider}, {"admin", c.admin}, {"no token", apitest.User{}},
	}
	pid := c.patient.ID.String()
	entry := "/v1/journal-entries/" + e.ID.String()
	goal := "/v1/goals/" + g.ID.String()
	// Statuses by caller. The patient's own writes are tested elsewhere and
	// left out here, so the records stay for every other caller to try.
	patientOnly := func(patient, other int) map[string]int {
		m := map[string]int{"another patient": other, "care team": 403, "unassigned clinician": 403, "admin": 403, "no token": 401}
		if patient != 0 {
			m["patient"] = patient
		}
		return m
	}
	careTeamRead := map[string]int{"patient": 200, "another patient": 404, "care team": 200, "unassigned clinician": 404, "admin": 403, "no token": 401}
	for _, op := range []struct {
		method, path string
		body         any
		want         map[string]int
	}{
		{"GET", "/v1/journal-prompts", nil, map[string]int{"patient": 200, "another patient": 200, "care team": 200, "unassigned clinician": 200, "admin": 200, "no token": 401}},
		// Another patient may write their own journal, never about this
		// patient's session.
		{"POST", "/v1/journal-entries", map[string]any{"body": "x", "session_id": session}, patientOnly(0, 400)},
		{"GET", "/v1/journal-entries", nil, patientOnly(200, 200)},
		{"GET", entry, nil, patientOnly(200, 404)},
		{"PATCH", entry, map[string]any{"mood": 3}, patientOnly(0, 404)},
		{"DELETE", entry, nil, patientOnly(0, 404)},
		{"GET", "/v1/patients/" + pid + "/journal-entries", nil, careTeamRead},
		{"GET", "/v1/patients/" + pid + "/journal-entries/" + e.ID.String(), nil, careTeamRead},
		{"POST", "/v1/activities", map[string]any{"kind": "other", "occurred_at": "2026-02-02T08:00:00Z"}, patientOnly(0, 201)},
		{"GET", "/v1/activities", nil, patientOnly(200, 200)},
		{"DELETE", "/v1/activities/" + a.ID.String(), nil, patientOnly(0, 404)},
		{"GET", "/v1/patients/" + pid + "/activities", nil, careTeamRead},
		{"POST", "/v1/goals", map[string]any{"title": "x", "category": "other", "source_journal_entry_id": e.ID}, patientOnly(0, 400)},
		{"GET", "/v1/goals", nil, patientOnly(200, 200)},
		{"GET", goal, nil, patientOnly(200, 404)},
		{"PATCH", goal, map[string]any{"status": "dropped"}, patientOnly(0, 404)},
		{"DELETE", goal, nil, patientOnly(0, 404)},
		{"POST", goal + "/check-ins", map[string]any{"progress": 90}, patientOnly(0, 404)},
		{"GET", goal + "/check-ins", nil, patientOnly(200, 404)},
		{"GET", "/v1/patients/" + pid + "/goals", nil, careTeamRead},
		{"GET", "/v1/patients/" + pid + "/goals/" + g.ID.String() + "/check-ins", nil, careTeamRead},
	} {
		for _, cl := range callers {
			want, ok := op.want[cl.name]
			if !ok {
				continue
			}
			t.Run(op.method+" "+op.path+" as "+cl.name, func(t *testing.T) {
				r := env.Do(apitest.Request{Method: op.method, Path: op.path, Token: cl.user.Token, Body: op.body, Header: env.IfMatch(op.method, op.path)}).Expect(t, want)
				if want >= 400 {
					r.Problem(t)
				}
				mayRead := cl.name == "patient" || cl.name == "care team"
				if !mayRead && strings.Contains(string(r.Body), secret) {
					t.Fatalf("the patient's words reached %s: %s", cl.name, r.Body)
				}
			})
		}
	}

	// Nothing any of them tried changed the patient's records.
	var ge api.JournalEntry
	env.Get(entry, c.patient.Token).Expect(t, http.StatusOK).JSON(t, &ge)
	var gg api.Goal
	env.Get(goal, c.patient.Token).Expect(t, http.StatusOK).JSON(t, &gg)
	if ge.Version != 1 || ge.Mood != nil || gg.Version != 2 || gg.Status != "active" || *gg.LatestProgress != 30 {
		t.Fatalf("refused calls changed the records: %+v %+v", ge, gg)
	}
	for table, n := range map[string]int{"journal_entries": 1, "goals": 1, "goal_check_ins": 1, "activities": 2} {
		if rows := rawRows(t, env, table); len(rows) != n {
			t.Errorf("%s has %d rows, want %d", table, len(rows), n)
		}
	}
	if ids := activityIDs(t, env, "/v1/activities", c.patient.Token); len(ids) != 1 || ids[0] != a.ID {
		t.Fatalf("the patient's activities: %v", ids)
	}
}
