package main

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestSeedDemo runs `api seed-demo` as the README says on a fresh database,
// serves the API from it, signs in over HTTP as every login it printed and
// checks what each of them sees; a second run, and any run with
// APP_ENV=production, refuses.
func TestSeedDemo(t *testing.T) {
	b := buildBinary(t)
	// The README's way: no ADMIN_EMAIL, so the seeder makes a demo admin.
	newcomer := []string{"ADMIN_EMAIL=", "ADMIN_PASSWORD="}

	_, stderr, err := b.run(t, append(newcomer, "APP_ENV=production", "JWT_SECRET=demo-test-secret-0123456789-ABCDEFGH",
		"DATABASE_URL=postgres://nobody@127.0.0.1:1/none", "DATA_ENCRYPTION_KEY="+base64.StdEncoding.EncodeToString([]byte("a demo test key, never for real!"))), "seed-demo")
	if err == nil || !strings.Contains(stderr, "refuses to run with APP_ENV=production") {
		t.Fatalf("seed-demo in production: err %v, stderr %q", err, stderr)
	}

	stdout, stderr, err := b.run(t, newcomer, "seed-demo")
	if err != nil {
		t.Fatalf("seed-demo: %v\n%s\n%s", err, stdout, stderr)
	}
	logins := map[string]login{}
	for _, line := range strings.Split(stdout, "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && (f[0] == "admin" || f[0] == "clinician" || f[0] == "patient") {
			logins[strings.Split(f[1], "@")[0]] = login{role: f[0], email: f[1], password: f[2]}
		}
	}
	if len(logins) != 6 {
		t.Fatalf("seed-demo printed %d logins, want 6:\n%s", len(logins), stdout)
	}

	again, stderr, err := b.run(t, newcomer, "seed-demo")
	if err == nil || !strings.Contains(stderr, "seed-demo refuses to run: the database already holds accounts") || again != "" {
		t.Fatalf("second seed-demo: err %v, stdout %q, stderr %q", err, again, stderr)
	}

	srv := b.start(t)
	tok := map[string]string{}
	for name, l := range logins {
		res := call(t, "POST", srv.base+"/v1/auth/login", "", fmt.Sprintf(`{"email":%q,"password":%q}`, l.email, l.password), 200)
		tok[name] = res["access_token"].(string)
		if me := call(t, "GET", srv.base+"/v1/me", tok[name], "", 200); me["role"] != l.role {
			t.Errorf("%s signs in as %v, printed as %s", l.email, me["role"], l.role)
		}
	}
	get := func(who, path string) map[string]any { return call(t, "GET", srv.base+path, tok[who], "", 200) }
	items := func(m map[string]any) []any { return m["items"].([]any) }
	id := func(who string) string { return get(who, "/v1/me")["id"].(string) }

	// The admin and the psychiatrist see the three patients and Avery's open
	// alert; the therapist, on two care teams, two patients and no alert.
	for who, want := range map[string][2]int{"admin": {3, 1}, "morgan.reyes": {3, 1}, "robin.hale": {2, 0}} {
		if n := len(items(get(who, "/v1/patients"))); n != want[0] {
			t.Errorf("%s sees %d patients, want %d", who, n, want[0])
		}
		if n := len(items(get(who, "/v1/alerts?status=open"))); n != want[1] {
			t.Errorf("%s sees %d open alerts, want %d", who, n, want[1])
		}
	}
	if alerts := items(get("morgan.reyes", "/v1/alerts?status=open")); len(alerts) == 1 && alerts[0].(map[string]any)["patient_id"] != id("avery") {
		t.Errorf("the open alert is not Avery's: %v", alerts[0])
	}

	// Casey finished the course: six sessions of six, PHQ-9 responder and in
	// remission, one goal achieved.
	casey := get("casey", "/v1/patients/"+id("casey")+"/progress")
	phq := casey["phq9"].(map[string]any)
	if sessions := casey["sessions"].(map[string]any); sessions["completed"] != 6.0 || sessions["planned"] != 6.0 ||
		phq["response"] != true || phq["remission"] != true || casey["goals"].(map[string]any)["achieved"] != 1.0 {
		t.Errorf("Casey's progress: %v", casey)
	}

	// Blake is mid-course: three of six sessions, scores improving, four
	// journal entries of which the therapist reads the two shared ones.
	blakeID := id("blake")
	blake := get("blake", "/v1/patients/"+blakeID+"/progress")
	phq = blake["phq9"].(map[string]any)
	if sessions := blake["sessions"].(map[string]any); sessions["completed"] != 3.0 || sessions["planned"] != 6.0 ||
		phq["count"] != 3.0 || phq["change_points"].(float64) >= 0 {
		t.Errorf("Blake's progress: %v", blake)
	}
	if n := len(items(get("blake", "/v1/journal-entries"))); n != 4 {
		t.Errorf("Blake has %d journal entries, want 4", n)
	}
	if n := len(items(get("robin.hale", "/v1/patients/"+blakeID+"/journal-entries"))); n != 2 {
		t.Errorf("the therapist reads %d of Blake's entries, want the 2 shared", n)
	}
	if n := len(items(get("blake", "/v1/goals"))); n != 2 {
		t.Errorf("Blake has %d goals, want 2", n)
	}
	for _, who := range []string{"blake", "avery"} {
		if !hasKind(items(get(who, "/v1/me/agenda")), "session_preparation") {
			t.Errorf("%s's agenda has no session preparation: %v", who, get(who, "/v1/me/agenda"))
		}
	}

	// Avery's course has not begun: six sessions, the first in the future,
	// its preparation begun.
	sessions := items(get("avery", "/v1/sessions"))
	if len(sessions) != 6 {
		t.Fatalf("Avery has %d sessions, want 6", len(sessions))
	}
	for _, s := range sessions {
		s := s.(map[string]any)
		at, _ := time.Parse(time.RFC3339, s["scheduled_at"].(string))
		if s["status"] != "scheduled" || !at.After(time.Now()) {
			t.Errorf("Avery's session %v: %v at %v", s["sequence"], s["status"], at)
		}
		if s["sequence"] == 1.0 && s["preparation"].(map[string]any)["intention"] == nil {
			t.Errorf("Avery's first session has no intention: %v", s)
		}
	}
}

type login struct{ role, email, password string }

// hasKind reports whether the agenda's items include one of the kind.
func hasKind(items []any, kind string) bool {
	for _, it := range items {
		if it.(map[string]any)["kind"] == kind {
			return true
		}
	}
	return false
}
