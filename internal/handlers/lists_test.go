package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ketacare/api/internal/api"
	"github.com/ketacare/api/internal/apitest"
)

// listItems reads every page of a list, limit items a page, and returns
// the items as the JSON objects they are.
func listItems(t *testing.T, env *apitest.Env, token, path string, limit int) []map[string]any {
	t.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	var all []map[string]any
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatalf("%s: the cursor never ends", path)
		}
		var pg struct {
			Items      []map[string]any `json:"items"`
			NextCursor *string          `json:"next_cursor"`
		}
		env.Get(fmt.Sprintf("%s%slimit=%d%s", path, sep, limit, cursor), token).Expect(t, http.StatusOK).JSON(t, &pg)
		if len(pg.Items) > limit {
			t.Fatalf("%s: %d items on a page of %d", path, len(pg.Items), limit)
		}
		all = append(all, pg.Items...)
		if pg.NextCursor == nil {
			return all
		}
		cursor = "&cursor=" + url.QueryEscape(*pg.NextCursor)
	}
}

// idsOf returns the value of key (an id) of each item, in order.
func idsOf(t *testing.T, items []map[string]any, key string) []uuid.UUID {
	t.Helper()
	out := make([]uuid.UUID, len(items))
	for i, it := range items {
		s, _ := it[key].(string)
		id, err := uuid.Parse(s)
		if err != nil {
			t.Fatalf("item has no %s: %v", key, it)
		}
		out[i] = id
	}
	return out
}

// sameSet fails unless got holds exactly the ids of want, each once.
func sameSet(t *testing.T, what string, got, want []uuid.UUID) {
	t.Helper()
	g, w := sortedIDs(got), sortedIDs(want)
	if !slices.Equal(g, w) {
		t.Fatalf("%s: got %v, want %v", what, g, w)
	}
}

func sortedIDs(ids []uuid.UUID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id.String()
	}
	slices.Sort(out)
	return out
}

// listOrder is the order a list documents: the timestamp field it is
// sorted by and whether earliest comes first. The id breaks ties unless
// the list's items show no id of the row they come from.
type listOrder struct {
	field     string
	ascending bool
	noTieID   bool
}

var (
	newestFirst   = listOrder{field: "created_at"}
	careTeamOrder = listOrder{field: "assigned_at", noTieID: true}
)

// check fails unless items follow the order strictly.
func (o listOrder) check(t *testing.T, items []map[string]any, idKey string) {
	t.Helper()
	for i := 1; i < len(items); i++ {
		a, b := items[i-1], items[i]
		cmp := timeField(t, a, o.field).Compare(timeField(t, b, o.field))
		if cmp == 0 {
			if o.noTieID {
				continue
			}
			cmp = strings.Compare(a[idKey].(string), b[idKey].(string))
		}
		want := -1
		if !o.ascending {
			want = 1
		}
		if cmp != want {
			t.Fatalf("items %d and %d are out of order by %s then id (ascending %v): %v, %v", i-1, i, o.field, o.ascending, a, b)
		}
	}
}

func timeField(t *testing.T, item map[string]any, field string) time.Time {
	t.Helper()
	s, _ := item[field].(string)
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("item has no %s: %v", field, item)
	}
	return v
}

// listWorld is a clinic with records in every list: some made before mark
// and left alone since, some made or changed after it.
type listWorld struct {
	clinic
	mark  time.Time
	cases []listCase
	goal  api.Goal  // a goal with check-ins
	held  uuid.UUID // a completed session with vital signs
}

// listCase is one list endpoint as one caller reads it: every item it
// holds, and those changed after the world's mark.
type listCase struct {
	name   string
	who    apitest.User
	path   string
	idKey  string
	order  listOrder
	all    []uuid.UUID
	recent []uuid.UUID
}

// pause lets the clock move on, so that writes on either side of the mark
// are stamped on their own side of it.
func pause() { time.Sleep(5 * time.Millisecond) }

// newListWorld fills every list, takes the mark, then makes and changes
// records, keeping a case for every list endpoint of the spec.
func newListWorld(t *testing.T, env *apitest.Env) listWorld {
	t.Helper()
	c := newClinic(t, env)
	w := listWorld{clinic: c}
	pid := c.patient.ID.String()
	p := "/v1/patients/" + pid

	// Before the mark.
	evaluatedAt := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	evaluation := func() uuid.UUID {
		var e api.CandidacyEvaluation
		env.Post(p+"/evaluations", c.clinician.Token, map[string]any{"evaluated_at": evaluatedAt, "outcome": "eligible",
			"baseline_blood_pressure": map[string]any{"systolic": 122, "diastolic": 78}}).
			Expect(t, http.StatusCreated).JSON(t, &e)
		return e.ID
	}
	ev1 := evaluation()
	plan := func() api.TreatmentPlan {
		return makePlan(t, env, c, map[string]any{"start_date": localDate(t, "UTC", 1), "sessions_per_week": 2, "session_count": 2, "route": "oral"})
	}
	cancel := func(pl api.TreatmentPlan) {
		path := p + "/treatment-plans/" + pl.ID.String()
		env.PatchIf(path, c.clinician.Token, env.Tag(path), map[string]any{"status": "cancelled"}).Expect(t, http.StatusOK)
	}
	planA := plan()
	cancel(planA)
	planB := plan()
	sessionsA := sessionIDs(sessionsOf(t, env, c, planA.ID))
	sessionsB := sessionIDs(sessionsOf(t, env, c, planB.ID))
	w.held = newSession(t, env, c.patient.ID, c.clinician.ID)
	takenAt := time.Now().Add(-10 * time.Minute).UTC().Format(time.RFC3339)
	vital := func() uuid.UUID {
		var v api.VitalSign
		env.Post("/v1/sessions/"+w.held.String()+"/vitals", c.clinician.Token, map[string]any{
			"taken_at": takenAt, "systolic": 128, "diastolic": 82, "heart_rate": 76, "spo2": 98,
		}).Expect(t, http.StatusCreated).JSON(t, &v)
		return v.ID
	}
	v1 := vital()
	private := postEntry(t, env, c.patient.Token, map[string]any{"body": "Only for me."})
	shared1 := postEntry(t, env, c.patient.Token, map[string]any{"body": "For my care team.", "shared_with_care_team": true})
	shared2 := postEntry(t, env, c.patient.Token, map[string]any{"body": "Also for them.", "shared_with_care_team": true})
	activity := func() uuid.UUID {
		return postActivity(t, env, c.patient.Token, map[string]any{"kind": "nature", "occurred_at": takenAt}).ID
	}
	a1 := activity()
	g1 := postGoal(t, env, c.patient.Token, map[string]any{"title": "Call my sister", "category": "connection"})
	g2 := postGoal(t, env, c.patient.Token, map[string]any{"title": "Walk at dawn", "category": "slow_down"})
	w.goal = g1
	checkInOn := func(g api.Goal, progress int) uuid.UUID {
		var ci api.GoalCheckIn
		env.Post("/v1/goals/"+g.ID.String()+"/check-ins", c.patient.Token, map[string]any{"progress": progress}).
			Expect(t, http.StatusCreated).JSON(t, &ci)
		return ci.ID
	}
	ci1 := checkInOn(g1, 20)
	s1 := assess(t, env, c.patient, phq9(12, 1))
	s2 := assess(t, env, c.patient, phq9(14, 2))
	alertOf := map[uuid.UUID]uuid.UUID{}
	for _, a := range alerts(t, env, c.clinician, "?status=all") {
		alertOf[a.AssessmentID] = a.ID
	}
	m1 := checkIn(t, env, c.patient, map[string]any{"mood": 5})

	pause()
	w.mark = time.Now().UTC()
	pause()

	// After the mark.
	meTag := env.Get("/v1/me", c.outsider.Token).Expect(t, http.StatusOK).ETag(t)
	env.PatchIf("/v1/me", c.outsider.Token, meTag, map[string]any{"display_name": "Dr. Elsewhere, PhD"}).Expect(t, http.StatusOK)
	var drNew api.User
	env.Post("/v1/clinicians", c.admin.Token, map[string]any{
		"email": "dr.new@clinic.test", "display_name": "Dr. New", "profession": "nurse", "password": "a-long-initial-passphrase",
	}).Expect(t, http.StatusCreated).JSON(t, &drNew)
	env.Put(p+"/care-team/"+drNew.ID.String(), c.admin.Token, nil).Expect(t, http.StatusOK)
	env.PatchIf(p, c.patient.Token, env.Tag(p), map[string]any{"display_name": "Alex M."}).Expect(t, http.StatusOK)
	ev2 := evaluation()
	v2 := vital()
	cancel(planB)
	env.PatchIf("/v1/journal-entries/"+private.ID.String(), c.patient.Token, env.Tag("/v1/journal-entries/"+private.ID.String()),
		map[string]any{"title": "Mine"}).Expect(t, http.StatusOK)
	env.PatchIf("/v1/journal-entries/"+shared2.ID.String(), c.patient.Token, env.Tag("/v1/journal-entries/"+shared2.ID.String()),
		map[string]any{"mood": 6}).Expect(t, http.StatusOK)
	fresh := postEntry(t, env, c.patient.Token, map[string]any{"body": "Written after.", "shared_with_care_team": true})
	a2 := activity()
	ci2 := checkInOn(g1, 40)
	g3 := postGoal(t, env, c.patient.Token, map[string]any{"title": "Paint on Sundays", "category": "self_care"})
	s3 := assess(t, env, c.patient, gad7(6))
	s4 := assess(t, env, c.patient, phq9(10, 1))
	env.Post("/v1/alerts/"+alertOf[s1.ID].String()+"/acknowledge", c.clinician.Token, map[string]any{"note": "Called; safe."}).
		Expect(t, http.StatusOK)
	for _, a := range alerts(t, env, c.clinician, "?status=all") {
		alertOf[a.AssessmentID] = a.ID
	}
	m2 := checkIn(t, env, c.patient, map[string]any{"mood": 7})

	ids := func(v ...uuid.UUID) []uuid.UUID { return v }
	sessions := ids(append(append(sessionsA, sessionsB...), w.held)...)
	entries, sharedEntries := ids(private.ID, shared1.ID, shared2.ID, fresh.ID), ids(shared1.ID, shared2.ID, fresh.ID)
	goals, checkIns := ids(g1.ID, g2.ID, g3.ID), ids(ci1, ci2)
	assessments := ids(s1.ID, s2.ID, s3.ID, s4.ID)
	goalPath, patientGoalPath := "/v1/goals/"+g1.ID.String()+"/check-ins", p+"/goals/"+g1.ID.String()+"/check-ins"
	w.cases = []listCase{
		{"clinicians", c.admin, "/v1/clinicians", "id", newestFirst,
			ids(c.clinician.ID, c.outsider.ID, drNew.ID), ids(c.outsider.ID, drNew.ID)},
		{"patients, admin", c.admin, "/v1/patients", "id", newestFirst,
			ids(c.patient.ID, c.otherPatient.ID), ids(c.patient.ID)},
		{"patients, clinician", c.clinician, "/v1/patients", "id", newestFirst, ids(c.patient.ID), ids(c.patient.ID)},
		{"care team", c.patient, p + "/care-team", "clinician_id", careTeamOrder,
			ids(c.clinician.ID, drNew.ID), ids(drNew.ID)},
		{"evaluations", c.clinician, p + "/evaluations", "id", listOrder{field: "evaluated_at"}, ids(ev1, ev2), ids(ev2)},
		{"treatment plans", c.patient, p + "/treatment-plans", "id", newestFirst, ids(planA.ID, planB.ID), ids(planB.ID)},
		{"sessions, patient", c.patient, "/v1/sessions", "id", listOrder{field: "scheduled_at", ascending: true}, sessions, sessionsB},
		{"sessions, clinician", c.clinician, "/v1/sessions?patient_id=" + pid, "id", listOrder{field: "scheduled_at", ascending: true}, sessions, sessionsB},
		{"vital signs", c.clinician, "/v1/sessions/" + w.held.String() + "/vitals", "id", listOrder{field: "taken_at", ascending: true}, ids(v1, v2), ids(v2)},
		{"journal", c.patient, "/v1/journal-entries", "id", newestFirst, entries, ids(private.ID, shared2.ID, fresh.ID)},
		{"shared journal", c.clinician, p + "/journal-entries", "id", newestFirst, sharedEntries, ids(shared2.ID, fresh.ID)},
		{"activities", c.patient, "/v1/activities", "id", newestFirst, ids(a1, a2), ids(a2)},
		{"patient's activities", c.clinician, p + "/activities", "id", newestFirst, ids(a1, a2), ids(a2)},
		{"goals", c.patient, "/v1/goals", "id", newestFirst, goals, ids(g1.ID, g3.ID)},
		{"patient's goals", c.clinician, p + "/goals", "id", newestFirst, goals, ids(g1.ID, g3.ID)},
		{"goal check-ins", c.patient, goalPath, "id", newestFirst, checkIns, ids(ci2)},
		{"patient's goal check-ins", c.clinician, patientGoalPath, "id", newestFirst, checkIns, ids(ci2)},
		{"assessments", c.patient, "/v1/assessments", "id", newestFirst, assessments, ids(s3.ID, s4.ID)},
		{"patient's assessments", c.admin, p + "/assessments", "id", newestFirst, assessments, ids(s3.ID, s4.ID)},
		{"alerts", c.clinician, "/v1/alerts?status=all", "id", newestFirst,
			ids(alertOf[s1.ID], alertOf[s2.ID], alertOf[s4.ID]), ids(alertOf[s1.ID], alertOf[s4.ID])},
		{"mood check-ins", c.patient, "/v1/mood-check-ins", "id", newestFirst, ids(m1.ID, m2.ID), ids(m2.ID)},
		{"patient's mood check-ins", c.clinician, p + "/mood-check-ins", "id", newestFirst, ids(m1.ID, m2.ID), ids(m2.ID)},
	}
	return w
}

func sessionIDs(ss []api.TreatmentSession) []uuid.UUID {
	out := make([]uuid.UUID, len(ss))
	for i, s := range ss {
		out[i] = s.ID
	}
	return out
}

// withQuery adds a query parameter to a path that may have some already.
func withQuery(path, name, value string) string {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return path + sep + name + "=" + url.QueryEscape(value)
}

// TestEveryListIsCovered keeps the table of TestListsUpdatedSinceAndOrder
// honest: every operation of the spec that pages with a cursor has a case
// there and takes limit and updated_since, so a list added later without
// them fails here until it is tested. (The journal prompt catalog is one
// fixed page without cursor or timestamps, so it is not among them.)
func TestEveryListIsCovered(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	w := map[string]bool{
		"listClinicians": true, "listPatients": true, "listCareTeam": true, "listEvaluations": true,
		"listTreatmentPlans": true, "listSessions": true, "listVitalSigns": true, "listJournalEntries": true,
		"listSharedJournalEntries": true, "listActivities": true, "listPatientActivities": true, "listGoals": true,
		"listPatientGoals": true, "listGoalCheckIns": true, "listPatientGoalCheckIns": true, "listMyAssessments": true,
		"listPatientAssessments": true, "listAlerts": true, "listMyMoodCheckIns": true, "listPatientMoodCheckIns": true,
		// The audit trail grows with every read by a clinician or admin, the
		// table's own included; TestAuditTrail covers its paging and filter.
		"getMyAccessLog": true, "listAuditEvents": true,
	}
	for path, item := range env.Spec().Paths.Map() {
		op := item.Get
		if op == nil {
			continue
		}
		var params []string
		for _, p := range op.Parameters {
			params = append(params, p.Value.Name)
		}
		if !slices.Contains(params, "cursor") {
			continue
		}
		if !w[op.OperationID] {
			t.Errorf("GET %s (%s) is a list without a case in TestListsUpdatedSinceAndOrder", path, op.OperationID)
		}
		for _, want := range []string{"limit", "updated_since"} {
			if !slices.Contains(params, want) {
				t.Errorf("GET %s (%s) lacks the %s parameter", path, op.OperationID, want)
			}
		}
		delete(w, op.OperationID)
	}
	for op := range w {
		t.Errorf("%s is no longer a list of the spec", op)
	}
}

// TestListsUpdatedSinceAndOrder runs every list endpoint over the same
// clinic: updated_since keeps exactly the records made or changed after
// the mark (a mutable record is judged by updated_at, so an old one changed
// since is in; one that never changes, by created_at), and each list's
// order is the documented one, total with the id as tie-break, the same
// page by page as all at once.
func TestListsUpdatedSinceAndOrder(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	w := newListWorld(t, env)
	since := w.mark.Format(time.RFC3339Nano)
	for _, tc := range w.cases {
		t.Run(tc.name, func(t *testing.T) {
			env := env.For(t)
			all := listItems(t, env, tc.who.Token, tc.path, 200)
			sameSet(t, "whole list", idsOf(t, all, tc.idKey), tc.all)
			recent := listItems(t, env, tc.who.Token, withQuery(tc.path, "updated_since", since), 200)
			sameSet(t, "updated_since the mark", idsOf(t, recent, tc.idKey), tc.recent)

			tc.order.check(t, all, tc.idKey)
			byOne := listItems(t, env, tc.who.Token, tc.path, 1)
			if got, want := idsOf(t, byOne, tc.idKey), idsOf(t, all, tc.idKey); !slices.Equal(got, want) {
				t.Fatalf("page by page %v, all at once %v", got, want)
			}
			recentByOne := listItems(t, env, tc.who.Token, withQuery(tc.path, "updated_since", since), 1)
			if got, want := idsOf(t, recentByOne, tc.idKey), idsOf(t, recent, tc.idKey); !slices.Equal(got, want) {
				t.Fatalf("updated_since page by page %v, all at once %v", got, want)
			}

			future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
			if got := listItems(t, env, tc.who.Token, withQuery(tc.path, "updated_since", future), 200); len(got) != 0 {
				t.Fatalf("updated_since an hour ahead lists %d items", len(got))
			}
		})
	}
}

// TestUpdatedSinceIsValidatedAndInclusive: a malformed instant is a 400
// naming the parameter; an instant in another offset means the same
// moment; a record stamped exactly at the instant is kept.
func TestUpdatedSinceIsValidatedAndInclusive(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := newClinic(t, env)
	for _, bad := range []string{"yesterday", "2026-13-01T00:00:00Z", "2026-12-01"} {
		p := env.Get("/v1/mood-check-ins?updated_since="+url.QueryEscape(bad), c.patient.Token).Expect(t, http.StatusBadRequest).Problem(t)
		if !slices.Contains(p.Fields(), "query.updated_since") {
			t.Fatalf("updated_since=%s: problem names %v", bad, p.Fields())
		}
	}
	m := checkIn(t, env, c.patient, map[string]any{"mood": 4})
	for _, at := range []string{
		m.CreatedAt.UTC().Format(time.RFC3339Nano),
		m.CreatedAt.In(time.FixedZone("", -7*3600)).Format(time.RFC3339Nano),
		m.CreatedAt.In(time.FixedZone("", 5*3600+1800)).Format(time.RFC3339Nano),
	} {
		got := listItems(t, env, c.patient.Token, withQuery("/v1/mood-check-ins", "updated_since", at), 50)
		sameSet(t, "updated_since "+at, idsOf(t, got, "id"), []uuid.UUID{m.ID})
	}
	after := m.CreatedAt.Add(time.Microsecond).Format(time.RFC3339Nano)
	if got := listItems(t, env, c.patient.Token, withQuery("/v1/mood-check-ins", "updated_since", after), 50); len(got) != 0 {
		t.Fatalf("a microsecond after the check-in still lists it: %v", got)
	}
}

// TestPagingWhileOthersWrite: a phone pages through a patient's mood
// check-ins two at a time while other requests keep adding check-ins
// between its pages. It sees every check-in that existed when it started
// exactly once, and no check-in twice.
func TestPagingWhileOthersWrite(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := newClinic(t, env)
	const existing = 15
	before := make([]uuid.UUID, existing)
	for i := range before {
		before[i] = checkIn(t, env, c.patient, map[string]any{"mood": 1 + i%10}).ID
	}

	stop := make(chan struct{})
	wrote := make(chan struct{}, 1)
	var writers sync.WaitGroup
	stopWriters := sync.OnceFunc(func() { close(stop); writers.Wait() })
	defer stopWriters()
	for range 3 {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if r := env.For(t).Post("/v1/mood-check-ins", c.patient.Token, map[string]any{"mood": 5}); r.Status != http.StatusCreated {
					t.Errorf("writer got %d: %s", r.Status, r.Body)
					return
				}
				select {
				case wrote <- struct{}{}:
				default: // the reader has not taken the last signal yet
				}
			}
		}()
	}

	seen := map[uuid.UUID]int{}
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("paging does not end")
		}
		var pg api.MoodCheckInPage
		env.Get("/v1/mood-check-ins?limit=2"+cursor, c.patient.Token).Expect(t, http.StatusOK).JSON(t, &pg)
		for _, m := range pg.Items {
			seen[m.ID]++
		}
		if !pg.NextCursor.IsSpecified() || pg.NextCursor.IsNull() {
			break
		}
		cursor = "&cursor=" + url.QueryEscape(pg.NextCursor.MustGet())
		select { // forget a write that landed before this page was read
		case <-wrote:
		default:
		}
		select { // and wait for one to land before the next page
		case <-wrote:
		case <-time.After(30 * time.Second):
			t.Fatal("no check-in was written between two pages")
		}
	}
	stopWriters()

	for _, id := range before {
		if seen[id] != 1 {
			t.Errorf("check-in %s that existed before paging was seen %d times", id, seen[id])
		}
	}
	for id, n := range seen {
		if n > 1 {
			t.Errorf("check-in %s was seen %d times", id, n)
		}
	}
	var n int64
	env.DB.Table("mood_check_ins").Count(&n)
	if n <= existing {
		t.Fatalf("no check-ins were written while paging (%d in all)", n)
	}
}
