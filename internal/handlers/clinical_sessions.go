package handlers

import (
	"context"
	"math"

	"github.com/google/uuid"
	"github.com/oapi-codegen/nullable"

	"github.com/ketacare/api/internal/api"
	"github.com/ketacare/api/internal/apperr"
	"github.com/ketacare/api/internal/auth"
	"github.com/ketacare/api/internal/models"
	"github.com/ketacare/api/internal/store"
)

// errNoSession is the answer for a session the caller may not see: the same
// as for one that does not exist.
var errNoSession = apperr.New(apperr.NotFound, "The session does not exist.")

// sessionReader returns the session when the caller may read the records of
// its patient: the patient, their care team, or an admin. Anyone else, and a
// session that does not exist, get NotFound.
func (s *Server) sessionReader(ctx context.Context, sessionID uuid.UUID) (auth.Identity, models.TreatmentSession, error) {
	id, err := caller(ctx)
	if err != nil {
		return id, models.TreatmentSession{}, err
	}
	ts, err := s.Store.SessionByID(ctx, sessionID)
	if err != nil {
		return id, ts, err
	}
	if _, err := s.patientReader(ctx, ts.PatientID); err != nil {
		if apperr.Is(err, apperr.NotFound) {
			err = errNoSession
		}
		return id, models.TreatmentSession{}, err
	}
	return id, ts, nil
}

// ListSessions lists a patient's sessions in schedule order.
func (s *Server) ListSessions(ctx context.Context, req api.ListSessionsRequestObject) (api.ListSessionsResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	q := req.Params
	f := store.SessionFilter{PlanID: q.PlanID, From: q.From, To: q.To, PatientView: !seesClinicalNotes(id)}
	switch {
	case q.PatientID != nil:
		f.PatientID = *q.PatientID
	case id.Role == models.RolePatient:
		f.PatientID = id.UserID
	default:
		return nil, apperr.Field("query.patient_id", "is required for clinicians and admins: name the patient whose sessions to list")
	}
	if q.Status != nil {
		st := string(*q.Status)
		f.Status = &st
	}
	if q.From != nil && q.To != nil && !q.From.Before(*q.To) {
		return nil, apperr.Field("query.from", "must be before query.to")
	}
	if _, err := s.patientReader(ctx, f.PatientID); err != nil {
		return nil, err
	}
	sessions, next, err := s.Store.ListSessions(ctx, f, listPage(q.Limit, q.Cursor, q.UpdatedSince))
	if err != nil {
		return nil, err
	}
	items, err := s.sessionsFor(ctx, id, f.PatientID, sessions)
	if err != nil {
		return nil, err
	}
	return api.ListSessions200JSONResponse{Body: api.TreatmentSessionPage{Items: items, NextCursor: nextCursor(next)}}, nil
}

// GetSession returns one session, without clinical notes for the patient and admins.
func (s *Server) GetSession(ctx context.Context, req api.GetSessionRequestObject) (api.GetSessionResponseObject, error) {
	id, ts, err := s.sessionReader(ctx, req.SessionID)
	if err != nil {
		return nil, err
	}
	out, err := s.sessionsFor(ctx, id, ts.PatientID, []models.TreatmentSession{ts})
	if err != nil {
		return nil, err
	}
	body := out[0]
	tag := ETag(body.ID, body.Version)
	if notModified(req.Params.IfNoneMatch, tag) {
		return api.GetSession304Response{Headers: api.NotModifiedResponseHeaders{ETag: &tag}}, nil
	}
	return api.GetSession200JSONResponse{Body: body, Headers: api.GetSession200ResponseHeaders{ETag: &tag}}, nil
}

// UpdateSession lets the patient and their care team each fill in their own
// parts of a session.
func (s *Server) UpdateSession(ctx context.Context, req api.UpdateSessionRequestObject) (api.UpdateSessionResponseObject, error) {
	id, ts, err := s.sessionReader(ctx, req.SessionID)
	if err != nil {
		return nil, err
	}
	ch := sessionChanges(*req.Body)
	var refused []apperr.FieldError
	for _, f := range ch.Sent() {
		if f.Author != id.Role {
			refused = append(refused, apperr.FieldError{Field: f.Name, Reason: authorReason[f.Author]})
		}
	}
	if len(refused) > 0 {
		return nil, &apperr.Error{Code: apperr.Forbidden, Message: "These fields are not yours to write.", Fields: refused}
	}
	var bad fieldErrors
	if ch.StartedAt != nil && ch.StartedAt.Value != nil {
		bad.notFuture("journey.started_at", *ch.StartedAt.Value, s.Now())
	}
	if ch.EndedAt != nil && ch.EndedAt.Value != nil {
		bad.notFuture("journey.ended_at", *ch.EndedAt.Value, s.Now())
	}
	if err := bad.err(); err != nil {
		return nil, err
	}
	// If-Match names a version of the view the caller was given.
	updated, err := s.Store.UpdateSession(ctx, ts.ID, ifMatch(req.Params.IfMatch, ts.ID), !seesClinicalNotes(id), ch)
	if err != nil {
		return nil, err
	}
	out, err := s.sessionsFor(ctx, id, updated.PatientID, []models.TreatmentSession{updated})
	if err != nil {
		return nil, err
	}
	body := out[0]
	tag := ETag(body.ID, body.Version)
	return api.UpdateSession200JSONResponse{Body: body, Headers: api.UpdateSession200ResponseHeaders{ETag: &tag}}, nil
}

// authorReason explains, by the role that writes a field, why someone else
// may not.
var authorReason = map[string]string{
	models.RolePatient:   "is the patient's to write",
	models.RoleClinician: "is written by the care team",
}

// sessionChanges maps a session update to store changes, keeping times as
// the store keeps them and doses to the precision stored.
func sessionChanges(b api.UpdateSessionRequest) store.SessionChanges {
	ch := store.SessionChanges{
		Status: (*string)(b.Status),
		Route:  (*string)(b.Route),
		Sitter: changeOf(b.Sitter, func(v api.Sitter) store.Sitter {
			return store.Sitter{Name: v.Name, Relationship: v.Relationship, Phone: v.Phone}
		}),
	}
	if p := b.Preparation; p != nil {
		ch.Intention = changeOf(p.Intention, same)
		ch.PreparationNotes = changeOf(p.Notes, same)
		if c := p.Checklist; c != nil {
			ch.FastingConfirmed, ch.RideHomeArranged, ch.SettingPrepared, ch.MusicReady = c.FastingConfirmed, c.RideHomeArranged, c.SettingPrepared, c.MusicReady
		}
	}
	if j := b.Journey; j != nil {
		ch.StartedAt = changeOf(j.StartedAt, instant)
		ch.EndedAt = changeOf(j.EndedAt, instant)
		ch.DoseMg = changeOf(j.DoseMg, roundTo(2))
		ch.DoseMgPerKg = changeOf(j.DoseMgPerKg, roundTo(4))
		ch.JourneyNotes = changeOf(j.Notes, same)
	}
	if i := b.Integration; i != nil {
		ch.TherapistNotes = changeOf(i.TherapistNotes, same)
	}
	return ch
}

// changeOf turns a PATCH field into a store change: nil when absent, a
// clearing change when null, and otherwise the value converted by conv.
func changeOf[T, U any](n nullable.Nullable[T], conv func(T) U) *store.Change[U] {
	if !n.IsSpecified() {
		return nil
	}
	c := &store.Change[U]{}
	if !n.IsNull() {
		v := conv(n.MustGet())
		c.Value = &v
	}
	return c
}

func same[T any](v T) T { return v }

// roundTo rounds to the decimals the database keeps (numeric(8,2) and
// numeric(8,4) on PostgreSQL), so SQLite stores the same value.
func roundTo(decimals int) func(float64) float64 {
	scale := math.Pow10(decimals)
	return func(v float64) float64 { return math.Round(v*scale) / scale }
}

// CreateVitalSign records a reading taken during a session (a clinician on
// the care team).
func (s *Server) CreateVitalSign(ctx context.Context, req api.CreateVitalSignRequestObject) (api.CreateVitalSignResponseObject, error) {
	id, ts, err := s.sessionReader(ctx, req.SessionID)
	if err != nil {
		return nil, err
	}
	if id.Role != models.RoleClinician {
		return nil, apperr.New(apperr.Forbidden, "Only clinicians on the patient's care team record vital signs.")
	}
	b := req.Body
	var bad fieldErrors
	bad.notFuture("taken_at", b.TakenAt, s.Now())
	bad.bloodPressure("", b.Systolic, b.Diastolic)
	if err := bad.err(); err != nil {
		return nil, err
	}
	v := models.VitalSign{
		ID: clientID(b.ID), SessionID: ts.ID, RecordedBy: id.UserID, TakenAt: instant(b.TakenAt),
		Systolic: b.Systolic, Diastolic: b.Diastolic, HeartRate: b.HeartRate, Spo2: b.Spo2,
	}
	existed, err := s.createOnce(ctx, store.VitalSigns, b.ID, id.UserID,
		func() error { return s.Store.CreateVitalSign(ctx, &v) },
		func(rid uuid.UUID) (err error) {
			if v, err = s.Store.VitalSignByID(ctx, rid); err == nil && v.SessionID != ts.ID {
				err = errIDTaken
			}
			return err
		})
	if err != nil {
		return nil, err
	}
	if existed {
		return api.CreateVitalSign200JSONResponse{Body: toVitalSign(v)}, nil
	}
	return api.CreateVitalSign201JSONResponse{Body: toVitalSign(v)}, nil
}

// ListVitalSigns lists a session's readings for those who may read the session.
func (s *Server) ListVitalSigns(ctx context.Context, req api.ListVitalSignsRequestObject) (api.ListVitalSignsResponseObject, error) {
	_, ts, err := s.sessionReader(ctx, req.SessionID)
	if err != nil {
		return nil, err
	}
	vs, next, err := s.Store.ListVitalSigns(ctx, ts.ID, listPage(req.Params.Limit, req.Params.Cursor, req.Params.UpdatedSince))
	if err != nil {
		return nil, err
	}
	items := make([]api.VitalSign, len(vs))
	for i, v := range vs {
		items[i] = toVitalSign(v)
	}
	return api.ListVitalSigns200JSONResponse{Body: api.VitalSignPage{Items: items, NextCursor: nextCursor(next)}}, nil
}

// sessionsFor converts sessions of one patient for the caller: clinical
// notes for the care team only, and the ids of the journal entries about
// each session that the caller may read (all for the patient, shared ones
// for the care team, none for admins), found in one query for the page.
func (s *Server) sessionsFor(ctx context.Context, id auth.Identity, patientID uuid.UUID, sessions []models.TreatmentSession) ([]api.TreatmentSession, error) {
	var entries map[uuid.UUID][]uuid.UUID
	if id.Role != models.RoleAdmin {
		ids := make([]uuid.UUID, len(sessions))
		for i, ts := range sessions {
			ids[i] = ts.ID
		}
		var err error
		entries, err = s.Store.JournalEntryIDsBySession(ctx, patientID, ids, id.Role != models.RolePatient)
		if err != nil {
			return nil, err
		}
	}
	out := make([]api.TreatmentSession, len(sessions))
	for i, ts := range sessions {
		out[i] = toSession(ts, seesClinicalNotes(id))
		if entries != nil {
			list := entries[ts.ID]
			if list == nil {
				list = []uuid.UUID{}
			}
			out[i].Integration.JournalEntryIds = &list
		}
	}
	return out, nil
}
