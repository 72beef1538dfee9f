package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ketacare/api/internal/api"
	"github.com/ketacare/api/internal/apitest"
)

// TestJournalPromptsQuoteTheArticle checks the after-session prompts
// against the article's own text: the same five questions, word for word,
// in its order.
func TestJournalPromptsQuoteTheArticle(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := newClinic(t, env)
	raw, err := os.ReadFile("testdata/integration_article.txt")
	if err != nil {
		t.Fatal(err)
	}
	article := string(raw)
	_, prompts, ok := strings.Cut(article, "Some journal prompts include: ")
	if !ok {
		t.Fatal("testdata lost the article's prompts")
	}
	questions := regexp.MustCompile(`[A-Z][^?]*\?`).FindAllString(prompts, -1)
	if len(questions) != 5 {
		t.Fatalf("the article has 5 prompts, parsed %d: %q", len(questions), questions)
	}

	var all api.JournalPromptList
	env.Get("/v1/journal-prompts", c.patient.Token).Expect(t, http.StatusOK).JSON(t, &all)
	var after []string
	var keys []string
	for _, p := range all.Items {
		keys = append(keys, p.Key)
		if p.Phase == api.JournalPhase("after_session") {
			after = append(after, p.Text)
		}
	}
	if !slices.Equal(after, questions) {
		t.Fatalf("after-session prompts differ from the article:\n got %q\nwant %q", after, questions)
	}
	// Keys are stored in journal entries: they must never change.
	for _, k := range []string{"felt_for_the_first_time", "something_familiar", "learned_about_yourself", "insights_gained", "actions_to_take", "intention"} {
		if !slices.Contains(keys, k) {
			t.Errorf("prompt key %q is missing", k)
		}
	}
	if len(slices.Compact(slices.Sorted(slices.Values(keys)))) != len(keys) {
		t.Fatalf("prompt keys repeat: %v", keys)
	}
	if all.NextCursor.IsSpecified() && !all.NextCursor.IsNull() {
		t.Fatal("the catalog is one page")
	}

	var prep api.JournalPromptList
	env.Get("/v1/journal-prompts?phase=preparation", c.clinician.Token).Expect(t, http.StatusOK).JSON(t, &prep)
	if len(prep.Items) < 3 || len(prep.Items)+5 != len(all.Items) {
		t.Fatalf("preparation prompts: %+v", prep.Items)
	}
	for _, p := range prep.Items {
		if p.Phase != api.JournalPhase("preparation") || !strings.HasSuffix(p.Text, "?") {
			t.Fatalf("not a preparation prompt: %+v", p)
		}
	}
	env.Get("/v1/journal-prompts", c.admin.Token).Expect(t, http.StatusOK)
	env.Get("/v1/journal-prompts?phase=during", c.patient.Token).Expect(t, http.StatusBadRequest).Problem(t)
	env.Get("/v1/journal-prompts", "").Expect(t, http.StatusUnauthorized).Problem(t)
}

func TestJournalEntryLifecycle(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := newClinic(t, env)
	session := newSession(t, env, c.patient.ID, c.clinician.ID)

	e := postEntry(t, env, c.patient.Token, map[string]any{
		"session_id": session, "prompt_key": "felt_for_the_first_time", "title": "Third session",
		"body": "A lightness in my chest, like being a child at the beach.", "mood": 7,
		"insights": []string{"Joy is still in me", "I hold my breath at work"},
	})
	if e.PatientID != c.patient.ID || e.SessionID == nil || *e.SessionID != session || e.PromptKey == nil || *e.PromptKey != "felt_for_the_first_time" ||
		e.Title == nil || *e.Title != "Third session" || e.Mood == nil || *e.Mood != 7 || len(e.Insights) != 2 ||
		e.SharedWithCareTeam || e.Version != 1 || !e.CreatedAt.Equal(e.UpdatedAt) {
		t.Fatalf("created entry: %+v", e)
	}
	path := "/v1/journal-entries/" + e.ID.String()
	var got api.JournalEntry
	env.Get(path, c.patient.Token).Expect(t, http.StatusOK).JSON(t, &got)
	if got.Body != e.Body || got.Insights[1] != "I hold my breath at work" {
		t.Fatalf("read back: %+v", got)
	}

	// A bare entry: no title, mood or prompt, and an empty list of insights.
	bare := postEntry(t, env, c.patient.Token, map[string]any{"body": "Tired today."})
	if bare.Title != nil || bare.Mood != nil || bare.PromptKey != nil || bare.SessionID != nil || bare.Insights == nil || len(bare.Insights) != 0 {
		t.Fatalf("bare entry: %+v", bare)
	}

	// Null clears, absent keeps, insights are replaced whole.
	got = api.JournalEntry{}
	env.PatchIf(path, c.patient.Token, env.Tag(path), map[string]any{"title": nil, "mood": 5, "insights": []string{"Calm is possible"}, "session_id": nil}).
		Expect(t, http.StatusOK).JSON(t, &got)
	if got.Title != nil || got.SessionID != nil || *got.Mood != 5 || !slices.Equal(got.Insights, []string{"Calm is possible"}) ||
		got.Body != e.Body || *got.PromptKey != "felt_for_the_first_time" || got.Version != 2 || !got.UpdatedAt.After(e.UpdatedAt) {
		t.Fatalf("patched entry: %+v", got)
	}
	env.Get(path, c.patient.Token).Expect(t, http.StatusOK).JSON(t, &got)
	if got.Version != 2 || got.Title != nil {
		t.Fatalf("the edit did not stick: %+v", got)
	}

	if ids := entryIDs(t, env, "/v1/journal-entries", c.patient.Token); !slices.Equal(ids, []uuid.UUID{bare.ID, e.ID}) {
		t.Fatalf("journal lists %v, want newest first", ids)
	}

	env.DeleteIf(path, c.patient.Token, env.Tag(path)).Expect(t, http.StatusNoContent)
	env.Get(path, c.patient.Token).Expect(t, http.StatusNotFound).Problem(t)
	env.DeleteIf(path, c.patient.Token, env.Tag(path)).Expect(t, http.StatusNotFound).Problem(t)
	if rows := rawRows(t, env, "journal_entries"); len(rows) != 1 {
		t.Fatalf("deleting must erase the row: %d rows left", len(rows))
	}
}

// TestJournalPrivacy: entries are private until shared, and unsharing
// hides them from the care team again.
func TestJournalPrivacy(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := newClinic(t, env)
	e := postEntry(t, env, c.patient.Token, map[string]any{"body": "Something I am not ready to tell anyone."})
	own := "/v1/journal-entries/" + e.ID.String()
	list := "/v1/patients/" + c.patient.ID.String() + "/journal-entries"
	one := list + "/" + e.ID.String()

	hidden := func(when string) {
		t.Helper()
		if ids := entryIDs(t, env, list, c.clinician.Token); len(ids) != 0 {
			t.Fatalf("%s: the care team sees %v", when, ids)
		}
		r := env.Get(one, c.clinician.Token).Expect(t, http.StatusNotFound)
		r.Problem(t)
		if strings.Contains(string(r.Body), "not ready") {
			t.Fatalf("%s: a refused read leaked the entry", when)
		}
		if ids := entryIDs(t, env, list, c.patient.Token); len(ids) != 0 {
			t.Fatalf("%s: the patient's preview of the care team's view shows %v", when, ids)
		}
	}
	visible := func(when string) {
		t.Helper()
		if ids := entryIDs(t, env, list, c.clinician.Token); !slices.Equal(ids, []uuid.UUID{e.ID}) {
			t.Fatalf("%s: the care team sees %v", when, ids)
		}
		var got api.JournalEntry
		env.Get(one, c.clinician.Token).Expect(t, http.StatusOK).JSON(t, &got)
		if got.Body != "Something I am not ready to tell anyone." || !got.SharedWithCareTeam {
			t.Fatalf("%s: shared entry reads %+v", when, got)
		}
	}

	hidden("private by default")
	env.PatchIf(own, c.patient.Token, env.Tag(own), map[string]any{"shared_with_care_team": true}).Expect(t, http.StatusOK)
	visible("once shared")
	env.Get(list, c.outsider.Token).Expect(t, http.StatusNotFound).Problem(t)
	env.Get(one, c.outsider.Token).Expect(t, http.StatusNotFound).Problem(t)
	env.Get(one, c.otherPatient.Token).Expect(t, http.StatusNotFound).Problem(t)
	env.Get(one, c.admin.Token).Expect(t, http.StatusForbidden).Problem(t)
	env.PatchIf(own, c.patient.Token, env.Tag(own), map[string]any{"shared_with_care_team": false}).Expect(t, http.StatusOK)
	hidden("after unsharing")

	// Shared at creation, and an entry of another patient is not reachable
	// through this patient's path even by their own care team.
	shared := postEntry(t, env, c.patient.Token, map[string]any{"body": "Please read this before Thursday.", "shared_with_care_team": true})
	if !shared.SharedWithCareTeam {
		t.Fatal("shared_with_care_team was ignored")
	}
	foreign := postEntry(t, env, c.otherPatient.Token, map[string]any{"body": "Not theirs.", "shared_with_care_team": true})
	env.Get(list+"/"+foreign.ID.String(), c.clinician.Token).Expect(t, http.StatusNotFound).Problem(t)
	if ids := entryIDs(t, env, list, c.clinician.Token); !slices.Equal(ids, []uuid.UUID{shared.ID}) {
		t.Fatalf("the care team sees %v, want only the shared entry", ids)
	}
}

// TestJournalValidation: every refused entry leaves the journal as it was.
func TestJournalValidation(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := newClinic(t, env)
	own := newSession(t, env, c.patient.ID, c.clinician.ID)
	foreign := newSession(t, env, c.otherPatient.ID, c.clinician.ID)
	long := func(n int) string { return strings.Repeat("a", n) }
	many := make([]string, 21)
	for i := range many {
		many[i] = "insight"
	}
	for _, tc := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"mood 11", map[string]any{"body": "x", "mood": 11}, "mood"},
		{"mood 0", map[string]any{"body": "x", "mood": 0}, "mood"},
		{"no body", map[string]any{"title": "x"}, "body"},
		{"blank body", map[string]any{"body": "  \n "}, "body"},
		{"body over 20,000 characters", map[string]any{"body": long(20001)}, "body"},
		{"21 insights", map[string]any{"body": "x", "insights": many}, "insights"},
		{"an insight too long", map[string]any{"body": "x", "insights": []string{long(281)}}, "insights.0"},
		{"a blank insight", map[string]any{"body": "x", "insights": []string{" "}}, "insights.0"},
		{"title too long", map[string]any{"body": "x", "title": long(201)}, "title"},
		{"unknown prompt", map[string]any{"body": "x", "prompt_key": "how_was_lunch"}, "prompt_key"},
		{"malformed prompt key", map[string]any{"body": "x", "prompt_key": "Insights Gained"}, "prompt_key"},
		{"another patient's session", map[string]any{"body": "x", "session_id": foreign}, "session_id"},
		{"a session that does not exist", map[string]any{"body": "x", "session_id": uuid.Must(uuid.NewV7())}, "session_id"},
		{"unknown field", map[string]any{"body": "x", "key_id": "abc"}, "key_id"},
		{"shared is not a boolean", map[string]any{"body": "x", "shared_with_care_team": "yes"}, "shared_with_care_team"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			expectInvalid(t, env, http.MethodPost, "/v1/journal-entries", c.patient.Token, tc.body, tc.field)
		})
	}
	if rows := rawRows(t, env, "journal_entries"); len(rows) != 0 {
		t.Fatalf("refused entries were written: %d rows", len(rows))
	}

	// The longest body is accepted, whatever its characters' byte length.
	e := postEntry(t, env, c.patient.Token, map[string]any{"body": strings.Repeat("é", 20000), "session_id": own})
	path := "/v1/journal-entries/" + e.ID.String()
	for body, field := range map[string]string{
		`{"mood":11}`: "mood",
		`{"session_id":"` + foreign.String() + `"}`: "session_id",
		`{"prompt_key":"nope"}`:                     "prompt_key",
		`{}`:                                        "body",
		`{"body":null}`:                             "body",
		`{"shared_with_care_team":null}`:            "shared_with_care_team",
		`{"insights":["ok","` + long(300) + `"]}`:   "insights.1",
		`{"key_id":"00ff00ff00ff00ff"}`:             "key_id",
	} {
		expectInvalid(t, env, http.MethodPatch, path, c.patient.Token, body, field)
	}
	var got api.JournalEntry
	env.Get(path, c.patient.Token).Expect(t, http.StatusOK).JSON(t, &got)
	if got.Version != 1 || got.SessionID == nil || *got.SessionID != own || got.Mood != nil {
		t.Fatalf("refused edits changed the entry: %+v", got)
	}
}

func TestJournalFilters(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := newClinic(t, env)
	s1 := newSession(t, env, c.patient.ID, c.clinician.ID)
	s2 := newSession(t, env, c.patient.ID, c.clinician.ID)
	e1 := postEntry(t, env, c.patient.Token, map[string]any{"body": "one", "session_id": s1, "prompt_key": "intention", "shared_with_care_team": true})
	e2 := postEntry(t, env, c.patient.Token, map[string]any{"body": "two", "session_id": s1, "prompt_key": "insights_gained"})
	e3 := postEntry(t, env, c.patient.Token, map[string]any{"body": "three", "session_id": s2, "prompt_key": "insights_gained", "shared_with_care_team": true})
	e4 := postEntry(t, env, c.patient.Token, map[string]any{"body": "four"})
	ts := func(tm time.Time) string { return url.QueryEscape(tm.Format(time.RFC3339Nano)) }

	own := "/v1/journal-entries"
	team := "/v1/patients/" + c.patient.ID.String() + "/journal-entries"
	for _, tc := range []struct {
		name, query string
		own, team   []uuid.UUID
	}{
		{"everything", "", []uuid.UUID{e4.ID, e3.ID, e2.ID, e1.ID}, []uuid.UUID{e3.ID, e1.ID}},
		{"one session", "?session_id=" + s1.String(), []uuid.UUID{e2.ID, e1.ID}, []uuid.UUID{e1.ID}},
		{"one prompt", "?prompt_key=insights_gained", []uuid.UUID{e3.ID, e2.ID}, []uuid.UUID{e3.ID}},
		{"session and prompt", "?session_id=" + s1.String() + "&prompt_key=insights_gained", []uuid.UUID{e2.ID}, nil},
		{"from", "?from=" + ts(e2.CreatedAt), []uuid.UUID{e4.ID, e3.ID, e2.ID}, []uuid.UUID{e3.ID}},
		{"to", "?to=" + ts(e2.CreatedAt), []uuid.UUID{e1.ID}, []uuid.UUID{e1.ID}},
		{"from and to", "?from=" + ts(e2.CreatedAt) + "&to=" + ts(e4.CreatedAt), []uuid.UUID{e3.ID, e2.ID}, []uuid.UUID{e3.ID}},
		{"a session with no entries", "?session_id=" + uuid.Must(uuid.NewV7()).String(), nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := entryIDs(t, env, own+tc.query, c.patient.Token); !slices.Equal(got, tc.own) {
				t.Errorf("patient's list: got %v, want %v", got, tc.own)
			}
			if got := entryIDs(t, env, team+tc.query, c.clinician.Token); !slices.Equal(got, tc.team) {
				t.Errorf("care team's list: got %v, want %v", got, tc.team)
			}
		})
	}
	expectInvalid(t, env, http.MethodGet, own+"?from="+ts(e4.CreatedAt)+"&to="+ts(e1.CreatedAt), c.patient.Token, nil, "query.to")
	expectInvalid(t, env, http.MethodGet, team+"?to="+ts(e1.CreatedAt)+"&from="+ts(e1.CreatedAt), c.clinician.Token, nil, "query.to")
	expectInvalid(t, env, http.MethodGet, own+"?from=yesterday", c.patient.Token, nil, "query.from")
	expectInvalid(t, env, http.MethodGet, own+"?session_id=nope", c.patient.Token, nil, "query.session_id")

	// Pages follow one another without gaps or repeats.
	var p1, p2 api.JournalEntryPage
	env.Get(own+"?limit=3", c.patient.Token).Expect(t, http.StatusOK).JSON(t, &p1)
	if len(p1.Items) != 3 || p1.NextCursor.IsNull() {
		t.Fatalf("first page: %d items, next %v", len(p1.Items), p1.NextCursor)
	}
	env.Get(own+"?limit=3&cursor="+p1.NextCursor.MustGet(), c.patient.Token).Expect(t, http.StatusOK).JSON(t, &p2)
	if len(p2.Items) != 1 || p2.Items[0].ID != e1.ID || !p2.NextCursor.IsNull() {
		t.Fatalf("second page: %+v", p2)
	}
}

// TestJournalEntryIDsBySession is the store query the session responses
// use to list the entries about each session.
func TestJournalEntryIDsBySession(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := newClinic(t, env)
	s1 := newSession(t, env, c.patient.ID, c.clinician.ID)
	s2 := newSession(t, env, c.patient.ID, c.clinician.ID)
	s3 := newSession(t, env, c.patient.ID, c.clinician.ID)
	other := newSession(t, env, c.otherPatient.ID, c.clinician.ID)
	e1 := postEntry(t, env, c.patient.Token, map[string]any{"body": "a", "session_id": s1, "shared_with_care_team": true})
	e2 := postEntry(t, env, c.patient.Token, map[string]any{"body": "b", "session_id": s1})
	e3 := postEntry(t, env, c.patient.Token, map[string]any{"body": "c", "session_id": s2})
	postEntry(t, env, c.patient.Token, map[string]any{"body": "d"})
	postEntry(t, env, c.otherPatient.Token, map[string]any{"body": "e", "session_id": other, "shared_with_care_team": true})

	ctx := context.Background()
	sessions := []uuid.UUID{s1, s2, s3, other}
	var all map[uuid.UUID][]uuid.UUID
	var err error
	ran := env.Statements().Of(func() {
		all, err = env.App.Store.JournalEntryIDsBySession(ctx, c.patient.ID, sessions, false)
	})
	if err != nil {
		t.Fatal(err)
	}
	if ran.Total() != 1 {
		t.Fatalf("%d statements, want one for any number of sessions", ran.Total())
	}
	if len(all) != 2 || !slices.Equal(all[s1], []uuid.UUID{e1.ID, e2.ID}) || !slices.Equal(all[s2], []uuid.UUID{e3.ID}) {
		t.Fatalf("all entries by session: %v", all)
	}
	var shared map[uuid.UUID][]uuid.UUID
	ran = env.Statements().Of(func() { shared, err = env.App.Store.JournalEntryIDsBySession(ctx, c.patient.ID, sessions, true) })
	if err != nil || ran.Total() != 1 {
		t.Fatalf("shared entries: %v, %d statements, want one", err, ran.Total())
	}
	if len(shared) != 1 || !slices.Equal(shared[s1], []uuid.UUID{e1.ID}) {
		t.Fatalf("shared entries by session: %v", shared)
	}
	var none map[uuid.UUID][]uuid.UUID
	ran = env.Statements().Of(func() { none, err = env.App.Store.JournalEntryIDsBySession(ctx, c.patient.ID, nil, false) })
	if err != nil || len(none) != 0 || ran.Total() != 0 {
		t.Fatalf("no sessions must need no query: %v, %v, %d statements", none, err, ran.Total())
	}
}

// TestDeletingAnEntryKeepsItsGoals: the patient's words go, the goals they
// set from them stay.
func TestDeletingAnEntryKeepsItsGoals(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := newClinic(t, env)
	e := postEntry(t, env, c.patient.Token, map[string]any{"body": "I want to see my sister more."})
	g := postGoal(t, env, c.patient.Token, map[string]any{"title": "Call my sister", "category": "connection", "source_journal_entry_id": e.ID})
	if g.SourceJournalEntryID == nil || *g.SourceJournalEntryID != e.ID {
		t.Fatalf("goal source: %+v", g)
	}
	env.DeleteIf("/v1/journal-entries/"+e.ID.String(), c.patient.Token, env.Tag("/v1/journal-entries/"+e.ID.String())).Expect(t, http.StatusNoContent)
	var after api.Goal
	env.Get("/v1/goals/"+g.ID.String(), c.patient.Token).Expect(t, http.StatusOK).JSON(t, &after)
	if after.SourceJournalEntryID != nil || after.Title != "Call my sister" || after.Version != g.Version+1 {
		t.Fatalf("goal after its entry was deleted: %+v", after)
	}
}
