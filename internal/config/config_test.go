package config_test

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/ketacare/api/internal/config"
)

// secret is a JWT_SECRET varied enough to pass: a passphrase, not a key.
var secret = "correct-horse-battery-staple-42!-for-tests"

func TestDefaults(t *testing.T) {
	c, err := config.Load(nil)
	if err != nil {
		t.Fatalf("nothing set must start: %v", err)
	}
	if c.HTTPAddr != ":8080" || c.Env != config.Development || c.DatabaseURL != "" || c.DataDir != "./data" || c.DBMaxConns != 20 {
		t.Fatalf("unexpected defaults: %+v", c)
	}
}

func TestHashConcurrencyFollowsTheCPUs(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, tc := range []struct{ cpus, want int }{{1, 1}, {2, 1}, {4, 2}, {8, 4}, {32, 4}} {
		runtime.GOMAXPROCS(tc.cpus)
		c, err := config.Load(nil)
		if err != nil {
			t.Fatal(err)
		}
		if c.HashConcurrency != tc.want {
			t.Errorf("%d CPUs: %d hashes at once, want %d", tc.cpus, c.HashConcurrency, tc.want)
		}
	}
	c, err := config.Load([]string{"PASSWORD_HASH_CONCURRENCY=6"})
	if err != nil || c.HashConcurrency != 6 {
		t.Fatalf("a set value wins: %d, %v", c.HashConcurrency, err)
	}
}

// TestExportCapStaysBelowThePool: unset, EXPORT_MAX_CONCURRENT is 4 and at
// most half of DB_MAX_CONNS, so exports can never take the whole pool.
func TestExportCapStaysBelowThePool(t *testing.T) {
	for _, tc := range []struct {
		env  []string
		want int
	}{
		{nil, 4},
		{[]string{"DB_MAX_CONNS=8"}, 4},
		{[]string{"DB_MAX_CONNS=5"}, 2},
		{[]string{"DB_MAX_CONNS=2"}, 1},
		{[]string{"DB_MAX_CONNS=100"}, 4},
		{[]string{"DB_MAX_CONNS=100", "EXPORT_MAX_CONCURRENT=12"}, 12},
		{[]string{"DB_MAX_CONNS=8", "EXPORT_MAX_CONCURRENT=7"}, 7},
	} {
		c, err := config.Load(tc.env)
		if err != nil {
			t.Fatalf("%v: %v", tc.env, err)
		}
		if c.ExportMaxConcurrent != tc.want {
			t.Errorf("%v: %d exports at once, want %d", tc.env, c.ExportMaxConcurrent, tc.want)
		}
	}
}

func TestBadValuesNameTheVariable(t *testing.T) {
	cases := []struct {
		env  []string
		name string
	}{
		{[]string{"APP_ENV=staging"}, "APP_ENV"},
		{[]string{"HTTP_ADDR=8080"}, "HTTP_ADDR"},
		{[]string{"DATABASE_URL=mysql://x"}, "DATABASE_URL"},
		{[]string{"JWT_SECRET=short"}, "JWT_SECRET"},
		{[]string{"JWT_PREVIOUS_SECRETS=short"}, "JWT_PREVIOUS_SECRETS"},
		{[]string{"ADMIN_EMAIL=nope"}, "ADMIN_EMAIL"},
		{[]string{"ADMIN_EMAIL=admin@clinic.example"}, "ADMIN_PASSWORD"},
		{[]string{"ADMIN_PASSWORD=whatever-password"}, "ADMIN_EMAIL"},
		{[]string{"CORS_ALLOWED_ORIGINS=app.example.com"}, "CORS_ALLOWED_ORIGINS"},
		{[]string{"DB_MAX_CONNS=abc"}, "DB_MAX_CONNS"},
		{[]string{"DB_MAX_CONNS=1"}, "DB_MAX_CONNS"},
		{[]string{"SHUTDOWN_TIMEOUT=soon"}, "SHUTDOWN_TIMEOUT"},
		{[]string{"PASSWORD_HASH_CONCURRENCY=0"}, "PASSWORD_HASH_CONCURRENCY"},
		{[]string{"EXPORT_MAX_CONCURRENT=0"}, "EXPORT_MAX_CONCURRENT"},
		{[]string{"EXPORT_MAX_CONCURRENT=20"}, "EXPORT_MAX_CONCURRENT"},
		{[]string{"DB_MAX_CONNS=8", "EXPORT_MAX_CONCURRENT=8"}, "EXPORT_MAX_CONCURRENT"},
		{[]string{"EXPORT_STALL_TIMEOUT=500ms"}, "EXPORT_STALL_TIMEOUT"},
		{[]string{"EXPORT_STALL_TIMEOUT=31s"}, "EXPORT_STALL_TIMEOUT"},
		{[]string{"LOG_LEVEL=loud"}, "LOG_LEVEL"},
		{[]string{"METRICS_TOKEN=short"}, "METRICS_TOKEN"},
		{[]string{"APP_ENV=production", "DATABASE_URL=postgres://db/x"}, "JWT_SECRET"},
		{[]string{"APP_ENV=production", "JWT_SECRET=" + secret}, "DATABASE_URL"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.env, " "), func(t *testing.T) {
			_, err := config.Load(tc.env)
			if err == nil {
				t.Fatal("want an error")
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.name) || strings.Contains(msg, "\n") {
				t.Fatalf("want one line naming %s, got %q", tc.name, msg)
			}
		})
	}
}

func TestProductionWithSecrets(t *testing.T) {
	c, err := config.Load([]string{"APP_ENV=production", "JWT_SECRET=" + secret, "DATABASE_URL=postgres://u@db:5432/clinic",
		"CORS_ALLOWED_ORIGINS=https://app.example.com,http://localhost:3000", "DATA_ENCRYPTION_KEY=" + dataKey})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.CORSAllowedOrigins) != 2 {
		t.Fatalf("origins: %v", c.CORSAllowedOrigins)
	}
}

func TestGeneratedJWTSecretIsKept(t *testing.T) {
	dir := t.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	c, err := config.Load([]string{"DATA_DIR=" + dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.EnsureJWTSecret(log); err != nil {
		t.Fatal(err)
	}
	if len(c.JWTSecret) < config.MinSecretBytes {
		t.Fatalf("generated secret too short: %d", len(c.JWTSecret))
	}
	fi, err := os.Stat(filepath.Join(dir, "jwt_secret"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret file mode %v, want 0600", fi.Mode().Perm())
	}
	again, _ := config.Load([]string{"DATA_DIR=" + dir})
	if err := again.EnsureJWTSecret(log); err != nil || again.JWTSecret != c.JWTSecret {
		t.Fatal("a restart must reuse the stored secret")
	}
	prod := config.Config{Env: config.Production, DataDir: dir}
	if err := prod.EnsureJWTSecret(log); err == nil {
		t.Fatal("production must not generate a secret")
	}
}
