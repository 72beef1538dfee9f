package handlers

import (
	"context"
	"net/http"

	"github.com/getkin/kin-openapi/routers"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/ketacare/api/internal/api"
	"github.com/ketacare/api/internal/auth"
	"github.com/ketacare/api/internal/models"
	"github.com/ketacare/api/internal/reqctx"
	"github.com/ketacare/api/internal/store"
)

// The audit trail (HIPAA §164.312(b)): every read or change of a patient's
// records by a clinician or an admin is recorded, never its content. The
// handlers say whose records a request touched (noteAccess, called by the
// access checks); the middleware records it before the response leaves, so
// a request whose access could not be recorded fails instead of going
// unrecorded.

// auditTrail records the accesses of clinicians and admins.
func auditTrail(st *store.Store) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			id, ok := reqctx.Identity(req.Context())
			route, _ := c.Get(routeKey).(*routers.Route)
			if !ok || route == nil || (id.Role != models.RoleClinician && id.Role != models.RoleAdmin) {
				return next(c)
			}
			ctx, note := reqctx.WithAccessNote(req.Context())
			c.SetRequest(req.WithContext(ctx))

			orig := c.Response().Writer
			buf := &capture{ResponseWriter: orig, header: http.Header{}}
			c.Response().Writer = buf
			err := next(c)
			c.Response().Writer = orig
			for k, vs := range buf.header {
				orig.Header()[k] = vs
			}
			if err == nil && buf.status > 0 && buf.status < 400 {
				if rerr := st.RecordAccess(req.Context(), auditEvents(c, id, route, note)); rerr != nil {
					orig.Header().Del("ETag")
					return rerr // nothing of the records leaves unrecorded
				}
			}
			if buf.status > 0 {
				orig.WriteHeader(buf.status)
				if _, werr := orig.Write(buf.body); werr != nil && err == nil {
					err = werr
				}
			}
			return err
		}
	}
}

// auditEvents are the events of one request, one per patient touched.
func auditEvents(c echo.Context, id auth.Identity, route *routers.Route, note *reqctx.AccessNote) []models.AuditEvent {
	action := "write"
	if c.Request().Method == http.MethodGet {
		action = "read"
	}
	var resourceID *uuid.UUID
	values := c.ParamValues()
	for i := len(values) - 1; i >= 0; i-- {
		if u, err := uuid.Parse(values[i]); err == nil {
			resourceID = &u
			break
		}
	}
	seen := map[uuid.UUID]bool{}
	var events []models.AuditEvent
	for _, p := range note.Patients() {
		if seen[p] {
			continue
		}
		seen[p] = true
		events = append(events, models.AuditEvent{
			ActorID: id.UserID, ActorRole: id.Role, PatientID: p, Action: action,
			Operation: route.Operation.OperationID, Resource: route.Path, ResourceID: resourceID,
			RequestID: c.Response().Header().Get(echo.HeaderXRequestID),
		})
	}
	return events
}

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
