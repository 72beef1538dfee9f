package handlers_test

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/ketacare/api/internal/apitest"
	"github.com/ketacare/api/internal/app"
	"github.com/ketacare/api/internal/auth"
	"github.com/ketacare/api/internal/config"
)

// TestPasswordRulesAtEveryEntry sends each rule's offender to every way a
// password is set: registration, a clinician's creation, a change and an
// admin's reset. Each answers 400 naming the field and the rule, never the
// password or whose it is, and changes nothing. The owner is the account the
// password is for: the new one, or the one changed or reset ("Rowan Quill",
// rowan.vale@...).
func TestPasswordRulesAtEveryEntry(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	const current = "a-decent-passphrase"
	rowan := tokens(t, register(env, "rowan.vale@example.com", current, "Rowan Quill").Expect(t, http.StatusCreated))

	entries := []struct {
		name  string
		field string
		send  func(password string) *apitest.Response
	}{
		{"register", "password", func(pw string) *apitest.Response {
			return register(env, "rowan.vale@example.org", pw, "Rowan Quill")
		}},
		{"create clinician", "password", func(pw string) *apitest.Response {
			return env.Post("/v1/clinicians", admin.Token, map[string]any{"email": "rowan.vale@clinic.example",
				"display_name": "Rowan Quill", "profession": "therapist", "password": pw})
		}},
		{"change", "new_password", func(pw string) *apitest.Response {
			return env.Post("/v1/me/password", rowan.AccessToken, map[string]any{"current_password": current, "new_password": pw})
		}},
		{"admin reset", "new_password", func(pw string) *apitest.Response {
			return env.Post("/v1/users/"+rowan.User.ID.String()+"/password", admin.Token, map[string]any{"new_password": pw})
		}},
	}
	rules := []struct {
		name, password, reason string
	}{
		{"whitespace only", "            ", auth.ReasonBlank},
		{"one character repeated", "aaaaaaaaaaaa", auth.ReasonRepeated},
		{"a common word", "Everything", auth.ReasonCommon},
		{"a listed password", "4815162342", auth.ReasonCommon},
		{"the email's local part", "ROWAN-the-explorer", auth.ReasonEmail},
		{"a word of the name", "quill-and-parchment", auth.ReasonName},
	}
	for _, e := range entries {
		for _, r := range rules {
			t.Run(e.name+"/"+r.name, func(t *testing.T) {
				res := e.send(r.password).Expect(t, http.StatusBadRequest)
				p := res.Problem(t)
				if len(p.Errors) != 1 || p.Errors[0].Field != e.field || p.Errors[0].Reason != r.reason {
					t.Fatalf("want %s: %q, got %+v", e.field, r.reason, p.Errors)
				}
				body := strings.ToLower(string(res.Body))
				for _, secret := range []string{strings.TrimSpace(r.password), "rowan", "quill"} {
					if secret != "" && strings.Contains(body, strings.ToLower(secret)) {
						t.Fatalf("the problem repeats %q: %s", secret, res.Body)
					}
				}
			})
		}
	}
	// Nothing changed: Rowan's password and sessions stand, and the refused
	// accounts were never made.
	login(env, "rowan.vale@example.com", current).Expect(t, http.StatusOK)
	env.Post("/v1/auth/refresh", "", map[string]any{"refresh_token": rowan.RefreshToken}).Expect(t, http.StatusOK)
	for _, e := range entries[:2] {
		e.send("tide-pool-lantern").Expect(t, http.StatusCreated)
	}
}

// TestAdminPasswordAtBoot: ADMIN_PASSWORD obeys the same rules, with
// ADMIN_EMAIL and the admin's name as the owner; a refused one stops the
// start with the rule named, not the password, and creates no admin.
func TestAdminPasswordAtBoot(t *testing.T) {
	t.Parallel()
	cfg := apitest.Config(t)
	cfg.AdminEmail = "admin@clinic.example"
	for _, tc := range []struct{ password, reason string }{
		{"              ", auth.ReasonBlank},
		{"zzzzzzzzzzzz", auth.ReasonRepeated},
		{"Administrator", auth.ReasonCommon},
		{"change-me-admin-passphrase", auth.ReasonEmail},
		{"our-clinic-passphrase", auth.ReasonName},
	} {
		cfg.AdminPassword = tc.password
		a, err := app.New(context.Background(), cfg, slog.New(slog.DiscardHandler))
		if err == nil {
			a.Close()
			t.Fatalf("ADMIN_PASSWORD %q was accepted", tc.password)
		}
		want := "config: ADMIN_PASSWORD: " + tc.reason
		if err.Error() != want {
			t.Fatalf("ADMIN_PASSWORD %q: got %q, want %q", tc.password, err, want)
		}
	}
	// No admin was made: the first accepted password creates it.
	cfg.AdminPassword = "tide-pool-lantern"
	env := apitest.NewWith(t, func(c *config.Config) { *c = cfg })
	login(env, "admin@clinic.example", "tide-pool-lantern").Expect(t, http.StatusOK)
}
