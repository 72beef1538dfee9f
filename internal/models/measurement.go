package models

import (
	"time"

	"github.com/google/uuid"
)

// Assessment is one completed PHQ-9 or GAD-7, scored by the server. It is a
// clinical record and never changes once stored.
type Assessment struct {
	ID         uuid.UUID `gorm:"primaryKey"`
	PatientID  uuid.UUID
	Instrument string
	Answers    string // comma-separated item answers, in item order
	Total      int
	Severity   string
	SessionID  *uuid.UUID
	TakenAt    time.Time
	CreatedAt  time.Time
}

// PageKey is the assessment's position in lists.
func (a Assessment) PageKey() (time.Time, uuid.UUID) { return a.CreatedAt, a.ID }

// Safety alert statuses.
const (
	AlertStatusOpen         = "open"
	AlertStatusAcknowledged = "acknowledged"
)

// SafetyAlert asks the patient's care team to follow up an answer. It holds
// only what a clinician needs to act, never the answers or notes. The
// acknowledgement note is sealed under the key KeyID names; the store opens
// it into AcknowledgementNote, which is no column.
type SafetyAlert struct {
	ID                        uuid.UUID `gorm:"primaryKey"`
	PatientID                 uuid.UUID
	AssessmentID              uuid.UUID
	Reason                    string // why it was raised, such as "phq9_item9"
	ItemScore                 int
	Status                    string
	AcknowledgedBy            *uuid.UUID
	AcknowledgedAt            *time.Time
	KeyID                     *string
	AcknowledgementNoteSealed Sealed
	AcknowledgementNote       *string `gorm:"-"`
	CreatedAt                 time.Time
	UpdatedAt                 time.Time
	Version                   int64
}

// PageKey is the alert's position in lists.
func (a SafetyAlert) PageKey() (time.Time, uuid.UUID) { return a.CreatedAt, a.ID }

// MoodCheckIn is a patient's quick rating of their mood between
// questionnaires. It never changes once stored. The note is sealed under
// the key KeyID names; only the store opens it.
type MoodCheckIn struct {
	ID         uuid.UUID `gorm:"primaryKey"`
	PatientID  uuid.UUID
	Mood       int
	Anxiety    *int
	KeyID      string
	NoteSealed []byte // nil without a note
	TakenAt    time.Time
	CreatedAt  time.Time
}

// PageKey is the check-in's position in lists.
func (m MoodCheckIn) PageKey() (time.Time, uuid.UUID) { return m.CreatedAt, m.ID }
