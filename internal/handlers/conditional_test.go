package handlers_test

import (
	"net/http"
	"testing"

	"github.com/ketacare/api/internal/apitest"
)

// TestConditionalOnEveryRecord: for each kind of record two devices may
// edit, a GET is tagged and revalidates with 304; an edit with a stale tag
// gets 412 with the current version and changes nothing; an edit without
// If-Match gets 428; a tag of another record is refused.
func TestConditionalOnEveryRecord(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c, plan, sessions := plannedClinic(t, env)
	entry := postEntry(t, env, c.patient.Token, map[string]any{"body": "What did I learn about myself?"})
	other := postEntry(t, env, c.patient.Token, map[string]any{"body": "Another entry."})
	goal := postGoal(t, env, c.patient.Token, map[string]any{"title": "Call my sister", "category": "connection"})

	for _, tc := range []struct {
		name, path, token string
		first, second     map[string]any
		canDelete         bool
	}{
		{"journal entry", "/v1/journal-entries/" + entry.ID.String(), c.patient.Token,
			map[string]any{"mood": 6}, map[string]any{"mood": 2}, true},
		{"goal", "/v1/goals/" + goal.ID.String(), c.patient.Token,
			map[string]any{"status": "paused"}, map[string]any{"status": "dropped"}, true},
		{"session", "/v1/sessions/" + sessions[0].ID.String(), c.patient.Token,
			map[string]any{"preparation": map[string]any{"intention": "Be open"}}, map[string]any{"preparation": map[string]any{"intention": "Be brave"}}, false},
		{"treatment plan", plansPath(c) + "/" + plan.ID.String(), c.clinician.Token,
			map[string]any{"status": "cancelled"}, map[string]any{"status": "completed"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			get := func(h http.Header) *apitest.Response {
				return env.Do(apitest.Request{Method: http.MethodGet, Path: tc.path, Token: tc.token, Header: h})
			}
			tag := get(nil).Expect(t, http.StatusOK).ETag(t)
			if r := get(http.Header{"If-None-Match": {tag}}); r.Status != http.StatusNotModified || len(r.Body) != 0 {
				t.Fatalf("revalidation: %d %s", r.Status, r.Body)
			}

			env.Patch(tc.path, tc.token, tc.first).Expect(t, http.StatusPreconditionRequired).Problem(t)
			env.PatchIf(tc.path, tc.token, env.Tag("/v1/journal-entries/"+other.ID.String()), tc.first).Expect(t, http.StatusPreconditionFailed)

			// Device A edits with the tag it read; device B's edit, made from
			// the same read, is refused and told the current version.
			fresh := env.PatchIf(tc.path, tc.token, tag, tc.first).Expect(t, http.StatusOK).ETag(t)
			if fresh == tag {
				t.Fatal("an edit must change the ETag")
			}
			after := get(nil).Expect(t, http.StatusOK).Body
			stale := env.PatchIf(tc.path, tc.token, tag, tc.second).Expect(t, http.StatusPreconditionFailed)
			stale.Problem(t)
			var p struct {
				CurrentVersion int64 `json:"current_version"`
			}
			stale.JSON(t, &p)
			if p.CurrentVersion < 2 {
				t.Fatalf("412 must carry the current version, got %d", p.CurrentVersion)
			}
			if now := get(nil).Expect(t, http.StatusOK).Body; string(now) != string(after) {
				t.Fatalf("a refused edit changed the record:\n%s\n%s", after, now)
			}
			get(http.Header{"If-None-Match": {tag}}).Expect(t, http.StatusOK)

			if tc.canDelete {
				env.DeleteIf(tc.path, tc.token, tag).Expect(t, http.StatusPreconditionFailed).Problem(t)
				env.Delete(tc.path, tc.token).Expect(t, http.StatusPreconditionRequired).Problem(t)
				get(nil).Expect(t, http.StatusOK)
				env.DeleteIf(tc.path, tc.token, fresh).Expect(t, http.StatusNoContent)
				get(nil).Expect(t, http.StatusNotFound)
			}
		})
	}
}
