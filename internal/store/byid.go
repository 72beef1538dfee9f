package store

import (
	"context"

	"github.com/google/uuid"

	"github.com/ketacare/api/internal/models"
)

// The getters below load one record by its id, for a create retried with a
// client-made id: the caller's createOnce has already checked that the
// caller made it.

// byID loads the row of model T with the id; what names it in NotFound.
func byID[T any](ctx context.Context, s *Store, id uuid.UUID, what string) (T, error) {
	var row T
	err := s.conn(ctx).Where("id = ?", id).Take(&row).Error
	return row, found(err, what)
}

// EvaluationByID returns the evaluation with the id.
func (s *Store) EvaluationByID(ctx context.Context, id uuid.UUID) (models.CandidacyEvaluation, error) {
	e, err := byID[models.CandidacyEvaluation](ctx, s, id, "evaluation")
	if err != nil {
		return e, err
	}
	return e, s.openEvaluation(&e)
}

// VitalSignByID returns the reading with the id.
func (s *Store) VitalSignByID(ctx context.Context, id uuid.UUID) (models.VitalSign, error) {
	return byID[models.VitalSign](ctx, s, id, "reading")
}

// AssessmentByID returns the assessment with the id.
func (s *Store) AssessmentByID(ctx context.Context, id uuid.UUID) (models.Assessment, error) {
	return byID[models.Assessment](ctx, s, id, "assessment")
}

// ActivityByID returns the activity with the id, opened.
func (i *Store) ActivityByID(ctx context.Context, id uuid.UUID) (Activity, error) {
	row, err := byID[models.Activity](ctx, i, id, "activity")
	if err != nil {
		return Activity{}, err
	}
	return i.openActivity(row)
}

// GoalCheckInByID returns the check-in with the id, opened.
func (i *Store) GoalCheckInByID(ctx context.Context, id uuid.UUID) (GoalCheckIn, error) {
	row, err := byID[models.GoalCheckIn](ctx, i, id, "check-in")
	if err != nil {
		return GoalCheckIn{}, err
	}
	return i.openCheckIn(row)
}

// MoodCheckInByID returns the mood check-in with the id, opened.
func (m *Store) MoodCheckInByID(ctx context.Context, id uuid.UUID) (MoodCheckIn, error) {
	row, err := byID[models.MoodCheckIn](ctx, m, id, "mood check-in")
	if err != nil {
		return MoodCheckIn{}, err
	}
	return m.openMoodCheckIn(row)
}
