package handlers_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/ketacare/api/internal/apitest"
	"github.com/ketacare/api/internal/handlers"
	"github.com/ketacare/api/internal/store"
)

// The sizes of the clinic TestStatementsStayConstant measures each request
// in: rounds of records, each adding one record of every kind to the
// patient (and a patient and a clinician to the clinic). The larger one
// keeps most lists within a roomy page (the audit trail, which grows with
// every read of the test too, fills it), so that a page holds more items
// at the larger size.
const (
	smallRounds = 2
	largeRounds = 20
	// fullPage is the limit that fills a page at either size, with more
	// behind it, to measure the cursor's path too.
	fullPage = 1
	// roomyPage is the largest limit, which only the audit trail fills.
	roomyPage = 200
)

// statementCase is how TestStatementsStayConstant calls one operation, and
// the most statements it may run: the count measured, so a regression
// shows (lower it when a change saves statements).
type statementCase struct {
	as    role
	query string
	body  func(w *statementWorld) any
	most  int64
	// paging, for a response read in pages of its own, is the statements
	// its pages after the first took, which the items it holds account for.
	paging func(t *testing.T, res *apitest.Response) int64
}

// role is who makes a call.
type role uint8

const (
	nobody role = iota
	asPatient
	asClinician
	asAdmin
)

// statementCases are the operations TestStatementsStayConstant measures, by
// operationId: every GET of the spec, and the writes the app makes most.
func statementCases() map[string]statementCase {
	return map[string]statementCase{
		// Open to all.
		"healthz":        {as: nobody, most: 0},
		"readyz":         {as: nobody, most: 0},
		"getMetrics":     {as: nobody, most: 0},
		"getOpenAPISpec": {as: nobody, most: 0},
		"getDocs":        {as: nobody, most: 0},
		"getDocsAsset":   {as: nobody, most: 0},
		// Each attempt is counted before its password is checked (PostgreSQL:
		// a lock statement; a read per throttle key; a write), and a success
		// deletes it: 7 on PostgreSQL, 6 on SQLite, where it was 4.
		"login": {as: nobody, most: 7, body: func(w *statementWorld) any {
			return map[string]any{"email": w.c.patient.Email, "password": apitest.FixturePassword}
		}},

		// One's own account; the clinic's accounts.
		"getMe":           {as: asPatient, most: 2},
		"exportMyData":    {as: asPatient, most: 15, paging: exportPaging},
		"getMyAccessLog":  {as: asPatient, most: 2},
		"listAuditEvents": {as: asAdmin, most: 2},
		"listClinicians":  {as: asAdmin, most: 2},

		// Patients and clinical care, as the care team reads them.
		"listPatients":       {as: asClinician, most: 3},
		"getPatient":         {as: asClinician, most: 4},
		"listCareTeam":       {as: asClinician, most: 4},
		"listEvaluations":    {as: asClinician, most: 4},
		"listTreatmentPlans": {as: asClinician, most: 4},
		"getTreatmentPlan":   {as: asClinician, most: 4},
		"listSessions":       {as: asClinician, query: "patient_id={patient_id}", most: 5},
		"getSession":         {as: asClinician, most: 5},
		"listVitalSigns":     {as: asClinician, most: 5},

		// The patient's journal, activities and goals.
		"listJournalPrompts": {as: asPatient, most: 1},
		"createJournalEntry": {as: asPatient, most: 3, body: func(w *statementWorld) any {
			return map[string]any{"body": "The music slowed and so did I.", "session_id": w.params["session_id"], "shared_with_care_team": true,
				"insights": []string{"I can rest"}}
		}},
		"listJournalEntries":       {as: asPatient, most: 2},
		"getJournalEntry":          {as: asPatient, most: 2},
		"listSharedJournalEntries": {as: asClinician, most: 4},
		"getSharedJournalEntry":    {as: asClinician, most: 4},
		"listActivities":           {as: asPatient, most: 2},
		"listPatientActivities":    {as: asClinician, most: 4},
		"listGoals":                {as: asPatient, most: 2},
		"getGoal":                  {as: asPatient, most: 2},
		"listGoalCheckIns":         {as: asPatient, most: 3},
		"listPatientGoals":         {as: asClinician, most: 5},
		"listPatientGoalCheckIns":  {as: asClinician, most: 5},
		"syncChanges":              {as: asPatient, most: 11},
		"getMyAgenda":              {as: asPatient, most: 6},

		// Measurement and safety.
		"listAssessmentInstruments": {as: asPatient, most: 1},
		"createAssessment": {as: asPatient, most: 4, body: func(*statementWorld) any {
			return phq9(15, 1) // raises a safety alert for the whole care team
		}},
		"listMyAssessments":       {as: asPatient, most: 2},
		"listPatientAssessments":  {as: asClinician, most: 4},
		"listAlerts":              {as: asClinician, query: "status=all", most: 3},
		"listMyMoodCheckIns":      {as: asPatient, most: 2},
		"listPatientMoodCheckIns": {as: asClinician, most: 4},
		"getPatientProgress":      {as: asClinician, most: 6},
	}
}

// TestStatementsStayConstant counts the SQL statements of every read of
// the spec and of the busiest writes, in a clinic with a little data and
// again with a lot, and requires the same count at both sizes (no
// statement per item: no N+1) and no more than the case's most. A list is
// measured with a page that has room to spare at both sizes and with a
// full page that has more behind it. A GET of the spec without a case
// fails the test, so no read escapes it.
func TestStatementsStayConstant(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	cases := statementCases()
	if store.Dialect(env.DB) == store.Postgres {
		// The export's snapshot first takes the advisory lock that allows
		// one export per account across instances.
		c := cases["exportMyData"]
		c.most++
		cases["exportMyData"] = c
	}
	ops := specOps(env.Spec())
	for _, id := range slices.Sorted(maps.Keys(ops)) {
		if _, ok := cases[id]; !ok && ops[id].method == http.MethodGet {
			t.Errorf("GET %s (%s) has no case in statementCases: add one", ops[id].path, id)
		}
	}
	for id := range cases {
		if _, ok := ops[id]; !ok {
			t.Errorf("statementCases has a case for %s, which the spec does not define", id)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	w := newStatementWorld(t, env)
	w.grow(t, smallRounds)
	small := w.measureAll(t, ops, cases)
	w.grow(t, largeRounds)
	large := w.measureAll(t, ops, cases)

	var table strings.Builder
	for _, key := range slices.Sorted(maps.Keys(small)) {
		s, l := small[key], large[key]
		fmt.Fprintf(&table, "%-36s %2d queries + %d writes with %2d rounds, %2d + %d with %2d", key, s.Queries, s.Writes, smallRounds, l.Queries, l.Writes, largeRounds)
		if l.paging > 0 {
			fmt.Fprintf(&table, " (+%d for further pages)", l.paging)
		}
		table.WriteString("\n")
		if strings.HasSuffix(key, "roomy page") && l.items <= s.items {
			t.Errorf("%s: %d items with %d rounds of records, %d with %d: the list must grow to show a statement per item",
				key, s.items, smallRounds, l.items, largeRounds)
		}
		if s.StatementCount != l.StatementCount {
			t.Errorf("%s: %d queries and %d writes with %d rounds of records, %d and %d with %d: the count grows with the data",
				key, s.Queries, s.Writes, smallRounds, l.Queries, l.Writes, largeRounds)
		}
		if most := cases[strings.SplitN(key, " ", 2)[0]].most; max(s.Total(), l.Total()) > most {
			t.Errorf("%s: %d statements, more than the %d it took when last measured", key, max(s.Total(), l.Total()), most)
		}
	}
	t.Logf("statements per request:\n%s", table.String())
}

// statementWorld is one patient with a care team, and the records that grow
// round by round.
type statementWorld struct {
	env    *apitest.Env
	c      clinic
	rounds int
	// params name the first round's records, which later rounds add to.
	params map[string]string
}

func newStatementWorld(t *testing.T, env *apitest.Env) *statementWorld {
	t.Helper()
	return &statementWorld{env: env, c: newClinic(t, env), params: map[string]string{"patient_id": "", "file": "init.js"}}
}

// grow adds rounds of records until there are n.
func (w *statementWorld) grow(t *testing.T, n int) {
	t.Helper()
	for ; w.rounds < n; w.rounds++ {
		w.round(t, w.rounds)
	}
}

// round adds one record of every kind to the patient: an evaluation, a
// course of one session, held, after which the plan was cancelled, a vital
// sign on the first session, a
// journal entry about the session (shared with the care team but for every
// third) read by the clinician, a goal born of it with a check-in, a
// check-in on the first goal, an activity, a mood check-in, a PHQ-9 that
// raises a safety alert, and a sign-in; and to the clinic a clinician on the
// patient's care team and another patient of the care team's clinician,
// with an alert of their own.
func (w *statementWorld) round(t *testing.T, i int) {
	t.Helper()
	env, c := w.env, w.c
	pid := "/v1/patients/" + c.patient.ID.String()
	env.Post(pid+"/evaluations", c.clinician.Token, map[string]any{"evaluated_at": timeAgo(time.Duration(i+1) * time.Hour), "outcome": "eligible",
		"baseline_blood_pressure": map[string]any{"systolic": 122, "diastolic": 78}, "clinician_notes": fmt.Sprintf("Round %d.", i)}).
		Expect(t, http.StatusCreated)
	plan := makePlan(t, env, c, map[string]any{"start_date": localDate(t, "UTC", 1), "sessions_per_week": 2, "session_count": 1, "route": "intranasal"})
	session := sessionsOf(t, env, c, plan.ID)[0].ID
	sessionPath, planPath := "/v1/sessions/"+session.String(), pid+"/treatment-plans/"+plan.ID.String()
	env.PatchIf(sessionPath, c.clinician.Token, env.Tag(sessionPath), map[string]any{"status": "completed",
		"journey": map[string]any{"started_at": timeAgo(4 * time.Hour), "ended_at": timeAgo(3 * time.Hour), "notes": "Calm"}}).Expect(t, http.StatusOK)
	env.PatchIf(planPath, c.clinician.Token, env.Tag(planPath), map[string]any{"status": "cancelled"}).Expect(t, http.StatusOK)
	if i == 0 {
		w.params["patient_id"], w.params["plan_id"], w.params["session_id"] = c.patient.ID.String(), plan.ID.String(), session.String()
	}
	env.Post("/v1/sessions/"+w.params["session_id"]+"/vitals", c.clinician.Token, map[string]any{
		"taken_at": timeAgo(time.Duration(i+1) * time.Minute), "systolic": 120 + i, "diastolic": 80, "heart_rate": 70, "spo2": 98,
	}).Expect(t, http.StatusCreated)

	shared := i%3 != 2
	entry := postEntry(t, env, c.patient.Token, map[string]any{"body": fmt.Sprintf("Round %d: the room was warm.", i), "session_id": session,
		"shared_with_care_team": shared, "insights": []string{"Warmth helps"}, "prompt_key": "something_familiar"})
	if shared {
		env.Get(pid+"/journal-entries/"+entry.ID.String(), c.clinician.Token).Expect(t, http.StatusOK)
	}
	goal := postGoal(t, env, c.patient.Token, map[string]any{"title": fmt.Sprintf("Walk on day %d", i), "category": "self_care",
		"source_journal_entry_id": entry.ID})
	if i == 0 {
		w.params["entry_id"], w.params["goal_id"] = entry.ID.String(), goal.ID.String()
	}
	for _, g := range slices.Compact([]string{w.params["goal_id"], goal.ID.String()}) {
		env.Post("/v1/goals/"+g+"/check-ins", c.patient.Token, map[string]any{"progress": 10 + i, "note": "Some steps"}).Expect(t, http.StatusCreated)
	}
	postActivity(t, env, c.patient.Token, map[string]any{"kind": "nature", "occurred_at": timeAgo(time.Duration(i+1) * time.Hour), "note": "A walk"})
	checkIn(t, env, c.patient, map[string]any{"mood": 1 + i%10, "note": "Steady"})
	assess(t, env, c.patient, takenAt(phq9(14, 1), time.Now().Add(-time.Duration(i+1)*time.Minute)))
	env.Post("/v1/auth/login", "", map[string]any{"email": c.patient.Email, "password": apitest.FixturePassword}).Expect(t, http.StatusOK)

	colleague := env.Clinician(fmt.Sprintf("Dr. Round %d", i), "nurse")
	env.Put(pid+"/care-team/"+colleague.ID.String(), c.admin.Token, nil).Expect(t, http.StatusOK)
	other := env.Patient(fmt.Sprintf("Patient of round %d", i))
	env.Put("/v1/patients/"+other.ID.String()+"/care-team/"+c.clinician.ID.String(), c.admin.Token, nil).Expect(t, http.StatusOK)
	assess(t, env, other, phq9(12, 1))
}

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// fill puts the world's ids into a path or query.
func (w *statementWorld) fill(t *testing.T, s string) string {
	t.Helper()
	return pathParam.ReplaceAllStringFunc(s, func(m string) string {
		v, ok := w.params[m[1:len(m)-1]]
		if !ok || v == "" {
			t.Fatalf("no value for %s in %s", m, s)
		}
		return v
	})
}

func (w *statementWorld) token(who role) string {
	switch who {
	case asPatient:
		return w.c.patient.Token
	case asClinician:
		return w.c.clinician.Token
	case asAdmin:
		return w.c.admin.Token
	}
	return ""
}

// measureAll counts the statements of every case, by operationId and,
// for lists, the page measured.
func (w *statementWorld) measureAll(t *testing.T, ops map[string]specOp, cases map[string]statementCase) map[string]measured {
	t.Helper()
	out := map[string]measured{}
	for _, id := range slices.Sorted(maps.Keys(cases)) {
		tc, op := cases[id], ops[id]
		pages := map[string]int{"": 0}
		if slices.ContainsFunc(op.op.Parameters, func(p *openapi3.ParameterRef) bool { return p.Value.Name == "limit" }) {
			pages = map[string]int{"roomy page": roomyPage, "full page": fullPage}
		}
		for name, limit := range pages {
			query := tc.query
			if limit > 0 {
				query = strings.TrimPrefix(query+fmt.Sprintf("&limit=%d", limit), "&")
			}
			path := w.fill(t, op.path)
			if query != "" {
				path += "?" + w.fill(t, query)
			}
			req := apitest.Request{Method: op.method, Path: path, Token: w.token(tc.as)}
			call := func() *apitest.Response {
				if tc.body != nil {
					req.Body = tc.body(w)
				}
				res := w.env.Do(req)
				if res.Status != http.StatusOK && res.Status != http.StatusCreated {
					t.Fatalf("%s %s: %d %s", op.method, path, res.Status, res.Body)
				}
				return res
			}
			// A first call warms what the service keeps between requests.
			call()
			var res *apitest.Response
			m := measured{StatementCount: w.env.Statements().Of(func() { res = call() })}
			if tc.paging != nil {
				m.paging = tc.paging(t, res)
				m.Queries -= m.paging
			}
			if limit > 0 {
				var page listPage
				res.JSON(t, &page)
				m.items = len(page.Items)
				if more := page.NextCursor != nil || page.HasMore; limit == fullPage && !more {
					t.Fatalf("%s with %d rounds: a page of %d is not followed by more", id, w.rounds, limit)
				}
			}
			out[strings.TrimSpace(id+" "+name)] = m
		}
	}
	return out
}

// measured is what a request took, and how many items a list's page held.
type measured struct {
	apitest.StatementCount // without paging
	items                  int
	paging                 int64
}

// exportPaging is the statements of an export's further pages: it reads
// each list in pages of handlers.ExportPageSize (to hold no more in
// memory), one statement a page, two for the sessions, whose journal
// entries are looked up page by page too.
func exportPaging(t *testing.T, res *apitest.Response) int64 {
	t.Helper()
	var export map[string]json.RawMessage
	res.JSON(t, &export)
	var n int64
	for name, raw := range export {
		var list []json.RawMessage
		if json.Unmarshal(raw, &list) != nil || len(list) <= handlers.ExportPageSize {
			continue
		}
		perPage := int64(1)
		if name == "treatment_sessions" {
			perPage = 2
		}
		n += perPage * int64((len(list)-1)/handlers.ExportPageSize)
	}
	return n
}

// listPage is what a list or a sync page says about its length.
type listPage struct {
	Items      []any   `json:"items"`
	NextCursor *string `json:"next_cursor"`
	HasMore    bool    `json:"has_more"`
}

// TestLoginCheckCostsNoStatement: checking that an access token's login
// (sid) is live is part of the one account statement every authenticated
// request runs: a live login's request costs what it did, and a revoked
// login's is refused after that one statement.
func TestLoginCheckCostsNoStatement(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	p := env.Patient("Pat")
	tk := tokens(t, login(env, p.Email, apitest.FixturePassword).Expect(t, http.StatusOK))
	env.Get("/v1/me", tk.AccessToken).Expect(t, http.StatusOK) // warms what the service keeps
	live := env.Statements().Of(func() { env.Get("/v1/me", tk.AccessToken).Expect(t, http.StatusOK) })
	if most := statementCases()["getMe"].most; live.Total() > most {
		t.Fatalf("GET /v1/me with a live login: %d statements, more than the %d of TestStatementsStayConstant", live.Total(), most)
	}
	env.Post("/v1/auth/logout", "", map[string]any{"refresh_token": tk.RefreshToken}).Expect(t, http.StatusNoContent)
	refused := env.Statements().Of(func() { env.Get("/v1/me", tk.AccessToken).Expect(t, http.StatusUnauthorized) })
	if refused != (apitest.StatementCount{Queries: 1}) {
		t.Fatalf("GET /v1/me of a revoked login: %+v, want the account statement alone", refused)
	}
}
