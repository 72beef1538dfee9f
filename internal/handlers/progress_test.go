package handlers_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ketacare/api/internal/api"
	"github.com/ketacare/api/internal/apitest"
	"github.com/ketacare/api/internal/measurement"
	"github.com/ketacare/api/internal/models"
	"github.com/ketacare/api/internal/store"
)

const day = 24 * time.Hour

func progress(t *testing.T, env *apitest.Env, who apitest.User, patient uuid.UUID) api.PatientProgress {
	t.Helper()
	var p api.PatientProgress
	env.Get("/v1/patients/"+patient.String()+"/progress", who.Token).Expect(t, http.StatusOK).JSON(t, &p)
	return p
}

// journal writes a journal entry through the API and, when at is set, moves
// its creation back to at, as if it had been written then.
func journal(t *testing.T, env *apitest.Env, who apitest.User, at *time.Time, shared bool) {
	t.Helper()
	var e struct {
		ID uuid.UUID `json:"id"`
	}
	env.Post("/v1/journal-entries", who.Token, map[string]any{"body": "Felt the ground under my feet today.", "shared_with_care_team": shared}).
		Expect(t, http.StatusCreated).JSON(t, &e)
	if at == nil {
		return
	}
	err := env.DB.WithContext(context.Background()).Model(&models.JournalEntry{}).Where("id = ?", e.ID).
		Updates(map[string]any{"created_at": at.UTC(), "updated_at": at.UTC()}).Error
	if err != nil {
		t.Fatal(err)
	}
}

// must returns the value of a nullable field, failing the test when it is null.
func must[T any](t *testing.T, what string, n interface{ Get() (T, error) }) T {
	t.Helper()
	v, err := n.Get()
	if err != nil {
		t.Fatalf("%s is null", what)
	}
	return v
}

func TestProgressWorkedExample(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := newClinic(t, env)
	now := time.Now().UTC()
	ago := func(d time.Duration) time.Time { return now.Add(-d) }

	// Sessions: an active plan with 3 completed, 1 missed, 1 scheduled and
	// 1 cancelled; a cancelled plan with 1 completed before it was stopped
	// and 1 it cancelled. Completed 4; planned 3+1+1 + 1 = 6.
	seedSessions(t, env, c.patient.ID, c.clinician.ID, models.PlanStatusActive, models.SessionStatusCompleted, models.SessionStatusCompleted,
		models.SessionStatusCompleted, models.SessionStatusNoShow, models.SessionStatusScheduled, models.SessionStatusCancelled)
	seedSessions(t, env, c.patient.ID, c.clinician.ID, models.PlanStatusCancelled, models.SessionStatusCompleted, models.SessionStatusCancelled)
	seedSessions(t, env, c.otherPatient.ID, c.clinician.ID, models.PlanStatusActive, models.SessionStatusCompleted, models.SessionStatusCompleted)

	// PHQ-9 recorded out of order: the baseline is the first taken, not
	// the first recorded. 20 -> 14 -> 9: -11 points, -55%, a response, not
	// a remission.
	latest := assess(t, env, c.patient, takenAt(phq9(9, 0), ago(1*day)))
	baseline := assess(t, env, c.patient, takenAt(phq9(20, 0), ago(60*day)))
	middle := assess(t, env, c.patient, takenAt(phq9(14, 0), ago(30*day)))
	// GAD-7 15 -> 4: -11 points, -73.3%, a response and a remission.
	g1 := assess(t, env, c.patient, takenAt(gad7(15), ago(60*day)))
	g2 := assess(t, env, c.patient, takenAt(gad7(4), ago(2*day)))
	assess(t, env, c.otherPatient, phq9(27, 3))

	// Mood: within 7 days 6, 8, 5 (anxiety 4, -, 3); within 30 days also
	// 3 (anxiety 8); 40 days ago is out of both.
	for _, m := range []struct {
		mood, anxiety int
		at            time.Duration
	}{{6, 4, 1 * day}, {8, 0, 3 * day}, {5, 3, 6 * day}, {3, 8, 20 * day}, {1, 10, 40 * day}} {
		body := map[string]any{"mood": m.mood, "taken_at": ago(m.at).Format(time.RFC3339Nano)}
		if m.anxiety > 0 {
			body["anxiety"] = m.anxiety
		}
		checkIn(t, env, c.patient, body)
	}
	checkIn(t, env, c.otherPatient, map[string]any{"mood": 10, "anxiety": 10})

	// Journal, counted in calendar days in the patient's time zone (Los
	// Angeles): today; twice on day -3 (one day); 23:30 on day -5 and 00:30
	// on day -4, which UTC would put on a single day; noon on day -13, the
	// first day counted; 23:00 on day -14, just out. Private and shared
	// entries alike. 5 days.
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	tz := la.String()
	if _, err := env.App.Store.UpdateUser(context.Background(), c.patient.ID, 0, store.UserChanges{Timezone: &tz}); err != nil {
		t.Fatal(err)
	}
	y, mo, d := now.In(la).Date()
	local := func(day, hour, minute int) time.Time { return time.Date(y, mo, d+day, hour, minute, 0, 0, la) }
	journal(t, env, c.patient, nil, false)
	for i, at := range []time.Time{local(-3, 9, 0), local(-3, 21, 0), local(-5, 23, 30), local(-4, 0, 30), local(-13, 12, 0), local(-14, 23, 0)} {
		journal(t, env, c.patient, &at, i%2 == 0)
	}
	journal(t, env, c.otherPatient, nil, true)

	// Goals: 2 active, 1 achieved; paused and dropped ones count as neither.
	for _, status := range []string{"active", "active", "achieved", "paused", "dropped"} {
		env.Post("/v1/goals", c.patient.Token, map[string]any{"title": "Call my sister every Sunday", "category": "connection", "status": status}).
			Expect(t, http.StatusCreated)
	}
	env.Post("/v1/goals", c.otherPatient.Token, map[string]any{"title": "Walk daily", "category": "self_care"}).Expect(t, http.StatusCreated)

	for _, who := range []apitest.User{c.patient, c.clinician, c.admin} {
		p := progress(t, env, who, c.patient.ID)
		if p.PatientID != c.patient.ID || time.Since(p.GeneratedAt) > time.Minute {
			t.Fatalf("header: %+v", p)
		}
		if p.Sessions != (api.SessionCounts{Completed: 4, Planned: 6}) {
			t.Errorf("sessions: %+v, want 4 completed of 6 planned", p.Sessions)
		}

		ph := p.Phq9
		if ph.Count != 3 || must[api.ScorePoint](t, "phq9 baseline", ph.Baseline).AssessmentID != baseline.ID ||
			must[api.ScorePoint](t, "phq9 latest", ph.Latest).AssessmentID != latest.ID {
			t.Fatalf("phq9 baseline/latest: %+v", ph)
		}
		if b := must[api.ScorePoint](t, "phq9 baseline", ph.Baseline); b.Total != 20 || b.Severity != api.Severe || !b.TakenAt.Equal(baseline.TakenAt) {
			t.Errorf("phq9 baseline: %+v", b)
		}
		if l := must[api.ScorePoint](t, "phq9 latest", ph.Latest); l.Total != 9 || l.Severity != api.Mild {
			t.Errorf("phq9 latest: %+v", l)
		}
		if must[int](t, "phq9 change", ph.ChangePoints) != -11 || must[float64](t, "phq9 percent", ph.ChangePercent) != -55.0 ||
			!must[bool](t, "phq9 response", ph.Response) || must[bool](t, "phq9 remission", ph.Remission) {
			t.Errorf("phq9 change: %+v", ph)
		}
		if len(ph.Series) != 3 || ph.Series[0].AssessmentID != baseline.ID || ph.Series[1].AssessmentID != middle.ID ||
			ph.Series[2].AssessmentID != latest.ID || ph.Series[1].Total != 14 || ph.Series[1].Severity != api.Moderate {
			t.Errorf("phq9 series, oldest first: %+v", ph.Series)
		}

		g := p.Gad7
		if g.Count != 2 || must[int](t, "gad7 change", g.ChangePoints) != -11 || must[float64](t, "gad7 percent", g.ChangePercent) != -73.3 ||
			!must[bool](t, "gad7 response", g.Response) || !must[bool](t, "gad7 remission", g.Remission) {
			t.Errorf("gad7: %+v", g)
		}
		if len(g.Series) != 2 || g.Series[0].AssessmentID != g1.ID || g.Series[1].AssessmentID != g2.ID || g.Series[1].Severity != api.Minimal {
			t.Errorf("gad7 series: %+v", g.Series)
		}

		w, m := p.Mood.Last7Days, p.Mood.Last30Days
		if w.CheckIns != 3 || must[float64](t, "7-day mood", w.AverageMood) != 6.3 || must[float64](t, "7-day anxiety", w.AverageAnxiety) != 3.5 {
			t.Errorf("7 days: %+v", w)
		}
		if m.CheckIns != 4 || must[float64](t, "30-day mood", m.AverageMood) != 5.5 || must[float64](t, "30-day anxiety", m.AverageAnxiety) != 5.0 {
			t.Errorf("30 days: %+v", m)
		}
		if p.JournalingDaysLast14 != 5 {
			t.Errorf("journaling days: %d, want 5", p.JournalingDaysLast14)
		}
		if p.Goals != (api.GoalCounts{Active: 2, Achieved: 1}) {
			t.Errorf("goals: %+v, want 2 active and 1 achieved", p.Goals)
		}
	}
}

func TestProgressBeforeAndAtBaseline(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := newClinic(t, env)

	// Nothing recorded: counts are zero and comparisons null.
	p := progress(t, env, c.patient, c.patient.ID)
	for _, ip := range []api.InstrumentProgress{p.Phq9, p.Gad7} {
		if ip.Count != 0 || !ip.Baseline.IsNull() || !ip.Latest.IsNull() || !ip.ChangePoints.IsNull() || !ip.ChangePercent.IsNull() ||
			!ip.Response.IsNull() || !ip.Remission.IsNull() || ip.Series == nil || len(ip.Series) != 0 {
			t.Fatalf("empty instrument: %+v", ip)
		}
	}
	if p.Sessions != (api.SessionCounts{}) || p.Mood.Last7Days.CheckIns != 0 || !p.Mood.Last7Days.AverageMood.IsNull() ||
		!p.Mood.Last30Days.AverageAnxiety.IsNull() {
		t.Fatalf("empty progress: %+v", p)
	}
	raw := string(env.Get("/v1/patients/"+c.patient.ID.String()+"/progress", c.patient.Token).Expect(t, http.StatusOK).Body)
	if !strings.Contains(raw, `"series":[]`) || !strings.Contains(raw, `"baseline":null`) {
		t.Fatalf("empty series and null baseline must be explicit: %s", raw)
	}

	// A baseline alone is no change yet: nothing to compare.
	only := assess(t, env, c.patient, gad7(3))
	g := progress(t, env, c.patient, c.patient.ID).Gad7
	if g.Count != 1 || must[api.ScorePoint](t, "baseline", g.Baseline).AssessmentID != only.ID || must[api.ScorePoint](t, "latest", g.Latest).AssessmentID != only.ID ||
		!g.ChangePoints.IsNull() || !g.Response.IsNull() || !g.Remission.IsNull() {
		t.Fatalf("baseline only: %+v", g)
	}

	// From a baseline of 0 there is no percent and no response.
	assess(t, env, c.patient, takenAt(phq9(0, 0), time.Now().Add(-48*time.Hour)))
	assess(t, env, c.patient, phq9(3, 0))
	ph := progress(t, env, c.patient, c.patient.ID).Phq9
	if must[int](t, "change", ph.ChangePoints) != 3 || !ph.ChangePercent.IsNull() || must[bool](t, "response", ph.Response) || !must[bool](t, "remission", ph.Remission) {
		t.Fatalf("baseline 0: %+v", ph)
	}

	// Exactly half the baseline is a response; 5 is not a remission.
	assess(t, env, c.patient, takenAt(gad7(10), time.Now().Add(-time.Minute)))
	assess(t, env, c.otherPatient, takenAt(gad7(10), time.Now().Add(-48*time.Hour)))
	assess(t, env, c.otherPatient, gad7(5))
	g = progress(t, env, c.otherPatient, c.otherPatient.ID).Gad7
	if must[float64](t, "percent", g.ChangePercent) != -50.0 || !must[bool](t, "response", g.Response) || must[bool](t, "remission", g.Remission) {
		t.Fatalf("10 -> 5: %+v", g)
	}
}

func TestProgressAccess(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := newClinic(t, env)
	assess(t, env, c.patient, phq9(17, 0))
	path := "/v1/patients/" + c.patient.ID.String() + "/progress"
	for _, tc := range []struct {
		name   string
		who    apitest.User
		path   string
		status int
	}{
		{"the patient", c.patient, path, 200},
		{"care team", c.clinician, path, 200},
		{"admin", c.admin, path, 200},
		{"another patient", c.otherPatient, path, 404},
		{"clinician not on the team", c.outsider, path, 404},
		{"no token", apitest.User{}, path, 401},
		{"a clinician is not a patient", c.admin, "/v1/patients/" + c.clinician.ID.String() + "/progress", 404},
		{"malformed id", c.admin, "/v1/patients/alex/progress", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := env.Get(tc.path, tc.who.Token).Expect(t, tc.status)
			if tc.status != 200 {
				if strings.Contains(string(r.Body), `"total"`) {
					t.Fatal("a refused request leaked scores")
				}
				r.Problem(t)
			}
		})
	}
}

// TestProgressQueriesStayConstant answers a progress summary for a patient
// with a little data and again with a lot, and requires the same number of
// database statements (one of them the account check every authenticated
// request makes); the long history also shows the series capped and the
// baseline kept.
func TestProgressQueriesStayConstant(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := newClinic(t, env)
	assess(t, env, c.patient, phq9(12, 0))
	checkIn(t, env, c.patient, map[string]any{"mood": 5})
	seedSessions(t, env, c.patient.ID, c.clinician.ID, models.PlanStatusActive, models.SessionStatusCompleted)

	measure := func(who apitest.User) int64 {
		t.Helper()
		return env.Statements().Of(func() { progress(t, env, who, c.patient.ID) }).Queries
	}
	small := map[string]int64{"patient": measure(c.patient), "clinician": measure(c.clinician), "admin": measure(c.admin)}

	// A long history: 150 more PHQ-9s starting long before the first, 60
	// check-ins (written straight to the database), 20 journal entries, 10
	// goals and 20 sessions.
	db := env.DB.WithContext(context.Background())
	first := time.Now().UTC().Add(-400 * day)
	var as []models.Assessment
	for i := range 150 {
		as = append(as, models.Assessment{ID: uuid.Must(uuid.NewV7()), PatientID: c.patient.ID, Instrument: measurement.PHQ9,
			Answers: measurement.EncodeAnswers(answersFor(9, 20-i%10, 0)), Total: 20 - i%10, Severity: measurement.Instruments[0].Severity(20 - i%10),
			TakenAt: first.Add(time.Duration(i) * day), CreatedAt: env.App.Now()})
	}
	var ms []models.MoodCheckIn
	for i := range 60 {
		ms = append(ms, models.MoodCheckIn{ID: uuid.Must(uuid.NewV7()), PatientID: c.patient.ID, Mood: 1 + i%10, TakenAt: time.Now().UTC().Add(-time.Duration(i) * 12 * time.Hour), CreatedAt: env.App.Now()})
	}
	if err := db.CreateInBatches(as, 50).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.CreateInBatches(ms, 50).Error; err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		at := time.Now().Add(-time.Duration(i) * 20 * time.Hour)
		journal(t, env, c.patient, &at, i%3 == 0)
	}
	for range 10 {
		env.Post("/v1/goals", c.patient.Token, map[string]any{"title": "Slow down at meals", "category": "slow_down"}).Expect(t, http.StatusCreated)
	}
	// A patient has one active plan at a time: the long history is an
	// earlier, completed course.
	seedSessions(t, env, c.patient.ID, c.clinician.ID, models.PlanStatusCompleted, slices.Repeat([]string{models.SessionStatusCompleted}, 20)...)

	large := map[string]int64{"patient": measure(c.patient), "clinician": measure(c.clinician), "admin": measure(c.admin)}
	for who, q := range small {
		if q == 0 || q > 5 || large[who] != q {
			t.Errorf("%s: %d statements with little data, %d with a lot; want the same, at most 5", who, q, large[who])
		}
	}

	p := progress(t, env, c.clinician, c.patient.ID)
	if p.Phq9.Count != 151 || len(p.Phq9.Series) != store.ProgressSeriesLength {
		t.Fatalf("count %d, series %d", p.Phq9.Count, len(p.Phq9.Series))
	}
	b := must[api.ScorePoint](t, "baseline", p.Phq9.Baseline)
	if b.AssessmentID != as[0].ID || b.Total != 20 {
		t.Fatalf("baseline must stay the first ever taken: %+v", b)
	}
	if l := must[api.ScorePoint](t, "latest", p.Phq9.Latest); l != p.Phq9.Series[len(p.Phq9.Series)-1] || l.Total != 12 {
		t.Fatalf("latest %+v must end the series", l)
	}
	for i := 1; i < len(p.Phq9.Series); i++ {
		if p.Phq9.Series[i].TakenAt.Before(p.Phq9.Series[i-1].TakenAt) {
			t.Fatal("series must run oldest first")
		}
	}
	if p.Sessions.Completed != 21 || p.Mood.Last30Days.CheckIns != 61 || p.Mood.Last7Days.CheckIns != 15 || p.Goals.Active != 10 || p.JournalingDaysLast14 == 0 {
		t.Fatalf("aggregates: %+v %+v %+v %d", p.Sessions, p.Mood, p.Goals, p.JournalingDaysLast14)
	}
}
