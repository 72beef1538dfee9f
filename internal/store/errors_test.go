package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/ketacare/api/internal/apperr"
	"github.com/ketacare/api/internal/clock"
	"github.com/ketacare/api/internal/store"
)

// TestInternalErrorsSayWhere: an error the store cannot classify reaches
// the log naming the store call that failed.
func TestInternalErrorsSayWhere(t *testing.T) {
	db := openUnmigrated(t)
	s := store.New(db, testKeys(t), clock.System)
	// No migrations: the users table does not exist.
	_, err := s.UserByID(context.Background(), uuid.New())
	if apperr.CodeOf(err) != apperr.Internal || !strings.Contains(err.Error(), "store.(*Store).UserByID") {
		t.Fatalf("got %v; want an internal error naming store.(*Store).UserByID", err)
	}
	_, err = s.PatientExists(context.Background(), uuid.New())
	if !strings.Contains(err.Error(), "store.(*Store).PatientExists") {
		t.Fatalf("got %v; want it to name store.(*Store).PatientExists", err)
	}
}
