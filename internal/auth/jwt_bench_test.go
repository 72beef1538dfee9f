package auth_test

import (
	"testing"

	"github.com/google/uuid"

	"github.com/ketacare/api/internal/auth"
	"github.com/ketacare/api/internal/clock"
	"github.com/ketacare/api/internal/models"
)

// BenchmarkVerify checks an access token, as every authenticated request
// does once.
func BenchmarkVerify(b *testing.B) {
	s := auth.NewSigner(clock.System, "benchmark-secret-of-at-least-32-bytes!!", "an-earlier-secret-still-accepted-32b!")
	token, err := s.Issue(uuid.Must(uuid.NewV7()), models.RolePatient, uuid.Must(uuid.NewV7()))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Verify(token); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIssue signs an access token, as every sign-in and refresh does.
func BenchmarkIssue(b *testing.B) {
	s := auth.NewSigner(clock.System, "benchmark-secret-of-at-least-32-bytes!!")
	id := uuid.Must(uuid.NewV7())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Issue(id, models.RolePatient, id); err != nil {
			b.Fatal(err)
		}
	}
}
