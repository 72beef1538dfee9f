package throttle

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
)

// keyInfo names what the derived key is for, so that it differs from any
// other key drawn from the same secret.
const keyInfo = "ketacare throttle keys v1"

// Keyer turns accounts and addresses into the keys their failures are
// stored under: HMAC-SHA256 under a key derived from a secret every
// instance shares, so the table holds no email (not even of an account
// that does not exist) and no address, and a copy of the table cannot be
// matched against a list of emails without the secret.
type Keyer struct {
	key []byte
}

// NewKeyer derives the hashing key from secret with HKDF-SHA256.
func NewKeyer(secret []byte) (*Keyer, error) {
	if len(secret) < 32 {
		return nil, errors.New("throttle: the secret must be at least 32 bytes")
	}
	key, err := hkdf.Key(sha256.New, secret, nil, keyInfo, sha256.Size)
	if err != nil {
		return nil, err
	}
	return &Keyer{key: key}, nil
}

// Account is the key of an account, named by its normalised email.
func (k *Keyer) Account(email string) Key {
	return Key{Kind: Account, Hash: k.hash("account", email)}
}

// Address is the key of a client address.
func (k *Keyer) Address(addr string) Key {
	return Key{Kind: Address, Hash: k.hash("address", addr)}
}

// hash keeps the two kinds apart: the same text as an email and as an
// address gives two keys.
func (k *Keyer) hash(kind, value string) string {
	m := hmac.New(sha256.New, k.key)
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return hex.EncodeToString(m.Sum(nil))
}
