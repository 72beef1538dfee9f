// Package accounts holds what happens to an account outside any one
// request: the first admin made at start, and a new login. The HTTP
// operations, the test harness and the demo seeder share it, so none of
// them needs the others.
package accounts

import (
	"context"
	"errors"
	"time"

	"github.com/ketacare/api/internal/apperr"
	"github.com/ketacare/api/internal/auth"
	"github.com/ketacare/api/internal/models"
	"github.com/ketacare/api/internal/store"
)

// SignIn starts a new login for u: it stores the first refresh token of a
// new family and signs an access token naming that family as its sid. Sign-in, the test harness and the demo seeder all start logins here;
// now is the service's clock, which the refresh token expires by.
func SignIn(ctx context.Context, st *store.Store, signer *auth.Signer, u models.User, now time.Time) (access, refresh string, err error) {
	refresh, hash := auth.NewRefreshToken()
	rt := models.RefreshToken{UserID: u.ID, TokenHash: hash, ExpiresAt: now.Add(auth.RefreshTokenTTL)}
	if err := st.CreateRefreshToken(ctx, &rt); err != nil {
		return "", "", err
	}
	access, err = signer.Issue(u.ID, u.Role, rt.FamilyID)
	if err != nil {
		return "", "", err
	}
	return access, refresh, nil
}

// AdminDisplayName is the name of the first admin, made by EnsureAdmin.
const AdminDisplayName = "Clinic admin"

// EnsureAdmin creates the first admin from ADMIN_EMAIL and ADMIN_PASSWORD
// when the clinic has no admin yet. It reports whether it created one.
func EnsureAdmin(ctx context.Context, st *store.Store, h *auth.Hasher, email, password string) (bool, error) {
	if email == "" {
		return false, nil
	}
	exists, err := st.AdminExists(ctx)
	if err != nil || exists {
		return false, err
	}
	if err := auth.CheckPolicy("ADMIN_PASSWORD", password, auth.Owner{Email: email, Name: AdminDisplayName}); err != nil {
		var ae *apperr.Error
		if errors.As(err, &ae) && len(ae.Fields) > 0 {
			return false, errors.New("config: ADMIN_PASSWORD: " + ae.Fields[0].Reason)
		}
		return false, err
	}
	hash, err := h.Hash(ctx, password)
	if err != nil {
		return false, err
	}
	u := models.User{Email: email, DisplayName: AdminDisplayName, Role: models.RoleAdmin, PasswordHash: hash}
	if err := st.CreateUser(ctx, &u); err != nil {
		return false, err
	}
	return true, nil
}
