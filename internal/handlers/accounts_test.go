package handlers_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/ketacare/api/internal/api"
	"github.com/ketacare/api/internal/apitest"
)

func TestMe(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	p := env.Patient("Robin")

	var u api.User
	got := env.Get("/v1/me", p.Token).Expect(t, http.StatusOK)
	got.JSON(t, &u)
	tag := got.ETag(t)
	if u.DisplayName != "Robin" || u.Timezone != "UTC" || u.Version != 1 {
		t.Fatalf("unexpected user %+v", u)
	}

	var changed api.User
	r := env.PatchIf("/v1/me", p.Token, tag, map[string]any{"display_name": "Robin K.", "timezone": "America/Los_Angeles"}).Expect(t, http.StatusOK)
	r.JSON(t, &changed)
	tag = r.ETag(t)
	if changed.DisplayName != "Robin K." || changed.Timezone != "America/Los_Angeles" || changed.Version != 2 || !changed.UpdatedAt.After(u.UpdatedAt) && !changed.UpdatedAt.Equal(u.UpdatedAt) {
		t.Fatalf("update not applied: %+v", changed)
	}
	r = env.PatchIf("/v1/me", p.Token, tag, map[string]any{"timezone": "Europe/Berlin"}).Expect(t, http.StatusOK)
	r.JSON(t, &changed)
	tag = r.ETag(t)
	if changed.DisplayName != "Robin K." || changed.Version != 3 {
		t.Fatalf("absent fields must stay as they were: %+v", changed)
	}

	bad := []struct {
		name  string
		body  any
		field string
	}{
		{"unknown timezone", map[string]any{"timezone": "Mars/Olympus"}, "timezone"},
		{"Local is not a zone", map[string]any{"timezone": "Local"}, "timezone"},
		{"empty name", map[string]any{"display_name": ""}, "display_name"},
		{"null name", map[string]any{"display_name": nil}, "display_name"},
		{"read-only field", map[string]any{"role": "admin"}, "role"},
		{"email is not editable here", map[string]any{"email": "x@example.com"}, "email"},
		{"nothing to change", map[string]any{}, "body"},
		{"NUL character", map[string]any{"display_name": "Ro\x00bin"}, "body"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			p := env.PatchIf("/v1/me", p.Token, tag, tc.body).Expect(t, http.StatusBadRequest).Problem(t)
			if !slices.Contains(p.Fields(), tc.field) {
				t.Fatalf("problem names %v, want %q", p.Fields(), tc.field)
			}
		})
	}
	var after api.User
	env.Get("/v1/me", p.Token).Expect(t, http.StatusOK).JSON(t, &after)
	if after.Version != 3 || after.Timezone != "Europe/Berlin" {
		t.Fatalf("a refused update changed the user: %+v", after)
	}
}

func TestCliniciansAreAdminOnly(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	patient := env.Patient("Pat")
	nurse := env.Clinician("Nurse Joy", "nurse")
	body := map[string]any{"email": "dr.rivera@clinic.example", "display_name": "Dr. Sam Rivera", "profession": "psychiatrist", "password": "a-long-initial-passphrase"}

	for _, who := range []apitest.User{patient, nurse} {
		env.Post("/v1/clinicians", who.Token, body).Expect(t, http.StatusForbidden).Problem(t)
		env.Get("/v1/clinicians", who.Token).Expect(t, http.StatusForbidden).Problem(t)
	}
	env.Post("/v1/clinicians", "", body).Expect(t, http.StatusUnauthorized)
	env.Get("/v1/clinicians", "").Expect(t, http.StatusUnauthorized)

	var c api.User
	r := env.Post("/v1/clinicians", admin.Token, body).Expect(t, http.StatusCreated)
	noSecrets(t, r)
	r.JSON(t, &c)
	if c.Role != api.RoleClinician || c.Profession == nil || *c.Profession != api.Psychiatrist {
		t.Fatalf("unexpected clinician %+v", c)
	}
	env.Post("/v1/clinicians", admin.Token, map[string]any{"email": "DR.RIVERA@clinic.example", "display_name": "Other", "profession": "nurse", "password": "a-second-long-passphrase"}).
		Expect(t, http.StatusConflict).Problem(t)
	env.Post("/v1/clinicians", admin.Token, map[string]any{"email": "x@clinic.example", "display_name": "X", "profession": "shaman", "password": "another-long-passphrase"}).
		Expect(t, http.StatusBadRequest).Problem(t)

	// The new clinician signs in with the password the admin set.
	var lt api.AuthTokens
	login(env, "dr.rivera@clinic.example", "a-long-initial-passphrase").Expect(t, http.StatusOK).JSON(t, &lt)
	if lt.User.Role != api.RoleClinician {
		t.Fatalf("clinician logged in as %s", lt.User.Role)
	}
}

func TestListCliniciansPages(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	want := map[string]bool{}
	for _, name := range []string{"A", "B", "C", "D", "E"} {
		want[env.Clinician(name, "therapist").ID.String()] = true
	}
	env.Patient("not listed")

	seen := map[string]bool{}
	path := "/v1/clinicians?limit=2"
	pages := 0
	for {
		var pg api.UserPage
		env.Get(path, admin.Token).Expect(t, http.StatusOK).JSON(t, &pg)
		pages++
		for i, u := range pg.Items {
			if seen[u.ID.String()] || !want[u.ID.String()] {
				t.Fatalf("page %d lists %s twice or wrongly", pages, u.ID)
			}
			seen[u.ID.String()] = true
			if i > 0 && pg.Items[i-1].CreatedAt.Before(u.CreatedAt) {
				t.Fatal("not newest first")
			}
		}
		if pg.NextCursor.IsNull() {
			break
		}
		path = "/v1/clinicians?limit=2&cursor=" + pg.NextCursor.MustGet()
	}
	if len(seen) != 5 || pages != 3 {
		t.Fatalf("saw %d clinicians over %d pages, want 5 over 3", len(seen), pages)
	}

	for _, tc := range []struct{ query, field string }{
		{"limit=201", "query.limit"},
		{"limit=0", "query.limit"},
		{"limit=ten", "query.limit"},
		{"cursor=bm90LWEtY3Vyc29y", "query.cursor"},
	} {
		p := env.Get("/v1/clinicians?"+tc.query, admin.Token).Expect(t, http.StatusBadRequest).Problem(t)
		if !slices.Contains(p.Fields(), tc.field) {
			t.Fatalf("%s: problem names %v, want %s", tc.query, p.Fields(), tc.field)
		}
	}
}

// TestConditionalRequests: two devices edit one profile; the second, holding
// a stale ETag, is refused and told the current version, and nothing of the
// first edit is lost.
func TestConditionalRequests(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	p := env.Patient("Sky")
	path := "/v1/patients/" + p.ID.String()

	first := env.Get(path, p.Token).Expect(t, http.StatusOK)
	tag := first.ETag(t)
	// Revalidation: an unchanged record answers 304 with no body.
	nm := env.Do(apitest.Request{Method: http.MethodGet, Path: path, Token: p.Token, Header: http.Header{"If-None-Match": {tag}}})
	if nm.Status != http.StatusNotModified || len(nm.Body) != 0 || nm.Header.Get("ETag") != tag {
		t.Fatalf("If-None-Match with the current tag: %d %q", nm.Status, nm.Body)
	}

	// Device A edits; device B still holds the old tag.
	a := env.PatchIf(path, p.Token, tag, map[string]any{"display_name": "Sky A"}).Expect(t, http.StatusOK)
	if a.ETag(t) == tag {
		t.Fatal("an edit must change the ETag")
	}
	stale := env.PatchIf(path, p.Token, tag, map[string]any{"display_name": "Sky B"}).Expect(t, http.StatusPreconditionFailed)
	var prob struct {
		CurrentVersion int64 `json:"current_version"`
	}
	stale.Problem(t)
	stale.JSON(t, &prob)
	if prob.CurrentVersion != 2 {
		t.Fatalf("412 must carry the current version 2, got %d", prob.CurrentVersion)
	}
	// The old tag no longer revalidates.
	env.Do(apitest.Request{Method: http.MethodGet, Path: path, Token: p.Token, Header: http.Header{"If-None-Match": {tag}}}).Expect(t, http.StatusOK)

	env.Patch(path, p.Token, map[string]any{"display_name": "No tag"}).Expect(t, http.StatusPreconditionRequired).Problem(t)
	env.PatchIf(path, p.Token, `"garbage"`, map[string]any{"display_name": "Bad tag"}).Expect(t, http.StatusPreconditionFailed).Problem(t)

	var now api.Patient
	env.Get(path, p.Token).Expect(t, http.StatusOK).JSON(t, &now)
	if now.DisplayName != "Sky A" || now.Version != 2 {
		t.Fatalf("device A's edit must survive intact: %+v", now)
	}
}
