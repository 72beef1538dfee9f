package handlers

import (
	"context"

	"github.com/ketacare/api/internal/api"
	"github.com/ketacare/api/internal/apperr"
	"github.com/ketacare/api/internal/auth"
	"github.com/ketacare/api/internal/models"
	"github.com/ketacare/api/internal/reqctx"
)

// ChangePassword sets a new password after checking the current one,
// throttled like a sign-in.
func (s *Server) ChangePassword(ctx context.Context, req api.ChangePasswordRequestObject) (api.ChangePasswordResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	u, err := s.Store.UserByID(ctx, id.UserID)
	if err != nil {
		return nil, err
	}
	if err := s.confirmPassword(ctx, u, req.Body.CurrentPassword, "current_password"); err != nil {
		return nil, err
	}
	if err := s.setPassword(ctx, u, req.Body.NewPassword); err != nil {
		return nil, err
	}
	return api.ChangePassword204Response{}, nil
}

// ResetPassword lets an admin set a clinician's or patient's password.
func (s *Server) ResetPassword(ctx context.Context, req api.ResetPasswordRequestObject) (api.ResetPasswordResponseObject, error) {
	u, err := s.Store.UserByID(ctx, req.UserID)
	if err != nil {
		return nil, err
	}
	if u.Role == models.RoleAdmin {
		return nil, apperr.New(apperr.Forbidden, "Admins change their own password with /v1/me/password.")
	}
	if err := s.setPassword(ctx, u, req.Body.NewPassword); err != nil {
		return nil, err
	}
	if u.Role == models.RolePatient {
		reqctx.NoteAccess(ctx, u.ID)
	}
	return api.ResetPassword204Response{}, nil
}

func (s *Server) setPassword(ctx context.Context, u models.User, password string) error {
	if err := auth.CheckPolicy("new_password", password, auth.Owner{Email: u.Email, Name: u.DisplayName}); err != nil {
		return err
	}
	hash, err := s.Hasher.Hash(ctx, password)
	if err != nil {
		return err
	}
	return s.Store.SetPassword(ctx, u.ID, hash)
}
