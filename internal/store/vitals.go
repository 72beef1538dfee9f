package store

import (
	"context"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/ketacare/api/internal/apperr"
	"github.com/ketacare/api/internal/models"
)

// CreateVitalSign records a reading for its session, filling its id and
// creation time. A session that was cancelled or missed takes no readings
// (Conflict); the session is locked so its status cannot change meanwhile.
func (s *Store) CreateVitalSign(ctx context.Context, v *models.VitalSign) error {
	err := s.conn(ctx).Transaction(func(tx *gorm.DB) error {
		var ts models.TreatmentSession
		if err := forUpdate(tx).Select("id", "status").Where("id = ?", v.SessionID).Take(&ts).Error; err != nil {
			return found(err, "session")
		}
		if ts.Status == models.SessionStatusCancelled || ts.Status == models.SessionStatusNoShow {
			return apperr.New(apperr.Conflict, "The session is %s; readings are taken only for sessions that are held.", ts.Status)
		}
		if v.ID == uuid.Nil {
			v.ID = uuid.Must(uuid.NewV7())
		}
		v.CreatedAt = s.now()
		return tx.Create(v).Error
	})
	return translate(err, "")
}

// ListVitalSigns returns one page of the session's readings in the order they
// were taken.
func (s *Store) ListVitalSigns(ctx context.Context, sessionID uuid.UUID, p Page) ([]models.VitalSign, *string, error) {
	q := p.changedSince(s.conn(ctx).Where("session_id = ?", sessionID), "created_at")
	return paginateBy(q, p, "taken_at", true, vitalSignKey)
}

func vitalSignKey(v models.VitalSign) (time.Time, uuid.UUID) { return v.TakenAt, v.ID }
