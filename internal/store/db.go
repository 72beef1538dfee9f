package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

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
}

// Open connects to the database the options name.
func Open(opts Options) (*gorm.DB, error) {
	cfg := &gorm.Config{
		TranslateError: true,
		Logger:         logger.Discard,
		// PostgreSQL keeps microseconds; truncating here makes every
		// timestamp round-trip exactly, which keyset cursors rely on.
		NowFunc:                func() time.Time { return Now() },
		SkipDefaultTransaction: true,
	}
	var dialector gorm.Dialector
	if opts.DatabaseURL != "" {
		dialector = postgres.Open(opts.DatabaseURL)
	} else {
		if err := os.MkdirAll(opts.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("create data folder: %w", err)
		}
		dialector = sqlite.Open(sqliteDSN(filepath.Join(opts.DataDir, "ketacare.db")))
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

// sqliteDSN sets, on every connection the pool opens: WAL so readers do not
// block the writer, enforced foreign keys, a busy timeout instead of
// immediate "database is locked" errors, and IMMEDIATE transactions so two
// writers never deadlock upgrading read locks.
func sqliteDSN(path string) string {
	return "file:" + path +
		"?_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)" +
		"&_pragma=synchronous(NORMAL)&_txlock=immediate"
}

// Now is the current time as the store records it: UTC, to the microsecond.
func Now() time.Time {
	return time.Now().Add(time.Duration(clockShift.Load())).UTC().Truncate(time.Microsecond)
}

// clockShift is how far Now is set back from the real time, in nanoseconds:
// always zero in a server. Only `api seed-demo` sets it, to replay a demo
// clinic's past weeks through the real code so that every record, audit
// event and change-log entry carries the day it "happened" on.
var clockShift atomic.Int64

// SetClock makes Now read at from this moment on (it keeps running from
// there); the zero time restores the real clock. It changes the whole
// process's clock: only a process that serves nobody else, such as the demo
// seeder, may call it.
func SetClock(at time.Time) {
	if at.IsZero() {
		clockShift.Store(0)
		return
	}
	clockShift.Store(int64(time.Until(at)))
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
