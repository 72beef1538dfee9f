package handlers

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/oapi-codegen/nullable"

	"github.com/ketacare/api/internal/api"
	"github.com/ketacare/api/internal/apperr"
	"github.com/ketacare/api/internal/clock"
	"github.com/ketacare/api/internal/store"
)

// CreateActivity logs an activity for the signed-in patient (patients only,
// by x-roles).
func (s *Server) CreateActivity(ctx context.Context, req api.CreateActivityRequestObject) (api.CreateActivityResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	if b.OccurredAt.After(s.Now().Add(clock.Skew)) {
		return nil, apperr.Field("occurred_at", "must not be in the future")
	}
	var a store.Activity
	existed, err := s.createOnce(ctx, store.Activities, b.ID, id.UserID,
		func() (err error) {
			a, err = s.Store.CreateActivity(ctx, store.Activity{
				ID: clientID(b.ID), PatientID: id.UserID, Kind: string(b.Kind), OccurredAt: b.OccurredAt, DurationMinutes: b.DurationMinutes, Note: b.Note,
			})
			return err
		},
		func(rid uuid.UUID) (err error) { a, err = s.Store.ActivityByID(ctx, rid); return err })
	if err != nil {
		return nil, err
	}
	if existed {
		return api.CreateActivity200JSONResponse{Body: toActivity(a)}, nil
	}
	return api.CreateActivity201JSONResponse{Body: toActivity(a)}, nil
}

// ListActivities lists the signed-in patient's activities.
func (s *Server) ListActivities(ctx context.Context, req api.ListActivitiesRequestObject) (api.ListActivitiesResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	p := req.Params
	items, next, err := s.listActivities(ctx, id.UserID, p.Kind, p.From, p.To, listPage(p.Limit, p.Cursor, p.UpdatedSince))
	if err != nil {
		return nil, err
	}
	return api.ListActivities200JSONResponse{Body: api.ActivityPage{Items: items, NextCursor: next}}, nil
}

// DeleteActivity erases one of the signed-in patient's activities.
func (s *Server) DeleteActivity(ctx context.Context, req api.DeleteActivityRequestObject) (api.DeleteActivityResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.Store.DeleteActivity(ctx, id.UserID, req.ActivityID); err != nil {
		return nil, err
	}
	return api.DeleteActivity204Response{}, nil
}

// ListPatientActivities lists a patient's activities for their care team.
func (s *Server) ListPatientActivities(ctx context.Context, req api.ListPatientActivitiesRequestObject) (api.ListPatientActivitiesResponseObject, error) {
	if _, err := s.patientReader(ctx, req.PatientID); err != nil {
		return nil, err
	}
	p := req.Params
	items, next, err := s.listActivities(ctx, req.PatientID, p.Kind, p.From, p.To, listPage(p.Limit, p.Cursor, p.UpdatedSince))
	if err != nil {
		return nil, err
	}
	return api.ListPatientActivities200JSONResponse{Body: api.ActivityPage{Items: items, NextCursor: next}}, nil
}

func (s *Server) listActivities(ctx context.Context, patientID uuid.UUID, kind *api.ActivityKind, from, to *time.Time,
	p store.Page) ([]api.Activity, nullable.Nullable[string], error) {
	occurred, err := timeRange(from, to)
	if err != nil {
		return nil, nullable.Nullable[string]{}, err
	}
	f := store.ActivityFilter{PatientID: patientID, Occurred: occurred}
	if kind != nil {
		k := string(*kind)
		f.Kind = &k
	}
	activities, next, err := s.Store.ListActivities(ctx, f, p)
	if err != nil {
		return nil, nullable.Nullable[string]{}, err
	}
	return convertAll(activities, toActivity), nextCursor(next), nil
}
