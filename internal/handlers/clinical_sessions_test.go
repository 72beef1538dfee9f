package handlers_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ketacare/api/internal/api"
	"github.com/ketacare/api/internal/apitest"
	"github.com/ketacare/api/internal/handlers"
)

// plannedClinic is a clinic whose patient has a plan of six sessions, two a
// week from tomorrow.
func plannedClinic(t *testing.T, env *apitest.Env) (clinic, api.TreatmentPlan, []api.TreatmentSession) {
	t.Helper()
	c := eligibleClinic(t, env)
	p := makePlan(t, env, c, map[string]any{"start_date": localDate(t, "UTC", 1), "sessions_per_week": 2, "route": "iv_infusion"})
	return c, p, sessionsOf(t, env, c, p.ID)
}

func sessionURL(s api.TreatmentSession) string { return "/v1/sessions/" + s.ID.String() }

func getSession(t *testing.T, env *apitest.Env, token string, s api.TreatmentSession) api.TreatmentSession {
	t.Helper()
	var out api.TreatmentSession
	env.Get(sessionURL(s), token).Expect(t, http.StatusOK).JSON(t, &out)
	return out
}

// ago is a timestamp d before now, as a client sends it.
func timeAgo(d time.Duration) string { return time.Now().Add(-d).UTC().Format(time.RFC3339) }

func TestSessionFieldPermissions(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c, _, sessions := plannedClinic(t, env)
	s := sessions[0]
	for _, tc := range []struct {
		name   string
		who    apitest.User
		body   map[string]any
		fields []string
	}{
		{"patient writes journey notes", c.patient, map[string]any{"journey": map[string]any{"notes": "I felt fine"}}, []string{"journey.notes"}},
		{"patient writes therapist notes", c.patient, map[string]any{"integration": map[string]any{"therapist_notes": "x"}}, []string{"integration.therapist_notes"}},
		{"patient changes status and route", c.patient, map[string]any{"status": "cancelled", "route": "oral"}, []string{"status", "route"}},
		{"patient records a dose, with their own intention", c.patient,
			map[string]any{"preparation": map[string]any{"intention": "calm"}, "journey": map[string]any{"dose_mg": 10, "started_at": nil}},
			[]string{"journey.started_at", "journey.dose_mg"}},
		{"clinician chooses the sitter", c.clinician, map[string]any{"sitter": map[string]any{"name": "Nurse Kim", "relationship": "clinic sitter", "phone": "555 0101"}}, []string{"sitter"}},
		{"clinician ticks the checklist", c.clinician, map[string]any{"preparation": map[string]any{"checklist": map[string]any{"fasting_confirmed": true}}}, []string{"preparation.checklist"}},
		{"clinician rewrites the intention, with their own notes", c.clinician,
			map[string]any{"preparation": map[string]any{"intention": nil, "notes": "tidy"}, "journey": map[string]any{"notes": "ok"}},
			[]string{"preparation.intention", "preparation.notes"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := env.PatchIf(sessionURL(s), tc.who.Token, env.Tag(sessionURL(s)), tc.body).Expect(t, http.StatusForbidden).Problem(t)
			if !slices.Equal(p.Fields(), tc.fields) {
				t.Fatalf("problem names %v, want %v", p.Fields(), tc.fields)
			}
		})
	}
	got := getSession(t, env, c.clinician.Token, s)
	if got.Version != 1 || got.Status != api.SessionStatusScheduled || got.Preparation.Intention != nil || got.Journey.Notes != nil || got.Sitter != nil {
		t.Fatalf("refused updates changed the session: %+v", got)
	}
	env.PatchIf(sessionURL(s), c.admin.Token, env.Tag(sessionURL(s)), map[string]any{"status": "cancelled"}).Expect(t, http.StatusForbidden).Problem(t)
}

func TestPatientPreparesSession(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c, _, sessions := plannedClinic(t, env)
	path := sessionURL(sessions[1])
	sitter := map[string]any{"name": "Jordan Lee", "relationship": "partner", "phone": "+1 310 555 0100"}

	var s api.TreatmentSession
	env.PatchIf(path, c.patient.Token, env.Tag(path), map[string]any{
		"sitter":      sitter,
		"preparation": map[string]any{"intention": secretIntention, "checklist": map[string]any{"fasting_confirmed": true, "music_ready": true}},
	}).Expect(t, http.StatusOK).JSON(t, &s)
	ck := s.Preparation.Checklist
	if s.Sitter == nil || s.Sitter.Name != "Jordan Lee" || s.Preparation.Intention == nil || *s.Preparation.Intention != secretIntention ||
		!ck.FastingConfirmed || !ck.MusicReady || ck.RideHomeArranged || ck.SettingPrepared || s.Version != 2 {
		t.Fatalf("prepared session: %+v", s)
	}
	// Absent fields stay; the checklist changes item by item; null clears.
	s = api.TreatmentSession{}
	env.PatchIf(path, c.patient.Token, env.Tag(path), map[string]any{
		"sitter":      nil,
		"preparation": map[string]any{"notes": "Eye mask and my playlist.", "checklist": map[string]any{"ride_home_arranged": true}},
	}).Expect(t, http.StatusOK).JSON(t, &s)
	ck = s.Preparation.Checklist
	if s.Sitter != nil || s.Preparation.Intention == nil || s.Preparation.Notes == nil || !ck.FastingConfirmed || !ck.RideHomeArranged || s.Version != 3 {
		t.Fatalf("after the second update: %+v", s)
	}
	// Sending what is already stored is no change: the version stays.
	s = api.TreatmentSession{}
	env.PatchIf(path, c.patient.Token, env.Tag(path), map[string]any{"preparation": map[string]any{"intention": secretIntention}}).Expect(t, http.StatusOK).JSON(t, &s)
	if s.Version != 3 {
		t.Fatalf("an update that changes nothing bumped the version to %d", s.Version)
	}
	// The care team reads the patient's preparation.
	if got := getSession(t, env, c.clinician.Token, sessions[1]); got.Preparation.Notes == nil || got.Preparation.Intention == nil {
		t.Fatalf("the care team sees %+v", got.Preparation)
	}

	for body, field := range map[string]string{
		`{"sitter":{"name":"Jo","relationship":"friend"}}`:                   "sitter.phone",
		`{"sitter":{"name":"Jo","relationship":"friend","phone":"call me"}}`: "sitter.phone",
		`{"preparation":{"intention":""}}`:                                   "preparation.intention",
		`{"preparation":{"intention":"` + strings.Repeat("x", 2001) + `"}}`:  "preparation.intention",
		`{"preparation":{"checklist":{"fasting_confirmed":"yes"}}}`:          "preparation.checklist.fasting_confirmed",
		`{"preparation":{"checklist":{"meditated":true}}}`:                   "preparation.checklist.meditated",
		`{"preparation":{}}`:       "preparation",
		`{}`:                       "body",
		`{"journal_entry_ids":[]}`: "journal_entry_ids",
	} {
		p := env.Do(apitest.Request{Method: http.MethodPatch, Path: path, Token: c.patient.Token, Body: body, Header: env.IfMatch(http.MethodPatch, path)}).
			Expect(t, http.StatusBadRequest).Problem(t)
		if !slices.Contains(p.Fields(), field) {
			t.Errorf("%s: problem names %v, want %s", body, p.Fields(), field)
		}
	}
	if got := getSession(t, env, c.patient.Token, sessions[1]); got.Version != 3 {
		t.Fatalf("refused updates changed the session to version %d", got.Version)
	}
}

func TestSessionNotesAreTheCareTeams(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c, plan, sessions := plannedClinic(t, env)
	s := sessions[0]
	env.PatchIf(sessionURL(s), c.clinician.Token, env.Tag(sessionURL(s)), map[string]any{
		"journey":     map[string]any{"notes": secretJourneyNote, "started_at": timeAgo(time.Hour)},
		"integration": map[string]any{"therapist_notes": secretTherapistNote},
	}).Expect(t, http.StatusOK)

	// The session's own page, the list, and the patient's own update all
	// leave the notes out: the keys are absent, not empty.
	for _, who := range []apitest.User{c.patient, c.admin} {
		reads := []*apitest.Response{
			env.Get(sessionURL(s), who.Token).Expect(t, http.StatusOK),
			env.Get("/v1/sessions?patient_id="+c.patient.ID.String()+"&plan_id="+plan.ID.String(), who.Token).Expect(t, http.StatusOK),
		}
		if who.Role == "patient" {
			reads = append(reads, env.PatchIf(sessionURL(s), who.Token, env.Tag(sessionURL(s)), map[string]any{"preparation": map[string]any{"notes": "ready"}}).Expect(t, http.StatusOK))
		}
		for _, r := range reads {
			obj := decodeObject(t, r)
			items := []any{obj}
			if list, ok := obj["items"].([]any); ok {
				items = list
			}
			for _, it := range items {
				m := it.(map[string]any)
				if hasKey(m["journey"], "notes") || hasKey(m["integration"], "therapist_notes") || !hasKey(m, "integration") {
					t.Fatalf("%s sees %v", who.Role, m)
				}
			}
			if strings.Contains(string(r.Body), secretJourneyNote) || strings.Contains(string(r.Body), secretTherapistNote) {
				t.Fatalf("%s sees the care team's notes: %s", who.Role, r.Body)
			}
		}
		if got := getSession(t, env, who.Token, s); got.Journey.StartedAt == nil {
			t.Fatalf("%s must still see when the journey started", who.Role)
		}
	}
	got := getSession(t, env, c.clinician.Token, s)
	if got.Journey.Notes == nil || *got.Journey.Notes != secretJourneyNote || got.Integration.TherapistNotes == nil {
		t.Fatalf("the care team sees %+v", got)
	}
	// Null clears a note.
	got = api.TreatmentSession{} // decode afresh: absent keys must not linger
	env.PatchIf(sessionURL(s), c.clinician.Token, env.Tag(sessionURL(s)), map[string]any{"journey": map[string]any{"notes": nil}}).Expect(t, http.StatusOK).JSON(t, &got)
	if got.Journey.Notes != nil || got.Integration.TherapistNotes == nil {
		t.Fatalf("after clearing the journey notes: %+v", got)
	}
}

func TestSessionLifecycle(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c, _, sessions := plannedClinic(t, env)
	patch := func(s api.TreatmentSession, who apitest.User, body map[string]any, status int) apitest.Problem {
		t.Helper()
		r := env.PatchIf(sessionURL(s), who.Token, env.Tag(sessionURL(s)), body).Expect(t, status)
		if status >= 400 {
			return r.Problem(t)
		}
		return apitest.Problem{}
	}
	wantFields := func(p apitest.Problem, fields ...string) {
		t.Helper()
		if !slices.Equal(p.Fields(), fields) {
			t.Fatalf("problem names %v, want %v", p.Fields(), fields)
		}
	}
	started, ended := timeAgo(2*time.Hour), timeAgo(time.Hour)

	// Completing needs the journey's start and end.
	s := sessions[0]
	wantFields(patch(s, c.clinician, map[string]any{"status": "completed"}, http.StatusConflict), "journey.started_at", "journey.ended_at")
	patch(s, c.clinician, map[string]any{"status": "in_progress", "route": "intramuscular", "journey": map[string]any{"started_at": started, "dose_mg": 35.456, "dose_mg_per_kg": 0.51234}}, http.StatusOK)
	wantFields(patch(s, c.clinician, map[string]any{"status": "completed"}, http.StatusConflict), "journey.ended_at")
	// Once under way, the patient's arrangements and the route are settled.
	wantFields(patch(s, c.patient, map[string]any{"sitter": nil, "preparation": map[string]any{"intention": "late"}}, http.StatusConflict), "sitter", "preparation.intention")
	wantFields(patch(s, c.clinician, map[string]any{"route": "oral"}, http.StatusConflict), "route")
	wantFields(patch(s, c.clinician, map[string]any{"status": "scheduled"}, http.StatusConflict), "status")
	patch(s, c.clinician, map[string]any{"status": "completed", "journey": map[string]any{"ended_at": ended}}, http.StatusOK)
	got := getSession(t, env, c.clinician.Token, s)
	if got.Status != api.SessionStatusCompleted || got.Route != api.Intramuscular || got.Journey.DoseMg == nil || *got.Journey.DoseMg != 35.46 ||
		*got.Journey.DoseMgPerKg != 0.5123 || got.Journey.EndedAt == nil || got.Version != 3 {
		t.Fatalf("completed session: %+v %+v", got, got.Journey)
	}
	// Completed is final, keeps its times, and still takes notes.
	wantFields(patch(s, c.clinician, map[string]any{"status": "cancelled"}, http.StatusConflict), "status")
	wantFields(patch(s, c.clinician, map[string]any{"journey": map[string]any{"ended_at": nil}}, http.StatusConflict), "journey.ended_at")
	patch(s, c.clinician, map[string]any{"journey": map[string]any{"dose_mg": 30}, "integration": map[string]any{"therapist_notes": secretTherapistNote}}, http.StatusOK)

	// Straight from scheduled to completed, with both times at once.
	patch(sessions[1], c.clinician, map[string]any{"status": "completed", "journey": map[string]any{"started_at": started, "ended_at": ended}}, http.StatusOK)

	// A missed or cancelled session records no journey, but takes notes.
	for i, status := range []string{"no_show", "cancelled"} {
		s := sessions[2+i]
		patch(s, c.clinician, map[string]any{"status": status}, http.StatusOK)
		wantFields(patch(s, c.clinician, map[string]any{"journey": map[string]any{"started_at": started, "dose_mg": 20}}, http.StatusConflict), "journey.started_at", "journey.dose_mg")
		wantFields(patch(s, c.clinician, map[string]any{"status": "scheduled"}, http.StatusConflict), "status")
		wantFields(patch(s, c.clinician, map[string]any{"status": "in_progress"}, http.StatusConflict), "status")
		patch(s, c.clinician, map[string]any{"journey": map[string]any{"notes": "Called; rebooking."}}, http.StatusOK)
	}

	// The journey's times must make sense.
	s = sessions[4]
	for _, tc := range []struct {
		journey map[string]any
		field   string
	}{
		{map[string]any{"ended_at": ended}, "journey.ended_at"},
		{map[string]any{"started_at": ended, "ended_at": started}, "journey.ended_at"},
		{map[string]any{"started_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}, "journey.started_at"},
		{map[string]any{"started_at": "yesterday"}, "journey.started_at"},
		{map[string]any{"dose_mg": 0}, "journey.dose_mg"},
		{map[string]any{"dose_mg": 5000}, "journey.dose_mg"},
		{map[string]any{"dose_mg_per_kg": 11}, "journey.dose_mg_per_kg"},
		{map[string]any{"notes": ""}, "journey.notes"},
	} {
		wantFields(patch(s, c.clinician, map[string]any{"journey": tc.journey}, http.StatusBadRequest), tc.field)
	}
	wantFields(patch(s, c.clinician, map[string]any{"status": "paused"}, http.StatusBadRequest), "status")
	if got := getSession(t, env, c.clinician.Token, s); got.Version != 1 {
		t.Fatalf("refused updates changed the session to version %d", got.Version)
	}
	env.PatchIf("/v1/sessions/0192f5a8-6a2b-7c3d-9e4f-1a2b3c4d5e6f", c.clinician.Token, env.Tag("/v1/sessions/0192f5a8-6a2b-7c3d-9e4f-1a2b3c4d5e6f"), map[string]any{"status": "cancelled"}).Expect(t, http.StatusNotFound).Problem(t)
}

func TestListSessions(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c, first, _ := plannedClinic(t, env)
	pid := c.patient.ID.String()
	// A second plan on the same days and times as the cancelled first one, so
	// sessions share scheduled_at and paging must fall back on the id.
	env.PatchIf(plansPath(c)+"/"+first.ID.String(), c.clinician.Token, env.Tag(plansPath(c)+"/"+first.ID.String()), map[string]any{"status": "cancelled"}).Expect(t, http.StatusOK)
	second := makePlan(t, env, c, map[string]any{"start_date": localDate(t, "UTC", 1), "sessions_per_week": 2, "route": "oral"})

	all := listAllSessions(t, env, c.clinician.Token, "/v1/sessions?patient_id="+pid, 200)
	if len(all) != 12 {
		t.Fatalf("%d sessions, want 12", len(all))
	}
	for i := 1; i < len(all); i++ {
		a, b := all[i-1], all[i]
		if b.ScheduledAt.Before(a.ScheduledAt) || (b.ScheduledAt.Equal(a.ScheduledAt) && b.ID.String() <= a.ID.String()) {
			t.Fatalf("sessions %d and %d are out of order: %s %s, %s %s", i-1, i, a.ScheduledAt, a.ID, b.ScheduledAt, b.ID)
		}
	}
	if !all[0].ScheduledAt.Equal(all[1].ScheduledAt) {
		t.Fatal("the test needs sessions that share scheduled_at")
	}
	for _, limit := range []int{1, 2, 5} {
		paged := listAllSessions(t, env, c.clinician.Token, "/v1/sessions?patient_id="+pid, limit)
		if len(paged) != len(all) {
			t.Fatalf("limit %d: %d sessions, want %d", limit, len(paged), len(all))
		}
		for i := range all {
			if paged[i].ID != all[i].ID {
				t.Fatalf("limit %d: session %d differs from the unpaged list", limit, i)
			}
		}
	}

	// The patient needs no patient_id; their own is fine too.
	mine := listAllSessions(t, env, c.patient.Token, "/v1/sessions?", 4)
	own := listAllSessions(t, env, c.patient.Token, "/v1/sessions?patient_id="+pid, 50)
	if len(mine) != 12 || len(own) != 12 {
		t.Fatalf("the patient lists %d and %d sessions", len(mine), len(own))
	}
	if n := len(listAllSessions(t, env, c.admin.Token, "/v1/sessions?patient_id="+pid, 50)); n != 12 {
		t.Fatalf("an admin lists %d sessions", n)
	}

	// Filters.
	count := func(query string) int {
		t.Helper()
		return len(listAllSessions(t, env, c.clinician.Token, "/v1/sessions?patient_id="+pid+query, 50))
	}
	if n := count("&status=cancelled"); n != 6 {
		t.Fatalf("%d cancelled sessions, want 6", n)
	}
	if n := count("&status=scheduled&plan_id=" + second.ID.String()); n != 6 {
		t.Fatalf("%d scheduled sessions of the second plan, want 6", n)
	}
	if n := count("&plan_id=" + first.ID.String() + "&status=scheduled"); n != 0 {
		t.Fatalf("%d scheduled sessions of the cancelled plan", n)
	}
	from, to := all[2].ScheduledAt.UTC().Format(time.RFC3339), all[6].ScheduledAt.UTC().Format(time.RFC3339)
	if n := count("&from=" + from + "&to=" + to); n != 4 {
		t.Fatalf("%d sessions from %s until %s, want 4", n, from, to)
	}

	// Bad requests name the parameter.
	for query, field := range map[string]string{
		"":                  "query.patient_id",
		"?status=cancelled": "query.patient_id",
		"?patient_id=" + pid + "&from=" + to + "&to=" + from:   "query.from",
		"?patient_id=" + pid + "&from=" + from + "&to=" + from: "query.from",
		"?patient_id=" + pid + "&status=done":                  "query.status",
		"?patient_id=" + pid + "&from=tomorrow":                "query.from",
		"?patient_id=" + pid + "&cursor=forged":                "query.cursor",
		"?patient_id=" + pid + "&limit=201":                    "query.limit",
		"?patient_id=not-a-uuid":                               "query.patient_id",
	} {
		p := env.Get("/v1/sessions"+query, c.clinician.Token).Expect(t, http.StatusBadRequest).Problem(t)
		if !slices.Contains(p.Fields(), field) {
			t.Errorf("%s: problem names %v, want %s", query, p.Fields(), field)
		}
	}
	// Someone else's patient is not found, whoever asks.
	env.Get("/v1/sessions?patient_id="+c.otherPatient.ID.String(), c.patient.Token).Expect(t, http.StatusNotFound).Problem(t)
	env.Get("/v1/sessions?patient_id="+c.otherPatient.ID.String(), c.clinician.Token).Expect(t, http.StatusNotFound).Problem(t)
	var none api.TreatmentSessionPage
	env.Get("/v1/sessions", c.otherPatient.Token).Expect(t, http.StatusOK).JSON(t, &none)
	if len(none.Items) != 0 {
		t.Fatalf("another patient lists %d sessions", len(none.Items))
	}
}

func TestVitalSigns(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c, _, sessions := plannedClinic(t, env)
	path := sessionURL(sessions[0]) + "/vitals"
	nurse := env.Clinician("Nurse Kim", "nurse")
	env.Put("/v1/patients/"+c.patient.ID.String()+"/care-team/"+nurse.ID.String(), c.admin.Token, nil).Expect(t, http.StatusOK)

	reading := func(takenAgo time.Duration, systolic int) map[string]any {
		return map[string]any{"taken_at": timeAgo(takenAgo), "systolic": systolic, "diastolic": 80, "heart_rate": 72, "spo2": 98}
	}
	// Entered out of order; listed in the order taken.
	var v api.VitalSign
	env.Post(path, nurse.Token, reading(10*time.Minute, 141)).Expect(t, http.StatusCreated).JSON(t, &v)
	if v.RecordedBy != nurse.ID || v.SessionID != sessions[0].ID || v.Systolic != 141 {
		t.Fatalf("reading: %+v", v)
	}
	env.Post(path, c.clinician.Token, reading(40*time.Minute, 120)).Expect(t, http.StatusCreated)
	env.Post(path, nurse.Token, reading(25*time.Minute, 135)).Expect(t, http.StatusCreated)
	for _, who := range []apitest.User{nurse, c.patient, c.admin} {
		var got []int
		cursor := ""
		for {
			var pg api.VitalSignPage
			env.Get(path+"?limit=2"+cursor, who.Token).Expect(t, http.StatusOK).JSON(t, &pg)
			for _, it := range pg.Items {
				got = append(got, it.Systolic)
			}
			if pg.NextCursor.IsNull() {
				break
			}
			cursor = "&cursor=" + pg.NextCursor.MustGet()
		}
		if !slices.Equal(got, []int{120, 135, 141}) {
			t.Fatalf("%s reads systolic %v, want them in the order taken", who.Role, got)
		}
	}

	for _, tc := range []struct {
		name  string
		set   map[string]any
		field string
	}{
		{"systolic too high", map[string]any{"systolic": 400}, "systolic"},
		{"systolic too low", map[string]any{"systolic": 20}, "systolic"},
		{"diastolic above systolic", map[string]any{"systolic": 100, "diastolic": 110}, "diastolic"},
		{"diastolic equal to systolic", map[string]any{"systolic": 100, "diastolic": 100}, "diastolic"},
		{"heart rate zero", map[string]any{"heart_rate": 0}, "heart_rate"},
		{"heart rate impossible", map[string]any{"heart_rate": 400}, "heart_rate"},
		{"oxygen over 100%", map[string]any{"spo2": 101}, "spo2"},
		{"oxygen too low to live", map[string]any{"spo2": 30}, "spo2"},
		{"not a number", map[string]any{"spo2": "98%"}, "spo2"},
		{"fractional", map[string]any{"heart_rate": 72.5}, "heart_rate"},
		{"in the future", map[string]any{"taken_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}, "taken_at"},
		{"missing", map[string]any{"spo2": nil}, "spo2"},
		{"unknown field", map[string]any{"temperature": 37}, "temperature"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := reading(time.Minute, 120)
			for k, v := range tc.set {
				if v == nil {
					delete(body, k)
				} else {
					body[k] = v
				}
			}
			p := env.Post(path, nurse.Token, body).Expect(t, http.StatusBadRequest).Problem(t)
			if !slices.Contains(p.Fields(), tc.field) {
				t.Fatalf("problem names %v, want %s", p.Fields(), tc.field)
			}
		})
	}
	var pg api.VitalSignPage
	env.Get(path, nurse.Token).Expect(t, http.StatusOK).JSON(t, &pg)
	if len(pg.Items) != 3 {
		t.Fatalf("%d readings after refused ones, want 3", len(pg.Items))
	}

	// Only the care team records readings, and only for sessions that are held.
	env.Post(path, c.patient.Token, reading(time.Minute, 120)).Expect(t, http.StatusForbidden).Problem(t)
	env.PatchIf(sessionURL(sessions[1]), c.clinician.Token, env.Tag(sessionURL(sessions[1])), map[string]any{"status": "cancelled"}).Expect(t, http.StatusOK)
	env.Post(sessionURL(sessions[1])+"/vitals", nurse.Token, reading(time.Minute, 120)).Expect(t, http.StatusConflict).Problem(t)
	env.Post("/v1/sessions/0192f5a8-6a2b-7c3d-9e4f-1a2b3c4d5e6f/vitals", nurse.Token, reading(time.Minute, 120)).Expect(t, http.StatusNotFound).Problem(t)
}

// sessionAs reads a session as the caller sees it: the session and its ETag.
func sessionAs(t *testing.T, env *apitest.Env, token string, s api.TreatmentSession) (api.TreatmentSession, string) {
	t.Helper()
	r := env.Get(sessionURL(s), token).Expect(t, http.StatusOK)
	var out api.TreatmentSession
	r.JSON(t, &out)
	if tag := r.ETag(t); tag != handlers.ETag(out.ID, out.Version) {
		t.Fatalf("ETag %s does not name the version %d the body carries", tag, out.Version)
	}
	return out, r.ETag(t)
}

// TestClinicalNotesLeaveThePatientsViewAlone: the care team's notes are
// invisible to the patient, and so is their writing: the patient's (and an
// admin's) version, updated_at and ETag of a session move only with what
// they see, everywhere they see the session (its GET, lists, sync,
// export), while the care team's move with every change. If-Match takes
// the tag its caller was given: the patient's conflicts with changes they
// can see, the care team's with any change.
func TestClinicalNotesLeaveThePatientsViewAlone(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c, _, sessions := plannedClinic(t, env)
	s := sessions[0]
	app := newSyncClient(env, c.patient.Token)
	app.catchUp(t, 0)
	before, patientTag := sessionAs(t, env, c.patient.Token, s)
	staff, staffTag := sessionAs(t, env, c.clinician.Token, s)
	listedSince := url.QueryEscape(time.Now().UTC().Format(time.RFC3339Nano))

	var noted api.TreatmentSession
	env.PatchIf(sessionURL(s), c.clinician.Token, staffTag, map[string]any{"journey": map[string]any{"notes": "Calm, steady."}}).
		Expect(t, http.StatusOK).JSON(t, &noted)
	env.PatchIf(sessionURL(s), c.clinician.Token, handlers.ETag(s.ID, noted.Version), map[string]any{"integration": map[string]any{"therapist_notes": "Spoke of grief."}}).
		Expect(t, http.StatusOK).JSON(t, &noted)
	if noted.Version != staff.Version+2 || !noted.UpdatedAt.After(staff.UpdatedAt) {
		t.Fatalf("the care team's view must move with their notes: version %d -> %d, updated_at %s -> %s", staff.Version, noted.Version, staff.UpdatedAt, noted.UpdatedAt)
	}

	after, tag := sessionAs(t, env, c.patient.Token, s)
	if after.Version != before.Version || !after.UpdatedAt.Equal(before.UpdatedAt) || tag != patientTag {
		t.Fatalf("notes the patient cannot see changed their view: version %d -> %d, updated_at %s -> %s, ETag %s -> %s",
			before.Version, after.Version, before.UpdatedAt, after.UpdatedAt, patientTag, tag)
	}
	env.Do(apitest.Request{Method: http.MethodGet, Path: sessionURL(s), Token: c.patient.Token, Header: http.Header{"If-None-Match": {patientTag}}}).
		Expect(t, http.StatusNotModified)
	if admin, adminTag := sessionAs(t, env, c.admin.Token, s); admin.Version != before.Version || adminTag != patientTag {
		t.Fatalf("an admin, who does not see the notes either, got version %d (%s), want the patient's %d", admin.Version, adminTag, before.Version)
	}
	if items := app.catchUp(t, 0); len(items) != 0 {
		t.Fatalf("the patient's sync delivers a change they cannot see: %v", items)
	}
	if listed := listAllSessions(t, env, c.patient.Token, "/v1/sessions?updated_since="+listedSince, 50); len(listed) != 0 {
		t.Fatalf("the patient's list since before the notes has %d sessions, want none", len(listed))
	}
	export, _ := exportOf(t, env, c.patient)
	for _, x := range export.TreatmentSessions {
		if x.ID == s.ID && (x.Version != before.Version || !x.UpdatedAt.Equal(before.UpdatedAt)) {
			t.Fatalf("the export has version %d at %s, the patient's GET %d at %s", x.Version, x.UpdatedAt, before.Version, before.UpdatedAt)
		}
	}

	// The patient's tag from before the notes is still current for them.
	var prepared api.TreatmentSession
	env.PatchIf(sessionURL(s), c.patient.Token, patientTag, map[string]any{"preparation": map[string]any{"intention": "Gentleness."}}).
		Expect(t, http.StatusOK).JSON(t, &prepared)
	if prepared.Version != before.Version+1 {
		t.Fatalf("the patient's change: version %d, want %d", prepared.Version, before.Version+1)
	}
	if items := app.catchUp(t, 0); len(items) != 1 || items[0].Record["version"] != float64(prepared.Version) {
		t.Fatalf("the patient's sync after their change: %v, want the session at version %d", items, prepared.Version)
	}
	// The care team's write conflicts with the patient's change, which they
	// see; then the patient's with the care team's change of the route.
	env.PatchIf(sessionURL(s), c.clinician.Token, handlers.ETag(s.ID, noted.Version), map[string]any{"journey": map[string]any{"notes": "Overwrite?"}}).
		Expect(t, http.StatusPreconditionFailed).Problem(t)
	current, staffTag := sessionAs(t, env, c.clinician.Token, s)
	if current.Version != noted.Version+1 || current.Journey.Notes == nil || *current.Journey.Notes != "Calm, steady." {
		t.Fatalf("the care team's view after the patient's change: %+v", current)
	}
	env.PatchIf(sessionURL(s), c.clinician.Token, staffTag, map[string]any{"route": "intranasal"}).Expect(t, http.StatusOK)
	env.PatchIf(sessionURL(s), c.patient.Token, handlers.ETag(s.ID, prepared.Version), map[string]any{"preparation": map[string]any{"notes": "Eye mask."}}).
		Expect(t, http.StatusPreconditionFailed).Problem(t)
	if items := app.catchUp(t, 0); len(items) != 1 {
		t.Fatalf("a route change the patient sees must reach their sync: %v", items)
	}
}
