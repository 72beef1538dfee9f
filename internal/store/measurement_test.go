package store_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/ketacare/api/internal/apitest"
	"github.com/ketacare/api/internal/clock"
	"github.com/ketacare/api/internal/measurement"
	"github.com/ketacare/api/internal/models"
	"github.com/ketacare/api/internal/store"
)

// TestAssessmentAndAlertAreOneTransaction makes the alert's insert fail and
// checks that the assessment went with it: an item-9 answer is never stored
// without the alert that tells the care team.
func TestAssessmentAndAlertAreOneTransaction(t *testing.T) {
	cfg := apitest.Config(t)
	db, err := store.Open(store.Options{DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir, MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if sqlDB, err := db.DB(); err == nil {
			sqlDB.Close()
		}
	})
	ctx := context.Background()
	keys := testKeys(t)
	if err := store.Migrate(ctx, db, slog.New(slog.NewTextHandler(io.Discard, nil)), keys); err != nil {
		t.Fatal(err)
	}
	s := store.New(db, keys, clock.System)
	patient := models.User{Email: "pat@clinic.test", DisplayName: "Pat", Role: models.RolePatient, PasswordHash: "x"}
	if err := s.CreateUser(ctx, &patient); err != nil {
		t.Fatal(err)
	}
	answers := []int{1, 1, 1, 1, 1, 1, 1, 1, 2}
	newAssessment := func() *models.Assessment {
		return &models.Assessment{PatientID: patient.ID, Instrument: measurement.PHQ9, Answers: measurement.EncodeAnswers(answers),
			Total: 10, Severity: measurement.Moderate, TakenAt: clock.System()}
	}
	count := func(model any) int64 {
		var n int64
		if err := db.Model(model).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}

	// An item score of 0 breaks the alerts table's check: the whole write fails.
	if err := s.CreateAssessment(ctx, newAssessment(), &models.SafetyAlert{Reason: "phq9_item9", ItemScore: 0}); err == nil {
		t.Fatal("want the alert's insert to fail")
	}
	if n := count(&models.Assessment{}); n != 0 {
		t.Fatalf("the assessment was stored without its alert (%d rows)", n)
	}

	a := newAssessment()
	if err := s.CreateAssessment(ctx, a, &models.SafetyAlert{Reason: "phq9_item9", ItemScore: 2}); err != nil {
		t.Fatal(err)
	}
	var alert models.SafetyAlert
	if err := db.Where("assessment_id = ?", a.ID).Take(&alert).Error; err != nil {
		t.Fatalf("alert not stored: %v", err)
	}
	if alert.PatientID != patient.ID || alert.Status != models.AlertStatusOpen || alert.Version != 1 || !alert.CreatedAt.Equal(a.CreatedAt) {
		t.Fatalf("alert: %+v", alert)
	}
	if count(&models.Assessment{}) != 1 || count(&models.SafetyAlert{}) != 1 {
		t.Fatal("want one assessment and one alert")
	}
}
