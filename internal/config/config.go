// Package config reads the service's settings from the environment.
package config

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
)

// Environments APP_ENV accepts.
const (
	Development = "development"
	Production  = "production"
	Test        = "test"
)

// MinSecretBytes is the shortest JWT_SECRET accepted: HS256 wants a key at
// least as long as its 256-bit output.
const MinSecretBytes = 32

// Config is every setting of the service. Each field names its variable.
type Config struct {
	Env                string   `env:"APP_ENV" envDefault:"development"`
	HTTPAddr           string   `env:"HTTP_ADDR" envDefault:":8080"`
	DatabaseURL        string   `env:"DATABASE_URL"`
	DataDir            string   `env:"DATA_DIR" envDefault:"./data"`
	JWTSecret          string   `env:"JWT_SECRET"`
	JWTPreviousSecrets []string `env:"JWT_PREVIOUS_SECRETS" envSeparator:","`
	AdminEmail         string   `env:"ADMIN_EMAIL"`
	AdminPassword      string   `env:"ADMIN_PASSWORD"`
	CORSAllowedOrigins []string `env:"CORS_ALLOWED_ORIGINS" envSeparator:","`
	DBMaxConns         int      `env:"DB_MAX_CONNS" envDefault:"20"`
	// ExportMaxConcurrent caps the exports (GET /v1/me/export) one instance
	// streams at once; unset: DefaultExportMaxConcurrent.
	ExportMaxConcurrent int `env:"EXPORT_MAX_CONCURRENT"`
	// ExportStallTimeout is how long an export waits for its client to take
	// more of the document before it cuts the connection.
	ExportStallTimeout time.Duration `env:"EXPORT_STALL_TIMEOUT" envDefault:"10s"`
	LogLevel           string        `env:"LOG_LEVEL" envDefault:"info"`
	ShutdownTimeout    time.Duration `env:"SHUTDOWN_TIMEOUT" envDefault:"20s"`
	HashConcurrency    int           `env:"PASSWORD_HASH_CONCURRENCY"` // unset: DefaultHashConcurrency
	TrustedProxies     []string      `env:"TRUSTED_PROXIES" envSeparator:","`
	RateLimitPerMinute int           `env:"RATE_LIMIT_PER_MINUTE" envDefault:"600"`
	// MetricsToken, when set, must come as a bearer token with GET /metrics.
	MetricsToken string `env:"METRICS_TOKEN"`
	// MigrationDatabaseURL logs in as the role that owns the tables and
	// applies migrations; DATABASE_URL's role then only reads and writes
	// rows. Unset: DATABASE_URL does both.
	MigrationDatabaseURL string `env:"MIGRATION_DATABASE_URL"`

	// Integration settings.
	DataEncryptionKey          string   `env:"DATA_ENCRYPTION_KEY"`
	DataEncryptionPreviousKeys []string `env:"DATA_ENCRYPTION_PREVIOUS_KEYS" envSeparator:","`

	// Measurement and safety settings.
	CrisisResources CrisisResources `env:"CRISIS_RESOURCES"`
}

// Load reads the configuration from environ (KEY=value pairs, as os.Environ
// returns) and checks every value. The error is one line naming the variable.
func Load(environ []string) (Config, error) {
	vars := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			vars[k] = v
		}
	}
	var c Config
	if err := env.ParseWithOptions(&c, env.Options{Environment: vars}); err != nil {
		return c, describeParseError(err)
	}
	if _, set := vars["PASSWORD_HASH_CONCURRENCY"]; !set {
		c.HashConcurrency = DefaultHashConcurrency()
	}
	if _, set := vars["EXPORT_MAX_CONCURRENT"]; !set {
		c.ExportMaxConcurrent = DefaultExportMaxConcurrent(c.DBMaxConns)
	}
	return c, c.validate()
}

// describeParseError names the variable behind a parse error; the library
// names only the struct field.
func describeParseError(err error) error {
	var pe env.ParseError
	if errors.As(err, &pe) {
		if f, ok := reflect.TypeOf(Config{}).FieldByName(pe.Name); ok {
			key, _, _ := strings.Cut(f.Tag.Get("env"), ",")
			return fmt.Errorf("config: %s: not a valid %s: %v", key, pe.Type, pe.Err)
		}
	}
	return fmt.Errorf("config: %w", err)
}

// DefaultHashConcurrency is how many argon2id hashes run at once unless
// PASSWORD_HASH_CONCURRENCY says otherwise: half the CPUs the process may
// use, at least 1 and at most 4. Each hash keeps a CPU busy for tens of
// milliseconds and holds 19 MiB, so on a small server a burst of logins
// would otherwise take every core and double the resident memory, and every
// other request would wait behind it; the logins queue instead.
func DefaultHashConcurrency() int {
	return min(4, max(1, runtime.GOMAXPROCS(0)/2))
}

// DefaultExportMaxConcurrent is how many exports stream at once unless
// EXPORT_MAX_CONCURRENT says otherwise: 4, and never more than half the
// pool. Each export holds a pooled connection for as long as its client
// takes to download, so the cap keeps most of the pool for every other
// request.
func DefaultExportMaxConcurrent(dbMaxConns int) int {
	return max(1, min(4, dbMaxConns/2))
}

// MaxExportStallTimeout is the longest EXPORT_STALL_TIMEOUT accepted: the
// request timeout, past which an export is cut anyway.
const MaxExportStallTimeout = 30 * time.Second

func (c *Config) validate() error {
	bad := func(key, format string, args ...any) error {
		return fmt.Errorf("config: %s: %s", key, fmt.Sprintf(format, args...))
	}
	switch c.Env {
	case Development, Production, Test:
	default:
		return bad("APP_ENV", "must be development, production or test, not %q", c.Env)
	}
	if _, port, err := net.SplitHostPort(c.HTTPAddr); err != nil || port == "" {
		return bad("HTTP_ADDR", "must be host:port or :port, not %q", c.HTTPAddr)
	}
	if c.DatabaseURL != "" {
		u, err := url.Parse(c.DatabaseURL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			return bad("DATABASE_URL", "must be a postgres:// URL")
		}
	}
	if c.MigrationDatabaseURL != "" {
		u, err := url.Parse(c.MigrationDatabaseURL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			return bad("MIGRATION_DATABASE_URL", "must be a postgres:// URL")
		}
		if c.DatabaseURL == "" {
			return bad("MIGRATION_DATABASE_URL", "needs DATABASE_URL: it is the owner role of the PostgreSQL database DATABASE_URL names")
		}
	}
	if c.JWTSecret != "" {
		if err := checkJWTSecret(c.JWTSecret); err != nil {
			return bad("JWT_SECRET", "%v", err)
		}
	}
	// A previous secret still verifies tokens, so a weak one forges them as
	// well as a weak current one would.
	for i, s := range c.JWTPreviousSecrets {
		if err := checkJWTSecret(s); err != nil {
			return bad("JWT_PREVIOUS_SECRETS", "secret %d %v", i+1, err)
		}
	}
	if c.MetricsToken != "" {
		if len(c.MetricsToken) < 16 {
			return bad("METRICS_TOKEN", "must be at least 16 characters")
		}
		if err := checkVariety(c.MetricsToken, 16); err != nil {
			return bad("METRICS_TOKEN", "%v", err)
		}
	}
	if c.Env == Production {
		if c.JWTSecret == "" {
			return bad("JWT_SECRET", "is required when APP_ENV=production")
		}
		if c.DatabaseURL == "" {
			return bad("DATABASE_URL", "is required when APP_ENV=production")
		}
	}
	if c.AdminEmail != "" {
		if _, err := mail.ParseAddress(c.AdminEmail); err != nil {
			return bad("ADMIN_EMAIL", "is not an email address")
		}
		if c.AdminPassword == "" {
			return bad("ADMIN_PASSWORD", "is required with ADMIN_EMAIL")
		}
	} else if c.AdminPassword != "" {
		return bad("ADMIN_EMAIL", "is required with ADMIN_PASSWORD")
	}
	for _, o := range c.CORSAllowedOrigins {
		if o == "*" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return bad("CORS_ALLOWED_ORIGINS", "%q is not an origin such as https://app.example.com", o)
		}
	}
	if _, err := c.TrustedProxyNets(); err != nil {
		return bad("TRUSTED_PROXIES", "%v", err)
	}
	if c.RateLimitPerMinute < 1 || c.RateLimitPerMinute > 1000000 {
		return bad("RATE_LIMIT_PER_MINUTE", "must be between 1 and 1000000")
	}
	if c.DBMaxConns < 2 || c.DBMaxConns > 500 {
		return bad("DB_MAX_CONNS", "must be between 2 and 500")
	}
	if c.ExportMaxConcurrent < 1 || c.ExportMaxConcurrent >= c.DBMaxConns {
		return bad("EXPORT_MAX_CONCURRENT", "must be at least 1 and below DB_MAX_CONNS (%d)", c.DBMaxConns)
	}
	if c.ExportStallTimeout < time.Second || c.ExportStallTimeout > MaxExportStallTimeout {
		return bad("EXPORT_STALL_TIMEOUT", "must be between 1s and %v", MaxExportStallTimeout)
	}
	if c.HashConcurrency < 1 || c.HashConcurrency > 64 {
		return bad("PASSWORD_HASH_CONCURRENCY", "must be between 1 and 64")
	}
	if c.ShutdownTimeout <= 0 {
		return bad("SHUTDOWN_TIMEOUT", "must be positive")
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return bad("LOG_LEVEL", "must be debug, info, warn or error")
	}
	// Integration checks.
	if err := c.checkDataEncryptionKeys(); err != nil {
		return err
	}

	// Measurement and safety checks.
	if err := c.CrisisResources.check(); err != nil {
		return bad("CRISIS_RESOURCES", "%v", err)
	}

	return nil
}

// TrustedProxyNets parses TRUSTED_PROXIES: CIDRs or single addresses of
// the load balancers whose X-Forwarded-For header names the client.
func (c *Config) TrustedProxyNets() ([]*net.IPNet, error) {
	var nets []*net.IPNet
	for _, s := range c.TrustedProxies {
		s = strings.TrimSpace(s)
		if !strings.Contains(s, "/") {
			if ip := net.ParseIP(s); ip != nil && ip.To4() != nil {
				s += "/32"
			} else {
				s += "/128"
			}
		}
		_, n, err := net.ParseCIDR(s)
		if err != nil {
			return nil, fmt.Errorf("%q is not an address or CIDR range", s)
		}
		nets = append(nets, n)
	}
	return nets, nil
}

// MigrationURL is the URL migrations run with: MIGRATION_DATABASE_URL, or
// DATABASE_URL when it is unset.
func (c *Config) MigrationURL() string {
	if c.MigrationDatabaseURL != "" {
		return c.MigrationDatabaseURL
	}
	return c.DatabaseURL
}

// SlogLevel is LOG_LEVEL as a slog level.
func (c *Config) SlogLevel() slog.Level {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(c.LogLevel))
	return lvl
}

// EnsureJWTSecret fills a missing JWT_SECRET outside production with a random
// one kept in DataDir, so tokens survive restarts of a development server.
func (c *Config) EnsureJWTSecret(log *slog.Logger) error {
	if c.JWTSecret != "" {
		return nil
	}
	if c.Env == Production {
		return errors.New("config: JWT_SECRET: is required when APP_ENV=production")
	}
	secret, created, err := fileSecret(filepath.Join(c.DataDir, "jwt_secret"), randomSecret, checkJWTSecret)
	if err != nil {
		return fmt.Errorf("config: JWT_SECRET: %w", err)
	}
	if created {
		log.Warn("JWT_SECRET is not set: generated one and stored it in the data folder; set JWT_SECRET in production", "path", filepath.Join(c.DataDir, "jwt_secret"))
	} else {
		log.Warn("JWT_SECRET is not set: using the one stored in the data folder", "path", filepath.Join(c.DataDir, "jwt_secret"))
	}
	c.JWTSecret = secret
	return nil
}

// fileSecret reads the secret at path, or creates it with 0600 permissions
// from newSecret; check vets a secret read back.
func fileSecret(path string, newSecret func() (string, error), check func(string) error) (secret string, created bool, err error) {
	if b, err := os.ReadFile(path); err == nil {
		s := strings.TrimSpace(string(b))
		if err := check(s); err != nil {
			return "", false, fmt.Errorf("%s holds a secret that %w", path, err)
		}
		return s, false, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", false, err
	}
	s, err := newSecret()
	if err != nil {
		return "", false, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", false, err
	}
	if _, err := f.WriteString(s + "\n"); err != nil {
		f.Close()
		return "", false, err
	}
	return s, true, f.Close()
}

// randomSecret is a new JWT secret: 48 random bytes, base64url.
func randomSecret() (string, error) {
	raw := make([]byte, 48)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(raw), nil
}

func checkJWTSecret(s string) error {
	if len(s) < MinSecretBytes {
		return fmt.Errorf("must be at least %d characters", MinSecretBytes)
	}
	return checkVariety(s, MinSecretBytes)
}
