package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/ketacare/api/internal/clock"
	"github.com/ketacare/api/internal/seal"
)

// Dialects the store runs on.
const (
	Postgres = "postgres"
	SQLite   = "sqlite"
)

//go:embed migrations
var migrations embed.FS

// Options say which database to open and how large its pool is.
type Options struct {
	// DatabaseURL selects PostgreSQL; empty selects SQLite in DataDir.
	DatabaseURL string
	DataDir     string
	// MaxConns caps open connections, and is also the idle pool size, so
	// that a steady load reuses connections instead of opening new ones.
	MaxConns int
	// Log hears when the data folder or the SQLite files were readable by
	// others and had their permissions tightened; nil discards it.
	Log *slog.Logger
	// Now is the clock GORM stamps the rows it creates and updates with:
	// the one the Store is given; nil is clock.System. It must read as
	// clock.System does, UTC to the microsecond, so that every timestamp
	// round-trips exactly, which keyset cursors rely on.
	Now func() time.Time
}

// sqliteFile is the database's file in DataDir; SQLite keeps its write-ahead
// log and shared-memory index beside it, with -wal and -shm appended.
const sqliteFile = "ketacare.db"

// Open connects to the database the options name.
func Open(opts Options) (*gorm.DB, error) {
	now := opts.Now
	if now == nil {
		now = clock.System
	}
	cfg := &gorm.Config{
		TranslateError:         true,
		Logger:                 logger.Discard,
		NowFunc:                now,
		SkipDefaultTransaction: true,
	}
	var dialector gorm.Dialector
	if opts.DatabaseURL != "" {
		dialector = postgres.Open(opts.DatabaseURL)
	} else {
		log := opts.Log
		if log == nil {
			log = slog.New(slog.DiscardHandler)
		}
		path, err := privateSQLiteFiles(opts.DataDir, log)
		if err != nil {
			return nil, err
		}
		dialector = sqlite.Open(sqliteDSN(path))
	}
	db, err := gorm.Open(dialector, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	sqlDB.SetMaxOpenConns(opts.MaxConns)
	sqlDB.SetMaxIdleConns(opts.MaxConns)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	sqlDB.SetConnMaxLifetime(time.Hour)
	return db, nil
}

// privateSQLiteFiles makes the data folder 0700 and the database, WAL and
// shared-memory files 0600, tightening any that are looser, and returns the
// database file's path. SQLite creates a new database file 0644 (less the
// umask) and gives its -wal and -shm files the database file's mode, so
// creating the database file first, empty (which SQLite reads as a new
// database), makes all three private.
func privateSQLiteFiles(dir string, log *slog.Logger) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("create data folder: %w", err)
	}
	if err := tighten(dir, 0o700, log); err != nil {
		return "", err
	}
	path := filepath.Join(dir, sqliteFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return "", fmt.Errorf("create database file: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := tighten(p, 0o600, log); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
	}
	return path, nil
}

// tighten takes from path every permission beyond perm.
func tighten(path string, perm fs.FileMode, log *slog.Logger) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	was := fi.Mode().Perm()
	if was&^perm == 0 {
		return nil
	}
	if err := os.Chmod(path, was&perm); err != nil {
		return fmt.Errorf("make %s private: %w", path, err)
	}
	log.Warn("the data folder held a file others could read: permissions tightened", "path", path,
		"was", fmt.Sprintf("%04o", was), "now", fmt.Sprintf("%04o", was&perm))
	return nil
}

// sqliteDSN sets, on every connection the pool opens: WAL so readers do not
// block the writer, enforced foreign keys, a busy timeout instead of
// immediate "database is locked" errors, and IMMEDIATE transactions so two
// writers never deadlock upgrading read locks.
func sqliteDSN(path string) string {
	return "file:" + path +
		"?_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)" +
		"&_pragma=synchronous(NORMAL)&_txlock=immediate"
}

// Dialect names the database behind db.
func Dialect(db *gorm.DB) string {
	if db.Dialector.Name() == "postgres" {
		return Postgres
	}
	return SQLite
}

// Migrate applies every embedded migration not yet recorded in
// schema_migrations, each in its own transaction. Migrations only go forward.
// keys seal the text that rows written before migration 00110 held in the
// clear (see sealMigration).
func Migrate(ctx context.Context, db *gorm.DB, log *slog.Logger, keys *seal.Keyring) error {
	return MigrateTo(ctx, db, log, keys, 0)
}

// MigrateTo is Migrate stopping after version; 0 applies every migration.
// Tests use it to write rows as an earlier version of the service did.
func MigrateTo(ctx context.Context, db *gorm.DB, log *slog.Logger, keys *seal.Keyring, version int64) error {
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	p, err := provider(db, sqlDB, keys)
	if err != nil {
		return err
	}
	var results []*goose.MigrationResult
	if version == 0 {
		results, err = p.Up(ctx)
	} else {
		results, err = p.UpTo(ctx, version)
	}
	for _, r := range results {
		log.Info("migration applied", "version", r.Source.Version, "file", filepath.Base(r.Source.Path), "duration_ms", r.Duration.Milliseconds())
	}
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

func provider(db *gorm.DB, sqlDB *sql.DB, keys *seal.Keyring) (*goose.Provider, error) {
	dialect := Dialect(db)
	fsys, err := fs.Sub(migrations, "migrations/"+dialect)
	if err != nil {
		return nil, err
	}
	opts := []goose.ProviderOption{goose.WithTableName("schema_migrations"), goose.WithDisableGlobalRegistry(true),
		goose.WithGoMigrations(sealMigration(dialect, keys))}
	gooseDialect := goose.DialectSQLite3
	if dialect == Postgres {
		gooseDialect = goose.DialectPostgres
		// Two instances starting together must not both migrate.
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	return goose.NewProvider(gooseDialect, sqlDB, fsys, opts...)
}
