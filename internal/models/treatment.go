package models

import (
	"time"

	"github.com/google/uuid"
)

// Routes of administration.
const (
	RouteIVInfusion    = "iv_infusion"
	RouteIntramuscular = "intramuscular"
	RouteIntranasal    = "intranasal"
	RouteOral          = "oral"
	RouteSublingual    = "sublingual"
)

// TreatmentPlan is a course of ketamine treatment for one patient.
type TreatmentPlan struct {
	ID                uuid.UUID `gorm:"primaryKey"`
	PatientID         uuid.UUID
	CreatedBy         uuid.UUID
	StartDate         time.Time
	SessionsPerWeek   int
	SessionCount      int
	Route             string
	PreferredWeekdays *string // comma-separated ISO weekdays, 1 = Monday
	PreferredTime     *string // HH:MM in the patient's timezone
	Status            string
	CreatedAt         time.Time
	UpdatedAt         time.Time
	Version           int64
	// EvaluationID is the eligible evaluation the plan was made on.
	EvaluationID *uuid.UUID
	// Timezone is the patient's timezone when the plan was made: the one its
	// sessions were scheduled in and PreferredTime is read in.
	Timezone string
}

// PageKey is the plan's position in lists.
func (p TreatmentPlan) PageKey() (time.Time, uuid.UUID) { return p.CreatedAt, p.ID }

// TreatmentSession is one session of a plan and its five parts. Its words
// (sitter, intention, notes) are sealed under the key KeyID names; the
// store opens them into the fields in the clear, which are no columns.
type TreatmentSession struct {
	ID          uuid.UUID `gorm:"primaryKey"`
	PlanID      uuid.UUID
	PatientID   uuid.UUID
	Sequence    int
	ScheduledAt time.Time
	Status      string
	// 1. Route of administration (clinician).
	Route string
	// 2. Sitter or co-pilot (patient).
	SitterName         *string `gorm:"-"`
	SitterRelationship *string `gorm:"-"`
	SitterPhone        *string `gorm:"-"`
	// 3. Preparation (patient).
	Intention        *string `gorm:"-"`
	FastingConfirmed bool
	RideHomeArranged bool
	SettingPrepared  bool
	MusicReady       bool
	PreparationNotes *string `gorm:"-"`
	// 4. Journey (clinician).
	StartedAt    *time.Time
	EndedAt      *time.Time
	DoseMg       *float64
	DoseMgPerKg  *float64
	JourneyNotes *string `gorm:"-"`
	// 5. Integration (clinician notes; the patient's journal refers to the session).
	TherapistNotes *string `gorm:"-"`
	CreatedAt      time.Time
	// UpdatedAt and Version move with every change: the care team's.
	UpdatedAt time.Time
	Version   int64
	// PatientUpdatedAt and PatientVersion move only when the patient's view
	// (PatientView) changes: the patient's and admins'.
	PatientUpdatedAt time.Time
	PatientVersion   int64

	KeyID                    *string
	SitterNameSealed         Sealed
	SitterRelationshipSealed Sealed
	SitterPhoneSealed        Sealed
	IntentionSealed          Sealed
	PreparationNotesSealed   Sealed
	JourneyNotesSealed       Sealed
	TherapistNotesSealed     Sealed
}

// PatientView is the session as those outside the care team (the patient,
// admins) see it: without the clinical notes, at its view's own version
// and time, so that a note written or changed shows them no change.
func (ts TreatmentSession) PatientView() TreatmentSession {
	ts.JourneyNotes, ts.TherapistNotes = nil, nil
	ts.JourneyNotesSealed, ts.TherapistNotesSealed = nil, nil
	ts.Version, ts.UpdatedAt = ts.PatientVersion, ts.PatientUpdatedAt
	return ts
}
