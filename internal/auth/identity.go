// Package auth issues and verifies access tokens, hashes passwords and makes
// refresh tokens.
package auth

import "github.com/google/uuid"

// Identity is the authenticated caller, as the access token states it.
type Identity struct {
	UserID uuid.UUID
	Role   string
	// LoginID is the login (refresh-token family) the token was issued for.
	LoginID uuid.UUID
}
