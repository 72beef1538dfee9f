package store

import (
	"context"
	"reflect"
	"slices"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/ketacare/api/internal/apperr"
	"github.com/ketacare/api/internal/models"
)

// SessionByID returns the treatment session with the id. Callers decide
// whether the caller may see it.
func (s *Store) SessionByID(ctx context.Context, id uuid.UUID) (models.TreatmentSession, error) {
	var ts models.TreatmentSession
	if err := s.conn(ctx).Where("id = ?", id).Take(&ts).Error; err != nil {
		return ts, found(err, "session")
	}
	return ts, s.openSession(&ts)
}

// SessionFilter narrows a patient's sessions.
type SessionFilter struct {
	PatientID uuid.UUID
	PlanID    *uuid.UUID
	Status    *string
	// From (inclusive) and To (exclusive) bound scheduled_at.
	From, To *time.Time
	// PatientView makes updated_since look at the patient view's time
	// (models.TreatmentSession.PatientView), for those who see that view.
	PatientView bool
}

// ListSessions returns one page of the patient's sessions in schedule order:
// scheduled_at earliest first, the id as tie-break.
func (s *Store) ListSessions(ctx context.Context, f SessionFilter, p Page) ([]models.TreatmentSession, *string, error) {
	q := s.conn(ctx).Where("patient_id = ?", f.PatientID)
	if f.PlanID != nil {
		q = q.Where("plan_id = ?", *f.PlanID)
	}
	if f.Status != nil {
		q = q.Where("status = ?", *f.Status)
	}
	if f.From != nil {
		q = q.Where("scheduled_at >= ?", f.From.UTC())
	}
	if f.To != nil {
		q = q.Where("scheduled_at < ?", f.To.UTC())
	}
	updated := "updated_at"
	if f.PatientView {
		updated = "patient_updated_at"
	}
	rows, next, err := paginateBy(p.changedSince(q, updated), p, "scheduled_at", true, sessionKey)
	return openPage(rows, next, err, s.openSession)
}

func sessionKey(ts models.TreatmentSession) (time.Time, uuid.UUID) { return ts.ScheduledAt, ts.ID }

// sessionTransitions lists where each status may move. completed, cancelled
// and no_show are final: they record what happened.
var sessionTransitions = map[string][]string{
	models.SessionStatusScheduled: {
		models.SessionStatusInProgress, models.SessionStatusCompleted,
		models.SessionStatusCancelled, models.SessionStatusNoShow,
	},
	models.SessionStatusInProgress: {models.SessionStatusCompleted},
}

// Sitter is the sitter or co-pilot a patient chose for a session.
type Sitter struct{ Name, Relationship, Phone string }

// SessionChanges are the fields a session update may set: nil leaves a
// field as it is; a Change with a nil Value clears it.
type SessionChanges struct {
	Status *string
	Route  *string
	// The patient's parts.
	Sitter           *Change[Sitter]
	Intention        *Change[string]
	FastingConfirmed *bool
	RideHomeArranged *bool
	SettingPrepared  *bool
	MusicReady       *bool
	PreparationNotes *Change[string]
	// The care team's parts.
	StartedAt      *Change[time.Time]
	EndedAt        *Change[time.Time]
	DoseMg         *Change[float64]
	DoseMgPerKg    *Change[float64]
	JourneyNotes   *Change[string]
	TherapistNotes *Change[string]
}

// sessionRule says in which states of a session a field may change.
type sessionRule int

const (
	// anyState: clinical notes, written during and after the session. The
	// status itself follows sessionTransitions.
	anyState sessionRule = iota
	// whileScheduled: the patient's arrangements and the route are settled
	// before the session begins.
	whileScheduled
	// whileHeld: the journey's times and doses, which a session that was
	// cancelled or missed never had.
	whileHeld
)

// SessionField is a field sent in a session update, named as the API names
// it, with the role that writes it.
type SessionField struct {
	Name   string
	Author string
	rule   sessionRule
}

// Sent lists the fields the update sets, in the order the API documents them.
func (ch SessionChanges) Sent() []SessionField {
	const patient, clinician = models.RolePatient, models.RoleClinician
	all := []struct {
		sent bool
		SessionField
	}{
		{ch.Status != nil, SessionField{"status", clinician, anyState}},
		{ch.Route != nil, SessionField{"route", clinician, whileScheduled}},
		{ch.Sitter != nil, SessionField{"sitter", patient, whileScheduled}},
		{ch.Intention != nil, SessionField{"preparation.intention", patient, whileScheduled}},
		{ch.FastingConfirmed != nil || ch.RideHomeArranged != nil || ch.SettingPrepared != nil || ch.MusicReady != nil,
			SessionField{"preparation.checklist", patient, whileScheduled}},
		{ch.PreparationNotes != nil, SessionField{"preparation.notes", patient, whileScheduled}},
		{ch.StartedAt != nil, SessionField{"journey.started_at", clinician, whileHeld}},
		{ch.EndedAt != nil, SessionField{"journey.ended_at", clinician, whileHeld}},
		{ch.DoseMg != nil, SessionField{"journey.dose_mg", clinician, whileHeld}},
		{ch.DoseMgPerKg != nil, SessionField{"journey.dose_mg_per_kg", clinician, whileHeld}},
		{ch.JourneyNotes != nil, SessionField{"journey.notes", clinician, anyState}},
		{ch.TherapistNotes != nil, SessionField{"integration.therapist_notes", clinician, anyState}},
	}
	var out []SessionField
	for _, f := range all {
		if f.sent {
			out = append(out, f.SessionField)
		}
	}
	return out
}

// UpdateSession applies the changes to the session under a row lock, so the
// state rules are checked against the session as it is written, and returns
// the session as stored. The version grows only when something changed,
// the patient view's only when the patient view changed; a change reseals
// the session's words under the current key. With expected != 0 the session
// must still be at that version: of the patient view when patientView (a
// patient's write conflicts with what they can see changing, not with a
// clinician's note), of the record otherwise (the care team's write
// conflicts with any change).
func (s *Store) UpdateSession(ctx context.Context, id uuid.UUID, expected int64, patientView bool, ch SessionChanges) (models.TreatmentSession, error) {
	var ts models.TreatmentSession
	err := s.conn(ctx).Transaction(func(tx *gorm.DB) error {
		if err := forUpdate(tx).Where("id = ?", id).Take(&ts).Error; err != nil {
			return found(err, "session")
		}
		current := ts.Version
		if patientView {
			current = ts.PatientVersion
		}
		if err := checkVersion("session", current, expected); err != nil {
			return err
		}
		if err := s.openSession(&ts); err != nil {
			return err
		}
		before := ts
		if err := ch.allowedIn(ts.Status); err != nil {
			return err
		}
		ch.applyTo(&ts)
		if err := checkJourney(ts); err != nil {
			return err
		}
		if reflect.DeepEqual(before, ts) {
			return nil
		}
		now := s.now()
		if !reflect.DeepEqual(before.PatientView(), ts.PatientView()) {
			ts.PatientUpdatedAt, ts.PatientVersion = now, ts.PatientVersion+1
		}
		ts.UpdatedAt, ts.Version = now, ts.Version+1
		if err := s.sealSession(&ts); err != nil {
			return err
		}
		return tx.Save(&ts).Error
	})
	return ts, translate(err, "")
}

// allowedIn returns a Conflict naming each change the session's status rules
// out, or nil.
func (ch SessionChanges) allowedIn(status string) error {
	var fields []apperr.FieldError
	if ch.Status != nil && *ch.Status != status && !slices.Contains(sessionTransitions[status], *ch.Status) {
		fields = append(fields, apperr.FieldError{Field: "status", Reason: "cannot move from " + status + " to " + *ch.Status})
	}
	held := status != models.SessionStatusCancelled && status != models.SessionStatusNoShow
	for _, f := range ch.Sent() {
		switch {
		case f.rule == whileScheduled && status != models.SessionStatusScheduled:
			fields = append(fields, apperr.FieldError{Field: f.Name, Reason: "can change only while the session is scheduled"})
		case f.rule == whileHeld && !held:
			fields = append(fields, apperr.FieldError{Field: f.Name, Reason: "cannot be recorded for a session that was not held"})
		}
	}
	if len(fields) == 0 {
		return nil
	}
	return &apperr.Error{Code: apperr.Conflict, Message: "The session is " + status + "; the change is not possible in that state.", Fields: fields}
}

// applyTo writes the changes into ts.
func (ch SessionChanges) applyTo(ts *models.TreatmentSession) {
	if ch.Status != nil {
		ts.Status = *ch.Status
	}
	if ch.Route != nil {
		ts.Route = *ch.Route
	}
	if ch.Sitter != nil {
		ts.SitterName, ts.SitterRelationship, ts.SitterPhone = nil, nil, nil
		if v := ch.Sitter.Value; v != nil {
			ts.SitterName, ts.SitterRelationship, ts.SitterPhone = &v.Name, &v.Relationship, &v.Phone
		}
	}
	setField(&ts.Intention, ch.Intention)
	setFlag(&ts.FastingConfirmed, ch.FastingConfirmed)
	setFlag(&ts.RideHomeArranged, ch.RideHomeArranged)
	setFlag(&ts.SettingPrepared, ch.SettingPrepared)
	setFlag(&ts.MusicReady, ch.MusicReady)
	setField(&ts.PreparationNotes, ch.PreparationNotes)
	setField(&ts.StartedAt, ch.StartedAt)
	setField(&ts.EndedAt, ch.EndedAt)
	setField(&ts.DoseMg, ch.DoseMg)
	setField(&ts.DoseMgPerKg, ch.DoseMgPerKg)
	setField(&ts.JourneyNotes, ch.JourneyNotes)
	setField(&ts.TherapistNotes, ch.TherapistNotes)
}

func setField[T any](dst **T, c *Change[T]) {
	if c != nil {
		*dst = c.Value
	}
}

func setFlag(dst *bool, v *bool) {
	if v != nil {
		*dst = *v
	}
}

// checkJourney checks the journey's times as they would be stored: an end
// needs a start and is not before it (Invalid), and a completed session has
// both (Conflict).
func checkJourney(ts models.TreatmentSession) error {
	if ts.EndedAt != nil {
		switch {
		case ts.StartedAt == nil:
			return apperr.Field("journey.ended_at", "needs journey.started_at")
		case ts.EndedAt.Before(*ts.StartedAt):
			return apperr.Field("journey.ended_at", "is before journey.started_at")
		}
	}
	if ts.Status != models.SessionStatusCompleted {
		return nil
	}
	var missing []apperr.FieldError
	if ts.StartedAt == nil {
		missing = append(missing, apperr.FieldError{Field: "journey.started_at", Reason: "is required for a completed session"})
	}
	if ts.EndedAt == nil {
		missing = append(missing, apperr.FieldError{Field: "journey.ended_at", Reason: "is required for a completed session"})
	}
	if len(missing) == 0 {
		return nil
	}
	return &apperr.Error{Code: apperr.Conflict, Message: "A session is completed only once it has started and ended.", Fields: missing}
}
