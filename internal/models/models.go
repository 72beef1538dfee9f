// Package models holds the GORM models: one struct per table, mirroring the
// SQL migrations in internal/store/migrations. The API never serialises these
// directly; handlers convert them to the generated API types.
package models

import (
	"time"

	"github.com/google/uuid"
)

// Roles a user can have.
const (
	RolePatient   = "patient"
	RoleClinician = "clinician"
	RoleAdmin     = "admin"
)

// User is an account: a patient, a clinician or an admin.
type User struct {
	ID           uuid.UUID `gorm:"primaryKey"`
	Email        string    // stored lower-cased, so uniqueness ignores case
	DisplayName  string
	Role         string
	Profession   *string // clinicians only
	Timezone     string
	PasswordHash string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	Version      int64

	// Patients' profile.
	DateOfBirth                  *time.Time
	EmergencyContactName         *string
	EmergencyContactPhone        *string
	EmergencyContactRelationship *string

	// DeactivatedAt is when a patient erased their own content and closed
	// the account; nil while it is open. A closed account is refused
	// everywhere.
	DeactivatedAt *time.Time
}

// RefreshToken is one single-use refresh token. Tokens minted from one login
// share a FamilyID, so reuse of a rotated token can revoke them all.
type RefreshToken struct {
	ID        uuid.UUID `gorm:"primaryKey"`
	UserID    uuid.UUID
	FamilyID  uuid.UUID
	TokenHash string // SHA-256 of the token; the token itself is never stored
	ExpiresAt time.Time
	UsedAt    *time.Time // set when rotated
	RevokedAt *time.Time // set by logout or reuse detection
	CreatedAt time.Time
}

// PageKey is the position of the user in lists: newest first, id as tie-break.
func (u User) PageKey() (time.Time, uuid.UUID) { return u.CreatedAt, u.ID }

// CareTeamMember puts a clinician on a patient's care team.
type CareTeamMember struct {
	ID          uuid.UUID `gorm:"primaryKey"`
	PatientID   uuid.UUID
	ClinicianID uuid.UUID
	AssignedBy  uuid.UUID
	CreatedAt   time.Time
}

// PageKey is the position of the membership in lists.
func (m CareTeamMember) PageKey() (time.Time, uuid.UUID) { return m.CreatedAt, m.ID }

// All lists every model, for checks that the migrations and models agree.
func All() []any {
	return []any{
		&User{}, &RefreshToken{}, &CareTeamMember{},
		&TreatmentPlan{}, &TreatmentSession{}, &LoginFailure{}, &IdempotencyKey{}, &AuditEvent{},
		// Clinical care models: add below.
		&CandidacyEvaluation{}, &VitalSign{},

		// Integration models: add below.
		&JournalEntry{}, &Activity{}, &Goal{}, &GoalCheckIn{},

		// Measurement and safety models: add below.
		&Assessment{}, &SafetyAlert{}, &MoodCheckIn{},

		// Sync models: add below.
		&SyncHead{}, &SyncChange{},
	}
}
