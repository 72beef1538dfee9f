package handlers_test

import (
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/ketacare/api/internal/api"
	"github.com/ketacare/api/internal/apitest"
	"github.com/ketacare/api/internal/app"
	"github.com/ketacare/api/internal/config"
)

// TestAuditTrailOutlivesTheService boots the service as production runs it
// on PostgreSQL: migrated by the owner role, serving as a role that owns
// nothing. A whole visit works as that role and is audited, yet the role
// cannot TRUNCATE, DELETE, UPDATE, disable the triggers of or drop the
// audit trail; the owner's TRUNCATE is refused by the trigger; and a right
// granted by hand is taken back at the next start.
func TestAuditTrailOutlivesTheService(t *testing.T) {
	t.Parallel()
	if os.Getenv("TEST_DATABASE_URL") == "" {
		t.Skip("database roles are PostgreSQL's: on SQLite whoever can write the file can change anything (docs/security.md); set TEST_DATABASE_URL")
	}
	var role string
	env := apitest.NewWith(t, func(c *config.Config) { role = apitest.LeastPrivilege(t, c) })
	var who string
	if err := env.DB.Raw("SELECT current_user").Scan(&who).Error; err != nil || who != role {
		t.Fatalf("the service logs in as %q (%v), want the new role %q", who, err, role)
	}

	c := newClinic(t, env)
	entry := postEntry(t, env, c.patient.Token, map[string]any{"body": "Written as the least-privileged role.", "shared_with_care_team": true})
	var read api.JournalEntry
	env.Get("/v1/journal-entries/"+entry.ID.String(), c.patient.Token).Expect(t, http.StatusOK).JSON(t, &read)
	if read.Body != "Written as the least-privileged role." {
		t.Fatalf("read back %q", read.Body)
	}
	env.Get("/v1/patients/"+c.patient.ID.String()+"/journal-entries/"+entry.ID.String(), c.clinician.Token).Expect(t, http.StatusOK)
	var log api.AuditEventPage
	env.Get("/v1/me/access-log", c.patient.Token).Expect(t, http.StatusOK).JSON(t, &log)
	if len(log.Items) != 2 || log.Items[0].Operation != "getSharedJournalEntry" || log.Items[0].ActorID != c.clinician.ID {
		t.Fatalf("the trail must record the clinician's read: %+v", log.Items)
	}

	owner := openDirect(t, env.App.Config.MigrationDatabaseURL)
	count := func(t *testing.T) int64 {
		t.Helper()
		var n int64
		if err := owner.Raw("SELECT count(*) FROM audit_events").Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}
	events := count(t)
	wipes := []string{
		"TRUNCATE audit_events",
		"DELETE FROM audit_events",
		"UPDATE audit_events SET actor_role = 'patient'",
		"ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only",
		"ALTER TABLE audit_events DISABLE TRIGGER ALL",
		"DROP TRIGGER audit_events_no_truncate ON audit_events",
		"DROP TABLE audit_events",
		"CREATE TABLE audit_copy (id uuid)",
	}
	refusedAsService := func(t *testing.T, db *gorm.DB) {
		t.Helper()
		for _, stmt := range wipes {
			err := db.Exec(stmt).Error
			var pgErr *pgconn.PgError
			if !errors.As(err, &pgErr) || pgErr.Code != "42501" { // insufficient_privilege
				t.Errorf("%s as the service's role: want permission denied, got %v", stmt, err)
			}
		}
		if n := count(t); n != events {
			t.Fatalf("the trail went from %d events to %d", events, n)
		}
	}
	t.Run("the service's role", func(t *testing.T) { refusedAsService(t, env.DB) })

	t.Run("the owner's TRUNCATE", func(t *testing.T) {
		err := owner.Exec("TRUNCATE audit_events").Error
		if err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Fatalf("the TRUNCATE trigger must refuse even the owner: %v", err)
		}
		if n := count(t); n != events {
			t.Fatalf("the trail went from %d events to %d", events, n)
		}
	})

	// A grant made by hand, as an older setup might have, does not survive
	// the next start: migrating re-applies exactly the service's rights.
	t.Run("rights re-applied at start", func(t *testing.T) {
		if err := owner.Exec("GRANT ALL ON audit_events TO " + role).Error; err != nil {
			t.Fatal(err)
		}
		again := env.For(t).Reboot(func(*config.Config) {})
		refusedAsService(t, again.DB)
		again.Get("/v1/patients/"+c.patient.ID.String()+"/journal-entries/"+entry.ID.String(), c.clinician.Token).Expect(t, http.StatusOK)
		if n := count(t); n != events+1 {
			t.Fatalf("after one more audited read the trail has %d events, want %d", n, events+1)
		}
	})
}

// TestProductionRefusesASuperuser: in production the service will not serve
// as a PostgreSQL superuser, which could switch off every guard of the
// audit trail whatever it was granted.
func TestProductionRefusesASuperuser(t *testing.T) {
	t.Parallel()
	if os.Getenv("TEST_DATABASE_URL") == "" {
		t.Skip("superusers are PostgreSQL's; set TEST_DATABASE_URL")
	}
	cfg := apitest.Config(t)
	var super bool
	if err := openDirect(t, cfg.DatabaseURL).Raw("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").Scan(&super).Error; err != nil {
		t.Fatal(err)
	}
	if !super {
		t.Skip("TEST_DATABASE_URL does not log in as a superuser")
	}
	cfg.Env = config.Production
	cfg.DataEncryptionKey = base64.StdEncoding.EncodeToString([]byte("0123456789abcdefghijklmnopqrstuv"))
	a, err := app.New(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err == nil {
		a.Close()
		t.Fatal("production must refuse to serve as a superuser")
	}
	if !strings.Contains(err.Error(), "DATABASE_URL") || !strings.Contains(err.Error(), "superuser") {
		t.Fatalf("the refusal must name DATABASE_URL and say why: %v", err)
	}
}

// openDirect connects to url outside the service, closing when the test ends.
func openDirect(t *testing.T, url string) *gorm.DB {
	t.Helper()
	db, err := gorm.Open(postgres.Open(url), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if sqlDB, err := db.DB(); err == nil {
			sqlDB.Close()
		}
	})
	return db
}
