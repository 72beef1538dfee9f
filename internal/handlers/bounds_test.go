package handlers_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/ketacare/api/internal/api"
	"github.com/ketacare/api/internal/apitest"
	"github.com/ketacare/api/internal/models"
	"github.com/ketacare/api/internal/store"
)

// The spec bounds every array and string a response can hold (Spectral's
// OWASP rules demand it, and the harness checks every response against
// them). These tests drive the answers whose size the caller controls past
// those bounds, and check the server keeps to them.

// TestProblemStaysBounded sends a body of many long unknown fields: the 400
// names the first 100, each cut short, and still counts them all.
func TestProblemStaysBounded(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	p := env.Patient("Alex")
	body := map[string]any{"body": "A day by the sea."}
	for i := range 150 {
		body[fmt.Sprintf("f%03d_%s", i, strings.Repeat("x", 400))] = i
	}
	prob := env.Post("/v1/journal-entries", p.Token, body).Expect(t, http.StatusBadRequest).Problem(t)
	if len(prob.Errors) != 100 {
		t.Fatalf("%d errors listed, want the first 100", len(prob.Errors))
	}
	if prob.Detail != "The request has 150 invalid fields." {
		t.Fatalf("detail %q does not count every field", prob.Detail)
	}
	for _, e := range prob.Errors {
		if n := utf8.RuneCountInString(e.Field); n > 300 || !strings.HasSuffix(e.Field, "…") {
			t.Fatalf("field %q (%d characters) is not cut to 300", e.Field, n)
		}
	}
	env.Get("/v1/journal-entries", p.Token).Expect(t, http.StatusOK)
}

// TestAgendaKeepsTheSoonest lists more reminders than an agenda holds: it
// keeps the 200 due soonest.
func TestAgendaKeepsTheSoonest(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	p := env.Patient("Alex")
	// Each new goal is due a check-in in 7 and in 14 days: 202 reminders.
	for i := range 101 {
		postGoal(t, env, p.Token, map[string]any{"title": fmt.Sprintf("Goal %d", i), "category": "self_care"})
	}
	a := agendaOf(t, env, p, "?horizon_days=14")
	if len(a.Items) != 200 {
		t.Fatalf("%d items, want 200", len(a.Items))
	}
	goals := map[uuid.UUID]bool{}
	for _, it := range a.Items[:101] {
		goals[*it.GoalID] = true
	}
	if len(goals) != 101 || !a.Items[101].DueAt.After(a.Items[100].DueAt) {
		t.Fatalf("the first week's check-ins of all 101 goals do not lead the agenda")
	}
}

// TestSessionListsAtMostAThousandEntries writes one more journal entry
// about a session than its integration lists: the oldest 1,000 are listed.
func TestSessionListsAtMostAThousandEntries(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := newClinic(t, env)
	session := seedSessions(t, env, c.patient.ID, c.clinician.ID, models.PlanStatusActive, models.SessionStatusCompleted)[0]
	first := env.App.Now().Add(-time.Hour)
	entries := make([]models.JournalEntry, store.MaxSessionJournalEntries+1)
	for i := range entries {
		at := first.Add(time.Duration(i) * time.Millisecond)
		entries[i] = models.JournalEntry{ID: uuid.Must(uuid.NewV7()), PatientID: c.patient.ID, SessionID: &session,
			KeyID: "bounds-test", BodySealed: []byte("sealed"), InsightsSealed: []byte("sealed"), CreatedAt: at, UpdatedAt: at, Version: 1}
	}
	if err := env.DB.CreateInBatches(entries, 200).Error; err != nil {
		t.Fatal(err)
	}
	var s api.TreatmentSession
	env.Get("/v1/sessions/"+session.String(), c.patient.Token).Expect(t, http.StatusOK).JSON(t, &s)
	if s.Integration.JournalEntryIds == nil || len(*s.Integration.JournalEntryIds) != store.MaxSessionJournalEntries {
		t.Fatalf("the session lists %v entries, want %d", s.Integration.JournalEntryIds, store.MaxSessionJournalEntries)
	}
	for i, id := range *s.Integration.JournalEntryIds {
		if id != entries[i].ID {
			t.Fatalf("entry %d is %s, want the oldest entries in order", i, id)
		}
	}
}
