package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ketacare/api/internal/api"
)

// discard is a ResponseWriter that keeps nothing, so the benchmark measures
// the generated response's encoding alone.
type discard struct{ h http.Header }

func (d discard) Header() http.Header       { return d.h }
func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) WriteHeader(int)             {}

// journalPage is a full default page of 50 entries whose bodies are n
// characters: 200 is the excerpt a list shows, 2048 a typical whole body
// (include=body).
func journalPage(n int) api.JournalEntryPage {
	body := strings.Repeat("The music slowed and I could hear my own breathing again. ", n/56+1)[:n]
	title, mood, prompt := "After the second session", 7, "something_familiar"
	at := time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)
	page := api.JournalEntryPage{Items: make([]api.JournalEntryListItem, 50)}
	for i := range page.Items {
		session := uuid.Must(uuid.NewV7())
		page.Items[i] = api.JournalEntryListItem{
			ID: uuid.Must(uuid.NewV7()), PatientID: uuid.Must(uuid.NewV7()), SessionID: &session, PromptKey: &prompt,
			Title: &title, Body: body, BodyTruncated: n == 200, Mood: &mood, Insights: []string{"I can rest", "The fear passes"},
			SharedWithCareTeam: i%2 == 0, CreatedAt: at, UpdatedAt: at.Add(time.Hour), Version: 2,
		}
	}
	page.NextCursor.Set("eyJ0IjoiMjAyNi0xMS0yMFQwOTozMDowMFoiLCJpIjoiMDE5MmY1YTgifQ")
	return page
}

// BenchmarkEncodeJournalPage writes a page of 50 journal entries as the
// generated strict handler does for GET /v1/journal-entries.
func BenchmarkEncodeJournalPage(b *testing.B) {
	for _, bc := range []struct {
		name string
		body int
	}{{"excerpts", 200}, {"bodies-2KiB", 2048}} {
		res := api.ListJournalEntries200JSONResponse{Body: journalPage(bc.body)}
		w := discard{h: http.Header{}}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := res.VisitListJournalEntriesResponse(w); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
