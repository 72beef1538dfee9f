// Package models holds the GORM models: one struct per table, mirroring the
// SQL migrations in internal/store/migrations. The API never serialises these
// directly; handlers convert them to the generated API types.
package models

import (
	"database/sql/driver"
	"fmt"
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

	// Patients' profile. The emergency contact is sealed (internal/seal)
	// under the key KeyID names; the store opens it into the fields in the
	// clear, which are no columns.
	DateOfBirth                        *time.Time
	KeyID                              *string
	EmergencyContactNameSealed         Sealed
	EmergencyContactPhoneSealed        Sealed
	EmergencyContactRelationshipSealed Sealed
	EmergencyContactName               *string `gorm:"-"`
	EmergencyContactPhone              *string `gorm:"-"`
	EmergencyContactRelationship       *string `gorm:"-"`

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
		// Clinical care models.
		&CandidacyEvaluation{}, &VitalSign{},

		// Integration models.
		&JournalEntry{}, &Activity{}, &Goal{}, &GoalCheckIn{},

		// Measurement and safety models.
		&Assessment{}, &SafetyAlert{}, &MoodCheckIn{},

		// Sync models.
		&SyncHead{}, &SyncChange{},
	}
}

// Sealed is a value sealed by internal/seal. Nil is stored as NULL, so that
// "IS NULL" says whether a field was ever written: SQLite's driver would
// store a nil []byte as an empty blob.
type Sealed []byte

// Value implements driver.Valuer.
func (s Sealed) Value() (driver.Value, error) {
	if s == nil {
		return nil, nil
	}
	return []byte(s), nil
}

// Scan implements sql.Scanner; NULL and an empty blob read as nil.
func (s *Sealed) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*s = nil
	case []byte:
		*s = nil
		if len(x) > 0 {
			*s = append(Sealed(nil), x...)
		}
	case string:
		*s = nil
		if x != "" {
			*s = Sealed(x)
		}
	default:
		return fmt.Errorf("sealed value of type %T", v)
	}
	return nil
}
