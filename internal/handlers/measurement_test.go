package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ketacare/api/internal/api"
	"github.com/ketacare/api/internal/apitest"
	"github.com/ketacare/api/internal/models"
)

// answersFor spreads total over n items, filling the first items first;
// item9 fixes the last answer (PHQ-9 item 9) when it is not negative.
func answersFor(n, total, item9 int) []int {
	out := make([]int, n)
	last := n
	if item9 >= 0 {
		out[n-1] = item9
		total -= item9
		last = n - 1
	}
	for i := 0; i < last && total > 0; i++ {
		out[i] = min(3, total)
		total -= out[i]
	}
	if total != 0 {
		panic(fmt.Sprintf("cannot spread the total over %d items", n))
	}
	return out
}

func phq9(total, item9 int) map[string]any {
	return map[string]any{"instrument": "phq9", "answers": answersFor(9, total, item9)}
}

func gad7(total int) map[string]any {
	return map[string]any{"instrument": "gad7", "answers": answersFor(7, total, -1)}
}

// takenAt returns body with taken_at set.
func takenAt(body map[string]any, t time.Time) map[string]any {
	out := make(map[string]any, len(body)+1)
	for k, v := range body {
		out[k] = v
	}
	out["taken_at"] = t.UTC().Format(time.RFC3339Nano)
	return out
}

func assess(t *testing.T, env *apitest.Env, who apitest.User, body map[string]any) api.Assessment {
	t.Helper()
	var a api.Assessment
	env.Post("/v1/assessments", who.Token, body).Expect(t, http.StatusCreated).JSON(t, &a)
	return a
}

func alerts(t *testing.T, env *apitest.Env, who apitest.User, query string) []api.SafetyAlert {
	t.Helper()
	var pg api.SafetyAlertPage
	env.Get("/v1/alerts"+query, who.Token).Expect(t, http.StatusOK).JSON(t, &pg)
	return pg.Items
}

func alertIDs(as []api.SafetyAlert) []uuid.UUID {
	out := make([]uuid.UUID, len(as))
	for i, a := range as {
		out[i] = a.ID
	}
	return out
}

// seedSessions stores a treatment plan for the patient with one session per
// status, scheduled a day apart, and returns the sessions' ids. The
// sessions endpoints belong to the clinical-care work; these tests only
// need the rows.
func seedSessions(t *testing.T, env *apitest.Env, patient, clinician uuid.UUID, planStatus string, statuses ...string) []uuid.UUID {
	t.Helper()
	now := env.App.Now()
	plan := models.TreatmentPlan{ID: uuid.Must(uuid.NewV7()), PatientID: patient, CreatedBy: clinician, StartDate: now.Truncate(24 * time.Hour),
		SessionsPerWeek: 2, SessionCount: max(1, len(statuses)), Route: models.RouteIntranasal, Status: planStatus,
		CreatedAt: now, UpdatedAt: now, Version: 1}
	db := env.DB.WithContext(context.Background())
	if err := db.Create(&plan).Error; err != nil {
		t.Fatalf("seed plan: %v", err)
	}
	ids := make([]uuid.UUID, len(statuses))
	for i, st := range statuses {
		s := models.TreatmentSession{ID: uuid.Must(uuid.NewV7()), PlanID: plan.ID, PatientID: patient, Sequence: i + 1,
			ScheduledAt: now.Add(time.Duration(i-len(statuses)) * 24 * time.Hour), Status: st, Route: models.RouteIntranasal,
			CreatedAt: now, UpdatedAt: now, Version: 1, PatientUpdatedAt: now, PatientVersion: 1}
		if err := db.Create(&s).Error; err != nil {
			t.Fatalf("seed session: %v", err)
		}
		ids[i] = s.ID
	}
	return ids
}

func TestInstrumentCatalog(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := newClinic(t, env)
	for _, who := range []apitest.User{c.patient, c.otherPatient, c.clinician, c.outsider, c.admin} {
		env.Get("/v1/assessment-instruments", who.Token).Expect(t, http.StatusOK)
	}
	env.Get("/v1/assessment-instruments", "").Expect(t, http.StatusUnauthorized).Problem(t)

	var cat api.InstrumentCatalog
	env.Get("/v1/assessment-instruments", c.patient.Token).Expect(t, http.StatusOK).JSON(t, &cat)
	if len(cat.Items) != 2 {
		t.Fatalf("want phq9 and gad7, got %d instruments", len(cat.Items))
	}
	phq, gad := cat.Items[0], cat.Items[1]
	if phq.Instrument != api.Phq9 || len(phq.Items) != 9 || phq.MaxTotal != 27 || phq.SafetyItem == nil || *phq.SafetyItem != 9 {
		t.Fatalf("phq9: %+v", phq)
	}
	if phq.Items[8].Number != 9 || phq.Items[8].Text != "Thoughts that you would be better off dead or of hurting yourself in some way" {
		t.Fatalf("phq9 item 9: %+v", phq.Items[8])
	}
	if phq.Items[0].Text != "Little interest or pleasure in doing things" || phq.Items[1].Text != "Feeling down, depressed, or hopeless" {
		t.Fatalf("phq9 wording: %+v", phq.Items[:2])
	}
	if gad.Instrument != api.Gad7 || len(gad.Items) != 7 || gad.MaxTotal != 21 || gad.SafetyItem != nil ||
		gad.Items[0].Text != "Feeling nervous, anxious, or on edge" || gad.Items[1].Text != "Not being able to stop or control worrying" {
		t.Fatalf("gad7: %+v", gad)
	}
	wantOptions := []api.AnswerOption{{Value: 0, Label: "Not at all"}, {Value: 1, Label: "Several days"}, {Value: 2, Label: "More than half the days"}, {Value: 3, Label: "Nearly every day"}}
	if !slices.Equal(phq.Options, wantOptions) || !slices.Equal(gad.Options, wantOptions) {
		t.Fatalf("options: %+v / %+v", phq.Options, gad.Options)
	}
	wantPHQ := []api.SeverityBand{{Severity: api.Minimal, Min: 0, Max: 4}, {Severity: api.Mild, Min: 5, Max: 9}, {Severity: api.Moderate, Min: 10, Max: 14},
		{Severity: api.ModeratelySevere, Min: 15, Max: 19}, {Severity: api.Severe, Min: 20, Max: 27}}
	wantGAD := []api.SeverityBand{{Severity: api.Minimal, Min: 0, Max: 4}, {Severity: api.Mild, Min: 5, Max: 9}, {Severity: api.Moderate, Min: 10, Max: 14},
		{Severity: api.Severe, Min: 15, Max: 21}}
	if !slices.Equal(phq.Bands, wantPHQ) || !slices.Equal(gad.Bands, wantGAD) {
		t.Fatalf("bands: %+v / %+v", phq.Bands, gad.Bands)
	}
}

func TestAssessmentScoringAtBandBoundaries(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := newClinic(t, env)
	for _, tc := range []struct {
		body     map[string]any
		total    int
		severity api.Severity
	}{
		{phq9(0, 0), 0, api.Minimal},
		{phq9(4, 0), 4, api.Minimal},
		{phq9(5, 0), 5, api.Mild},
		{phq9(9, 0), 9, api.Mild},
		{phq9(10, 0), 10, api.Moderate},
		{phq9(14, 0), 14, api.Moderate},
		{phq9(15, 0), 15, api.ModeratelySevere},
		{phq9(19, 0), 19, api.ModeratelySevere},
		{phq9(20, 0), 20, api.Severe},
		{phq9(27, 3), 27, api.Severe},
		{gad7(0), 0, api.Minimal},
		{gad7(4), 4, api.Minimal},
		{gad7(5), 5, api.Mild},
		{gad7(9), 9, api.Mild},
		{gad7(10), 10, api.Moderate},
		{gad7(14), 14, api.Moderate},
		{gad7(15), 15, api.Severe},
		{gad7(21), 21, api.Severe},
	} {
		t.Run(fmt.Sprintf("%s %d", tc.body["instrument"], tc.total), func(t *testing.T) {
			a := assess(t, env, c.patient, tc.body)
			if a.Total != tc.total || a.Severity != tc.severity || string(a.Instrument) != tc.body["instrument"] {
				t.Fatalf("got %d %s, want %d %s", a.Total, a.Severity, tc.total, tc.severity)
			}
			if !slices.Equal(a.Answers, tc.body["answers"].([]int)) || a.PatientID != c.patient.ID {
				t.Fatalf("stored %+v", a)
			}
		})
	}
}

func TestAssessmentRejectsInvalidInput(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := newClinic(t, env)
	own := seedSessions(t, env, c.patient.ID, c.clinician.ID, models.PlanStatusActive, models.SessionStatusScheduled)
	others := seedSessions(t, env, c.otherPatient.ID, c.clinician.ID, models.PlanStatusActive, models.SessionStatusScheduled)
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)

	for _, tc := range []struct {
		name, body, field string
	}{
		{"a 4", `{"instrument":"phq9","answers":[0,0,4,0,0,0,0,0,0]}`, "answers.2"},
		{"a -1", `{"instrument":"phq9","answers":[0,0,0,0,0,0,0,0,-1]}`, "answers.8"},
		{"eight answers for phq9", `{"instrument":"phq9","answers":[1,1,1,1,1,1,1,1]}`, "answers"},
		{"nine answers for gad7", `{"instrument":"gad7","answers":[1,1,1,1,1,1,1,1,1]}`, "answers"},
		{"six answers for gad7", `{"instrument":"gad7","answers":[1,1,1,1,1,1]}`, "answers"},
		{"ten answers", `{"instrument":"phq9","answers":[1,1,1,1,1,1,1,1,1,1]}`, "answers"},
		{"a string", `{"instrument":"gad7","answers":[1,"2",1,1,1,1,1]}`, "answers.1"},
		{"a fraction", `{"instrument":"gad7","answers":[1,1.5,1,1,1,1,1]}`, "answers.1"},
		{"answers not a list", `{"instrument":"gad7","answers":"1111111"}`, "answers"},
		{"no answers", `{"instrument":"gad7"}`, "answers"},
		{"unknown instrument", `{"instrument":"phq2","answers":[1,1,1,1,1,1,1]}`, "instrument"},
		{"unknown field", `{"instrument":"gad7","answers":[1,1,1,1,1,1,1],"total":0}`, "total"},
		{"taken in the future", `{"instrument":"gad7","answers":[1,1,1,1,1,1,1],"taken_at":"` + future + `"}`, "taken_at"},
		{"someone else's session", `{"instrument":"gad7","answers":[1,1,1,1,1,1,1],"session_id":"` + others[0].String() + `"}`, "session_id"},
		{"a missing session", `{"instrument":"gad7","answers":[1,1,1,1,1,1,1],"session_id":"` + uuid.NewString() + `"}`, "session_id"},
		{"item 9 answered 4", `{"instrument":"phq9","answers":[0,0,0,0,0,0,0,0,4]}`, "answers.8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := env.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/assessments", Token: c.patient.Token, Body: tc.body})
			p := r.Expect(t, http.StatusBadRequest).Problem(t)
			if !slices.Contains(p.Fields(), tc.field) {
				t.Fatalf("problem names %v, want %s: %s", p.Fields(), tc.field, r.Body)
			}
		})
	}
	var pg api.AssessmentPage
	env.Get("/v1/assessments", c.patient.Token).Expect(t, http.StatusOK).JSON(t, &pg)
	if len(pg.Items) != 0 {
		t.Fatalf("refused assessments were stored: %+v", pg.Items)
	}
	if as := alerts(t, env, c.admin, "?status=all"); len(as) != 0 {
		t.Fatalf("a refused assessment raised an alert: %+v", as)
	}

	// The patient's own session is accepted and kept.
	a := assess(t, env, c.patient, map[string]any{"instrument": "gad7", "answers": []int{1, 1, 1, 1, 1, 1, 1}, "session_id": own[0]})
	if a.SessionID == nil || *a.SessionID != own[0] {
		t.Fatalf("session not kept: %+v", a)
	}
}

func TestAssessmentAccess(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := newClinic(t, env)
	pid := c.patient.ID.String()
	body := gad7(6)

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
			env.Post("/v1/assessments", tc.who.Token, body).Expect(t, tc.status)
		})
	}
	mine := assess(t, env, c.patient, body)

	for _, tc := range []struct {
		name   string
		who    apitest.User
		path   string
		status int
	}{
		{"own list", c.patient, "/v1/assessments", 200},
		{"own list, another patient", c.otherPatient, "/v1/assessments", 200},
		{"own list, clinician", c.clinician, "/v1/assessments", 403},
		{"own list, admin", c.admin, "/v1/assessments", 403},
		{"own list, no token", apitest.User{}, "/v1/assessments", 401},
		{"patient's list, the patient", c.patient, "/v1/patients/" + pid + "/assessments", 200},
		{"patient's list, care team", c.clinician, "/v1/patients/" + pid + "/assessments", 200},
		{"patient's list, admin", c.admin, "/v1/patients/" + pid + "/assessments", 200},
		{"patient's list, another patient", c.otherPatient, "/v1/patients/" + pid + "/assessments", 404},
		{"patient's list, clinician not on the team", c.outsider, "/v1/patients/" + pid + "/assessments", 404},
		{"patient's list, no token", apitest.User{}, "/v1/patients/" + pid + "/assessments", 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := env.Get(tc.path, tc.who.Token).Expect(t, tc.status)
			if tc.status != 200 {
				r.Problem(t)
				if strings.Contains(string(r.Body), mine.ID.String()) {
					t.Fatal("a refused request leaked the assessment")
				}
				return
			}
			var pg api.AssessmentPage
			r.JSON(t, &pg)
			if tc.who == c.otherPatient {
				if len(pg.Items) != 1 || pg.Items[0].PatientID != c.otherPatient.ID {
					t.Fatalf("another patient must see only their own assessment, got %+v", pg.Items)
				}
				return
			}
			if len(pg.Items) != 1 || pg.Items[0].ID != mine.ID {
				t.Fatalf("want only the patient's assessment, got %+v", pg.Items)
			}
		})
	}
}

func TestAssessmentListFilters(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := newClinic(t, env)
	base := time.Now().UTC().Add(-72 * time.Hour).Truncate(time.Second)
	a1 := assess(t, env, c.patient, takenAt(phq9(12, 0), base))
	a2 := assess(t, env, c.patient, takenAt(gad7(8), base.Add(24*time.Hour)))
	a3 := assess(t, env, c.patient, takenAt(phq9(7, 0), base.Add(48*time.Hour)))
	path := "/v1/patients/" + c.patient.ID.String() + "/assessments"
	ids := func(query string) []uuid.UUID {
		t.Helper()
		var pg api.AssessmentPage
		env.Get(path+query, c.clinician.Token).Expect(t, http.StatusOK).JSON(t, &pg)
		out := make([]uuid.UUID, len(pg.Items))
		for i, a := range pg.Items {
			out[i] = a.ID
		}
		return out
	}
	q := func(k, v string) string { return k + "=" + url.QueryEscape(v) }
	for _, tc := range []struct {
		query string
		want  []uuid.UUID
	}{
		{"", []uuid.UUID{a3.ID, a2.ID, a1.ID}},
		{"?instrument=phq9", []uuid.UUID{a3.ID, a1.ID}},
		{"?" + q("from", base.Add(time.Hour).Format(time.RFC3339)), []uuid.UUID{a3.ID, a2.ID}},
		{"?" + q("to", base.Add(24*time.Hour).Format(time.RFC3339)), []uuid.UUID{a1.ID}},
		{"?instrument=phq9&" + q("from", base.Add(time.Hour).Format(time.RFC3339)), []uuid.UUID{a3.ID}},
	} {
		if got := ids(tc.query); !slices.Equal(got, tc.want) {
			t.Errorf("%q: got %v, want %v", tc.query, got, tc.want)
		}
	}

	// Pages follow one another without gaps or repeats.
	var p1, p2 api.AssessmentPage
	env.Get(path+"?limit=2", c.patient.Token).Expect(t, http.StatusOK).JSON(t, &p1)
	cur, err := p1.NextCursor.Get()
	if err != nil || len(p1.Items) != 2 {
		t.Fatalf("first page: %+v", p1)
	}
	env.Get(path+"?limit=2&cursor="+url.QueryEscape(cur), c.patient.Token).Expect(t, http.StatusOK).JSON(t, &p2)
	if len(p2.Items) != 1 || p2.Items[0].ID != a1.ID || !p2.NextCursor.IsNull() {
		t.Fatalf("second page: %+v", p2)
	}

	for query, field := range map[string]string{
		"?instrument=bdi": "query.instrument",
		"?from=yesterday": "query.from",
		"?" + q("from", base.Format(time.RFC3339)) + "&" + q("to", base.Format(time.RFC3339)): "query.to",
		"?limit=201":                "query.limit",
		"?cursor=not-a-real-cursor": "query.cursor",
	} {
		p := env.Get(path+query, c.clinician.Token).Expect(t, http.StatusBadRequest).Problem(t)
		if !slices.Contains(p.Fields(), field) {
			t.Errorf("%s: problem names %v, want %s", query, p.Fields(), field)
		}
	}
}

func TestSafetyAlertRouting(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := newClinic(t, env)
	alone := env.Patient("Casey Alone") // no care team

	// No alert without an answer above 0 to item 9, and never from a GAD-7.
	for _, body := range []map[string]any{phq9(24, 0), gad7(21)} {
		if a := assess(t, env, c.patient, body); a.Safety != nil {
			t.Fatalf("%s raised a safety notice: %+v", body["instrument"], a.Safety)
		}
	}
	if as := alerts(t, env, c.admin, "?status=all"); len(as) != 0 {
		t.Fatalf("alerts without item 9: %+v", as)
	}

	flagged := assess(t, env, c.patient, phq9(6, 2))
	if flagged.Safety == nil || !flagged.Safety.CareTeamNotified || len(flagged.Safety.Resources) == 0 ||
		!strings.Contains(flagged.Safety.Resources[0].Contact, "988") || !strings.Contains(flagged.Safety.Message, "care team") {
		t.Fatalf("safety notice: %+v", flagged.Safety)
	}
	var emergency bool
	for _, r := range flagged.Safety.Resources {
		emergency = emergency || strings.Contains(r.Contact, "local emergency number")
	}
	if !emergency {
		t.Fatalf("the notice must point to the local emergency number: %+v", flagged.Safety.Resources)
	}
	orphan := assess(t, env, alone, phq9(3, 1))
	if orphan.Safety == nil || orphan.Safety.CareTeamNotified || !strings.Contains(orphan.Safety.Message, "clinic") {
		t.Fatalf("safety notice without a care team: %+v", orphan.Safety)
	}

	// The notice is for the moment of answering; the stored record is the
	// assessment alone.
	var pg api.AssessmentPage
	env.Get("/v1/assessments?instrument=phq9", c.patient.Token).Expect(t, http.StatusOK).JSON(t, &pg)
	if pg.Items[0].ID != flagged.ID || pg.Items[0].Safety != nil {
		t.Fatalf("listed assessment: %+v", pg.Items[0])
	}

	// The assigned clinician sees their patient's alert, and only that.
	mine := alerts(t, env, c.clinician, "")
	if len(mine) != 1 {
		t.Fatalf("clinician sees %d alerts, want 1", len(mine))
	}
	a := mine[0]
	if a.PatientID != c.patient.ID || a.AssessmentID != flagged.ID || a.Reason != api.Phq9Item9 || a.ItemScore != 2 ||
		a.Status != api.SafetyAlertStatusOpen || a.Version != 1 || a.AcknowledgedBy != nil {
		t.Fatalf("alert: %+v", a)
	}
	raw := env.Get("/v1/alerts", c.clinician.Token).Expect(t, http.StatusOK).Body
	if strings.Contains(string(raw), "answers") {
		t.Fatalf("an alert must not carry the answers: %s", raw)
	}

	// An unassigned clinician never sees it, even asking for the patient.
	if as := alerts(t, env, c.outsider, "?status=all"); len(as) != 0 {
		t.Fatalf("outsider sees %+v", as)
	}
	if as := alerts(t, env, c.outsider, "?patient_id="+c.patient.ID.String()); len(as) != 0 {
		t.Fatalf("outsider sees %+v", as)
	}
	if as := alerts(t, env, c.clinician, "?unassigned=true"); len(as) != 0 {
		t.Fatalf("a clinician's unassigned list must be empty, got %+v", as)
	}

	// Admins see every alert, and those nobody else sees on their own.
	if got := alertIDs(alerts(t, env, c.admin, "")); len(got) != 2 {
		t.Fatalf("admin sees %v, want both alerts", got)
	}
	unassigned := alerts(t, env, c.admin, "?unassigned=true")
	if len(unassigned) != 1 || unassigned[0].PatientID != alone.ID || unassigned[0].AssessmentID != orphan.ID || unassigned[0].ItemScore != 1 {
		t.Fatalf("admin's unassigned alerts: %+v", unassigned)
	}
	if got := alerts(t, env, c.admin, "?patient_id="+alone.ID.String()); len(got) != 1 || got[0].PatientID != alone.ID {
		t.Fatalf("admin filtering by patient: %+v", got)
	}

	// Taking the clinician off the team takes the alert away at once.
	env.Delete("/v1/patients/"+c.patient.ID.String()+"/care-team/"+c.clinician.ID.String(), c.admin.Token).Expect(t, http.StatusNoContent)
	if as := alerts(t, env, c.clinician, "?status=all"); len(as) != 0 {
		t.Fatalf("a clinician taken off the team still sees %+v", as)
	}
}

func TestAlertListAccess(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := newClinic(t, env)
	for _, tc := range []struct {
		name   string
		who    apitest.User
		query  string
		status int
	}{
		{"the patient", c.patient, "", 403},
		{"another patient", c.otherPatient, "", 403},
		{"clinician not on the team", c.outsider, "", 200},
		{"no token", apitest.User{}, "", 401},
		{"bad status", c.clinician, "?status=closed", 400},
		{"bad patient id", c.clinician, "?patient_id=alex", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := env.Get("/v1/alerts"+tc.query, tc.who.Token).Expect(t, tc.status)
			if tc.status >= 400 {
				r.Problem(t)
			}
		})
	}
}

func TestAcknowledgeAlert(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := newClinic(t, env)
	alone := env.Patient("Casey Alone")
	flagged := assess(t, env, c.patient, phq9(9, 3))
	assess(t, env, alone, phq9(9, 1))
	alert := alerts(t, env, c.clinician, "")[0]
	if alert.AssessmentID != flagged.ID {
		t.Fatalf("alert is about %s, want %s", alert.AssessmentID, flagged.ID)
	}
	path := "/v1/alerts/" + alert.ID.String() + "/acknowledge"
	note := map[string]any{"note": "Called Alex; safety plan reviewed, no immediate risk."}

	// Nobody outside the care team can touch it; for a clinician it does
	// not exist.
	env.Post(path, c.outsider.Token, note).Expect(t, http.StatusNotFound).Problem(t)
	env.Post(path, c.patient.Token, note).Expect(t, http.StatusForbidden).Problem(t)
	env.Post(path, c.otherPatient.Token, note).Expect(t, http.StatusForbidden).Problem(t)
	env.Post(path, "", note).Expect(t, http.StatusUnauthorized).Problem(t)
	env.Post("/v1/alerts/"+uuid.NewString()+"/acknowledge", c.clinician.Token, note).Expect(t, http.StatusNotFound).Problem(t)
	missing := env.Post("/v1/alerts/"+uuid.NewString()+"/acknowledge", c.outsider.Token, note).Problem(t)
	hidden := env.Post(path, c.outsider.Token, note).Problem(t)
	if missing.Detail != hidden.Detail {
		t.Fatalf("a hidden alert must look missing: %q vs %q", hidden.Detail, missing.Detail)
	}
	for body, field := range map[string]string{
		`{"note":""}`: "note",
		`{"note":"` + strings.Repeat("x", 2001) + `"}`: "note",
		`{"comment":"ok"}`: "comment",
	} {
		p := env.Do(apitest.Request{Method: http.MethodPost, Path: path, Token: c.clinician.Token, Body: body}).Expect(t, http.StatusBadRequest).Problem(t)
		if !slices.Contains(p.Fields(), field) {
			t.Errorf("%s: problem names %v, want %s", body, p.Fields(), field)
		}
	}
	if open := alerts(t, env, c.clinician, ""); len(open) != 1 || open[0].Version != 1 {
		t.Fatalf("refused acknowledgements changed the alert: %+v", open)
	}

	var acked api.SafetyAlert
	env.Post(path, c.clinician.Token, note).Expect(t, http.StatusOK).JSON(t, &acked)
	if acked.Status != api.SafetyAlertStatusAcknowledged || acked.AcknowledgedBy == nil || *acked.AcknowledgedBy != c.clinician.ID ||
		acked.AcknowledgedAt == nil || acked.AcknowledgementNote == nil || *acked.AcknowledgementNote != note["note"] || acked.Version != 2 ||
		time.Since(*acked.AcknowledgedAt) > time.Minute {
		t.Fatalf("acknowledged: %+v", acked)
	}

	// Once is enough: a second acknowledgement is refused and changes nothing.
	env.Post(path, c.clinician.Token, map[string]any{"note": "again"}).Expect(t, http.StatusConflict).Problem(t)
	env.Post(path, c.admin.Token, nil).Expect(t, http.StatusConflict).Problem(t)
	if open := alerts(t, env, c.clinician, ""); len(open) != 0 {
		t.Fatalf("acknowledged alert still open: %+v", open)
	}
	done := alerts(t, env, c.clinician, "?status=acknowledged")
	if len(done) != 1 || !reflect.DeepEqual(done[0], acked) {
		t.Fatalf("acknowledged list: %+v, want %+v", done, acked)
	}

	// Admins acknowledge the alerts of patients without a care team; the
	// note is optional and so is the body.
	orphan := alerts(t, env, c.admin, "?unassigned=true")[0]
	var byAdmin api.SafetyAlert
	env.Post("/v1/alerts/"+orphan.ID.String()+"/acknowledge", c.admin.Token, nil).Expect(t, http.StatusOK).JSON(t, &byAdmin)
	if byAdmin.AcknowledgedBy == nil || *byAdmin.AcknowledgedBy != c.admin.ID || byAdmin.AcknowledgementNote != nil {
		t.Fatalf("admin acknowledgement: %+v", byAdmin)
	}
	if all := alerts(t, env, c.admin, "?status=all"); len(all) != 2 {
		t.Fatalf("status=all: %+v", all)
	}

	// The clinician's note never reaches the patient.
	for _, p := range []string{"/v1/assessments", "/v1/patients/" + c.patient.ID.String() + "/assessments", "/v1/patients/" + c.patient.ID.String() + "/progress"} {
		body := string(env.Get(p, c.patient.Token).Expect(t, http.StatusOK).Body)
		if strings.Contains(body, "safety plan reviewed") || strings.Contains(body, alert.ID.String()) {
			t.Fatalf("%s shows the patient the clinician's follow-up: %s", p, body)
		}
	}
}
