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

// run warms up, then measures, base with reqs at threads x conns.
func (l *loader) run(ctx context.Context, base string, reqs []request, threads, conns int) (result, error) {
	if err := check(base, reqs[0]); err != nil {
		return result{}, err
	}
	path, err := l.file(reqs)
	if err != nil {
		return result{}, err
	}
	if l.warm > 0 {
		if _, err := l.wrk(ctx, base, path, threads, conns, l.warm); err != nil {
			return result{}, err
		}
	}
	return l.wrk(ctx, base, path, threads, conns, l.duration)
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
