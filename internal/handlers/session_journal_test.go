package handlers_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/ketacare/api/internal/api"
	"github.com/ketacare/api/internal/apitest"
)

// TestSessionsListTheirJournalEntries: a session names the journal entries
// about it that the caller may read: all for the patient, the shared ones
// for the care team, none (the key is absent) for admins.
func TestSessionsListTheirJournalEntries(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c, _, sessions := plannedClinic(t, env)
	first, second := sessions[0], sessions[1]

	private := postEntry(t, env, c.patient.Token, map[string]any{"session_id": first.ID, "body": "Something I felt for the first time."})
	shared := postEntry(t, env, c.patient.Token, map[string]any{"session_id": first.ID, "body": "What I learned.", "shared_with_care_team": true})
	postEntry(t, env, c.patient.Token, map[string]any{"body": "Not about a session."})

	ids := func(s api.TreatmentSession) []uuid.UUID {
		if s.Integration.JournalEntryIds == nil {
			return nil
		}
		return *s.Integration.JournalEntryIds
	}
	if got := ids(getSession(t, env, c.patient.Token, first)); !slices.Equal(got, []uuid.UUID{private.ID, shared.ID}) {
		t.Fatalf("patient sees %v, want both entries oldest first", got)
	}
	if got := ids(getSession(t, env, c.clinician.Token, first)); !slices.Equal(got, []uuid.UUID{shared.ID}) {
		t.Fatalf("care team sees %v, want only the shared entry", got)
	}
	if got := ids(getSession(t, env, c.patient.Token, second)); got == nil || len(got) != 0 {
		t.Fatalf("a session without entries lists %v, want an empty list", got)
	}
	raw := decodeObject(t, env.Get(sessionURL(first), c.admin.Token).Expect(t, http.StatusOK))
	if _, has := raw["integration"].(map[string]any)["journal_entry_ids"]; has {
		t.Fatal("admins do not read journals: the key must be absent")
	}

	// The list answers the same, for every session of the page.
	var pg api.TreatmentSessionPage
	env.Get("/v1/sessions?patient_id="+c.patient.ID.String(), c.clinician.Token).Expect(t, http.StatusOK).JSON(t, &pg)
	for _, s := range pg.Items {
		want := []uuid.UUID{}
		if s.ID == first.ID {
			want = []uuid.UUID{shared.ID}
		}
		if !slices.Equal(ids(s), want) {
			t.Fatalf("session %d lists %v, want %v", s.Sequence, ids(s), want)
		}
	}
}
