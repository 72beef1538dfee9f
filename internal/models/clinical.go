package models

import (
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Outcomes of a candidacy evaluation.
const (
	OutcomeEligible             = "eligible"
	OutcomeNotEligible          = "not_eligible"
	OutcomeNeedsMoreInformation = "needs_more_information"
)

// Statuses of a treatment plan.
const (
	PlanStatusActive    = "active"
	PlanStatusCompleted = "completed"
	PlanStatusCancelled = "cancelled"
)

// Statuses of a treatment session.
const (
	SessionStatusScheduled  = "scheduled"
	SessionStatusInProgress = "in_progress"
	SessionStatusCompleted  = "completed"
	SessionStatusCancelled  = "cancelled"
	SessionStatusNoShow     = "no_show"
)

// CandidacyEvaluation is a clinician's evaluation of whether a patient is a
// candidate for ketamine therapy. It is a clinical record and never changes:
// a later evaluation supersedes it. The notes are sealed under the key
// KeyID names; the store opens them into ClinicianNotes, which is no column.
type CandidacyEvaluation struct {
	ID                   uuid.UUID `gorm:"primaryKey"`
	PatientID            uuid.UUID
	EvaluatedBy          uuid.UUID
	EvaluatedAt          time.Time
	Outcome              string
	Contraindications    string // comma-separated, from the fixed list; empty for none
	BaselineSystolic     *int
	BaselineDiastolic    *int
	KeyID                *string
	ClinicianNotesSealed Sealed
	ClinicianNotes       *string `gorm:"-"` // care team only
	CreatedAt            time.Time
}

// ContraindicationList returns the contraindications found, in the order recorded.
func (e CandidacyEvaluation) ContraindicationList() []string {
	if e.Contraindications == "" {
		return []string{}
	}
	return strings.Split(e.Contraindications, ",")
}

// WeekdayList returns the plan's preferred ISO weekdays (1 = Monday), or nil
// when the plan was made without any.
func (p TreatmentPlan) WeekdayList() []int {
	if p.PreferredWeekdays == nil || *p.PreferredWeekdays == "" {
		return nil
	}
	parts := strings.Split(*p.PreferredWeekdays, ",")
	days := make([]int, 0, len(parts))
	for _, s := range parts {
		if d, err := strconv.Atoi(s); err == nil {
			days = append(days, d)
		}
	}
	return days
}

// VitalSign is one reading taken during a session. Readings are records and
// never change.
type VitalSign struct {
	ID         uuid.UUID `gorm:"primaryKey"`
	SessionID  uuid.UUID
	RecordedBy uuid.UUID
	TakenAt    time.Time
	Systolic   int
	Diastolic  int
	HeartRate  int
	Spo2       int
	CreatedAt  time.Time
}
