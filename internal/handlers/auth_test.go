package handlers_test

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/ketacare/api/internal/api"
	"github.com/ketacare/api/internal/apitest"
	"github.com/ketacare/api/internal/auth"
	"github.com/ketacare/api/internal/config"
	"github.com/ketacare/api/internal/models"
	"github.com/ketacare/api/internal/throttle"
)

func register(env *apitest.Env, email, password, name string) *apitest.Response {
	env.T.Helper()
	return env.Post("/v1/auth/register", "", map[string]any{"email": email, "password": password, "display_name": name})
}

func login(env *apitest.Env, email, password string) *apitest.Response {
	env.T.Helper()
	return env.Post("/v1/auth/login", "", map[string]any{"email": email, "password": password})
}

func tokens(t *testing.T, r *apitest.Response) api.AuthTokens {
	t.Helper()
	var out api.AuthTokens
	r.JSON(t, &out)
	if out.AccessToken == "" || out.RefreshToken == "" || out.TokenType != api.Bearer || out.ExpiresIn != 900 {
		t.Fatalf("incomplete token pair: %s", r.Body)
	}
	return out
}

// noSecrets fails when a response carries anything that looks like a stored
// credential.
func noSecrets(t *testing.T, r *apitest.Response) {
	t.Helper()
	body := strings.ToLower(string(r.Body))
	for _, bad := range []string{"password", "hash", "$argon2id$"} {
		if strings.Contains(body, bad) {
			t.Fatalf("response contains %q: %s", bad, r.Body)
		}
	}
}

func TestRegister(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	r := register(env, "Alex.Doe@Example.com", "a-decent-passphrase", "Alex").Expect(t, http.StatusCreated)
	noSecrets(t, r)
	tk := tokens(t, r)
	if tk.User.Role != api.RolePatient || tk.User.Email != "alex.doe@example.com" || tk.User.Version != 1 || tk.User.Profession != nil {
		t.Fatalf("unexpected user: %+v", tk.User)
	}
	me := env.Get("/v1/me", tk.AccessToken).Expect(t, http.StatusOK)
	var u api.User
	me.JSON(t, &u)
	if u.ID != tk.User.ID {
		t.Fatalf("/v1/me is %s, registered %s", u.ID, tk.User.ID)
	}

	tests := []struct {
		name   string
		body   any
		status int
		field  string
	}{
		{"duplicate email in another case", map[string]any{"email": "ALEX.DOE@example.COM", "password": "another-passphrase", "display_name": "A"}, 409, ""},
		{"password too short", map[string]any{"email": "b@example.com", "password": "short", "display_name": "B"}, 400, "password"},
		{"password too long", map[string]any{"email": "b@example.com", "password": strings.Repeat("x", 129), "display_name": "B"}, 400, "password"},
		{"common password", map[string]any{"email": "b@example.com", "password": "Password123", "display_name": "B"}, 400, "password"},
		{"not an email", map[string]any{"email": "not-an-email", "password": "a-decent-passphrase", "display_name": "B"}, 400, "email"},
		{"missing display name", map[string]any{"email": "b@example.com", "password": "a-decent-passphrase"}, 400, "display_name"},
		{"blank display name", map[string]any{"email": "b@example.com", "password": "a-decent-passphrase", "display_name": "   "}, 400, "display_name"},
		{"unknown field", map[string]any{"email": "b@example.com", "password": "a-decent-passphrase", "display_name": "B", "role": "admin"}, 400, "role"},
		{"wrong type", map[string]any{"email": "b@example.com", "password": 1234567890123, "display_name": "B"}, 400, "password"},
		{"not JSON", "{email:", 400, "body"},
		{"no body", nil, 400, "body"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := env.Post("/v1/auth/register", "", tc.body).Expect(t, tc.status)
			p := r.Problem(t)
			if tc.field != "" && !slices.Contains(p.Fields(), tc.field) {
				t.Fatalf("problem names %v, want %q", p.Fields(), tc.field)
			}
		})
	}
	// None of the refused registrations created an account.
	login(env, "b@example.com", "a-decent-passphrase").Expect(t, http.StatusUnauthorized)
}

func TestRegisterRejectsOtherMediaTypes(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	r := env.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/auth/register", ContentType: "text/plain",
		Body: `{"email":"c@example.com","password":"a-decent-passphrase","display_name":"C"}`})
	r.Expect(t, http.StatusUnsupportedMediaType).Problem(t)
}

func TestLogin(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	register(env, "sam@example.com", "a-decent-passphrase", "Sam").Expect(t, http.StatusCreated)

	ok := login(env, "SAM@example.com", "a-decent-passphrase").Expect(t, http.StatusOK)
	noSecrets(t, ok)
	tk := tokens(t, ok)
	env.Get("/v1/me", tk.AccessToken).Expect(t, http.StatusOK)

	wrong := login(env, "sam@example.com", "the-wrong-passphrase").Expect(t, http.StatusUnauthorized)
	unknown := login(env, "nobody@example.com", "a-decent-passphrase").Expect(t, http.StatusUnauthorized)
	pw, pu := wrong.Problem(t), unknown.Problem(t)
	if pw.Detail != pu.Detail || pw.Type != pu.Type {
		t.Fatalf("a wrong password and an unknown email must answer alike: %q vs %q", pw.Detail, pu.Detail)
	}
	if wrong.Header.Get("WWW-Authenticate") == "" {
		t.Fatal("401 without WWW-Authenticate")
	}
	login(env, "", "").Expect(t, http.StatusBadRequest).Problem(t)
}

func TestRefreshRotationAndReuse(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	first := tokens(t, register(env, "kim@example.com", "a-decent-passphrase", "Kim").Expect(t, http.StatusCreated))

	refresh := func(token string) *apitest.Response {
		return env.Post("/v1/auth/refresh", "", map[string]any{"refresh_token": token})
	}
	second := tokens(t, refresh(first.RefreshToken).Expect(t, http.StatusOK))
	if second.RefreshToken == first.RefreshToken || second.User.ID != first.User.ID {
		t.Fatal("refresh must rotate the refresh token for the same user")
	}
	env.Get("/v1/me", second.AccessToken).Expect(t, http.StatusOK)
	third := tokens(t, refresh(second.RefreshToken).Expect(t, http.StatusOK))

	// Presenting the already rotated first token is reuse: 401, and the
	// family's live token dies with it.
	refresh(first.RefreshToken).Expect(t, http.StatusUnauthorized).Problem(t)
	refresh(third.RefreshToken).Expect(t, http.StatusUnauthorized).Problem(t)

	// A new login starts a new family, unaffected.
	fresh := tokens(t, login(env, "kim@example.com", "a-decent-passphrase").Expect(t, http.StatusOK))
	refresh(fresh.RefreshToken).Expect(t, http.StatusOK)

	refresh("not-a-token-this-server-issued").Expect(t, http.StatusUnauthorized)
}

func TestLogout(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tk := tokens(t, register(env, "lee@example.com", "a-decent-passphrase", "Lee").Expect(t, http.StatusCreated))
	rotated := tokens(t, env.Post("/v1/auth/refresh", "", map[string]any{"refresh_token": tk.RefreshToken}).Expect(t, http.StatusOK))

	env.Post("/v1/auth/logout", "", map[string]any{"refresh_token": rotated.RefreshToken}).Expect(t, http.StatusNoContent)
	env.Post("/v1/auth/refresh", "", map[string]any{"refresh_token": rotated.RefreshToken}).Expect(t, http.StatusUnauthorized)
	// Logging out again, or with a token never issued, is harmless.
	env.Post("/v1/auth/logout", "", map[string]any{"refresh_token": rotated.RefreshToken}).Expect(t, http.StatusNoContent)
	env.Post("/v1/auth/logout", "", map[string]any{"refresh_token": "unknown"}).Expect(t, http.StatusNoContent)
}

func TestAccessTokenChecks(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	p, other := env.Patient("Pat"), env.Patient("Other")
	secret := env.App.Config.JWTSecret
	sign := func(method jwt.SigningMethod, key any, claims jwt.MapClaims, kid string) string {
		tok := jwt.NewWithClaims(method, claims)
		tok.Header["kid"] = kid
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	now := time.Now()
	claims := func(change func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{"sub": p.ID.String(), "role": "patient", "sid": p.Login.String(), "iss": auth.Issuer, "aud": auth.Audience,
			"iat": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(), "jti": uuid.NewString()}
		change(c)
		return c
	}
	kid := auth.KeyID(secret)
	expired, err := env.App.Signer.IssueAt(p.ID, "patient", p.Login, now.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	valid := sign(jwt.SigningMethodHS256, []byte(secret), claims(func(jwt.MapClaims) {}), kid)
	tampered := valid[:len(valid)-4] + flip(valid[len(valid)-4:])
	noneToken := sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims(func(jwt.MapClaims) {}), kid)

	env.Get("/v1/me", valid).Expect(t, http.StatusOK)
	cases := []struct {
		name, header string
	}{
		{"no token", ""},
		{"not bearer", "Basic dXNlcjpwYXNz"},
		{"garbage", "Bearer not.a.jwt"},
		{"expired", "Bearer " + expired},
		{"tampered signature", "Bearer " + tampered},
		{"alg none", "Bearer " + noneToken},
		{"wrong key", "Bearer " + sign(jwt.SigningMethodHS256, []byte(strings.Repeat("k", 40)), claims(func(jwt.MapClaims) {}), kid)},
		{"unknown kid", "Bearer " + sign(jwt.SigningMethodHS256, []byte(secret), claims(func(jwt.MapClaims) {}), "other")},
		{"wrong audience", "Bearer " + sign(jwt.SigningMethodHS256, []byte(secret), claims(func(c jwt.MapClaims) { c["aud"] = "someone-else" }), kid)},
		{"wrong issuer", "Bearer " + sign(jwt.SigningMethodHS256, []byte(secret), claims(func(c jwt.MapClaims) { c["iss"] = "evil" }), kid)},
		{"no expiry", "Bearer " + sign(jwt.SigningMethodHS256, []byte(secret), claims(func(c jwt.MapClaims) { delete(c, "exp") }), kid)},
		{"HS512", "Bearer " + sign(jwt.SigningMethodHS512, []byte(secret), claims(func(jwt.MapClaims) {}), kid)},
		// Tokens from before logins were named: the app refreshes.
		{"no sid", "Bearer " + sign(jwt.SigningMethodHS256, []byte(secret), claims(func(c jwt.MapClaims) { delete(c, "sid") }), kid)},
		{"another login's sid", "Bearer " + sign(jwt.SigningMethodHS256, []byte(secret), claims(func(c jwt.MapClaims) { c["sid"] = uuid.NewString() }), kid)},
		{"another user's login", "Bearer " + sign(jwt.SigningMethodHS256, []byte(secret), claims(func(c jwt.MapClaims) { c["sid"] = other.Login.String() }), kid)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := apitest.Request{Method: http.MethodGet, Path: "/v1/me", Header: http.Header{}}
			if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			r := env.Do(req).Expect(t, http.StatusUnauthorized)
			r.Problem(t)
			if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Fatalf("WWW-Authenticate = %q", r.Header.Get("WWW-Authenticate"))
			}
			if strings.Contains(string(r.Body), p.ID.String()) {
				t.Fatal("a refused request must not reveal the account")
			}
		})
	}
}

// flip changes a token's last characters so its signature no longer matches.
func flip(s string) string {
	b := []byte(s)
	for i := range b {
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
	}
	return string(b)
}

// TestLoginThrottling: an account's failures, from any address, slow
// further attempts at it, even with the right password; a success clears
// them. The rules in detail: internal/throttle tests and throttle_test.go.
func TestLoginThrottling(t *testing.T) {
	t.Parallel()
	env := apitest.NewWith(t, func(c *config.Config) { c.TrustedProxies = []string{"127.0.0.1"} })
	register(env, "max@example.com", "a-decent-passphrase", "Max").Expect(t, http.StatusCreated)
	attempt := func(from, email, password string) *apitest.Response {
		return env.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/auth/login", Header: http.Header{"X-Forwarded-For": {from}},
			Body: map[string]any{"email": email, "password": password}})
	}

	// Four failures, then a success, which clears the account's count...
	for range 4 {
		attempt("203.0.113.1", "max@example.com", "wrong-passphrase").Expect(t, http.StatusUnauthorized)
	}
	attempt("203.0.113.2", "max@example.com", "a-decent-passphrase").Expect(t, http.StatusOK)
	// ...so four more failures, from yet another address, do not slow it.
	for range 4 {
		attempt("203.0.113.3", "MAX@example.com", "wrong-passphrase").Expect(t, http.StatusUnauthorized)
	}
	attempt("203.0.113.4", "max@example.com", "a-decent-passphrase").Expect(t, http.StatusOK)

	// Five failures from different addresses slow the account, even for the
	// right password, with a Retry-After.
	for i := range throttle.AccountFree {
		attempt(fmt.Sprintf("198.51.100.%d", i+1), "max@example.com", "wrong-passphrase").Expect(t, http.StatusUnauthorized)
	}
	locked := attempt("198.51.100.99", "max@example.com", "a-decent-passphrase").Expect(t, http.StatusTooManyRequests)
	locked.Problem(t)
	if ra, err := strconv.Atoi(locked.Header.Get("Retry-After")); err != nil || ra < 1 || ra > 30 {
		t.Fatalf("Retry-After = %q, want 1-30 seconds", locked.Header.Get("Retry-After"))
	}

	// An unknown email is throttled the same way, so slowing reveals nothing.
	for range throttle.AccountFree {
		attempt("192.0.2.10", "ghost@example.com", "wrong-passphrase").Expect(t, http.StatusUnauthorized)
	}
	attempt("192.0.2.11", "ghost@example.com", "wrong-passphrase").Expect(t, http.StatusTooManyRequests)
}

func TestPasswordChangeSignsOutEverywhere(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	phone := tokens(t, register(env, "ren@example.com", "a-decent-passphrase", "Ren").Expect(t, http.StatusCreated))
	tablet := tokens(t, login(env, "ren@example.com", "a-decent-passphrase").Expect(t, http.StatusOK))
	change := func(body any) *apitest.Response {
		return env.Post("/v1/me/password", phone.AccessToken, body)
	}

	p := change(map[string]any{"current_password": "not-my-password", "new_password": "harbour-light-at-dusk"}).Expect(t, http.StatusBadRequest).Problem(t)
	if !slices.Contains(p.Fields(), "current_password") {
		t.Fatalf("problem names %v", p.Fields())
	}
	p = change(map[string]any{"current_password": "a-decent-passphrase", "new_password": "qwertyuiop"}).Expect(t, http.StatusBadRequest).Problem(t)
	if !slices.Contains(p.Fields(), "new_password") {
		t.Fatalf("problem names %v", p.Fields())
	}
	// Refused changes changed nothing: the old refresh tokens still work.
	phone = tokens(t, env.Post("/v1/auth/refresh", "", map[string]any{"refresh_token": phone.RefreshToken}).Expect(t, http.StatusOK))

	change(map[string]any{"current_password": "a-decent-passphrase", "new_password": "harbour-light-at-dusk"}).Expect(t, http.StatusNoContent)
	for _, rt := range []string{phone.RefreshToken, tablet.RefreshToken} {
		env.Post("/v1/auth/refresh", "", map[string]any{"refresh_token": rt}).Expect(t, http.StatusUnauthorized)
	}
	login(env, "ren@example.com", "a-decent-passphrase").Expect(t, http.StatusUnauthorized)
	login(env, "ren@example.com", "harbour-light-at-dusk").Expect(t, http.StatusOK)
	env.Post("/v1/me/password", "", map[string]any{"current_password": "x", "new_password": "harbour-light-at-dusk"}).Expect(t, http.StatusUnauthorized)
}

func TestAdminResetsPassword(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	patient := tokens(t, register(env, "ida@example.com", "a-decent-passphrase", "Ida").Expect(t, http.StatusCreated))
	nurse := env.Clinician("Nurse", "nurse")
	path := "/v1/users/" + patient.User.ID.String() + "/password"
	body := map[string]any{"new_password": "a-temporary-passphrase-42"}

	env.Post(path, patient.AccessToken, body).Expect(t, http.StatusForbidden)
	env.Post(path, nurse.Token, body).Expect(t, http.StatusForbidden)
	env.Post(path, "", body).Expect(t, http.StatusUnauthorized)
	env.Post("/v1/users/"+admin.ID.String()+"/password", admin.Token, body).Expect(t, http.StatusForbidden)
	env.Post("/v1/users/0192f5a8-6a2b-7c3d-9e4f-1a2b3c4d5e6f/password", admin.Token, body).Expect(t, http.StatusNotFound)

	env.Post(path, admin.Token, body).Expect(t, http.StatusNoContent)
	env.Post("/v1/auth/refresh", "", map[string]any{"refresh_token": patient.RefreshToken}).Expect(t, http.StatusUnauthorized)
	login(env, "ida@example.com", "a-temporary-passphrase-42").Expect(t, http.StatusOK)
	env.Post("/v1/users/"+nurse.ID.String()+"/password", admin.Token, body).Expect(t, http.StatusNoContent)
}

// TestRevokedLoginRefusedAtOnce: an access token names its login (sid), and
// works only while the login is live. Whatever ends a login refuses its
// access tokens on the next request, not 15 minutes later; the account's
// other logins are untouched unless the account's every login ended.
func TestRevokedLoginRefusedAtOnce(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// end ends the login tk (signed in as p); admin may act on p.
		end func(t *testing.T, env *apitest.Env, p, admin apitest.User, tk api.AuthTokens)
		// allLogins: the account's other logins end too.
		allLogins bool
	}{
		{"logout", func(t *testing.T, env *apitest.Env, _, _ apitest.User, tk api.AuthTokens) {
			env.Post("/v1/auth/logout", "", map[string]any{"refresh_token": tk.RefreshToken}).Expect(t, http.StatusNoContent)
		}, false},
		{"refresh token reused", func(t *testing.T, env *apitest.Env, _, _ apitest.User, tk api.AuthTokens) {
			rotated := tokens(t, env.Post("/v1/auth/refresh", "", map[string]any{"refresh_token": tk.RefreshToken}).Expect(t, http.StatusOK))
			// Rotation keeps the login: both its access tokens work.
			env.Get("/v1/me", tk.AccessToken).Expect(t, http.StatusOK)
			env.Get("/v1/me", rotated.AccessToken).Expect(t, http.StatusOK)
			env.Post("/v1/auth/refresh", "", map[string]any{"refresh_token": tk.RefreshToken}).Expect(t, http.StatusUnauthorized)
			env.Get("/v1/me", rotated.AccessToken).Expect(t, http.StatusUnauthorized)
		}, false},
		{"refresh token expired", func(t *testing.T, env *apitest.Env, _, _ apitest.User, tk api.AuthTokens) {
			err := env.DB.Model(&models.RefreshToken{}).Where("token_hash = ?", auth.HashRefreshToken(tk.RefreshToken)).
				Update("expires_at", env.App.Now().Add(-time.Second)).Error
			if err != nil {
				t.Fatal(err)
			}
		}, false},
		{"password changed", func(t *testing.T, env *apitest.Env, p, _ apitest.User, tk api.AuthTokens) {
			env.Post("/v1/me/password", tk.AccessToken, map[string]any{"current_password": apitest.FixturePassword, "new_password": "a-brand-new-passphrase"}).
				Expect(t, http.StatusNoContent)
		}, true},
		{"password reset by an admin", func(t *testing.T, env *apitest.Env, p, admin apitest.User, _ api.AuthTokens) {
			env.Post("/v1/users/"+p.ID.String()+"/password", admin.Token, map[string]any{"new_password": "a-brand-new-passphrase"}).
				Expect(t, http.StatusNoContent)
		}, true},
		{"account erased", func(t *testing.T, env *apitest.Env, _, _ apitest.User, tk api.AuthTokens) {
			env.Post("/v1/me/erase", tk.AccessToken, map[string]any{"password": apitest.FixturePassword}).
				Expect(t, http.StatusNoContent)
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := apitest.New(t)
			p, admin := env.Patient("Pat"), env.Admin()
			tk := tokens(t, login(env, p.Email, apitest.FixturePassword).Expect(t, http.StatusOK))
			env.Get("/v1/me", tk.AccessToken).Expect(t, http.StatusOK)

			tc.end(t, env, p, admin, tk)

			r := env.Get("/v1/me", tk.AccessToken).Expect(t, http.StatusUnauthorized)
			r.Problem(t)
			if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Fatalf("WWW-Authenticate = %q", r.Header.Get("WWW-Authenticate"))
			}
			other := http.StatusOK
			if tc.allLogins {
				other = http.StatusUnauthorized
			}
			env.Get("/v1/me", p.Token).Expect(t, other)
		})
	}
}
