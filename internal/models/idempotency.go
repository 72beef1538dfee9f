package models

import (
	"time"

	"github.com/google/uuid"
)

// IdempotencyKey is a request made with an Idempotency-Key header, and once
// it has finished, the response to replay to its retries.
type IdempotencyKey struct {
	UserID      uuid.UUID `gorm:"primaryKey"`
	IdemKey     string    `gorm:"primaryKey"`
	Fingerprint string
	Status      *int // nil while the first request runs
	ContentType *string
	ETag        *string `gorm:"column:etag"`
	KeyID       *string
	BodySealed  []byte
	PatientIDs  *string // comma-separated; whose records a staff request touched
	CreatedAt   time.Time
	CompletedAt *time.Time
}
