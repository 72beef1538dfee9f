// Package store reads and writes the database. It speaks in models and
// returns domain errors (apperr); it knows nothing of HTTP.
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/ketacare/api/internal/apperr"
	"github.com/ketacare/api/internal/seal"
)

// Store is the application's data access, safe for concurrent use. Words a
// person writes about a patient's care are sealed with keys on the way in
// and opened on the way out (see rowCipher), so nothing above the store
// sees ciphertext or key ids, and nothing below it sees the words.
type Store struct {
	db   *gorm.DB
	keys *seal.Keyring
	// now is the service's clock (UTC, to the microsecond, as clock.System):
	// every time the store records or decides by is read from it.
	now func() time.Time
}

// New returns a Store over db, sealing with keys and reading the time from
// now (the clock db was opened with: Options.Now).
func New(db *gorm.DB, keys *seal.Keyring, now func() time.Time) *Store {
	return &Store{db: db, keys: keys, now: now}
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		return &apperr.Error{Code: apperr.Unavailable, Message: "The database cannot be reached.", Err: err}
	}
	return nil
}

// conn returns the handle bound to ctx: inside ReadSnapshot, its
// transaction.
func (s *Store) conn(ctx context.Context) *gorm.DB {
	if tx, ok := snapshot(ctx); ok {
		return tx.WithContext(ctx)
	}
	return s.db.WithContext(ctx)
}

// notFound is the error for a row that is missing or not the caller's.
func notFound(what string) error {
	return apperr.New(apperr.NotFound, "The %s does not exist.", what)
}

// translate turns driver errors GORM recognises into domain errors; conflict
// is the client-safe message for a unique-key clash.
func translate(err error, conflict string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return &apperr.Error{Code: apperr.Conflict, Message: conflict, Err: err}
	case errors.Is(err, gorm.ErrForeignKeyViolated):
		return &apperr.Error{Code: apperr.Unprocessable, Message: "The request refers to a record that does not exist.", Err: err}
	case closedAccount(err):
		return ErrAccountClosed
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case unreachable(err):
		return &apperr.Error{Code: apperr.Unavailable, Message: "The database cannot be reached; retry in a moment.", Err: fmt.Errorf("%s: %w", where(), err)}
	}
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return err
	}
	return &apperr.Error{Code: apperr.Internal, Message: "Internal error.", Err: fmt.Errorf("%s: %w", where(), err)}
}

// where names the store function that called translate (directly or
// through found), so that a logged internal error says which call failed.
func where() string {
	pcs := make([]uintptr, 4)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(3, pcs)])
	for {
		f, more := frames.Next()
		if !strings.HasSuffix(f.Function, "store.found") || !more {
			return strings.TrimPrefix(f.Function, "github.com/ketacare/api/internal/")
		}
	}
}

// unreachable reports whether err means the database could not be reached
// or went away, which a retry may cure, rather than a fault in the request.
func unreachable(err error) bool {
	var connect *pgconn.ConnectError
	var netErr net.Error
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &connect), errors.As(err, &netErr),
		errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNREFUSED):
		return true
	case errors.As(err, &pgErr):
		// Class 08 is connection exceptions; 57P01-57P03 a server shutting
		// down or starting up.
		return strings.HasPrefix(pgErr.Code, "08") || pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03"
	}
	return false
}

// found maps GORM's missing-row error to NotFound for the named resource.
func found(err error, what string) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return notFound(what)
	}
	return translate(err, "")
}

// updateVersioned applies set to the row of model's table with the id,
// adding one to its version. With expected != 0 the row must still be at that
// version: otherwise nothing changes and the error is Stale, carrying the
// current version. A missing row is NotFound (what names it).
func (s *Store) updateVersioned(ctx context.Context, model any, what string, id uuid.UUID, expected int64, set map[string]any) error {
	set["version"] = gorm.Expr("version + 1")
	if _, ok := set["updated_at"]; !ok {
		set["updated_at"] = s.now()
	}
	q := s.conn(ctx).Model(model).Where("id = ?", id)
	if expected != 0 {
		q = q.Where("version = ?", expected)
	}
	res := q.Updates(set)
	if res.Error != nil {
		return translate(res.Error, "")
	}
	if res.RowsAffected > 0 {
		return nil
	}
	var current int64
	err := s.conn(ctx).Model(model).Where("id = ?", id).Select("version").Scan(&current).Error
	if err != nil {
		return translate(err, "")
	}
	if current == 0 {
		return notFound(what)
	}
	return checkVersion(what, current, expected)
}

// checkVersion refuses a change when the client's If-Match named another
// version than the row's current one; expected 0 means no precondition.
func checkVersion(what string, current, expected int64) error {
	if expected != 0 && current != expected {
		return &apperr.Error{Code: apperr.Stale, Message: "The " + what + " was changed since the version in If-Match; nothing was changed. Fetch it again.", CurrentVersion: current}
	}
	return nil
}

// forUpdate makes tx's next read lock the rows it returns until the
// transaction ends, so that a check and the write that depends on it see the
// same row. SQLite has no row locks and needs none: its transactions take the
// write lock when they begin (_txlock=immediate), which serialises writers.
func forUpdate(tx *gorm.DB) *gorm.DB {
	if Dialect(tx) == Postgres {
		return tx.Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate})
	}
	return tx
}

// Record is a kind of record a client may create with an id of its own.
type Record int

// The records with client-made ids.
const (
	Assessments Record = iota
	MoodCheckIns
	JournalEntries
	Evaluations
	TreatmentPlans
	Goals
	GoalCheckIns
	VitalSigns
	Activities
)

// creators says, for each kind of record, its table and who made a row of
// it: a column, or an expression over the row where the record belongs to a
// parent that knows.
var creators = map[Record]struct{ table, creator string }{
	Assessments:    {"assessments", "patient_id"},
	MoodCheckIns:   {"mood_check_ins", "patient_id"},
	JournalEntries: {"journal_entries", "patient_id"},
	Evaluations:    {"candidacy_evaluations", "evaluated_by"},
	TreatmentPlans: {"treatment_plans", "created_by"},
	Goals:          {"goals", "patient_id"},
	GoalCheckIns:   {"goal_check_ins", "(SELECT g.patient_id FROM goals g WHERE g.id = goal_check_ins.goal_id)"},
	VitalSigns:     {"vital_signs", "recorded_by"},
	Activities:     {"activities", "patient_id"},
}

// CreatorOf says who made the record of the kind with the id, and whether
// there is one: a client-made id may already be taken.
func (s *Store) CreatorOf(ctx context.Context, kind Record, id uuid.UUID) (uuid.UUID, bool, error) {
	c, ok := creators[kind]
	if !ok {
		return uuid.Nil, false, fmt.Errorf("store: CreatorOf: no record kind %d", kind)
	}
	var rows []struct{ Creator uuid.UUID }
	err := s.conn(ctx).Table(c.table).Select(c.creator+" AS creator").Where("id = ?", id).Scan(&rows).Error
	if err != nil || len(rows) == 0 {
		return uuid.Nil, false, translate(err, "")
	}
	return rows[0].Creator, true, nil
}
