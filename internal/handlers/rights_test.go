package handlers_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/ketacare/api/internal/api"
	"github.com/ketacare/api/internal/apitest"
	"github.com/ketacare/api/internal/config"
	"github.com/ketacare/api/internal/store"
)

// patientRecords are the records fillRecords made for one patient, by the
// export member that lists them, with the words only they hold and the care
// team's notes about them, which no export may carry.
type patientRecords struct {
	ids     map[string][]uuid.UUID
	words   []string
	secrets []string
	alertID uuid.UUID
}

// exportedKinds are the export's lists of the patient's records that
// fillRecords makes one or more of each.
var exportedKinds = []string{
	"candidacy_evaluations", "treatment_plans", "treatment_sessions", "vital_signs", "journal_entries",
	"activities", "goals", "goal_check_ins", "assessments", "mood_check_ins",
}

// fillRecords gives c.patient a record of every kind, through the API, each
// holding words that name tag: an evaluation and plan by c.clinician, the
// care team's notes on a session, a vital sign, two journal entries (one
// shared, longer than an excerpt), an activity, a goal and a check-in on it,
// a PHQ-9 that raises a safety alert, a mood check-in, and a read by the
// clinician for the access log.
func fillRecords(t *testing.T, env *apitest.Env, c clinic, tag string) patientRecords {
	t.Helper()
	r := patientRecords{ids: map[string][]uuid.UUID{}}
	add := func(kind string, id uuid.UUID) { r.ids[kind] = append(r.ids[kind], id) }
	word := func(s string) string { w := tag + " " + s; r.words = append(r.words, w); return w }
	secret := func(s string) string { w := tag + " secret " + s; r.secrets = append(r.secrets, w); return w }

	var ev api.CandidacyEvaluation
	env.Post(evaluationsPath(c), c.clinician.Token, map[string]any{
		"evaluated_at": timeAgo(time.Hour), "outcome": "eligible", "clinician_notes": secret("evaluation note"),
		"baseline_blood_pressure": map[string]any{"systolic": 122, "diastolic": 78},
	}).Expect(t, http.StatusCreated).JSON(t, &ev)
	add("candidacy_evaluations", ev.ID)
	plan := makePlan(t, env, c, map[string]any{"start_date": localDate(t, "UTC", 1), "sessions_per_week": 2, "session_count": 2, "route": "intranasal"})
	add("treatment_plans", plan.ID)
	sessions := sessionsOf(t, env, c, plan.ID)
	for _, s := range sessions {
		add("treatment_sessions", s.ID)
	}
	s := sessionURL(sessions[0])
	env.PatchIf(s, c.patient.Token, env.Tag(s), map[string]any{"preparation": map[string]any{"intention": word("intention")}}).Expect(t, http.StatusOK)
	env.PatchIf(s, c.clinician.Token, env.Tag(s), map[string]any{
		"journey": map[string]any{"notes": secret("journey note")}, "integration": map[string]any{"therapist_notes": secret("therapist note")},
	}).Expect(t, http.StatusOK)
	var v api.VitalSign
	env.Post(s+"/vitals", c.clinician.Token, map[string]any{"taken_at": timeAgo(time.Minute), "systolic": 131, "diastolic": 82, "heart_rate": 71, "spo2": 98}).
		Expect(t, http.StatusCreated).JSON(t, &v)
	add("vital_signs", v.ID)

	shared := postEntry(t, env, c.patient.Token, map[string]any{
		"body": strings.Repeat("Waves came and went. ", 15) + word("end of a long entry"), "session_id": sessions[0].ID,
		"shared_with_care_team": true, "insights": []string{word("insight")},
	})
	private := postEntry(t, env, c.patient.Token, map[string]any{"title": word("title"), "body": word("private body")})
	add("journal_entries", shared.ID)
	add("journal_entries", private.ID)
	add("activities", postActivity(t, env, c.patient.Token, map[string]any{"kind": "nature", "occurred_at": timeAgo(time.Hour), "note": word("activity note")}).ID)
	goal := postGoal(t, env, c.patient.Token, map[string]any{"title": word("goal"), "why": word("why"), "first_step": word("first step"),
		"category": "connection", "source_journal_entry_id": shared.ID})
	add("goals", goal.ID)
	var ci api.GoalCheckIn
	env.Post("/v1/goals/"+goal.ID.String()+"/check-ins", c.patient.Token, map[string]any{"progress": 30, "note": word("check-in note")}).
		Expect(t, http.StatusCreated).JSON(t, &ci)
	add("goal_check_ins", ci.ID)
	add("assessments", assess(t, env, c.patient, phq9(12, 1)).ID)
	add("mood_check_ins", checkIn(t, env, c.patient, map[string]any{"mood": 4, "note": word("mood note")}).ID)

	for _, a := range alerts(t, env, c.clinician, "?patient_id="+c.patient.ID.String()) {
		r.alertID = a.ID
	}
	if r.alertID == uuid.Nil {
		t.Fatal("the PHQ-9 raised no safety alert")
	}
	env.Get("/v1/patients/"+c.patient.ID.String()+"/journal-entries/"+shared.ID.String(), c.clinician.Token).Expect(t, http.StatusOK)
	return r
}

// twoPatients is a clinic whose two patients each have a care team of their
// own and a record of every kind.
func twoPatients(t *testing.T, env *apitest.Env) (clinic, patientRecords, clinic, patientRecords) {
	t.Helper()
	a := newClinic(t, env)
	b := clinic{admin: a.admin, patient: a.otherPatient, otherPatient: a.patient, clinician: a.outsider, outsider: a.clinician}
	env.Put("/v1/patients/"+b.patient.ID.String()+"/care-team/"+b.clinician.ID.String(), b.admin.Token, nil).Expect(t, http.StatusOK)
	return a, fillRecords(t, env, a, "Aurora"), b, fillRecords(t, env, b, "Borealis")
}

// exportOf downloads the patient's export.
func exportOf(t *testing.T, env *apitest.Env, who apitest.User) (api.PatientExport, *apitest.Response) {
	t.Helper()
	r := env.Get("/v1/me/export", who.Token).Expect(t, http.StatusOK)
	var x api.PatientExport
	r.JSON(t, &x)
	return x, r
}

// exportedIDs are the ids of each list of an export.
func exportedIDs(x api.PatientExport) map[string][]uuid.UUID {
	ids := func(n int, id func(int) uuid.UUID) []uuid.UUID {
		out := make([]uuid.UUID, n)
		for i := range out {
			out[i] = id(i)
		}
		return out
	}
	return map[string][]uuid.UUID{
		"care_team":             ids(len(x.CareTeam), func(i int) uuid.UUID { return x.CareTeam[i].ClinicianID }),
		"candidacy_evaluations": ids(len(x.CandidacyEvaluations), func(i int) uuid.UUID { return x.CandidacyEvaluations[i].ID }),
		"treatment_plans":       ids(len(x.TreatmentPlans), func(i int) uuid.UUID { return x.TreatmentPlans[i].ID }),
		"treatment_sessions":    ids(len(x.TreatmentSessions), func(i int) uuid.UUID { return x.TreatmentSessions[i].ID }),
		"vital_signs":           ids(len(x.VitalSigns), func(i int) uuid.UUID { return x.VitalSigns[i].ID }),
		"journal_entries":       ids(len(x.JournalEntries), func(i int) uuid.UUID { return x.JournalEntries[i].ID }),
		"activities":            ids(len(x.Activities), func(i int) uuid.UUID { return x.Activities[i].ID }),
		"goals":                 ids(len(x.Goals), func(i int) uuid.UUID { return x.Goals[i].ID }),
		"goal_check_ins":        ids(len(x.GoalCheckIns), func(i int) uuid.UUID { return x.GoalCheckIns[i].ID }),
		"assessments":           ids(len(x.Assessments), func(i int) uuid.UUID { return x.Assessments[i].ID }),
		"mood_check_ins":        ids(len(x.MoodCheckIns), func(i int) uuid.UUID { return x.MoodCheckIns[i].ID }),
		"access_log":            ids(len(x.AccessLog), func(i int) uuid.UUID { return x.AccessLog[i].ID }),
	}
}

// TestExportHoldsEverythingOfThePatientsAndNothingElse: each of two
// patients' exports has every record of theirs, of every kind, with their
// words in the clear, as the API shows those records to them; no id or word
// of the other patient's, no clinical note, no safety alert.
func TestExportHoldsEverythingOfThePatientsAndNothingElse(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	a, aRecs, b, bRecs := twoPatients(t, env)
	for _, tc := range []struct {
		name        string
		c           clinic
		own, others patientRecords
	}{
		{"first patient", a, aRecs, bRecs},
		{"second patient", b, bRecs, aRecs},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, r := exportOf(t, env, tc.c.patient)
			if cd := r.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="ketacare-export-`) {
				t.Errorf("Content-Disposition %q", cd)
			}
			if x.Format != api.KetacarePatientExportV1 || time.Since(x.ExportedAt) > time.Minute || x.Patient.ID != tc.c.patient.ID {
				t.Errorf("format %q, exported at %v, patient %v", x.Format, x.ExportedAt, x.Patient.ID)
			}
			got := exportedIDs(x)
			for _, kind := range exportedKinds {
				sameSet(t, kind, got[kind], tc.own.ids[kind])
			}
			if len(x.CareTeam) != 1 || x.CareTeam[0].ClinicianID != tc.c.clinician.ID || x.CareTeam[0].DisplayName != tc.c.clinician.Name {
				t.Errorf("care team: %+v", x.CareTeam)
			}

			// The patient's words, decrypted, whole.
			body := string(r.Body)
			for _, w := range tc.own.words {
				if !strings.Contains(body, w) {
					t.Errorf("the export lacks %q", w)
				}
			}
			for _, e := range x.JournalEntries {
				if e.SessionID != nil && (len(e.Body) < 300 || !strings.HasSuffix(e.Body, "end of a long entry")) {
					t.Errorf("a journal entry's body is not whole: %q", e.Body)
				}
			}
			// Sessions as the patient sees them: their journal entries, no notes.
			var linked []uuid.UUID
			for _, s := range x.TreatmentSessions {
				if s.Journey.Notes != nil || s.Integration.TherapistNotes != nil {
					t.Errorf("session %s carries the care team's notes", s.ID)
				}
				if s.Integration.JournalEntryIds == nil {
					t.Fatalf("session %s lacks its journal entry ids", s.ID)
				}
				linked = append(linked, *s.Integration.JournalEntryIds...)
			}
			if len(linked) != 1 {
				t.Errorf("sessions list %d journal entries, want the one about the first", len(linked))
			}
			for _, e := range x.CandidacyEvaluations {
				if e.ClinicianNotes != nil {
					t.Errorf("evaluation %s carries the clinician's notes", e.ID)
				}
			}
			// The clinician's read is in the access log.
			if !slices.ContainsFunc(x.AccessLog, func(e api.AuditEvent) bool {
				return e.ActorID == tc.c.clinician.ID && e.Operation == "getSharedJournalEntry" && e.PatientID == tc.c.patient.ID
			}) {
				t.Errorf("the access log lacks the clinician's read: %+v", x.AccessLog)
			}
			for _, e := range x.AccessLog {
				if e.PatientID != tc.c.patient.ID {
					t.Errorf("the access log holds an event about %s", e.PatientID)
				}
			}

			// Nothing of the other patient's, no note, no alert.
			leaks := append(append([]string{tc.c.otherPatient.ID.String(), tc.c.outsider.Name, tc.own.alertID.String()},
				tc.others.words...), append(tc.own.secrets, tc.others.secrets...)...)
			for _, ids := range tc.others.ids {
				for _, id := range ids {
					leaks = append(leaks, id.String())
				}
			}
			for _, l := range leaks {
				if strings.Contains(body, l) {
					t.Errorf("the export holds %q, which is not the patient's to read", l)
				}
			}
			for _, key := range []string{`"clinician_notes"`, `"therapist_notes"`, `"notes":"` + tc.own.secrets[1]} {
				if strings.Contains(body, key) {
					t.Errorf("the export holds %s", key)
				}
			}
		})
	}

	// The export is the patient's own read: not audited, so exporting adds
	// nothing to the access log.
	before, _ := exportOf(t, env, a.patient)
	after, _ := exportOf(t, env, a.patient)
	if len(after.AccessLog) != len(before.AccessLog) {
		t.Fatalf("exporting added %d access log events", len(after.AccessLog)-len(before.AccessLog))
	}
}

// TestExportPagesThroughLongLists: a list longer than the export reads at a
// time comes whole, each record once, in its list's order, gzip-compressed
// for a client that accepts it.
func TestExportPagesThroughLongLists(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := newClinic(t, env)
	var want []uuid.UUID
	for i := range 230 {
		want = append(want, checkIn(t, env, c.patient, map[string]any{"mood": 1 + i%10}).ID)
	}
	x, _ := exportOf(t, env, c.patient)
	got := exportedIDs(x)["mood_check_ins"]
	slices.Reverse(want) // newest first, as GET /v1/mood-check-ins lists them
	if !slices.Equal(got, want) {
		t.Fatalf("the export has %d mood check-ins, want the %d made, newest first", len(got), len(want))
	}
	if len(x.JournalEntries) != 0 || x.JournalEntries == nil || x.AccessLog == nil {
		t.Fatal("empty lists must be [], not absent or null")
	}

	res, raw := rawGet(t, env, "/v1/me/export", c.patient.Token, "gzip")
	if res.Header.Get("Content-Encoding") != "gzip" || !strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("headers: %v", res.Header)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil || !bytes.Contains(plain, []byte(want[0].String())) {
		t.Fatalf("the gzip body does not hold the export (%v)", err)
	}
}

// TestExportFailingMidwayCutsTheConnection: once the 200 and the first
// records have left, a failure cannot change the status, so the transfer
// breaks instead of ending with a document that looks whole and is not.
func TestExportFailingMidwayCutsTheConnection(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := newClinic(t, env)
	// Enough words before the mood check-ins that the start of the export
	// has surely left the server's buffers when the check-in fails.
	for range 4 {
		postEntry(t, env, c.patient.Token, map[string]any{"body": strings.Repeat("The long walk home. ", 900)})
	}
	m := checkIn(t, env, c.patient, map[string]any{"mood": 3, "note": "Words that will not open."})
	if err := env.DB.Exec("UPDATE mood_check_ins SET note_sealed = ? WHERE id = ?", []byte("not a sealed value"), m.ID).Error; err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, env.Server.URL+"/v1/me/export", nil)
	req.Header.Set("Authorization", "Bearer "+c.patient.Token)
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || err == nil {
		t.Fatalf("status %d, read error %v: the transfer must break after the 200", res.StatusCode, err)
	}
	if !bytes.Contains(body, []byte("The long walk home.")) || bytes.Contains(body, []byte("not open")) || json.Valid(body) {
		t.Fatalf("the broken transfer must hold the start of the export only (%d bytes)", len(body))
	}
	// The service is unharmed: the next request is answered as usual.
	env.Get("/v1/me", c.patient.Token).Expect(t, http.StatusOK)
}

// contentTables hold what a patient writes for themself, which erasure
// deletes, with the condition naming the patient's rows (check-ins by the
// ids made, since their goals go too).
var contentTables = map[string]string{
	"journal_entries":  "patient_id = ?",
	"activities":       "patient_id = ?",
	"goals":            "patient_id = ?",
	"mood_check_ins":   "patient_id = ?",
	"idempotency_keys": "user_id = ?",
}

// clinicalTables hold the clinic's records about the patient, which erasure
// keeps.
var clinicalTables = map[string]string{
	"users":                 "id = ?",
	"care_team_members":     "patient_id = ?",
	"candidacy_evaluations": "patient_id = ?",
	"treatment_plans":       "patient_id = ?",
	"treatment_sessions":    "patient_id = ?",
	"vital_signs":           "session_id IN (SELECT id FROM treatment_sessions WHERE patient_id = ?)",
	"assessments":           "patient_id = ?",
	"safety_alerts":         "patient_id = ?",
	"audit_events":          "patient_id = ?",
}

// rowCounts counts each table's rows matching its condition for the id.
func rowCounts(t *testing.T, env *apitest.Env, tables map[string]string, id any) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for table, where := range tables {
		var n int64
		if err := env.DB.Table(table).Where(where, id).Count(&n).Error; err != nil {
			t.Fatalf("count %s: %v", table, err)
		}
		out[table] = n
	}
	return out
}

// TestEraseMe: the patient's own content is gone from the database and from
// the care team's lists; the clinic's records stay; every token of the
// account is dead and signing in is refused like a wrong password; the
// erasure is in the audit trail; the other patient is untouched.
func TestEraseMe(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	a, aRecs, b, _ := twoPatients(t, env)
	pid := a.patient.ID.String()
	// A create made with an Idempotency-Key keeps its response, which quotes
	// the patient's words.
	env.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/activities", Token: a.patient.Token, Header: withKey("k-1"),
		Body: map[string]any{"kind": "exercise", "occurred_at": timeAgo(time.Hour), "note": "Aurora kept reply"}}).Expect(t, http.StatusCreated)
	// Two devices signed in.
	phone := tokens(t, login(env, a.patient.Email, apitest.FixturePassword).Expect(t, http.StatusOK))
	tablet := tokens(t, login(env, a.patient.Email, apitest.FixturePassword).Expect(t, http.StatusOK))

	content := rowCounts(t, env, contentTables, a.patient.ID)
	for table, n := range content {
		if n == 0 {
			t.Fatalf("the patient has no rows in %s to erase", table)
		}
	}
	clinical := rowCounts(t, env, clinicalTables, a.patient.ID)
	otherContent := rowCounts(t, env, contentTables, b.patient.ID)
	otherClinical := rowCounts(t, env, clinicalTables, b.patient.ID)

	// A wrong password erases nothing and names the field; so does a bad body.
	p := env.Post("/v1/me/erase", a.patient.Token, map[string]any{"password": "not-my-password"}).Expect(t, http.StatusBadRequest).Problem(t)
	if !slices.Equal(p.Fields(), []string{"password"}) {
		t.Fatalf("problem names %v", p.Fields())
	}
	expectInvalid(t, env, http.MethodPost, "/v1/me/erase", a.patient.Token, map[string]any{}, "password")
	expectInvalid(t, env, http.MethodPost, "/v1/me/erase", a.patient.Token, map[string]any{"password": apitest.FixturePassword, "confirm": true}, "confirm")
	if got := rowCounts(t, env, contentTables, a.patient.ID); !equalCounts(got, content) {
		t.Fatalf("a refused erasure changed %v to %v", content, got)
	}
	env.Get("/v1/me", a.patient.Token).Expect(t, http.StatusOK)

	env.Post("/v1/me/erase", a.patient.Token, map[string]any{"password": apitest.FixturePassword}).Expect(t, http.StatusNoContent)

	// The content is gone from the tables themselves, check-ins included.
	for table, n := range rowCounts(t, env, contentTables, a.patient.ID) {
		if n != 0 {
			t.Errorf("%s still holds %d rows of the patient", table, n)
		}
	}
	var checkIns int64
	env.DB.Table("goal_check_ins").Where("id IN ?", aRecs.ids["goal_check_ins"]).Count(&checkIns)
	if checkIns != 0 {
		t.Errorf("goal_check_ins still holds %d of the patient's check-ins", checkIns)
	}
	// The clinic's records stay; the audit trail gains the erasure.
	kept := rowCounts(t, env, clinicalTables, a.patient.ID)
	clinical["audit_events"]++
	if !equalCounts(kept, clinical) {
		t.Errorf("clinical records were %v, now %v", clinical, kept)
	}
	if got := rowCounts(t, env, contentTables, b.patient.ID); !equalCounts(got, otherContent) {
		t.Errorf("the other patient's content changed from %v to %v", otherContent, got)
	}
	if got := rowCounts(t, env, clinicalTables, b.patient.ID); !equalCounts(got, otherClinical) {
		t.Errorf("the other patient's records changed from %v to %v", otherClinical, got)
	}

	// Every token is dead; signing in with the right password answers
	// exactly as a wrong one does.
	var live int64
	env.DB.Table("refresh_tokens").Where("user_id = ? AND revoked_at IS NULL", a.patient.ID).Count(&live)
	if live != 0 {
		t.Errorf("%d refresh tokens are still live", live)
	}
	for _, rt := range []string{phone.RefreshToken, tablet.RefreshToken} {
		env.Post("/v1/auth/refresh", "", map[string]any{"refresh_token": rt}).Expect(t, http.StatusUnauthorized)
	}
	right := login(env, a.patient.Email, apitest.FixturePassword).Expect(t, http.StatusUnauthorized)
	wrong := login(env, a.patient.Email, "not-my-password").Expect(t, http.StatusUnauthorized)
	if !bytes.Equal(problemWithoutRequestID(t, right), problemWithoutRequestID(t, wrong)) ||
		right.Header.Get("WWW-Authenticate") != wrong.Header.Get("WWW-Authenticate") {
		t.Errorf("a closed account's sign-in %s differs from a wrong password's %s", right.Body, wrong.Body)
	}
	for _, tok := range []string{a.patient.Token, phone.AccessToken, tablet.AccessToken} {
		env.Get("/v1/me", tok).Expect(t, http.StatusUnauthorized).Problem(t)
		env.Get("/v1/me/export", tok).Expect(t, http.StatusUnauthorized)
		env.Post("/v1/journal-entries", tok, map[string]any{"body": "After the end."}).Expect(t, http.StatusUnauthorized)
		env.Post("/v1/me/erase", tok, map[string]any{"password": apitest.FixturePassword}).Expect(t, http.StatusUnauthorized)
	}

	// The care team's lists no longer show the erased content; the clinical
	// records are still theirs to read, and the profile says it is closed.
	for _, list := range []string{"/journal-entries", "/activities", "/goals", "/mood-check-ins"} {
		if items := listItems(t, env, a.clinician.Token, "/v1/patients/"+pid+list, 50); len(items) != 0 {
			t.Errorf("the care team still sees %d items at %s", len(items), list)
		}
	}
	for _, list := range []string{"/evaluations", "/treatment-plans", "/assessments"} {
		if items := listItems(t, env, a.clinician.Token, "/v1/patients/"+pid+list, 50); len(items) == 0 {
			t.Errorf("the care team no longer sees %s", list)
		}
	}
	for _, s := range listAllSessions(t, env, a.clinician.Token, "/v1/sessions?patient_id="+pid, 50) {
		if s.Integration.JournalEntryIds == nil || len(*s.Integration.JournalEntryIds) != 0 || (s.Sequence == 1 && s.Integration.TherapistNotes == nil) {
			t.Errorf("session %d after erasure: %+v", s.Sequence, s.Integration)
		}
	}
	var profile api.Patient
	env.Get("/v1/patients/"+pid, a.admin.Token).Expect(t, http.StatusOK).JSON(t, &profile)
	if profile.DeactivatedAt == nil || time.Since(*profile.DeactivatedAt) > time.Minute {
		t.Errorf("the profile does not say the account is closed: %+v", profile)
	}

	// The erasure is in the audit trail, by the patient, for admins.
	var trail api.AuditEventPage
	env.Get("/v1/audit-events?actor_id="+pid, a.admin.Token).Expect(t, http.StatusOK).JSON(t, &trail)
	if len(trail.Items) != 1 {
		t.Fatalf("the trail has %d events by the patient, want the erasure", len(trail.Items))
	}
	if e := trail.Items[0]; e.ActorRole != api.AuditEventActorRolePatient || e.PatientID != a.patient.ID || e.Action != api.Write ||
		e.Operation != "eraseMe" || e.Resource != "/v1/me/erase" || e.ResourceID == nil || *e.ResourceID != a.patient.ID || e.RequestID == "" {
		t.Errorf("erasure event: %+v", e)
	}

	// The other patient carries on.
	x, _ := exportOf(t, env, b.patient)
	if len(x.JournalEntries) != 2 || len(x.MoodCheckIns) != 1 {
		t.Errorf("the other patient's export lost records: %d entries, %d mood check-ins", len(x.JournalEntries), len(x.MoodCheckIns))
	}
}

// TestErasureKeepsTheSyncLogWhole: the sync log holds a tombstone for each
// erased record and the kept records as they are, so the feed of the closed
// account still reads without error (should the clinic ever reopen it); and
// the database refuses new content for a closed account on any path.
func TestErasureKeepsTheSyncLogWhole(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	a, aRecs, _, _ := twoPatients(t, env)
	env.Post("/v1/me/erase", a.patient.Token, map[string]any{"password": apitest.FixturePassword}).Expect(t, http.StatusNoContent)

	now := time.Now().UTC()
	sealed := []byte("sealed")
	for table, row := range map[string]map[string]any{
		"journal_entries": {"key_id": "k", "body_sealed": sealed, "insights_sealed": sealed, "created_at": now, "updated_at": now},
		"activities":      {"kind": "nature", "occurred_at": now, "key_id": "k", "created_at": now},
		"goals":           {"category": "other", "key_id": "k", "title_sealed": sealed, "created_at": now, "updated_at": now},
		"mood_check_ins":  {"mood": 5, "key_id": "k", "taken_at": now, "created_at": now},
	} {
		row["id"], row["patient_id"] = uuid.New(), a.patient.ID
		err := env.DB.Table(table).Create(row).Error
		if err == nil || !strings.Contains(err.Error(), "account closed") {
			t.Errorf("%s took a row for a closed account: %v", table, err)
		}
	}

	// The feed itself needs an open account and a live login: reopen both
	// behind the API's back.
	if err := env.DB.Exec("UPDATE users SET deactivated_at = NULL WHERE id = ?", a.patient.ID).Error; err != nil {
		t.Fatal(err)
	}
	if err := env.DB.Exec("UPDATE refresh_tokens SET revoked_at = NULL WHERE user_id = ?", a.patient.ID).Error; err != nil {
		t.Fatal(err)
	}
	feed := newSyncClient(env, a.patient.Token)
	items := feed.catchUp(t, 50)
	tombstones := map[uuid.UUID]bool{}
	live := map[uuid.UUID]bool{}
	for _, it := range items {
		if it.Deleted {
			tombstones[it.ID] = true
		} else {
			live[it.ID] = true
		}
	}
	for _, kind := range []string{"journal_entries", "activities", "goals", "goal_check_ins", "mood_check_ins"} {
		for _, id := range aRecs.ids[kind] {
			if !tombstones[id] || live[id] {
				t.Errorf("%s %s has no tombstone in the feed", kind, id)
			}
		}
	}
	for _, kind := range []string{"treatment_sessions", "assessments"} {
		for _, id := range aRecs.ids[kind] {
			if !live[id] {
				t.Errorf("kept %s %s is not in the feed", kind, id)
			}
		}
	}
}

// TestPasswordConfirmationIsThrottled: a wrong password entered to confirm
// a grave action counts against the same limit as a failed sign-in, so a
// stolen access token cannot guess the password faster than the sign-in
// form allows.
func TestPasswordConfirmationIsThrottled(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		path string
		body func(password string) map[string]any
	}{
		{"/v1/me/erase", func(pw string) map[string]any { return map[string]any{"password": pw} }},
		{"/v1/me/password", func(pw string) map[string]any {
			return map[string]any{"current_password": pw, "new_password": "a-brand-new-passphrase"}
		}},
	} {
		t.Run(tc.path, func(t *testing.T) {
			env := apitest.New(t)
			c := newClinic(t, env)
			before := passwordHash(t, env, c.patient.ID)
			for range 5 {
				env.Post(tc.path, c.patient.Token, tc.body("a-wrong-guess")).Expect(t, http.StatusBadRequest)
			}
			r := env.Post(tc.path, c.patient.Token, tc.body(apitest.FixturePassword)).Expect(t, http.StatusTooManyRequests)
			if r.Header.Get("Retry-After") == "" {
				t.Fatal("429 without Retry-After")
			}
			login(env, c.patient.Email, apitest.FixturePassword).Expect(t, http.StatusTooManyRequests)
			// Nothing changed: the account is open and its password the same.
			env.Get("/v1/me", c.patient.Token).Expect(t, http.StatusOK)
			if passwordHash(t, env, c.patient.ID) != before {
				t.Fatal("the password changed")
			}
		})
	}
}

func passwordHash(t *testing.T, env *apitest.Env, id uuid.UUID) string {
	t.Helper()
	u, err := env.App.Store.UserByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return u.PasswordHash
}

// TestPatientRightsAccess: both operations are the patient's own; others
// are refused by role, and without a token nobody gets anything.
func TestPatientRightsAccess(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := newClinic(t, env)
	body := map[string]any{"password": apitest.FixturePassword}
	for _, tc := range []struct {
		name   string
		who    apitest.User
		status int
	}{
		{"clinician", c.clinician, http.StatusForbidden},
		{"admin", c.admin, http.StatusForbidden},
		{"no token", apitest.User{}, http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env.Get("/v1/me/export", tc.who.Token).Expect(t, tc.status).Problem(t)
			env.Post("/v1/me/erase", tc.who.Token, body).Expect(t, tc.status).Problem(t)
		})
	}
	for _, tc := range []struct{ name, token string }{
		{"a token for no account", mustIssue(t, env, uuid.New(), "patient", c.patient.Login)},
		{"a patient's id with another role", mustIssue(t, env, c.patient.ID, "admin", c.patient.Login)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env.Get("/v1/me", tc.token).Expect(t, http.StatusUnauthorized).Problem(t)
		})
	}
	env.Get("/v1/me", c.patient.Token).Expect(t, http.StatusOK)
	env.Get("/v1/me", c.admin.Token).Expect(t, http.StatusOK)
}

func mustIssue(t *testing.T, env *apitest.Env, id uuid.UUID, role string, login uuid.UUID) string {
	t.Helper()
	tok, err := env.App.Signer.Issue(id, role, login)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func equalCounts(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// problemWithoutRequestID is a problem document without its request id,
// which differs on every answer.
func problemWithoutRequestID(t *testing.T, r *apitest.Response) []byte {
	t.Helper()
	b, err := json.Marshal(r.Problem(t))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestNothingIsWrittenAfterTheErasure: the patient's other devices keep
// writing while the erasure runs; each write either lands before it, and
// is erased with the rest, or is refused with 401. None survives.
func TestNothingIsWrittenAfterTheErasure(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := newClinic(t, env)
	goal := postGoal(t, env, c.patient.Token, map[string]any{"title": "Keep going", "category": "other"})
	writes := []struct{ path string }{
		{"/v1/journal-entries"}, {"/v1/activities"}, {"/v1/mood-check-ins"}, {"/v1/goals"}, {"/v1/goals/" + goal.ID.String() + "/check-ins"},
	}
	bodies := map[string]map[string]any{
		"/v1/journal-entries": {"body": "Still writing."},
		"/v1/activities":      {"kind": "exercise", "occurred_at": timeAgo(time.Minute), "note": "Still moving."},
		"/v1/mood-check-ins":  {"mood": 5, "note": "Still here."},
		"/v1/goals":           {"title": "Still hoping", "category": "other"},
	}
	stop := make(chan struct{})
	done := make(chan map[int]int, len(writes))
	for _, w := range writes {
		go func() {
			statuses := map[int]int{}
			body, ok := bodies[w.path]
			if !ok {
				body = map[string]any{"progress": 50, "note": "Still going."}
			}
			for {
				select {
				case <-stop:
					done <- statuses
					return
				default:
				}
				statuses[env.Post(w.path, c.patient.Token, body).Status]++
			}
		}()
	}
	time.Sleep(100 * time.Millisecond)
	env.Post("/v1/me/erase", c.patient.Token, map[string]any{"password": apitest.FixturePassword}).Expect(t, http.StatusNoContent)
	time.Sleep(100 * time.Millisecond)
	close(stop)
	for range writes {
		for status, n := range <-done {
			// 404: a check-in on the goal the erasure took away.
			if status != http.StatusCreated && status != http.StatusUnauthorized && status != http.StatusNotFound {
				t.Errorf("%d writes answered %d", n, status)
			}
		}
	}
	for table, n := range rowCounts(t, env, contentTables, c.patient.ID) {
		if n != 0 {
			t.Errorf("%s holds %d rows written around the erasure", table, n)
		}
	}
	var checkIns int64
	env.DB.Table("goal_check_ins").Where("goal_id = ?", goal.ID).Count(&checkIns)
	if checkIns != 0 {
		t.Errorf("%d check-ins survived their goal", checkIns)
	}
}

// journalWords make the seeded journals: patients' words, in an order
// each entry draws afresh, in scripts of two and three bytes a character,
// so that the 20,000 characters an entry may hold weigh up to 60 kB.
var journalWords = strings.Fields(`сегодня утром я долго сидел у окна и думал о сеансе
горе не стена а прилив 今朝は窓辺で長い間座っていた 悲しみは壁ではなく潮のように満ちては引く
妹に電話して父のことを一時間話した 川沿いを歩いて鷺がじっと立っているのを見た
肩の力が抜けたのは数週間ぶりだった я позвонил сестре и мы говорили об отце целый час`)

// seedJournal gives the patient entries of the longest body the spec
// allows (20,000 characters) until their words reach size bytes, through
// the store, sealed as the API seals them: a few MB take a second or two,
// where as many requests through the API would take much longer.
func seedJournal(env *apitest.Env, patient uuid.UUID, size int, rng *rand.Rand) (int, error) {
	const maxBody = 20000
	n := 0
	for written := 0; written < size; n++ {
		var b strings.Builder
		for chars := 0; ; {
			w := journalWords[rng.IntN(len(journalWords))]
			if chars+utf8.RuneCountInString(w)+1 > maxBody {
				break
			}
			b.WriteString(w)
			b.WriteByte(' ')
			chars += utf8.RuneCountInString(w) + 1
		}
		_, err := env.App.Store.CreateJournalEntry(context.Background(), store.JournalEntry{PatientID: patient, Body: b.String()})
		if err != nil {
			return n, err
		}
		written += b.Len()
	}
	return n, nil
}

// stalledExport is an export opened on a raw connection whose client
// reads the status and headers and then nothing more.
type stalledExport struct {
	patient int
	conn    net.Conn
	res     *http.Response
	err     error
}

// openStalledExport asks for the patient's export over a connection with a
// small receive buffer, so that the server's writes block once a few
// kilobytes are on their way, and reads no further than the headers.
func openStalledExport(env *apitest.Env, token string) (net.Conn, *http.Response, error) {
	conn, err := net.Dial("tcp", env.Server.Listener.Addr().String())
	if err != nil {
		return nil, nil, err
	}
	if err := conn.(*net.TCPConn).SetReadBuffer(64 << 10); err != nil {
		return conn, nil, err
	}
	req, _ := http.NewRequest(http.MethodGet, env.Server.URL+"/v1/me/export", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	if err := req.Write(conn); err != nil {
		return conn, nil, err
	}
	// Old code answers the exports past the pool's size only when the
	// request times out: give up well before.
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	res, err := http.ReadResponse(bufio.NewReaderSize(conn, 4096), req)
	_ = conn.SetReadDeadline(time.Time{})
	return conn, res, err
}

// TestStalledExportsLeaveThePoolToOthers: eight patients, each with a few
// MB of journal, open 24 exports between them and read none. Only
// EXPORT_MAX_CONCURRENT of them start, one per patient; the others are 429
// with Retry-After. Another user's request is answered in under a second
// while the stalled downloads hang, and once the stall timeout has passed
// they are cut off and every pooled connection is free again. The one
// timed test the hardening issue asks for, on both databases.
func TestStalledExportsLeaveThePoolToOthers(t *testing.T) {
	const (
		stall      = 3 * time.Second
		patients   = 8
		exports    = 24
		journal    = 5 << 20 // bytes of words per patient: beyond the sockets' buffers (the server's grows to 4 MiB)
		answerIn   = time.Second
		freedAfter = stall + 5*time.Second
	)
	env := apitest.NewWith(t, func(c *config.Config) { c.ExportStallTimeout = stall })
	limit := env.App.Config.ExportMaxConcurrent
	if limit != 4 || env.App.Config.DBMaxConns != 8 {
		t.Fatalf("the test is written for 4 exports at once over a pool of 8, not %d over %d", limit, env.App.Config.DBMaxConns)
	}
	users := make([]apitest.User, patients)
	entries := make([]int, patients)
	seedErrs := make([]error, patients)
	var seeding sync.WaitGroup
	for i := range users {
		users[i] = env.Patient(fmt.Sprintf("Exporter %d", i))
		seeding.Go(func() {
			entries[i], seedErrs[i] = seedJournal(env, users[i].ID, journal, rand.New(rand.NewPCG(1, uint64(i))))
		})
	}
	seeding.Wait()
	if err := errors.Join(seedErrs...); err != nil {
		t.Fatalf("seed journals: %v", err)
	}
	other := env.Patient("Someone else")
	pool := env.App

	opened := make([]stalledExport, exports)
	var wg sync.WaitGroup
	for i := range opened {
		wg.Go(func() {
			p := i % patients
			conn, res, err := openStalledExport(env, users[p].Token)
			opened[i] = stalledExport{patient: p, conn: conn, res: res, err: err}
		})
	}
	wg.Wait()
	for _, x := range opened {
		if x.conn != nil {
			t.Cleanup(func() { x.conn.Close() })
		}
	}
	// The admitted exports go on encoding until the sockets are full: let
	// them get there, well within the stall timeout, so that what follows
	// happens while they hang.
	time.Sleep(stall / 3)
	if inUse := pool.PoolStats().InUse; inUse != limit {
		t.Errorf("%d pooled connections in use while the exports stall, want %d: one per export admitted", inUse, limit)
	}

	// Another user's request, while the downloads hang.
	req, _ := http.NewRequest(http.MethodGet, env.Server.URL+"/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+other.Token)
	start := time.Now()
	res, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	took := time.Since(start)
	if err != nil {
		t.Fatalf("GET /v1/me while exports stall: %v after %v", err, took)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || took > answerIn {
		t.Fatalf("GET /v1/me while exports stall: %d after %v, want 200 within %v", res.StatusCode, took, answerIn)
	}
	if inUse := pool.PoolStats().InUse; inUse != limit {
		t.Fatalf("%d pooled connections in use after GET /v1/me, want the %d exports' still: they must still be stalled", inUse, limit)
	}

	// Who got in: one export per patient at most, EXPORT_MAX_CONCURRENT in
	// all; everyone else 429 with Retry-After, the stall timeout.
	admitted := map[int]int{}
	refused := 0
	for i, x := range opened {
		if x.err != nil {
			t.Fatalf("export %d: %v", i, x.err)
		}
		switch x.res.StatusCode {
		case http.StatusOK:
			admitted[x.patient]++
		case http.StatusTooManyRequests:
			body, _ := io.ReadAll(x.res.Body)
			if x.res.Header.Get("Retry-After") != strconv.Itoa(int(stall.Seconds())) || x.res.Header.Get("Content-Type") != "application/problem+json" || !json.Valid(body) {
				t.Errorf("export %d: 429 with Retry-After %q, %q: %s", i, x.res.Header.Get("Retry-After"), x.res.Header.Get("Content-Type"), body)
			}
			refused++
		default:
			t.Errorf("export %d: status %d", i, x.res.StatusCode)
		}
	}
	if len(admitted) != limit || refused != exports-limit {
		t.Fatalf("%d patients' exports admitted (%v) and %d refused, want %d and %d", len(admitted), admitted, refused, limit, exports-limit)
	}
	for p, n := range admitted {
		if n != 1 {
			t.Errorf("patient %d has %d exports in flight, want 1", p, n)
		}
	}
	// Both refusals as the spec declares them: the account's own export in
	// flight, and the instance's cap reached for a patient with none.
	for p := range admitted {
		env.Get("/v1/me/export", users[p].Token).Expect(t, http.StatusTooManyRequests)
		break
	}
	env.Get("/v1/me/export", other.Token).Expect(t, http.StatusTooManyRequests)

	// Within the stall timeout (and some slack for a busy machine) the
	// stalled exports are cut, their snapshots rolled back and their
	// connections back in the pool.
	deadline := start.Add(freedAfter)
	for pool.PoolStats().InUse != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d pooled connections still in use %v after the exports stalled", pool.PoolStats().InUse, freedAfter)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("journals of %d entries; pool free %v after GET /v1/me (stall timeout %v); GET /v1/me took %v", entries[0], time.Since(start).Round(time.Millisecond), stall, took)
	for i, x := range opened {
		if x.res.StatusCode != http.StatusOK {
			continue
		}
		_ = x.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		body, err := io.ReadAll(x.res.Body)
		if err == nil || json.Valid(body) {
			t.Errorf("export %d: the stalled download must end broken, got %d bytes, error %v", i, len(body), err)
		}
	}

	// Nothing stays taken: a patient whose download was cut may export
	// again at once (the export itself is checked whole by the tests above).
	for p := range admitted {
		conn, res, err := openStalledExport(env, users[p].Token)
		if err != nil {
			t.Fatal(err)
		}
		conn.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("export again after the cut: status %d", res.StatusCode)
		}
		break
	}
}
