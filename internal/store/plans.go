package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/ketacare/api/internal/apperr"
	"github.com/ketacare/api/internal/models"
	"github.com/ketacare/api/internal/scheduling"
)

// errActivePlan is the answer when a patient already has an active plan.
const errActivePlan = "The patient already has an active treatment plan; complete or cancel it first."

// NewPlan is what a clinician asks for when making a treatment plan.
type NewPlan struct {
	// ID is the client's id for the plan, or uuid.Nil for a new one.
	ID    uuid.UUID
	Route string
	scheduling.Plan
}

// CreatePlan makes a treatment plan for the patient and schedules its
// sessions in the patient's timezone, in one transaction: either the plan and
// every session exist afterwards, or nothing does. The patient's latest
// evaluation must be eligible and they must have no other active plan
// (Conflict otherwise).
func (s *Store) CreatePlan(ctx context.Context, patientID, clinicianID uuid.UUID, np NewPlan) (models.TreatmentPlan, error) {
	var plan models.TreatmentPlan
	err := s.conn(ctx).Transaction(func(tx *gorm.DB) error {
		var patient models.User
		if err := tx.Where("id = ? AND role = ?", patientID, models.RolePatient).Take(&patient).Error; err != nil {
			return found(err, "patient")
		}
		loc, err := time.LoadLocation(patient.Timezone)
		if err != nil {
			return fmt.Errorf("patient %s has timezone %q: %w", patientID, patient.Timezone, err)
		}
		now := s.now()
		times, err := np.SessionTimes(loc, now)
		if err != nil {
			return err
		}
		ev, err := latestEvaluation(tx, patientID)
		if err != nil {
			return err
		}
		if err := eligibleForPlan(ev); err != nil {
			return err
		}
		var active int64
		if err := tx.Model(&models.TreatmentPlan{}).Where("patient_id = ? AND status = ?", patientID, models.PlanStatusActive).Count(&active).Error; err != nil {
			return err
		}
		if active > 0 {
			return apperr.New(apperr.Conflict, errActivePlan)
		}
		if np.ID == uuid.Nil {
			np.ID = uuid.Must(uuid.NewV7())
		}
		plan = models.TreatmentPlan{
			ID: np.ID, PatientID: patientID, CreatedBy: clinicianID, EvaluationID: &ev.ID,
			StartDate: scheduling.CivilDate(np.StartDate), SessionsPerWeek: np.SessionsPerWeek, SessionCount: np.SessionCount,
			Route: np.Route, PreferredTime: &np.TimeOfDay, Timezone: patient.Timezone,
			Status: models.PlanStatusActive, CreatedAt: now, UpdatedAt: now, Version: 1,
		}
		if len(np.Weekdays) > 0 {
			days := make([]string, len(np.Weekdays))
			for i, d := range np.Weekdays {
				days[i] = strconv.Itoa(d)
			}
			joined := strings.Join(days, ",")
			plan.PreferredWeekdays = &joined
		}
		// The unique index on active plans catches a concurrent request that
		// passed the check above at the same moment.
		if err := tx.Create(&plan).Error; err != nil {
			return translate(err, errActivePlan)
		}
		sessions := make([]models.TreatmentSession, len(times))
		for i, at := range times {
			sessions[i] = models.TreatmentSession{
				ID: uuid.Must(uuid.NewV7()), PlanID: plan.ID, PatientID: patientID, Sequence: i + 1,
				ScheduledAt: at, Status: models.SessionStatusScheduled, Route: plan.Route,
				CreatedAt: now, UpdatedAt: now, Version: 1, PatientUpdatedAt: now, PatientVersion: 1,
			}
		}
		return tx.Create(&sessions).Error
	})
	return plan, translate(err, errActivePlan)
}

// eligibleForPlan says why a plan cannot be made on the latest evaluation,
// if it cannot.
func eligibleForPlan(ev *models.CandidacyEvaluation) error {
	const need = "a treatment plan needs an eligible evaluation."
	if ev == nil {
		return apperr.New(apperr.Conflict, "The patient has no candidacy evaluation yet; %s", need)
	}
	on := ev.EvaluatedAt.UTC().Format(time.DateOnly)
	switch ev.Outcome {
	case models.OutcomeEligible:
		return nil
	case models.OutcomeNotEligible:
		return apperr.New(apperr.Conflict, "The patient's latest candidacy evaluation (%s) found them not eligible; %s", on, need)
	default:
		return apperr.New(apperr.Conflict, "The patient's latest candidacy evaluation (%s) needs more information; %s", on, need)
	}
}

// ListPlans returns one page of the patient's plans, newest first.
func (s *Store) ListPlans(ctx context.Context, patientID uuid.UUID, p Page) ([]models.TreatmentPlan, *string, error) {
	return paginate[models.TreatmentPlan](p.changedSince(s.conn(ctx).Where("patient_id = ?", patientID), "updated_at"), p)
}

// PlanOfPatient returns the plan when it is the patient's; anyone else's is
// NotFound, like a missing one.
func (s *Store) PlanOfPatient(ctx context.Context, planID, patientID uuid.UUID) (models.TreatmentPlan, error) {
	var plan models.TreatmentPlan
	err := s.conn(ctx).Where("id = ? AND patient_id = ?", planID, patientID).Take(&plan).Error
	return plan, found(err, "treatment plan")
}

// SetPlanStatus completes or cancels the patient's active plan. Completing
// needs every session finished; cancelling cancels the sessions still
// scheduled, in the same transaction. Asking for the status the plan already
// has changes nothing. With expected != 0 the plan must still be at that
// version.
func (s *Store) SetPlanStatus(ctx context.Context, planID, patientID uuid.UUID, expected int64, status string) (models.TreatmentPlan, error) {
	var plan models.TreatmentPlan
	err := s.conn(ctx).Transaction(func(tx *gorm.DB) error {
		if err := forUpdate(tx).Where("id = ? AND patient_id = ?", planID, patientID).Take(&plan).Error; err != nil {
			return found(err, "treatment plan")
		}
		if err := checkVersion("treatment plan", plan.Version, expected); err != nil {
			return err
		}
		if plan.Status == status {
			return nil
		}
		if plan.Status != models.PlanStatusActive {
			return apperr.New(apperr.Conflict, "The plan is %s, which is final.", plan.Status)
		}
		now := s.now()
		switch status {
		case models.PlanStatusCompleted:
			var open int64
			err := tx.Model(&models.TreatmentSession{}).
				Where("plan_id = ? AND status IN ?", planID, []string{models.SessionStatusScheduled, models.SessionStatusInProgress}).
				Count(&open).Error
			if err != nil {
				return err
			}
			if open > 0 {
				return apperr.New(apperr.Conflict, "%d of the plan's sessions are still scheduled or in progress; record them, or cancel the plan.", open)
			}
		case models.PlanStatusCancelled:
			err := tx.Model(&models.TreatmentSession{}).
				Where("plan_id = ? AND status = ?", planID, models.SessionStatusScheduled).
				Updates(map[string]any{"status": models.SessionStatusCancelled, "updated_at": now, "version": gorm.Expr("version + 1"),
					"patient_updated_at": now, "patient_version": gorm.Expr("patient_version + 1")}).Error
			if err != nil {
				return err
			}
		default:
			return ErrPlanStatus
		}
		plan.Status, plan.UpdatedAt, plan.Version = status, now, plan.Version+1
		return tx.Model(&models.TreatmentPlan{}).Where("id = ?", planID).
			Updates(map[string]any{"status": status, "updated_at": now, "version": plan.Version}).Error
	})
	return plan, translate(err, "")
}
