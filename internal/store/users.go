package store

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/ketacare/api/internal/models"
)

// NormalizeEmail is the form emails are stored and looked up in, which makes
// them unique without regard to case.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// CreateUser inserts u, its emergency contact sealed, filling its id,
// timestamps and version.
func (s *Store) CreateUser(ctx context.Context, u *models.User) error {
	if u.ID == uuid.Nil {
		u.ID = uuid.Must(uuid.NewV7())
	}
	u.Email = NormalizeEmail(u.Email)
	if u.Timezone == "" {
		u.Timezone = "UTC"
	}
	u.Version = 1
	if err := s.sealUser(u); err != nil {
		return err
	}
	err := s.conn(ctx).Create(u).Error
	return translate(err, "An account with this email already exists.")
}

// UserByID returns the user with the id.
func (s *Store) UserByID(ctx context.Context, id uuid.UUID) (models.User, error) {
	var u models.User
	if err := s.conn(ctx).Where("id = ?", id).Take(&u).Error; err != nil {
		return u, found(err, "user")
	}
	return u, s.openUser(&u)
}

// UserByEmail returns the user with the email, compared without case.
func (s *Store) UserByEmail(ctx context.Context, email string) (models.User, error) {
	var u models.User
	if err := s.conn(ctx).Where("email = ?", NormalizeEmail(email)).Take(&u).Error; err != nil {
		return u, found(err, "user")
	}
	return u, s.openUser(&u)
}

// UserChanges are the profile fields an update may set; nil leaves a field
// as it is.
type UserChanges struct {
	DisplayName *string
	Timezone    *string
	// DateOfBirth and EmergencyContact, when not nil, set the field, or clear
	// it when their Value is nil.
	DateOfBirth      *Change[time.Time]
	EmergencyContact *Change[EmergencyContact]
}

// Change sets a field that can also be cleared: a nil Value clears it.
type Change[T any] struct{ Value *T }

// EmergencyContact is whom the clinic calls in an emergency.
type EmergencyContact struct{ Name, Phone, Relationship string }

// UpdateUser applies the changes to the user, bumping its version, and
// returns the user as stored. With expected != 0 it changes nothing unless
// the stored version is expected.
func (s *Store) UpdateUser(ctx context.Context, id uuid.UUID, expected int64, ch UserChanges) (models.User, error) {
	set := map[string]any{"updated_at": s.now(), "version": gorm.Expr("version + 1")}
	if ch.DisplayName != nil {
		set["display_name"] = *ch.DisplayName
	}
	if ch.Timezone != nil {
		set["timezone"] = *ch.Timezone
	}
	if ch.DateOfBirth != nil {
		set["date_of_birth"] = ch.DateOfBirth.Value
	}
	if ec := ch.EmergencyContact; ec != nil {
		// The contact is all of a user's sealed text: sealing it alone
		// under the current key reseals the row.
		u := models.User{ID: id}
		if v := ec.Value; v != nil {
			u.EmergencyContactName, u.EmergencyContactPhone, u.EmergencyContactRelationship = &v.Name, &v.Phone, &v.Relationship
		}
		if err := s.sealUser(&u); err != nil {
			return models.User{}, err
		}
		set["key_id"] = u.KeyID
		set["emergency_contact_name_sealed"] = u.EmergencyContactNameSealed
		set["emergency_contact_phone_sealed"] = u.EmergencyContactPhoneSealed
		set["emergency_contact_relationship_sealed"] = u.EmergencyContactRelationshipSealed
	}
	if err := s.updateVersioned(ctx, &models.User{}, "user", id, expected, set); err != nil {
		return models.User{}, err
	}
	return s.UserByID(ctx, id)
}

// ListUsers returns one page of the users with the role, newest first.
func (s *Store) ListUsers(ctx context.Context, role string, p Page) ([]models.User, *string, error) {
	rows, next, err := paginate[models.User](p.changedSince(s.conn(ctx).Where("role = ?", role), "updated_at"), p)
	return openPage(rows, next, err, s.openUser)
}

// CountUsersExcept counts the accounts other than the one with the email
// (none excepted when it is empty).
func (s *Store) CountUsersExcept(ctx context.Context, email string) (int64, error) {
	var n int64
	q := s.conn(ctx).Model(&models.User{})
	if email != "" {
		q = q.Where("email IS NULL OR email <> ?", NormalizeEmail(email))
	}
	err := q.Count(&n).Error
	return n, translate(err, "")
}

// AdminExists reports whether any admin account exists.
func (s *Store) AdminExists(ctx context.Context) (bool, error) {
	var n int64
	err := s.conn(ctx).Model(&models.User{}).Where("role = ?", models.RoleAdmin).Limit(1).Count(&n).Error
	return n > 0, translate(err, "")
}
