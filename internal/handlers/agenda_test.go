package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
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
)

// Words the patient wrote, which an agenda must never carry.
const (
	secretGoalTitle = "Tell my mother about the panic attacks"
	secretSitter    = "Jordan Lee"
)

// agendaOf reads the caller's agenda with the query string (which may be
// empty) and checks that its items come in order of due time, then key.
func agendaOf(t *testing.T, env *apitest.Env, who apitest.User, query string) api.Agenda {
	t.Helper()
	var a api.Agenda
	env.Get("/v1/me/agenda"+query, who.Token).Expect(t, http.StatusOK).JSON(t, &a)
	for i := 1; i < len(a.Items); i++ {
		prev, it := a.Items[i-1], a.Items[i]
		if it.DueAt.Before(prev.DueAt) || (it.DueAt.Equal(prev.DueAt) && it.Key <= prev.Key) {
			t.Fatalf("items %d and %d are out of order: %s %s, %s %s", i-1, i, prev.DueAt, prev.Key, it.DueAt, it.Key)
		}
	}
	return a
}

func agendaKeys(a api.Agenda) []string {
	keys := make([]string, len(a.Items))
	for i, it := range a.Items {
		keys[i] = it.Key
	}
	return keys
}

// ofKind keeps the items of one kind.
func ofKind(a api.Agenda, kind api.AgendaItemKind) []api.AgendaItem {
	var out []api.AgendaItem
	for _, it := range a.Items {
		if it.Kind == kind {
			out = append(out, it)
		}
	}
	return out
}

// expectItems compares items with the wanted ones, field by field as JSON.
func expectItems(t *testing.T, got, want []api.AgendaItem) {
	t.Helper()
	asJSON := func(it api.AgendaItem) string {
		b, err := json.Marshal(it)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for i := range max(len(got), len(want)) {
		switch {
		case i >= len(got):
			t.Errorf("item %d missing: %s", i, asJSON(want[i]))
		case i >= len(want):
			t.Errorf("item %d unexpected: %s", i, asJSON(got[i]))
		case asJSON(got[i]) != asJSON(want[i]):
			t.Errorf("item %d:\n got  %s\n want %s", i, asJSON(got[i]), asJSON(want[i]))
		}
	}
}

// patientDays places times on the patient's calendar, counted in days from
// the patient's today.
type patientDays struct {
	loc   *time.Location
	today time.Time
}

func newPatientDays(t *testing.T, tz string) patientDays {
	t.Helper()
	loc, err := time.LoadLocation(tz)
	if err != nil {
		t.Fatal(err)
	}
	return patientDays{loc: loc, today: time.Now().In(loc)}
}

// at is the local time of day on the day.
func (p patientDays) at(days, hour, minute int) time.Time {
	y, m, d := p.today.Date()
	return time.Date(y, m, d+days, hour, minute, 0, 0, p.loc)
}

// date is the day's date, as keys write it.
func (p patientDays) date(days int) string { return p.at(days, 12, 0).Format(time.DateOnly) }

// item is a wanted agenda item due at the local time.
func (p patientDays) item(due time.Time, it api.AgendaItem) api.AgendaItem {
	it.DueAt = due.UTC()
	it.DueLocal = due.In(p.loc).Format(time.RFC3339)
	return it
}

// setColumns writes columns of one row straight to the database, for states
// the API cannot produce (records made in the past).
func setColumns(t *testing.T, env *apitest.Env, model any, id uuid.UUID, cols map[string]any) {
	t.Helper()
	for k, v := range cols {
		if tm, ok := v.(time.Time); ok {
			cols[k] = tm.UTC()
		}
	}
	if err := env.DB.WithContext(context.Background()).Model(model).Where("id = ?", id).Updates(cols).Error; err != nil {
		t.Fatalf("update %T %s: %v", model, id, err)
	}
}

// agendaExample is the worked example: a patient in Los Angeles in the
// first week of a course of six sessions, two a week at 09:30.
type agendaExample struct {
	c        clinic
	days     patientDays
	sessions []api.TreatmentSession
	// Goals: set today; set ten days ago and never checked in on; checked
	// in on five days ago; paused.
	connection, selfCare, slowDown, paused api.Goal
}

func newAgendaExample(t *testing.T, env *apitest.Env) agendaExample {
	t.Helper()
	c := eligibleClinic(t, env)
	setTimezone(t, env, c, "America/Los_Angeles")
	ex := agendaExample{c: c, days: newPatientDays(t, "America/Los_Angeles")}
	d := ex.days

	// Sessions from tomorrow: days 1, 4, 8, 11, 15 and 18. The first was
	// held two days ago instead: the plans API schedules only ahead, so
	// its time is moved back, and the clinician then records it.
	p := makePlan(t, env, c, map[string]any{"start_date": d.date(1), "sessions_per_week": 2, "route": "iv_infusion", "preferred_time": "09:30"})
	ex.sessions = sessionsOf(t, env, c, p.ID)
	held := ex.sessions[0]
	setColumns(t, env, &models.TreatmentSession{}, held.ID, map[string]any{"scheduled_at": d.at(-2, 9, 30)})
	env.PatchIf(sessionURL(held), c.clinician.Token, env.Tag(sessionURL(held)), map[string]any{
		"status":  "completed",
		"journey": map[string]any{"started_at": d.at(-2, 9, 35).UTC().Format(time.RFC3339), "ended_at": d.at(-2, 10, 20).UTC().Format(time.RFC3339)},
	}).Expect(t, http.StatusOK)
	// Session 2 is half prepared; session 3 not at all.
	env.PatchIf(sessionURL(ex.sessions[1]), c.patient.Token, env.Tag(sessionURL(ex.sessions[1])), map[string]any{
		"sitter":      map[string]any{"name": secretSitter, "relationship": "partner", "phone": "+1 310 555 0100"},
		"preparation": map[string]any{"intention": secretIntention, "checklist": map[string]any{"fasting_confirmed": true}},
	}).Expect(t, http.StatusOK)

	ex.connection = postGoal(t, env, c.patient.Token, map[string]any{"title": secretGoalTitle, "category": "connection"})
	ex.selfCare = postGoal(t, env, c.patient.Token, map[string]any{"title": secretGoalTitle, "category": "self_care"})
	setColumns(t, env, &models.Goal{}, ex.selfCare.ID, map[string]any{"created_at": d.at(-10, 12, 0)})
	ex.slowDown = postGoal(t, env, c.patient.Token, map[string]any{"title": secretGoalTitle, "category": "slow_down"})
	var ci api.GoalCheckIn
	env.Post("/v1/goals/"+ex.slowDown.ID.String()+"/check-ins", c.patient.Token, map[string]any{"progress": 30}).Expect(t, http.StatusCreated).JSON(t, &ci)
	setColumns(t, env, &models.GoalCheckIn{}, ci.ID, map[string]any{"created_at": d.at(-5, 20, 0)})
	setColumns(t, env, &models.Goal{}, ex.slowDown.ID, map[string]any{"created_at": d.at(-20, 12, 0), "last_check_in_at": d.at(-5, 20, 0)})
	ex.paused = postGoal(t, env, c.patient.Token, map[string]any{"title": secretGoalTitle, "category": "other", "status": "paused"})
	setColumns(t, env, &models.Goal{}, ex.paused.ID, map[string]any{"created_at": d.at(-10, 12, 0)})

	// The baseline PHQ-9 at intake, the last one nine days ago (in the
	// week before the first session), and a GAD-7, which is not a PHQ-9.
	assess(t, env, c.patient, takenAt(phq9(16, 0), d.at(-30, 20, 0)))
	assess(t, env, c.patient, takenAt(phq9(12, 0), d.at(-9, 20, 0)))
	assess(t, env, c.patient, takenAt(gad7(8), d.at(-1, 20, 0)))

	// Another patient's goal is theirs alone.
	postGoal(t, env, c.otherPatient.Token, map[string]any{"title": "Walk daily", "category": "self_care"})
	return ex
}

// want is the example's agenda for the default horizon, in order.
func (ex agendaExample) want() []api.AgendaItem {
	d := ex.days
	held, second, third := ex.sessions[0], ex.sessions[1], ex.sessions[2]
	prompt := func(key, text string) api.AgendaItem {
		return api.AgendaItem{Key: "journal:" + held.ID.String() + ":" + key, Kind: api.AgendaItemKindIntegrationJournal,
			Title: "Journal about session 1", Body: text, SessionID: &held.ID, PromptKey: &key}
	}
	goal := func(g api.Goal, days int, body string) api.AgendaItem {
		return d.item(d.at(days, 18, 0), api.AgendaItem{Key: "goal-check-in:" + g.ID.String() + ":" + d.date(days), Kind: api.AgendaItemKindGoalCheckIn,
			Title: "Check in on your goal", Body: body, GoalID: &g.ID})
	}
	phq := func(days int) api.AgendaItem {
		return d.item(d.at(days, 10, 0), api.AgendaItem{Key: "phq9:" + d.date(days), Kind: api.AgendaItemKindPhq9Due,
			Title: "Weekly questionnaire", Body: "Time for this week's PHQ-9: answering it lets you and your care team follow how you are doing.",
			Instrument: ptr(api.Instrument("phq9"))})
	}
	prep := func(s api.TreatmentSession, sessionDay int, todo string, open ...api.PreparationPart) api.AgendaItem {
		return d.item(d.at(sessionDay-1, 18, 0), api.AgendaItem{Key: "session-prep:" + s.ID.String(), Kind: api.AgendaItemKindSessionPreparation,
			Title: fmt.Sprintf("Prepare for session %d", s.Sequence), Body: "Your session is on " + d.at(sessionDay, 9, 30).Format("Monday 2 January") + " at 09:30. Still to do: " + todo + ".",
			SessionID: &s.ID, OpenPreparation: &open})
	}
	return []api.AgendaItem{
		goal(ex.selfCare, -3, "It has been a week since you set your self-care goal. How far along are you?"),
		phq(-2),
		d.item(d.at(0, 19, 0), prompt("insights_gained", "What insights did you gain from your most recent ketamine therapy experience?")),
		d.item(d.at(1, 19, 0), prompt("actions_to_take", "What action(s) do you want to take in your life based on your insights?")),
		goal(ex.slowDown, 2, "It has been a week since you last checked in on your slowing-down goal. How far along are you?"),
		prep(second, 4, "arrange a ride home, prepare your setting, get your music ready",
			api.PreparationPartRideHomeArranged, api.PreparationPartSettingPrepared, api.PreparationPartMusicReady),
		goal(ex.selfCare, 4, "It has been 2 weeks since you set your self-care goal. How far along are you?"),
		phq(5),
		// Due at the same time: in order of key.
		goal(ex.connection, 7, "It has been a week since you set your connection goal. How far along are you?"),
		prep(third, 8, "set your intention, choose a sitter, confirm you will be fasting, arrange a ride home, prepare your setting, get your music ready",
			api.PreparationPartIntention, api.PreparationPartSitter, api.PreparationPartFastingConfirmed,
			api.PreparationPartRideHomeArranged, api.PreparationPartSettingPrepared, api.PreparationPartMusicReady),
	}
}

func ptr[T any](v T) *T { return &v }

func TestAgendaWorkedExample(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ex := newAgendaExample(t, env)
	d := ex.days

	a := agendaOf(t, env, ex.c.patient, "")
	if a.Timezone != "America/Los_Angeles" || a.HorizonDays != 7 || !a.HorizonEnd.Equal(d.at(8, 0, 0)) || time.Since(a.GeneratedAt) > time.Minute {
		t.Fatalf("agenda: timezone %s, horizon %d days to %s, generated %s", a.Timezone, a.HorizonDays, a.HorizonEnd, a.GeneratedAt)
	}
	expectItems(t, a.Items, ex.want())
	for _, it := range a.Items {
		if clock := strings.SplitN(it.DueLocal, "T", 2)[1][:8]; clock != "18:00:00" && clock != "19:00:00" && clock != "10:00:00" {
			t.Errorf("%s is due at %s local time", it.Key, it.DueLocal)
		}
	}

	// The same reminders keep the same keys, and everything else, call
	// after call.
	again := agendaOf(t, env, ex.c.patient, "")
	expectItems(t, again.Items, a.Items)

	// Nothing the patient wrote is in the agenda.
	raw := string(env.Get("/v1/me/agenda", ex.c.patient.Token).Expect(t, http.StatusOK).Body)
	for _, secret := range []string{secretGoalTitle, secretIntention, secretSitter} {
		if strings.Contains(raw, secret) {
			t.Fatalf("the agenda carries %q: %s", secret, raw)
		}
	}

	// Today only: what is overdue and today's journaling.
	expectItems(t, agendaOf(t, env, ex.c.patient, "?horizon_days=0").Items, ex.want()[:3])
	// Two weeks ahead: further sessions, check-ins and questionnaires; the
	// session on day 18 is prepared for on day 17, beyond it.
	wide := agendaOf(t, env, ex.c.patient, "?horizon_days=14")
	if !wide.HorizonEnd.Equal(d.at(15, 0, 0)) {
		t.Fatalf("horizon end %s, want %s", wide.HorizonEnd, d.at(15, 0, 0))
	}
	got := agendaKeys(wide)
	slices.Sort(got)
	wantKeys := append(agendaKeys(a),
		"session-prep:"+ex.sessions[3].ID.String(), "session-prep:"+ex.sessions[4].ID.String(),
		"goal-check-in:"+ex.selfCare.ID.String()+":"+d.date(11), "goal-check-in:"+ex.slowDown.ID.String()+":"+d.date(9),
		"goal-check-in:"+ex.connection.ID.String()+":"+d.date(14), "phq9:"+d.date(12))
	slices.Sort(wantKeys)
	if !slices.Equal(got, wantKeys) {
		t.Fatalf("two weeks ahead:\n got  %v\n want %v", got, wantKeys)
	}

	// The other patient sees only their own goal.
	other := agendaOf(t, env, ex.c.otherPatient, "")
	if len(other.Items) != 1 || other.Items[0].Kind != api.AgendaItemKindGoalCheckIn || other.Timezone != "UTC" {
		t.Fatalf("the other patient's agenda: %+v", other)
	}
}

func TestAgendaItemsGoWhenDone(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ex := newAgendaExample(t, env)
	d, p := ex.days, ex.c.patient
	keys := func(query string) []string { return agendaKeys(agendaOf(t, env, p, query)) }
	expectGone := func(what string, gone ...string) {
		t.Helper()
		now := keys("")
		for _, k := range gone {
			if slices.Contains(now, k) {
				t.Errorf("%s: %s is still there", what, k)
			}
		}
	}
	prepare := func(s api.TreatmentSession, body map[string]any) {
		t.Helper()
		env.PatchIf(sessionURL(s), p.Token, env.Tag(sessionURL(s)), body).Expect(t, http.StatusOK)
	}

	// Session 3: the intention set and the checklist ticked leave the
	// sitter open; choosing one completes the preparation.
	third := ex.sessions[2]
	prepare(third, map[string]any{"preparation": map[string]any{"intention": secretIntention, "checklist": map[string]any{
		"fasting_confirmed": true, "ride_home_arranged": true, "setting_prepared": true, "music_ready": true}}})
	items := ofKind(agendaOf(t, env, p, ""), api.AgendaItemKindSessionPreparation)
	if len(items) != 2 || items[1].Key != "session-prep:"+third.ID.String() || !slices.Equal(*items[1].OpenPreparation, []api.PreparationPart{api.PreparationPartSitter}) ||
		!strings.HasSuffix(items[1].Body, "Still to do: choose a sitter.") {
		t.Fatalf("session 3 with only the sitter open: %+v", items)
	}
	prepare(third, map[string]any{"sitter": map[string]any{"name": secretSitter, "relationship": "partner", "phone": "+1 310 555 0100"}})
	prepare(ex.sessions[1], map[string]any{"preparation": map[string]any{"checklist": map[string]any{"ride_home_arranged": true, "setting_prepared": true, "music_ready": true}}})
	expectGone("preparation done", "session-prep:"+third.ID.String(), "session-prep:"+ex.sessions[1].ID.String())

	// A check-in ends the self-care goal's reminders and starts next week's.
	env.Post("/v1/goals/"+ex.selfCare.ID.String()+"/check-ins", p.Token, map[string]any{"progress": 10}).Expect(t, http.StatusCreated)
	selfCare := "goal-check-in:" + ex.selfCare.ID.String() + ":"
	expectGone("checked in", selfCare+d.date(-3), selfCare+d.date(4))
	if !slices.Contains(keys(""), selfCare+d.date(7)) {
		t.Errorf("no reminder a week after the check-in: %v", keys(""))
	}
	// Pausing a goal ends its reminders.
	goalPath := "/v1/goals/" + ex.slowDown.ID.String()
	env.PatchIf(goalPath, p.Token, env.Tag(goalPath), map[string]any{"status": "paused"}).Expect(t, http.StatusOK)
	expectGone("paused", "goal-check-in:"+ex.slowDown.ID.String()+":"+d.date(2))

	// A PHQ-9 now ends this week's and the next reminders; the next falls
	// a week from today.
	assess(t, env, p, phq9(9, 0))
	expectGone("PHQ-9 taken", "phq9:"+d.date(-2), "phq9:"+d.date(5))
	if !slices.Contains(keys(""), "phq9:"+d.date(7)) {
		t.Errorf("no PHQ-9 a week from today: %v", keys(""))
	}

	// Writing about the session today does today's journaling; answering
	// tomorrow's prompt early does tomorrow's.
	held := ex.sessions[0]
	journalKey := "journal:" + held.ID.String() + ":"
	postEntry(t, env, p.Token, map[string]any{"body": "Still thinking about the colours.", "session_id": held.ID})
	expectGone("journaled today", journalKey+"insights_gained")
	if !slices.Contains(keys(""), journalKey+"actions_to_take") {
		t.Fatalf("writing today must leave tomorrow's prompt: %v", keys(""))
	}
	postEntry(t, env, p.Token, map[string]any{"body": "Call my sister.", "session_id": held.ID, "prompt_key": "actions_to_take"})
	expectGone("prompt answered", journalKey+"actions_to_take")

	// All done: nothing is left in the next six days.
	if rest := keys("?horizon_days=6"); len(rest) != 0 {
		t.Fatalf("left after everything was done: %v", rest)
	}
}

// completedSession stores a session of the patient that ended at the time.
func completedSession(t *testing.T, env *apitest.Env, c clinic, ended time.Time) uuid.UUID {
	t.Helper()
	id := newSession(t, env, c.patient.ID, c.clinician.ID)
	setColumns(t, env, &models.TreatmentSession{}, id, map[string]any{
		"scheduled_at": ended.Add(-time.Hour), "started_at": ended.Add(-45 * time.Minute), "ended_at": ended})
	return id
}

func TestAgendaIntegrationWindow(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := newClinic(t, env)
	// New York, where an evening session ends on the next day in UTC.
	setTimezone(t, env, c, "America/New_York")
	d := newPatientDays(t, "America/New_York")
	journal := func() []string {
		var keys []string
		for _, it := range ofKind(agendaOf(t, env, c.patient, ""), api.AgendaItemKindIntegrationJournal) {
			keys = append(keys, it.Key+"@"+it.DueLocal)
		}
		return keys
	}
	expect := func(what string, want ...string) {
		t.Helper()
		if got := journal(); !slices.Equal(got, want) {
			t.Fatalf("%s:\n got  %v\n want %v", what, got, want)
		}
	}
	due := func(session uuid.UUID, prompt string, days int) string {
		return "journal:" + session.String() + ":" + prompt + "@" + d.at(days, 19, 0).Format(time.RFC3339)
	}

	completedSession(t, env, c, d.at(-4, 11, 0))
	expect("four days after a session, its window has passed")

	late := completedSession(t, env, c, d.at(-3, 23, 30))
	expect("on the third day", due(late, "actions_to_take", 0))

	// A session in progress is not yet integrated; a newer completed one
	// replaces the earlier one's window.
	running := newSession(t, env, c.patient.ID, c.clinician.ID)
	setColumns(t, env, &models.TreatmentSession{}, running, map[string]any{"status": models.SessionStatusInProgress, "scheduled_at": d.at(0, 0, 5)})
	recent := completedSession(t, env, c, d.at(-1, 10, 0))
	expect("a newer session", due(recent, "felt_for_the_first_time", 0), due(recent, "insights_gained", 1), due(recent, "actions_to_take", 2))

	// Writing about the session on the day it was held is not day 1's
	// journaling; answering day 2's prompt then is day 2's. Writing about
	// another session does nothing.
	early := postEntry(t, env, c.patient.Token, map[string]any{"body": "Too tired to write much.", "session_id": recent})
	answered := postEntry(t, env, c.patient.Token, map[string]any{"body": "That I can rest.", "session_id": recent, "prompt_key": "insights_gained"})
	for _, e := range []api.JournalEntry{early, answered} {
		setColumns(t, env, &models.JournalEntry{}, e.ID, map[string]any{"created_at": d.at(-1, 21, 0), "updated_at": d.at(-1, 21, 0)})
	}
	postEntry(t, env, c.patient.Token, map[string]any{"body": "Back to the earlier one.", "session_id": late, "prompt_key": "felt_for_the_first_time"})
	expect("journaled on the session day", due(recent, "felt_for_the_first_time", 0), due(recent, "actions_to_take", 2))
}

func TestAgendaPHQ9(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := eligibleClinic(t, env)
	// Sydney, south of the equator, whose daylight saving runs the other
	// way round the year.
	setTimezone(t, env, c, "Australia/Sydney")
	d := newPatientDays(t, "Australia/Sydney")
	phq := func() []api.AgendaItem { return ofKind(agendaOf(t, env, c.patient, ""), api.AgendaItemKindPhq9Due) }
	weekly := func(days int) api.AgendaItem {
		return d.item(d.at(days, 10, 0), api.AgendaItem{Key: "phq9:" + d.date(days), Kind: api.AgendaItemKindPhq9Due,
			Title: "Weekly questionnaire", Body: "Time for this week's PHQ-9: answering it lets you and your care team follow how you are doing.",
			Instrument: ptr(api.Instrument("phq9"))})
	}
	baseline := weekly(0)
	baseline.Title = "Questionnaire before your first session"
	baseline.Body = "Answer the PHQ-9 before your first session, so that you and your care team have a starting point to compare with."

	// No course, no questionnaire.
	assess(t, env, c.patient, takenAt(phq9(14, 0), d.at(-20, 9, 0)))
	expectItems(t, phq(), nil)

	// A course from tomorrow: the baseline is due today, the day before
	// the first session, and weekly after it. A PHQ-9 older than a week
	// before the first session is no baseline.
	p := makePlan(t, env, c, map[string]any{"start_date": d.date(1), "sessions_per_week": 3, "route": "intranasal", "preferred_time": "08:00"})
	assess(t, env, c.patient, takenAt(phq9(13, 0), d.at(-7, 7, 0)))
	expectItems(t, phq(), []api.AgendaItem{baseline, weekly(7)})

	// Taken now, it is the baseline; the next is due a week from today.
	assess(t, env, c.patient, phq9(12, 0))
	expectItems(t, phq(), []api.AgendaItem{weekly(7)})

	// A course that ends ends the questionnaires.
	planPath := plansPath(c) + "/" + p.ID.String()
	env.PatchIf(planPath, c.clinician.Token, env.Tag(planPath), map[string]any{"status": "cancelled"}).Expect(t, http.StatusOK)
	expectItems(t, phq(), nil)
}

// prevDSTChange is the start of the most recent day on which loc's offset
// changed.
func prevDSTChange(t *testing.T, loc *time.Location) time.Time {
	t.Helper()
	day := time.Now().In(loc)
	for range 400 {
		y, m, d := day.Date()
		_, before := time.Date(y, m, d-1, 12, 0, 0, 0, loc).Zone()
		_, after := time.Date(y, m, d, 12, 0, 0, 0, loc).Zone()
		if before != after {
			return time.Date(y, m, d, 0, 0, 0, 0, loc)
		}
		day = day.AddDate(0, 0, -1)
	}
	t.Fatalf("%s had no daylight-saving change within a year", loc)
	return time.Time{}
}

// TestAgendaAcrossDaylightSaving sets a goal nine days before the last
// change of offset, so that its first weekly reminder falls before the
// change and the ones listed now after it: counted in days they stay at
// 18:00 local time, where counting in hours would move them by one.
func TestAgendaAcrossDaylightSaving(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := newClinic(t, env)
	setTimezone(t, env, c, "Europe/Berlin")
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	change := prevDSTChange(t, loc)
	set := time.Date(change.Year(), change.Month(), change.Day()-9, 12, 0, 0, 0, loc)
	g := postGoal(t, env, c.patient.Token, map[string]any{"title": secretGoalTitle, "category": "comfort_zone"})
	setColumns(t, env, &models.Goal{}, g.ID, map[string]any{"created_at": set})

	// A horizon of 6 days holds at most one weekly reminder to come (with
	// 7, a run on a reminder's own weekday would also list next week's).
	items := agendaOf(t, env, c.patient, "?horizon_days=6").Items
	if len(items) == 0 || len(items) > 2 {
		t.Fatalf("want the latest reminder due and the next, got %+v", items)
	}
	_, before := set.Zone()
	changed := false
	for _, it := range items {
		date, err := time.Parse(time.DateOnly, strings.TrimPrefix(it.Key, "goal-check-in:"+g.ID.String()+":"))
		if err != nil {
			t.Fatalf("key %s: %v", it.Key, err)
		}
		due := time.Date(date.Year(), date.Month(), date.Day(), 18, 0, 0, 0, loc)
		weeks := date.Sub(time.Date(set.Year(), set.Month(), set.Day(), 0, 0, 0, 0, time.UTC)).Hours() / (7 * 24)
		if weeks != float64(int(weeks)) || !it.DueAt.Equal(due) || it.DueLocal != due.Format(time.RFC3339) || !strings.Contains(it.DueLocal, "T18:00:00") {
			t.Errorf("%s: due %s (%s), want 18:00 local on a date a whole number of weeks after %s", it.Key, it.DueAt, it.DueLocal, set)
		}
		_, off := due.Zone()
		changed = changed || off != before
	}
	if !changed {
		t.Fatalf("no reminder listed falls after the change of offset on %s: %+v", change, items)
	}
}

func TestAgendaAccess(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := newClinic(t, env)
	for _, tc := range []struct {
		name   string
		who    apitest.User
		query  string
		status int
		field  string
	}{
		{"the patient", c.patient, "", 200, ""},
		{"horizon at its bounds", c.patient, "?horizon_days=14", 200, ""},
		{"today only", c.patient, "?horizon_days=0", 200, ""},
		{"a clinician has no agenda", c.clinician, "", 403, ""},
		{"an admin has none", c.admin, "", 403, ""},
		{"no token", apitest.User{}, "", 401, ""},
		{"horizon too far", c.patient, "?horizon_days=15", 400, "query.horizon_days"},
		{"negative horizon", c.patient, "?horizon_days=-1", 400, "query.horizon_days"},
		{"horizon not a number", c.patient, "?horizon_days=week", 400, "query.horizon_days"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := env.Get("/v1/me/agenda"+tc.query, tc.who.Token).Expect(t, tc.status)
			if tc.status == 200 {
				return
			}
			p := r.Problem(t)
			if tc.field != "" && !slices.Contains(p.Fields(), tc.field) {
				t.Fatalf("problem names %v, want %s", p.Fields(), tc.field)
			}
		})
	}
}

// TestAgendaQueriesStayConstant reads an agenda with a little data and
// again with a lot, and requires the same number of database statements
// (one of them the account check every authenticated request makes).
func TestAgendaQueriesStayConstant(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ex := newAgendaExample(t, env)
	p := ex.c.patient
	measure := func() (int64, int) {
		t.Helper()
		var a api.Agenda
		n := env.Statements().Of(func() { a = agendaOf(t, env, p, "?horizon_days=14") })
		return n.Queries, len(a.Items)
	}
	small, smallItems := measure()

	// A long history: an earlier course of 20 held sessions, 40 journal
	// entries about the session just held, 30 more goals, 150 PHQ-9s.
	seedSessions(t, env, p.ID, ex.c.clinician.ID, models.PlanStatusCompleted, slices.Repeat([]string{models.SessionStatusCompleted}, 20)...)
	for i := range 40 {
		postEntry(t, env, p.Token, map[string]any{"body": fmt.Sprintf("Thought %d.", i), "session_id": ex.sessions[0].ID, "prompt_key": "something_familiar"})
	}
	for range 30 {
		postGoal(t, env, p.Token, map[string]any{"title": secretGoalTitle, "category": "slow_down"})
	}
	var as []models.Assessment
	first := time.Now().UTC().Add(-400 * day)
	for i := range 150 {
		as = append(as, models.Assessment{ID: uuid.Must(uuid.NewV7()), PatientID: p.ID, Instrument: measurement.PHQ9,
			Answers: measurement.EncodeAnswers(answersFor(9, 10, 0)), Total: 10, Severity: measurement.Instruments[0].Severity(10),
			TakenAt: first.Add(time.Duration(i) * day), CreatedAt: env.App.Now()})
	}
	if err := env.DB.WithContext(context.Background()).CreateInBatches(as, 50).Error; err != nil {
		t.Fatal(err)
	}

	large, largeItems := measure()
	if small == 0 || small > 6 || large != small {
		t.Errorf("%d statements with little data, %d with a lot; want the same, at most 6", small, large)
	}
	if largeItems <= smallItems {
		t.Errorf("the goals added no reminders: %d items, then %d", smallItems, largeItems)
	}
}
