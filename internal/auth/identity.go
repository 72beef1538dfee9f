// Package auth issues and verifies access tokens, hashes passwords and makes
// refresh tokens. It also carries the caller's identity in a request context.
package auth

import (
	"context"

	"github.com/google/uuid"
)

// Identity is the authenticated caller, as the access token states it.
type Identity struct {
	UserID uuid.UUID
	Role   string
	// LoginID is the login (refresh-token family) the token was issued for.
	LoginID uuid.UUID
}

type identityKey struct{}

// WithIdentity returns a context carrying id. Strict handlers receive the
// request's context, not Echo's, so the identity must live here.
func WithIdentity(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, identityKey{}, id)
}

// FromContext returns the caller's identity, and false for anonymous calls.
func FromContext(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(identityKey{}).(Identity)
	return id, ok
}
