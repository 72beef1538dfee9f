package models

import (
	"time"

	"github.com/google/uuid"
)

// AuditEvent records that a clinician or admin read or changed a patient's
// records: who, whose, what and when, never the content.
type AuditEvent struct {
	ID         uuid.UUID `gorm:"primaryKey"`
	ActorID    uuid.UUID
	ActorRole  string
	PatientID  uuid.UUID
	Action     string // read or write
	Operation  string // the API operation, such as getSharedJournalEntry
	Resource   string // the route, such as /v1/sessions/{session_id}
	ResourceID *uuid.UUID
	RequestID  string
	CreatedAt  time.Time
}

// PageKey is the event's position in lists: newest first.
func (e AuditEvent) PageKey() (time.Time, uuid.UUID) { return e.CreatedAt, e.ID }
