package store

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/ketacare/api/internal/apperr"
	"github.com/ketacare/api/internal/models"
)

// errRefreshInvalid is the one answer for every unusable refresh token, so a
// caller learns nothing about why.
var errRefreshInvalid = apperr.New(apperr.Unauthorized, "The refresh token is invalid or has expired.")

// CreateRefreshToken stores a refresh token (by its hash).
func (s *Store) CreateRefreshToken(ctx context.Context, t *models.RefreshToken) error {
	if t.ID == uuid.Nil {
		t.ID = uuid.Must(uuid.NewV7())
	}
	if t.FamilyID == uuid.Nil {
		t.FamilyID = t.ID
	}
	return translate(s.conn(ctx).Create(t).Error, "")
}

// RotateRefreshToken retires the live token with the hash and stores next in
// its family, for its user, in one transaction; it returns the user. A token
// that was already used is a sign of theft (RFC 9700 §4.14.2): its whole
// family is revoked and the call fails.
func (s *Store) RotateRefreshToken(ctx context.Context, hash string, next *models.RefreshToken) (models.User, error) {
	now := s.now()
	var user models.User
	var reused *uuid.UUID
	err := s.conn(ctx).Transaction(func(tx *gorm.DB) error {
		var old models.RefreshToken
		if err := tx.Where("token_hash = ?", hash).Take(&old).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return errRefreshInvalid
			}
			return err
		}
		if old.RevokedAt != nil || !now.Before(old.ExpiresAt) {
			return errRefreshInvalid
		}
		// The condition on used_at makes two concurrent rotations of one
		// token race for this row: only one can win, the other is reuse.
		res := tx.Model(&models.RefreshToken{}).
			Where("id = ? AND used_at IS NULL AND revoked_at IS NULL", old.ID).
			Update("used_at", now)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			reused = &old.FamilyID
			return errRefreshInvalid
		}
		if err := tx.Where("id = ?", old.UserID).Take(&user).Error; err != nil {
			return err
		}
		if user.DeactivatedAt != nil {
			// Erasure revokes every token; this refuses one rotated into
			// existence by a refresh racing with it.
			return errRefreshInvalid
		}
		next.ID = uuid.Must(uuid.NewV7())
		next.UserID = old.UserID
		next.FamilyID = old.FamilyID
		return tx.Create(next).Error
	})
	if reused != nil {
		if rerr := s.revokeFamily(ctx, *reused, now); rerr != nil {
			return models.User{}, rerr
		}
	}
	if err != nil {
		return models.User{}, translate(err, "")
	}
	return user, s.openUser(&user)
}

// RevokeRefreshFamily revokes the token with the hash and every token of its
// family. An unknown hash is not an error: logging out twice is harmless.
func (s *Store) RevokeRefreshFamily(ctx context.Context, hash string) error {
	var t models.RefreshToken
	err := s.conn(ctx).Select("family_id").Where("token_hash = ?", hash).Take(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil
	}
	if err != nil {
		return translate(err, "")
	}
	return s.revokeFamily(ctx, t.FamilyID, s.now())
}

func (s *Store) revokeFamily(ctx context.Context, family uuid.UUID, at time.Time) error {
	err := s.conn(ctx).Model(&models.RefreshToken{}).
		Where("family_id = ? AND revoked_at IS NULL", family).
		Update("revoked_at", at).Error
	return translate(err, "")
}

// SetPassword stores a new password hash for the user and revokes every
// refresh token of theirs in the same transaction, so no device stays
// signed in with the old password.
func (s *Store) SetPassword(ctx context.Context, userID uuid.UUID, hash string) error {
	now := s.now()
	return translate(s.conn(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&models.User{}).Where("id = ?", userID).Updates(map[string]any{"password_hash": hash, "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return notFound("user")
		}
		return tx.Model(&models.RefreshToken{}).Where("user_id = ? AND revoked_at IS NULL", userID).Update("revoked_at", now).Error
	}), "")
}
