package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/ketacare/api/internal/clock"
	"github.com/ketacare/api/internal/models"
	"github.com/ketacare/api/internal/seal"
	"github.com/ketacare/api/internal/store"
)

// recorder keeps the statements the store runs, with their parameters, so
// that the bench can EXPLAIN exactly those statements.
type recorder struct {
	mu    sync.Mutex
	stmts []statement
}

type statement struct {
	SQL  string // with $1, $2... as the API sends it
	Vars []any
}

// hook records each query and row statement of db after it ran.
func (r *recorder) hook(db *gorm.DB) error {
	record := func(tx *gorm.DB) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.stmts = append(r.stmts, statement{SQL: tx.Statement.SQL.String(), Vars: append([]any(nil), tx.Statement.Vars...)})
	}
	if err := db.Callback().Query().After("gorm:query").Register("bench:record", record); err != nil {
		return err
	}
	return db.Callback().Row().After("gorm:row").Register("bench:record", record)
}

func (r *recorder) take() []statement {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.stmts
	r.stmts = nil
	return s
}

// plan is the EXPLAIN ANALYZE of one statement behind an endpoint.
type plan struct {
	Endpoint, SQL, Plan string
	// SeqScan is true when the plan reads a whole table.
	SeqScan bool
	Time    string // PostgreSQL's execution time
}

// explain runs the store calls behind the journal list, get-by-id, sync
// and progress as the heavy patient, records their SQL, and EXPLAIN
// ANALYZEs each statement on the seeded data with its generic plan.
func explain(ctx context.Context, url string, c clinic) ([]plan, error) {
	rec := &recorder{}
	db, err := gorm.Open(postgres.Open(url), &gorm.Config{Logger: logger.Discard, SkipDefaultTransaction: true})
	if err != nil {
		return nil, err
	}
	defer closeDB(db)
	if err := rec.hook(db); err != nil {
		return nil, err
	}
	keys, err := seal.NewKeyring(benchDataKey)
	if err != nil {
		return nil, err
	}
	st := store.New(db, keys, clock.System)
	heavy := c.Heavy.ID
	entry := c.Heavy.Entries[0]
	calls := []struct {
		endpoint string
		call     func() error
	}{
		{"every authenticated request: the account check", func() error { _, err := st.AccountActive(ctx, heavy, "patient", c.Heavy.Login); return err }},
		{"GET /v1/journal-entries/{id}", func() error { _, err := st.JournalEntryOf(ctx, heavy, entry, false); return err }},
		{"GET /v1/journal-entries?limit=50", func() error {
			_, _, err := st.ListJournalEntries(ctx, store.JournalFilter{PatientID: heavy}, store.Page{Limit: 50})
			return err
		}},
		{"GET /v1/sync", func() error { _, err := st.SyncPage(ctx, heavy, 0, 50); return err }},
		{"GET /v1/sync (sessions' journal entries)", func() error {
			var sessions []uuid.UUID
			if err := db.Model(&models.TreatmentSession{}).Where("patient_id = ?", heavy).Pluck("id", &sessions).Error; err != nil {
				return err
			}
			rec.take() // not the API's query
			_, err := st.JournalEntryIDsBySession(ctx, heavy, sessions, false)
			return err
		}},
		{"GET /v1/patients/{id}/progress", func() error {
			_, err := st.ProgressFigures(ctx, heavy, progressWindow(clock.System()))
			return err
		}},
	}
	var plans []plan
	for _, cl := range calls {
		rec.take()
		if err := cl.call(); err != nil {
			return nil, fmt.Errorf("%s: %w", cl.endpoint, err)
		}
		for _, q := range rec.take() {
			text, err := explainGeneric(ctx, db, q)
			if err != nil {
				return nil, fmt.Errorf("explain %s: %w", q.SQL, err)
			}
			plans = append(plans, plan{Endpoint: cl.endpoint, SQL: db.Dialector.Explain(q.SQL, q.Vars...), Plan: text,
				SeqScan: strings.Contains(text, "Seq Scan"), Time: executionTime(text)})
		}
	}
	return plans, nil
}

// progressWindow is the progress summary's window in UTC, as the handler
// works it out for a patient there.
func progressWindow(now time.Time) store.ProgressWindow {
	w := store.ProgressWindow{Now: now, MoodWeek: now.AddDate(0, 0, -7), MoodMonth: now.AddDate(0, 0, -30)}
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	for i := range w.DayStarts {
		w.DayStarts[i] = today.AddDate(0, 0, i-store.JournalDays+1)
	}
	return w
}

// explainGeneric EXPLAIN ANALYZEs q as the API meets it: the driver
// prepares each statement once, and after five runs PostgreSQL may keep one
// generic plan for every value, chosen for an average patient. A plan made
// for the literal values can hide that a generic one reads a long history.
func explainGeneric(ctx context.Context, db *gorm.DB, q statement) (string, error) {
	var lines []string
	err := db.WithContext(ctx).Connection(func(tx *gorm.DB) error {
		if err := tx.Exec("SET plan_cache_mode = force_generic_plan").Error; err != nil {
			return err
		}
		if err := tx.Exec("PREPARE bench_q AS " + q.SQL).Error; err != nil {
			return err
		}
		defer tx.Exec("DEALLOCATE bench_q")
		call := "EXPLAIN (ANALYZE, COSTS OFF) EXECUTE bench_q"
		if len(q.Vars) > 0 {
			params := make([]string, len(q.Vars))
			for i := range params {
				params[i] = fmt.Sprintf("$%d", i+1) // the dialect's placeholders, which Explain fills
			}
			call += "(" + tx.Dialector.Explain(strings.Join(params, ", "), q.Vars...) + ")"
		}
		return tx.Raw(call).Scan(&lines).Error
	})
	return strings.Join(lines, "\n"), err
}

// executionTime is the "Execution Time" line of a plan.
func executionTime(plan string) string {
	for _, line := range strings.Split(plan, "\n") {
		if t, ok := strings.CutPrefix(strings.TrimSpace(line), "Execution Time: "); ok {
			return t
		}
	}
	return ""
}
