package store_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/ketacare/api/internal/apitest"
	"github.com/ketacare/api/internal/clock"
	"github.com/ketacare/api/internal/config"
	"github.com/ketacare/api/internal/models"
	"github.com/ketacare/api/internal/store"
)

// BenchmarkAccountActive measures the account and login check every
// authenticated request makes (one statement), on SQLite or, with
// TEST_DATABASE_URL, PostgreSQL:
//
//	go test -run '^$' -bench AccountActive ./internal/store/
func BenchmarkAccountActive(b *testing.B) {
	cfg := apitest.Config(b)
	db, err := store.Open(store.Options{DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir, MaxConns: 4})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if sqlDB, err := db.DB(); err == nil {
			sqlDB.Close()
		}
	})
	ctx := context.Background()
	keys := testKeys(b)
	if err := store.Migrate(ctx, db, slog.New(slog.NewTextHandler(io.Discard, nil)), keys); err != nil {
		b.Fatal(err)
	}
	st := store.New(db, keys, clock.System)
	u := models.User{Email: "bench@clinic.test", DisplayName: "Bench", Role: models.RolePatient, PasswordHash: "x"}
	if err := st.CreateUser(ctx, &u); err != nil {
		b.Fatal(err)
	}
	login := models.RefreshToken{UserID: u.ID, TokenHash: "bench", ExpiresAt: clock.System().Add(time.Hour)}
	if err := st.CreateRefreshToken(ctx, &login); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		ok, err := st.AccountActive(ctx, u.ID, models.RolePatient, login.FamilyID)
		if err != nil || !ok {
			b.Fatalf("active: %v, %v", ok, err)
		}
	}
}

// TestOneExportPerAccountAcrossInstances: on PostgreSQL, while an export of
// a patient's runs on one instance, another instance refuses a second one
// of the same patient's at once, and lets other patients export; the lock
// ends with the export's transaction, however the export ends.
func TestOneExportPerAccountAcrossInstances(t *testing.T) {
	a := apitest.New(t)
	if store.Dialect(a.DB) != store.Postgres {
		t.Skip("SQLite belongs to one instance: the per-instance limit is the whole of it (TestStalledExportsLeaveThePoolToOthers)")
	}
	b := a.Reboot(func(*config.Config) {})
	ctx := context.Background()
	pat, other := a.Patient("Pat"), a.Patient("Other")
	noop := func(context.Context) error { return nil }
	failed := errors.New("the download broke")

	err := a.App.Store.ExportSnapshot(ctx, pat.ID, func(context.Context) error {
		if err := b.App.Store.ExportSnapshot(ctx, pat.ID, noop); !errors.Is(err, store.ErrExportInProgress) {
			t.Errorf("a second export of the same patient on another instance: %v, want ErrExportInProgress", err)
		}
		if err := b.App.Store.ExportSnapshot(ctx, other.ID, noop); err != nil {
			t.Errorf("another patient's export: %v", err)
		}
		return failed
	})
	if !errors.Is(err, failed) {
		t.Fatalf("the first export: %v", err)
	}
	if err := b.App.Store.ExportSnapshot(ctx, pat.ID, noop); err != nil {
		t.Fatalf("after the first export ended: %v", err)
	}
}
