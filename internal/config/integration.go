package config

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/ketacare/api/internal/seal"
)

// dataKeyFile is where a development server keeps its generated data key.
const dataKeyFile = "data_encryption_key"

// checkDataEncryptionKeys vets the keys that seal journal text at rest:
// each must be base64 of 32 bytes, and production must set its own.
func (c *Config) checkDataEncryptionKeys() error {
	if c.DataEncryptionKey != "" {
		key, err := seal.ParseKey(c.DataEncryptionKey)
		if err != nil {
			return fmt.Errorf("config: DATA_ENCRYPTION_KEY: %v (generate one with: openssl rand -base64 32)", err)
		}
		if distinct(key) < minDistinctBytes {
			return fmt.Errorf("config: DATA_ENCRYPTION_KEY: has too little variety: %d different bytes in 32, no random key has fewer than %d (generate one with: openssl rand -base64 32)",
				distinct(key), minDistinctBytes)
		}
	}
	// Previous keys only open what they once sealed: refusing a weak one
	// would make those rows unreadable, not safer. The current key seals
	// every rewrite, so a weak key is rotated out by replacing it.
	for i, k := range c.DataEncryptionPreviousKeys {
		if _, err := seal.ParseKey(k); err != nil {
			return fmt.Errorf("config: DATA_ENCRYPTION_PREVIOUS_KEYS: key %d %v", i+1, err)
		}
	}
	if c.Env == Production && c.DataEncryptionKey == "" {
		return errors.New("config: DATA_ENCRYPTION_KEY: is required when APP_ENV=production")
	}
	return nil
}

// EnsureDataEncryptionKey fills a missing DATA_ENCRYPTION_KEY outside
// production with a random key kept in DataDir, so what a development
// server sealed stays readable after a restart.
func (c *Config) EnsureDataEncryptionKey(log *slog.Logger) error {
	if c.DataEncryptionKey != "" {
		return nil
	}
	if c.Env == Production {
		return errors.New("config: DATA_ENCRYPTION_KEY: is required when APP_ENV=production")
	}
	path := filepath.Join(c.DataDir, dataKeyFile)
	key, created, err := fileSecret(path, seal.NewKey, func(s string) error {
		_, err := seal.ParseKey(s)
		return err
	})
	if err != nil {
		return fmt.Errorf("config: DATA_ENCRYPTION_KEY: %w", err)
	}
	if created {
		log.Warn("DATA_ENCRYPTION_KEY is not set: generated one and stored it in the data folder; journal text is unreadable without it, so set DATA_ENCRYPTION_KEY in production", "path", path)
	} else {
		log.Warn("DATA_ENCRYPTION_KEY is not set: using the one stored in the data folder", "path", path)
	}
	c.DataEncryptionKey = key
	return nil
}

// DataKeyring is the keyring the data encryption keys make: the current key
// seals, it and the previous keys open.
func (c *Config) DataKeyring() (*seal.Keyring, error) {
	k, err := seal.NewKeyring(c.DataEncryptionKey, c.DataEncryptionPreviousKeys...)
	if err != nil {
		return nil, fmt.Errorf("config: DATA_ENCRYPTION_KEY: %w", err)
	}
	return k, nil
}
