package web

import (
	"net/http"

	"github.com/getkin/kin-openapi/routers"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

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
