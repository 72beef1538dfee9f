package handlers_test

import (
	"net/http"
	"regexp"
	"slices"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/ketacare/api/internal/apitest"
)

// TestNoMassAssignment walks every operation of the spec that takes a body
// (OWASP API3): its schema is closed, and a body carrying a field the
// server owns (ids, owners, role, version, timestamps) is refused with 400
// naming that field, before any handler runs.
func TestNoMassAssignment(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tokens := map[string]string{
		"patient":   env.Patient("P").Token,
		"clinician": env.Clinician("C", "nurse").Token,
		"admin":     env.Admin().Token,
	}
	owned := []string{"user_id", "patient_id", "role", "version", "created_at", "updated_at", "created_by", "key_id"}
	pathParam := regexp.MustCompile(`\{[a-z_]+\}`)
	checked := 0
	for path, item := range env.Spec().Paths.Map() {
		for method, op := range item.Operations() {
			if op.RequestBody == nil {
				continue
			}
			media := op.RequestBody.Value.Content.Get("application/json")
			if media == nil {
				continue
			}
			schema := media.Schema.Value
			if schema.AdditionalProperties.Has == nil || *schema.AdditionalProperties.Has {
				t.Errorf("%s %s: the body schema must set additionalProperties: false", method, path)
			}
			fields := owned
			if method == http.MethodPatch || method == http.MethodPut {
				fields = append(slices.Clone(owned), "id")
			}
			token := tokens["patient"]
			if roles, ok := op.Extensions["x-roles"].([]any); ok {
				token = tokens[roles[0].(string)]
			}
			if noAuth(env.Spec(), op) {
				token = ""
			}
			url := pathParam.ReplaceAllString(path, "0192f5a8-6a2b-7c3d-9e4f-1a2b3c4d5e6f")
			for _, f := range fields {
				if _, declared := schema.Properties[f]; declared {
					continue
				}
				r := env.Do(apitest.Request{Method: method, Path: url, Token: token, Body: map[string]any{f: "x"},
					Header: http.Header{"If-Match": {`"0192f5a8-6a2b-7c3d-9e4f-1a2b3c4d5e6f.1"`}}})
				if r.Status != http.StatusBadRequest {
					t.Errorf("%s %s with %q: %d, want 400", method, path, f, r.Status)
					continue
				}
				if !slices.Contains(r.Problem(t).Fields(), f) {
					t.Errorf("%s %s with %q: the problem must name it: %s", method, path, f, r.Body)
				}
				checked++
			}
		}
	}
	if checked < 100 {
		t.Fatalf("only %d cases checked: the walk missed operations", checked)
	}
}

func noAuth(doc *openapi3.T, op *openapi3.Operation) bool {
	sec := doc.Security
	if op.Security != nil {
		sec = *op.Security
	}
	return len(sec) == 0
}
