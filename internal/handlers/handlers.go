// Package handlers is the HTTP layer: the Echo router, the middleware that
// holds requests to the OpenAPI contract, and the implementation of the
// generated strict server interface.
package handlers

import (
	"context"
	"log/slog"
	"net"
	"time"

	"github.com/ketacare/api/internal/api"
	"github.com/ketacare/api/internal/apperr"
	"github.com/ketacare/api/internal/auth"
	"github.com/ketacare/api/internal/config"
	"github.com/ketacare/api/internal/metrics"
	"github.com/ketacare/api/internal/policy"
	"github.com/ketacare/api/internal/reqctx"
	"github.com/ketacare/api/internal/store"
	"github.com/ketacare/api/internal/throttle"
)

// Deps are what the handlers need.
type Deps struct {
	Store  *store.Store
	Signer *auth.Signer
	Hasher *auth.Hasher
	// Throttle names the keys password attempts are counted against.
	Throttle *throttle.Keyer
	Log      *slog.Logger
	// Now is the service's clock: every time a handler records or decides
	// by is read from it, never from time.Now.
	Now func() time.Time
	// Spec is the raw OpenAPI document, served at /openapi.yaml.
	Spec []byte
	// CORSAllowedOrigins lists the browser origins allowed to call the API.
	CORSAllowedOrigins []string
	// RequestTimeout bounds the work of one request.
	RequestTimeout time.Duration
	// TrustedProxies are the networks whose X-Forwarded-For is believed.
	TrustedProxies []*net.IPNet
	// RateLimitPerMinute is how many /v1 requests a caller may make a minute.
	RateLimitPerMinute int
	// Metrics count requests and safety alerts; MetricsToken, when set,
	// guards GET /metrics, which is otherwise open when MetricsOpen
	// (development) and closed when not (production).
	Metrics      *metrics.Metrics
	MetricsToken string
	MetricsOpen  bool
	// ExportMaxConcurrent caps the exports streamed at once; an export
	// whose client takes nothing for ExportStallTimeout is cut off.
	ExportMaxConcurrent int
	ExportStallTimeout  time.Duration

	// CrisisResources are shown to a patient whose answers raised a
	// safety alert.
	CrisisResources config.CrisisResources
}

// Server implements the generated strict server interface.
type Server struct {
	Deps
	policy  *policy.Policy
	exports *exportGate
}

// NewServer returns the operations of the API; internal/web serves them.
func NewServer(deps Deps) *Server {
	return &Server{Deps: deps, policy: policy.New(deps.Store), exports: newExportGate(deps.ExportMaxConcurrent)}
}

var _ api.StrictServerInterface = (*Server)(nil)

// caller returns the authenticated caller. The contract middleware has
// already rejected unauthenticated calls to operations that need one.
func caller(ctx context.Context) (auth.Identity, error) {
	id, ok := reqctx.Identity(ctx)
	if !ok {
		return id, apperr.New(apperr.Unauthorized, "Authentication is required.")
	}
	return id, nil
}
