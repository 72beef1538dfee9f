package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/ketacare/api/internal/apperr"
	"github.com/ketacare/api/internal/clock"
)

// Access tokens' fixed claims.
const (
	Issuer         = "ketacare-api"
	Audience       = "ketacare-app"
	AccessTokenTTL = 15 * time.Minute
)

// Claims are the access token's claims. SessionID (sid, as in OpenID
// Connect) names the login the token was issued for: the family of its
// refresh tokens. Revoking the login refuses its access tokens at once.
type Claims struct {
	Role      string `json:"role"`
	SessionID string `json:"sid"`
	jwt.RegisteredClaims
}

// Signer signs access tokens with the current key and verifies tokens signed
// with it or with any previous key, so secrets can rotate without signing
// everybody out.
type Signer struct {
	currentKID string
	keys       map[string][]byte
	parser     *jwt.Parser
	now        func() time.Time
}

// NewSigner returns a signer for the current secret and previous ones that
// reads the time (a token's iat and exp, and whether it has expired) from now.
func NewSigner(now func() time.Time, current string, previous ...string) *Signer {
	s := &Signer{keys: map[string][]byte{}, now: now}
	s.currentKID = KeyID(current)
	s.keys[s.currentKID] = []byte(current)
	for _, p := range previous {
		s.keys[KeyID(p)] = []byte(p)
	}
	s.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(Issuer),
		jwt.WithAudience(Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(clock.InstanceSkew),
		jwt.WithTimeFunc(func() time.Time { return s.now() }),
	)
	return s
}

// KeyID names a secret without revealing it: the kid header of tokens it signs.
func KeyID(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:8])
}

// Issue returns a signed access token for the user's login.
func (s *Signer) Issue(userID uuid.UUID, role string, login uuid.UUID) (string, error) {
	return s.IssueAt(userID, role, login, s.now())
}

// IssueAt returns an access token issued at the given time. Tests use it to
// make expired tokens with the real signer.
func (s *Signer) IssueAt(userID uuid.UUID, role string, login uuid.UUID, at time.Time) (string, error) {
	claims := Claims{
		Role:      role,
		SessionID: login.String(),
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   userID.String(),
			Issuer:    Issuer,
			Audience:  jwt.ClaimStrings{Audience},
			IssuedAt:  jwt.NewNumericDate(at),
			ExpiresAt: jwt.NewNumericDate(at.Add(AccessTokenTTL)),
			ID:        uuid.NewString(),
		},
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	tok.Header["kid"] = s.currentKID
	return tok.SignedString(s.keys[s.currentKID])
}

// Verify checks the token's signature, algorithm, issuer, audience and
// expiry, and returns the identity it carries.
func (s *Signer) Verify(token string) (Identity, error) {
	var claims Claims
	_, err := s.parser.ParseWithClaims(token, &claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		key, ok := s.keys[kid]
		if !ok {
			return nil, errors.New("unknown key id")
		}
		return key, nil
	})
	if err != nil {
		msg := "The access token is invalid."
		if errors.Is(err, jwt.ErrTokenExpired) {
			msg = "The access token has expired."
		}
		return Identity{}, &apperr.Error{Code: apperr.Unauthorized, Message: msg, Err: err}
	}
	id, err := uuid.Parse(claims.Subject)
	if err != nil || claims.Role == "" {
		return Identity{}, &apperr.Error{Code: apperr.Unauthorized, Message: "The access token is invalid.", Err: fmt.Errorf("bad subject or role")}
	}
	// Tokens issued before logins were named carry no sid: they are refused,
	// and the app refreshes, which names the login.
	login, err := uuid.Parse(claims.SessionID)
	if err != nil {
		return Identity{}, &apperr.Error{Code: apperr.Unauthorized, Message: "The access token is invalid.", Err: fmt.Errorf("bad sid")}
	}
	return Identity{UserID: id, Role: claims.Role, LoginID: login}, nil
}
