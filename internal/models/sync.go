package models

import (
	"time"

	"github.com/google/uuid"
)

// SyncHead counts the changes logged for one patient: the seq of their
// latest change. Database triggers write it; the application only reads it
// and, when pruning, raises PrunedSeq.
type SyncHead struct {
	PatientID uuid.UUID `gorm:"primaryKey"`
	Seq       int64
	// PrunedSeq is the highest seq among the patient's pruned tombstones.
	PrunedSeq int64
}

// SyncChange is the latest change to one record of a patient, as database
// triggers logged it: the record's type and id, the seq of the change and,
// for a deletion, when it happened.
type SyncChange struct {
	RecordType string    `gorm:"primaryKey"`
	RecordID   uuid.UUID `gorm:"primaryKey"`
	PatientID  uuid.UUID `gorm:"primaryKey"`
	Seq        int64
	DeletedAt  *time.Time
}
