package handlers_test

import (
	"net/http"
	"testing"

	"github.com/ketacare/api/internal/apitest"
)

// FuzzRequestBodies sends arbitrary bodies to operations that decode JSON.
// Every answer must be a documented status (the harness checks each against
// the spec): malformed input is a 4xx problem, never a 500 or a panic.
func FuzzRequestBodies(f *testing.F) {
	for _, seed := range []string{
		`{"email":"a@example.com","password":"a-decent-passphrase","display_name":"A"}`,
		`{"email":1}`, `[]`, `null`, `{`, `{"display_name":"\u0000"}`, `{"timezone":"../../etc/passwd"}`,
		`{"email":"a@example.com","password":"` + "\xff\xfe" + `","display_name":"A"}`,
	} {
		f.Add(seed)
	}
	env := apitest.New(f)
	p := env.Patient("Fuzz")
	tag := env.Get("/v1/me", p.Token).Expect(f, http.StatusOK).ETag(f)
	f.Fuzz(func(t *testing.T, body string) {
		env := env.For(t)
		for _, r := range []apitest.Request{
			{Method: http.MethodPost, Path: "/v1/auth/login", Body: body},
			{Method: http.MethodPost, Path: "/v1/auth/refresh", Body: body},
			{Method: http.MethodPatch, Path: "/v1/me", Token: p.Token, Body: body, Header: http.Header{"If-Match": {tag}}},
		} {
			res := env.Do(r)
			if res.Status >= 500 {
				t.Fatalf("%s %s with %q: %d %s", r.Method, r.Path, body, res.Status, res.Body)
			}
			if res.Status == http.StatusOK && r.Path == "/v1/me" {
				tag = res.ETag(t)
			}
		}
	})
}
