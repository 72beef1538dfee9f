// Package app assembles the service from its configuration: database,
// migrations, first admin, HTTP server. The binary and the tests boot it the
// same way.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"github.com/ketacare/api/docs"
	"github.com/ketacare/api/internal/auth"
	"github.com/ketacare/api/internal/config"
	"github.com/ketacare/api/internal/handlers"
	"github.com/ketacare/api/internal/metrics"
	"github.com/ketacare/api/internal/seal"
	"github.com/ketacare/api/internal/store"
)

// RequestTimeout bounds the work of one request.
const RequestTimeout = 30 * time.Second

// App is the assembled service.
type App struct {
	Config config.Config
	Log    *slog.Logger
	DB     *gorm.DB
	Store  *store.Store
	Signer *auth.Signer
	Echo   *echo.Echo
	// Metrics are this instance's Prometheus metrics, served at /metrics.
	Metrics *metrics.Metrics
	server  *http.Server
}

// Open connects to the database and applies migrations, which seal with
// the data keys what earlier versions stored in the clear.
func Open(ctx context.Context, cfg config.Config, log *slog.Logger) (*gorm.DB, error) {
	dataKeys, err := dataKeyring(&cfg, log)
	if err != nil {
		return nil, err
	}
	return open(ctx, cfg, log, dataKeys)
}

func open(ctx context.Context, cfg config.Config, log *slog.Logger, dataKeys *seal.Keyring) (*gorm.DB, error) {
	db, err := store.Open(store.Options{DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir, MaxConns: cfg.DBMaxConns})
	if err != nil {
		return nil, err
	}
	if err := store.Migrate(ctx, db, log, dataKeys); err != nil {
		closeDB(db)
		return nil, err
	}
	return db, nil
}

// New builds the service: it opens and migrates the database, creates the
// first admin if needed, and prepares the HTTP server.
func New(ctx context.Context, cfg config.Config, log *slog.Logger) (*App, error) {
	if err := cfg.EnsureJWTSecret(log); err != nil {
		return nil, err
	}
	dataKeys, err := dataKeyring(&cfg, log)
	if err != nil {
		return nil, err
	}
	db, err := open(ctx, cfg, log, dataKeys)
	if err != nil {
		return nil, err
	}
	sqlDB, err := db.DB()
	if err != nil {
		closeDB(db)
		return nil, err
	}
	a := &App{Config: cfg, Log: log, DB: db, Store: store.New(db, dataKeys),
		Signer:  auth.NewSigner(cfg.JWTSecret, cfg.JWTPreviousSecrets...),
		Metrics: metrics.New(sqlDB)}
	hasher := auth.NewHasher(cfg.HashConcurrency)
	proxies, _ := cfg.TrustedProxyNets() // checked by config.Load
	created, err := handlers.EnsureAdmin(ctx, a.Store, hasher, cfg.AdminEmail, cfg.AdminPassword)
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
	a.Echo, err = handlers.New(handlers.Deps{
		Store: a.Store, Signer: a.Signer, Hasher: hasher, Log: log, Spec: docs.OpenAPI,
		CORSAllowedOrigins: cfg.CORSAllowedOrigins, RequestTimeout: RequestTimeout, TrustedProxies: proxies,
		Idempotency: store.NewIdempotency(a.Store), RateLimitPerMinute: cfg.RateLimitPerMinute,
		Metrics: a.Metrics, MetricsToken: cfg.MetricsToken, MetricsOpen: cfg.Env != config.Production,
		// Integration dependencies: add below.
		Integration: store.NewIntegration(a.Store),

		// Measurement and safety dependencies: add below.
		Measurement:     store.NewMeasurement(a.Store),
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

// Serve answers requests on ln until ctx is cancelled, then shuts down
// gracefully: requests in flight finish, then the database closes.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- a.server.Serve(ln) }()
	go a.housekeeping(ctx)
	a.Log.Info("listening", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		closeDB(a.DB)
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
	closeDB(a.DB)
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	a.Log.Info("stopped")
	return nil
}

// Close releases the database without serving; tests that never called
// Serve use it.
func (a *App) Close() { closeDB(a.DB) }

func closeDB(db *gorm.DB) {
	if sqlDB, err := db.DB(); err == nil {
		_ = sqlDB.Close()
	}
}
