package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ketacare/api/internal/apitest"
)

// TestBinary builds the real binary, starts it as the README says, walks the
// README's curl flow over HTTP, then stops it with SIGTERM and expects a
// clean exit.
func TestBinary(t *testing.T) {
	srv := startBinary(t)
	base, logs := srv.base, srv.logs

	tokens := call(t, "POST", base+"/v1/auth/register", "", `{"email":"alex@example.com","password":"tide-pool-lantern","display_name":"Alex"}`, 201)
	login := call(t, "POST", base+"/v1/auth/login", "", `{"email":"alex@example.com","password":"tide-pool-lantern"}`, 200)
	call(t, "GET", base+"/v1/me", login["access_token"].(string), "", 200)
	refreshed := call(t, "POST", base+"/v1/auth/refresh", "", fmt.Sprintf(`{"refresh_token":%q}`, tokens["refresh_token"]), 200)
	call(t, "GET", base+"/v1/me", refreshed["access_token"].(string), "", 200)
	admin := call(t, "POST", base+"/v1/auth/login", "", `{"email":"admin@clinic.example","password":"change-this-passphrase-now"}`, 200)
	call(t, "POST", base+"/v1/clinicians", admin["access_token"].(string),
		`{"email":"dr.rivera@clinic.example","display_name":"Dr. Sam Rivera","profession":"psychiatrist","password":"a-long-initial-passphrase"}`, 201)

	srv.stop(t)
	out := logs.String()
	for _, want := range []string{`"msg":"stopped"`, `"route":"/v1/auth/login"`} {
		if !strings.Contains(out, want) {
			t.Errorf("logs lack %s", want)
		}
	}
	for _, secret := range []string{"tide-pool-lantern", "alex@example.com", "change-this-passphrase-now"} {
		if strings.Contains(out, secret) {
			t.Errorf("logs contain %q", secret)
		}
	}
}

// server is the real binary, running on a fresh database.
type server struct {
	base    string
	dbURL   string // empty on SQLite
	dataDir string
	logs    *bytes.Buffer
	cmd     *exec.Cmd
	exited  chan error
}

// startBinary builds the binary, starts it as the README says (with the
// test's database) and waits until it is ready.
func startBinary(t *testing.T) *server {
	t.Helper()
	return buildBinary(t).start(t)
}

// binary is the built command with the environment of one fresh database.
type binary struct {
	path    string
	env     []string
	dbURL   string // empty on SQLite
	dataDir string
}

// buildBinary builds the binary and gives it a fresh database: SQLite in a
// temporary folder, or a PostgreSQL schema when TEST_DATABASE_URL is set.
func buildBinary(t *testing.T) *binary {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	b := &binary{path: filepath.Join(dir, "api"), dataDir: filepath.Join(dir, "data")}
	if out, err := exec.Command("go", "build", "-o", b.path, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	b.env = append(os.Environ(), "DATA_DIR="+b.dataDir,
		"ADMIN_EMAIL=admin@clinic.example", "ADMIN_PASSWORD=change-this-passphrase-now", "JWT_SECRET=", "DATABASE_URL=")
	if url := apitest.FreshPostgres(t); url != "" {
		b.dbURL = url
		b.env = append(b.env, "DATABASE_URL="+url)
	}
	return b
}

// run runs the binary to the end with the arguments and extra environment.
func (b *binary) run(t *testing.T, extraEnv []string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := exec.Command(b.path, args...)
	var out, errOut bytes.Buffer
	cmd.Env, cmd.Stdout, cmd.Stderr = append(append([]string{}, b.env...), extraEnv...), &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// start serves the API from the binary on a free port and waits until it
// is ready.
func (b *binary) start(t *testing.T) *server {
	t.Helper()
	s := &server{dbURL: b.dbURL, dataDir: b.dataDir, logs: &bytes.Buffer{}, exited: make(chan error, 1)}
	addr := freeAddr(t)
	s.cmd = exec.Command(b.path)
	s.cmd.Env, s.cmd.Stdout, s.cmd.Stderr = append(append([]string{}, b.env...), "HTTP_ADDR="+addr), s.logs, s.logs
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.exited <- s.cmd.Wait() }()
	t.Cleanup(func() {
		if s.cmd.ProcessState == nil {
			_ = s.cmd.Process.Kill()
		}
	})
	s.base = "http://" + addr
	waitReady(t, s.base+"/readyz", s.exited, s.logs)
	return s
}

// stop sends SIGTERM and expects a clean exit.
func (s *server) stop(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-s.exited:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, s.logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("still running 30s after SIGTERM\n%s", s.logs.String())
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitReady(t *testing.T, url string, exited chan error, logs *bytes.Buffer) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			t.Fatalf("the server exited: %v\n%s", err, logs.String())
		default:
		}
		if res, err := http.Get(url); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("not ready after 30s\n%s", logs.String())
}

func call(t *testing.T, method, url, token, body string, want int) map[string]any {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	if res.StatusCode != want {
		t.Fatalf("%s %s: %d, want %d: %v", method, url, res.StatusCode, want, out)
	}
	return out
}
