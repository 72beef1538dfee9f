package models

import (
	"time"

	"github.com/google/uuid"
)

// Goal statuses.
const (
	GoalActive   = "active"
	GoalAchieved = "achieved"
	GoalPaused   = "paused"
	GoalDropped  = "dropped"
)

// JournalEntry is one entry of a patient's journal. Title, body and insights
// are sealed (internal/seal) under the key KeyID names; only the store opens
// them.
type JournalEntry struct {
	ID                 uuid.UUID `gorm:"primaryKey"`
	PatientID          uuid.UUID
	SessionID          *uuid.UUID
	PromptKey          *string
	Mood               *int
	SharedWithCareTeam bool
	KeyID              string
	TitleSealed        []byte // nil when the entry has no title
	BodySealed         []byte
	InsightsSealed     []byte // a sealed JSON array of strings
	CreatedAt          time.Time
	UpdatedAt          time.Time
	Version            int64
}

// PageKey is the entry's position in lists.
func (e JournalEntry) PageKey() (time.Time, uuid.UUID) { return e.CreatedAt, e.ID }

// Activity is an act of self-reflection or self-care the patient logged. Its
// note is sealed.
type Activity struct {
	ID              uuid.UUID `gorm:"primaryKey"`
	PatientID       uuid.UUID
	Kind            string
	OccurredAt      time.Time
	DurationMinutes *int
	KeyID           string
	NoteSealed      []byte
	CreatedAt       time.Time
}

// PageKey is the activity's position in lists.
func (a Activity) PageKey() (time.Time, uuid.UUID) { return a.CreatedAt, a.ID }

// Goal is an action the patient means to take, born from an insight. Title,
// why and first step are sealed. LatestProgress and LastCheckInAt mirror
// the newest check-in.
type Goal struct {
	ID                   uuid.UUID `gorm:"primaryKey"`
	PatientID            uuid.UUID
	SourceJournalEntryID *uuid.UUID
	Category             string
	TargetDate           *time.Time
	Status               string
	LatestProgress       *int
	LastCheckInAt        *time.Time
	KeyID                string
	TitleSealed          []byte
	WhySealed            []byte
	FirstStepSealed      []byte
	CreatedAt            time.Time
	UpdatedAt            time.Time
	Version              int64
}

// PageKey is the goal's position in lists.
func (g Goal) PageKey() (time.Time, uuid.UUID) { return g.CreatedAt, g.ID }

// GoalCheckIn records how far along a goal the patient is. Its note is sealed.
type GoalCheckIn struct {
	ID         uuid.UUID `gorm:"primaryKey"`
	GoalID     uuid.UUID
	Progress   int
	KeyID      string
	NoteSealed []byte
	CreatedAt  time.Time
}

// PageKey is the check-in's position in lists.
func (c GoalCheckIn) PageKey() (time.Time, uuid.UUID) { return c.CreatedAt, c.ID }
