package handlers

import (
	"context"

	"github.com/ketacare/api/internal/api"
	"github.com/ketacare/api/internal/auth"
	"github.com/ketacare/api/internal/models"
	"github.com/ketacare/api/internal/store"
)

// CreateClinician creates a clinician account (admins only, by x-roles).
func (s *Server) CreateClinician(ctx context.Context, req api.CreateClinicianRequestObject) (api.CreateClinicianResponseObject, error) {
	b := req.Body
	if err := auth.CheckPolicy("password", b.Password, auth.Owner{Email: string(b.Email), Name: b.DisplayName}); err != nil {
		return nil, err
	}
	prof := string(b.Profession)
	u, err := s.createAccount(ctx, string(b.Email), b.DisplayName, b.Password, models.RoleClinician, &prof)
	if err != nil {
		return nil, err
	}
	return api.CreateClinician201JSONResponse{Body: toUser(u)}, nil
}

// ListClinicians lists the clinic's clinicians (admins only, by x-roles).
func (s *Server) ListClinicians(ctx context.Context, req api.ListCliniciansRequestObject) (api.ListCliniciansResponseObject, error) {
	users, next, err := s.Store.ListUsers(ctx, models.RoleClinician, listPage(req.Params.Limit, req.Params.Cursor, req.Params.UpdatedSince))
	if err != nil {
		return nil, err
	}
	return api.ListClinicians200JSONResponse{Body: api.UserPage{Items: toUsers(users), NextCursor: nextCursor(next)}}, nil
}

// page turns the list parameters into a store page, with the default size.
func page(limit *int, cursor *string) store.Page {
	p := store.Page{Limit: 50}
	if limit != nil {
		p.Limit = *limit
	}
	if cursor != nil {
		p.Cursor = *cursor
	}
	return p
}
