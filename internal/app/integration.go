package app

import (
	"fmt"
	"log/slog"

	"github.com/ketacare/api/internal/config"
	"github.com/ketacare/api/internal/seal"
	"github.com/ketacare/api/internal/throttle"
)

// dataKeyring loads the keys that seal patients' words at rest, generating
// a development key when none is set; cfg keeps the key it was given.
func dataKeyring(cfg *config.Config, log *slog.Logger) (*seal.Keyring, error) {
	if err := cfg.EnsureDataEncryptionKey(log); err != nil {
		return nil, err
	}
	keys, err := cfg.DataKeyring()
	if err != nil {
		return nil, err
	}
	// Rows store the id of the key that sealed them; logging the ids lets an
	// operator see when no row needs a previous key any more.
	log.Info("data encryption keys loaded", "current_key_id", keys.CurrentKeyID(), "previous_key_ids", keys.PreviousKeyIDs())
	return keys, nil
}

// throttleKeyer hashes throttle keys under a key derived from the current
// DATA_ENCRYPTION_KEY: every instance must share that key anyway (each opens
// what another sealed), it already protects data at rest, and unlike the JWT
// secret it signs nothing a client holds. Rotating it starts the throttle's
// counts afresh, which forgets at most an hour of failures.
func throttleKeyer(cfg config.Config) (*throttle.Keyer, error) {
	secret, err := seal.ParseKey(cfg.DataEncryptionKey)
	if err != nil {
		return nil, fmt.Errorf("config: DATA_ENCRYPTION_KEY %w", err)
	}
	return throttle.NewKeyer(secret)
}
