package handlers

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ketacare/api/internal/api"
	"github.com/ketacare/api/internal/apperr"
	"github.com/ketacare/api/internal/auth"
	"github.com/ketacare/api/internal/clock"
	"github.com/ketacare/api/internal/models"
	"github.com/ketacare/api/internal/policy"
	"github.com/ketacare/api/internal/scheduling"
	"github.com/ketacare/api/internal/store"
)

// defaultSessionTime is the local time of a plan's sessions when the
// clinician names none: a morning slot, leaving the day for recovery.
const defaultSessionTime = "09:00"

// defaultSessionCount is the course found most effective: six sessions.
const defaultSessionCount = 6

// careTeamWriter returns the caller when they are a clinician on the
// patient's care team, the only people who write clinical records. Admins
// manage accounts, not care (x-roles keeps them out; this is the second
// lock). Anyone who may not see the patient gets NotFound.
func (s *Server) careTeamWriter(ctx context.Context, patientID uuid.UUID) (auth.Identity, error) {
	id, access, err := s.patientAccess(ctx, patientID)
	if err != nil {
		return id, err
	}
	if !access.WriteClinical {
		return id, apperr.New(apperr.Forbidden, "Only clinicians on the patient's care team write clinical records.")
	}
	return id, nil
}

// seesClinicalNotes reports whether a caller already admitted to a
// patient's records also sees the care team's clinical notes (the policy
// decides).
func seesClinicalNotes(id auth.Identity) bool { return policy.SeesClinicalNotes(callerOf(id)) }

// fieldErrors gathers the invalid fields of a request, so one answer names
// them all.
type fieldErrors []apperr.FieldError

func (f *fieldErrors) add(field, reason string) {
	*f = append(*f, apperr.FieldError{Field: field, Reason: reason})
}

// notFuture refuses a time that has not happened by now, allowing for a
// device's clock.Skew.
func (f *fieldErrors) notFuture(field string, t, now time.Time) {
	if t.After(now.Add(clock.Skew)) {
		f.add(field, "is in the future")
	}
}

// bloodPressure checks that a reading's diastolic is below its systolic.
func (f *fieldErrors) bloodPressure(prefix string, systolic, diastolic int) {
	if diastolic >= systolic {
		f.add(prefix+"diastolic", "must be below systolic")
	}
}

func (f fieldErrors) err() error {
	if len(f) == 0 {
		return nil
	}
	return apperr.Fields(f)
}

// instant is a client's timestamp as the store keeps it: UTC, to the
// microsecond, so it reads back exactly as written on both databases.
func instant(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// CreateEvaluation records a candidacy evaluation (a clinician on the care team).
func (s *Server) CreateEvaluation(ctx context.Context, req api.CreateEvaluationRequestObject) (api.CreateEvaluationResponseObject, error) {
	id, err := s.careTeamWriter(ctx, req.PatientID)
	if err != nil {
		return nil, err
	}
	b := req.Body
	var bad fieldErrors
	bad.notFuture("evaluated_at", b.EvaluatedAt, s.Now())
	bp := b.BaselineBloodPressure
	if bp != nil {
		bad.bloodPressure("baseline_blood_pressure.", bp.Systolic, bp.Diastolic)
	} else if b.Outcome == api.Eligible {
		bad.add("baseline_blood_pressure", "is required for an eligible outcome: session readings are compared with it")
	}
	if err := bad.err(); err != nil {
		return nil, err
	}
	e := models.CandidacyEvaluation{
		ID: clientID(b.ID), PatientID: req.PatientID, EvaluatedBy: id.UserID, EvaluatedAt: instant(b.EvaluatedAt),
		Outcome: string(b.Outcome), ClinicianNotes: b.ClinicianNotes,
	}
	if b.Contraindications != nil {
		found := make([]string, len(*b.Contraindications))
		for i, c := range *b.Contraindications {
			found[i] = string(c)
		}
		e.Contraindications = strings.Join(found, ",")
	}
	if bp != nil {
		e.BaselineSystolic, e.BaselineDiastolic = &bp.Systolic, &bp.Diastolic
	}
	existed, err := s.createOnce(ctx, store.Evaluations, b.ID, id.UserID,
		func() error { return s.Store.CreateEvaluation(ctx, &e) },
		func(rid uuid.UUID) (err error) {
			if e, err = s.Store.EvaluationByID(ctx, rid); err == nil && e.PatientID != req.PatientID {
				err = errIDTaken
			}
			return err
		})
	if err != nil {
		return nil, err
	}
	if existed {
		return api.CreateEvaluation200JSONResponse{Body: toEvaluation(e, true)}, nil
	}
	return api.CreateEvaluation201JSONResponse{Body: toEvaluation(e, true)}, nil
}

// ListEvaluations lists a patient's evaluations for those who may read them.
func (s *Server) ListEvaluations(ctx context.Context, req api.ListEvaluationsRequestObject) (api.ListEvaluationsResponseObject, error) {
	id, err := s.patientReader(ctx, req.PatientID)
	if err != nil {
		return nil, err
	}
	evs, next, err := s.Store.ListEvaluations(ctx, req.PatientID, listPage(req.Params.Limit, req.Params.Cursor, req.Params.UpdatedSince))
	if err != nil {
		return nil, err
	}
	items := make([]api.CandidacyEvaluation, len(evs))
	for i, e := range evs {
		items[i] = toEvaluation(e, seesClinicalNotes(id))
	}
	return api.ListEvaluations200JSONResponse{Body: api.CandidacyEvaluationPage{Items: items, NextCursor: nextCursor(next)}}, nil
}

// CreateTreatmentPlan makes a plan and schedules its sessions (a clinician
// on the care team).
func (s *Server) CreateTreatmentPlan(ctx context.Context, req api.CreateTreatmentPlanRequestObject) (api.CreateTreatmentPlanResponseObject, error) {
	id, err := s.careTeamWriter(ctx, req.PatientID)
	if err != nil {
		return nil, err
	}
	b := req.Body
	np := store.NewPlan{ID: clientID(b.ID), Route: string(b.Route), Plan: scheduling.Plan{
		StartDate: b.StartDate.Time, SessionsPerWeek: int(b.SessionsPerWeek), SessionCount: defaultSessionCount, TimeOfDay: defaultSessionTime,
	}}
	if b.SessionCount != nil {
		np.SessionCount = *b.SessionCount
	}
	if b.PreferredTime != nil {
		np.TimeOfDay = *b.PreferredTime
	}
	if b.PreferredWeekdays != nil {
		np.Weekdays = *b.PreferredWeekdays
	}
	var plan models.TreatmentPlan
	existed, err := s.createOnce(ctx, store.TreatmentPlans, b.ID, id.UserID,
		func() (err error) {
			plan, err = s.Store.CreatePlan(ctx, req.PatientID, id.UserID, np)
			return planField(err)
		},
		func(rid uuid.UUID) (err error) {
			if plan, err = s.Store.PlanOfPatient(ctx, rid, req.PatientID); apperr.Is(err, apperr.NotFound) {
				err = errIDTaken
			}
			return err
		})
	if err != nil {
		return nil, err
	}
	body := toPlan(plan)
	tag := ETag(body.ID, body.Version)
	if existed {
		return api.CreateTreatmentPlan200JSONResponse{Body: body, Headers: api.CreateTreatmentPlan200ResponseHeaders{ETag: &tag}}, nil
	}
	return api.CreateTreatmentPlan201JSONResponse{Body: body, Headers: api.CreateTreatmentPlan201ResponseHeaders{ETag: &tag}}, nil
}

// planInputs are the request fields of each part of a plan.
var planInputs = map[scheduling.Input]string{
	scheduling.StartDate:       "start_date",
	scheduling.SessionsPerWeek: "sessions_per_week",
	scheduling.SessionCount:    "session_count",
	scheduling.Weekdays:        "preferred_weekdays",
	scheduling.TimeOfDay:       "preferred_time",
}

// planField names the request field a scheduling error is about.
func planField(err error) error {
	if se, ok := errors.AsType[*scheduling.Error](err); ok {
		return apperr.Field(planInputs[se.Input], se.Reason)
	}
	return err
}

// ListTreatmentPlans lists a patient's plans for those who may read them.
func (s *Server) ListTreatmentPlans(ctx context.Context, req api.ListTreatmentPlansRequestObject) (api.ListTreatmentPlansResponseObject, error) {
	if _, err := s.patientReader(ctx, req.PatientID); err != nil {
		return nil, err
	}
	plans, next, err := s.Store.ListPlans(ctx, req.PatientID, listPage(req.Params.Limit, req.Params.Cursor, req.Params.UpdatedSince))
	if err != nil {
		return nil, err
	}
	items := make([]api.TreatmentPlan, len(plans))
	for i, p := range plans {
		items[i] = toPlan(p)
	}
	return api.ListTreatmentPlans200JSONResponse{Body: api.TreatmentPlanPage{Items: items, NextCursor: nextCursor(next)}}, nil
}

// GetTreatmentPlan returns one of a patient's plans.
func (s *Server) GetTreatmentPlan(ctx context.Context, req api.GetTreatmentPlanRequestObject) (api.GetTreatmentPlanResponseObject, error) {
	if _, err := s.patientReader(ctx, req.PatientID); err != nil {
		return nil, err
	}
	plan, err := s.Store.PlanOfPatient(ctx, req.PlanID, req.PatientID)
	if err != nil {
		return nil, err
	}
	body := toPlan(plan)
	tag := ETag(body.ID, body.Version)
	if notModified(req.Params.IfNoneMatch, tag) {
		return api.GetTreatmentPlan304Response{Headers: api.NotModifiedResponseHeaders{ETag: &tag}}, nil
	}
	return api.GetTreatmentPlan200JSONResponse{Body: body, Headers: api.GetTreatmentPlan200ResponseHeaders{ETag: &tag}}, nil
}

// UpdateTreatmentPlan completes or cancels a plan (a clinician on the care team).
func (s *Server) UpdateTreatmentPlan(ctx context.Context, req api.UpdateTreatmentPlanRequestObject) (api.UpdateTreatmentPlanResponseObject, error) {
	if _, err := s.careTeamWriter(ctx, req.PatientID); err != nil {
		return nil, err
	}
	plan, err := s.Store.SetPlanStatus(ctx, req.PlanID, req.PatientID, ifMatch(req.Params.IfMatch, req.PlanID), string(req.Body.Status))
	if err != nil {
		return nil, err
	}
	body := toPlan(plan)
	tag := ETag(body.ID, body.Version)
	return api.UpdateTreatmentPlan200JSONResponse{Body: body, Headers: api.UpdateTreatmentPlan200ResponseHeaders{ETag: &tag}}, nil
}
