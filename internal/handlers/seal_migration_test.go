package handlers_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ketacare/api/internal/api"
	"github.com/ketacare/api/internal/apitest"
	"github.com/ketacare/api/internal/clock"
	"github.com/ketacare/api/internal/models"
	"github.com/ketacare/api/internal/seal"
	"github.com/ketacare/api/internal/store"
)

// TestMigrationSealsExistingText writes clinical records the way the
// service did before migration 00110, free text in the clear, then starts
// the service on that database: its migrations seal every value, more rows
// than one batch, and drop the clear columns. The API reads back each word
// as it was written, and no table holds it in the clear.
func TestMigrationSealsExistingText(t *testing.T) {
	t.Parallel()
	cfg := apitest.Config(t)
	db, err := store.Open(store.Options{DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir, MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	throwaway, _ := seal.NewKey()
	keys, _ := seal.NewKeyring(throwaway)
	if err := store.MigrateTo(context.Background(), db, slog.New(slog.DiscardHandler), keys, 109); err != nil {
		t.Fatal(err)
	}

	m := clinicalMarkers
	now := clock.System()
	patient := models.User{ID: uuid.Must(uuid.NewV7()), Role: models.RolePatient, DisplayName: "Alex Morgan", Email: "alex@clinic.test"}
	clinician := models.User{ID: uuid.Must(uuid.NewV7()), Role: models.RoleClinician, DisplayName: "Dr. Care", Email: "care@clinic.test"}
	insert := func(table string, rows ...map[string]any) {
		t.Helper()
		if err := db.Table(table).Create(rows).Error; err != nil {
			t.Fatalf("insert into %s: %v", table, err)
		}
	}
	user := func(u models.User) map[string]any {
		return map[string]any{"id": u.ID, "email": u.Email, "display_name": u.DisplayName, "role": u.Role,
			"timezone": "UTC", "password_hash": "x", "created_at": now, "updated_at": now, "version": 1}
	}
	withContact := user(patient)
	withContact["emergency_contact_name"] = m["emergency_contact.name"]
	withContact["emergency_contact_phone"] = m["emergency_contact.phone"]
	withContact["emergency_contact_relationship"] = m["emergency_contact.relationship"]
	doctor := user(clinician)
	doctor["profession"] = "psychiatrist"
	insert("users", withContact, doctor)
	insert("care_team_members", map[string]any{"id": uuid.Must(uuid.NewV7()), "patient_id": patient.ID,
		"clinician_id": clinician.ID, "assigned_by": clinician.ID, "created_at": now})
	evaluation := uuid.Must(uuid.NewV7())
	insert("candidacy_evaluations", map[string]any{"id": evaluation, "patient_id": patient.ID, "evaluated_by": clinician.ID,
		"evaluated_at": now, "outcome": "needs_more_information", "contraindications": "",
		"clinician_notes": m["evaluation.clinician_notes"], "created_at": now})
	assessment, alert := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	insert("assessments", map[string]any{"id": assessment, "patient_id": patient.ID, "instrument": "phq9",
		"answers": "1,1,1,1,1,1,0,0,3", "total": 9, "severity": "mild", "taken_at": now, "created_at": now})
	insert("safety_alerts", map[string]any{"id": alert, "patient_id": patient.ID, "assessment_id": assessment,
		"reason": "phq9_item9", "item_score": 3, "status": "acknowledged", "acknowledged_by": clinician.ID,
		"acknowledged_at": now, "acknowledgement_note": m["alert.acknowledgement_note"],
		"created_at": now, "updated_at": now, "version": 2})

	// 21 plans of 24 sessions: more rows than the migration seals at once.
	// The first session has every field; every other one a journey note of
	// its own; every seventh nothing at all.
	var first uuid.UUID
	journeyNotes := map[uuid.UUID]string{}
	for p := range 21 {
		plan := uuid.Must(uuid.NewV7())
		insert("treatment_plans", map[string]any{"id": plan, "patient_id": patient.ID, "created_by": clinician.ID,
			"start_date": now.Truncate(24 * time.Hour), "sessions_per_week": 2, "session_count": 24, "route": "iv_infusion",
			"status": "completed", "created_at": now, "updated_at": now, "version": 1, "timezone": "UTC"})
		sessions := make([]map[string]any, 24)
		for i := range sessions {
			id := uuid.Must(uuid.NewV7())
			s := map[string]any{"id": id, "plan_id": plan, "patient_id": patient.ID, "sequence": i + 1,
				"scheduled_at": now.Add(time.Duration(p*24+i) * time.Hour), "status": "scheduled", "route": "iv_infusion",
				"created_at": now, "updated_at": now, "version": 1}
			switch {
			case p == 0 && i == 0:
				first = id
				s["sitter_name"], s["sitter_relationship"], s["sitter_phone"] = m["sitter.name"], m["sitter.relationship"], m["sitter.phone"]
				s["intention"], s["preparation_notes"] = m["preparation.intention"], m["preparation.notes"]
				s["journey_notes"], s["therapist_notes"] = m["journey.notes"], m["integration.therapist_notes"]
				journeyNotes[id] = m["journey.notes"]
			case i%7 != 0:
				journeyNotes[id] = fmt.Sprintf("Gentle descent number %d-%d", p, i)
				s["journey_notes"] = journeyNotes[id]
			}
			sessions[i] = s
		}
		insert("treatment_sessions", sessions...)
	}
	if sqlDB, err := db.DB(); err == nil {
		sqlDB.Close()
	}

	env := apitest.Boot(t, cfg)
	c := clinic{patient: env.SignedIn(patient), clinician: env.SignedIn(clinician)}
	words := clinicalWords{evaluation: evaluation, alert: alert}
	words.readBack(t, env, c, api.TreatmentSession{ID: first})

	all := listAllSessions(t, env, c.clinician.Token, "/v1/sessions?patient_id="+patient.ID.String(), 200)
	if len(all) != 21*24 {
		t.Fatalf("%d sessions, want %d", len(all), 21*24)
	}
	markers := slices.Collect(func(yield func(string) bool) {
		for _, w := range m {
			yield(w)
		}
	})
	for _, s := range all {
		want, noted := journeyNotes[s.ID]
		if noted != (s.Journey.Notes != nil) || (noted && *s.Journey.Notes != want) {
			t.Fatalf("session %d: journey notes %v, want %q", s.Sequence, s.Journey.Notes, want)
		}
		if noted && s.ID != first {
			markers = append(markers, want)
		}
	}
	expectNoClearRows(t, env, markers)

	// The clear columns are gone; a session with nothing to seal stays
	// without a key id.
	for _, table := range []string{"users", "treatment_sessions", "candidacy_evaluations", "safety_alerts"} {
		cols, err := env.DB.Migrator().ColumnTypes(table)
		if err != nil {
			t.Fatal(err)
		}
		for _, col := range cols {
			for _, gone := range []string{"emergency_contact_name", "sitter_name", "intention", "journey_notes", "therapist_notes",
				"preparation_notes", "clinician_notes", "acknowledgement_note"} {
				if col.Name() == gone {
					t.Errorf("%s still has the column %s", table, gone)
				}
			}
		}
	}
	var unsealed int64
	env.DB.Table("treatment_sessions").Where("key_id IS NULL").Count(&unsealed)
	if want := int64(21*4 - 1); unsealed != want {
		t.Errorf("%d sessions without a key id, want the %d that had no text", unsealed, want)
	}
}
