package web

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ketacare/api/internal/apperr"
	"github.com/ketacare/api/internal/auth"
)

// rateLimiter allows each caller (a user, or an address before sign-in) a
// number of /v1 requests per window, and tells them where they stand with
// the RateLimit-Policy and RateLimit headers (IETF
// draft-ietf-httpapi-ratelimit-headers). Counts are kept per instance: with
// N instances behind a balancer a caller may get up to N times the limit,
// which still bounds abuse; login throttling, which must be exact, is kept
// in the database instead.
type rateLimiter struct {
	limit  int
	window time.Duration
	now    func() time.Time
	signer *auth.Signer

	mu      sync.Mutex
	counts  map[string]*fixedWindow
	sweepAt time.Time
}

type fixedWindow struct {
	start time.Time
	used  int
}

func newRateLimiter(limit int, window time.Duration, signer *auth.Signer, now func() time.Time) *rateLimiter {
	return &rateLimiter{limit: limit, window: window, now: now, signer: signer, counts: map[string]*fixedWindow{}}
}

// take counts one request of key and returns how many remain in its window
// and when the window resets; ok is false when none remained.
func (l *rateLimiter) take(key string) (remaining int, reset time.Duration, ok bool) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.After(l.sweepAt) {
		// Forget finished windows now and then, so idle callers cost nothing.
		for k, w := range l.counts {
			if now.Sub(w.start) >= l.window {
				delete(l.counts, k)
			}
		}
		l.sweepAt = now.Add(l.window)
	}
	w := l.counts[key]
	if w == nil || now.Sub(w.start) >= l.window {
		w = &fixedWindow{start: now}
		l.counts[key] = w
	}
	reset = w.start.Add(l.window).Sub(now)
	if w.used >= l.limit {
		return 0, reset, false
	}
	w.used++
	return l.limit - w.used, reset, true
}

func (l *rateLimiter) handle(next echo.HandlerFunc) echo.HandlerFunc {
	policy := fmt.Sprintf(`"default";q=%d;w=%d`, l.limit, int(l.window/time.Second))
	return func(c echo.Context) error {
		if !strings.HasPrefix(c.Request().URL.Path, "/v1/") {
			return next(c)
		}
		// The limiter runs before the contract check, so it reads the token
		// itself (one HMAC): a valid one counts against its user, anything
		// else against the client's address.
		key := "address:" + c.RealIP()
		if scheme, token, ok := strings.Cut(c.Request().Header.Get(echo.HeaderAuthorization), " "); ok && strings.EqualFold(scheme, "Bearer") {
			if id, err := l.signer.Verify(strings.TrimSpace(token)); err == nil {
				key = "user:" + id.UserID.String()
				c.Set(verifiedTokenKey, id) // spares the contract check a second verification
			}
		}
		remaining, reset, ok := l.take(key)
		seconds := int((reset + time.Second - 1) / time.Second)
		h := c.Response().Header()
		h.Set("RateLimit-Policy", policy)
		h.Set("RateLimit", fmt.Sprintf(`"default";r=%d;t=%d`, remaining, seconds))
		if !ok {
			return &apperr.Error{Code: apperr.TooMany, Message: fmt.Sprintf("More than %d requests in %s; slow down.", l.limit, l.window), RetryAfter: reset}
		}
		return next(c)
	}
}
