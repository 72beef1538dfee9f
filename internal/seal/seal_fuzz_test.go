package seal_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/ketacare/api/internal/seal"
)

// FuzzSeal: any plaintext and binding round-trips; any other bytes, or the
// right bytes under another binding, fail to open with ErrOpen, never
// garbage and never a panic.
func FuzzSeal(f *testing.F) {
	key, err := seal.NewKey()
	if err != nil {
		f.Fatal(err)
	}
	k, err := seal.NewKeyring(key)
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte("What did I learn about myself?"), []byte("journal_entries/body/1"), []byte{})
	f.Add([]byte{}, []byte{}, []byte{0, 1, 2})
	f.Add([]byte("x"), []byte("a"), bytes.Repeat([]byte{0xff}, 40))
	f.Fuzz(func(t *testing.T, plaintext, ad, junk []byte) {
		sealed, err := k.Seal(plaintext, ad)
		if err != nil {
			t.Fatal(err)
		}
		got, err := k.Open(k.CurrentKeyID(), sealed, ad)
		if err != nil || !bytes.Equal(got, plaintext) {
			t.Fatalf("round trip: %v", err)
		}
		if _, err := k.Open(k.CurrentKeyID(), sealed, append(append([]byte{}, ad...), '!')); !errors.Is(err, seal.ErrOpen) {
			t.Fatalf("another binding opened: %v", err)
		}
		if out, err := k.Open(k.CurrentKeyID(), junk, ad); !errors.Is(err, seal.ErrOpen) {
			t.Fatalf("junk %x opened to %q (%v)", junk, out, err)
		}
		if _, err := k.Open("no-such-key", sealed, ad); !errors.Is(err, seal.ErrUnknownKey) {
			t.Fatalf("an unknown key id: %v", err)
		}
	})
}
