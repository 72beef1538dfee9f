package store

import (
	"context"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/ketacare/api/internal/models"
)

const (
	goalTable    = "goals"
	checkInTable = "goal_check_ins"
)

// Goal is an action goal with its words in the clear.
type Goal struct {
	ID                   uuid.UUID
	PatientID            uuid.UUID
	Title                string
	Why                  *string
	SourceJournalEntryID *uuid.UUID
	Category             string
	FirstStep            *string
	TargetDate           *time.Time
	Status               string
	LatestProgress       *int
	LastCheckInAt        *time.Time
	CreatedAt            time.Time
	UpdatedAt            time.Time
	Version              int64
}

// GoalCheckIn is a check-in on a goal with its note in the clear.
type GoalCheckIn struct {
	ID        uuid.UUID
	GoalID    uuid.UUID
	Progress  int
	Note      *string
	CreatedAt time.Time
}

// GoalFilter narrows a list of one patient's goals.
type GoalFilter struct {
	PatientID uuid.UUID
	Status    *string
	// CareTeamView hides the journal entry a goal came from unless that
	// entry is shared with the care team: its id alone would tell them an
	// unshared entry exists.
	CareTeamView bool
}

// CreateGoal stores a new goal of g.PatientID, filling its id, timestamps
// and version.
func (i *Store) CreateGoal(ctx context.Context, g Goal) (Goal, error) {
	if g.ID == uuid.Nil {
		g.ID = uuid.Must(uuid.NewV7())
	}
	g.CreatedAt = i.now()
	g.UpdatedAt = g.CreatedAt
	g.Version = 1
	g.LatestProgress, g.LastCheckInAt = nil, nil
	row, err := i.sealGoal(g)
	if err != nil {
		return Goal{}, err
	}
	if err := i.conn(ctx).Create(&row).Error; err != nil {
		return Goal{}, refError(err, ErrNotYourJournalEntry)
	}
	return g, nil
}

// GoalOf returns the patient's goal; anyone else's is NotFound.
func (i *Store) GoalOf(ctx context.Context, patientID, goalID uuid.UUID) (Goal, error) {
	var m models.Goal
	if err := i.conn(ctx).Where("id = ? AND patient_id = ?", goalID, patientID).Take(&m).Error; err != nil {
		return Goal{}, found(err, "goal")
	}
	return i.openGoal(m)
}

// ListGoals returns one page of a patient's goals, newest first.
func (i *Store) ListGoals(ctx context.Context, f GoalFilter, p Page) ([]Goal, *string, error) {
	q := i.conn(ctx).Where("patient_id = ?", f.PatientID)
	if f.Status != nil {
		q = q.Where("status = ?", *f.Status)
	}
	rows, next, err := paginate[models.Goal](p.changedSince(q, "updated_at"), p)
	if err != nil {
		return nil, nil, err
	}
	goals, err := openAll(rows, i.openGoal)
	if err != nil {
		return nil, nil, err
	}
	if f.CareTeamView {
		if err := i.hideUnsharedSources(ctx, f.PatientID, goals); err != nil {
			return nil, nil, err
		}
	}
	return goals, next, nil
}

func (i *Store) hideUnsharedSources(ctx context.Context, patientID uuid.UUID, goals []Goal) error {
	var ids []uuid.UUID
	for _, g := range goals {
		if g.SourceJournalEntryID != nil {
			ids = append(ids, *g.SourceJournalEntryID)
		}
	}
	shared, err := i.sharedJournalEntries(ctx, patientID, ids)
	if err != nil {
		return err
	}
	for k, g := range goals {
		if g.SourceJournalEntryID != nil && !shared[*g.SourceJournalEntryID] {
			goals[k].SourceJournalEntryID = nil
		}
	}
	return nil
}

// UpdateGoal applies edit to the patient's goal and stores it, resealed
// under the current key, with its version bumped. edit runs with the row
// locked, so it must not touch the database; check references before. With
// expected != 0 the goal must still be at that version.
func (i *Store) UpdateGoal(ctx context.Context, patientID, goalID uuid.UUID, expected int64, edit func(*Goal)) (Goal, error) {
	var g Goal
	err := i.inTx(ctx, func(tx *gorm.DB) error {
		var m models.Goal
		if err := forUpdate(tx).Where("id = ? AND patient_id = ?", goalID, patientID).Take(&m).Error; err != nil {
			return found(err, "goal")
		}
		if err := checkVersion("goal", m.Version, expected); err != nil {
			return err
		}
		var err error
		if g, err = i.openGoal(m); err != nil {
			return err
		}
		edit(&g)
		g.UpdatedAt = i.now()
		g.Version++
		row, err := i.sealGoal(g)
		if err != nil {
			return err
		}
		err = tx.Model(&models.Goal{}).Where("id = ?", goalID).Updates(map[string]any{
			"source_journal_entry_id": row.SourceJournalEntryID, "category": row.Category, "target_date": row.TargetDate,
			"status": row.Status, "key_id": row.KeyID, "title_sealed": row.TitleSealed, "why_sealed": row.WhySealed,
			"first_step_sealed": row.FirstStepSealed, "updated_at": row.UpdatedAt, "version": row.Version,
		}).Error
		return refError(err, ErrNotYourJournalEntry)
	})
	if err != nil {
		return Goal{}, err
	}
	return g, nil
}

// DeleteGoal erases the patient's goal and its check-ins. With expected != 0
// the goal must still be at that version.
func (i *Store) DeleteGoal(ctx context.Context, patientID, goalID uuid.UUID, expected int64) error {
	return i.inTx(ctx, func(tx *gorm.DB) error {
		var m models.Goal
		if err := forUpdate(tx).Select("id, version").Where("id = ? AND patient_id = ?", goalID, patientID).Take(&m).Error; err != nil {
			return found(err, "goal")
		}
		if err := checkVersion("goal", m.Version, expected); err != nil {
			return err
		}
		return tx.Where("id = ?", goalID).Delete(&models.Goal{}).Error
	})
}

// CreateGoalCheckIn records a check-in on the patient's goal and, in the
// same transaction, makes it the goal's latest progress (a new version of
// the goal).
func (i *Store) CreateGoalCheckIn(ctx context.Context, patientID, goalID uuid.UUID, ci GoalCheckIn) (GoalCheckIn, error) {
	if ci.ID == uuid.Nil {
		ci.ID = uuid.Must(uuid.NewV7())
	}
	ci.GoalID = goalID
	err := i.inTx(ctx, func(tx *gorm.DB) error {
		var m models.Goal
		if err := forUpdate(tx).Select("id").Where("id = ? AND patient_id = ?", goalID, patientID).Take(&m).Error; err != nil {
			return found(err, "goal")
		}
		// Taken with the goal locked, so check-ins are stamped in the order
		// they update the goal and the latest one is the goal's progress.
		ci.CreatedAt = i.now()
		c := i.sealer(checkInTable, ci.ID)
		row := models.GoalCheckIn{ID: ci.ID, GoalID: goalID, Progress: ci.Progress, KeyID: c.keyID,
			NoteSealed: c.sealText("note", ci.Note), CreatedAt: ci.CreatedAt}
		if c.err != nil {
			return c.err
		}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return tx.Model(&models.Goal{}).Where("id = ?", goalID).Updates(map[string]any{
			"latest_progress": ci.Progress, "last_check_in_at": ci.CreatedAt,
			"updated_at": ci.CreatedAt, "version": gorm.Expr("version + 1"),
		}).Error
	})
	if err != nil {
		return GoalCheckIn{}, err
	}
	return ci, nil
}

// ListGoalCheckIns returns one page of the check-ins on the patient's goal,
// newest first; a goal of anyone else is NotFound.
func (i *Store) ListGoalCheckIns(ctx context.Context, patientID, goalID uuid.UUID, p Page) ([]GoalCheckIn, *string, error) {
	var n int64
	if err := i.conn(ctx).Model(&models.Goal{}).Where("id = ? AND patient_id = ?", goalID, patientID).Limit(1).Count(&n).Error; err != nil {
		return nil, nil, translate(err, "")
	}
	if n == 0 {
		return nil, nil, notFound("goal")
	}
	rows, next, err := paginate[models.GoalCheckIn](p.changedSince(i.conn(ctx).Where("goal_id = ?", goalID), "created_at"), p)
	if err != nil {
		return nil, nil, err
	}
	out, err := openAll(rows, i.openCheckIn)
	return out, next, err
}

// sealGoal makes the row of g, its words sealed under the current key.
func (i *Store) sealGoal(g Goal) (models.Goal, error) {
	c := i.sealer(goalTable, g.ID)
	row := models.Goal{
		ID: g.ID, PatientID: g.PatientID, SourceJournalEntryID: g.SourceJournalEntryID, Category: g.Category,
		TargetDate: g.TargetDate, Status: g.Status, LatestProgress: g.LatestProgress, LastCheckInAt: g.LastCheckInAt,
		KeyID:           c.keyID,
		TitleSealed:     c.seal("title", []byte(g.Title)),
		WhySealed:       c.sealText("why", g.Why),
		FirstStepSealed: c.sealText("first_step", g.FirstStep),
		CreatedAt:       g.CreatedAt, UpdatedAt: g.UpdatedAt, Version: g.Version,
	}
	return row, c.err
}

func (i *Store) openGoal(m models.Goal) (Goal, error) {
	c := i.opener(goalTable, m.ID, m.KeyID)
	g := Goal{
		ID: m.ID, PatientID: m.PatientID, SourceJournalEntryID: m.SourceJournalEntryID, Category: m.Category,
		TargetDate: m.TargetDate, Status: m.Status, LatestProgress: m.LatestProgress, LastCheckInAt: m.LastCheckInAt,
		Title:     string(c.open("title", m.TitleSealed)),
		Why:       c.openText("why", m.WhySealed),
		FirstStep: c.openText("first_step", m.FirstStepSealed),
		CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt, Version: m.Version,
	}
	if c.err != nil {
		return Goal{}, c.err
	}
	return g, nil
}

func (i *Store) openCheckIn(m models.GoalCheckIn) (GoalCheckIn, error) {
	c := i.opener(checkInTable, m.ID, m.KeyID)
	ci := GoalCheckIn{ID: m.ID, GoalID: m.GoalID, Progress: m.Progress, Note: c.openText("note", m.NoteSealed), CreatedAt: m.CreatedAt}
	if c.err != nil {
		return GoalCheckIn{}, c.err
	}
	return ci, nil
}
