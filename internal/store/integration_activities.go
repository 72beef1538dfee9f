package store

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/ketacare/api/internal/models"
)

const activityTable = "activities"

// Activity is a logged activity with its note in the clear.
type Activity struct {
	ID              uuid.UUID
	PatientID       uuid.UUID
	Kind            string
	OccurredAt      time.Time
	DurationMinutes *int
	Note            *string
	CreatedAt       time.Time
}

// ActivityFilter narrows a list of one patient's activities.
type ActivityFilter struct {
	PatientID uuid.UUID
	Kind      *string
	// Occurred bounds occurred_at.
	Occurred TimeRange
}

// CreateActivity stores a new activity of a.PatientID, filling its id and
// creation time.
func (i *Store) CreateActivity(ctx context.Context, a Activity) (Activity, error) {
	if a.ID == uuid.Nil {
		a.ID = uuid.Must(uuid.NewV7())
	}
	a.CreatedAt = i.now()
	a.OccurredAt = a.OccurredAt.UTC().Truncate(time.Microsecond)
	c := i.sealer(activityTable, a.ID)
	row := models.Activity{
		ID: a.ID, PatientID: a.PatientID, Kind: a.Kind, OccurredAt: a.OccurredAt, DurationMinutes: a.DurationMinutes,
		KeyID: c.keyID, NoteSealed: c.sealText("note", a.Note), CreatedAt: a.CreatedAt,
	}
	if c.err != nil {
		return Activity{}, c.err
	}
	if err := i.conn(ctx).Create(&row).Error; err != nil {
		return Activity{}, translate(err, "")
	}
	return a, nil
}

// ListActivities returns one page of a patient's activities, newest logged
// first.
func (i *Store) ListActivities(ctx context.Context, f ActivityFilter, p Page) ([]Activity, *string, error) {
	q := i.conn(ctx).Where("patient_id = ?", f.PatientID)
	if f.Kind != nil {
		q = q.Where("kind = ?", *f.Kind)
	}
	q = p.changedSince(f.Occurred.apply(q, "occurred_at"), "created_at")
	rows, next, err := paginate[models.Activity](q, p)
	if err != nil {
		return nil, nil, err
	}
	out, err := openAll(rows, i.openActivity)
	return out, next, err
}

// DeleteActivity erases the patient's activity.
func (i *Store) DeleteActivity(ctx context.Context, patientID, activityID uuid.UUID) error {
	res := i.conn(ctx).Where("id = ? AND patient_id = ?", activityID, patientID).Delete(&models.Activity{})
	if res.Error != nil {
		return translate(res.Error, "")
	}
	if res.RowsAffected == 0 {
		return notFound("activity")
	}
	return nil
}

func (i *Store) openActivity(m models.Activity) (Activity, error) {
	c := i.opener(activityTable, m.ID, m.KeyID)
	a := Activity{
		ID: m.ID, PatientID: m.PatientID, Kind: m.Kind, OccurredAt: m.OccurredAt, DurationMinutes: m.DurationMinutes,
		Note: c.openText("note", m.NoteSealed), CreatedAt: m.CreatedAt,
	}
	if c.err != nil {
		return Activity{}, c.err
	}
	return a, nil
}
