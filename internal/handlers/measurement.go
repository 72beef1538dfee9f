package handlers

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/ketacare/api/internal/api"
	"github.com/ketacare/api/internal/apperr"
	"github.com/ketacare/api/internal/auth"
	"github.com/ketacare/api/internal/clock"
	"github.com/ketacare/api/internal/measurement"
	"github.com/ketacare/api/internal/models"
	"github.com/ketacare/api/internal/reqctx"
	"github.com/ketacare/api/internal/store"
)

// ListAssessmentInstruments returns the questionnaire catalog.
func (s *Server) ListAssessmentInstruments(ctx context.Context, _ api.ListAssessmentInstrumentsRequestObject) (api.ListAssessmentInstrumentsResponseObject, error) {
	items := make([]api.InstrumentDefinition, len(measurement.Instruments))
	for i, in := range measurement.Instruments {
		items[i] = toInstrumentDefinition(in)
	}
	return api.ListAssessmentInstruments200JSONResponse{Body: api.InstrumentCatalog{Items: items}}, nil
}

// CreateAssessment scores a patient's answers and stores them, with a safety
// alert in the same transaction when the answers call for one.
func (s *Server) CreateAssessment(ctx context.Context, req api.CreateAssessmentRequestObject) (api.CreateAssessmentResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	in, ok := measurement.Lookup(string(b.Instrument))
	if !ok {
		return nil, apperr.Field("instrument", "is not a known instrument")
	}
	var bad []apperr.FieldError
	score, err := in.Score(b.Answers)
	var ae *measurement.AnswerError
	if errors.As(err, &ae) {
		bad = append(bad, apperr.FieldError{Field: ae.Field, Reason: ae.Reason})
	} else if err != nil {
		return nil, err
	}
	takenAt, fe := takenAtOrNow("taken_at", b.TakenAt, s.Now())
	if fe != nil {
		bad = append(bad, *fe)
	}
	if b.SessionID != nil {
		if _, err := s.Store.SessionOfPatient(ctx, *b.SessionID, id.UserID); apperr.Is(err, apperr.NotFound) {
			bad = append(bad, InputFields[store.ErrNotYourSession])
		} else if err != nil {
			return nil, err
		}
	}
	if len(bad) > 0 {
		return nil, apperr.Fields(bad)
	}

	a := models.Assessment{
		ID:         clientID(b.ID),
		PatientID:  id.UserID,
		Instrument: in.Key,
		Answers:    measurement.EncodeAnswers(b.Answers),
		Total:      score.Total,
		Severity:   score.Severity,
		SessionID:  b.SessionID,
		TakenAt:    takenAt,
	}
	var alert *models.SafetyAlert
	var careTeam bool
	if score.SafetyScore > 0 {
		alert = &models.SafetyAlert{Reason: in.SafetyReason, ItemScore: score.SafetyScore}
		// Asked before storing, so that a failure here cannot leave a stored
		// assessment behind an error the app might retry.
		if careTeam, err = s.Store.HasCareTeam(ctx, id.UserID); err != nil {
			return nil, err
		}
	}
	existed, err := s.createOnce(ctx, store.Assessments, b.ID, id.UserID,
		func() error { return s.Store.CreateAssessment(ctx, &a, alert) },
		func(rid uuid.UUID) (err error) { a, err = s.Store.AssessmentByID(ctx, rid); return err })
	if err != nil {
		return nil, err
	}
	out, err := toAssessment(a)
	if err != nil {
		return nil, err
	}
	if existed {
		// The retry is told again what the first answer told: the alert
		// was raised then, and the crisis resources still apply.
		if raisedSafety(a) {
			if careTeam, err = s.Store.HasCareTeam(ctx, id.UserID); err != nil {
				return nil, err
			}
			out.Safety = s.safetyNotice(careTeam)
		}
		return api.CreateAssessment200JSONResponse{Body: out}, nil
	}
	if alert != nil {
		// Stored and committed: counted once, never for a replay.
		s.Metrics.AlertCreated(alert.Reason)
		out.Safety = s.safetyNotice(careTeam)
	}
	return api.CreateAssessment201JSONResponse{Body: out}, nil
}

// safetyNotice is what a patient whose answers raised a safety alert sees
// at once: who will follow up, and whom to reach now.
func (s *Server) safetyNotice(careTeam bool) *api.SafetyNotice {
	who := "Your care team has been told"
	if !careTeam {
		who = "Your clinic has been told"
	}
	resources := make([]api.CrisisResource, len(s.CrisisResources))
	for i, r := range s.CrisisResources {
		resources[i] = api.CrisisResource{Name: r.Name, Contact: r.Contact}
		if r.URL != "" {
			resources[i].URL = ptr(r.URL)
		}
	}
	return &api.SafetyNotice{
		Message: "You told us you have had thoughts that you would be better off dead or of hurting yourself. " +
			who + " and will follow up with you. If you might act on these thoughts, or are in danger now, reach out right away:",
		CareTeamNotified: careTeam,
		Resources:        resources,
	}
}

// ListMyAssessments lists the signed-in patient's assessments.
func (s *Server) ListMyAssessments(ctx context.Context, req api.ListMyAssessmentsRequestObject) (api.ListMyAssessmentsResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	page, err := s.assessmentPage(ctx, id.UserID, req.Params)
	if err != nil {
		return nil, err
	}
	return api.ListMyAssessments200JSONResponse{Body: page}, nil
}

// ListPatientAssessments lists a patient's assessments for those who may
// read their records.
func (s *Server) ListPatientAssessments(ctx context.Context, req api.ListPatientAssessmentsRequestObject) (api.ListPatientAssessmentsResponseObject, error) {
	if _, err := s.patientReader(ctx, req.PatientID); err != nil {
		return nil, err
	}
	page, err := s.assessmentPage(ctx, req.PatientID, api.ListMyAssessmentsParams(req.Params))
	if err != nil {
		return nil, err
	}
	return api.ListPatientAssessments200JSONResponse{Body: page}, nil
}

// assessmentPage is one page of a patient's assessments; both list
// operations take the same parameters.
func (s *Server) assessmentPage(ctx context.Context, patientID uuid.UUID, p api.ListMyAssessmentsParams) (api.AssessmentPage, error) {
	f, err := takenFilter(patientID, p.From, p.To)
	if err != nil {
		return api.AssessmentPage{}, err
	}
	var instrument string
	if p.Instrument != nil {
		instrument = string(*p.Instrument)
	}
	rows, next, err := s.Store.ListAssessments(ctx, f, instrument, listPage(p.Limit, p.Cursor, p.UpdatedSince))
	if err != nil {
		return api.AssessmentPage{}, err
	}
	items := make([]api.Assessment, len(rows))
	for i, a := range rows {
		if items[i], err = toAssessment(a); err != nil {
			return api.AssessmentPage{}, err
		}
	}
	return api.AssessmentPage{Items: items, NextCursor: nextCursor(next)}, nil
}

// ListAlerts lists the safety alerts the caller follows up: a clinician's
// patients' alerts, or any alert for an admin.
func (s *Server) ListAlerts(ctx context.Context, req api.ListAlertsRequestObject) (api.ListAlertsResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	p := req.Params
	f := store.AlertFilter{PatientID: p.PatientID, Status: models.AlertStatusOpen, Unassigned: p.Unassigned != nil && *p.Unassigned}
	if p.Status != nil {
		f.Status = string(*p.Status)
		if *p.Status == api.ListAlertsParamsStatusAll {
			f.Status = ""
		}
	}
	rows, next, err := s.Store.ListAlerts(ctx, alertScope(id), f, listPage(p.Limit, p.Cursor, p.UpdatedSince))
	if err != nil {
		return nil, err
	}
	items := make([]api.SafetyAlert, len(rows))
	for i, a := range rows {
		items[i] = toSafetyAlert(a)
		reqctx.NoteAccess(ctx, a.PatientID)
	}
	return api.ListAlerts200JSONResponse{Body: api.SafetyAlertPage{Items: items, NextCursor: nextCursor(next)}}, nil
}

// AcknowledgeAlert records that the caller has followed up an alert.
func (s *Server) AcknowledgeAlert(ctx context.Context, req api.AcknowledgeAlertRequestObject) (api.AcknowledgeAlertResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	var note *string
	if req.Body != nil {
		note = req.Body.Note
	}
	a, err := s.Store.AcknowledgeAlert(ctx, req.AlertID, alertScope(id), id.UserID, note)
	if err != nil {
		return nil, err
	}
	reqctx.NoteAccess(ctx, a.PatientID)
	return api.AcknowledgeAlert200JSONResponse{Body: toSafetyAlert(a)}, nil
}

// alertScope is what the caller may see of the alerts: a clinician, only
// their care team's patients'; an admin (x-roles admits no one else), all.
func alertScope(id auth.Identity) store.AlertScope {
	if id.Role == models.RoleClinician {
		return store.AlertScope{ClinicianID: &id.UserID}
	}
	return store.AlertScope{}
}

// CreateMoodCheckIn stores the signed-in patient's mood check-in.
func (s *Server) CreateMoodCheckIn(ctx context.Context, req api.CreateMoodCheckInRequestObject) (api.CreateMoodCheckInResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	takenAt, fe := takenAtOrNow("taken_at", b.TakenAt, s.Now())
	if fe != nil {
		return nil, apperr.Field(fe.Field, fe.Reason)
	}
	var m store.MoodCheckIn
	existed, err := s.createOnce(ctx, store.MoodCheckIns, b.ID, id.UserID,
		func() (err error) {
			m, err = s.Store.CreateMoodCheckIn(ctx, store.MoodCheckIn{ID: clientID(b.ID), PatientID: id.UserID, Mood: b.Mood, Anxiety: b.Anxiety, Note: b.Note, TakenAt: takenAt})
			return err
		},
		func(rid uuid.UUID) (err error) { m, err = s.Store.MoodCheckInByID(ctx, rid); return err })
	if err != nil {
		return nil, err
	}
	if existed {
		return api.CreateMoodCheckIn200JSONResponse{Body: toMoodCheckIn(m)}, nil
	}
	return api.CreateMoodCheckIn201JSONResponse{Body: toMoodCheckIn(m)}, nil
}

// ListMyMoodCheckIns lists the signed-in patient's check-ins.
func (s *Server) ListMyMoodCheckIns(ctx context.Context, req api.ListMyMoodCheckInsRequestObject) (api.ListMyMoodCheckInsResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	page, err := s.moodPage(ctx, id.UserID, req.Params)
	if err != nil {
		return nil, err
	}
	return api.ListMyMoodCheckIns200JSONResponse{Body: page}, nil
}

// ListPatientMoodCheckIns lists a patient's check-ins for those who may
// read their records.
func (s *Server) ListPatientMoodCheckIns(ctx context.Context, req api.ListPatientMoodCheckInsRequestObject) (api.ListPatientMoodCheckInsResponseObject, error) {
	if _, err := s.patientReader(ctx, req.PatientID); err != nil {
		return nil, err
	}
	page, err := s.moodPage(ctx, req.PatientID, api.ListMyMoodCheckInsParams(req.Params))
	if err != nil {
		return nil, err
	}
	return api.ListPatientMoodCheckIns200JSONResponse{Body: page}, nil
}

func (s *Server) moodPage(ctx context.Context, patientID uuid.UUID, p api.ListMyMoodCheckInsParams) (api.MoodCheckInPage, error) {
	f, err := takenFilter(patientID, p.From, p.To)
	if err != nil {
		return api.MoodCheckInPage{}, err
	}
	rows, next, err := s.Store.ListMoodCheckIns(ctx, f, listPage(p.Limit, p.Cursor, p.UpdatedSince))
	if err != nil {
		return api.MoodCheckInPage{}, err
	}
	items := make([]api.MoodCheckIn, len(rows))
	for i, m := range rows {
		items[i] = toMoodCheckIn(m)
	}
	return api.MoodCheckInPage{Items: items, NextCursor: nextCursor(next)}, nil
}

// takenAtOrNow is when a record was taken: the time given, or now. A time
// in the future (beyond a device's clock.Skew) is refused.
func takenAtOrNow(field string, t *time.Time, now time.Time) (time.Time, *apperr.FieldError) {
	if t == nil {
		return now, nil
	}
	if t.After(now.Add(clock.Skew)) {
		return time.Time{}, &apperr.FieldError{Field: field, Reason: "must not be in the future"}
	}
	return t.UTC().Truncate(time.Microsecond), nil
}

// takenFilter checks a list's from and to parameters.
func takenFilter(patientID uuid.UUID, from, to *time.Time) (store.TakenFilter, error) {
	r, err := timeRange(from, to)
	return store.TakenFilter{PatientID: patientID, Taken: r}, err
}

// raisedSafety reports whether a stored assessment's answers call for a
// safety alert, as they did when it was taken.
func raisedSafety(a models.Assessment) bool {
	in, ok := measurement.Lookup(a.Instrument)
	if !ok {
		return false
	}
	answers, err := measurement.DecodeAnswers(a.Answers)
	if err != nil {
		return false
	}
	score, err := in.Score(answers)
	return err == nil && score.SafetyScore > 0
}
