package config_test

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/ketacare/api/internal/config"
)

// TestSecretsNeedVariety: a secret long enough but made of few symbols
// ("aaaa…", hex or base64 of a repeated pattern) is refused, naming its
// variable; random keys as the README makes them, and varied passphrases,
// are accepted.
func TestSecretsNeedVariety(t *testing.T) {
	b64 := func(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
	prod := []string{"APP_ENV=production", "DATABASE_URL=postgres://u@db:5432/clinic", "DATA_ENCRYPTION_KEY=" + dataKey, "JWT_SECRET=" + secret}
	for _, tc := range []struct {
		name, key, value string
	}{
		{"one letter", "JWT_SECRET", strings.Repeat("a", 48)},
		{"two letters", "JWT_SECRET", strings.Repeat("ab", 24)},
		{"fifteen symbols", "JWT_SECRET", strings.Repeat("abcdefghijklmno", 3)},
		{"hex of zeros", "JWT_SECRET", strings.Repeat("00", 32)},
		{"hex of a pattern", "JWT_SECRET", hex.EncodeToString([]byte(strings.Repeat("key!", 8)))},
		{"base64 of a pattern", "JWT_SECRET", b64([]byte(strings.Repeat("xyz", 16)))},
		{"a weak previous secret", "JWT_PREVIOUS_SECRETS", secret + "," + strings.Repeat("a", 48)},
		{"a repeated metrics token", "METRICS_TOKEN", strings.Repeat("m", 24)},
		{"a data key of zeros", "DATA_ENCRYPTION_KEY", b64(make([]byte, 32))},
		{"a data key of a pattern", "DATA_ENCRYPTION_KEY", b64([]byte(strings.Repeat("ab", 16)))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, env := range []string{config.Production, config.Development} {
				_, err := config.Load(append(append([]string{}, prod...), "APP_ENV="+env, tc.key+"="+tc.value))
				if err == nil {
					t.Fatalf("APP_ENV=%s: %s=%s must be refused", env, tc.key, tc.value)
				}
				if !strings.Contains(err.Error(), tc.key+":") || !strings.Contains(err.Error(), "variety") {
					t.Fatalf("APP_ENV=%s: the error must name %s and say why: %v", env, tc.key, err)
				}
			}
		})
	}

	random := func(n int) []byte {
		b := make([]byte, n)
		_, _ = rand.Read(b)
		return b
	}
	// Random keys of every form the docs suggest pass every time: a few
	// hundred draws each, where a false refusal is far less likely than
	// guessing the key.
	for i := 0; i < 300; i++ {
		for _, set := range [][2]string{
			{"JWT_SECRET", b64(random(48))},                // openssl rand -base64 48
			{"JWT_SECRET", hex.EncodeToString(random(32))}, // openssl rand -hex 32
			{"JWT_SECRET", base64.RawURLEncoding.EncodeToString(random(32))},
			{"JWT_PREVIOUS_SECRETS", b64(random(48)) + "," + hex.EncodeToString(random(32))},
			{"METRICS_TOKEN", hex.EncodeToString(random(24))}, // openssl rand -hex 24
			{"DATA_ENCRYPTION_KEY", b64(random(32))},          // openssl rand -base64 32
		} {
			if _, err := config.Load(append(append([]string{}, prod...), set[0]+"="+set[1])); err != nil {
				t.Fatalf("%s=%s: a random key must pass: %v", set[0], set[1], err)
			}
		}
	}
	for _, ok := range [][2]string{
		{"JWT_SECRET", secret},
		{"METRICS_TOKEN", "Scrape-Token/For+Tests-7f3a"},
		// Previous data keys only open old rows: refusing one would lose them.
		{"DATA_ENCRYPTION_PREVIOUS_KEYS", b64(make([]byte, 32))},
	} {
		if _, err := config.Load(append(append([]string{}, prod...), ok[0]+"="+ok[1])); err != nil {
			t.Errorf("%s=%s must pass: %v", ok[0], ok[1], err)
		}
	}
}
