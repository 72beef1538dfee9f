package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"

	"github.com/getkin/kin-openapi/routers"
	"github.com/labstack/echo/v4"

	"github.com/ketacare/api/internal/apperr"
	"github.com/ketacare/api/internal/handlers"
	"github.com/ketacare/api/internal/policy"
	"github.com/ketacare/api/internal/reqctx"
	"github.com/ketacare/api/internal/store"
)

// idempotency implements the Idempotency-Key header (IETF
// draft-ietf-httpapi-idempotency-key-header) for every operation that
// declares it: a phone that lost the response to a create retries with the
// same key and gets the first response back, status and body, without a
// second record. Keys are the caller's own and live in the database, so
// they hold across API instances. The same key with another body is 422;
// while the first request still runs, 409.
//
// A replay is access to the records again: a clinician's replay is refused
// once they are off the care team of a patient the first request touched,
// and every staff replay is audited like the request it repeats.
func idempotency(keys *store.Store, rights *policy.Policy, log func(ctx context.Context, msg string, args ...any)) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			route, _ := c.Get(routeKey).(*routers.Route)
			key := c.Request().Header.Get("Idempotency-Key")
			if route == nil || key == "" || !declaresHeader(route, "Idempotency-Key") {
				return next(c)
			}
			ctx := c.Request().Context()
			id, ok := reqctx.Identity(ctx)
			if !ok {
				return next(c)
			}
			body, _ := c.Get(bodyKey).([]byte)
			fingerprint := requestFingerprint(c.Request().Method, c.Request().URL.Path, body)

			claimed, earlierFP, earlier, err := keys.Claim(ctx, id.UserID, key, fingerprint)
			if err != nil {
				return err
			}
			if !claimed {
				switch {
				case earlierFP != fingerprint:
					return apperr.New(apperr.Unprocessable, "This Idempotency-Key was used with a different request; use a new key for a new request.")
				case earlier == nil:
					return apperr.New(apperr.Conflict, "A request with this Idempotency-Key is still being processed; retry in a moment.")
				}
				// A replay is a read of what the first answer held: the
				// caller must still be allowed to read each patient in it
				// (a clinician taken off the care team is not).
				for _, p := range earlier.Patients {
					access, err := rights.Patient(ctx, policy.Caller{UserID: id.UserID, Role: policy.Role(id.Role)}, p)
					if err != nil {
						return err
					}
					if !access.Read {
						return handlers.ErrNoPatient
					}
				}
				reqctx.NoteAccess(ctx, earlier.Patients...)
				h := c.Response().Header()
				h.Set(echo.HeaderContentType, earlier.ContentType)
				if earlier.ETag != "" {
					h.Set("ETag", earlier.ETag)
				}
				h.Set("Idempotent-Replayed", "true")
				return c.Blob(earlier.Status, earlier.ContentType, earlier.Body)
			}

			// First request with this key: capture the response to keep it.
			orig := c.Response().Writer
			buf := &capture{ResponseWriter: orig, header: http.Header{}}
			c.Response().Writer = buf
			if err := next(c); err != nil {
				c.Error(err) // the error handler writes into the capture
			}
			c.Response().Writer = orig
			for k, vs := range buf.header {
				orig.Header()[k] = vs
			}
			if buf.status >= 500 || buf.status == 0 {
				if err := keys.Release(ctx, id.UserID, key); err != nil {
					log(ctx, "release idempotency key", "error", err.Error())
				}
			} else {
				err := keys.Complete(ctx, id.UserID, key, store.IdempotentResponse{
					Status: buf.status, ContentType: buf.header.Get(echo.HeaderContentType), ETag: buf.header.Get("ETag"), Body: buf.body,
					Patients: reqctx.NotedPatients(c.Request().Context()),
				})
				if err != nil {
					// The write itself succeeded; a retry within the abandon
					// window gets 409, later it runs again.
					log(ctx, "store idempotent response", "error", err.Error())
				}
			}
			orig.WriteHeader(buf.status)
			_, err = orig.Write(buf.body)
			return err
		}
	}
}

// requestFingerprint tells two requests under one key apart.
func requestFingerprint(method, path string, body []byte) string {
	h := sha256.New()
	h.Write([]byte(method + " " + path + "\n"))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// capture holds a response until the idempotency middleware has kept it.
type capture struct {
	http.ResponseWriter
	header http.Header
	body   []byte
	status int
}

func (w *capture) Header() http.Header { return w.header }

func (w *capture) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *capture) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	w.body = append(w.body, b...)
	return len(b), nil
}
