package store_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/ketacare/api/internal/store"
)

// TestSQLiteFilesArePrivate: the data folder is 0700 and the database, its
// write-ahead log and its shared-memory index are 0600, whether the folder
// is new or already there and readable by others (then it is tightened,
// and the log says so).
func TestSQLiteFilesArePrivate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, dir string)
		warns bool
	}{
		{"new folder", func(t *testing.T, dir string) {}, false},
		{"existing 0755 folder", func(t *testing.T, dir string) {
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"existing 0644 files", func(t *testing.T, dir string) {
			first := openSQLite(t, dir, slog.New(slog.DiscardHandler))
			closeSQLite(t, first)
			for _, p := range []string{dir, filepath.Join(dir, "ketacare.db")} {
				mode := os.FileMode(0o644)
				if p == dir {
					mode = 0o755
				}
				if err := os.Chmod(p, mode); err != nil {
					t.Fatal(err)
				}
			}
			// As a crash leaves them: an empty log and index.
			for _, name := range []string{"ketacare.db-wal", "ketacare.db-shm"} {
				if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			tc.setup(t, dir)
			var logged bytes.Buffer
			db := openSQLite(t, dir, slog.New(slog.NewTextHandler(&logged, nil)))
			defer closeSQLite(t, db)
			if err := store.Migrate(context.Background(), db, slog.New(slog.DiscardHandler), testKeys(t)); err != nil {
				t.Fatal(err)
			}
			checkMode(t, dir, 0o700)
			for _, name := range []string{"ketacare.db", "ketacare.db-wal", "ketacare.db-shm"} {
				checkMode(t, filepath.Join(dir, name), 0o600)
			}
			if warned := strings.Contains(logged.String(), "permissions tightened"); warned != tc.warns {
				t.Errorf("logged a tightening: %v, want %v: %s", warned, tc.warns, logged.String())
			}
		})
	}
}

func openSQLite(t *testing.T, dir string, log *slog.Logger) *gorm.DB {
	t.Helper()
	db, err := store.Open(store.Options{DataDir: dir, MaxConns: 2, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	// The pool opens connections lazily; the WAL and shared-memory files
	// appear with the first.
	if err := db.Exec("SELECT 1").Error; err != nil {
		t.Fatal(err)
	}
	return db
}

func closeSQLite(t *testing.T, db *gorm.DB) {
	t.Helper()
	if sqlDB, err := db.DB(); err == nil {
		sqlDB.Close()
	}
}

func checkMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s is %04o, want %04o", filepath.Base(path), got, want)
	}
}
