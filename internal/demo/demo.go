// Package demo fills an empty database with a demo clinic: an admin, two
// clinicians and three patients at different points of their course.
//
// Everything is written through the real HTTP handlers, in process, with
// tokens from the real signer: journal bodies are sealed, PHQ-9 and GAD-7
// scored, sessions scheduled, safety alerts raised, the sync change log and
// the audit trail written exactly as when the apps call the API. To give the
// clinic a past, the seeder boots the service on a clock of its own (a
// clock.Replay) and sets it back to each moment of the story before acting
// it out, so a course that began six weeks ago looks, to every query, as if
// it did.
package demo

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/google/uuid"

	"github.com/ketacare/api/internal/accounts"
	"github.com/ketacare/api/internal/app"
	"github.com/ketacare/api/internal/auth"
	"github.com/ketacare/api/internal/clock"
	"github.com/ketacare/api/internal/config"
	"github.com/ketacare/api/internal/models"
	"github.com/ketacare/api/internal/store"
)

// Login is an account the seeder made, with the password to sign in with.
type Login struct {
	Role     string
	Name     string
	Email    string
	Password string
	// About says who the account is in the story.
	About string
}

// ErrProduction and ErrNotEmpty are the seeder's refusals.
var (
	ErrProduction = errors.New("seed-demo refuses to run with APP_ENV=production: demo accounts and made-up health records do not belong in a real clinic's database")
	ErrNotEmpty   = errors.New("seed-demo refuses to run: the database already holds accounts other than the ADMIN_EMAIL admin, so it may be a real clinic's, and demo records must never mix into one; point DATABASE_URL (or DATA_DIR) at a new, empty database")
)

// CheckConfig refuses configurations the seeder must never run with,
// before anything is opened.
func CheckConfig(cfg config.Config) error {
	if cfg.Env == config.Production {
		return ErrProduction
	}
	return nil
}

// Seed writes the demo clinic into cfg's database, which must hold no
// account but the ADMIN_EMAIL admin, and returns every login it made. The
// admin is the ADMIN_EMAIL one when it is set (its password is then the
// operator's own, and not repeated), else a demo admin.
//
// Seed boots the service for itself, on a clock it moves through the story,
// and closes it when done: that service serves nobody else.
func Seed(ctx context.Context, cfg config.Config, log *slog.Logger) ([]Login, error) {
	if err := CheckConfig(cfg); err != nil {
		return nil, err
	}
	clk := &clock.Replay{}
	a, err := app.New(ctx, cfg, log, app.WithClock(clk.Now))
	if err != nil {
		return nil, err
	}
	defer a.Close()
	if err := checkEmpty(ctx, a); err != nil {
		return nil, err
	}

	var logins []Login
	adminEmail := a.Config.AdminEmail
	about := "the clinic's admin (ADMIN_EMAIL)"
	shown := "(the ADMIN_PASSWORD you set)"
	if adminEmail == "" {
		adminEmail = "admin@demo-clinic.example"
		adminPassword := newPassword(adminEmail, accounts.AdminDisplayName)
		about, shown = "the clinic's admin (demo)", adminPassword
		if _, err := accounts.EnsureAdmin(ctx, a.Store, auth.NewHasher(a.Config.HashConcurrency), adminEmail, adminPassword); err != nil {
			return nil, fmt.Errorf("create the demo admin: %w", err)
		}
	}
	admin, err := a.Store.UserByEmail(ctx, store.NormalizeEmail(adminEmail))
	if err != nil {
		return nil, fmt.Errorf("the admin %s: %w", adminEmail, err)
	}
	logins = append(logins, Login{Role: models.RoleAdmin, Name: admin.DisplayName, Email: adminEmail, Password: shown, About: about})

	s := &seeder{ctx: ctx, app: a, api: a.Echo, clock: clk}
	s.admin, err = s.as(admin.ID, models.RoleAdmin)
	if err != nil {
		return nil, err
	}
	more, err := s.clinic()
	if err != nil {
		return nil, err
	}
	return append(logins, more...), nil
}

// checkEmpty refuses a database holding any account but the ADMIN_EMAIL
// admin.
func checkEmpty(ctx context.Context, a *app.App) error {
	others, err := a.Store.CountUsersExcept(ctx, a.Config.AdminEmail)
	if err != nil {
		return fmt.Errorf("count the accounts: %w", err)
	}
	if others > 0 {
		return fmt.Errorf("%w (it holds %d)", ErrNotEmpty, others)
	}
	return nil
}

// newPassword is a random demo password for the account: 75 bits, in three
// groups easy to read back from a terminal, drawn again in the rare case the
// password rules refuse it (a group holding a word of the name, say).
func newPassword(email, name string) string {
	for {
		raw := make([]byte, 10)
		_, _ = rand.Read(raw) // never fails (crypto/rand)
		s := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw))
		p := s[:5] + "-" + s[5:10] + "-" + s[10:15]
		if auth.CheckPolicy("password", p, auth.Owner{Email: email, Name: name}) == nil {
			return p
		}
	}
}

// seeder acts the story out against the API.
type seeder struct {
	ctx context.Context
	app *app.App
	api http.Handler
	// clock is the service's: the story sets it to each of its moments.
	clock *clock.Replay
	admin caller
}

// caller is one user calling the API with a token from the real signer:
// the token given, or, for a user with a login, one signed for each call.
type caller struct {
	s     *seeder
	id    uuid.UUID
	role  string
	login uuid.UUID
	token string
}

// as returns a caller for the user, with a login of its own (the sid its
// tokens name). Its access tokens are signed for each call, by the
// service's clock, so that each is valid at the moment of the story the
// call is made in; the login expires by the real clock (clock.System),
// not the story's, so that it outlasts the weeks of the story.
func (s *seeder) as(id uuid.UUID, role string) (caller, error) {
	_, hash := auth.NewRefreshToken()
	login := models.RefreshToken{UserID: id, TokenHash: hash, ExpiresAt: clock.System().Add(auth.RefreshTokenTTL)}
	if err := s.app.Store.CreateRefreshToken(s.ctx, &login); err != nil {
		return caller{}, err
	}
	return caller{s: s, id: id, role: role, login: login.FamilyID}, nil
}

// call sends one request through the whole middleware chain and decodes the
// answer into out (when not nil); an answer other than 2xx is an error that
// carries the problem document. It returns the response's ETag.
func (c caller) call(method, path, ifMatch string, body, out any) (string, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return "", err
		}
		rd = bytes.NewReader(b)
	}
	req := httptest.NewRequestWithContext(c.s.ctx, method, path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	token := c.token
	if c.login != uuid.Nil {
		var err error
		if token, err = c.s.app.Signer.Issue(c.id, c.role, c.login); err != nil {
			return "", err
		}
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if ifMatch != "" {
		req.Header.Set("If-Match", ifMatch)
	}
	rec := httptest.NewRecorder()
	c.s.api.ServeHTTP(rec, req)
	if rec.Code < 200 || rec.Code > 299 {
		return "", fmt.Errorf("%s %s: %d %s", method, path, rec.Code, strings.TrimSpace(rec.Body.String()))
	}
	if out != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			return "", fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return rec.Header().Get("ETag"), nil
}

// post creates a record and returns its id.
func (c caller) post(path string, body any) (uuid.UUID, error) {
	var out struct {
		ID uuid.UUID `json:"id"`
	}
	_, err := c.call(http.MethodPost, path, "", body, &out)
	return out.ID, err
}

// patch changes a record at the version it has now, as an app does after
// reading it.
func (c caller) patch(path string, body any) error {
	etag, err := c.call(http.MethodGet, path, "", nil, nil)
	if err != nil {
		return err
	}
	_, err = c.call(http.MethodPatch, path, etag, body, nil)
	return err
}
