// Package metrics exposes the service's Prometheus metrics. Each App has its
// own registry (never the library's global one), so tests can boot several.
//
// No label ever carries personal data: requests are labelled by the route
// template Echo matched (/v1/patients/:patient_id, never the path as sent),
// a request that matched no route by "unmatched", and by method and status.
package metrics

import (
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ketacare/api/internal/apperr"
)

// Unmatched is the route label of requests that matched no route (404 and
// 405 from the router), so that scanners probing random paths cannot make
// a series per path.
const Unmatched = "unmatched"

// Metrics holds the collectors of one service instance.
type Metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	inFlight prometheus.Gauge
	alerts   *prometheus.CounterVec

	routesOnce sync.Once
	routes     map[string]bool // "METHOD /template" of every route served
}

// New registers the service's collectors, the database pool's figures of db
// and the Go runtime and process collectors on a new registry.
func New(db *sql.DB) *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ketacare_http_requests_total",
			Help: "HTTP requests answered, by method, route template and status code.",
		}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "ketacare_http_request_duration_seconds",
			Help: "Time to answer HTTP requests, by method and route template.",
			// From a cached read to a password hash or a slow export.
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"method", "route"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ketacare_http_requests_in_flight",
			Help: "HTTP requests being answered now.",
		}),
		alerts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ketacare_safety_alerts_created_total",
			Help: "Safety alerts raised by patients' answers (stored, so a care team will see them), by reason.",
		}, []string{"reason"}),
	}
	m.registry.MustRegister(m.requests, m.latency, m.inFlight, m.alerts,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	if db != nil {
		m.registry.MustRegister(collectors.NewDBStatsCollector(db, "ketacare"))
	}
	return m
}

// Registry is where the collectors are registered.
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

// AlertCreated counts a safety alert that was stored. Call it after the
// transaction that stored it committed.
func (m *Metrics) AlertCreated(reason string) {
	if m != nil {
		m.alerts.WithLabelValues(reason).Inc()
	}
}

// Middleware counts and times every request. It must run outside the
// middleware that turns errors and panics into responses, so that it sees
// the status the client got.
func (m *Metrics) Middleware(e *echo.Echo) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			m.inFlight.Inc()
			start := time.Now()
			err := next(c)
			if err != nil {
				// Answer the error now, as Echo would after the chain, to
				// learn its status; Echo's later call finds it answered.
				c.Error(err)
			}
			method := c.Request().Method
			route := m.route(e, method, c.Path())
			m.inFlight.Dec()
			m.requests.WithLabelValues(method, route, strconv.Itoa(c.Response().Status)).Inc()
			m.latency.WithLabelValues(method, route).Observe(time.Since(start).Seconds())
			return err
		}
	}
}

// route is the template as the label, or Unmatched when the router found
// no route for the method and path: then Echo may report a partial match.
func (m *Metrics) route(e *echo.Echo, method, path string) string {
	m.routesOnce.Do(func() {
		m.routes = map[string]bool{}
		for _, r := range e.Routes() {
			m.routes[r.Method+" "+r.Path] = true
		}
	})
	if !m.routes[method+" "+path] {
		return Unmatched
	}
	return path
}

// Handler serves the metrics. With a token, a request that does not carry
// it as a bearer token is refused with 401 (the service's error handler
// writes the problem document). Without one, the metrics are open when
// openWithoutToken (development) and refused to everyone otherwise
// (production must not publish them by accident).
func (m *Metrics) Handler(token string, openWithoutToken bool) echo.HandlerFunc {
	serve := echo.WrapHandler(promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{
		Registry: m.registry,
		// The router's gzip middleware compresses every answer already.
		DisableCompression: true,
	}))
	want := sha256.Sum256([]byte(token))
	return func(c echo.Context) error {
		switch {
		case token == "" && openWithoutToken:
		case token == "":
			return apperr.New(apperr.Unauthorized, "The metrics are closed: set METRICS_TOKEN to scrape them.")
		default:
			scheme, got, _ := strings.Cut(c.Request().Header.Get(echo.HeaderAuthorization), " ")
			// Comparing digests keeps the comparison constant-time whatever
			// the lengths.
			sum := sha256.Sum256([]byte(strings.TrimSpace(got)))
			if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
				return apperr.New(apperr.Unauthorized, "Send the metrics token as 'Authorization: Bearer <METRICS_TOKEN>'.")
			}
		}
		return serve(c)
	}
}
