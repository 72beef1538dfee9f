package store

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/ketacare/api/internal/models"
)

// Idempotency-Key lifetimes.
const (
	// IdempotencyTTL is how long a key's first response is replayed.
	IdempotencyTTL = 24 * time.Hour
	// idempotencyAbandoned is when a request still marked running must have
	// died with its instance: longer than any request may run.
	idempotencyAbandoned = 2 * time.Minute
)

// IdempotentResponse is a stored first response.
type IdempotentResponse struct {
	Status      int
	ContentType string
	ETag        string
	Body        []byte
	// Patients are those whose records the first request of a clinician or
	// admin touched: a replay is access to them again.
	Patients []uuid.UUID
}

// Claim records that the user's request with the key and fingerprint starts.
// It returns claimed when this request is the first (it must then Complete
// or Release the key). Otherwise it returns the earlier request's
// fingerprint and, once that request has finished, its response (nil while
// it still runs).
func (s *Store) Claim(ctx context.Context, userID uuid.UUID, key, fingerprint string) (claimed bool, earlierFingerprint string, earlier *IdempotentResponse, err error) {
	now := s.now()
	for attempt := 0; attempt < 2; attempt++ {
		row := models.IdempotencyKey{UserID: userID, IdemKey: key, Fingerprint: fingerprint, CreatedAt: now}
		res := s.conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
		if res.Error != nil {
			return false, "", nil, translate(res.Error, "")
		}
		if res.RowsAffected == 1 {
			return true, "", nil, nil
		}
		var old models.IdempotencyKey
		err := s.conn(ctx).Where("user_id = ? AND idem_key = ?", userID, key).Take(&old).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			continue // released meanwhile: claim again
		}
		if err != nil {
			return false, "", nil, translate(err, "")
		}
		expired := old.CreatedAt.Before(now.Add(-IdempotencyTTL))
		abandoned := old.Status == nil && old.CreatedAt.Before(now.Add(-idempotencyAbandoned))
		if expired || abandoned {
			// Forget it, unless another retry did so and claimed it first.
			err := s.conn(ctx).Where("user_id = ? AND idem_key = ? AND created_at = ?", userID, key, old.CreatedAt).
				Delete(&models.IdempotencyKey{}).Error
			if err != nil {
				return false, "", nil, translate(err, "")
			}
			continue
		}
		if old.Status == nil {
			return false, old.Fingerprint, nil, nil
		}
		body, err := s.keys.Open(deref(old.KeyID), old.BodySealed, idempotencyAD(userID, key))
		if err != nil {
			return false, "", nil, translate(err, "")
		}
		var patients []uuid.UUID
		for _, s := range strings.Split(deref(old.PatientIDs), ",") {
			if id, err := uuid.Parse(s); err == nil {
				patients = append(patients, id)
			}
		}
		return false, old.Fingerprint, &IdempotentResponse{Status: *old.Status, ContentType: deref(old.ContentType), ETag: deref(old.ETag), Body: body, Patients: patients}, nil
	}
	return false, "", nil, translate(errors.New("idempotency key keeps changing"), "")
}

// Complete stores the first response to the user's key, for its retries.
func (s *Store) Complete(ctx context.Context, userID uuid.UUID, key string, r IdempotentResponse) error {
	sealed, err := s.keys.Seal(r.Body, idempotencyAD(userID, key))
	if err != nil {
		return err
	}
	keyID := s.keys.CurrentKeyID()
	var patients *string
	if len(r.Patients) > 0 {
		ids := make([]string, len(r.Patients))
		for i, p := range r.Patients {
			ids[i] = p.String()
		}
		joined := strings.Join(ids, ",")
		patients = &joined
	}
	err = s.conn(ctx).Model(&models.IdempotencyKey{}).Where("user_id = ? AND idem_key = ?", userID, key).Updates(map[string]any{
		"status": r.Status, "content_type": r.ContentType, "etag": r.ETag, "key_id": keyID,
		"body_sealed": sealed, "completed_at": s.now(), "patient_ids": patients,
	}).Error
	return translate(err, "")
}

// Release forgets the user's key after a failure, so a retry runs again.
func (s *Store) Release(ctx context.Context, userID uuid.UUID, key string) error {
	err := s.conn(ctx).Where("user_id = ? AND idem_key = ?", userID, key).Delete(&models.IdempotencyKey{}).Error
	return translate(err, "")
}

// PruneIdempotencyKeys deletes the keys made before before. Their sealed
// responses hold patients' words, so they must not outlive the replay window.
func (s *Store) PruneIdempotencyKeys(ctx context.Context, before time.Time) (int64, error) {
	res := s.conn(ctx).Where("created_at < ?", before).Delete(&models.IdempotencyKey{})
	return res.RowsAffected, translate(res.Error, "")
}

// idempotencyAD binds a sealed response to its user and key.
func idempotencyAD(userID uuid.UUID, key string) []byte {
	return []byte("idempotency_keys/body/" + userID.String() + "/" + key)
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
