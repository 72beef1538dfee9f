package handlers_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ketacare/api/internal/api"
	"github.com/ketacare/api/internal/apitest"
	"github.com/ketacare/api/internal/models"
)

// newSession stores a completed treatment session of the patient straight
// in the database, in the patient's one active plan (made on first use):
// the journal only needs sessions to refer to.
func newSession(t *testing.T, env *apitest.Env, patientID, clinicianID uuid.UUID) uuid.UUID {
	t.Helper()
	now := env.App.Now()
	var plan models.TreatmentPlan
	err := env.DB.Where("patient_id = ? AND status = ?", patientID, "active").Take(&plan).Error
	if err != nil {
		plan = models.TreatmentPlan{ID: uuid.Must(uuid.NewV7()), PatientID: patientID, CreatedBy: clinicianID,
			StartDate: now.Truncate(24 * time.Hour), SessionsPerWeek: 2, SessionCount: 6, Route: models.RouteIVInfusion,
			Status: "active", Timezone: "UTC", CreatedAt: now, UpdatedAt: now, Version: 1}
		if err := env.DB.Create(&plan).Error; err != nil {
			t.Fatalf("create plan: %v", err)
		}
	}
	var n int64
	env.DB.Model(&models.TreatmentSession{}).Where("plan_id = ?", plan.ID).Count(&n)
	sess := models.TreatmentSession{ID: uuid.Must(uuid.NewV7()), PlanID: plan.ID, PatientID: patientID, Sequence: int(n) + 1,
		ScheduledAt: now.Add(-48 * time.Hour), Status: "completed", Route: models.RouteIVInfusion,
		CreatedAt: now, UpdatedAt: now, Version: 1, PatientUpdatedAt: now, PatientVersion: 1}
	if err := env.DB.Create(&sess).Error; err != nil {
		t.Fatalf("create session: %v", err)
	}
	return sess.ID
}

func postEntry(t *testing.T, env *apitest.Env, token string, body map[string]any) api.JournalEntry {
	t.Helper()
	var e api.JournalEntry
	env.Post("/v1/journal-entries", token, body).Expect(t, http.StatusCreated).JSON(t, &e)
	return e
}

func postGoal(t *testing.T, env *apitest.Env, token string, body map[string]any) api.Goal {
	t.Helper()
	var g api.Goal
	env.Post("/v1/goals", token, body).Expect(t, http.StatusCreated).JSON(t, &g)
	return g
}

func postActivity(t *testing.T, env *apitest.Env, token string, body map[string]any) api.Activity {
	t.Helper()
	var a api.Activity
	env.Post("/v1/activities", token, body).Expect(t, http.StatusCreated).JSON(t, &a)
	return a
}

// entryIDs lists the ids of the entries the path returns to the caller.
func entryIDs(t *testing.T, env *apitest.Env, path, token string) []uuid.UUID {
	t.Helper()
	var pg api.JournalEntryPage
	env.Get(path, token).Expect(t, http.StatusOK).JSON(t, &pg)
	ids := make([]uuid.UUID, len(pg.Items))
	for i, e := range pg.Items {
		ids[i] = e.ID
	}
	return ids
}

// expectInvalid sends a request that must fail validation naming field,
// as a problem document.
func expectInvalid(t *testing.T, env *apitest.Env, method, path, token string, body any, field string) {
	t.Helper()
	p := env.Do(apitest.Request{Method: method, Path: path, Token: token, Body: body, Header: env.IfMatch(method, path)}).
		Expect(t, http.StatusBadRequest).Problem(t)
	if !slices.Contains(p.Fields(), field) {
		t.Fatalf("%s %s %v: problem names %v, want %s", method, path, body, p.Fields(), field)
	}
}

// rawRows reads every row of the table as the database holds it.
func rawRows(t *testing.T, env *apitest.Env, table string) []map[string]any {
	t.Helper()
	var rows []map[string]any
	if err := env.DB.Table(table).Find(&rows).Error; err != nil {
		t.Fatalf("read %s: %v", table, err)
	}
	return rows
}

// rawText renders a raw row's values as text, bytes as they are.
func rawText(row map[string]any) string {
	var b strings.Builder
	for k, v := range row {
		if bs, ok := v.([]byte); ok {
			fmt.Fprintf(&b, "%s=%s\n", k, bs)
		} else {
			fmt.Fprintf(&b, "%s=%v\n", k, v)
		}
	}
	return b.String()
}

// rawKeyID reads the key id stored with one row.
func rawKeyID(t *testing.T, env *apitest.Env, table string, id uuid.UUID) string {
	t.Helper()
	var keyID string
	if err := env.DB.Raw("SELECT key_id FROM "+table+" WHERE id = ?", id).Row().Scan(&keyID); err != nil {
		t.Fatalf("key id of %s %s: %v", table, id, err)
	}
	return keyID
}
