package auth_test

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/ketacare/api/internal/apperr"
	"github.com/ketacare/api/internal/auth"
	"github.com/ketacare/api/internal/clock"
)

// FuzzVerify: whatever arrives as a bearer token, Verify either accepts a
// token the signer made or answers Unauthorized; it never panics.
func FuzzVerify(f *testing.F) {
	s := auth.NewSigner(clock.System, strings.Repeat("k", 40))
	valid, err := s.Issue(uuid.New(), "patient", uuid.New())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add("")
	f.Add("a.b.c")
	f.Add("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")
	f.Add(valid[:len(valid)-2])
	f.Fuzz(func(t *testing.T, token string) {
		id, err := s.Verify(token)
		if err != nil {
			if !apperr.Is(err, apperr.Unauthorized) {
				t.Fatalf("%q: %v is not Unauthorized", token, err)
			}
			return
		}
		if id.UserID == uuid.Nil || id.Role == "" || id.LoginID == uuid.Nil {
			t.Fatalf("%q verified to an empty identity", token)
		}
	})
}
