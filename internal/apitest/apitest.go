// Package apitest is the one test harness: it boots the whole service on a
// fresh database (SQLite by default, PostgreSQL when TEST_DATABASE_URL is
// set), serves it over real HTTP, signs tokens with the real signer, and
// checks every response against docs/openapi.yaml.
package apitest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/google/uuid"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/ketacare/api/docs"
	"github.com/ketacare/api/internal/app"
	"github.com/ketacare/api/internal/clock"
	"github.com/ketacare/api/internal/config"
	"github.com/ketacare/api/internal/handlers"
	"github.com/ketacare/api/internal/store"
	"github.com/ketacare/api/internal/web"
)

// Admin credentials of the first admin every test clinic has.
const (
	AdminEmail    = "admin@clinic.test"
	AdminPassword = "passphrase-for-tests-only"
)

func init() {
	for _, ct := range []string{"text/html", "application/javascript", "text/css"} {
		openapi3filter.RegisterBodyDecoder(ct, openapi3filter.PlainBodyDecoder)
	}
}

// Env is a running service with its own empty database.
type Env struct {
	T      testing.TB
	App    *app.App
	Server *httptest.Server
	doc    *openapi3.T
	router routers.Router
	// statements counts what the service sends to its database.
	statements *Statements
	// DB is the test's own connection to the service's database, as an
	// operator's would be: to arrange rows no request can (an old date, a
	// legacy row) and to look at what is stored. The service's own handle
	// stays inside it.
	DB *gorm.DB
}

// New starts the service for one test on a fresh database and stops it when
// the test ends.
func New(t testing.TB) *Env {
	t.Helper()
	return NewWith(t, nil)
}

// NewWith is New with the configuration changed by configure first.
func NewWith(t testing.TB, configure func(*config.Config)) *Env {
	t.Helper()
	return NewWithClock(t, clock.System, configure)
}

// NewWithClock is NewWith on a service that reads the time from now instead
// of the real clock: a test that must see time pass (a back-off waited out,
// a row aged past its retention) gives it a clock.Replay it moves on.
func NewWithClock(t testing.TB, now func() time.Time, configure func(*config.Config)) *Env {
	t.Helper()
	cfg := Config(t)
	if configure != nil {
		configure(&cfg)
	}
	return boot(t, cfg, now)
}

// Boot starts the service on cfg's database, as it is: a test that wrote
// rows before the service's migrations ran boots it this way.
func Boot(t testing.TB, cfg config.Config) *Env {
	t.Helper()
	return boot(t, cfg, clock.System)
}

func boot(t testing.TB, cfg config.Config, now func() time.Time) *Env {
	t.Helper()
	var statements *Statements
	count := func(db *gorm.DB) (err error) {
		statements, err = countStatements(db)
		return err
	}
	a, err := app.New(context.Background(), cfg, quietLogger(), app.WithClock(now), app.WithDatabaseObserver(count))
	if err != nil {
		t.Fatalf("boot service: %v", err)
	}
	srv := serve(a)
	t.Cleanup(func() {
		srv.Close()
		a.Close()
	})
	db := OpenDatabase(t, cfg, now)
	doc, router := spec(t)
	return &Env{T: t, App: a, Server: srv, doc: doc, router: router, statements: statements, DB: db}
}

// OpenDatabase opens a connection of the test's own to cfg's database,
// closed when the test ends.
func OpenDatabase(t testing.TB, cfg config.Config, now func() time.Time) *gorm.DB {
	t.Helper()
	db, err := store.Open(store.Options{DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir, MaxConns: 4, Now: now})
	if err != nil {
		t.Fatalf("the test's connection: %v", err)
	}
	t.Cleanup(func() {
		if sqlDB, err := db.DB(); err == nil {
			_ = sqlDB.Close()
		}
	})
	return db
}

// serve starts an HTTP server for a, with the timeouts of its own.
func serve(a *app.App) *httptest.Server {
	srv := httptest.NewUnstartedServer(a.Echo)
	a.ConfigureServer(srv.Config)
	srv.Start()
	return srv
}

// Config returns the configuration of a test service: a fresh database, the
// test admin, and a random JWT secret.
func Config(t testing.TB) config.Config {
	t.Helper()
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	environ := []string{
		"APP_ENV=test",
		"DATA_DIR=" + t.TempDir(),
		"JWT_SECRET=" + hex.EncodeToString(secret),
		"ADMIN_EMAIL=" + AdminEmail,
		"ADMIN_PASSWORD=" + AdminPassword,
		"DB_MAX_CONNS=8",
		// Tests make requests far faster than people; TestRateLimit sets its own.
		"RATE_LIMIT_PER_MINUTE=1000000",
	}
	if url := FreshPostgres(t); url != "" {
		environ = append(environ, "DATABASE_URL="+url)
	}
	cfg, err := config.Load(environ)
	if err != nil {
		t.Fatalf("test config: %v", err)
	}
	return cfg
}

var (
	pgOnce  sync.Once
	pgAdmin *gorm.DB
	pgErr   error
)

// FreshPostgres returns, when TEST_DATABASE_URL is set, the URL of a new empty
// schema in that database, dropped when the test ends. It returns "" when
// the variable is unset, and fails the test when PostgreSQL cannot be
// reached: a run asked to test PostgreSQL must not quietly skip it.
func FreshPostgres(t testing.TB) string {
	t.Helper()
	base := os.Getenv("TEST_DATABASE_URL")
	if base == "" {
		return ""
	}
	pgOnce.Do(func() {
		pgAdmin, pgErr = gorm.Open(postgres.Open(base), &gorm.Config{Logger: logger.Discard})
		if pgErr == nil {
			pgErr = pgAdmin.Exec("SELECT 1").Error
		}
	})
	if pgErr != nil {
		t.Fatalf("TEST_DATABASE_URL is set but PostgreSQL cannot be reached: %v", pgErr)
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	if err := pgAdmin.Exec("CREATE SCHEMA " + schema).Error; err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() { pgAdmin.Exec("DROP SCHEMA " + schema + " CASCADE") })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("TEST_DATABASE_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func quietLogger() *slog.Logger {
	if os.Getenv("TEST_LOG") != "" {
		return slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	return slog.New(slog.DiscardHandler)
}

var (
	specOnce   sync.Once
	specDoc    *openapi3.T
	specRouter routers.Router
	specErr    error
)

func spec(t testing.TB) (*openapi3.T, routers.Router) {
	specOnce.Do(func() {
		specDoc, specErr = web.LoadSpec(docs.OpenAPI)
		if specErr == nil {
			specRouter, specErr = web.NewSpecRouter(specDoc)
		}
	})
	if specErr != nil {
		t.Fatalf("spec: %v", specErr)
	}
	return specDoc, specRouter
}

// For returns the same service reporting to t: a subtest or a fuzz
// target's own T.
func (e *Env) For(t testing.TB) *Env {
	c := *e
	c.T = t
	return &c
}

// Spec returns the parsed OpenAPI document.
func (e *Env) Spec() *openapi3.T { return e.doc }

// Request is one call to the API.
type Request struct {
	Method string
	Path   string
	Token  string
	// Body is sent as JSON unless it is a string or []byte, sent as is.
	Body        any
	ContentType string
	Header      http.Header
}

// Response is what the API answered.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test when it cannot.
func (r *Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// Problem is an RFC 9457 problem document as the tests read it.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct {
		Field  string `json:"field"`
		Reason string `json:"reason"`
	} `json:"errors"`
}

// Problem decodes a problem document, failing the test when the response is
// not one.
func (r *Response) Problem(t testing.TB) Problem {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("want application/problem+json, got %q: %s", ct, r.Body)
	}
	var p Problem
	r.JSON(t, &p)
	if p.Status != r.Status {
		t.Fatalf("problem status %d differs from HTTP status %d", p.Status, r.Status)
	}
	return p
}

// Fields returns the invalid fields a validation problem names.
func (p Problem) Fields() []string {
	out := make([]string, len(p.Errors))
	for i, e := range p.Errors {
		out[i] = e.Field
	}
	return out
}

// Do sends req over HTTP and checks the response against the spec.
func (e *Env) Do(req Request) *Response {
	e.T.Helper()
	var body io.Reader
	ct := req.ContentType
	switch b := req.Body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			e.T.Fatalf("encode body: %v", err)
		}
		body = bytes.NewReader(data)
	}
	if body != nil && ct == "" {
		ct = "application/json"
	}
	hreq, err := http.NewRequest(req.Method, e.Server.URL+req.Path, body)
	if err != nil {
		e.T.Fatalf("build request: %v", err)
	}
	for k, vs := range req.Header {
		hreq.Header[k] = vs
	}
	if ct != "" {
		hreq.Header.Set("Content-Type", ct)
	}
	if req.Token != "" {
		hreq.Header.Set("Authorization", "Bearer "+req.Token)
	}
	hres, err := e.Server.Client().Do(hreq)
	if err != nil {
		e.T.Fatalf("%s %s: %v", req.Method, req.Path, err)
	}
	defer hres.Body.Close()
	data, err := io.ReadAll(hres.Body)
	if err != nil {
		e.T.Fatalf("read response: %v", err)
	}
	res := &Response{Status: hres.StatusCode, Header: hres.Header, Body: data}
	e.checkContract(hreq, res)
	return res
}

// secretKey finds JSON members that must never leave the server: password
// and token material, sealed columns, encryption key ids, hashes.
var secretKey = regexp.MustCompile(`"[a-z_]*(password|hash|sealed|key_id)[a-z_]*"\s*:|\$argon2id\$`)

// checkContract fails the test when the response is not one the spec
// documents for the operation: status, headers and body.
func (e *Env) checkContract(req *http.Request, res *Response) {
	e.T.Helper()
	if res.Header.Get("X-Request-Id") == "" {
		e.T.Errorf("%s %s: response has no X-Request-ID", req.Method, req.URL.Path)
	}
	if res.Status >= 400 && res.Header.Get("Content-Type") != "application/problem+json" {
		e.T.Errorf("%s %s: error %d is %q, not problem+json: %s", req.Method, req.URL.Path, res.Status, res.Header.Get("Content-Type"), res.Body)
	}
	if m := secretKey.Find(res.Body); m != nil && strings.Contains(res.Header.Get("Content-Type"), "json") {
		e.T.Errorf("%s %s: the response carries %s: %s", req.Method, req.URL.Path, m, truncate(res.Body))
	}
	route, params, err := e.router.FindRoute(req)
	if err != nil {
		e.checkNulls(req, nil, res)
		return // not an operation of the spec: only the problem+json and null rules apply
	}
	e.checkNulls(req, route.Operation, res)
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 res.Status,
		Header:                 res.Header,
		Body:                   io.NopCloser(bytes.NewReader(res.Body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		e.T.Errorf("%s %s -> %d does not match the spec: %v\nbody: %s", req.Method, req.URL.Path, res.Status, err, truncate(res.Body))
	}
}

func truncate(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "..."
	}
	return string(b)
}

// Expect fails the test unless the response has the status.
func (r *Response) Expect(t testing.TB, status int) *Response {
	t.Helper()
	if r.Status != status {
		t.Fatalf("want status %d, got %d: %s", status, r.Status, truncate(r.Body))
	}
	return r
}

// Get, Post, Patch, Put and Delete are shorthands for Do.
func (e *Env) Get(path, token string) *Response {
	e.T.Helper()
	return e.Do(Request{Method: http.MethodGet, Path: path, Token: token})
}

// Post sends body as JSON.
func (e *Env) Post(path, token string, body any) *Response {
	e.T.Helper()
	return e.Do(Request{Method: http.MethodPost, Path: path, Token: token, Body: body})
}

// Patch sends body as JSON.
func (e *Env) Patch(path, token string, body any) *Response {
	e.T.Helper()
	return e.Do(Request{Method: http.MethodPatch, Path: path, Token: token, Body: body})
}

// PatchIf sends body as JSON with If-Match: etag.
func (e *Env) PatchIf(path, token, etag string, body any) *Response {
	e.T.Helper()
	return e.Do(Request{Method: http.MethodPatch, Path: path, Token: token, Body: body, Header: http.Header{"If-Match": {etag}}})
}

// DeleteIf sends a DELETE with If-Match: etag.
func (e *Env) DeleteIf(path, token, etag string) *Response {
	e.T.Helper()
	return e.Do(Request{Method: http.MethodDelete, Path: path, Token: token, Header: http.Header{"If-Match": {etag}}})
}

// ETag returns the response's ETag, failing the test when there is none.
func (r *Response) ETag(t testing.TB) string {
	t.Helper()
	tag := r.Header.Get("ETag")
	if tag == "" {
		t.Fatalf("response has no ETag: %s", truncate(r.Body))
	}
	return tag
}

// Put sends body as JSON, or nothing when body is nil.
func (e *Env) Put(path, token string, body any) *Response {
	e.T.Helper()
	return e.Do(Request{Method: http.MethodPut, Path: path, Token: token, Body: body})
}

// Delete sends a DELETE.
func (e *Env) Delete(path, token string) *Response {
	e.T.Helper()
	return e.Do(Request{Method: http.MethodDelete, Path: path, Token: token})
}

// versionedTables maps a path's collection to the table of its records.
var versionedTables = map[string]string{
	"sessions":        "treatment_sessions",
	"treatment-plans": "treatment_plans",
	"journal-entries": "journal_entries",
	"goals":           "goals",
	"patients":        "users",
}

// Tag returns the current ETag of the record a path names (its last id),
// read from the database, for tests whose subject is not the ETag itself:
// they send it as If-Match like a client that has just read the record.
// It returns "" for a path whose records carry no version.
func (e *Env) Tag(path string) string {
	e.T.Helper()
	parts := strings.Split(strings.Trim(strings.SplitN(path, "?", 2)[0], "/"), "/")
	for i := len(parts) - 1; i > 0; i-- {
		id, err := uuid.Parse(parts[i])
		if err != nil {
			continue
		}
		table, ok := versionedTables[parts[i-1]]
		if !ok {
			break
		}
		var version int64
		if err := e.DB.Table(table).Select("version").Where("id = ?", id).Scan(&version).Error; err != nil {
			e.T.Fatalf("version of %s: %v", path, err)
		}
		if version == 0 {
			version = 1 // no such record: any well-formed tag will do
		}
		return handlers.ETag(id, version)
	}
	return ""
}

// IfMatch is the header a client that has just read the record would send
// with a PATCH or DELETE of path; nil for other methods and for records
// without versions.
func (e *Env) IfMatch(method, path string) http.Header {
	e.T.Helper()
	if method != http.MethodPatch && method != http.MethodDelete {
		return nil
	}
	if tag := e.Tag(path); tag != "" {
		return http.Header{"If-Match": {tag}}
	}
	return nil
}
