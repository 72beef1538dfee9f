package store

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ketacare/api/internal/apperr"
)

// FuzzParseSyncToken: whatever a client sends as since is a token of its
// own account, Invalid (400) or expired (410); never a panic, never another
// account's position.
func FuzzParseSyncToken(f *testing.F) {
	me := uuid.MustParse("0192f5a8-6a2b-7c3d-9e4f-1a2b3c4d5e6f")
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	f.Add(SyncToken{PatientID: me, Seq: 42, IssuedAt: now.Add(-time.Hour)}.String())
	f.Add(SyncToken{PatientID: uuid.New(), Seq: 1, IssuedAt: now}.String())
	f.Add("")
	f.Add("e30")
	f.Add("eyJwIjoiMDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAwIiwicyI6LTF9")
	f.Fuzz(func(t *testing.T, raw string) {
		tok, err := ParseSyncToken(raw, me, now)
		if err != nil {
			if !apperr.Is(err, apperr.Invalid) && !apperr.Is(err, apperr.Gone) {
				t.Fatalf("%q: %v is neither Invalid nor Gone", raw, err)
			}
			return
		}
		if tok.PatientID != me || tok.Seq < 0 || tok.IssuedAt.Before(now.Add(-SyncRetention)) {
			t.Fatalf("%q parsed to a position it must not: %+v", raw, tok)
		}
	})
}
