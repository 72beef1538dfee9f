package store

import (
	"context"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/ketacare/api/internal/apperr"
	"github.com/ketacare/api/internal/models"
)

// CreateAssessment stores a scored assessment and, when its answers need a
// clinician's follow-up, the safety alert in the same transaction: an
// assessment that should have raised an alert is never stored without it.
// It fills the ids, timestamps and version of both.
func (m *Store) CreateAssessment(ctx context.Context, a *models.Assessment, alert *models.SafetyAlert) error {
	now := m.now()
	a.CreatedAt = now
	if a.ID == uuid.Nil {
		a.ID = uuid.Must(uuid.NewV7())
	}
	err := m.conn(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(a).Error; err != nil {
			return err
		}
		if alert == nil {
			return nil
		}
		alert.ID, alert.PatientID, alert.AssessmentID = uuid.Must(uuid.NewV7()), a.PatientID, a.ID
		alert.Status, alert.CreatedAt, alert.UpdatedAt, alert.Version = models.AlertStatusOpen, now, now, 1
		return tx.Create(alert).Error
	})
	if a.SessionID != nil {
		// The session was checked, but may have gone since.
		return refError(err, ErrNotYourSession)
	}
	return translate(err, "")
}

// TakenFilter narrows a patient's records to those taken in a range.
type TakenFilter struct {
	PatientID uuid.UUID
	Taken     TimeRange
}

func (f TakenFilter) apply(q *gorm.DB) *gorm.DB {
	return f.Taken.apply(q.Where("patient_id = ?", f.PatientID), "taken_at")
}

// ListAssessments returns one page of a patient's assessments, newest
// recorded first; instrument, when not empty, keeps that questionnaire.
func (m *Store) ListAssessments(ctx context.Context, f TakenFilter, instrument string, p Page) ([]models.Assessment, *string, error) {
	q := f.apply(m.conn(ctx).Model(&models.Assessment{}))
	if instrument != "" {
		q = q.Where("instrument = ?", instrument)
	}
	return paginate[models.Assessment](p.changedSince(q, "created_at"), p)
}

// HasCareTeam reports whether any clinician looks after the patient.
func (m *Store) HasCareTeam(ctx context.Context, patientID uuid.UUID) (bool, error) {
	var n int64
	err := m.conn(ctx).Model(&models.CareTeamMember{}).Where("patient_id = ?", patientID).Limit(1).Count(&n).Error
	return n > 0, translate(err, "")
}

// AlertScope is what one viewer may see of the safety alerts.
type AlertScope struct {
	// ClinicianID, when set, keeps the alerts of patients on that
	// clinician's care team; unset, every alert is in scope (admins).
	ClinicianID *uuid.UUID
}

func (sc AlertScope) apply(q *gorm.DB) *gorm.DB {
	if sc.ClinicianID != nil {
		q = q.Where("patient_id IN (SELECT patient_id FROM care_team_members WHERE clinician_id = ?)", *sc.ClinicianID)
	}
	return q
}

// AlertFilter narrows a list of safety alerts.
type AlertFilter struct {
	// PatientID, when set, keeps one patient's alerts.
	PatientID *uuid.UUID
	// Status, when not empty, keeps alerts in that status.
	Status string
	// Unassigned keeps the alerts of patients who have no care team.
	Unassigned bool
}

// ListAlerts returns one page of the safety alerts in scope, newest first.
func (m *Store) ListAlerts(ctx context.Context, sc AlertScope, f AlertFilter, p Page) ([]models.SafetyAlert, *string, error) {
	q := sc.apply(m.conn(ctx).Model(&models.SafetyAlert{}))
	if f.PatientID != nil {
		q = q.Where("patient_id = ?", *f.PatientID)
	}
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if f.Unassigned {
		q = q.Where("NOT EXISTS (SELECT 1 FROM care_team_members m WHERE m.patient_id = safety_alerts.patient_id)")
	}
	rows, next, err := paginate[models.SafetyAlert](p.changedSince(q, "updated_at"), p)
	return openPage(rows, next, err, m.openAlert)
}

// AlertInScope returns the safety alert with the id when it is in scope; an
// alert out of scope is NotFound, exactly like a missing one.
func (m *Store) AlertInScope(ctx context.Context, id uuid.UUID, sc AlertScope) (models.SafetyAlert, error) {
	var a models.SafetyAlert
	if err := sc.apply(m.conn(ctx).Where("id = ?", id)).Take(&a).Error; err != nil {
		return a, found(err, "alert")
	}
	return a, m.openAlert(&a)
}

// AcknowledgeAlert records who acknowledged an open alert in scope, when,
// and their note. An alert is acknowledged once: a second attempt, even a
// concurrent one, is a Conflict and leaves the first acknowledgement as it
// was.
func (m *Store) AcknowledgeAlert(ctx context.Context, id uuid.UUID, sc AlertScope, by uuid.UUID, note *string) (models.SafetyAlert, error) {
	a, err := m.AlertInScope(ctx, id, sc)
	if err != nil {
		return a, err
	}
	already := apperr.New(apperr.Conflict, "The alert was already acknowledged.")
	if a.Status != models.AlertStatusOpen {
		return a, already
	}
	now := m.now()
	// An open alert has no note yet: sealing the note alone under the
	// current key seals all the row's text.
	acked := a
	acked.AcknowledgementNote = note
	if err := m.sealAlert(&acked); err != nil {
		return a, err
	}
	res := m.conn(ctx).Model(&models.SafetyAlert{}).
		Where("id = ? AND status = ?", id, models.AlertStatusOpen).
		Updates(map[string]any{
			"status":                      models.AlertStatusAcknowledged,
			"acknowledged_by":             by,
			"acknowledged_at":             now,
			"key_id":                      acked.KeyID,
			"acknowledgement_note_sealed": acked.AcknowledgementNoteSealed,
			"updated_at":                  now,
			"version":                     gorm.Expr("version + 1"),
		})
	if res.Error != nil {
		return a, translate(res.Error, "")
	}
	if res.RowsAffected == 0 {
		return a, already
	}
	return m.AlertInScope(ctx, id, AlertScope{})
}

const moodTable = "mood_check_ins"

// MoodCheckIn is a mood check-in with its note in the clear.
type MoodCheckIn struct {
	ID        uuid.UUID
	PatientID uuid.UUID
	Mood      int
	Anxiety   *int
	Note      *string
	TakenAt   time.Time
	CreatedAt time.Time
}

// CreateMoodCheckIn stores a check-in of c.PatientID with its note sealed,
// filling its id and creation time.
func (m *Store) CreateMoodCheckIn(ctx context.Context, c MoodCheckIn) (MoodCheckIn, error) {
	c.CreatedAt = m.now()
	if c.ID == uuid.Nil {
		c.ID = uuid.Must(uuid.NewV7())
	}
	c.TakenAt = c.TakenAt.UTC().Truncate(time.Microsecond)
	sc := m.sealer(moodTable, c.ID)
	row := models.MoodCheckIn{ID: c.ID, PatientID: c.PatientID, Mood: c.Mood, Anxiety: c.Anxiety,
		KeyID: sc.keyID, NoteSealed: sc.sealText("note", c.Note), TakenAt: c.TakenAt, CreatedAt: c.CreatedAt}
	if sc.err != nil {
		return MoodCheckIn{}, sc.err
	}
	if err := m.conn(ctx).Create(&row).Error; err != nil {
		return MoodCheckIn{}, translate(err, "")
	}
	return c, nil
}

// ListMoodCheckIns returns one page of a patient's check-ins, newest
// recorded first.
func (m *Store) ListMoodCheckIns(ctx context.Context, f TakenFilter, p Page) ([]MoodCheckIn, *string, error) {
	q := p.changedSince(f.apply(m.conn(ctx).Model(&models.MoodCheckIn{})), "created_at")
	rows, next, err := paginate[models.MoodCheckIn](q, p)
	if err != nil {
		return nil, nil, err
	}
	out, err := openAll(rows, m.openMoodCheckIn)
	return out, next, err
}

func (m *Store) openMoodCheckIn(row models.MoodCheckIn) (MoodCheckIn, error) {
	oc := m.opener(moodTable, row.ID, row.KeyID)
	c := MoodCheckIn{ID: row.ID, PatientID: row.PatientID, Mood: row.Mood, Anxiety: row.Anxiety,
		Note: oc.openText("note", row.NoteSealed), TakenAt: row.TakenAt, CreatedAt: row.CreatedAt}
	if oc.err != nil {
		return MoodCheckIn{}, oc.err
	}
	return c, nil
}
