package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/ketacare/api/internal/clock"
	"github.com/ketacare/api/internal/models"
	"github.com/ketacare/api/internal/store"
)

// TestPruneIdempotencyKeys deletes the keys made before the cut-off, sealed
// responses and all, and keeps the ones still inside their replay window.
func TestPruneIdempotencyKeys(t *testing.T) {
	db := openUnmigrated(t)
	migrateTo(t, db, 0)
	s := store.New(db, testKeys(t), clock.System)
	pat := newPatient(t, db, "pat")
	now := clock.System()
	status := 201
	for key, made := range map[string]time.Time{"old": now.Add(-store.IdempotencyTTL - time.Minute), "fresh": now} {
		k := models.IdempotencyKey{UserID: pat.ID, IdemKey: key, Fingerprint: "f", Status: &status,
			BodySealed: []byte("sealed"), CreatedAt: made}
		if err := db.Create(&k).Error; err != nil {
			t.Fatal(err)
		}
	}

	n, err := s.PruneIdempotencyKeys(context.Background(), now.Add(-store.IdempotencyTTL))
	if err != nil || n != 1 {
		t.Fatalf("pruned %d, %v; want 1", n, err)
	}
	var left []string
	if err := db.Model(&models.IdempotencyKey{}).Where("user_id = ?", pat.ID).Pluck("idem_key", &left).Error; err != nil {
		t.Fatal(err)
	}
	if len(left) != 1 || left[0] != "fresh" {
		t.Fatalf("keys left %v, want [fresh]", left)
	}
}
