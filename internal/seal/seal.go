// Package seal encrypts patients' words at rest with AES-256-GCM from the Go
// standard library. Each sealed value carries its own random 96-bit nonce;
// the caller binds it to where it lives (table, column, row id) as
// associated data, so a value copied to another row or field no longer
// opens. Keys rotate: a Keyring seals with its current key and opens with
// any key it holds, named by a key id stored beside the sealed values.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// KeySize is the length of an AES-256 key in bytes.
const KeySize = 32

// nonceSize is GCM's standard 96-bit nonce. Random nonces of this size stay
// safe for about 2^32 seals per key, far beyond a clinic's writes between
// rotations.
const nonceSize = 12

var (
	// ErrUnknownKey means a value was sealed with a key the keyring no longer
	// holds: the key was retired before every row was rewritten.
	ErrUnknownKey = errors.New("seal: sealed with a key that is not configured")
	// ErrOpen means a value failed authentication: it was altered, moved to
	// another row or field, or sealed with a different key of the same id.
	ErrOpen = errors.New("seal: sealed value failed authentication")
)

// Keyring holds the current key, used for every new seal, and earlier keys
// that still open what they sealed.
type Keyring struct {
	current string
	aeads   map[string]cipher.AEAD
}

// ParseKey decodes a key given as standard base64 of 32 bytes, as
// `openssl rand -base64 32` prints it.
func ParseKey(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, errors.New("is not base64")
	}
	if len(b) != KeySize {
		return nil, fmt.Errorf("must decode to %d bytes, not %d", KeySize, len(b))
	}
	return b, nil
}

// NewKey returns a random key encoded as ParseKey reads it.
func NewKey() (string, error) {
	b := make([]byte, KeySize)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// NewKeyring builds a keyring from base64 keys: current seals, and it and
// previous open.
func NewKeyring(current string, previous ...string) (*Keyring, error) {
	k := &Keyring{aeads: make(map[string]cipher.AEAD, 1+len(previous))}
	id, err := k.add(current)
	if err != nil {
		return nil, fmt.Errorf("current key %w", err)
	}
	k.current = id
	for i, p := range previous {
		if _, err := k.add(p); err != nil {
			return nil, fmt.Errorf("previous key %d %w", i+1, err)
		}
	}
	return k, nil
}

func (k *Keyring) add(encoded string) (string, error) {
	key, err := ParseKey(encoded)
	if err != nil {
		return "", err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return "", err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return "", err
	}
	id := KeyID(key)
	k.aeads[id] = aead
	return id, nil
}

// KeyID names a key without revealing it: a truncated HMAC of a fixed label
// under the key, so the same key always has the same id and ids need no
// configuration of their own.
func KeyID(key []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("ketacare data key id"))
	return hex.EncodeToString(m.Sum(nil)[:8])
}

// CurrentKeyID is the id of the key new values are sealed with.
func (k *Keyring) CurrentKeyID() string { return k.current }

// PreviousKeyIDs are the ids of the keys that only open, sorted.
func (k *Keyring) PreviousKeyIDs() []string {
	ids := make([]string, 0, len(k.aeads))
	for id := range k.aeads {
		if id != k.current {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// Seal encrypts plaintext under the current key, bound to ad. The result is
// the nonce followed by the ciphertext and tag; store CurrentKeyID with it.
func (k *Keyring) Seal(plaintext, ad []byte) ([]byte, error) {
	aead := k.aeads[k.current]
	out := make([]byte, nonceSize, nonceSize+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(out); err != nil {
		return nil, fmt.Errorf("seal: nonce: %w", err)
	}
	return aead.Seal(out, out, plaintext, ad), nil
}

// Open decrypts a value Seal returned under the key with the id, checking
// that it is unaltered and bound to ad.
func (k *Keyring) Open(keyID string, sealed, ad []byte) ([]byte, error) {
	aead, ok := k.aeads[keyID]
	if !ok {
		return nil, ErrUnknownKey
	}
	if len(sealed) < nonceSize+aead.Overhead() {
		return nil, ErrOpen
	}
	out, err := aead.Open(nil, sealed[:nonceSize], sealed[nonceSize:], ad)
	if err != nil {
		return nil, ErrOpen
	}
	return out, nil
}
