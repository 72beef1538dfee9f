package store_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"testing"

	"gorm.io/gorm/schema"

	"github.com/ketacare/api/internal/apitest"
	"github.com/ketacare/api/internal/models"
	"github.com/ketacare/api/internal/store"
)

// TestMigrationsMatchModels migrates an empty database and checks that every
// model's table has exactly the model's columns, and that migrating again
// changes nothing.
func TestMigrationsMatchModels(t *testing.T) {
	cfg := apitest.Config(t)
	db, err := store.Open(store.Options{DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir, MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if sqlDB, err := db.DB(); err == nil {
			sqlDB.Close()
		}
	})
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := context.Background()
	if err := store.Migrate(ctx, db, log, testKeys(t)); err != nil {
		t.Fatal(err)
	}
	if err := store.Migrate(ctx, db, log, testKeys(t)); err != nil {
		t.Fatalf("migrating twice: %v", err)
	}
	if !db.Migrator().HasTable("schema_migrations") {
		t.Fatal("migrations are not recorded in schema_migrations")
	}
	for _, m := range models.All() {
		s, err := schema.Parse(m, &sync.Map{}, db.NamingStrategy)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, f := range s.Fields {
			if f.DBName != "" {
				want = append(want, f.DBName)
			}
		}
		cols, err := db.Migrator().ColumnTypes(s.Table)
		if err != nil {
			t.Fatalf("%s: %v", s.Table, err)
		}
		var got []string
		for _, c := range cols {
			got = append(got, c.Name())
		}
		sort.Strings(want)
		sort.Strings(got)
		if !slices.Equal(want, got) {
			t.Errorf("table %s has columns %v, model %T has %v", s.Table, got, m, want)
		}
	}
}
