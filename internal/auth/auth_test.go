package auth_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/ketacare/api/internal/apperr"
	"github.com/ketacare/api/internal/auth"
	"github.com/ketacare/api/internal/clock"
)

func TestKeyRotation(t *testing.T) {
	oldKey, newKey := strings.Repeat("o", 40), strings.Repeat("n", 40)
	id, login := uuid.New(), uuid.New()
	oldToken, err := auth.NewSigner(clock.System, oldKey).Issue(id, "patient", login)
	if err != nil {
		t.Fatal(err)
	}
	rotated := auth.NewSigner(clock.System, newKey, oldKey)
	got, err := rotated.Verify(oldToken)
	if err != nil || got.UserID != id || got.Role != "patient" || got.LoginID != login {
		t.Fatalf("a token of the previous key must still verify: %v %+v", err, got)
	}
	if _, err := auth.NewSigner(clock.System, newKey).Verify(oldToken); !apperr.Is(err, apperr.Unauthorized) {
		t.Fatalf("a retired key must not verify: %v", err)
	}
}

func TestPasswords(t *testing.T) {
	h := auth.NewHasher(2)
	ctx := context.Background()
	hash, err := h.Hash(ctx, "a-decent-passphrase")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash parameters below OWASP's minimum: %s", hash)
	}
	for pw, want := range map[string]bool{"a-decent-passphrase": true, "a-decent-passphrasE": false, "": false} {
		if ok, err := h.Verify(ctx, pw, hash); err != nil || ok != want {
			t.Fatalf("Verify(%q) = %v, %v", pw, ok, err)
		}
	}
	if ok, _ := h.Verify(ctx, "anything-at-all", ""); ok {
		t.Fatal("an unknown account must never verify")
	}
}
