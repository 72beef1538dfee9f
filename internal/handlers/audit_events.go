package handlers

import (
	"context"

	"github.com/ketacare/api/internal/api"
	"github.com/ketacare/api/internal/store"
)

// GetMyAccessLog lists who read or changed the signed-in patient's records.
func (s *Server) GetMyAccessLog(ctx context.Context, req api.GetMyAccessLogRequestObject) (api.GetMyAccessLogResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	p := req.Params
	items, next, err := s.auditPage(ctx, store.AuditFilter{PatientID: &id.UserID}, listPage(p.Limit, p.Cursor, p.UpdatedSince))
	if err != nil {
		return nil, err
	}
	return api.GetMyAccessLog200JSONResponse{Body: api.AuditEventPage{Items: items, NextCursor: nextCursor(next)}}, nil
}

// ListAuditEvents lists the audit trail for admins.
func (s *Server) ListAuditEvents(ctx context.Context, req api.ListAuditEventsRequestObject) (api.ListAuditEventsResponseObject, error) {
	f := store.AuditFilter{PatientID: req.Params.PatientID, ActorID: req.Params.ActorID}
	p := req.Params
	items, next, err := s.auditPage(ctx, f, listPage(p.Limit, p.Cursor, p.UpdatedSince))
	if err != nil {
		return nil, err
	}
	return api.ListAuditEvents200JSONResponse{Body: api.AuditEventPage{Items: items, NextCursor: nextCursor(next)}}, nil
}

func (s *Server) auditPage(ctx context.Context, f store.AuditFilter, p store.Page) ([]api.AuditEvent, *string, error) {
	rows, next, err := s.Store.ListAuditEvents(ctx, f, p)
	if err != nil {
		return nil, nil, err
	}
	items := make([]api.AuditEvent, len(rows))
	for i, e := range rows {
		items[i] = api.AuditEvent{
			ID: e.ID, ActorID: e.ActorID, ActorName: e.ActorName, ActorRole: api.AuditEventActorRole(e.ActorRole),
			PatientID: e.PatientID, Action: api.AuditEventAction(e.Action), Operation: e.Operation,
			Resource: e.Resource, ResourceID: e.ResourceID, RequestID: e.RequestID, OccurredAt: e.CreatedAt.UTC(),
		}
	}
	return items, next, nil
}
