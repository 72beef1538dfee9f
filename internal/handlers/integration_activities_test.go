package handlers_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ketacare/api/internal/api"
	"github.com/ketacare/api/internal/apitest"
)

func activityIDs(t *testing.T, env *apitest.Env, path, token string) []uuid.UUID {
	t.Helper()
	var pg api.ActivityPage
	env.Get(path, token).Expect(t, http.StatusOK).JSON(t, &pg)
	ids := make([]uuid.UUID, len(pg.Items))
	for i, a := range pg.Items {
		ids[i] = a.ID
	}
	return ids
}

func TestActivities(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := newClinic(t, env)
	day := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	walk := postActivity(t, env, c.patient.Token, map[string]any{"kind": "nature", "occurred_at": day.Add(8 * time.Hour).Format(time.RFC3339),
		"duration_minutes": 45, "note": "By the river, no phone."})
	if walk.Kind != api.ActivityKind("nature") || *walk.DurationMinutes != 45 || *walk.Note != "By the river, no phone." || !walk.OccurredAt.Equal(day.Add(8*time.Hour)) || walk.PatientID != c.patient.ID {
		t.Fatalf("logged activity: %+v", walk)
	}
	// Times in any offset are kept as the same instant, in UTC.
	sit := postActivity(t, env, c.patient.Token, map[string]any{"kind": "mindfulness_meditation", "occurred_at": "2026-03-03T07:30:00+02:00"})
	if sit.OccurredAt.Location() != time.UTC || !sit.OccurredAt.Equal(day.Add(29*time.Hour+30*time.Minute)) || sit.Note != nil || sit.DurationMinutes != nil {
		t.Fatalf("second activity: %+v", sit)
	}
	for _, k := range []string{"calming_music", "exercise", "time_with_loved_ones", "creativity", "therapy_session", "other"} {
		postActivity(t, env, c.patient.Token, map[string]any{"kind": k, "occurred_at": day.Add(72 * time.Hour).Format(time.RFC3339)})
	}

	own := "/v1/activities"
	team := "/v1/patients/" + c.patient.ID.String() + "/activities"
	if got := activityIDs(t, env, own, c.patient.Token); len(got) != 8 || got[7] != walk.ID {
		t.Fatalf("the patient's activities: %v", got)
	}
	if got := activityIDs(t, env, team, c.clinician.Token); len(got) != 8 {
		t.Fatalf("the care team sees %d activities", len(got))
	}
	var pg api.ActivityPage
	env.Get(team+"?kind=nature", c.clinician.Token).Expect(t, http.StatusOK).JSON(t, &pg)
	if len(pg.Items) != 1 || pg.Items[0].Note == nil || *pg.Items[0].Note != "By the river, no phone." {
		t.Fatalf("the care team reads the note: %+v", pg.Items)
	}
	q := func(from, to time.Time) string {
		return "?from=" + url.QueryEscape(from.Format(time.RFC3339)) + "&to=" + url.QueryEscape(to.Format(time.RFC3339))
	}
	if got := activityIDs(t, env, own+q(day, day.Add(48*time.Hour)), c.patient.Token); !slices.Equal(got, []uuid.UUID{sit.ID, walk.ID}) {
		t.Fatalf("activities of March 2 and 3: %v", got)
	}
	if got := activityIDs(t, env, team+q(day.Add(8*time.Hour), day.Add(9*time.Hour)), c.clinician.Token); !slices.Equal(got, []uuid.UUID{walk.ID}) {
		t.Fatalf("from is inclusive, to exclusive: %v", got)
	}
	if got := activityIDs(t, env, own+"?kind=exercise&limit=5", c.patient.Token); len(got) != 1 {
		t.Fatalf("exercise: %v", got)
	}
	expectInvalid(t, env, http.MethodGet, own+q(day, day), c.patient.Token, nil, "query.to")
	expectInvalid(t, env, http.MethodGet, own+"?kind=sleeping", c.patient.Token, nil, "query.kind")

	env.Delete(own+"/"+walk.ID.String(), c.patient.Token).Expect(t, http.StatusNoContent)
	env.Delete(own+"/"+walk.ID.String(), c.patient.Token).Expect(t, http.StatusNotFound).Problem(t)
	if got := activityIDs(t, env, team+"?kind=nature", c.clinician.Token); len(got) != 0 {
		t.Fatalf("a deleted activity is still listed: %v", got)
	}
}

func TestActivityValidation(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := newClinic(t, env)
	past := "2026-01-01T09:00:00Z"
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	for _, tc := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"unknown kind", map[string]any{"kind": "sleeping", "occurred_at": past}, "kind"},
		{"no kind", map[string]any{"occurred_at": past}, "kind"},
		{"no time", map[string]any{"kind": "nature"}, "occurred_at"},
		{"not a time", map[string]any{"kind": "nature", "occurred_at": "this morning"}, "occurred_at"},
		{"in the future", map[string]any{"kind": "nature", "occurred_at": future}, "occurred_at"},
		{"zero minutes", map[string]any{"kind": "nature", "occurred_at": past, "duration_minutes": 0}, "duration_minutes"},
		{"over a day", map[string]any{"kind": "nature", "occurred_at": past, "duration_minutes": 1441}, "duration_minutes"},
		{"note too long", map[string]any{"kind": "nature", "occurred_at": past, "note": strings.Repeat("n", 2001)}, "note"},
		{"blank note", map[string]any{"kind": "nature", "occurred_at": past, "note": "   "}, "note"},
		{"unknown field", map[string]any{"kind": "nature", "occurred_at": past, "patient_id": c.otherPatient.ID}, "patient_id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			expectInvalid(t, env, http.MethodPost, "/v1/activities", c.patient.Token, tc.body, tc.field)
		})
	}
	if rows := rawRows(t, env, "activities"); len(rows) != 0 {
		t.Fatalf("refused activities were written: %d rows", len(rows))
	}
	// A phone a little ahead of the server is not refused.
	postActivity(t, env, c.patient.Token, map[string]any{"kind": "exercise", "occurred_at": time.Now().Add(time.Minute).UTC().Format(time.RFC3339), "duration_minutes": 1440})
}
