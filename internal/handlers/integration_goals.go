package handlers

import (
	"context"

	"github.com/google/uuid"

	"github.com/ketacare/api/internal/api"
	"github.com/ketacare/api/internal/models"
	"github.com/ketacare/api/internal/store"
)

// CreateGoal sets a goal for the signed-in patient (patients only, by
// x-roles).
func (s *Server) CreateGoal(ctx context.Context, req api.CreateGoalRequestObject) (api.CreateGoalResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	if err := s.checkSourceEntry(ctx, id.UserID, b.SourceJournalEntryID); err != nil {
		return nil, err
	}
	g := store.Goal{
		ID: clientID(b.ID), PatientID: id.UserID, Title: b.Title, Why: b.Why, SourceJournalEntryID: b.SourceJournalEntryID,
		Category: string(b.Category), FirstStep: b.FirstStep, Status: models.GoalActive,
	}
	if b.Status != nil {
		g.Status = string(*b.Status)
	}
	if b.TargetDate != nil {
		g.TargetDate = &b.TargetDate.Time
	}
	existed, err := s.createOnce(ctx, store.Goals, b.ID, id.UserID,
		func() (err error) { g, err = s.Store.CreateGoal(ctx, g); return err },
		func(rid uuid.UUID) (err error) { g, err = s.Store.GoalOf(ctx, id.UserID, rid); return err })
	if err != nil {
		return nil, err
	}
	body := toGoal(g)
	tag := ETag(body.ID, body.Version)
	if existed {
		return api.CreateGoal200JSONResponse{Body: body, Headers: api.CreateGoal200ResponseHeaders{ETag: &tag}}, nil
	}
	return api.CreateGoal201JSONResponse{Body: body, Headers: api.CreateGoal201ResponseHeaders{ETag: &tag}}, nil
}

// ListGoals lists the signed-in patient's goals.
func (s *Server) ListGoals(ctx context.Context, req api.ListGoalsRequestObject) (api.ListGoalsResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	p := req.Params
	items, next, err := s.listGoals(ctx, store.GoalFilter{PatientID: id.UserID}, p.Status, listPage(p.Limit, p.Cursor, p.UpdatedSince))
	if err != nil {
		return nil, err
	}
	return api.ListGoals200JSONResponse{Body: api.GoalPage{Items: items, NextCursor: nextCursor(next)}}, nil
}

// GetGoal returns one of the signed-in patient's goals.
func (s *Server) GetGoal(ctx context.Context, req api.GetGoalRequestObject) (api.GetGoalResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	g, err := s.Store.GoalOf(ctx, id.UserID, req.GoalID)
	if err != nil {
		return nil, err
	}
	body := toGoal(g)
	tag := ETag(body.ID, body.Version)
	if notModified(req.Params.IfNoneMatch, tag) {
		return api.GetGoal304Response{Headers: api.NotModifiedResponseHeaders{ETag: &tag}}, nil
	}
	return api.GetGoal200JSONResponse{Body: body, Headers: api.GetGoal200ResponseHeaders{ETag: &tag}}, nil
}

// UpdateGoal edits one of the signed-in patient's goals.
func (s *Server) UpdateGoal(ctx context.Context, req api.UpdateGoalRequestObject) (api.UpdateGoalResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	if err := s.checkSourceEntry(ctx, id.UserID, valueOf(b.SourceJournalEntryID)); err != nil {
		return nil, err
	}
	g, err := s.Store.UpdateGoal(ctx, id.UserID, req.GoalID, ifMatch(req.Params.IfMatch, req.GoalID), func(g *store.Goal) {
		set(&g.Title, b.Title)
		setNullable(&g.Why, b.Why)
		setNullable(&g.SourceJournalEntryID, b.SourceJournalEntryID)
		setNullable(&g.FirstStep, b.FirstStep)
		if b.TargetDate.IsSpecified() {
			g.TargetDate = nil
			if d := valueOf(b.TargetDate); d != nil {
				g.TargetDate = &d.Time
			}
		}
		if b.Category != nil {
			g.Category = string(*b.Category)
		}
		if b.Status != nil {
			g.Status = string(*b.Status)
		}
	})
	if err != nil {
		return nil, err
	}
	body := toGoal(g)
	tag := ETag(body.ID, body.Version)
	return api.UpdateGoal200JSONResponse{Body: body, Headers: api.UpdateGoal200ResponseHeaders{ETag: &tag}}, nil
}

// DeleteGoal erases one of the signed-in patient's goals and its check-ins.
func (s *Server) DeleteGoal(ctx context.Context, req api.DeleteGoalRequestObject) (api.DeleteGoalResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.Store.DeleteGoal(ctx, id.UserID, req.GoalID, ifMatch(req.Params.IfMatch, req.GoalID)); err != nil {
		return nil, err
	}
	return api.DeleteGoal204Response{}, nil
}

// CreateGoalCheckIn records progress on one of the signed-in patient's
// goals.
func (s *Server) CreateGoalCheckIn(ctx context.Context, req api.CreateGoalCheckInRequestObject) (api.CreateGoalCheckInResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	var c store.GoalCheckIn
	existed, err := s.createOnce(ctx, store.GoalCheckIns, b.ID, id.UserID,
		func() (err error) {
			c, err = s.Store.CreateGoalCheckIn(ctx, id.UserID, req.GoalID, store.GoalCheckIn{ID: clientID(b.ID), Progress: b.Progress, Note: b.Note})
			return err
		},
		func(rid uuid.UUID) (err error) {
			if c, err = s.Store.GoalCheckInByID(ctx, rid); err == nil && c.GoalID != req.GoalID {
				err = errIDTaken
			}
			return err
		})
	if err != nil {
		return nil, err
	}
	if existed {
		return api.CreateGoalCheckIn200JSONResponse{Body: toGoalCheckIn(c)}, nil
	}
	return api.CreateGoalCheckIn201JSONResponse{Body: toGoalCheckIn(c)}, nil
}

// ListGoalCheckIns lists the check-ins on one of the signed-in patient's
// goals.
func (s *Server) ListGoalCheckIns(ctx context.Context, req api.ListGoalCheckInsRequestObject) (api.ListGoalCheckInsResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	checkIns, next, err := s.Store.ListGoalCheckIns(ctx, id.UserID, req.GoalID, listPage(req.Params.Limit, req.Params.Cursor, req.Params.UpdatedSince))
	if err != nil {
		return nil, err
	}
	return api.ListGoalCheckIns200JSONResponse{Body: api.GoalCheckInPage{Items: convertAll(checkIns, toGoalCheckIn), NextCursor: nextCursor(next)}}, nil
}

// ListPatientGoals lists a patient's goals for their care team, read only.
func (s *Server) ListPatientGoals(ctx context.Context, req api.ListPatientGoalsRequestObject) (api.ListPatientGoalsResponseObject, error) {
	if _, err := s.patientReader(ctx, req.PatientID); err != nil {
		return nil, err
	}
	p := req.Params
	items, next, err := s.listGoals(ctx, store.GoalFilter{PatientID: req.PatientID, CareTeamView: true}, p.Status, listPage(p.Limit, p.Cursor, p.UpdatedSince))
	if err != nil {
		return nil, err
	}
	return api.ListPatientGoals200JSONResponse{Body: api.GoalPage{Items: items, NextCursor: nextCursor(next)}}, nil
}

// ListPatientGoalCheckIns lists the check-ins on a patient's goal for their
// care team.
func (s *Server) ListPatientGoalCheckIns(ctx context.Context, req api.ListPatientGoalCheckInsRequestObject) (api.ListPatientGoalCheckInsResponseObject, error) {
	if _, err := s.patientReader(ctx, req.PatientID); err != nil {
		return nil, err
	}
	checkIns, next, err := s.Store.ListGoalCheckIns(ctx, req.PatientID, req.GoalID, listPage(req.Params.Limit, req.Params.Cursor, req.Params.UpdatedSince))
	if err != nil {
		return nil, err
	}
	return api.ListPatientGoalCheckIns200JSONResponse{Body: api.GoalCheckInPage{Items: convertAll(checkIns, toGoalCheckIn), NextCursor: nextCursor(next)}}, nil
}

func (s *Server) listGoals(ctx context.Context, f store.GoalFilter, status *api.GoalStatus, p store.Page) ([]api.Goal, *string, error) {
	if status != nil {
		st := string(*status)
		f.Status = &st
	}
	goals, next, err := s.Store.ListGoals(ctx, f, p)
	if err != nil {
		return nil, nil, err
	}
	return convertAll(goals, toGoal), next, nil
}

// checkSourceEntry accepts only one of the patient's own journal entries
// as the source of a goal.
func (s *Server) checkSourceEntry(ctx context.Context, patientID uuid.UUID, entryID *uuid.UUID) error {
	if entryID == nil {
		return nil
	}
	ok, err := s.Store.IsJournalEntryOf(ctx, patientID, *entryID)
	if err != nil {
		return err
	}
	if !ok {
		return store.ErrNotYourJournalEntry
	}
	return nil
}
