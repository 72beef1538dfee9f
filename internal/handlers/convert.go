package handlers

import (
	"github.com/oapi-codegen/nullable"
	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/ketacare/api/internal/api"
	"github.com/ketacare/api/internal/models"
	"github.com/ketacare/api/internal/store"
)

// nextCursor is a page's next_cursor: the cursor, or null on the last page.
func nextCursor(next *string) nullable.Nullable[string] {
	if next == nil {
		return nullable.NewNullNullable[string]()
	}
	return nullable.NewNullableWithValue(*next)
}

// toUser converts a stored user to its API form; the password hash stays behind.
func toUser(u models.User) api.User {
	out := api.User{
		ID:          u.ID,
		Email:       api.Email(u.Email),
		DisplayName: u.DisplayName,
		Role:        api.Role(u.Role),
		Timezone:    u.Timezone,
		CreatedAt:   u.CreatedAt.UTC(),
		UpdatedAt:   u.UpdatedAt.UTC(),
		Version:     u.Version,
	}
	if u.Profession != nil {
		p := api.Profession(*u.Profession)
		out.Profession = &p
	}
	return out
}

func toUsers(us []models.User) []api.User {
	out := make([]api.User, len(us))
	for i, u := range us {
		out[i] = toUser(u)
	}
	return out
}

// toPatient converts a patient's account to their profile.
func toPatient(u models.User) api.Patient {
	out := api.Patient{
		ID:          u.ID,
		Email:       api.Email(u.Email),
		DisplayName: u.DisplayName,
		Timezone:    u.Timezone,
		CreatedAt:   u.CreatedAt.UTC(),
		UpdatedAt:   u.UpdatedAt.UTC(),
		Version:     u.Version,
	}
	if u.DateOfBirth != nil {
		out.DateOfBirth = &openapi_types.Date{Time: *u.DateOfBirth}
	}
	out.DeactivatedAt = utcPtr(u.DeactivatedAt)
	if u.EmergencyContactName != nil {
		out.EmergencyContact = &api.EmergencyContact{
			Name:         *u.EmergencyContactName,
			Phone:        deref(u.EmergencyContactPhone),
			Relationship: deref(u.EmergencyContactRelationship),
		}
	}
	return out
}

func toCareTeamMember(e store.CareTeamEntry) api.CareTeamMember {
	return api.CareTeamMember{
		ClinicianID: e.ClinicianID,
		DisplayName: e.DisplayName,
		Profession:  api.Profession(e.Profession),
		AssignedAt:  e.CreatedAt.UTC(),
	}
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
