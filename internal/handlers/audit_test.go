package handlers_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/ketacare/api/internal/api"
	"github.com/ketacare/api/internal/apitest"
)

// TestAuditTrail: a clinician's and an admin's reads and changes of a
// patient's records are recorded, the patient's own are not; the patient
// sees who accessed them; the trail holds no content and cannot be edited.
func TestAuditTrail(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	c := newClinic(t, env)
	entry := postEntry(t, env, c.patient.Token, map[string]any{"body": "A private thought.", "shared_with_care_team": true})
	pid := c.patient.ID.String()
	env.Get("/v1/patients/"+pid, c.patient.Token).Expect(t, http.StatusOK)
	env.Get("/v1/patients/"+pid+"/journal-entries/"+entry.ID.String(), c.clinician.Token).Expect(t, http.StatusOK)
	env.Get("/v1/patients/"+pid, c.admin.Token).Expect(t, http.StatusOK)
	env.Get("/v1/patients/"+pid, c.outsider.Token).Expect(t, http.StatusNotFound)

	var log api.AuditEventPage
	env.Get("/v1/me/access-log", c.patient.Token).Expect(t, http.StatusOK).JSON(t, &log)
	// Newest first: the admin's read, the clinician's read, then the admin's
	// assignment of the clinician when the clinic was set up.
	if len(log.Items) != 3 {
		t.Fatalf("access log has %d events, want 3: %+v", len(log.Items), log.Items)
	}
	admin, clinician, assign := log.Items[0], log.Items[1], log.Items[2]
	if admin.ActorID != c.admin.ID || admin.Action != api.Read || admin.Operation != "getPatient" {
		t.Errorf("admin event: %+v", admin)
	}
	if clinician.ActorID != c.clinician.ID || clinician.Operation != "getSharedJournalEntry" ||
		clinician.ResourceID == nil || *clinician.ResourceID != entry.ID || clinician.ActorName == nil || *clinician.ActorName != "Dr. Care" {
		t.Errorf("clinician event: %+v", clinician)
	}
	if assign.Action != api.Write || assign.Operation != "assignClinician" {
		t.Errorf("assignment event: %+v", assign)
	}

	// Admins read the whole trail, or one patient's; nobody else may.
	var all api.AuditEventPage
	env.Get("/v1/audit-events?patient_id="+pid, c.admin.Token).Expect(t, http.StatusOK).JSON(t, &all)
	if len(all.Items) < 3 {
		t.Fatalf("admin sees %d events", len(all.Items))
	}
	var later api.AuditEventPage
	env.Get("/v1/audit-events?patient_id="+pid+"&updated_since="+url.QueryEscape(log.Items[0].OccurredAt.Format(time.RFC3339Nano)), c.admin.Token).
		Expect(t, http.StatusOK).JSON(t, &later)
	if len(later.Items) == 0 || len(later.Items) >= len(all.Items) {
		t.Fatalf("updated_since kept %d of %d events", len(later.Items), len(all.Items))
	}
	var paged api.AuditEventPage
	env.Get("/v1/me/access-log?limit=2", c.patient.Token).Expect(t, http.StatusOK).JSON(t, &paged)
	if len(paged.Items) != 2 || paged.NextCursor.IsNull() {
		t.Fatalf("a page of 2 of 3 events must have a next cursor: %+v", paged)
	}
	env.Get("/v1/audit-events", c.clinician.Token).Expect(t, http.StatusForbidden)
	env.Get("/v1/me/access-log", c.clinician.Token).Expect(t, http.StatusForbidden)
	env.Get("/v1/me/access-log", "").Expect(t, http.StatusUnauthorized)

	// Append-only, in the database itself.
	if err := env.DB.Exec("UPDATE audit_events SET actor_role = 'admin'").Error; err == nil {
		t.Fatal("the trail must refuse updates")
	}
	if err := env.DB.Exec("DELETE FROM audit_events").Error; err == nil {
		t.Fatal("the trail must refuse deletes")
	}
	for _, row := range rawRows(t, env, "audit_events") {
		for _, v := range row {
			if s, ok := v.(string); ok && s == "A private thought." {
				t.Fatal("the trail must hold no content")
			}
		}
	}
}
