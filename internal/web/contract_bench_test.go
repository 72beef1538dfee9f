package web

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ketacare/api/docs"
)

// BenchmarkContract is the contract check every /v1 request passes before a
// handler sees it, without the token and its account: finding the
// operation, reading the body, and validating parameters and body against
// the spec.
func BenchmarkContract(b *testing.B) {
	doc, err := LoadSpec(docs.OpenAPI)
	if err != nil {
		b.Fatal(err)
	}
	router, err := NewSpecRouter(doc)
	if err != nil {
		b.Fatal(err)
	}
	entry := []byte(`{"session_id":"0192f5a8-6a2b-7c3d-9e4f-1a2b3c4d5e6f","prompt_key":"something_familiar","title":"After the second session",` +
		`"body":"` + strings.Repeat("The music slowed and I could hear my own breathing again. ", 34) + `",` +
		`"mood":7,"insights":["I can rest","The fear passes"],"shared_with_care_team":true}`)
	for _, bc := range []struct {
		name, method, target string
		body                 []byte
	}{
		{"post-journal-entry", http.MethodPost, "/v1/journal-entries", entry},
		{"get-journal-entries-query", http.MethodGet, "/v1/journal-entries?limit=50&updated_since=2026-11-01T08:00:00Z&include=body" +
			"&session_id=0192f5a8-6a2b-7c3d-9e4f-1a2b3c4d5e6f&prompt_key=something_familiar", nil},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(bc.method, bc.target, bytes.NewReader(bc.body))
				if bc.body != nil {
					req.Header.Set("Content-Type", "application/json")
				}
				route, params, err := router.FindRoute(req)
				if err != nil {
					b.Fatal(err)
				}
				if rb := route.Operation.RequestBody; rb != nil {
					if _, err := checkBody(req, rb.Value); err != nil {
						b.Fatal(err)
					}
				}
				if err := validateRequest(req, route, params); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
