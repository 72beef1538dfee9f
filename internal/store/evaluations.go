package store

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/ketacare/api/internal/models"
)

// CreateEvaluation records e, its notes sealed, filling its id and
// creation time.
func (s *Store) CreateEvaluation(ctx context.Context, e *models.CandidacyEvaluation) error {
	if e.ID == uuid.Nil {
		e.ID = uuid.Must(uuid.NewV7())
	}
	e.CreatedAt = s.now()
	if err := s.sealEvaluation(e); err != nil {
		return err
	}
	return translate(s.conn(ctx).Create(e).Error, "")
}

// ListEvaluations returns one page of the patient's evaluations, latest
// evaluated_at first.
func (s *Store) ListEvaluations(ctx context.Context, patientID uuid.UUID, p Page) ([]models.CandidacyEvaluation, *string, error) {
	q := p.changedSince(s.conn(ctx).Where("patient_id = ?", patientID), "created_at")
	rows, next, err := paginateBy(q, p, "evaluated_at", false, evaluationKey)
	return openPage(rows, next, err, s.openEvaluation)
}

func evaluationKey(e models.CandidacyEvaluation) (time.Time, uuid.UUID) { return e.EvaluatedAt, e.ID }

// latestEvaluation returns the patient's evaluation with the latest
// evaluated_at, or nil when there is none. Backdated entries thus never
// override a more recent judgement. Only its id and outcome are read: its
// notes decide nothing.
func latestEvaluation(tx *gorm.DB, patientID uuid.UUID) (*models.CandidacyEvaluation, error) {
	var e models.CandidacyEvaluation
	err := tx.Select("id", "outcome").Where("patient_id = ?", patientID).Order("evaluated_at DESC, id DESC").Take(&e).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, translate(err, "")
	}
	return &e, nil
}
