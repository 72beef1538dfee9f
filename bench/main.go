// Command bench is the load benchmark of docs/performance.md. From the
// repository's root, with PostgreSQL up:
//
//	go run ./bench
//
// It builds the API (cmd/api) and the baseline (bench/baseline), makes
// fresh PostgreSQL databases for each, seeds a clinic through the store,
// runs wrk against the API's endpoints and against the baseline in the same
// run, and prints a markdown report: req/s, p50 and p99 of each endpoint and
// their ratio to the baseline, cost against data size, resident memory, the
// effect of concurrent logins, and the query plans behind the journal and
// sync endpoints. Progress goes to stderr, the report to stdout.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver for creating the databases

	"github.com/ketacare/api/internal/config"
)

type options struct {
	dbURL                    string
	duration, warm           time.Duration
	threads, conns           int
	loginConns               int
	pool                     int
	patients, entries, heavy int
	keep, reuse              bool
	out                      string
}

func main() {
	var o options
	flag.StringVar(&o.dbURL, "db", envOr("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"),
		"PostgreSQL server to use (any database on it; the bench creates its own), or BENCH_DATABASE_URL")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "measured length of each run")
	flag.DurationVar(&o.warm, "warmup", 2*time.Second, "unmeasured warm-up before each run")
	flag.IntVar(&o.threads, "threads", 2, "wrk threads")
	flag.IntVar(&o.conns, "conns", 32, "wrk connections")
	flag.IntVar(&o.loginConns, "login-conns", 50, "concurrent logins while another endpoint is measured")
	flag.IntVar(&o.pool, "pool", 32, "database pool size of the API (DB_MAX_CONNS) and of the baseline")
	flag.IntVar(&o.patients, "patients", 1000, "ordinary patients to seed")
	flag.IntVar(&o.entries, "entries", 100, "journal entries of each ordinary patient")
	flag.IntVar(&o.heavy, "heavy", 100000, "journal entries of the one heavy patient")
	flag.BoolVar(&o.keep, "keep", false, "keep the bench databases afterwards")
	flag.BoolVar(&o.reuse, "reuse", false, "reuse databases kept by -keep instead of seeding again (for working on the bench; POST runs make the data grow)")
	flag.StringVar(&o.out, "out", "", "also write the report to this file")
	flag.Parse()
	if err := run(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, time.Now().Format("15:04:05 ")+format+"\n", args...)
}

const (
	apiDB      = "ketacare_bench_api"
	baselineDB = "ketacare_bench_baseline"
	apiAddr    = "127.0.0.1:18080"
	baseAddr   = "127.0.0.1:18081"
)

func run(ctx context.Context, o options) error {
	if err := ensureWrk(); err != nil {
		return err
	}
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "ketacare-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	logf("building the API and the baseline")
	for _, b := range [][2]string{{"api", "./cmd/api"}, {"baseline", "./bench/baseline"}} {
		cmd := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(dir, b[0]), b[1])
		cmd.Dir, cmd.Stdout, cmd.Stderr = root, os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("build %s: %w", b[1], err)
		}
	}

	apiURL, err := dbURL(o.dbURL, apiDB)
	if err != nil {
		return err
	}
	baseURL, _ := dbURL(o.dbURL, baselineDB)
	fresh := !o.reuse
	for _, name := range []string{apiDB, baselineDB} {
		created, err := createDB(ctx, o.dbURL, name, fresh)
		if err != nil {
			return err
		}
		fresh = fresh || created
		if !o.keep {
			defer func() {
				if err := dropDB(context.Background(), o.dbURL, name); err != nil {
					logf("drop %s: %v", name, err)
				}
			}()
		}
	}

	rep := &report{opts: o}
	if rep.machine, err = describeMachine(ctx, apiURL); err != nil {
		return err
	}
	ld, err := newLoader(dir, o.threads, o.conns, o.duration, o.warm)
	if err != nil {
		return err
	}

	// The baseline first, alone on the machine.
	baseEnv := []string{"DATABASE_URL=" + baseURL, "DB_MAX_CONNS=" + strconv.Itoa(o.pool), "HTTP_ADDR=" + baseAddr}
	if fresh {
		logf("filling the baseline's table with 1,000,000 rows")
		cmd := exec.CommandContext(ctx, filepath.Join(dir, "baseline"), "-seed")
		cmd.Env, cmd.Stdout, cmd.Stderr = append(os.Environ(), baseEnv...), os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("seed the baseline: %w", err)
		}
	}
	base, err := start(ctx, filepath.Join(dir, "baseline"), baseEnv, filepath.Join(dir, "baseline.log"), "http://"+baseAddr+"/items/1")
	if err != nil {
		return err
	}
	// The baseline keeps running: it is measured again before each run the
	// report compares with it, so that both meet the same neighbours.
	defer base.stop()

	apiEnv := []string{
		"APP_ENV=production", "HTTP_ADDR=" + apiAddr, "DATABASE_URL=" + apiURL,
		"JWT_SECRET=" + benchJWTSecret, "DATA_ENCRYPTION_KEY=" + benchDataKey,
		"DB_MAX_CONNS=" + strconv.Itoa(o.pool),
		// The per-caller limit would refuse most of the load: raise it to
		// its largest accepted value, far above what one caller sends here.
		"RATE_LIMIT_PER_MINUTE=1000000",
		"LOG_LEVEL=info",
	}
	cfg, err := config.Load(append(os.Environ(), apiEnv...))
	if err != nil {
		return err
	}
	if fresh {
		logf("seeding %d patients with %d journal entries each and one with %d", o.patients, o.entries, o.heavy)
		if err := seed(ctx, cfg, seedOptions{Patients: o.patients, Entries: o.entries, Heavy: o.heavy, Workers: 16}, logf); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
	}
	cl, err := openClinic(ctx, apiURL)
	if err != nil {
		return err
	}
	rep.clinic = cl
	rep.counts, err = countRows(ctx, apiURL)
	if err != nil {
		return err
	}

	api, err := start(ctx, filepath.Join(dir, "api"), apiEnv, filepath.Join(dir, "api.log"), "http://"+apiAddr+"/readyz")
	if err != nil {
		return err
	}
	defer api.stop()
	r := &rig{ld: ld, mem: &memory{pid: api.cmd.Process.Pid},
		apiCPU:  &cpuMeter{pid: api.cmd.Process.Pid, db: apiDB},
		baseCPU: &cpuMeter{pid: base.cmd.Process.Pid, db: baselineDB}}
	if err := r.measureAPI(ctx, cl, rep); err != nil {
		return err
	}
	rep.hwm, _ = procStatus(api.cmd.Process.Pid, "VmHWM")

	logf("explaining the queries of the journal, sync and progress")
	if rep.plans, err = explain(ctx, apiURL, cl); err != nil {
		return err
	}
	text := rep.markdown()
	fmt.Print(text)
	if o.out != "" {
		return os.WriteFile(o.out, []byte(text), 0o644)
	}
	return nil
}

// ensureWrk installs Debian's wrk when it is missing and the bench may.
func ensureWrk() error {
	if _, err := exec.LookPath("wrk"); err == nil {
		return nil
	}
	if os.Geteuid() != 0 {
		return errors.New("wrk is not installed: apt-get install wrk (Debian's package), then run again")
	}
	logf("installing wrk with apt-get")
	cmd := exec.Command("apt-get", "install", "-y", "--no-install-recommends", "wrk")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("apt-get install wrk: %w", err)
	}
	return nil
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", err
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("run the bench from inside the repository")
	}
	return filepath.Dir(mod), nil
}

// dbURL is server with its database replaced by name.
func dbURL(server, name string) (string, error) {
	u, err := url.Parse(server)
	if err != nil {
		return "", fmt.Errorf("-db: %w", err)
	}
	u.Path = "/" + name
	return u.String(), nil
}

// createDB makes the database; with fresh it drops it first. It reports
// whether the database is new.
func createDB(ctx context.Context, server, name string, fresh bool) (bool, error) {
	db, err := sql.Open("pgx", server)
	if err != nil {
		return false, err
	}
	defer db.Close()
	if fresh {
		if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			return false, err
		}
	} else {
		var n int
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
			return false, err
		}
		if n > 0 {
			return false, nil
		}
	}
	_, err = db.ExecContext(ctx, "CREATE DATABASE "+name)
	return true, err
}

func dropDB(ctx context.Context, server, name string) error {
	db, err := sql.Open("pgx", server)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	return err
}

// server is a process the bench started.
type server struct {
	cmd  *exec.Cmd
	done chan error
}

// start runs bin with env added, its output to logPath, and waits until
// ready answers 200.
func start(ctx context.Context, bin string, env []string, logPath, ready string) (*server, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin)
	cmd.Env, cmd.Stdout, cmd.Stderr = append(os.Environ(), env...), logFile, logFile
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait(); logFile.Close() }()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-s.done:
			s.done <- err
			b, _ := os.ReadFile(logPath)
			return nil, fmt.Errorf("%s stopped: %v\n%s", filepath.Base(bin), err, b)
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		if res, err := http.Get(ready); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return s, nil
			}
		}
	}
	s.stop()
	return nil, fmt.Errorf("%s did not become ready in 60 s", filepath.Base(bin))
}

// stop asks the process to shut down gracefully and waits for it.
func (s *server) stop() {
	if s.cmd.ProcessState != nil {
		return
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}
