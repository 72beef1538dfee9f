package store

import (
	"context"

	"github.com/google/uuid"

	"github.com/ketacare/api/internal/models"
)

// SessionOfPatient returns the treatment session when it belongs to the
// patient; a session of anyone else is NotFound, like a missing one.
func (s *Store) SessionOfPatient(ctx context.Context, sessionID, patientID uuid.UUID) (models.TreatmentSession, error) {
	var ts models.TreatmentSession
	if err := s.conn(ctx).Where("id = ? AND patient_id = ?", sessionID, patientID).Take(&ts).Error; err != nil {
		return ts, found(err, "session")
	}
	return ts, s.openSession(&ts)
}
