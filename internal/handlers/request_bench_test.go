package handlers_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/ketacare/api/internal/apitest"
	"github.com/ketacare/api/internal/config"
)

// BenchmarkRequest times whole requests through the service's full
// middleware chain and database (SQLite, or PostgreSQL with
// TEST_DATABASE_URL), from a plain HTTP client on loopback: a patient
// reading one journal entry, and a page of 50. Profile it with -cpuprofile
// to see where a request's time goes.
func BenchmarkRequest(b *testing.B) {
	env := apitest.NewWith(b, func(c *config.Config) { c.RateLimitPerMinute = 1_000_000 })
	pat := env.Patient("Bench Patient")
	body := strings.Repeat("The music slowed and so did I. ", 60) // about 2 KiB
	var id string
	for range 60 {
		r := env.Post("/v1/journal-entries", pat.Token, map[string]any{"body": body, "insights": []string{"I can rest"}}).Expect(b, http.StatusCreated)
		var e struct{ ID string }
		r.JSON(b, &e)
		id = e.ID
	}
	for _, bc := range []struct{ name, path string }{
		{"GetJournalEntry", "/v1/journal-entries/" + id},
		{"ListJournalEntries50", "/v1/journal-entries?limit=50"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			client := env.Server.Client()
			for b.Loop() {
				req, _ := http.NewRequest(http.MethodGet, env.Server.URL+bc.path, nil)
				req.Header.Set("Authorization", "Bearer "+pat.Token)
				res, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					b.Fatal(fmt.Sprint(bc.path, ": ", res.Status))
				}
			}
		})
	}
}
