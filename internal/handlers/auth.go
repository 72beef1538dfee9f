package handlers

import (
	"context"
	"time"

	"github.com/ketacare/api/internal/accounts"
	"github.com/ketacare/api/internal/api"
	"github.com/ketacare/api/internal/apperr"
	"github.com/ketacare/api/internal/auth"
	"github.com/ketacare/api/internal/models"
	"github.com/ketacare/api/internal/reqctx"
	"github.com/ketacare/api/internal/store"
	"github.com/ketacare/api/internal/throttle"
)

// errBadLogin is the single answer to a failed login, whether or not the
// email exists.
var errBadLogin = apperr.New(apperr.Unauthorized, "The email or password is incorrect.")

// Register creates a patient account and signs it in.
func (s *Server) Register(ctx context.Context, req api.RegisterRequestObject) (api.RegisterResponseObject, error) {
	b := req.Body
	if err := auth.CheckPolicy("password", b.Password, auth.Owner{Email: string(b.Email), Name: b.DisplayName}); err != nil {
		return nil, err
	}
	u, err := s.createAccount(ctx, string(b.Email), b.DisplayName, b.Password, models.RolePatient, nil)
	if err != nil {
		return nil, err
	}
	tokens, err := s.issueTokens(ctx, u)
	if err != nil {
		return nil, err
	}
	return api.Register201JSONResponse{Body: tokens}, nil
}

// createAccount hashes the password and stores a new user.
func (s *Server) createAccount(ctx context.Context, email, name, password, role string, profession *string) (models.User, error) {
	hash, err := s.Hasher.Hash(ctx, password)
	if err != nil {
		return models.User{}, err
	}
	u := models.User{Email: email, DisplayName: name, Role: role, Profession: profession, PasswordHash: hash}
	return u, s.Store.CreateUser(ctx, &u)
}

// Login checks the password and returns a new token pair. The attempt is
// counted against the account and the client's address before the password
// is checked (see the throttle package for the rules), in the database so
// the limit holds across instances and parallel requests.
func (s *Server) Login(ctx context.Context, req api.LoginRequestObject) (api.LoginResponseObject, error) {
	keys := []throttle.Key{s.Throttle.Account(store.NormalizeEmail(req.Body.Email)), s.Throttle.Address(reqctx.ClientAddress(ctx))}
	attempt, err := s.reserveAttempt(ctx, keys, "Too many failed sign-ins; wait before trying again.")
	if err != nil {
		return nil, err
	}
	u, err := s.Store.UserByEmail(ctx, req.Body.Email)
	if err != nil && !apperr.Is(err, apperr.NotFound) {
		return nil, err
	}
	// An unknown email is checked against a dummy hash, so it costs the same
	// time as a wrong password and the answer cannot tell them apart.
	ok, err := s.Hasher.Verify(ctx, req.Body.Password, u.PasswordHash)
	if err != nil {
		return nil, err
	}
	// A closed account is refused exactly like a wrong password, after the
	// same work, so the answer does not tell that the account was closed.
	// The reserved attempt stays, counted as a failure.
	if !ok || u.DeactivatedAt != nil {
		return nil, errBadLogin
	}
	if err := s.Store.Succeeded(ctx, attempt); err != nil {
		return nil, err
	}
	tokens, err := s.issueTokens(ctx, u)
	if err != nil {
		return nil, err
	}
	return api.Login200JSONResponse{Body: tokens}, nil
}

// reserveAttempt counts a password attempt against keys before any hashing,
// or refuses it with 429 and Retry-After when a key must still wait.
func (s *Server) reserveAttempt(ctx context.Context, keys []throttle.Key, message string) (store.Attempt, error) {
	attempt, wait, err := s.Store.ReserveAttempt(ctx, keys, s.Now())
	if err != nil {
		return store.Attempt{}, err
	}
	if wait > 0 {
		return store.Attempt{}, &apperr.Error{Code: apperr.TooMany, Message: message, RetryAfter: wait}
	}
	return attempt, nil
}

// RefreshToken rotates a refresh token into a new pair.
func (s *Server) RefreshToken(ctx context.Context, req api.RefreshTokenRequestObject) (api.RefreshTokenResponseObject, error) {
	token, hash := auth.NewRefreshToken()
	next := models.RefreshToken{TokenHash: hash, ExpiresAt: s.Now().Add(auth.RefreshTokenTTL)}
	u, err := s.Store.RotateRefreshToken(ctx, auth.HashRefreshToken(req.Body.RefreshToken), &next)
	if err != nil {
		return nil, err
	}
	access, err := s.Signer.Issue(u.ID, u.Role, next.FamilyID)
	if err != nil {
		return nil, err
	}
	return api.RefreshToken200JSONResponse{Body: tokenPair(access, token, u)}, nil
}

// Logout revokes the refresh token's whole family: the login, whose access
// tokens are refused from then on.
func (s *Server) Logout(ctx context.Context, req api.LogoutRequestObject) (api.LogoutResponseObject, error) {
	if err := s.Store.RevokeRefreshFamily(ctx, auth.HashRefreshToken(req.Body.RefreshToken)); err != nil {
		return nil, err
	}
	return api.Logout204Response{}, nil
}

// issueTokens starts a new login (refresh-token family) for u and returns
// the pair.
func (s *Server) issueTokens(ctx context.Context, u models.User) (api.AuthTokens, error) {
	access, refresh, err := accounts.SignIn(ctx, s.Store, s.Signer, u, s.Now())
	if err != nil {
		return api.AuthTokens{}, err
	}
	return tokenPair(access, refresh, u), nil
}

func tokenPair(access, refresh string, u models.User) api.AuthTokens {
	return api.AuthTokens{
		AccessToken:      access,
		TokenType:        api.Bearer,
		ExpiresIn:        int(auth.AccessTokenTTL / time.Second),
		RefreshToken:     refresh,
		RefreshExpiresIn: int(auth.RefreshTokenTTL / time.Second),
		User:             toUser(u),
	}
}
