package config

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
)

// minDistinctBytes is how many different byte values a secret must hold:
// a long secret of few symbols ("aaaa…", "abcabc…") passes a length check
// yet is guessed at once. Random keys pass easily: 32 random bytes hold
// about 30 different values, and fewer than 16 is as likely as guessing
// the key.
const minDistinctBytes = 16

// checkVariety refuses a secret with too little variety. A secret passes
// when its text holds at least minDistinctBytes different bytes (a long
// passphrase), or when it is hex or base64 of at least minRandom bytes of
// which enough differ (a random key: its text may use few symbols, hex only
// sixteen, so the decoded bytes are what count). Up to 32 random bytes
// differ in about all their values; asking for half of them, at most 16,
// refuses only what no random source makes.
func checkVariety(secret string, minRandom int) error {
	if distinct([]byte(secret)) >= minDistinctBytes {
		return nil
	}
	for _, raw := range decodings(strings.TrimSpace(secret)) {
		if len(raw) >= minRandom && distinct(raw) >= min(minDistinctBytes, len(raw)/2) {
			return nil
		}
	}
	return fmt.Errorf("has too little variety: use at least %d different characters, or hex or base64 of %d random bytes (openssl rand -base64 %d)",
		minDistinctBytes, minRandom, minRandom)
}

// decodings are the byte strings secret encodes as hex or base64, standard
// or URL-safe, padded or not.
func decodings(secret string) [][]byte {
	var out [][]byte
	if b, err := hex.DecodeString(secret); err == nil {
		out = append(out, b)
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(secret); err == nil {
			out = append(out, b)
		}
	}
	return out
}

func distinct(b []byte) int {
	var seen [256]bool
	n := 0
	for _, c := range b {
		if !seen[c] {
			seen[c] = true
			n++
		}
	}
	return n
}
