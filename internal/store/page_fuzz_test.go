package store

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ketacare/api/internal/apperr"
)

// FuzzDecodeCursor: any string a client sends as a cursor is either a cursor
// this API issued or an Invalid error naming query.cursor; never a panic.
func FuzzDecodeCursor(f *testing.F) {
	f.Add(encodeCursor(time.Date(2026, 11, 26, 9, 30, 0, 123456000, time.UTC), uuid.MustParse("0192f5a8-6a2b-7c3d-9e4f-1a2b3c4d5e6f")))
	f.Add("")
	f.Add("bm90LWEtY3Vyc29y")
	f.Add("eyJ0IjoiMjAyNi0xMS0yNlQwOTozMDowMFoiLCJpIjoiIn0")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := decodeCursor(s)
		if err != nil {
			if !apperr.Is(err, apperr.Invalid) {
				t.Fatalf("cursor %q: %v is not an Invalid error", s, err)
			}
			return
		}
		if c.ID == uuid.Nil || c.CreatedAt.IsZero() {
			t.Fatalf("cursor %q decoded to an empty position", s)
		}
		again, err := decodeCursor(encodeCursor(c.CreatedAt, c.ID))
		if err != nil || again.ID != c.ID || !again.CreatedAt.Equal(c.CreatedAt) {
			t.Fatalf("cursor %q does not round-trip", s)
		}
	})
}
