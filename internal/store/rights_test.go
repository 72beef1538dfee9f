package store_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/ketacare/api/internal/apitest"
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
	if err := store.Migrate(ctx, db, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		b.Fatal(err)
	}
	st := store.New(db)
	u := models.User{Email: "bench@clinic.test", DisplayName: "Bench", Role: models.RolePatient, PasswordHash: "x"}
	if err := st.CreateUser(ctx, &u); err != nil {
		b.Fatal(err)
	}
	login := models.RefreshToken{UserID: u.ID, TokenHash: "bench", ExpiresAt: store.Now().Add(time.Hour)}
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
