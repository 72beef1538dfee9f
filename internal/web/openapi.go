package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/mail"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/ketacare/api/internal/apperr"
	"github.com/ketacare/api/internal/auth"
	"github.com/ketacare/api/internal/reqctx"
	"github.com/ketacare/api/internal/store"
)

func init() {
	openapi3.DefineStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`))
	openapi3.DefineStringFormatValidator("email", openapi3.NewCallbackValidator(func(s string) error {
		a, err := mail.ParseAddress(s)
		if err != nil || a.Address != s {
			return errors.New("is not an email address")
		}
		return nil
	}))
}

// LoadSpec parses and checks the OpenAPI document.
func LoadSpec(data []byte) (*openapi3.T, error) {
	doc, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("load openapi spec: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("invalid openapi spec: %w", err)
	}
	return doc, nil
}

// NewSpecRouter returns a router matching requests to the spec's operations.
// The spec's servers are cleared so that paths match whatever host the API
// is reached at.
func NewSpecRouter(doc *openapi3.T) (routers.Router, error) {
	clone := *doc
	clone.Servers = nil
	return gorillamux.NewRouter(&clone)
}

// contractMiddleware holds every request to the contract before a handler sees
// it: the path and method must be an operation, the caller must satisfy its
// security and x-roles, and parameters and body must match their schemas.
type contractMiddleware struct {
	router routers.Router
	signer *auth.Signer
	// accounts says whether the account and the login a token names are
	// still open.
	accounts accountChecker
}

// accountChecker reports whether an account exists, is open and has the
// role, and its login is live (store.Store does).
type accountChecker interface {
	AccountActive(ctx context.Context, id uuid.UUID, role string, login uuid.UUID) (bool, error)
}

func (m *contractMiddleware) handle(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		route, params, err := m.router.FindRoute(req)
		if err != nil {
			if errors.Is(err, routers.ErrMethodNotAllowed) {
				c.Response().Header().Set(echo.HeaderAllow, strings.Join(m.allowed(req), ", "))
				return echo.ErrMethodNotAllowed
			}
			return echo.ErrNotFound
		}
		if strings.Contains(req.URL.RawQuery, "%00") {
			return apperr.Field("query", "must not contain the NUL character")
		}
		c.Set(routeKey, route)
		op := route.Operation
		if requiresAuth(route) {
			id, err := m.authenticate(c, req)
			if err != nil {
				return err
			}
			if err := checkRole(op, id.Role); err != nil {
				return err
			}
			req = req.WithContext(reqctx.WithIdentity(req.Context(), id))
			c.SetRequest(req)
		}
		if op.RequestBody != nil {
			body, err := checkBody(req, op.RequestBody.Value)
			if err != nil {
				return err
			}
			c.Set(bodyKey, body)
		}
		if err := validateRequest(req, route, params); err != nil {
			return err
		}
		return next(c)
	}
}

// specMethods are the methods an operation of the spec can have, in the
// order an Allow header lists them.
var specMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions, http.MethodTrace}

// allowed lists the methods the spec declares for the path of req, for the
// Allow header a 405 must carry (RFC 9110 §15.5.6). Only a 405 pays for it.
func (m *contractMiddleware) allowed(req *http.Request) []string {
	var out []string
	for _, method := range specMethods {
		probe := req.Clone(req.Context())
		probe.Method = method
		if _, _, err := m.router.FindRoute(probe); err == nil {
			out = append(out, method)
		}
	}
	return out
}

// validateRequest checks the request's parameters and body against the
// operation's schemas (security and roles are the middleware's own checks).
func validateRequest(req *http.Request, route *routers.Route, params map[string]string) error {
	in := &openapi3filter.RequestValidationInput{
		Request:    req,
		PathParams: params,
		Route:      route,
		Options: &openapi3filter.Options{
			MultiError:         true,
			KeepValidatedValue: true,
			AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
		},
	}
	if err := openapi3filter.ValidateRequest(req.Context(), in); err != nil {
		return validationError(err)
	}
	return nil
}

func requiresAuth(route *routers.Route) bool {
	sec := route.Spec.Security
	if route.Operation.Security != nil {
		sec = *route.Operation.Security
	}
	return len(sec) > 0
}

// authenticate verifies the bearer token of req, and that its account is
// still open and its login (sid) not revoked: a token outlives both by up
// to 15 minutes, and a closed account's, or a login's signed out, must stop
// working at once. That costs one statement per authenticated request.
func (m *contractMiddleware) authenticate(c echo.Context, req *http.Request) (auth.Identity, error) {
	id, verified := c.Get(verifiedTokenKey).(auth.Identity) // the rate limiter's check
	if !verified {
		h := req.Header.Get(echo.HeaderAuthorization)
		scheme, token, ok := strings.Cut(h, " ")
		if h == "" || !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
			return auth.Identity{}, apperr.New(apperr.Unauthorized, "Authentication is required: send an access token as 'Authorization: Bearer <token>'.")
		}
		var err error
		if id, err = m.signer.Verify(strings.TrimSpace(token)); err != nil {
			return id, err
		}
	}
	open, err := m.accounts.AccountActive(req.Context(), id.UserID, id.Role, id.LoginID)
	if err != nil {
		return auth.Identity{}, err
	}
	if !open {
		return auth.Identity{}, store.ErrAccountClosed
	}
	return id, nil
}

// checkRole enforces the operation's x-roles: the roles allowed to call it.
func checkRole(op *openapi3.Operation, role string) error {
	raw, ok := op.Extensions["x-roles"].([]any)
	if !ok {
		return nil
	}
	for _, r := range raw {
		if r == role {
			return nil
		}
	}
	names := make([]string, 0, len(raw))
	for _, r := range raw {
		names = append(names, fmt.Sprint(r))
	}
	return apperr.New(apperr.Forbidden, "This operation is for %s accounts only.", strings.Join(names, " and "))
}

// checkBody answers 415 for a body that is not in a declared media type,
// and 413 for one over the limit, before the validator reads it. It returns
// the body.
func checkBody(req *http.Request, body *openapi3.RequestBody) ([]byte, error) {
	ct := req.Header.Get(echo.HeaderContentType)
	if ct == "" && req.ContentLength == 0 {
		return nil, nil // no body at all: the validator says whether one is required
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || body.Content.Get(mt) == nil {
		types := make([]string, 0, len(body.Content))
		for t := range body.Content {
			types = append(types, t)
		}
		slices.Sort(types)
		return nil, apperr.New(apperr.UnsupportedType, "Send the body as %s.", strings.Join(types, " or "))
	}
	data, err := io.ReadAll(req.Body)
	if err != nil {
		var he *echo.HTTPError
		if errors.As(err, &he) && he.Code == http.StatusRequestEntityTooLarge {
			return nil, he
		}
		return nil, apperr.New(apperr.Invalid, "The request body could not be read.")
	}
	if hasNUL(data) {
		// PostgreSQL text cannot hold NUL, and no clinic text needs it.
		return nil, apperr.Field("body", "must not contain the NUL character (\\u0000)")
	}
	req.Body = io.NopCloser(bytes.NewReader(data))
	return data, nil
}

// hasNUL reports whether a JSON document holds a NUL character, written as
// the escape \u0000 (an escaped backslash before "u0000" does not count).
func hasNUL(data []byte) bool {
	for i := 0; ; {
		j := bytes.Index(data[i:], []byte(`u0000`))
		if j < 0 {
			return bytes.IndexByte(data, 0) >= 0
		}
		at := i + j
		slashes := 0
		for k := at - 1; k >= 0 && data[k] == '\\'; k-- {
			slashes++
		}
		if slashes%2 == 1 {
			return true
		}
		i = at + 1
	}
}

// validationError turns the validator's findings into a 400 listing each
// invalid field with its reason.
func validationError(err error) error {
	var fields []apperr.FieldError
	var walk func(error)
	walk = func(err error) {
		// Match the error itself, not its chain: a RequestError wraps a
		// MultiError of schema errors and must keep its parameter name.
		switch e := err.(type) {
		case openapi3.MultiError:
			for _, inner := range e {
				walk(inner)
			}
		case *openapi3filter.RequestError:
			prefix := ""
			if e.Parameter != nil {
				prefix = e.Parameter.In + "." + e.Parameter.Name
			}
			if inner, ok := e.Err.(openapi3.MultiError); ok {
				for _, ie := range inner {
					fields = append(fields, fieldsOf(prefix, ie, e)...)
				}
				return
			}
			fields = append(fields, fieldsOf(prefix, e.Err, e)...)
		default:
			fields = append(fields, apperr.FieldError{Field: "request", Reason: "does not match the API contract"})
		}
	}
	walk(err)
	return apperr.Fields(fields)
}

// fieldsOf names the fields a validation error is about and why.
func fieldsOf(prefix string, err error, re *openapi3filter.RequestError) []apperr.FieldError {
	var se *openapi3.SchemaError
	if errors.As(err, &se) {
		return schemaFields(prefix, se)
	}
	return []apperr.FieldError{fieldOf(prefix, err, re)}
}

// schemaFields reports the innermost schema errors: an allOf or oneOf
// failure is about the field inside it that failed, not the whole object.
func schemaFields(prefix string, se *openapi3.SchemaError) []apperr.FieldError {
	var multi openapi3.MultiError
	var inner *openapi3.SchemaError
	switch {
	case se.Origin == nil:
	case errors.As(se.Origin, &multi):
		var out []apperr.FieldError
		for _, e := range multi {
			if errors.As(e, &inner) {
				out = append(out, schemaFields(prefix, inner)...)
			}
		}
		if len(out) > 0 {
			return out
		}
	case errors.As(se.Origin, &inner):
		return schemaFields(prefix, inner)
	}
	return []apperr.FieldError{schemaField(prefix, se)}
}

func schemaField(prefix string, se *openapi3.SchemaError) apperr.FieldError {
	path := se.JSONPointer()
	reason := se.Reason
	switch se.SchemaField {
	case "required":
		reason = "is required"
	case "properties":
		var name string
		if _, err := fmt.Sscanf(reason, "property %q is unsupported", &name); err == nil {
			path = append(path, name)
			reason = "is not a known field"
		}
	}
	return apperr.FieldError{Field: joinField(prefix, path), Reason: reason}
}

// fieldOf names the field of a non-schema validation error.
func fieldOf(prefix string, err error, re *openapi3filter.RequestError) apperr.FieldError {
	if prefix == "" {
		prefix = "body"
	}
	var pe *openapi3filter.ParseError
	if errors.As(err, &pe) {
		return apperr.FieldError{Field: prefix, Reason: "is not valid JSON or not of the expected type"}
	}
	if errors.Is(err, openapi3filter.ErrInvalidRequired) || (re.Reason == "" && err == nil) {
		return apperr.FieldError{Field: prefix, Reason: "is required"}
	}
	reason := re.Reason
	if err != nil {
		reason = err.Error()
	}
	return apperr.FieldError{Field: prefix, Reason: reason}
}

func joinField(prefix string, path []string) string {
	parts := path
	if prefix != "" {
		parts = append([]string{prefix}, path...)
	}
	if len(parts) == 0 {
		return "body"
	}
	return strings.Join(parts, ".")
}
