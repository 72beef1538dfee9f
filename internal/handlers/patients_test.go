package handlers_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/ketacare/api/internal/api"
	"github.com/ketacare/api/internal/apitest"
)

// clinic is a small clinic: a patient with one clinician on their care
// team, and the outsiders who must not see their records.
type clinic struct {
	admin, patient, otherPatient, clinician, outsider apitest.User
}

func newClinic(t *testing.T, env *apitest.Env) clinic {
	t.Helper()
	c := clinic{
		admin:        env.Admin(),
		patient:      env.Patient("Alex Morgan"),
		otherPatient: env.Patient("Blair Other"),
		clinician:    env.Clinician("Dr. Care", "psychiatrist"),
		outsider:     env.Clinician("Dr. Elsewhere", "therapist"),
	}
	env.Put("/v1/patients/"+c.patient.ID.String()+"/care-team/"+c.clinician.ID.String(), c.admin.Token, nil).Expect(t, http.StatusOK)
	return c
}

func TestPatientAccess(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := newClinic(t, env)
	pid := c.patient.ID.String()

	for _, tc := range []struct {
		name   string
		who    apitest.User
		path   string
		status int
	}{
		{"patient reads own profile", c.patient, "/v1/patients/" + pid, 200},
		{"care team reads profile", c.clinician, "/v1/patients/" + pid, 200},
		{"admin reads profile", c.admin, "/v1/patients/" + pid, 200},
		{"another patient", c.otherPatient, "/v1/patients/" + pid, 404},
		{"clinician not on the team", c.outsider, "/v1/patients/" + pid, 404},
		{"no token", apitest.User{}, "/v1/patients/" + pid, 401},
		{"a clinician is not a patient", c.admin, "/v1/patients/" + c.clinician.ID.String(), 404},
		{"missing patient", c.admin, "/v1/patients/0192f5a8-6a2b-7c3d-9e4f-1a2b3c4d5e6f", 404},
		{"care team, patient", c.patient, "/v1/patients/" + pid + "/care-team", 200},
		{"care team, member", c.clinician, "/v1/patients/" + pid + "/care-team", 200},
		{"care team, admin", c.admin, "/v1/patients/" + pid + "/care-team", 200},
		{"care team, another patient", c.otherPatient, "/v1/patients/" + pid + "/care-team", 404},
		{"care team, outsider", c.outsider, "/v1/patients/" + pid + "/care-team", 404},
		{"care team, no token", apitest.User{}, "/v1/patients/" + pid + "/care-team", 401},
		{"list patients as a patient", c.patient, "/v1/patients", 403},
		{"malformed id", c.admin, "/v1/patients/not-a-uuid", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := env.Get(tc.path, tc.who.Token).Expect(t, tc.status)
			if tc.status >= 400 {
				r.Problem(t)
				if strings.Contains(string(r.Body), "Alex Morgan") {
					t.Fatal("a refused request leaked the patient's data")
				}
			}
		})
	}
}

func TestPatientEditsOwnProfile(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := newClinic(t, env)
	path := "/v1/patients/" + c.patient.ID.String()
	contact := map[string]any{"name": "Jordan Lee", "phone": "+1 310 555 0100", "relationship": "partner"}

	var p api.Patient
	tag := env.Get(path, c.patient.Token).Expect(t, http.StatusOK).ETag(t)
	r := env.PatchIf(path, c.patient.Token, tag, map[string]any{"date_of_birth": "1988-04-12", "emergency_contact": contact, "timezone": "America/Denver"}).
		Expect(t, http.StatusOK)
	r.JSON(t, &p)
	tag = r.ETag(t)
	if p.DateOfBirth == nil || p.DateOfBirth.String() != "1988-04-12" || p.EmergencyContact == nil || p.EmergencyContact.Name != "Jordan Lee" || p.Timezone != "America/Denver" || p.Version != 2 {
		t.Fatalf("profile not updated: %+v", p)
	}
	p = api.Patient{} // decode afresh: omitted fields must not linger
	r = env.PatchIf(path, c.patient.Token, tag, map[string]any{"emergency_contact": nil}).Expect(t, http.StatusOK)
	r.JSON(t, &p)
	tag = r.ETag(t)
	if p.EmergencyContact != nil || p.DateOfBirth == nil {
		t.Fatalf("null must clear only that field: %+v", p)
	}

	env.PatchIf(path, c.clinician.Token, tag, map[string]any{"display_name": "X"}).Expect(t, http.StatusForbidden).Problem(t)
	env.PatchIf(path, c.admin.Token, tag, map[string]any{"display_name": "X"}).Expect(t, http.StatusForbidden).Problem(t)
	env.PatchIf(path, c.otherPatient.Token, tag, map[string]any{"display_name": "X"}).Expect(t, http.StatusNotFound).Problem(t)
	env.PatchIf(path, c.outsider.Token, tag, map[string]any{"display_name": "X"}).Expect(t, http.StatusNotFound).Problem(t)
	env.PatchIf(path, "", tag, map[string]any{"display_name": "X"}).Expect(t, http.StatusUnauthorized).Problem(t)
	for body, field := range map[string]string{
		`{"date_of_birth":"2999-01-01"}`:                                          "date_of_birth",
		`{"date_of_birth":"12/04/1988"}`:                                          "date_of_birth",
		`{"emergency_contact":{"name":"J"}}`:                                      "emergency_contact.phone",
		`{"emergency_contact":{"name":"J","phone":"call me","relationship":"x"}}`: "emergency_contact.phone",
	} {
		pr := env.Do(apitest.Request{Method: http.MethodPatch, Path: path, Token: c.patient.Token, Body: body, Header: http.Header{"If-Match": {tag}}}).
			Expect(t, http.StatusBadRequest).Problem(t)
		if !slices.Contains(pr.Fields(), field) {
			t.Errorf("%s: problem names %v, want %s", body, pr.Fields(), field)
		}
	}
	env.Get(path, c.patient.Token).Expect(t, http.StatusOK).JSON(t, &p)
	if p.Version != 3 || p.DisplayName != "Alex Morgan" {
		t.Fatalf("refused edits changed the profile: %+v", p)
	}
}

func TestCareTeamAssignment(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := newClinic(t, env)
	pid := c.patient.ID.String()
	team := "/v1/patients/" + pid + "/care-team/"

	// Assigning again is idempotent.
	var m1, m2 api.CareTeamMember
	env.Put(team+c.clinician.ID.String(), c.admin.Token, nil).Expect(t, http.StatusOK).JSON(t, &m1)
	env.Put(team+c.clinician.ID.String(), c.admin.Token, nil).Expect(t, http.StatusOK).JSON(t, &m2)
	if m1 != m2 || m1.Profession != api.Psychiatrist {
		t.Fatalf("assignment changed on repeat: %+v vs %+v", m1, m2)
	}
	var pg api.CareTeamPage
	env.Get("/v1/patients/"+pid+"/care-team", c.patient.Token).Expect(t, http.StatusOK).JSON(t, &pg)
	if len(pg.Items) != 1 || pg.Items[0].ClinicianID != c.clinician.ID {
		t.Fatalf("care team: %+v", pg.Items)
	}

	// Only admins assign, and only clinicians to patients.
	env.Put(team+c.outsider.ID.String(), c.clinician.Token, nil).Expect(t, http.StatusForbidden)
	env.Put(team+c.outsider.ID.String(), c.patient.Token, nil).Expect(t, http.StatusForbidden)
	env.Put(team+c.outsider.ID.String(), "", nil).Expect(t, http.StatusUnauthorized)
	env.Put(team+c.otherPatient.ID.String(), c.admin.Token, nil).Expect(t, http.StatusNotFound)
	env.Put("/v1/patients/"+c.clinician.ID.String()+"/care-team/"+c.outsider.ID.String(), c.admin.Token, nil).Expect(t, http.StatusNotFound)

	// The clinician's patient list follows the assignment.
	var list api.PatientPage
	env.Get("/v1/patients", c.clinician.Token).Expect(t, http.StatusOK).JSON(t, &list)
	if len(list.Items) != 1 || list.Items[0].ID != c.patient.ID {
		t.Fatalf("clinician sees %+v, want only their patient", list.Items)
	}
	env.Get("/v1/patients", c.outsider.Token).Expect(t, http.StatusOK).JSON(t, &list)
	if len(list.Items) != 0 {
		t.Fatalf("unassigned clinician sees %d patients", len(list.Items))
	}
	env.Get("/v1/patients", c.admin.Token).Expect(t, http.StatusOK).JSON(t, &list)
	if len(list.Items) != 2 {
		t.Fatalf("admin sees %d patients, want 2", len(list.Items))
	}
	env.Get("/v1/patients?q=MORG", c.admin.Token).Expect(t, http.StatusOK).JSON(t, &list)
	if len(list.Items) != 1 || list.Items[0].ID != c.patient.ID {
		t.Fatalf("search found %+v", list.Items)
	}
	env.Get("/v1/patients?q=%25", c.admin.Token).Expect(t, http.StatusOK).JSON(t, &list)
	if len(list.Items) != 0 {
		t.Fatal("a % in the search must match literally")
	}

	// Unassigning removes access at once; repeating it is harmless.
	env.DeleteIf(team+c.clinician.ID.String(), c.clinician.Token, env.Tag(team+c.clinician.ID.String())).Expect(t, http.StatusForbidden)
	env.DeleteIf(team+c.clinician.ID.String(), c.admin.Token, env.Tag(team+c.clinician.ID.String())).Expect(t, http.StatusNoContent)
	env.DeleteIf(team+c.clinician.ID.String(), c.admin.Token, env.Tag(team+c.clinician.ID.String())).Expect(t, http.StatusNoContent)
	env.Get("/v1/patients/"+pid, c.clinician.Token).Expect(t, http.StatusNotFound)
}
