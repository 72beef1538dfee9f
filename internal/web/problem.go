package web

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/ketacare/api/internal/api"
	"github.com/ketacare/api/internal/apperr"
	"github.com/ketacare/api/internal/handlers"
)

// problemTypePrefix starts every problem's type URI.
const problemTypePrefix = "urn:ketacare:problem:"

type problemKind struct {
	status int
	slug   string
	title  string
}

// problemKinds is the one table from domain error codes to HTTP.
var problemKinds = map[apperr.Code]problemKind{
	apperr.Invalid:         {http.StatusBadRequest, "validation", "Invalid request"},
	apperr.Unauthorized:    {http.StatusUnauthorized, "unauthorized", "Unauthorized"},
	apperr.Forbidden:       {http.StatusForbidden, "forbidden", "Forbidden"},
	apperr.NotFound:        {http.StatusNotFound, "not-found", "Not found"},
	apperr.Conflict:        {http.StatusConflict, "conflict", "Conflict"},
	apperr.TooLarge:        {http.StatusRequestEntityTooLarge, "payload-too-large", "Payload too large"},
	apperr.UnsupportedType: {http.StatusUnsupportedMediaType, "unsupported-media-type", "Unsupported media type"},
	apperr.Unprocessable:   {http.StatusUnprocessableEntity, "unprocessable", "Unprocessable request"},
	apperr.Unavailable:     {http.StatusServiceUnavailable, "unavailable", "Service unavailable"},
	apperr.Stale:           {http.StatusPreconditionFailed, "stale-version", "Precondition failed"},
	apperr.NeedsIfMatch:    {http.StatusPreconditionRequired, "if-match-required", "Precondition required"},
	apperr.TooMany:         {http.StatusTooManyRequests, "too-many-requests", "Too many requests"},
	apperr.Gone:            {http.StatusGone, "gone", "Gone"},
	apperr.Internal:        {http.StatusInternalServerError, "internal", "Internal server error"},
}

// echoCodes maps the errors Echo itself raises (routing, body limit) to
// domain codes, so they too leave as problem documents.
var echoCodes = map[int]apperr.Code{
	http.StatusBadRequest:            apperr.Invalid,
	http.StatusUnauthorized:          apperr.Unauthorized,
	http.StatusForbidden:             apperr.Forbidden,
	http.StatusNotFound:              apperr.NotFound,
	http.StatusRequestEntityTooLarge: apperr.TooLarge,
	http.StatusUnsupportedMediaType:  apperr.UnsupportedType,
	http.StatusServiceUnavailable:    apperr.Unavailable,
}

// errorHandler is Echo's HTTPErrorHandler: every error a handler or
// middleware returns is written here, as application/problem+json.
func errorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		status, p := toProblem(err)
		if status == http.StatusInternalServerError {
			log.ErrorContext(c.Request().Context(), "internal error", "error", err.Error())
		}
		if rid := c.Response().Header().Get(echo.HeaderXRequestID); rid != "" {
			p.RequestID = &rid
		}
		h := c.Response().Header()
		if status == http.StatusUnauthorized {
			h.Set(echo.HeaderWWWAuthenticate, wwwAuthenticate(err))
		}
		var ae *apperr.Error
		if errors.As(err, &ae) && ae.RetryAfter > 0 {
			h.Set(echo.HeaderRetryAfter, strconv.Itoa(int(math.Ceil(ae.RetryAfter.Seconds()))))
		}
		h.Set(echo.HeaderContentType, "application/problem+json")
		h.Set(echo.HeaderCacheControl, "no-store")
		if c.Request().Method == http.MethodHead {
			_ = c.NoContent(status)
			return
		}
		_ = c.JSON(status, p)
	}
}

// toProblem turns err into a status and a problem document that reveals
// nothing internal.
func toProblem(err error) (int, api.Problem) {
	var he *echo.HTTPError
	if errors.As(err, &he) {
		if code, ok := echoCodes[he.Code]; ok {
			err = apperr.New(code, "%s", echoMessage(he))
		} else if he.Code == http.StatusMethodNotAllowed {
			return he.Code, api.Problem{Type: problemTypePrefix + "method-not-allowed", Title: "Method not allowed", Status: he.Code,
				Detail: new("This path does not support the method.")}
		}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		err = &apperr.Error{Code: apperr.Unavailable, Message: "The request took too long; retry later.", Err: err}
	}
	for input, field := range handlers.InputFields {
		if errors.Is(err, input) {
			err = apperr.Fields([]apperr.FieldError{field})
		}
	}
	var ae *apperr.Error
	if !errors.As(err, &ae) {
		ae = &apperr.Error{Code: apperr.Internal}
	}
	kind, ok := problemKinds[ae.Code]
	if !ok {
		kind = problemKinds[apperr.Internal]
	}
	p := api.Problem{Type: problemTypePrefix + kind.slug, Title: kind.title, Status: kind.status}
	if ae.Code != apperr.Internal && ae.Message != "" {
		p.Detail = new(clip(ae.Message, maxProblemDetail))
	}
	if ae.CurrentVersion > 0 {
		p.CurrentVersion = &ae.CurrentVersion
	}
	if len(ae.Fields) > 0 {
		fields := make([]api.FieldError, min(len(ae.Fields), maxFieldErrors))
		for i := range fields {
			f := ae.Fields[i]
			fields[i] = api.FieldError{Field: clip(f.Field, maxFieldName), Reason: clip(f.Reason, maxFieldReason)}
		}
		p.Errors = &fields
	}
	return kind.status, p
}

// The bounds of a problem document's parts, as the spec declares them. Field
// names can come from the request (an unknown property is named), so a body
// of many long unknown fields must not come back as a larger answer.
const (
	maxProblemDetail = 1000
	maxFieldErrors   = 100
	maxFieldName     = 300
	maxFieldReason   = 500
)

// clip cuts s to at most n characters, ending it with an ellipsis when it
// was longer.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// echoMessage is a client-safe message for an error Echo raised.
func echoMessage(he *echo.HTTPError) string {
	switch he.Code {
	case http.StatusNotFound:
		return "No such resource."
	case http.StatusRequestEntityTooLarge:
		return "The request body must be at most 1 MiB."
	}
	if m, ok := he.Message.(string); ok {
		return m
	}
	return http.StatusText(he.Code)
}

// wwwAuthenticate is the challenge sent with a 401 (RFC 6750 §3).
func wwwAuthenticate(err error) string {
	var ae *apperr.Error
	if errors.As(err, &ae) && ae.Err != nil {
		return `Bearer realm="ketacare", error="invalid_token"`
	}
	return `Bearer realm="ketacare"`
}
