package auth

import (
	"context"
	"runtime"

	"github.com/alexedwards/argon2id"
)

// params are OWASP's argon2id minimum (m=19 MiB, t=2, p=1).
var params = &argon2id.Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// Hasher hashes and checks passwords with argon2id. Each hash takes 19 MiB,
// so only a few run at once: a burst of logins queues instead of exhausting
// memory.
type Hasher struct {
	slots chan struct{}
	dummy string
}

// NewHasher returns a hasher running at most concurrency hashes at a time.
func NewHasher(concurrency int) *Hasher {
	h := &Hasher{slots: make(chan struct{}, concurrency)}
	// A real hash to compare against when an email is unknown, so that such a
	// login takes as long as a wrong password.
	h.dummy, _ = argon2id.CreateHash("not-a-real-password-0", params)
	return h
}

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// release frees the slot, then collects the hash's 19 MiB block at once.
// Left to the collector's pacing, that garbage lets the heap double before
// the next collection, and a burst of logins lifts the resident set by tens
// of megabytes; a collection per hash costs far less than the hash itself.
func (h *Hasher) release() {
	<-h.slots
	runtime.GC()
}

// Hash returns the PHC-encoded argon2id hash of password.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	return argon2id.CreateHash(password, params)
}

// Verify reports whether password matches hash. An empty hash stands for an
// unknown account: the work is done anyway and the answer is false.
func (h *Hasher) Verify(ctx context.Context, password, hash string) (bool, error) {
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	defer h.release()
	if hash == "" {
		_, err := argon2id.ComparePasswordAndHash(password, h.dummy)
		return false, err
	}
	return argon2id.ComparePasswordAndHash(password, hash)
}
