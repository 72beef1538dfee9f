package handlers_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/ketacare/api/internal/api"
	"github.com/ketacare/api/internal/apitest"
	"github.com/ketacare/api/internal/web"
)

// rawGet sends a GET the way a client that handles encodings itself does:
// nothing decompresses the answer, and Accept-Encoding is sent only when
// given. The harness's own client asks for gzip and hides it.
func rawGet(t *testing.T, env *apitest.Env, path, token, acceptEncoding string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, env.Server.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if acceptEncoding != "" {
		req.Header.Set("Accept-Encoding", acceptEncoding)
	}
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, body
}

// TestGzipWhenAccepted: a large list is gzip-encoded for a client that
// accepts it and plain for one that does not, with the same JSON either
// way; a small answer is not worth compressing.
func TestGzipWhenAccepted(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := newClinic(t, env)
	words := strings.Repeat("The morning after, the light on the kitchen table felt kind. ", 20)
	for range 10 {
		postEntry(t, env, c.patient.Token, map[string]any{"body": words})
	}
	path := "/v1/journal-entries?include=body&limit=50"
	plain := env.Get(path, c.patient.Token).Expect(t, http.StatusOK).Body
	if len(plain) < 10_000 {
		t.Fatalf("the list is only %d bytes; the test needs a large one", len(plain))
	}

	res, body := rawGet(t, env, path, c.patient.Token, "gzip")
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("with Accept-Encoding: gzip: status %d, Content-Encoding %q", res.StatusCode, res.Header.Get("Content-Encoding"))
	}
	if !slices.Contains(res.Header.Values("Vary"), "Accept-Encoding") {
		t.Fatalf("a compressed answer must vary by Accept-Encoding: Vary %q", res.Header.Values("Vary"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("not gzip: %v", err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("broken gzip: %v", err)
	}
	if !bytes.Equal(unzipped, plain) {
		t.Fatalf("the gzip body differs from the plain one")
	}
	if len(body) > len(plain)/4 {
		t.Fatalf("gzip saved little: %d of %d bytes", len(body), len(plain))
	}

	for _, accept := range []string{"", "identity", "br"} {
		res, body = rawGet(t, env, path, c.patient.Token, accept)
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Encoding") != "" || !bytes.Equal(body, plain) {
			t.Fatalf("Accept-Encoding %q: status %d, Content-Encoding %q, %d bytes", accept, res.StatusCode, res.Header.Get("Content-Encoding"), len(body))
		}
	}

	res, _ = rawGet(t, env, "/v1/me", c.patient.Token, "gzip")
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Encoding") != "" {
		t.Fatalf("a small answer: status %d, Content-Encoding %q", res.StatusCode, res.Header.Get("Content-Encoding"))
	}
}

// TestJournalListExcerpts: both journal lists cut each body to an excerpt
// of at most 200 characters, at a word break near the limit when there is
// one, never inside a character or between a letter and its marks, and say
// so; include=body and the single entry give the whole body.
func TestJournalListExcerpts(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := newClinic(t, env)
	family := "👩\u200d👩\u200d👧" // one emoji of five code points
	for _, tc := range []struct {
		name, body, excerpt string
		truncated           bool
	}{
		{"a short entry stays whole", "A calm morning.", "A calm morning.", false},
		{"200 characters stay whole", strings.Repeat("a", 200), strings.Repeat("a", 200), false},
		{"201 letters lose one", strings.Repeat("a", 201), strings.Repeat("a", 200), true},
		{"a space right after the limit", strings.Repeat("a", 200) + " and more", strings.Repeat("a", 200), true},
		{"ends at the last word break", strings.Repeat("word ", 60), strings.TrimSpace(strings.Repeat("word ", 40)), true},
		{"a word longer than the slack is cut", strings.Repeat("a", 150) + " " + strings.Repeat("b", 100),
			strings.Repeat("a", 150) + " " + strings.Repeat("b", 49), true},
		{"accents stay with their letters", "x" + strings.Repeat("e\u0301", 150), "x" + strings.Repeat("e\u0301", 99), true},
		{"emoji sequences stay whole", "ab" + strings.Repeat(family, 50), "ab" + strings.Repeat(family, 39), true},
		{"variation selectors stay with their symbol", "x" + strings.Repeat("\u2665\ufe0f", 150), "x" + strings.Repeat("\u2665\ufe0f", 99), true},
		{"text without spaces is cut by characters", strings.Repeat("日本語", 100), strings.Repeat("日本語", 66) + "日本", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := env.For(t)
			if n := utf8.RuneCountInString(tc.excerpt); n > 200 || !strings.HasPrefix(tc.body, tc.excerpt) {
				t.Fatalf("bad case: an excerpt of %d characters", n)
			}
			e := postEntry(t, env, c.patient.Token, map[string]any{"body": tc.body, "shared_with_care_team": true})
			for _, list := range []struct {
				who  apitest.User
				path string
			}{
				{c.patient, "/v1/journal-entries"},
				{c.clinician, "/v1/patients/" + c.patient.ID.String() + "/journal-entries"},
			} {
				item := journalListItem(t, env, list.who, list.path+"?limit=200", e.ID)
				if item.Body != tc.excerpt || item.BodyTruncated != tc.truncated {
					t.Fatalf("%s: excerpt %q (truncated %v), want %q (%v)", list.path, item.Body, item.BodyTruncated, tc.excerpt, tc.truncated)
				}
				whole := journalListItem(t, env, list.who, list.path+"?limit=200&include=body", e.ID)
				if whole.Body != tc.body || whole.BodyTruncated {
					t.Fatalf("%s?include=body: %q (truncated %v)", list.path, whole.Body, whole.BodyTruncated)
				}
			}
			for _, single := range []struct {
				who  apitest.User
				path string
			}{
				{c.patient, "/v1/journal-entries/" + e.ID.String()},
				{c.clinician, "/v1/patients/" + c.patient.ID.String() + "/journal-entries/" + e.ID.String()},
			} {
				r := env.Get(single.path, single.who.Token).Expect(t, http.StatusOK)
				var got api.JournalEntry
				r.JSON(t, &got)
				if got.Body != tc.body || hasKey(decodeObject(t, r), "body_truncated") {
					t.Fatalf("%s: %q, or a flag a single entry does not carry", single.path, got.Body)
				}
			}
		})
	}

	p := env.Get("/v1/journal-entries?include=everything", c.patient.Token).Expect(t, http.StatusBadRequest).Problem(t)
	if !slices.Contains(p.Fields(), "query.include") {
		t.Fatalf("include=everything: problem names %v", p.Fields())
	}
}

func journalListItem(t *testing.T, env *apitest.Env, who apitest.User, path string, id uuid.UUID) api.JournalEntryListItem {
	t.Helper()
	var pg api.JournalEntryPage
	env.Get(path, who.Token).Expect(t, http.StatusOK).JSON(t, &pg)
	for _, it := range pg.Items {
		if it.ID == id {
			return it
		}
	}
	t.Fatalf("%s does not list entry %s", path, id)
	return api.JournalEntryListItem{}
}

// TestNoUnpromisedNulls calls every GET operation of the spec, as each role
// that may, over records whose optional fields were never set or were
// cleared with null, and walks each answer against its schema: an optional
// field without a value must be absent, never null, unless the spec says
// nullable. (The harness walks every response of every test the same way;
// this test makes sure each operation is among them with such records.)
func TestNoUnpromisedNulls(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	w := newListWorld(t, env)
	c := w.clinic
	pid := c.patient.ID.String()
	p := "/v1/patients/" + pid
	patch := func(path, token string, body map[string]any) {
		t.Helper()
		env.PatchIf(path, token, env.Tag(path), body).Expect(t, http.StatusOK)
	}

	// Optional fields set, then cleared.
	patch(p, c.patient.Token, map[string]any{"date_of_birth": "1988-04-12",
		"emergency_contact": map[string]any{"name": "Jordan Lee", "phone": "+1 310 555 0100", "relationship": "partner"}})
	patch(p, c.patient.Token, map[string]any{"date_of_birth": nil, "emergency_contact": nil})
	entry := postEntry(t, env, c.patient.Token, map[string]any{"body": "Set and cleared.", "session_id": w.held, "prompt_key": "insights_gained",
		"title": "A title", "mood": 5, "shared_with_care_team": true})
	entryPath := "/v1/journal-entries/" + entry.ID.String()
	patch(entryPath, c.patient.Token, map[string]any{"session_id": nil, "prompt_key": nil, "title": nil, "mood": nil})
	goal := postGoal(t, env, c.patient.Token, map[string]any{"title": "Cleared", "category": "other", "why": "Because",
		"first_step": "Begin", "target_date": localDate(t, "UTC", 30), "source_journal_entry_id": entry.ID})
	goalPath := "/v1/goals/" + goal.ID.String()
	patch(goalPath, c.patient.Token, map[string]any{"why": nil, "first_step": nil, "target_date": nil, "source_journal_entry_id": nil})
	plan := makePlan(t, env, c, map[string]any{"start_date": localDate(t, "UTC", 2), "sessions_per_week": 3, "session_count": 1, "route": "intranasal"})
	session := sessionsOf(t, env, c, plan.ID)[0]
	sessionPath := sessionURL(session)
	patch(sessionPath, c.patient.Token, map[string]any{"sitter": map[string]any{"name": "Sam", "relationship": "friend", "phone": "555 0102"},
		"preparation": map[string]any{"intention": "Be gentle", "notes": "Blanket"}})
	patch(sessionPath, c.patient.Token, map[string]any{"sitter": nil, "preparation": map[string]any{"intention": nil, "notes": nil}})
	patch(sessionPath, c.clinician.Token, map[string]any{"journey": map[string]any{"notes": "Calm"}, "integration": map[string]any{"therapist_notes": "Fine"}})
	patch(sessionPath, c.clinician.Token, map[string]any{"journey": map[string]any{"notes": nil}, "integration": map[string]any{"therapist_notes": nil}})
	checkIn(t, env, c.patient, map[string]any{"mood": 3})

	router, err := web.NewSpecRouter(env.Spec())
	if err != nil {
		t.Fatal(err)
	}
	called := map[string]bool{}
	get := func(who apitest.User, path string) {
		t.Helper()
		r := env.Get(path, who.Token).Expect(t, http.StatusOK)
		req, _ := http.NewRequest(http.MethodGet, env.Server.URL+path, nil)
		route, _, err := router.FindRoute(req)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		called[route.Operation.OperationID] = true
		ct := r.Header.Get("Content-Type")
		if !strings.HasPrefix(ct, "application/json") {
			return
		}
		nulls, err := apitest.UnpromisedNulls(apitest.ResponseSchema(route.Operation, r.Status, ct), r.Body)
		if err != nil || len(nulls) > 0 {
			t.Errorf("GET %s as %s: null where the spec promises none at %v (%v)", path, who.Role, nulls, err)
		}
	}

	anyone := apitest.User{}
	for _, path := range []string{"/healthz", "/readyz", "/openapi.yaml", "/docs", "/docs/assets/init.js", "/metrics"} {
		get(anyone, path)
	}
	readers := []apitest.User{c.patient, c.clinician, c.admin}
	for _, who := range []apitest.User{c.patient, c.clinician, c.admin, c.outsider} {
		get(who, "/v1/me")
		get(who, "/v1/journal-prompts")
		get(who, "/v1/assessment-instruments")
	}
	for _, who := range readers {
		for _, path := range []string{
			p, p + "/care-team", p + "/evaluations", p + "/treatment-plans", p + "/treatment-plans/" + plan.ID.String(),
			"/v1/sessions?patient_id=" + pid, sessionPath, "/v1/sessions/" + w.held.String() + "/vitals",
			p + "/assessments", p + "/mood-check-ins", p + "/progress",
		} {
			get(who, path)
		}
	}
	for _, who := range []apitest.User{c.clinician, c.admin} {
		get(who, "/v1/patients")
		get(who, "/v1/alerts?status=all")
	}
	get(c.admin, "/v1/clinicians")
	get(c.admin, "/v1/audit-events")
	get(c.patient, "/v1/me/access-log")
	get(c.patient, "/v1/me/export")
	get(c.patient, "/v1/me/agenda")
	get(c.patient, "/v1/sync")
	for _, path := range []string{
		"/v1/journal-entries", entryPath, "/v1/activities", "/v1/goals", goalPath,
		"/v1/goals/" + w.goal.ID.String() + "/check-ins", "/v1/assessments", "/v1/mood-check-ins",
	} {
		get(c.patient, path)
	}
	for _, who := range []apitest.User{c.patient, c.clinician} {
		for _, path := range []string{
			p + "/journal-entries", p + "/journal-entries/" + entry.ID.String(), p + "/activities", p + "/goals",
			p + "/goals/" + w.goal.ID.String() + "/check-ins",
		} {
			get(who, path)
		}
	}

	for path, item := range env.Spec().Paths.Map() {
		if op := item.Get; op != nil && !called[op.OperationID] {
			t.Errorf("GET %s (%s) has no representative call here", path, op.OperationID)
		}
	}
}
