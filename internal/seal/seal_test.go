package seal_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/ketacare/api/internal/seal"
)

func newKey(t *testing.T) string {
	t.Helper()
	k, err := seal.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpens(t *testing.T) {
	k, err := seal.NewKeyring(newKey(t))
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("I felt held by the music for the first time.")
	ad := []byte("journal_entries/body/0192f5a8-6a2b-7c3d-9e4f-1a2b3c4d5e6f")
	a, err := k.Seal(msg, ad)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := k.Seal(msg, ad)
	if bytes.Equal(a, b) {
		t.Fatal("two seals of the same text must differ (fresh nonce each time)")
	}
	if bytes.Contains(a, msg) || bytes.Contains(a, []byte("music")) {
		t.Fatal("the sealed value holds the plaintext")
	}
	got, err := k.Open(k.CurrentKeyID(), a, ad)
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("open: %q, %v", got, err)
	}
	empty, err := k.Seal(nil, ad)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := k.Open(k.CurrentKeyID(), empty, ad); err != nil || len(got) != 0 {
		t.Fatalf("empty plaintext: %q, %v", got, err)
	}
}

func TestOpenRefuses(t *testing.T) {
	k, _ := seal.NewKeyring(newKey(t))
	other, _ := seal.NewKeyring(newKey(t))
	ad := []byte("journal_entries/body/0192f5a8-6a2b-7c3d-9e4f-1a2b3c4d5e6f")
	sealed, _ := k.Seal([]byte("private words"), ad)
	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-20] ^= 0x01
	for _, tc := range []struct {
		name   string
		keys   *seal.Keyring
		keyID  string
		sealed []byte
		ad     string
		want   error
	}{
		{"tampered ciphertext", k, k.CurrentKeyID(), tampered, string(ad), seal.ErrOpen},
		{"another row's id", k, k.CurrentKeyID(), sealed, "journal_entries/body/0192f5a8-6a2b-7c3d-9e4f-1a2b3c4d5e70", seal.ErrOpen},
		{"another field", k, k.CurrentKeyID(), sealed, "journal_entries/title/0192f5a8-6a2b-7c3d-9e4f-1a2b3c4d5e6f", seal.ErrOpen},
		{"truncated", k, k.CurrentKeyID(), sealed[:10], string(ad), seal.ErrOpen},
		{"unknown key id", k, "0000000000000000", sealed, string(ad), seal.ErrUnknownKey},
		{"a different key", other, k.CurrentKeyID(), sealed, string(ad), seal.ErrUnknownKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.keys.Open(tc.keyID, tc.sealed, []byte(tc.ad))
			if !errors.Is(err, tc.want) || got != nil {
				t.Fatalf("want %v and nothing, got %q, %v", tc.want, got, err)
			}
		})
	}
}

func TestRotation(t *testing.T) {
	oldKey, newKeyStr := newKey(t), newKey(t)
	before, _ := seal.NewKeyring(oldKey)
	ad := []byte("goals/title/x")
	sealed, _ := before.Seal([]byte("call my sister weekly"), ad)

	after, err := seal.NewKeyring(newKeyStr, oldKey)
	if err != nil {
		t.Fatal(err)
	}
	if after.CurrentKeyID() == before.CurrentKeyID() {
		t.Fatal("a new key must have a new id")
	}
	if prev := after.PreviousKeyIDs(); len(prev) != 1 || prev[0] != before.CurrentKeyID() || len(before.PreviousKeyIDs()) != 0 {
		t.Fatalf("previous key ids: %v", prev)
	}
	if got, err := after.Open(before.CurrentKeyID(), sealed, ad); err != nil || string(got) != "call my sister weekly" {
		t.Fatalf("the previous key must still open: %q, %v", got, err)
	}
	fresh, _ := after.Seal([]byte("x"), ad)
	if _, err := before.Open(after.CurrentKeyID(), fresh, ad); !errors.Is(err, seal.ErrUnknownKey) {
		t.Fatal("new seals must use the new key")
	}
}

func TestParseKey(t *testing.T) {
	for _, bad := range []string{"", "not base64!", "c2hvcnQ=", strings.Repeat("A", 64)} {
		if _, err := seal.ParseKey(bad); err == nil {
			t.Errorf("%q: want an error", bad)
		}
		if _, err := seal.NewKeyring(bad); err == nil {
			t.Errorf("%q: keyring accepted a bad key", bad)
		}
	}
	k := newKey(t)
	if _, err := seal.ParseKey(" " + k + "\n"); err != nil {
		t.Fatalf("surrounding space must be ignored: %v", err)
	}
	raw, _ := seal.ParseKey(k)
	again, _ := seal.ParseKey(k)
	if seal.KeyID(raw) != seal.KeyID(again) || len(seal.KeyID(raw)) != 16 || strings.Contains(k, seal.KeyID(raw)) {
		t.Fatal("key ids must be stable, 16 hex digits, and not the key")
	}
}
