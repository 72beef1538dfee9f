package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/ketacare/api/internal/app"
	"github.com/ketacare/api/internal/auth"
	"github.com/ketacare/api/internal/clock"
	"github.com/ketacare/api/internal/config"
	"github.com/ketacare/api/internal/measurement"
	"github.com/ketacare/api/internal/models"
	"github.com/ketacare/api/internal/scheduling"
	"github.com/ketacare/api/internal/seal"
	"github.com/ketacare/api/internal/store"
)

// The bench's secrets are fixed, so that a database kept with -keep can be
// benchmarked again with -reuse. They protect nothing but made-up data.
const (
	benchJWTSecret = "bench-only-jwt-secret-never-use-it-elsewhere-0123456789"
	benchDataKey   = "YmVuY2gtb25seSBkYXRhIGtleSwgbmV2ZXIgcmVhbCE=" // 32 bytes of base64
	// Password of every seeded account; hashed once, the hash reused.
	benchPassword = "bench-password-tide-lantern"
)

// clinic is what the benchmark needs to know of the seeded data.
type clinic struct {
	// Patients are the ordinary patients, each with about -entries journal
	// entries; Patients[0] is the one the 100-entry runs act as.
	Patients []patient
	// Heavy is the patient with -heavy journal entries.
	Heavy patient
}

type patient struct {
	ID    uuid.UUID
	Email string
	// Login is the refresh-token family the bench's access tokens name as
	// their sid, as the app's would.
	Login   uuid.UUID
	Entries []uuid.UUID // a sample of the patient's journal entry ids
}

// seedOptions size the clinic.
type seedOptions struct {
	Patients, Entries, Heavy, Workers int
}

func patientEmail(i int) string { return fmt.Sprintf("patient%05d@bench.example", i) }

const heavyEmail = "heavy@bench.example"

// seed fills the API's database through the store, as the API would write
// it: every journal entry, goal and check-in sealed by internal/seal.
func seed(ctx context.Context, cfg config.Config, o seedOptions, logf func(string, ...any)) error {
	// The seed's own commits need not wait for the disk: a crash would only
	// lose the seed, and it saves most of the time of 200,000 small inserts.
	u, err := url.Parse(cfg.DatabaseURL)
	if err != nil {
		return err
	}
	q := u.Query()
	q.Set("synchronous_commit", "off")
	u.RawQuery = q.Encode()
	cfg.DatabaseURL = u.String()
	db, err := app.Open(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer closeDB(db)
	keys, err := seal.NewKeyring(benchDataKey)
	if err != nil {
		return err
	}
	st := store.New(db, keys, clock.System)
	hash, err := auth.NewHasher(1).Hash(ctx, benchPassword)
	if err != nil {
		return err
	}

	clinicians := make([]uuid.UUID, 10)
	for i := range clinicians {
		profession := "psychiatrist"
		u := models.User{Email: fmt.Sprintf("clinician%02d@bench.example", i), DisplayName: fmt.Sprintf("Dr. Bench %d", i),
			Role: models.RoleClinician, Profession: &profession, PasswordHash: hash, CreatedAt: clock.System(), UpdatedAt: clock.System()}
		if err := st.CreateUser(ctx, &u); err != nil {
			return err
		}
		clinicians[i] = u.ID
	}

	start := time.Now()
	var made atomic.Int64
	total := int64(o.Patients*o.Entries + o.Heavy)
	progress := func() {
		if n := made.Add(1); n%20000 == 0 {
			logf("  %d of %d journal entries (%.0f/s)", n, total, float64(n)/time.Since(start).Seconds())
		}
	}
	// One job per ordinary patient, and the heavy patient's entries in
	// chunks, spread over the workers.
	type job struct {
		index   int // patient index; -1 for a chunk of the heavy patient's entries
		entries int
	}
	jobs := make(chan job)
	heavy, err := seedPatient(ctx, st, hash, heavyEmail, clinicians[0], 0, progress)
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	var firstErr error
	var mu sync.Mutex
	for range o.Workers {
		wg.Go(func() {
			for j := range jobs {
				var err error
				if j.index < 0 {
					err = seedEntries(ctx, st, heavy, j.entries, progress)
				} else {
					_, err = seedPatient(ctx, st, hash, patientEmail(j.index), clinicians[j.index%len(clinicians)], j.entries, progress)
				}
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
		})
	}
	const chunk = 1000
	for i, left := 0, o.Heavy; i < o.Patients || left > 0; i++ {
		if i < o.Patients {
			jobs <- job{index: i, entries: o.Entries}
		}
		if left > 0 {
			n := min(chunk, left)
			jobs <- job{index: -1, entries: n}
			left -= n
		}
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	logf("  seeded %d journal entries in %s", made.Load(), time.Since(start).Round(time.Second))
	return backdate(ctx, db)
}

// seedPatient makes one patient as a clinic would have them: on a care
// team, evaluated, with a six-session plan, journal entries, goals with
// check-ins, PHQ-9 and GAD-7 assessments and mood check-ins.
func seedPatient(ctx context.Context, st *store.Store,
	hash, email string, clinician uuid.UUID, entries int, progress func()) (uuid.UUID, error) {
	now := clock.System()
	u := models.User{Email: email, DisplayName: "Bench " + strings.Split(email, "@")[0], Role: models.RolePatient,
		Timezone: "America/New_York", PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	if err := st.CreateUser(ctx, &u); err != nil {
		return uuid.Nil, err
	}
	if _, err := st.AssignClinician(ctx, u.ID, clinician, clinician); err != nil {
		return uuid.Nil, err
	}
	systolic, diastolic := 124, 80
	if err := st.CreateEvaluation(ctx, &models.CandidacyEvaluation{PatientID: u.ID, EvaluatedBy: clinician,
		EvaluatedAt: now.Add(-48 * time.Hour), Outcome: models.OutcomeEligible,
		BaselineSystolic: &systolic, BaselineDiastolic: &diastolic}); err != nil {
		return uuid.Nil, err
	}
	if _, err := st.CreatePlan(ctx, u.ID, clinician, store.NewPlan{Route: models.RouteIntranasal,
		Plan: scheduling.Plan{StartDate: now.AddDate(0, 0, 1), SessionsPerWeek: 2, SessionCount: 6, TimeOfDay: "10:00"}}); err != nil {
		return uuid.Nil, err
	}
	for i := range 3 {
		why := "To feel more present with the people around me."
		if _, err := st.CreateGoal(ctx, store.Goal{PatientID: u.ID, Title: fmt.Sprintf("Walk outside %d times a week", i+2),
			Why: &why, Category: "self_care", Status: models.GoalActive}); err != nil {
			return uuid.Nil, err
		}
	}
	for i, answers := range [][]int{{2, 2, 1, 2, 1, 1, 2, 1, 0}, {1, 1, 1, 1, 1, 0, 1, 1, 0}} {
		for _, key := range []string{measurement.PHQ9, measurement.GAD7} {
			inst, _ := measurement.Lookup(key)
			a := answers[:len(inst.Items)]
			score, err := inst.Score(a)
			if err != nil {
				return uuid.Nil, err
			}
			if err := st.CreateAssessment(ctx, &models.Assessment{PatientID: u.ID, Instrument: key,
				Answers: measurement.EncodeAnswers(a), Total: score.Total, Severity: score.Severity,
				TakenAt: now.AddDate(0, 0, -14*(2-i))}, nil); err != nil {
				return uuid.Nil, err
			}
		}
	}
	for i := range 5 {
		anxiety := 4
		if _, err := st.CreateMoodCheckIn(ctx, store.MoodCheckIn{PatientID: u.ID, Mood: 5 + i%3, Anxiety: &anxiety,
			TakenAt: now.AddDate(0, 0, -i)}); err != nil {
			return uuid.Nil, err
		}
	}
	return u.ID, seedEntries(ctx, st, u.ID, entries, progress)
}

// journalBody is a plausible entry: a few hundred characters.
const journalBody = "Today's session left me calmer than I expected. I noticed the old worry about work " +
	"came up, but it felt further away, like watching weather from a window. I want to remember the image of " +
	"the lake and the feeling of my feet on the ground. Tomorrow I will call my sister and take the long way home."

func seedEntries(ctx context.Context, st *store.Store, patientID uuid.UUID, n int, progress func()) error {
	title := "After the session"
	for i := range n {
		mood := 3 + i%7
		if _, err := st.CreateJournalEntry(ctx, store.JournalEntry{PatientID: patientID, Title: &title, Body: journalBody,
			Mood: &mood, Insights: []string{"feet on the ground"}, SharedWithCareTeam: i%4 == 0}); err != nil {
			return err
		}
		progress()
	}
	return nil
}

// backdate spreads the journal entries over the past two years, as a real
// journal would be, so that lists and the progress summary meet their real
// distribution rather than one burst. The sync triggers are off meanwhile:
// this is history, not a change for the apps. VACUUM FULL then packs the
// table as a long-lived one would be, without the rows the update left.
func backdate(ctx context.Context, db *gorm.DB) error {
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, q := range []string{
			`ALTER TABLE journal_entries DISABLE TRIGGER USER`,
			`UPDATE journal_entries j SET created_at = b.at, updated_at = b.at
			 FROM (SELECT id, created_at - random() * interval '730 days' AS at FROM journal_entries) b WHERE b.id = j.id`,
			`ALTER TABLE journal_entries ENABLE TRIGGER USER`,
		} {
			if err := tx.Exec(q).Error; err != nil {
				return fmt.Errorf("%s: %w", q, err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, q := range []string{`VACUUM FULL journal_entries`, `VACUUM ANALYZE`} {
		if err := db.WithContext(ctx).Exec(q).Error; err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}

// loadClinic reads back who was seeded, and a sample of each patient's
// entries, from the database, and signs each patient in (a login for the
// sid of their access tokens).
func loadClinic(ctx context.Context, db *gorm.DB, sample int) (clinic, error) {
	var c clinic
	var users []models.User
	if err := db.WithContext(ctx).Select("id, email").Where("role = ? AND email LIKE ?", models.RolePatient, "%@bench.example").
		Order("email").Find(&users).Error; err != nil {
		return c, err
	}
	byID := map[uuid.UUID]*patient{}
	for _, u := range users {
		p := patient{ID: u.ID, Email: u.Email}
		if u.Email == heavyEmail {
			c.Heavy = p
			byID[u.ID] = &c.Heavy
		} else {
			c.Patients = append(c.Patients, p)
		}
	}
	for i := range c.Patients {
		byID[c.Patients[i].ID] = &c.Patients[i]
	}
	if c.Heavy.ID == uuid.Nil || len(c.Patients) == 0 {
		return c, fmt.Errorf("the database holds no seeded clinic")
	}
	var rows []struct{ ID, PatientID uuid.UUID }
	if err := db.WithContext(ctx).Raw(`SELECT id, patient_id FROM journal_entries TABLESAMPLE BERNOULLI (50) LIMIT ?`, sample).
		Scan(&rows).Error; err != nil {
		return c, err
	}
	for _, r := range rows {
		if p := byID[r.PatientID]; p != nil {
			p.Entries = append(p.Entries, r.ID)
		}
	}
	// Patients[0] needs its own ids however the sample fell.
	var own []uuid.UUID
	if err := db.WithContext(ctx).Model(&models.JournalEntry{}).Where("patient_id = ?", c.Patients[0].ID).
		Limit(1000).Pluck("id", &own).Error; err != nil {
		return c, err
	}
	c.Patients[0].Entries = own
	keys, err := seal.NewKeyring(benchDataKey)
	if err != nil {
		return c, err
	}
	st := store.New(db, keys, clock.System)
	for _, p := range byID {
		_, hash := auth.NewRefreshToken()
		rt := models.RefreshToken{UserID: p.ID, TokenHash: hash, ExpiresAt: clock.System().Add(auth.RefreshTokenTTL)}
		if err := st.CreateRefreshToken(ctx, &rt); err != nil {
			return c, err
		}
		p.Login = rt.FamilyID
	}
	return c, nil
}

func closeDB(db *gorm.DB) {
	if sqlDB, err := db.DB(); err == nil {
		_ = sqlDB.Close()
	}
}
