package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ketacare/api/internal/apitest"
	"github.com/ketacare/api/internal/clock"
	"github.com/ketacare/api/internal/config"
	"github.com/ketacare/api/internal/throttle"
)

// travel moves the service's clock, which the throttle reads, forward by d,
// so that waiting out a back-off takes no real time.
func travel(clk *clock.Replay, d time.Duration) {
	clk.Set(clk.Now().Add(d))
}

// behindProxy is a service that believes X-Forwarded-For from the test
// client, so that tests can speak from many addresses, on a clock the test
// can move on (travel).
func behindProxy(t *testing.T) (*apitest.Env, *clock.Replay) {
	clk := &clock.Replay{}
	return apitest.NewWithClock(t, clk.Now, func(c *config.Config) { c.TrustedProxies = []string{"127.0.0.1"} }), clk
}

// loginFrom signs in from the client address from.
func loginFrom(env *apitest.Env, from, email, password string) *apitest.Response {
	env.T.Helper()
	return env.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/auth/login", Header: http.Header{"X-Forwarded-For": {from}},
		Body: map[string]any{"email": email, "password": password}})
}

// retryAfter is a 429's Retry-After in seconds, failing the test when the
// answer is not a 429 problem with one.
func retryAfter(t *testing.T, r *apitest.Response) int {
	t.Helper()
	r.Expect(t, http.StatusTooManyRequests).Problem(t)
	s, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || s < 1 {
		t.Fatalf("Retry-After = %q", r.Header.Get("Retry-After"))
	}
	return s
}

// TestParallelGuessesAreCountedBeforeHashing: 40 wrong passwords sent at
// once for one account, at sign-in or to confirm a password change or an
// erasure with a stolen access token, are each counted before the password
// is checked, so at most a handful are checked at all; the rest get 429
// without any hashing, and nothing changes.
func TestParallelGuessesAreCountedBeforeHashing(t *testing.T) {
	for _, tc := range []struct {
		name  string
		send  func(env *apitest.Env, p apitest.User, password string) *apitest.Response
		wrong int
	}{
		{"login", func(env *apitest.Env, p apitest.User, pw string) *apitest.Response {
			return login(env, p.Email, pw)
		}, http.StatusUnauthorized},
		{"password change", func(env *apitest.Env, p apitest.User, pw string) *apitest.Response {
			return env.Post("/v1/me/password", p.Token, map[string]any{"current_password": pw, "new_password": "a-brand-new-passphrase"})
		}, http.StatusBadRequest},
		{"erasure", func(env *apitest.Env, p apitest.User, pw string) *apitest.Response {
			return env.Post("/v1/me/erase", p.Token, map[string]any{"password": pw})
		}, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := apitest.New(t)
			p := env.Patient("Pat")
			before := passwordHash(t, env, p.ID)
			statuses := make([]int, 40)
			var wg sync.WaitGroup
			for i := range statuses {
				wg.Go(func() {
					r := tc.send(env.For(t), p, fmt.Sprintf("wrong-guess-number-%d", i))
					if r.Status == http.StatusTooManyRequests && r.Header.Get("Retry-After") == "" {
						t.Error("429 without Retry-After")
					}
					statuses[i] = r.Status
				})
			}
			wg.Wait()
			checked := 0
			for _, s := range statuses {
				switch s {
				case http.StatusTooManyRequests:
				case tc.wrong:
					checked++
				default:
					t.Fatalf("statuses %v: %d is neither %d nor 429", statuses, s, tc.wrong)
				}
			}
			if checked < 1 || checked > 10 {
				t.Fatalf("%d of 40 parallel guesses were checked, want 1 to 10: %v", checked, statuses)
			}
			env.Get("/v1/me", p.Token).Expect(t, http.StatusOK)
			if passwordHash(t, env, p.ID) != before {
				t.Fatal("the password changed")
			}
		})
	}
}

// TestNoLockoutOfTheInnocent: failures for one account from an address
// shared by many (a clinic's Wi-Fi, a carrier's address) slow that account
// only: another account's right password from the same address signs in,
// and another's typo is an ordinary 401.
func TestNoLockoutOfTheInnocent(t *testing.T) {
	t.Parallel()
	env, clk := behindProxy(t)
	register(env, "ana@example.com", "ana-decent-passphrase", "Ana").Expect(t, http.StatusCreated)
	register(env, "ben@example.com", "ben-decent-passphrase", "Ben").Expect(t, http.StatusCreated)
	const clinicWiFi = "203.0.113.9"

	// Eight failures for Ana, waiting out her back-off between the last ones.
	for range throttle.AccountFree {
		loginFrom(env, clinicWiFi, "ana@example.com", "wrong-passphrase").Expect(t, http.StatusUnauthorized)
	}
	for range 8 - throttle.AccountFree {
		travel(clk, time.Duration(retryAfter(t, loginFrom(env, clinicWiFi, "ana@example.com", "wrong-passphrase")))*time.Second)
		loginFrom(env, clinicWiFi, "ana@example.com", "wrong-passphrase").Expect(t, http.StatusUnauthorized)
	}
	// Ana's account is slowed...
	retryAfter(t, loginFrom(env, clinicWiFi, "ana@example.com", "ana-decent-passphrase"))
	// ...but not the address: Ben signs in, and a typo of his is a 401.
	loginFrom(env, clinicWiFi, "ben@example.com", "ben-decent-passphrase").Expect(t, http.StatusOK)
	loginFrom(env, clinicWiFi, "ben@example.com", "ben-wrong-passphrase").Expect(t, http.StatusUnauthorized)
	loginFrom(env, clinicWiFi, "ben@example.com", "ben-decent-passphrase").Expect(t, http.StatusOK)
}

// TestOwnerBackOffIsCapped: a guesser who keeps going slows the account to
// one attempt per five minutes at most, never more, so the owner waits at
// most that long; a device already signed in keeps refreshing its tokens
// meanwhile; and the owner's success clears the count.
func TestOwnerBackOffIsCapped(t *testing.T) {
	t.Parallel()
	env, clk := behindProxy(t)
	phone := tokens(t, register(env, "ola@example.com", "ola-decent-passphrase", "Ola").Expect(t, http.StatusCreated))
	for i := range throttle.AccountFree {
		loginFrom(env, fmt.Sprintf("198.51.100.%d", i+1), "ola@example.com", "wrong-passphrase").Expect(t, http.StatusUnauthorized)
	}
	// The guesser fails again each time the wait is over; the owner, trying
	// in between, is told to wait 30 s, 1, 2, 4, then 5 minutes, no longer.
	for i, want := range []int{30, 60, 120, 240, 300, 300, 300} {
		if got := retryAfter(t, loginFrom(env, "192.0.2.1", "ola@example.com", "ola-decent-passphrase")); got != want {
			t.Fatalf("after %d failures the owner waits %d s, want %d", throttle.AccountFree+i, got, want)
		}
		travel(clk, time.Duration(want)*time.Second)
		loginFrom(env, fmt.Sprintf("198.51.100.%d", 50+i), "ola@example.com", "wrong-passphrase").Expect(t, http.StatusUnauthorized)
	}
	// The phone, signed in before, keeps working through it all.
	phone = tokens(t, env.Post("/v1/auth/refresh", "", map[string]any{"refresh_token": phone.RefreshToken}).Expect(t, http.StatusOK))
	env.Get("/v1/me", phone.AccessToken).Expect(t, http.StatusOK)

	travel(clk, throttle.AccountMaxDelay)
	loginFrom(env, "192.0.2.1", "ola@example.com", "ola-decent-passphrase").Expect(t, http.StatusOK)
	// The success cleared the count: a typo is a 401 again, not a wait.
	loginFrom(env, "192.0.2.1", "ola@example.com", "wrong-passphrase").Expect(t, http.StatusUnauthorized)
	loginFrom(env, "192.0.2.1", "ola@example.com", "ola-decent-passphrase").Expect(t, http.StatusOK)
}

// TestAddressLimit: an address with AddressLimit failures in 15 minutes,
// across any accounts, is slowed, that address only, until its failures
// age out; below the limit it is not slowed at all.
func TestAddressLimit(t *testing.T) {
	t.Parallel()
	env, clk := behindProxy(t)
	register(env, "kim@example.com", "kim-decent-passphrase", "Kim").Expect(t, http.StatusCreated)
	const busy = "203.0.113.77"
	// All but one of the failures are counted straight in the store, as a
	// login would count them: the argon2id hashes of a hundred real logins
	// take minutes under the race detector.
	ctx := context.Background()
	for range throttle.AddressLimit - 1 {
		_, wait, err := env.App.Store.ReserveAttempt(ctx, []throttle.Key{env.App.ThrottleKeys.Address(busy)}, clk.Now())
		if err != nil || wait != 0 {
			t.Fatalf("reserve: %v, %v", wait, err)
		}
	}
	// One short of the limit the address is not slowed, and a success does
	// not count against it.
	loginFrom(env, busy, "kim@example.com", "kim-decent-passphrase").Expect(t, http.StatusOK)
	loginFrom(env, busy, "kim@example.com", "kim-decent-passphrase").Expect(t, http.StatusOK)
	// The failure that reaches the limit, from someone else.
	loginFrom(env, busy, "someone@example.com", "wrong-passphrase").Expect(t, http.StatusUnauthorized)

	// Now the address waits, even with the right password, for at most the
	// window; another address does not.
	if s := retryAfter(t, loginFrom(env, busy, "kim@example.com", "kim-decent-passphrase")); s > int(throttle.AddressWindow/time.Second) {
		t.Fatalf("Retry-After %d s is longer than the window", s)
	}
	loginFrom(env, "203.0.113.78", "kim@example.com", "kim-decent-passphrase").Expect(t, http.StatusOK)
	// Once the failures age out, the address is served again.
	travel(clk, throttle.AddressWindow)
	loginFrom(env, busy, "kim@example.com", "kim-decent-passphrase").Expect(t, http.StatusOK)
}

// TestThrottleStoresNoEmailOrAddress: the throttle's table holds keyed
// hashes, never an email (not even of an account that does not exist) nor a
// client address, and keeps no row past the longest window.
func TestThrottleStoresNoEmailOrAddress(t *testing.T) {
	t.Parallel()
	env, clk := behindProxy(t)
	register(env, "Real.Person@example.com", "a-decent-passphrase", "Real").Expect(t, http.StatusCreated)
	loginFrom(env, "198.51.100.23", "real.person@example.com", "wrong-passphrase").Expect(t, http.StatusUnauthorized)
	loginFrom(env, "2001:db8::17", "no.such.person@example.com", "wrong-passphrase").Expect(t, http.StatusUnauthorized)

	rows := rawRows(t, env, "login_failures")
	if len(rows) != 4 {
		t.Fatalf("%d rows, want 4 (an account and an address per failure)", len(rows))
	}
	hexKey := regexp.MustCompile(`^[0-9a-f]{64}$`)
	for _, row := range rows {
		text := strings.ToLower(rawText(row))
		for _, secret := range []string{"real.person", "no.such.person", "example.com", "198.51.100.23", "2001:db8::17", "@"} {
			if strings.Contains(text, secret) {
				t.Fatalf("row %v holds %q", row, secret)
			}
		}
		if k := fmt.Sprint(row["throttle_key"]); !hexKey.MatchString(k) {
			t.Fatalf("throttle key %q is not a keyed hash", k)
		}
	}

	// Pruning forgets the rows past the longest window, and only those.
	travel(clk, throttle.Retention-time.Minute)
	loginFrom(env, "198.51.100.23", "real.person@example.com", "wrong-passphrase").Expect(t, http.StatusUnauthorized)
	travel(clk, 2*time.Minute)
	n, err := env.App.Store.PruneLoginFailures(context.Background(), clk.Now().Add(-throttle.Retention))
	if err != nil || n != 4 {
		t.Fatalf("pruned %d, %v; want the first 4", n, err)
	}
	if left := rawRows(t, env, "login_failures"); len(left) != 2 {
		t.Fatalf("%d rows left, want the latest failure's 2", len(left))
	}
}
