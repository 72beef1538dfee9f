package handlers

import (
	"context"
	"time"

	"github.com/ketacare/api/internal/api"
	"github.com/ketacare/api/internal/apperr"
	"github.com/ketacare/api/internal/store"
)

// GetMe returns the signed-in user.
func (s *Server) GetMe(ctx context.Context, req api.GetMeRequestObject) (api.GetMeResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	u, err := s.Store.UserByID(ctx, id.UserID)
	if err != nil {
		return nil, err
	}
	tag := ETag(u.ID, u.Version)
	if notModified(req.Params.IfNoneMatch, tag) {
		return api.GetMe304Response{Headers: api.NotModifiedResponseHeaders{ETag: &tag}}, nil
	}
	return api.GetMe200JSONResponse{Body: toUser(u), Headers: api.GetMe200ResponseHeaders{ETag: &tag}}, nil
}

// UpdateMe changes the signed-in user's display name or timezone.
func (s *Server) UpdateMe(ctx context.Context, req api.UpdateMeRequestObject) (api.UpdateMeResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if tz := req.Body.Timezone; tz != nil {
		if err := checkTimezone("timezone", *tz); err != nil {
			return nil, err
		}
	}
	u, err := s.Store.UpdateUser(ctx, id.UserID, ifMatch(req.Params.IfMatch, id.UserID), store.UserChanges{DisplayName: req.Body.DisplayName, Timezone: req.Body.Timezone})
	if err != nil {
		return nil, err
	}
	tag := ETag(u.ID, u.Version)
	return api.UpdateMe200JSONResponse{Body: toUser(u), Headers: api.UpdateMe200ResponseHeaders{ETag: &tag}}, nil
}

// checkTimezone accepts IANA zone names only; "Local" and "" would silently
// mean the server's zone.
func checkTimezone(field, tz string) error {
	if tz == "Local" || tz == "" {
		return apperr.Field(field, "is not an IANA time zone name")
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return apperr.Field(field, "is not an IANA time zone name")
	}
	return nil
}

// checkBirthDate refuses dates of birth in the future or implausibly long ago.
func checkBirthDate(d, now time.Time) error {
	if d.After(now) || d.Year() < 1900 {
		return apperr.Field("date_of_birth", "must be a past date after 1900")
	}
	return nil
}
