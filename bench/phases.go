package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/ketacare/api/internal/auth"
	"github.com/ketacare/api/internal/clock"
	"github.com/ketacare/api/internal/models"
)

// loadRun is one run against the API.
type loadRun struct {
	Endpoint string
	Caller   string // who sends the load: the clinic's patients, or one patient
	Result   result
	CPU      cpuCost
	PeakRSS  int64 // kB
	// Baseline is the baseline's run just before, for the runs the report
	// compares with it.
	Baseline *loadRun
}

// rig is what the runs need: the load generator, and the meters on the
// API's and the baseline's processes.
type rig struct {
	ld              *loader
	mem             *memory
	apiCPU, baseCPU *cpuMeter
}

// baseline measures the baseline once.
func (r *rig) baseline(ctx context.Context) (*loadRun, error) {
	res, cpu, err := r.ld.run(ctx, "http://"+baseAddr, baselineRequests(), r.ld.threads, r.ld.conns, r.baseCPU)
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	logf("  baseline: %.0f req/s, p50 %s, p99 %s", res.RPS(), res.P50(), res.P99())
	return &loadRun{Endpoint: "baseline", Result: res, CPU: cpu}, nil
}

// Who sends a run's load.
const (
	callerClinic = "clinic" // the ordinary patients, at random
	callerP100   = "p100"   // one patient with the ordinary number of entries
	callerHeavy  = "p100k"  // the patient with the most entries
	callerAnyone = "anyone" // logins
)

// endpoint describes the load on one endpoint: the requests one patient
// sends to it.
type endpoint struct {
	Name string
	// Reads run before writes, so that the writes' new rows do not change
	// what the reads are measured on.
	Write bool
	// Requests are one patient's requests; token is theirs.
	Requests func(p patient, token string) []request
}

const entryBody = `{"title":"Evening","body":"The integration session today helped me see the old story about work for what it is. I walked by the river afterwards and felt my shoulders drop.","mood":7,"insights":["the river walk helps"]}`

var endpoints = []endpoint{
	{Name: "GET /v1/journal-entries/{id}", Requests: func(p patient, tok string) []request {
		reqs := make([]request, 0, len(p.Entries))
		for _, id := range p.Entries {
			reqs = append(reqs, request{Method: "GET", Path: "/v1/journal-entries/" + id.String(), Token: tok})
		}
		return reqs
	}},
	{Name: "GET /v1/journal-entries?limit=50", Requests: one("GET", "/v1/journal-entries?limit=50", "")},
	{Name: "GET /v1/sync", Requests: one("GET", "/v1/sync?limit=50", "")},
	{Name: "GET /v1/patients/{id}/progress", Requests: func(p patient, tok string) []request {
		return []request{{Method: "GET", Path: "/v1/patients/" + p.ID.String() + "/progress", Token: tok}}
	}},
	{Name: "GET /v1/me/agenda", Requests: one("GET", "/v1/me/agenda", "")},
	{Name: "POST /v1/journal-entries", Write: true, Requests: one("POST", "/v1/journal-entries", entryBody)},
	{Name: "POST /v1/assessments", Write: true, Requests: one("POST", "/v1/assessments", `{"instrument":"phq9","answers":[1,2,1,1,0,1,1,0,0]}`)},
}

func one(method, path, body string) func(patient, string) []request {
	return func(_ patient, tok string) []request {
		return []request{{Method: method, Path: path, Token: tok, Body: body}}
	}
}

// loginRequests spread logins over the ordinary patients' accounts.
func loginRequests(c clinic) []request {
	reqs := make([]request, 0, len(c.Patients))
	for _, p := range c.Patients {
		reqs = append(reqs, request{Method: "POST", Path: "/v1/auth/login",
			Body: fmt.Sprintf(`{"email":%q,"password":%q}`, p.Email, benchPassword)})
	}
	return reqs
}

// baselineRequests ask for rows by random primary key among 1,000,000.
func baselineRequests() []request {
	reqs := make([]request, 100000)
	for i := range reqs {
		reqs[i] = request{Method: "GET", Path: fmt.Sprintf("/items/%d", 1+rand.IntN(1_000_000))}
	}
	return reqs
}

// requestsOf builds an endpoint's requests for the patients, each with a
// fresh token (they last 15 minutes: longer than any run).
func requestsOf(e endpoint, ps []patient) ([]request, error) {
	signer := auth.NewSigner(clock.System, benchJWTSecret)
	var reqs []request
	for _, p := range ps {
		tok, err := signer.Issue(p.ID, models.RolePatient, p.Login)
		if err != nil {
			return nil, err
		}
		reqs = append(reqs, e.Requests(p, tok)...)
	}
	rand.Shuffle(len(reqs), func(i, j int) { reqs[i], reqs[j] = reqs[j], reqs[i] })
	return reqs, nil
}

// measureAPI runs every endpoint as the clinic, as the 100-entry patient
// and as the heavy patient (reads first), then logins alone, then the
// clinic's GET by id again while logins run.
func (r *rig) measureAPI(ctx context.Context, c clinic, rep *report) error {
	logf("measuring the baseline alone")
	var err error
	if rep.baseline, err = r.baseline(ctx); err != nil {
		return err
	}
	ld := r.ld
	base := "http://" + apiAddr
	callers := []struct {
		name string
		ps   []patient
	}{{callerClinic, c.Patients}, {callerP100, c.Patients[:1]}, {callerHeavy, []patient{c.Heavy}}}
	for _, write := range []bool{false, true} {
		for _, e := range endpoints {
			if e.Write != write {
				continue
			}
			for _, caller := range callers {
				reqs, err := requestsOf(e, caller.ps)
				if err != nil {
					return err
				}
				if err := r.measure(ctx, rep, base, e.Name, caller.name, reqs, caller.name == callerClinic); err != nil {
					return err
				}
			}
		}
	}
	logins := loginRequests(c)
	if err := r.measure(ctx, rep, base, "POST /v1/auth/login", callerAnyone, logins, true); err != nil {
		return err
	}

	// The clinic's GET by id again, while logins keep the password hasher
	// busy: they start first and end last, so they cover the whole run.
	reqs, err := requestsOf(endpoints[0], c.Patients)
	if err != nil {
		return err
	}
	logf("measuring %s while %d logins run", endpoints[0].Name, rep.opts.loginConns)
	loginCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	type loginRun struct {
		r   result
		err error
	}
	lc := make(chan loginRun, 1)
	lpath, err := ld.file(logins)
	if err != nil {
		return err
	}
	go func() {
		r, err := ld.wrk(loginCtx, base, lpath, 1, rep.opts.loginConns, ld.warm+ld.duration+2*time.Second)
		lc <- loginRun{r, err}
	}()
	time.Sleep(time.Second)
	var during result
	var cpu cpuCost
	peak, err := r.mem.during(func() error {
		var err error
		during, cpu, err = ld.run(ctx, base, reqs, ld.threads, ld.conns, r.apiCPU)
		return err
	})
	if err != nil {
		return err
	}
	lr := <-lc
	if lr.err != nil {
		return fmt.Errorf("logins alongside: %w", lr.err)
	}
	rep.alongside = loadRun{Endpoint: endpoints[0].Name, Caller: callerClinic, Result: during, CPU: cpu, PeakRSS: peak}
	rep.alongsideLogins = lr.r
	logf("  %.0f req/s, p99 %s; logins %.1f/s", during.RPS(), during.P99(), lr.r.RPS())
	return nil
}

// measure runs one endpoint; withBaseline measures the baseline just
// before, for the report to compare with.
func (r *rig) measure(ctx context.Context, rep *report, base, name, caller string, reqs []request, withBaseline bool) error {
	run := loadRun{Endpoint: name, Caller: caller}
	if withBaseline {
		logf("measuring the baseline, then %s as %s", name, caller)
		b, err := r.baseline(ctx)
		if err != nil {
			return err
		}
		run.Baseline = b
	} else {
		logf("measuring %s as %s", name, caller)
	}
	var err error
	run.PeakRSS, err = r.mem.during(func() error {
		var err error
		run.Result, run.CPU, err = r.ld.run(ctx, base, reqs, r.ld.threads, r.ld.conns, r.apiCPU)
		return err
	})
	if err != nil {
		return fmt.Errorf("%s as %s: %w", name, caller, err)
	}
	res := run.Result
	logf("  %.0f req/s, p50 %s, p99 %s, CPU %.0f+%.0f µs/request, peak RSS %d MB", res.RPS(), res.P50(), res.P99(), run.CPU.AppUS, run.CPU.DBUS, run.PeakRSS/1024)
	rep.runs = append(rep.runs, run)
	return nil
}

func openGorm(url string) (*gorm.DB, error) {
	return gorm.Open(postgres.Open(url), &gorm.Config{Logger: logger.Discard})
}

func openClinic(ctx context.Context, url string) (clinic, error) {
	db, err := openGorm(url)
	if err != nil {
		return clinic{}, err
	}
	defer closeDB(db)
	return loadClinic(ctx, db, 20000)
}

// countRows is how many rows of each kind the benchmark ran on.
func countRows(ctx context.Context, url string) (map[string]int64, error) {
	db, err := openGorm(url)
	if err != nil {
		return nil, err
	}
	defer closeDB(db)
	counts := map[string]int64{}
	for _, t := range []string{"users", "treatment_plans", "treatment_sessions", "journal_entries", "goals", "assessments", "mood_check_ins", "sync_changes"} {
		var n int64
		if err := db.WithContext(ctx).Table(t).Count(&n).Error; err != nil {
			return nil, err
		}
		counts[t] = n
	}
	return counts, nil
}
