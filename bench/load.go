package main

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

//go:embed requests.lua
var requestsLua []byte

// request is one line of a request file.
type request struct {
	Method, Path, Token, Body string
}

// result is what wrk measured in one run.
type result struct {
	Requests     int64 `json:"requests"`
	DurationUS   int64 `json:"duration_us"`
	Non2xx       int64 `json:"non2xx"`
	SocketErrors int64 `json:"socket_errors"`
	P50US        int64 `json:"p50_us"`
	P90US        int64 `json:"p90_us"`
	P99US        int64 `json:"p99_us"`
	MaxUS        int64 `json:"max_us"`
}

func (r result) RPS() float64 {
	if r.DurationUS == 0 {
		return 0
	}
	return float64(r.Requests) / (float64(r.DurationUS) / 1e6)
}

func (r result) P50() time.Duration { return time.Duration(r.P50US) * time.Microsecond }
func (r result) P99() time.Duration { return time.Duration(r.P99US) * time.Microsecond }

// loader runs wrk.
type loader struct {
	dir             string // where scripts and request files go
	threads, conns  int
	duration, warm  time.Duration
	script          string
	requestsWritten int
}

func newLoader(dir string, threads, conns int, duration, warm time.Duration) (*loader, error) {
	script := filepath.Join(dir, "requests.lua")
	if err := os.WriteFile(script, requestsLua, 0o644); err != nil {
		return nil, err
	}
	return &loader{dir: dir, threads: threads, conns: conns, duration: duration, warm: warm, script: script}, nil
}

// file writes reqs as a request file for the script.
func (l *loader) file(reqs []request) (string, error) {
	l.requestsWritten++
	path := filepath.Join(l.dir, fmt.Sprintf("requests-%02d.tsv", l.requestsWritten))
	var b bytes.Buffer
	for _, r := range reqs {
		tok, body := r.Token, r.Body
		if tok == "" {
			tok = "-"
		}
		if body == "" {
			body = "-"
		}
		fmt.Fprintf(&b, "%s\t%s\t%s\t%s\n", r.Method, r.Path, tok, body)
	}
	return path, os.WriteFile(path, b.Bytes(), 0o644)
}

// check sends the first request of reqs once and wants a 2xx, so that a
// run never measures how fast the API refuses.
func check(base string, r request) error {
	var body io.Reader
	if r.Body != "" {
		body = strings.NewReader(r.Body)
	}
	req, err := http.NewRequest(r.Method, base+r.Path, body)
	if err != nil {
		return err
	}
	if r.Token != "" {
		req.Header.Set("Authorization", "Bearer "+r.Token)
	}
	if r.Body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode/100 != 2 {
		b, _ := io.ReadAll(io.LimitReader(res.Body, 500))
		return fmt.Errorf("%s %s answered %s: %s", r.Method, r.Path, res.Status, b)
	}
	return nil
}

// run warms up, then measures, base with reqs at threads x conns, and the
// CPU cpu's process and database spent per request meanwhile.
func (l *loader) run(ctx context.Context, base string, reqs []request, threads, conns int, cpu *cpuMeter) (result, cpuCost, error) {
	if err := check(base, reqs[0]); err != nil {
		return result{}, cpuCost{}, err
	}
	path, err := l.file(reqs)
	if err != nil {
		return result{}, cpuCost{}, err
	}
	if l.warm > 0 {
		if _, err := l.wrk(ctx, base, path, threads, conns, l.warm); err != nil {
			return result{}, cpuCost{}, err
		}
	}
	before := cpu.snapshot()
	r, err := l.wrk(ctx, base, path, threads, conns, l.duration)
	return r, cpu.since(before, r.Requests), err
}

func (l *loader) wrk(ctx context.Context, base, path string, threads, conns int, d time.Duration) (result, error) {
	secs := strconv.Itoa(max(1, int(d.Round(time.Second)/time.Second)))
	cmd := exec.CommandContext(ctx, "wrk", "-t"+strconv.Itoa(threads), "-c"+strconv.Itoa(conns), "-d"+secs+"s",
		"--timeout", "10s", "-s", l.script, base, "--", path)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return result{}, fmt.Errorf("wrk: %v: %s", err, errb.String())
	}
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		if js, ok := strings.CutPrefix(sc.Text(), "BENCH "); ok {
			var r result
			if err := json.Unmarshal([]byte(js), &r); err != nil {
				return result{}, err
			}
			return r, nil
		}
	}
	return result{}, fmt.Errorf("wrk printed no result: %s", out.String())
}

// memory samples a process's resident set while a run goes on.
type memory struct {
	pid  int
	mu   sync.Mutex
	peak int64 // kB
}

// sample reads VmRSS every 50 ms until ctx ends, keeping the largest.
func (m *memory) sample(ctx context.Context) {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		if kb, err := procStatus(m.pid, "VmRSS"); err == nil {
			m.mu.Lock()
			m.peak = max(m.peak, kb)
			m.mu.Unlock()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// during runs fn while sampling, and returns the peak VmRSS seen in kB.
func (m *memory) during(fn func() error) (int64, error) {
	m.mu.Lock()
	m.peak = 0
	m.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { m.sample(ctx); close(done) }()
	err := fn()
	cancel()
	<-done
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.peak, err
}

// procStatus reads one kB field of /proc/<pid>/status, such as VmRSS or
// VmHWM (the peak resident set since the process started).
func procStatus(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

// cpuMeter measures the CPU time a server process and the PostgreSQL
// backends serving its database spend, which a busy machine disturbs far
// less than req/s: on a shared machine the req/s of two runs may differ
// with the neighbours' load, their CPU per request hardly does.
type cpuMeter struct {
	pid int
	db  string
}

// cpuCost is the CPU per request of one run, in microseconds.
type cpuCost struct {
	AppUS, DBUS float64
}

func (c cpuCost) Total() float64 { return c.AppUS + c.DBUS }

// snapshot is the CPU time so far of the process (key 0) and of each
// backend of the database, in clock ticks.
func (m *cpuMeter) snapshot() map[int]int64 {
	s := map[int]int64{0: procTicks(m.pid)}
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		cmd, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		// A backend names itself "postgres: <cluster>: <user> <database> <client> <state>".
		if err == nil && strings.HasPrefix(string(cmd), "postgres: ") && strings.Contains(string(cmd), " "+m.db+" ") {
			s[pid] = procTicks(pid)
		}
	}
	return s
}

// since is the CPU per request between the snapshot before and now.
func (m *cpuMeter) since(before map[int]int64, requests int64) cpuCost {
	if requests == 0 {
		return cpuCost{}
	}
	after := m.snapshot()
	var app, db int64
	for pid, t := range after {
		if pid == 0 {
			app = t - before[0]
		} else {
			db += t - before[pid] // a backend opened meanwhile started at 0
		}
	}
	// Linux reports CPU time in USER_HZ ticks, 100 a second.
	const usPerTick = 1e6 / 100
	return cpuCost{AppUS: float64(app) * usPerTick / float64(requests), DBUS: float64(db) * usPerTick / float64(requests)}
}

// procTicks is the user and system CPU time of a process, in clock ticks.
func procTicks(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses and may hold
	// spaces: state is field 3, utime 14, stime 15.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return u + st
}
