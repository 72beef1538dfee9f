package handlers

import (
	"github.com/ketacare/api/internal/api"
	"github.com/ketacare/api/internal/models"
)

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
