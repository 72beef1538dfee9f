// Package app assembles the service from its configuration: database,
// migrations, first admin, HTTP server. The binary and the tests boot it the
// same way.
package app

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"github.com/ketacare/api/docs"
	"github.com/ketacare/api/internal/accounts"
	"github.com/ketacare/api/internal/auth"
	"github.com/ketacare/api/internal/clock"
	"github.com/ketacare/api/internal/config"
	"github.com/ketacare/api/internal/handlers"
	"github.com/ketacare/api/internal/metrics"
	"github.com/ketacare/api/internal/seal"
	"github.com/ketacare/api/internal/store"
	"github.com/ketacare/api/internal/throttle"
	"github.com/ketacare/api/internal/web"
)

// RequestTimeout bounds the work of one request.
const RequestTimeout = 30 * time.Second

// App is the assembled service.
type App struct {
	Config config.Config
	Log    *slog.Logger
	db     *gorm.DB
	Store  *store.Store
	Signer *auth.Signer
	Echo   *echo.Echo
	// Now is the clock the whole service reads (store, signer, handlers,
	// housekeeping).
	Now func() time.Time
	// Metrics are this instance's Prometheus metrics, served at /metrics.
	Metrics *metrics.Metrics
	// ThrottleKeys name the keys password attempts are counted against.
	ThrottleKeys *throttle.Keyer
	server       *http.Server
}

// Open connects to the database and applies migrations, which seal with
// the data keys what earlier versions stored in the clear. When
// MIGRATION_DATABASE_URL names another role than DATABASE_URL, the
// migrations run as that owner, which then (re)grants DATABASE_URL's role
// what the service needs and nothing more; the connection returned is
// always DATABASE_URL's.
func Open(ctx context.Context, cfg config.Config, log *slog.Logger) (*gorm.DB, error) {
	dataKeys, err := dataKeyring(&cfg, log)
	if err != nil {
		return nil, err
	}
	return open(ctx, cfg, log, dataKeys, clock.System)
}

func open(ctx context.Context, cfg config.Config, log *slog.Logger, dataKeys *seal.Keyring, now func() time.Time) (*gorm.DB, error) {
	separate := cfg.MigrationDatabaseURL != "" && cfg.MigrationDatabaseURL != cfg.DatabaseURL
	if separate {
		if err := migrateAsOwner(ctx, cfg, log, dataKeys, now); err != nil {
			return nil, err
		}
	}
	db, err := store.Open(store.Options{DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir, MaxConns: cfg.DBMaxConns, Log: log, Now: now})
	if err != nil {
		return nil, err
	}
	if !separate {
		if err := store.Migrate(ctx, db, log, dataKeys); err != nil {
			closeDB(db)
			return nil, err
		}
	}
	if store.Dialect(db) == store.Postgres {
		if err := checkServiceRole(ctx, db, cfg, log); err != nil {
			closeDB(db)
			return nil, err
		}
	}
	return db, nil
}

// migrateAsOwner applies the migrations as MIGRATION_DATABASE_URL's role and
// grants DATABASE_URL's role its rights on every table there is now.
func migrateAsOwner(ctx context.Context, cfg config.Config, log *slog.Logger, dataKeys *seal.Keyring, now func() time.Time) error {
	role, password, err := store.RuntimeUser(cfg.DatabaseURL)
	if err != nil {
		return fmt.Errorf("config: DATABASE_URL: %w", err)
	}
	owner, err := store.Open(store.Options{DatabaseURL: cfg.MigrationDatabaseURL, MaxConns: 2, Log: log, Now: now})
	if err != nil {
		return fmt.Errorf("MIGRATION_DATABASE_URL: %w", err)
	}
	defer closeDB(owner)
	if err := store.Migrate(ctx, owner, log, dataKeys); err != nil {
		return err
	}
	me, err := store.CurrentRole(ctx, owner)
	if err != nil {
		return err
	}
	if me.Superuser {
		log.Warn("MIGRATION_DATABASE_URL logs in as a superuser: the owner role needs only to own the schema", "role", me.Name)
	}
	return store.GrantRuntime(ctx, owner, role, password, log)
}

// checkServiceRole refuses to serve production as a superuser, which could
// disable the audit trail's triggers whatever the grants say, and warns
// when the service's role owns its tables (one URL for both roles).
func checkServiceRole(ctx context.Context, db *gorm.DB, cfg config.Config, log *slog.Logger) error {
	if cfg.Env != config.Production {
		return nil
	}
	role, err := store.CurrentRole(ctx, db)
	if err != nil {
		return err
	}
	if role.Superuser {
		return fmt.Errorf("config: DATABASE_URL: logs in as %s, a superuser, which could switch off the audit trail's guards "+
			"when APP_ENV=production: log in as a role that owns nothing, and migrate with MIGRATION_DATABASE_URL (README, Deploying)", role.Name)
	}
	if role.OwnedTables > 0 {
		log.Warn("DATABASE_URL's role owns the tables, so it could truncate or drop the audit trail: set MIGRATION_DATABASE_URL to the owner and DATABASE_URL to a role that owns nothing",
			"role", role.Name, "tables", role.OwnedTables)
	}
	return nil
}

// Option changes how New builds the service.
type Option func(*options)

type options struct {
	now     func() time.Time
	observe func(*gorm.DB) error
}

// WithClock makes the service read the time from now instead of
// clock.System: the demo seeder's clock.Replay, or a test's.
func WithClock(now func() time.Time) Option {
	return func(o *options) { o.now = now }
}

// WithDatabaseObserver hands the service's database handle to observe
// once it is open, to register instruments on it (the test harness counts
// the statements each request runs). Nothing else reaches the handle: the
// service's own code goes through the store.
func WithDatabaseObserver(observe func(*gorm.DB) error) Option {
	return func(o *options) { o.observe = observe }
}

// New builds the service: it opens and migrates the database, creates the
// first admin if needed, and prepares the HTTP server.
func New(ctx context.Context, cfg config.Config, log *slog.Logger, opts ...Option) (*App, error) {
	o := options{now: clock.System}
	for _, opt := range opts {
		opt(&o)
	}
	if err := cfg.EnsureJWTSecret(log); err != nil {
		return nil, err
	}
	dataKeys, err := dataKeyring(&cfg, log)
	if err != nil {
		return nil, err
	}
	throttleKeys, err := throttleKeyer(cfg)
	if err != nil {
		return nil, err
	}
	db, err := open(ctx, cfg, log, dataKeys, o.now)
	if err != nil {
		return nil, err
	}
	if o.observe != nil {
		if err := o.observe(db); err != nil {
			closeDB(db)
			return nil, err
		}
	}
	sqlDB, err := db.DB()
	if err != nil {
		closeDB(db)
		return nil, err
	}
	a := &App{Config: cfg, Log: log, db: db, Store: store.New(db, dataKeys, o.now), Now: o.now,
		Signer:  auth.NewSigner(o.now, cfg.JWTSecret, cfg.JWTPreviousSecrets...),
		Metrics: metrics.New(sqlDB), ThrottleKeys: throttleKeys}
	hasher := auth.NewHasher(cfg.HashConcurrency)
	proxies, _ := cfg.TrustedProxyNets() // checked by config.Load
	created, err := accounts.EnsureAdmin(ctx, a.Store, hasher, cfg.AdminEmail, cfg.AdminPassword)
	if err != nil {
		closeDB(db)
		return nil, err
	}
	if created {
		log.Info("created the first admin account from ADMIN_EMAIL")
	}
	if cfg.MetricsToken == "" && cfg.Env == config.Production {
		log.Warn("METRICS_TOKEN is not set: /metrics refuses every scrape; set it to monitor this instance")
	}
	a.Echo, err = web.New(handlers.Deps{
		Store: a.Store, Signer: a.Signer, Hasher: hasher, Throttle: throttleKeys, Log: log, Now: o.now, Spec: docs.OpenAPI,
		CORSAllowedOrigins: cfg.CORSAllowedOrigins, RequestTimeout: RequestTimeout, TrustedProxies: proxies,
		RateLimitPerMinute: cfg.RateLimitPerMinute,
		Metrics:            a.Metrics, MetricsToken: cfg.MetricsToken, MetricsOpen: cfg.Env != config.Production,
		ExportMaxConcurrent: cfg.ExportMaxConcurrent, ExportStallTimeout: cfg.ExportStallTimeout,
		CrisisResources: cfg.CrisisResources,
	})
	if err != nil {
		closeDB(db)
		return nil, err
	}
	a.server = &http.Server{
		Handler:           a.Echo,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      RequestTimeout + 5*time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	return a, nil
}

// ConfigureServer gives s, a server a test starts through httptest, the
// timeouts of the service's own: what a handler does to the connection's
// deadlines is then undone by the next request on it, as in production.
func (a *App) ConfigureServer(s *http.Server) {
	s.ReadHeaderTimeout = a.server.ReadHeaderTimeout
	s.ReadTimeout = a.server.ReadTimeout
	s.WriteTimeout = a.server.WriteTimeout
	s.IdleTimeout = a.server.IdleTimeout
}

// Serve answers requests on ln until ctx is cancelled, then shuts down
// gracefully: requests in flight finish, then the database closes.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- a.server.Serve(ln) }()
	go a.housekeeping(ctx)
	a.Log.Info("listening", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		closeDB(a.db)
		return err
	case <-ctx.Done():
	}
	a.Log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), a.Config.ShutdownTimeout)
	defer cancel()
	err := a.server.Shutdown(sctx)
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	closeDB(a.db)
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	a.Log.Info("stopped")
	return nil
}

// PoolStats are the service's database connection pool's figures, as
// /metrics reports them.
func (a *App) PoolStats() sql.DBStats {
	sqlDB, err := a.db.DB()
	if err != nil {
		return sql.DBStats{}
	}
	return sqlDB.Stats()
}

// Close releases the database without serving; tests that never called
// Serve use it.
func (a *App) Close() { closeDB(a.db) }

func closeDB(db *gorm.DB) {
	if sqlDB, err := db.DB(); err == nil {
		_ = sqlDB.Close()
	}
}
