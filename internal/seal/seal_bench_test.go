package seal_test

import (
	"strings"
	"testing"

	"github.com/ketacare/api/internal/seal"
)

// journalBody is a typical journal entry: about 2 KiB of prose.
var journalBody = []byte(strings.Repeat("The music slowed and I could hear my own breathing again. ", 36)[:2048])

// journalAD is bound to each sealed field as the store binds it: table,
// column and row id.
var journalAD = []byte("journal_entries/body/0192f5a8-6a2b-7c3d-9e4f-1a2b3c4d5e6f")

func benchKeyring(b *testing.B) *seal.Keyring {
	b.Helper()
	key, err := seal.NewKey()
	if err != nil {
		b.Fatal(err)
	}
	k, err := seal.NewKeyring(key)
	if err != nil {
		b.Fatal(err)
	}
	return k
}

// BenchmarkSeal encrypts one journal body, as every write of an entry does.
func BenchmarkSeal(b *testing.B) {
	k := benchKeyring(b)
	b.Run("2KiB", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(journalBody)))
		for b.Loop() {
			if _, err := k.Seal(journalBody, journalAD); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkOpen decrypts one journal body, as every read of an entry does.
func BenchmarkOpen(b *testing.B) {
	k := benchKeyring(b)
	sealed, err := k.Seal(journalBody, journalAD)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("2KiB", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(journalBody)))
		for b.Loop() {
			if _, err := k.Open(k.CurrentKeyID(), sealed, journalAD); err != nil {
				b.Fatal(err)
			}
		}
	})
}
