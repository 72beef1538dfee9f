package handlers_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ketacare/api/internal/api"
	"github.com/ketacare/api/internal/apitest"
)

// Words written into clinical notes and preparations, which must never show
// up where they do not belong.
const (
	secretEvaluationNote = "Disclosed childhood trauma at intake"
	secretJourneyNote    = "Dissociated strongly at minute twenty"
	secretTherapistNote  = "Spoke of the loss of her father"
	secretIntention      = "To forgive my brother"
)

// evaluationsPath and plansPath are the clinic's patient's collections.
func evaluationsPath(c clinic) string {
	return "/v1/patients/" + c.patient.ID.String() + "/evaluations"
}

func plansPath(c clinic) string {
	return "/v1/patients/" + c.patient.ID.String() + "/treatment-plans"
}

// evaluate records an evaluation of the clinic's patient by their clinician,
// dated ago before now.
func evaluate(t *testing.T, env *apitest.Env, c clinic, outcome string, ago time.Duration) api.CandidacyEvaluation {
	t.Helper()
	body := map[string]any{
		"evaluated_at":    time.Now().Add(-ago).UTC().Format(time.RFC3339),
		"outcome":         outcome,
		"clinician_notes": secretEvaluationNote,
	}
	if outcome == "eligible" {
		body["baseline_blood_pressure"] = map[string]any{"systolic": 122, "diastolic": 78}
	}
	var e api.CandidacyEvaluation
	env.Post(evaluationsPath(c), c.clinician.Token, body).Expect(t, http.StatusCreated).JSON(t, &e)
	return e
}

// localDate is the date days from today in the zone, as the API writes dates.
func localDate(t *testing.T, tz string, days int) string {
	t.Helper()
	loc, err := time.LoadLocation(tz)
	if err != nil {
		t.Fatal(err)
	}
	return time.Now().In(loc).AddDate(0, 0, days).Format(time.DateOnly)
}

// setTimezone moves the clinic's patient to the zone, as they would themself.
func setTimezone(t *testing.T, env *apitest.Env, c clinic, tz string) {
	t.Helper()
	path := "/v1/patients/" + c.patient.ID.String()
	tag := env.Get(path, c.patient.Token).Expect(t, http.StatusOK).ETag(t)
	env.PatchIf(path, c.patient.Token, tag, map[string]any{"timezone": tz}).Expect(t, http.StatusOK)
}

// makePlan makes a plan for the clinic's patient, who must be eligible.
func makePlan(t *testing.T, env *apitest.Env, c clinic, body map[string]any) api.TreatmentPlan {
	t.Helper()
	var p api.TreatmentPlan
	env.Post(plansPath(c), c.clinician.Token, body).Expect(t, http.StatusCreated).JSON(t, &p)
	return p
}

// sessionsOf returns every session of the plan, reading page by page.
func sessionsOf(t *testing.T, env *apitest.Env, c clinic, planID uuid.UUID) []api.TreatmentSession {
	t.Helper()
	return listAllSessions(t, env, c.clinician.Token, "/v1/sessions?patient_id="+c.patient.ID.String()+"&plan_id="+planID.String(), 200)
}

// listAll reads every page of a session list with the page size.
func listAllSessions(t *testing.T, env *apitest.Env, token, path string, limit int) []api.TreatmentSession {
	t.Helper()
	var all []api.TreatmentSession
	cursor := ""
	for {
		var pg api.TreatmentSessionPage
		env.Get(fmt.Sprintf("%s&limit=%d%s", path, limit, cursor), token).Expect(t, http.StatusOK).JSON(t, &pg)
		all = append(all, pg.Items...)
		if !pg.NextCursor.IsSpecified() || pg.NextCursor.IsNull() {
			return all
		}
		cursor = "&cursor=" + pg.NextCursor.MustGet()
	}
}

// eligibleClinic is a clinic whose patient has been found eligible.
func eligibleClinic(t *testing.T, env *apitest.Env) clinic {
	t.Helper()
	c := newClinic(t, env)
	evaluate(t, env, c, "eligible", time.Hour)
	return c
}

// jsonObject decodes a response body into a generic object, to check which
// keys it has.
func decodeObject(t *testing.T, r *apitest.Response) map[string]any {
	t.Helper()
	var m map[string]any
	r.JSON(t, &m)
	return m
}

func hasKey(obj any, key string) bool {
	m, ok := obj.(map[string]any)
	if !ok {
		return false
	}
	_, found := m[key]
	return found
}

func TestEvaluations(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := newClinic(t, env)
	path := evaluationsPath(c)

	var e api.CandidacyEvaluation
	env.Post(path, c.clinician.Token, map[string]any{
		"evaluated_at":            time.Now().Add(-48 * time.Hour).UTC().Format(time.RFC3339),
		"outcome":                 "needs_more_information",
		"contraindications":       []string{"uncontrolled_hypertension", "other"},
		"baseline_blood_pressure": map[string]any{"systolic": 162, "diastolic": 101},
		"clinician_notes":         secretEvaluationNote,
	}).Expect(t, http.StatusCreated).JSON(t, &e)
	if e.Outcome != api.NeedsMoreInformation || len(e.Contraindications) != 2 || e.Contraindications[0] != api.ContraindicationUncontrolledHypertension ||
		e.BaselineBloodPressure == nil || e.BaselineBloodPressure.Systolic != 162 || e.ClinicianNotes == nil || e.EvaluatedBy != c.clinician.ID {
		t.Fatalf("evaluation as recorded: %+v", e)
	}
	// Not eligible needs no blood pressure; none found is an empty list.
	var ne api.CandidacyEvaluation
	env.Post(path, c.clinician.Token, map[string]any{"evaluated_at": time.Now().UTC().Format(time.RFC3339), "outcome": "not_eligible"}).
		Expect(t, http.StatusCreated).JSON(t, &ne)
	if ne.Contraindications == nil || len(ne.Contraindications) != 0 || ne.BaselineBloodPressure != nil {
		t.Fatalf("minimal evaluation: %+v", ne)
	}
	// Backdated: entered last, evaluated first.
	old := evaluate(t, env, c, "eligible", 30*24*time.Hour)

	// Latest evaluated_at first, page after page.
	var ids []uuid.UUID
	cursor := ""
	for range 4 {
		var pg api.CandidacyEvaluationPage
		env.Get(path+"?limit=1"+cursor, c.clinician.Token).Expect(t, http.StatusOK).JSON(t, &pg)
		for _, it := range pg.Items {
			ids = append(ids, it.ID)
		}
		if pg.NextCursor.IsNull() {
			break
		}
		cursor = "&cursor=" + pg.NextCursor.MustGet()
	}
	if want := []uuid.UUID{ne.ID, e.ID, old.ID}; !slices.Equal(ids, want) {
		t.Fatalf("order %v, want %v", ids, want)
	}

	// The notes are the care team's: the key is absent for the patient and admins.
	for _, who := range []apitest.User{c.patient, c.admin} {
		r := env.Get(path, who.Token).Expect(t, http.StatusOK)
		for _, it := range decodeObject(t, r)["items"].([]any) {
			if hasKey(it, "clinician_notes") || !hasKey(it, "outcome") {
				t.Fatalf("%s sees %v", who.Role, it)
			}
		}
		if strings.Contains(string(r.Body), secretEvaluationNote) {
			t.Fatalf("%s sees the clinician's notes", who.Role)
		}
	}
	r := env.Get(path, c.clinician.Token).Expect(t, http.StatusOK)
	if !strings.Contains(string(r.Body), secretEvaluationNote) {
		t.Fatal("the care team must see its notes")
	}
}

func TestEvaluationValidation(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := newClinic(t, env)
	path := evaluationsPath(c)
	now := time.Now().UTC()
	valid := func(change func(map[string]any)) map[string]any {
		b := map[string]any{
			"evaluated_at":            now.Add(-time.Hour).Format(time.RFC3339),
			"outcome":                 "eligible",
			"baseline_blood_pressure": map[string]any{"systolic": 120, "diastolic": 80},
		}
		change(b)
		return b
	}
	for _, tc := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"eligible without blood pressure", valid(func(b map[string]any) { delete(b, "baseline_blood_pressure") }), "baseline_blood_pressure"},
		{"diastolic above systolic", valid(func(b map[string]any) { b["baseline_blood_pressure"] = map[string]any{"systolic": 90, "diastolic": 95} }), "baseline_blood_pressure.diastolic"},
		{"impossible systolic", valid(func(b map[string]any) {
			b["baseline_blood_pressure"] = map[string]any{"systolic": 400, "diastolic": 80}
		}), "baseline_blood_pressure.systolic"},
		{"in the future", valid(func(b map[string]any) { b["evaluated_at"] = now.Add(time.Hour).Format(time.RFC3339) }), "evaluated_at"},
		{"unknown outcome", valid(func(b map[string]any) { b["outcome"] = "maybe" }), "outcome"},
		{"unknown contraindication", valid(func(b map[string]any) { b["contraindications"] = []string{"bad_mood"} }), "contraindications.0"},
		{"contraindication twice", valid(func(b map[string]any) { b["contraindications"] = []string{"pregnancy", "pregnancy"} }), "contraindications"},
		{"empty notes", valid(func(b map[string]any) { b["clinician_notes"] = "" }), "clinician_notes"},
		{"unknown field", valid(func(b map[string]any) { b["score"] = 3 }), "score"},
		{"no outcome", valid(func(b map[string]any) { delete(b, "outcome") }), "outcome"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := env.Post(path, c.clinician.Token, tc.body).Expect(t, http.StatusBadRequest).Problem(t)
			if !slices.Contains(p.Fields(), tc.field) {
				t.Fatalf("problem names %v, want %s", p.Fields(), tc.field)
			}
		})
	}
	var pg api.CandidacyEvaluationPage
	env.Get(path, c.clinician.Token).Expect(t, http.StatusOK).JSON(t, &pg)
	if len(pg.Items) != 0 {
		t.Fatalf("refused evaluations were stored: %+v", pg.Items)
	}
}

func TestPlanNeedsAnEligibleLatestEvaluation(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := newClinic(t, env)
	body := map[string]any{"start_date": localDate(t, "UTC", 2), "sessions_per_week": 2, "route": "iv_infusion"}
	refused := func(detail string) {
		t.Helper()
		p := env.Post(plansPath(c), c.clinician.Token, body).Expect(t, http.StatusConflict).Problem(t)
		if !strings.Contains(p.Detail, detail) {
			t.Fatalf("409 says %q, want it to say %q", p.Detail, detail)
		}
	}
	refused("no candidacy evaluation")
	evaluate(t, env, c, "eligible", 72*time.Hour)
	evaluate(t, env, c, "not_eligible", 48*time.Hour)
	refused("not eligible")
	evaluate(t, env, c, "needs_more_information", 24*time.Hour)
	refused("needs more information")
	// An eligible evaluation entered now but dated before the latest one
	// does not override it.
	evaluate(t, env, c, "eligible", 96*time.Hour)
	refused("needs more information")

	var plans api.TreatmentPlanPage
	env.Get(plansPath(c), c.clinician.Token).Expect(t, http.StatusOK).JSON(t, &plans)
	var sessions api.TreatmentSessionPage
	env.Get("/v1/sessions", c.patient.Token).Expect(t, http.StatusOK).JSON(t, &sessions)
	if len(plans.Items) != 0 || len(sessions.Items) != 0 {
		t.Fatal("a refused plan left records behind")
	}

	latest := evaluate(t, env, c, "eligible", time.Minute)
	p := makePlan(t, env, c, body)
	if p.EvaluationID == nil || *p.EvaluationID != latest.ID || p.Status != api.PlanStatusActive || p.Version != 1 || p.CreatedBy != c.clinician.ID {
		t.Fatalf("plan: %+v", p)
	}
	// One active plan at a time.
	refused("already has an active treatment plan")
	if n := len(sessionsOf(t, env, c, p.ID)); n != 6 {
		t.Fatalf("%d sessions after a refused second plan, want 6", n)
	}
}

// localSchedule is where a plan's sessions fall in the patient's zone.
func localSchedule(t *testing.T, sessions []api.TreatmentSession, tz string) (days []int, clocks []string, start time.Time) {
	t.Helper()
	loc, _ := time.LoadLocation(tz)
	for i, s := range sessions {
		if s.Sequence != i+1 || s.Status != api.SessionStatusScheduled {
			t.Fatalf("session %d: sequence %d, status %s", i, s.Sequence, s.Status)
		}
		local := s.ScheduledAt.In(loc)
		y, m, d := local.Date()
		date := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		if i == 0 {
			start = date
		}
		days = append(days, int(date.Sub(start).Hours()/24))
		clocks = append(clocks, local.Format("15:04"))
	}
	return days, clocks, start
}

func TestPlanSchedules(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := eligibleClinic(t, env)
	const tz = "Europe/Berlin"
	setTimezone(t, env, c, tz)

	for _, tc := range []struct {
		name  string
		body  map[string]any
		days  []int
		clock string
	}{
		{"two a week take three weeks", map[string]any{"sessions_per_week": 2}, []int{0, 3, 7, 10, 14, 17}, "09:00"},
		{"three a week take two weeks", map[string]any{"sessions_per_week": 3, "preferred_time": "18:30"}, []int{0, 2, 4, 7, 9, 11}, "18:30"},
		{"five sessions, three a week", map[string]any{"sessions_per_week": 3, "session_count": 5}, []int{0, 2, 4, 7, 9}, "09:00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.body["start_date"], tc.body["route"] = localDate(t, tz, 3), "intramuscular"
			p := makePlan(t, env, c, tc.body)
			if p.Timezone != tz || p.PreferredTime != tc.clock || p.PreferredWeekdays != nil || p.SessionCount != len(tc.days) {
				t.Fatalf("plan: %+v", p)
			}
			sessions := sessionsOf(t, env, c, p.ID)
			days, clocks, start := localSchedule(t, sessions, tz)
			if !slices.Equal(days, tc.days) || start.Format(time.DateOnly) != p.StartDate.String() {
				t.Fatalf("sessions on days %v from %s, want %v from %s", days, start.Format(time.DateOnly), tc.days, p.StartDate)
			}
			for i, clock := range clocks {
				if clock != tc.clock || sessions[i].Route != api.Intramuscular {
					t.Fatalf("session %d at %s by %s", i+1, clock, sessions[i].Route)
				}
			}
			env.PatchIf(plansPath(c)+"/"+p.ID.String(), c.clinician.Token, env.Tag(plansPath(c)+"/"+p.ID.String()), map[string]any{"status": "cancelled"}).Expect(t, http.StatusOK)
		})
	}
}

func TestPlanPreferredWeekdays(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := eligibleClinic(t, env)
	const tz = "America/Chicago"
	setTimezone(t, env, c, tz)
	loc, _ := time.LoadLocation(tz)
	// Start on a Wednesday, so the first week's Tuesday comes after its Friday.
	start := time.Now().In(loc).AddDate(0, 0, 1)
	for start.Weekday() != time.Wednesday {
		start = start.AddDate(0, 0, 1)
	}
	p := makePlan(t, env, c, map[string]any{
		"start_date": start.Format(time.DateOnly), "sessions_per_week": 2, "route": "oral",
		"preferred_weekdays": []int{5, 2}, "preferred_time": "07:15",
	})
	if p.PreferredWeekdays == nil || !slices.Equal(*p.PreferredWeekdays, []int{5, 2}) {
		t.Fatalf("preferred weekdays: %+v", p.PreferredWeekdays)
	}
	sessions := sessionsOf(t, env, c, p.ID)
	var got []string
	for _, s := range sessions {
		local := s.ScheduledAt.In(loc)
		got = append(got, local.Format("Mon 15:04"))
	}
	want := []string{"Fri 07:15", "Tue 07:15", "Fri 07:15", "Tue 07:15", "Fri 07:15", "Tue 07:15"}
	if !slices.Equal(got, want) {
		t.Fatalf("sessions %v, want %v", got, want)
	}
	first := sessions[0].ScheduledAt.In(loc)
	last := sessions[5].ScheduledAt.In(loc)
	if first.Format(time.DateOnly) != start.AddDate(0, 0, 2).Format(time.DateOnly) || last.Sub(first) > 21*24*time.Hour {
		t.Fatalf("course runs %s to %s, from a start on %s", first, last, start.Format(time.DateOnly))
	}
}

// nextDSTChange returns the first day, at least a week from now, on which the
// zone's UTC offset differs from the day before.
func nextDSTChange(t *testing.T, loc *time.Location) time.Time {
	t.Helper()
	day := time.Now().In(loc).AddDate(0, 0, 8)
	for range 400 {
		y, m, d := day.Date()
		_, before := time.Date(y, m, d-1, 12, 0, 0, 0, loc).Zone()
		_, after := time.Date(y, m, d, 12, 0, 0, 0, loc).Zone()
		if before != after {
			return time.Date(y, m, d, 0, 0, 0, 0, loc)
		}
		day = day.AddDate(0, 0, 1)
	}
	t.Fatalf("%s has no daylight-saving change within a year", loc)
	return time.Time{}
}

func TestPlanAcrossDaylightSavingChange(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := eligibleClinic(t, env)
	const tz = "America/Los_Angeles"
	setTimezone(t, env, c, tz)
	loc, _ := time.LoadLocation(tz)
	change := nextDSTChange(t, loc)

	for _, perWeek := range []int{2, 3} {
		t.Run(fmt.Sprintf("%d a week", perWeek), func(t *testing.T) {
			// A week before the change, so it falls in the middle of the course.
			p := makePlan(t, env, c, map[string]any{
				"start_date": change.AddDate(0, 0, -7).Format(time.DateOnly), "sessions_per_week": perWeek,
				"route": "iv_infusion", "preferred_time": "10:00",
			})
			sessions := sessionsOf(t, env, c, p.ID)
			_, clocks, _ := localSchedule(t, sessions, tz)
			utcClocks := map[string]bool{}
			var before, after int
			for i, s := range sessions {
				if clocks[i] != "10:00" {
					t.Fatalf("session %d at %s local time, want 10:00 across the change", i+1, clocks[i])
				}
				utcClocks[s.ScheduledAt.UTC().Format("15:04")] = true
				if s.ScheduledAt.Before(change) {
					before++
				} else {
					after++
				}
			}
			if before == 0 || after == 0 || len(utcClocks) != 2 {
				t.Fatalf("%d sessions before the change and %d after, at UTC times %v: the UTC time must move with the clocks", before, after, utcClocks)
			}
			env.PatchIf(plansPath(c)+"/"+p.ID.String(), c.clinician.Token, env.Tag(plansPath(c)+"/"+p.ID.String()), map[string]any{"status": "cancelled"}).Expect(t, http.StatusOK)
		})
	}
}

func TestPlanValidation(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := eligibleClinic(t, env)
	valid := func(change func(map[string]any)) map[string]any {
		b := map[string]any{"start_date": localDate(t, "UTC", 2), "sessions_per_week": 2, "route": "intranasal"}
		change(b)
		return b
	}
	for _, tc := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"four a week", valid(func(b map[string]any) { b["sessions_per_week"] = 4 }), "sessions_per_week"},
		{"too few weekdays for three a week", valid(func(b map[string]any) { b["sessions_per_week"], b["preferred_weekdays"] = 3, []int{1, 4} }), "preferred_weekdays"},
		{"too many weekdays for two a week", valid(func(b map[string]any) { b["preferred_weekdays"] = []int{1, 3, 5} }), "preferred_weekdays"},
		{"a weekday twice", valid(func(b map[string]any) { b["preferred_weekdays"] = []int{2, 2} }), "preferred_weekdays"},
		{"weekday eight", valid(func(b map[string]any) { b["preferred_weekdays"] = []int{1, 8} }), "preferred_weekdays.1"},
		{"before clinic hours", valid(func(b map[string]any) { b["preferred_time"] = "05:30" }), "preferred_time"},
		{"not a time", valid(func(b map[string]any) { b["preferred_time"] = "9am" }), "preferred_time"},
		{"start in the past", valid(func(b map[string]any) { b["start_date"] = localDate(t, "UTC", -1) }), "start_date"},
		{"start years ahead", valid(func(b map[string]any) { b["start_date"] = localDate(t, "UTC", 800) }), "start_date"},
		{"not a date", valid(func(b map[string]any) { b["start_date"] = "next monday" }), "start_date"},
		{"no sessions", valid(func(b map[string]any) { b["session_count"] = 0 }), "session_count"},
		{"too many sessions", valid(func(b map[string]any) { b["session_count"] = 25 }), "session_count"},
		{"unknown route", valid(func(b map[string]any) { b["route"] = "inhaled" }), "route"},
		{"no route", valid(func(b map[string]any) { delete(b, "route") }), "route"},
		{"unknown field", valid(func(b map[string]any) { b["status"] = "active" }), "status"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := env.Post(plansPath(c), c.clinician.Token, tc.body).Expect(t, http.StatusBadRequest).Problem(t)
			if !slices.Contains(p.Fields(), tc.field) {
				t.Fatalf("problem names %v, want %s", p.Fields(), tc.field)
			}
		})
	}
	var plans api.TreatmentPlanPage
	env.Get(plansPath(c), c.clinician.Token).Expect(t, http.StatusOK).JSON(t, &plans)
	var sessions api.TreatmentSessionPage
	env.Get("/v1/sessions", c.patient.Token).Expect(t, http.StatusOK).JSON(t, &sessions)
	if len(plans.Items) != 0 || len(sessions.Items) != 0 {
		t.Fatal("a refused plan left records behind")
	}
}

func TestPlanFirstSessionMustBeAhead(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := eligibleClinic(t, env)
	// Today at 06:00, in a zone where it is surely later than that: the first
	// session would already have passed.
	now := time.Now().UTC()
	tz := "UTC"
	for _, zone := range []string{"Pacific/Kiritimati", "Asia/Tokyo", "Europe/London", "America/Los_Angeles", "Pacific/Pago_Pago"} {
		loc, _ := time.LoadLocation(zone)
		if h := now.In(loc).Hour(); h >= 7 {
			tz = zone
			break
		}
	}
	setTimezone(t, env, c, tz)
	p := env.Post(plansPath(c), c.clinician.Token, map[string]any{
		"start_date": localDate(t, tz, 0), "sessions_per_week": 3, "route": "sublingual", "preferred_time": "06:00",
	}).Expect(t, http.StatusBadRequest).Problem(t)
	if !slices.Contains(p.Fields(), "start_date") {
		t.Fatalf("problem names %v, want start_date", p.Fields())
	}
}

func TestPlanStatus(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := eligibleClinic(t, env)
	p := makePlan(t, env, c, map[string]any{"start_date": localDate(t, "UTC", 1), "sessions_per_week": 3, "route": "iv_infusion"})
	planPath := plansPath(c) + "/" + p.ID.String()
	sessions := sessionsOf(t, env, c, p.ID)

	// Completing needs every session finished.
	pr := env.PatchIf(planPath, c.clinician.Token, env.Tag(planPath), map[string]any{"status": "completed"}).Expect(t, http.StatusConflict).Problem(t)
	if !strings.Contains(pr.Detail, "6 of the plan's sessions") {
		t.Fatalf("409 says %q", pr.Detail)
	}

	// One session is being held when the plan is cancelled: it is left to finish.
	held := "/v1/sessions/" + sessions[0].ID.String()
	env.PatchIf(held, c.clinician.Token, env.Tag(held), map[string]any{"status": "in_progress"}).Expect(t, http.StatusOK)
	var cancelled api.TreatmentPlan
	env.PatchIf(planPath, c.clinician.Token, env.Tag(planPath), map[string]any{"status": "cancelled"}).Expect(t, http.StatusOK).JSON(t, &cancelled)
	if cancelled.Status != api.PlanStatusCancelled || cancelled.Version != 2 {
		t.Fatalf("cancelled plan: %+v", cancelled)
	}
	for i, s := range sessionsOf(t, env, c, p.ID) {
		want, version := api.SessionStatusCancelled, int64(2)
		if i == 0 {
			want = api.SessionStatusInProgress
		}
		if s.Status != want || s.Version != version {
			t.Fatalf("session %d is %s (version %d), want %s (version %d)", s.Sequence, s.Status, s.Version, want, version)
		}
	}
	// Cancelling again changes nothing; a cancelled plan is final.
	var again api.TreatmentPlan
	env.PatchIf(planPath, c.clinician.Token, env.Tag(planPath), map[string]any{"status": "cancelled"}).Expect(t, http.StatusOK).JSON(t, &again)
	if again.Version != 2 || !again.UpdatedAt.Equal(cancelled.UpdatedAt) {
		t.Fatalf("repeating the cancellation changed the plan: %+v", again)
	}
	for _, status := range []string{"active", "completed"} {
		env.PatchIf(planPath, c.clinician.Token, env.Tag(planPath), map[string]any{"status": status}).Expect(t, http.StatusConflict).Problem(t)
	}
	env.PatchIf(planPath, c.clinician.Token, env.Tag(planPath), map[string]any{"status": "paused"}).Expect(t, http.StatusBadRequest).Problem(t)
	env.PatchIf(planPath, c.clinician.Token, env.Tag(planPath), map[string]any{}).Expect(t, http.StatusBadRequest).Problem(t)

	// The session being held still completes.
	start := time.Now().Add(-time.Hour).UTC()
	env.PatchIf(held, c.clinician.Token, env.Tag(held), map[string]any{"status": "completed", "journey": map[string]any{
		"started_at": start.Format(time.RFC3339), "ended_at": start.Add(45 * time.Minute).Format(time.RFC3339),
	}}).Expect(t, http.StatusOK)

	// With the old plan cancelled, a new one can be made and completed once
	// every session is recorded.
	next := makePlan(t, env, c, map[string]any{"start_date": localDate(t, "UTC", 1), "sessions_per_week": 2, "session_count": 2, "route": "oral"})
	for i, s := range sessionsOf(t, env, c, next.ID) {
		status := []string{"no_show", "cancelled"}[i]
		env.PatchIf("/v1/sessions/"+s.ID.String(), c.clinician.Token, env.Tag("/v1/sessions/"+s.ID.String()), map[string]any{"status": status}).Expect(t, http.StatusOK)
	}
	var done api.TreatmentPlan
	env.PatchIf(plansPath(c)+"/"+next.ID.String(), c.clinician.Token, env.Tag(plansPath(c)+"/"+next.ID.String()), map[string]any{"status": "completed"}).Expect(t, http.StatusOK).JSON(t, &done)
	if done.Status != api.PlanStatusCompleted || done.Version != 2 {
		t.Fatalf("completed plan: %+v", done)
	}

	var list api.TreatmentPlanPage
	env.Get(plansPath(c)+"?limit=1", c.patient.Token).Expect(t, http.StatusOK).JSON(t, &list)
	if len(list.Items) != 1 || list.Items[0].ID != next.ID || list.NextCursor.IsNull() {
		t.Fatalf("newest plan first, one per page: %+v", list)
	}
	var got api.TreatmentPlan
	env.Get(plansPath(c)+"/"+p.ID.String(), c.patient.Token).Expect(t, http.StatusOK).JSON(t, &got)
	if got.Status != api.PlanStatusCancelled {
		t.Fatalf("plan as the patient reads it: %+v", got)
	}
}

// TestClinicalAccess calls every operation of clinical care as people who
// must not get at the patient's records: each gets the status the spec
// documents, a problem document, and none of the data.
func TestClinicalAccess(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := eligibleClinic(t, env)
	plan := makePlan(t, env, c, map[string]any{"start_date": localDate(t, "UTC", 1), "sessions_per_week": 2, "route": "iv_infusion"})
	session := sessionsOf(t, env, c, plan.ID)[0]
	sessionPath := "/v1/sessions/" + session.ID.String()
	env.PatchIf(sessionPath, c.patient.Token, env.Tag(sessionPath), map[string]any{"preparation": map[string]any{"intention": secretIntention}}).Expect(t, http.StatusOK)
	env.PatchIf(sessionPath, c.clinician.Token, env.Tag(sessionPath), map[string]any{"journey": map[string]any{"notes": secretJourneyNote}, "integration": map[string]any{"therapist_notes": secretTherapistNote}}).Expect(t, http.StatusOK)
	env.Post(sessionPath+"/vitals", c.clinician.Token, map[string]any{"taken_at": time.Now().UTC().Format(time.RFC3339), "systolic": 131, "diastolic": 83, "heart_rate": 77, "spo2": 97}).Expect(t, http.StatusCreated)
	// The other patient's own plan, to reach it through the wrong patient's path.
	otherPlan := otherPatientPlan(t, env, c)

	planPath := plansPath(c) + "/" + plan.ID.String()
	evaluation := map[string]any{"evaluated_at": time.Now().UTC().Format(time.RFC3339), "outcome": "not_eligible"}
	newPlan := map[string]any{"start_date": localDate(t, "UTC", 1), "sessions_per_week": 2, "route": "oral"}
	reading := map[string]any{"taken_at": time.Now().UTC().Format(time.RFC3339), "systolic": 120, "diastolic": 80, "heart_rate": 70, "spo2": 99}
	ops := []struct {
		method, path string
		body         any
		// Expected status as another patient, a clinician not on the care
		// team, and an admin; no token is always 401.
		otherPatient, outsider, admin int
	}{
		{"POST", evaluationsPath(c), evaluation, 403, 404, 403},
		{"GET", evaluationsPath(c), nil, 404, 404, 200},
		{"POST", plansPath(c), newPlan, 403, 404, 403},
		{"GET", plansPath(c), nil, 404, 404, 200},
		{"GET", planPath, nil, 404, 404, 200},
		{"PATCH", planPath, map[string]any{"status": "cancelled"}, 403, 404, 403},
		{"GET", plansPath(c) + "/" + otherPlan.String(), nil, 404, 404, 404},
		{"GET", "/v1/sessions?patient_id=" + c.patient.ID.String(), nil, 404, 404, 200},
		{"GET", sessionPath, nil, 404, 404, 200},
		{"PATCH", sessionPath, map[string]any{"integration": map[string]any{"therapist_notes": "overwritten"}}, 404, 404, 403},
		{"PATCH", sessionPath, map[string]any{"sitter": nil}, 404, 404, 403},
		{"POST", sessionPath + "/vitals", reading, 403, 404, 403},
		{"GET", sessionPath + "/vitals", nil, 404, 404, 200},
	}
	private := []string{c.patient.Name, c.patient.ID.String(), secretEvaluationNote, secretJourneyNote, secretTherapistNote, secretIntention}
	for _, op := range ops {
		for _, who := range []struct {
			name   string
			user   apitest.User
			status int
		}{
			{"another patient", c.otherPatient, op.otherPatient},
			{"clinician not on the care team", c.outsider, op.outsider},
			{"admin", c.admin, op.admin},
			{"no token", apitest.User{}, http.StatusUnauthorized},
		} {
			t.Run(op.method+" "+op.path+" as "+who.name, func(t *testing.T) {
				r := env.Do(apitest.Request{Method: op.method, Path: op.path, Token: who.user.Token, Body: op.body, Header: env.IfMatch(op.method, op.path)}).Expect(t, who.status)
				if who.status < 400 {
					return
				}
				r.Problem(t)
				for _, s := range private {
					if strings.Contains(string(r.Body), s) {
						t.Fatalf("refused request leaked %q: %s", s, r.Body)
					}
				}
			})
		}
	}

	// Nothing the refused calls sent was written.
	var evs api.CandidacyEvaluationPage
	env.Get(evaluationsPath(c), c.clinician.Token).Expect(t, http.StatusOK).JSON(t, &evs)
	var plans api.TreatmentPlanPage
	env.Get(plansPath(c), c.clinician.Token).Expect(t, http.StatusOK).JSON(t, &plans)
	var vitals api.VitalSignPage
	env.Get(sessionPath+"/vitals", c.clinician.Token).Expect(t, http.StatusOK).JSON(t, &vitals)
	var s api.TreatmentSession
	env.Get(sessionPath, c.clinician.Token).Expect(t, http.StatusOK).JSON(t, &s)
	if len(evs.Items) != 1 || len(plans.Items) != 1 || plans.Items[0].Status != api.PlanStatusActive || len(vitals.Items) != 1 ||
		s.Integration.TherapistNotes == nil || *s.Integration.TherapistNotes != secretTherapistNote || s.Version != 3 {
		t.Fatalf("refused calls changed records: %d evaluations, plans %+v, %d readings, session %+v", len(evs.Items), plans.Items, len(vitals.Items), s)
	}
}

// otherPatientPlan gives the clinic's other patient a clinician, an eligible
// evaluation and a plan, and returns the plan's id.
func otherPatientPlan(t *testing.T, env *apitest.Env, c clinic) uuid.UUID {
	t.Helper()
	doctor := env.Clinician("Dr. Other", "physician")
	pid := c.otherPatient.ID.String()
	env.Put("/v1/patients/"+pid+"/care-team/"+doctor.ID.String(), c.admin.Token, nil).Expect(t, http.StatusOK)
	env.Post("/v1/patients/"+pid+"/evaluations", doctor.Token, map[string]any{
		"evaluated_at": time.Now().UTC().Format(time.RFC3339), "outcome": "eligible",
		"baseline_blood_pressure": map[string]any{"systolic": 118, "diastolic": 76},
	}).Expect(t, http.StatusCreated)
	var p api.TreatmentPlan
	env.Post("/v1/patients/"+pid+"/treatment-plans", doctor.Token, map[string]any{
		"start_date": localDate(t, "UTC", 1), "sessions_per_week": 3, "route": "oral",
	}).Expect(t, http.StatusCreated).JSON(t, &p)
	return p.ID
}

// TestConcurrentPlansMakeOne sends the same plan several times at once, as a
// double-tapped button would: exactly one is made, with exactly its sessions.
func TestConcurrentPlansMakeOne(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := eligibleClinic(t, env)
	body := map[string]any{"start_date": localDate(t, "UTC", 1), "sessions_per_week": 3, "route": "iv_infusion"}
	const tries = 4
	statuses := make(chan int, tries)
	for range tries {
		go func() {
			statuses <- env.Do(apitest.Request{Method: http.MethodPost, Path: plansPath(c), Token: c.clinician.Token, Body: body}).Status
		}()
	}
	made := 0
	for range tries {
		switch s := <-statuses; s {
		case http.StatusCreated:
			made++
		case http.StatusConflict:
		default:
			t.Fatalf("concurrent plan got %d", s)
		}
	}
	if made != 1 {
		t.Fatalf("%d plans made, want 1", made)
	}
	var sessions api.TreatmentSessionPage
	env.Get("/v1/sessions?limit=50", c.patient.Token).Expect(t, http.StatusOK).JSON(t, &sessions)
	if len(sessions.Items) != 6 {
		t.Fatalf("%d sessions, want the one plan's 6", len(sessions.Items))
	}
}
