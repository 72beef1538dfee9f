package config_test

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ketacare/api/internal/config"
	"github.com/ketacare/api/internal/seal"
)

// dataKey is a valid DATA_ENCRYPTION_KEY for tests of production settings.
var dataKey = "S2V0YUNhcmUgdGVzdCBrZXksIG5vdCBmb3IgdXNlLiE="

func TestDataEncryptionKeys(t *testing.T) {
	good, _ := seal.NewKey()
	prod := []string{"APP_ENV=production", "JWT_SECRET=" + secret, "DATABASE_URL=postgres://u@db:5432/clinic"}
	for _, tc := range []struct {
		name string
		env  []string
		ok   bool
	}{
		{"a 32-byte key", []string{"DATA_ENCRYPTION_KEY=" + good}, true},
		{"previous keys", []string{"DATA_ENCRYPTION_KEY=" + good, "DATA_ENCRYPTION_PREVIOUS_KEYS=" + good + "," + good}, true},
		{"not base64", []string{"DATA_ENCRYPTION_KEY=hunter2!"}, false},
		{"16 bytes", []string{"DATA_ENCRYPTION_KEY=MDEyMzQ1Njc4OWFiY2RlZg=="}, false},
		{"a bad previous key", []string{"DATA_ENCRYPTION_KEY=" + good, "DATA_ENCRYPTION_PREVIOUS_KEYS=" + good + ",short"}, false},
		{"production without a key", prod, false},
		{"production with a key", append(prod, "DATA_ENCRYPTION_KEY="+good), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Load(tc.env)
			if tc.ok {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatal("want an error")
			}
			msg := err.Error()
			if !strings.Contains(msg, "DATA_ENCRYPTION_") || strings.Contains(msg, "\n") || strings.Contains(msg, good) {
				t.Fatalf("want one line naming the variable and not echoing a key, got %q", msg)
			}
		})
	}
}

func TestGeneratedDataKeyIsKept(t *testing.T) {
	dir := t.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	c, _ := config.Load([]string{"DATA_DIR=" + dir})
	if err := c.EnsureDataEncryptionKey(log); err != nil {
		t.Fatal(err)
	}
	if _, err := seal.ParseKey(c.DataEncryptionKey); err != nil {
		t.Fatalf("generated key: %v", err)
	}
	fi, err := os.Stat(filepath.Join(dir, "data_encryption_key"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	again, _ := config.Load([]string{"DATA_DIR=" + dir})
	if err := again.EnsureDataEncryptionKey(log); err != nil || again.DataEncryptionKey != c.DataEncryptionKey {
		t.Fatal("a restart must reuse the stored key")
	}
	if _, err := again.DataKeyring(); err != nil {
		t.Fatal(err)
	}

	// A corrupt key file stops start-up rather than sealing with a new key.
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, "data_encryption_key"), []byte("garbage\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	broken, _ := config.Load([]string{"DATA_DIR=" + bad})
	if err := broken.EnsureDataEncryptionKey(log); err == nil || !strings.Contains(err.Error(), "DATA_ENCRYPTION_KEY") {
		t.Fatalf("want an error naming the variable, got %v", err)
	}

	prod := config.Config{Env: config.Production, DataDir: dir}
	if err := prod.EnsureDataEncryptionKey(log); err == nil {
		t.Fatal("production must not generate a key")
	}
}
