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

	"github.com/ketacare/api/internal/models"
	"github.com/ketacare/api/internal/seal"
	"github.com/ketacare/api/internal/store"
)

// recorder is a GORM logger that keeps the SQL the store runs, with its
// arguments in place, so the bench can EXPLAIN exactly those statements.
type recorder struct {
	logger.Interface
	mu  sync.Mutex
	sql []string
}

func (r *recorder) Trace(_ context.Context, _ time.Time, fc func() (string, int64), _ error) {
	s, _ := fc()
	r.mu.Lock()
	r.sql = append(r.sql, s)
	r.mu.Unlock()
}

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.sql
	r.sql = nil
	return s
}

// plan is the EXPLAIN ANALYZE of one statement behind an endpoint.
type plan struct {
	Endpoint, SQL, Plan string
	// SeqScan is true when the plan reads a whole table.
	SeqScan bool
}

// explain runs the store calls behind the journal list, get-by-id, sync
// and progress as the heavy patient, records their SQL, and EXPLAIN
// ANALYZEs each statement on the seeded data.
func explain(ctx context.Context, url string, c clinic) ([]plan, error) {
	rec := &recorder{Interface: logger.Discard}
	db, err := gorm.Open(postgres.Open(url), &gorm.Config{Logger: rec, SkipDefaultTransaction: true})
	if err != nil {
		return nil, err
	}
	defer closeDB(db)
	keys, err := seal.NewKeyring(benchDataKey)
	if err != nil {
		return nil, err
	}
	st := store.New(db)
	in := store.NewIntegration(st, keys)
	ms := store.NewMeasurement(st, keys)
	heavy := c.Heavy.ID
	entry := c.Heavy.Entries[0]
	calls := []struct {
		endpoint string
		call     func() error
	}{
		{"every authenticated request: the account check", func() error { _, err := st.AccountActive(ctx, heavy, "patient"); return err }},
		{"GET /v1/journal-entries/{id}", func() error { _, err := in.JournalEntryOf(ctx, heavy, entry, false); return err }},
		{"GET /v1/journal-entries?limit=50", func() error {
			_, _, err := in.ListJournalEntries(ctx, store.JournalFilter{PatientID: heavy}, store.Page{Limit: 50})
			return err
		}},
		{"GET /v1/sync", func() error { _, err := in.SyncPage(ctx, heavy, 0, 50); return err }},
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
			_, err := ms.ProgressFigures(ctx, heavy, progressWindow(time.Now()))
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
			var lines []string
			if err := db.Session(&gorm.Session{Logger: logger.Discard}).Raw("EXPLAIN (ANALYZE, COSTS OFF) " + q).Scan(&lines).Error; err != nil {
				return nil, fmt.Errorf("explain %s: %w", q, err)
			}
			text := strings.Join(lines, "\n")
			plans = append(plans, plan{Endpoint: cl.endpoint, SQL: q, Plan: text, SeqScan: strings.Contains(text, "Seq Scan")})
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
