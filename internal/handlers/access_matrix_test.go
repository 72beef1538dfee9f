package handlers_test

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/ketacare/api/internal/apitest"
)

// TestAccessMatrix calls every operation of the spec as each kind of caller
// (OWASP API1 and API5): the patient whose records it touches, another
// patient, a clinician on the patient's care team, a clinician not on it,
// an admin, and no one. Each call must get the status the matrix documents
// (the harness also fails one the spec does not), and no response may carry
// an id or a word of a patient's that its caller may not read. Where a path
// names a record beneath a patient, the other patient and the outsider also
// name the owner's record beneath a patient they may see. An operation of
// the spec without a row fails the test, so no endpoint skips it.
func TestAccessMatrix(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ops := specOps(env.Spec())
	matrix := accessMatrix(t)
	for _, id := range slices.Sorted(maps.Keys(ops)) {
		if _, ok := matrix[id]; !ok {
			t.Errorf("%s (%s %s) has no row in the access matrix: add one to accessMatrix", id, ops[id].method, ops[id].path)
		}
	}
	for id, r := range matrix {
		op, ok := ops[id]
		if !ok {
			t.Errorf("the access matrix has a row for %s, which the spec does not define", id)
		} else if bad := r.undocumented(op); len(bad) > 0 {
			t.Errorf("%s: the matrix expects %v, which the spec does not document", id, bad)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	w := newWorld(t, env)
	before := w.versions(t)
	for _, id := range slices.Sorted(maps.Keys(matrix)) {
		r, op := matrix[id], ops[id]
		for _, who := range callers {
			t.Run(id+"/"+who.String(), func(t *testing.T) {
				c := &cell{t: t, w: w, op: op, who: who, as: w.user(who), params: w.params()}
				c.call(r, r.want[who])
			})
		}
		if !namesChildOfPatient(op) {
			continue
		}
		// The same call under a patient the caller may see, naming the
		// owner's record beneath it: the record is not that patient's, so
		// it does not exist there.
		for _, who := range []caller{otherPatient, outsider} {
			t.Run(id+"/"+who.String()+"/under the other patient", func(t *testing.T) {
				c := &cell{t: t, w: w, op: op, who: who, as: w.user(who), params: w.params()}
				c.params["patient_id"] = w.b.patient.ID.String()
				c.call(r, r.mixedWant(who))
			})
		}
	}
	if after := w.versions(t); !maps.Equal(before, after) {
		t.Errorf("refused calls changed the patients' records: versions %v, then %v", before, after)
	}
	for _, m := range w.unseen(w.a) {
		t.Errorf("no response showed %s to anyone who may read it: the matrix cannot tell whether it leaks", m)
	}
}

// accessMatrix is the matrix: for each operation of the spec, by
// operationId, the status each caller gets, and how to call it. The owner's
// records are the world's first patient's; for the clinical records, which
// the care team writes, the owner column shows that the patient cannot.
func accessMatrix(t *testing.T) map[string]row {
	hourAgo, tomorrow := timeAgo(time.Hour), localDate(t, "UTC", 1)
	entry := map[string]any{"body": "A few lines to change."}
	goal := map[string]any{"title": "Swim on Sunday mornings", "category": "self_care"}
	return map[string]row{
		//                             owner other  team  outsider admin no token
		// Open to all: a token changes nothing.
		"healthz":        {want: want{200, 200, 200, 200, 200, 200}},
		"readyz":         {want: want{200, 200, 200, 200, 200, 200}},
		"getOpenAPISpec": {want: want{200, 200, 200, 200, 200, 200}},
		"getDocs":        {want: want{200, 200, 200, 200, 200, 200}},
		"getDocsAsset":   {want: want{200, 200, 200, 200, 200, 200}},
		// Open without METRICS_TOKEN outside production (TestMetricsToken
		// covers the token); an access token changes nothing.
		"getMetrics":   {want: want{200, 200, 200, 200, 200, 200}},
		"register":     {want: want{201, 201, 201, 201, 201, 201}, body: example(fields{"email": freshEmail})},
		"login":        {want: want{200, 200, 200, 200, 200, 200}, body: example(fields{"email": loginEmail, "password": apitest.FixturePassword})},
		"refreshToken": {want: want{200, 200, 200, 200, 200, 200}, body: example(fields{"refresh_token": freshRefreshToken})},
		"logout":       {want: want{204, 204, 204, 204, 204, 204}, body: example(fields{"refresh_token": freshRefreshToken})},

		// One's own account; the clinic's accounts.
		"getMe":           {want: want{200, 200, 200, 200, 200, 401}},
		"updateMe":        {want: want{200, 200, 200, 200, 200, 401}, body: example(fields{"display_name": nil, "timezone": "UTC"})},
		"changePassword":  {want: want{204, 204, 204, 204, 204, 401}, body: example(fields{"current_password": apitest.FixturePassword}), fresh: standIn},
		"resetPassword":   {want: want{403, 403, 403, 403, 204, 401}, body: example(nil), fresh: standInTarget},
		"getMyAccessLog":  {want: want{200, 200, 403, 403, 403, 401}},
		"exportMyData":    {want: want{200, 200, 403, 403, 403, 401}},
		"eraseMe":         {want: want{204, 204, 403, 403, 403, 401}, body: example(fields{"password": apitest.FixturePassword}), fresh: standIn},
		"listAuditEvents": {want: want{403, 403, 403, 403, 200, 401}},
		"createClinician": {want: want{403, 403, 403, 403, 201, 401}, body: example(fields{"email": freshEmail})},
		"listClinicians":  {want: want{403, 403, 403, 403, 200, 401}},

		// Patients and care teams.
		"listPatients":      {want: want{403, 403, 200, 200, 200, 401}},
		"getPatient":        {want: want{200, 404, 200, 404, 200, 401}},
		"updatePatient":     {want: want{200, 404, 403, 404, 403, 401}, body: example(fields{"date_of_birth": "1984-03-09", "emergency_contact": nil})},
		"listCareTeam":      {want: want{200, 404, 200, 404, 200, 401}},
		"assignClinician":   {want: want{403, 403, 403, 403, 200, 401}},
		"unassignClinician": {want: want{403, 403, 403, 403, 204, 401}, fresh: onCareTeam},

		// Clinical care.
		"createEvaluation":    {want: want{403, 403, 201, 404, 403, 401}, body: example(fields{"evaluated_at": timeAgo(96 * time.Hour)})},
		"listEvaluations":     {want: want{200, 404, 200, 404, 200, 401}},
		"createTreatmentPlan": {want: want{403, 403, 201, 404, 403, 401}, body: example(fields{"start_date": tomorrow}), fresh: noActivePlan},
		"listTreatmentPlans":  {want: want{200, 404, 200, 404, 200, 401}},
		"getTreatmentPlan":    {want: want{200, 404, 200, 404, 200, 401}},
		"updateTreatmentPlan": {want: want{403, 403, 200, 404, 403, 401}, body: example(nil), fresh: activePlan},
		"listSessions":        {want: want{200, 404, 200, 404, 200, 401}, query: "patient_id={patient_id}"},
		"getSession":          {want: want{200, 404, 200, 404, 200, 401}},
		"updateSession":       {want: want{200, 404, 403, 404, 403, 401}, body: namedExample("patient", nil), fresh: activePlan},
		"createVitalSign":     {want: want{403, 403, 201, 404, 403, 401}, body: example(fields{"taken_at": hourAgo})},
		"listVitalSigns":      {want: want{200, 404, 200, 404, 200, 401}},

		// Integration: the patient's journal, activities and goals.
		"listJournalPrompts":       {want: want{200, 200, 200, 200, 200, 401}},
		"createJournalEntry":       {want: want{201, 400, 403, 403, 403, 401}, body: example(fields{"session_id": "{session_id}"})},
		"listJournalEntries":       {want: want{200, 200, 403, 403, 403, 401}},
		"getJournalEntry":          {want: want{200, 404, 403, 403, 403, 401}},
		"updateJournalEntry":       {want: want{200, 404, 403, 403, 403, 401}, body: example(nil), fresh: ownerMakes("entry_id", "/v1/journal-entries", entry)},
		"deleteJournalEntry":       {want: want{204, 404, 403, 403, 403, 401}, fresh: ownerMakes("entry_id", "/v1/journal-entries", entry)},
		"listSharedJournalEntries": {want: want{200, 404, 200, 404, 403, 401}},
		"getSharedJournalEntry":    {want: want{200, 404, 200, 404, 403, 401}},
		"createActivity":           {want: want{201, 201, 403, 403, 403, 401}, body: example(fields{"occurred_at": hourAgo})},
		"listActivities":           {want: want{200, 200, 403, 403, 403, 401}},
		"deleteActivity":           {want: want{204, 404, 403, 403, 403, 401}, fresh: ownerMakes("activity_id", "/v1/activities", map[string]any{"kind": "exercise", "occurred_at": hourAgo})},
		"listPatientActivities":    {want: want{200, 404, 200, 404, 403, 401}},
		"createGoal":               {want: want{201, 400, 403, 403, 403, 401}, body: example(fields{"source_journal_entry_id": "{entry_id}", "target_date": localDate(t, "UTC", 60)})},
		"listGoals":                {want: want{200, 200, 403, 403, 403, 401}},
		"getGoal":                  {want: want{200, 404, 403, 403, 403, 401}},
		"updateGoal":               {want: want{200, 404, 403, 403, 403, 401}, body: example(nil), fresh: ownerMakes("goal_id", "/v1/goals", goal)},
		"deleteGoal":               {want: want{204, 404, 403, 403, 403, 401}, fresh: ownerMakes("goal_id", "/v1/goals", goal)},
		"createGoalCheckIn":        {want: want{201, 404, 403, 403, 403, 401}, body: example(nil), fresh: ownerMakes("goal_id", "/v1/goals", goal)},
		"listGoalCheckIns":         {want: want{200, 404, 403, 403, 403, 401}},
		"listPatientGoals":         {want: want{200, 404, 200, 404, 403, 401}},
		"listPatientGoalCheckIns":  {want: want{200, 404, 200, 404, 403, 401}},
		"syncChanges":              {want: want{200, 200, 403, 403, 403, 401}},
		"getMyAgenda":              {want: want{200, 200, 403, 403, 403, 401}},

		// Measurement and safety.
		"listAssessmentInstruments": {want: want{200, 200, 200, 200, 200, 401}},
		"createAssessment":          {want: want{201, 400, 403, 403, 403, 401}, body: example(fields{"session_id": "{session_id}", "taken_at": hourAgo})},
		"listMyAssessments":         {want: want{200, 200, 403, 403, 403, 401}},
		"listPatientAssessments":    {want: want{200, 404, 200, 404, 200, 401}},
		"listAlerts":                {want: want{403, 403, 200, 200, 200, 401}, query: "status=all"},
		"acknowledgeAlert":          {want: want{403, 403, 200, 404, 200, 401}, body: example(nil), fresh: freshAlert},
		"createMoodCheckIn":         {want: want{201, 201, 403, 403, 403, 401}, body: example(fields{"taken_at": hourAgo})},
		"listMyMoodCheckIns":        {want: want{200, 200, 403, 403, 403, 401}},
		"listPatientMoodCheckIns":   {want: want{200, 404, 200, 404, 200, 401}},
		"getPatientProgress":        {want: want{200, 404, 200, 404, 200, 401}},
	}
}
