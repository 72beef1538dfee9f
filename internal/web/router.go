package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/ketacare/api/internal/api"
	"github.com/ketacare/api/internal/handlers"
	"github.com/ketacare/api/internal/policy"
	"github.com/ketacare/api/internal/reqctx"
)

// BodyLimit is the largest request body accepted.
const BodyLimit = "1M"

// New builds the Echo instance serving the whole API.
func New(deps handlers.Deps) (*echo.Echo, error) {
	if deps.Now == nil {
		return nil, errors.New("web: Deps.Now, the clock, is not set")
	}
	doc, err := LoadSpec(deps.Spec)
	if err != nil {
		return nil, err
	}
	router, err := NewSpecRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("spec router: %w", err)
	}
	// Every line logged with a request's context names the request.
	deps.Log = slog.New(requestLog{deps.Log.Handler()})
	s := handlers.NewServer(deps)
	contract := &contractMiddleware{router: router, signer: deps.Signer, accounts: deps.Store}

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = errorHandler(deps.Log)
	e.IPExtractor = echo.ExtractIPDirect()
	if len(deps.TrustedProxies) > 0 {
		opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
		for _, n := range deps.TrustedProxies {
			opts = append(opts, echo.TrustIPRange(n))
		}
		e.IPExtractor = echo.ExtractIPFromXFFHeader(opts...)
	}
	e.Use(
		requestID,
		withClientAddress,
		// Outside the recovery and the error answers, so that it counts the
		// status the client got.
		deps.Metrics.Middleware(e),
		middleware.RecoverWithConfig(middleware.RecoverConfig{
			LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
				deps.Log.ErrorContext(c.Request().Context(), "panic", "error", err.Error(), "stack", string(stack))
				return err
			},
		}),
		requestLogger(deps.Log),
		securityHeaders,
	)
	if len(deps.CORSAllowedOrigins) > 0 {
		e.Use(middleware.CORSWithConfig(middleware.CORSConfig{
			AllowOrigins:  deps.CORSAllowedOrigins,
			AllowMethods:  []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete},
			AllowHeaders:  []string{echo.HeaderAuthorization, echo.HeaderContentType, echo.HeaderXRequestID, "Idempotency-Key", "If-Match", "If-None-Match"},
			ExposeHeaders: []string{echo.HeaderXRequestID, "ETag", echo.HeaderLocation, echo.HeaderRetryAfter, echo.HeaderWWWAuthenticate},
			MaxAge:        600,
		}))
	}
	e.Use(
		middleware.BodyLimit(BodyLimit),
		middleware.GzipWithConfig(middleware.GzipConfig{MinLength: 1024}),
		// The export has a timeout of its own (see handlers.ExportMaxDuration).
		middleware.ContextTimeoutWithConfig(middleware.ContextTimeoutConfig{Timeout: deps.RequestTimeout,
			Skipper: func(c echo.Context) bool { return c.Path() == handlers.ExportRoute }}),
		middleware.ContextTimeoutWithConfig(middleware.ContextTimeoutConfig{Timeout: handlers.ExportMaxDuration,
			Skipper: func(c echo.Context) bool { return c.Path() != handlers.ExportRoute }}),
		// Before the contract check, so that requests it refuses (a bad
		// token, a wrong role, an invalid body) count against the caller too.
		newRateLimiter(deps.RateLimitPerMinute, time.Minute, deps.Signer, deps.Now).handle,
		contract.handle,
		conditional,
		// The audit trail wraps idempotency so that replays are audited too.
		auditTrail(deps.Store),
		idempotency(deps.Store, policy.New(deps.Store), deps.Log.WarnContext),
	)
	api.RegisterHandlers(e, api.NewStrictHandler(s, nil))
	// Declared in the spec, served by the Prometheus library's handler.
	e.GET("/metrics", deps.Metrics.Handler(deps.MetricsToken, deps.MetricsOpen))
	return e, nil
}

var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

// withClientAddress puts the caller's address where strict handlers, which
// see only the request context, can read it.
func withClientAddress(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		c.SetRequest(r.WithContext(reqctx.WithClientAddress(r.Context(), c.RealIP())))
		return next(c)
	}
}

// requestID echoes a client's X-Request-ID when it is safe to log, and
// makes one otherwise.
func requestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		rid := c.Request().Header.Get(echo.HeaderXRequestID)
		if !validRequestID.MatchString(rid) {
			rid = uuid.NewString()
		}
		c.Response().Header().Set(echo.HeaderXRequestID, rid)
		r := c.Request()
		c.SetRequest(r.WithContext(reqctx.WithRequestID(r.Context(), rid)))
		return next(c)
	}
}

// requestLogger writes one structured line per request: never a body, a
// query string or anything else a patient wrote.
func requestLogger(log *slog.Logger) echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogMethod: true, LogRoutePath: true, LogStatus: true, LogLatency: true, HandleError: true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			attrs := []slog.Attr{
				slog.String("method", v.Method),
				slog.String("route", v.RoutePath),
				slog.Int("status", v.Status),
				slog.Float64("latency_ms", float64(v.Latency.Microseconds())/1000),
				slog.String("request_id", c.Response().Header().Get(echo.HeaderXRequestID)),
			}
			if id, ok := reqctx.Identity(c.Request().Context()); ok {
				attrs = append(attrs, slog.String("user_id", id.UserID.String()))
			}
			level := slog.LevelInfo
			if v.Status >= 500 {
				level = slog.LevelError
			}
			log.LogAttrs(context.Background(), level, "request", attrs...)
			return nil
		},
	})
}

// securityHeaders sets headers that keep browsers and caches from exposing
// responses. API responses may hold health data, so nothing caches them.
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		if strings.HasPrefix(c.Request().URL.Path, "/docs") {
			// The reference page needs only its own scripts and stylesheet,
			// the spec (and "Try it out") from this server, and the data:
			// icons of Swagger UI's stylesheet: no inline code, no eval.
			// TestDocsInBrowser renders it in Chromium under this policy.
			h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
		} else {
			h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
			h.Set(echo.HeaderCacheControl, "no-store")
		}
		if c.Request().TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		return next(c)
	}
}
