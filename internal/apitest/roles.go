package apitest

import (
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"testing"

	"github.com/ketacare/api/internal/config"
)

// LeastPrivilege makes the service of cfg, on PostgreSQL, run as a
// production deployment does: TEST_DATABASE_URL's role becomes the owner in
// MIGRATION_DATABASE_URL, and DATABASE_URL logs in as a new role with a
// random name that does not exist yet, so that the service migrates as the
// owner, creates that role, grants it its rights and serves as it. The role
// is dropped when the test ends. It returns the role's name, or "" on
// SQLite, where it changes nothing.
func LeastPrivilege(t testing.TB, cfg *config.Config) string {
	t.Helper()
	if cfg.DatabaseURL == "" {
		return ""
	}
	u, err := url.Parse(cfg.DatabaseURL)
	if err != nil {
		t.Fatalf("DATABASE_URL: %v", err)
	}
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	role := "ketacare_app_" + hex.EncodeToString(b[:8])
	cfg.MigrationDatabaseURL = cfg.DatabaseURL
	u.User = url.UserPassword(role, hex.EncodeToString(b[8:]))
	cfg.DatabaseURL = u.String()
	t.Cleanup(func() {
		// DROP OWNED revokes the role's rights in this database; the role
		// owns nothing else, its schema is dropped after.
		pgAdmin.Exec("DROP OWNED BY " + role)
		pgAdmin.Exec("DROP ROLE IF EXISTS " + role)
	})
	return role
}
