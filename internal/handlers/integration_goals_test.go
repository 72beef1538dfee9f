package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/ketacare/api/internal/api"
	"github.com/ketacare/api/internal/apitest"
)

func TestGoalLifecycle(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := newClinic(t, env)
	e := postEntry(t, env, c.patient.Token, map[string]any{"body": "I realised how far I have drifted from my sister.", "prompt_key": "actions_to_take"})
	g := postGoal(t, env, c.patient.Token, map[string]any{
		"title": "Call my sister every Sunday", "why": "I have pulled away from the people I love.",
		"source_journal_entry_id": e.ID, "category": "connection", "first_step": "Text her tonight.", "target_date": "2027-01-31",
	})
	if g.Status != "active" || g.Category != "connection" || *g.Why != "I have pulled away from the people I love." || *g.FirstStep != "Text her tonight." ||
		g.TargetDate == nil || g.TargetDate.String() != "2027-01-31" || g.LatestProgress != nil || g.LastCheckInAt != nil || g.Version != 1 {
		t.Fatalf("created goal: %+v", g)
	}
	path := "/v1/goals/" + g.ID.String()

	// Null clears; absent keeps.
	var got api.Goal
	env.PatchIf(path, c.patient.Token, env.Tag(path), map[string]any{"why": nil, "target_date": nil, "status": "paused", "title": "Call my sister"}).
		Expect(t, http.StatusOK).JSON(t, &got)
	if got.Why != nil || got.TargetDate != nil || got.Status != "paused" || got.Title != "Call my sister" || *got.FirstStep != "Text her tonight." ||
		got.SourceJournalEntryID == nil || got.Version != 2 {
		t.Fatalf("patched goal: %+v", got)
	}

	// Check-ins move the goal's latest progress, in order.
	var ci1, ci2 api.GoalCheckIn
	env.Post(path+"/check-ins", c.patient.Token, map[string]any{"progress": 40, "note": "Called twice. Awkward and good."}).
		Expect(t, http.StatusCreated).JSON(t, &ci1)
	env.Post(path+"/check-ins", c.patient.Token, map[string]any{"progress": 70}).Expect(t, http.StatusCreated).JSON(t, &ci2)
	if ci1.GoalID != g.ID || ci1.Progress != 40 || *ci1.Note != "Called twice. Awkward and good." || ci2.Note != nil {
		t.Fatalf("check-ins: %+v %+v", ci1, ci2)
	}
	env.Get(path, c.patient.Token).Expect(t, http.StatusOK).JSON(t, &got)
	if got.LatestProgress == nil || *got.LatestProgress != 70 || got.LastCheckInAt == nil || !got.LastCheckInAt.Equal(ci2.CreatedAt) ||
		got.Version != 4 || !got.UpdatedAt.Equal(ci2.CreatedAt) {
		t.Fatalf("goal after check-ins: %+v", got)
	}
	var pg api.GoalCheckInPage
	env.Get(path+"/check-ins", c.patient.Token).Expect(t, http.StatusOK).JSON(t, &pg)
	if len(pg.Items) != 2 || pg.Items[0].ID != ci2.ID || pg.Items[1].ID != ci1.ID {
		t.Fatalf("check-ins, newest first: %+v", pg.Items)
	}
	// A check-in at 100 does not decide for the patient that it is achieved.
	env.Post(path+"/check-ins", c.patient.Token, map[string]any{"progress": 100}).Expect(t, http.StatusCreated)
	env.Get(path, c.patient.Token).Expect(t, http.StatusOK).JSON(t, &got)
	if *got.LatestProgress != 100 || got.Status != "paused" {
		t.Fatalf("goal after reaching 100: %+v", got)
	}

	// Lists and the status filter.
	other := postGoal(t, env, c.patient.Token, map[string]any{"title": "Play football on Saturdays", "category": "comfort_zone", "status": "active"})
	var goals api.GoalPage
	env.Get("/v1/goals", c.patient.Token).Expect(t, http.StatusOK).JSON(t, &goals)
	if len(goals.Items) != 2 || goals.Items[0].ID != other.ID {
		t.Fatalf("goals: %+v", goals.Items)
	}
	env.Get("/v1/goals?status=paused", c.patient.Token).Expect(t, http.StatusOK).JSON(t, &goals)
	if len(goals.Items) != 1 || goals.Items[0].ID != g.ID {
		t.Fatalf("paused goals: %+v", goals.Items)
	}
	expectInvalid(t, env, http.MethodGet, "/v1/goals?status=forgotten", c.patient.Token, nil, "query.status")

	// Deleting a goal takes its check-ins with it.
	env.DeleteIf(path, c.patient.Token, env.Tag(path)).Expect(t, http.StatusNoContent)
	env.Get(path, c.patient.Token).Expect(t, http.StatusNotFound).Problem(t)
	env.Get(path+"/check-ins", c.patient.Token).Expect(t, http.StatusNotFound).Problem(t)
	env.DeleteIf(path, c.patient.Token, env.Tag(path)).Expect(t, http.StatusNotFound).Problem(t)
	if rows := rawRows(t, env, "goal_check_ins"); len(rows) != 0 {
		t.Fatalf("%d check-ins outlived their goal", len(rows))
	}
}

// TestGoalValidation: refused goals and check-ins write nothing.
func TestGoalValidation(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := newClinic(t, env)
	foreignEntry := postEntry(t, env, c.otherPatient.Token, map[string]any{"body": "Someone else's words."})
	for _, tc := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"no title", map[string]any{"category": "other"}, "title"},
		{"blank title", map[string]any{"title": " ", "category": "other"}, "title"},
		{"title too long", map[string]any{"title": strings.Repeat("t", 201), "category": "other"}, "title"},
		{"no category", map[string]any{"title": "Walk"}, "category"},
		{"unknown category", map[string]any{"title": "Walk", "category": "career"}, "category"},
		{"unknown status", map[string]any{"title": "Walk", "category": "other", "status": "forgotten"}, "status"},
		{"why too long", map[string]any{"title": "Walk", "category": "other", "why": strings.Repeat("w", 2001)}, "why"},
		{"first step too long", map[string]any{"title": "Walk", "category": "other", "first_step": strings.Repeat("f", 501)}, "first_step"},
		{"not a date", map[string]any{"title": "Walk", "category": "other", "target_date": "next spring"}, "target_date"},
		{"another patient's entry", map[string]any{"title": "Walk", "category": "other", "source_journal_entry_id": foreignEntry.ID}, "source_journal_entry_id"},
		{"an entry that does not exist", map[string]any{"title": "Walk", "category": "other", "source_journal_entry_id": uuid.Must(uuid.NewV7())}, "source_journal_entry_id"},
		{"progress set at creation", map[string]any{"title": "Walk", "category": "other", "latest_progress": 50}, "latest_progress"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			expectInvalid(t, env, http.MethodPost, "/v1/goals", c.patient.Token, tc.body, tc.field)
		})
	}
	if rows := rawRows(t, env, "goals"); len(rows) != 0 {
		t.Fatalf("refused goals were written: %d rows", len(rows))
	}

	g := postGoal(t, env, c.patient.Token, map[string]any{"title": "Walk at dawn", "category": "slow_down"})
	path := "/v1/goals/" + g.ID.String()
	for body, field := range map[string]string{
		`{"source_journal_entry_id":"` + foreignEntry.ID.String() + `"}`: "source_journal_entry_id",
		`{"status":null}`:    "status",
		`{"title":null}`:     "title",
		`{"category":"job"}`: "category",
		`{}`:                 "body",
	} {
		expectInvalid(t, env, http.MethodPatch, path, c.patient.Token, body, field)
	}
	for body, field := range map[string]string{
		`{"progress":101}`:  "progress",
		`{"progress":-1}`:   "progress",
		`{"progress":50.5}`: "progress",
		`{}`:                "progress",
		`{"progress":50,"note":"` + strings.Repeat("n", 2001) + `"}`: "note",
	} {
		expectInvalid(t, env, http.MethodPost, path+"/check-ins", c.patient.Token, body, field)
	}
	var got api.Goal
	env.Get(path, c.patient.Token).Expect(t, http.StatusOK).JSON(t, &got)
	if got.Version != 1 || got.LatestProgress != nil || got.SourceJournalEntryID != nil {
		t.Fatalf("refused requests changed the goal: %+v", got)
	}
	if rows := rawRows(t, env, "goal_check_ins"); len(rows) != 0 {
		t.Fatalf("refused check-ins were written: %d rows", len(rows))
	}
}

// TestCareTeamReadsGoals: the care team follows goals and check-ins, and
// learns of the entry a goal came from only while it is shared.
func TestCareTeamReadsGoals(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := newClinic(t, env)
	e := postEntry(t, env, c.patient.Token, map[string]any{"body": "Private reflection."})
	g := postGoal(t, env, c.patient.Token, map[string]any{"title": "Learn the guitar", "why": "Trying new things makes me feel alive.",
		"category": "comfort_zone", "source_journal_entry_id": e.ID})
	env.Post("/v1/goals/"+g.ID.String()+"/check-ins", c.patient.Token, map[string]any{"progress": 20, "note": "Booked a lesson."}).Expect(t, http.StatusCreated)
	team := "/v1/patients/" + c.patient.ID.String() + "/goals"

	read := func(token string) api.Goal {
		t.Helper()
		var pg api.GoalPage
		env.Get(team, token).Expect(t, http.StatusOK).JSON(t, &pg)
		if len(pg.Items) != 1 {
			t.Fatalf("goals for the care team: %+v", pg.Items)
		}
		return pg.Items[0]
	}
	seen := read(c.clinician.Token)
	if seen.Title != "Learn the guitar" || *seen.Why != "Trying new things makes me feel alive." || *seen.LatestProgress != 20 {
		t.Fatalf("the care team's goal: %+v", seen)
	}
	if seen.SourceJournalEntryID != nil {
		t.Fatal("an unshared entry's id was shown to the care team")
	}
	env.PatchIf("/v1/journal-entries/"+e.ID.String(), c.patient.Token, env.Tag("/v1/journal-entries/"+e.ID.String()), map[string]any{"shared_with_care_team": true}).Expect(t, http.StatusOK)
	if seen = read(c.clinician.Token); seen.SourceJournalEntryID == nil || *seen.SourceJournalEntryID != e.ID {
		t.Fatalf("a shared source entry must show: %+v", seen)
	}
	env.Get(team+"?status=achieved", c.clinician.Token).Expect(t, http.StatusOK)

	var pg api.GoalCheckInPage
	env.Get(team+"/"+g.ID.String()+"/check-ins", c.clinician.Token).Expect(t, http.StatusOK).JSON(t, &pg)
	if len(pg.Items) != 1 || pg.Items[0].Progress != 20 || *pg.Items[0].Note != "Booked a lesson." {
		t.Fatalf("check-ins for the care team: %+v", pg.Items)
	}
	// A goal of another patient is not reachable through this patient.
	foreign := postGoal(t, env, c.otherPatient.Token, map[string]any{"title": "Theirs", "category": "other"})
	env.Get(team+"/"+foreign.ID.String()+"/check-ins", c.clinician.Token).Expect(t, http.StatusNotFound).Problem(t)
}
