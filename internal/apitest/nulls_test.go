package apitest_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/ketacare/api/docs"
	"github.com/ketacare/api/internal/apitest"
	"github.com/ketacare/api/internal/web"
)

// TestUnpromisedNulls checks the null rule the harness holds every response
// to, on bodies the API must never send as well as ones it may.
func TestUnpromisedNulls(t *testing.T) {
	doc, err := web.LoadSpec(docs.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	schemas := doc.Components.Schemas
	for _, tc := range []struct {
		name, schema, body string
		want               []string
	}{
		{"a last page", "JournalEntryPage", `{"items": [], "next_cursor": null}`, nil},
		{"no items at all", "JournalEntryPage", `{"items": null, "next_cursor": null}`, []string{"items"}},
		{"an absent field padded with null", "JournalEntryPage",
			`{"items": [{"id": "0192f5a8-6a2b-7c3d-9e4f-1a2b3c4d5e6f", "session_id": null, "title": null, "body": "b"}], "next_cursor": "c"}`,
			[]string{"items[0].session_id", "items[0].title"}},
		{"nullable through allOf, and plain nullable", "PatientProgress",
			`{"phq9": {"baseline": null, "latest": null, "change_points": null, "response": null, "series": []}}`, nil},
		{"not nullable inside a nullable's sibling", "PatientProgress",
			`{"phq9": {"baseline": null, "series": [{"total": null}]}, "mood": {"last_7_days": {"check_ins": null, "average_mood": null}}}`,
			[]string{"mood.last_7_days.check_ins", "phq9.series[0].total"}},
		{"a problem's detail", "Problem", `{"type": "urn:x", "title": "T", "status": 400, "detail": null}`, []string{"detail"}},
		{"an undeclared field of an open object", "Problem", `{"type": "urn:x", "extra": null, "more": {"deep": null}}`,
			[]string{"extra", "more.deep"}},
		{"inside an array of objects", "Problem", `{"type": "urn:x", "errors": [{"field": "a", "reason": null}]}`,
			[]string{"errors[0].reason"}},
		{"a nullable body", "NextCursor", `null`, nil},
		{"a body that may not be null", "Patient", `null`, []string{"(the body)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := apitest.UnpromisedNulls(schemas[tc.schema], []byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
	if _, err := apitest.UnpromisedNulls(schemas["Problem"], []byte("{not json")); err == nil {
		t.Fatal("a body that is not JSON passed")
	}
}

// TestResponseSchema finds the schema of an operation's response by status
// and content type, as the harness does for each response.
func TestResponseSchema(t *testing.T) {
	doc, err := web.LoadSpec(docs.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	op := doc.Paths.Find("/v1/journal-entries").Get
	if s := apitest.ResponseSchema(op, http.StatusOK, "application/json; charset=UTF-8"); s == nil || s.Value != doc.Components.Schemas["JournalEntryPage"].Value {
		t.Fatalf("200: %v", s)
	}
	if s := apitest.ResponseSchema(op, http.StatusBadRequest, "application/problem+json"); s == nil || s.Value != doc.Components.Schemas["Problem"].Value {
		t.Fatalf("400: %v", s)
	}
	if s := apitest.ResponseSchema(op, http.StatusTeapot, "application/problem+json"); s != nil {
		t.Fatalf("an undocumented status has a schema: %v", s)
	}
	if s := apitest.ResponseSchema(nil, http.StatusOK, "application/json"); s != nil {
		t.Fatalf("no operation has a schema: %v", s)
	}
}
