package app

import (
	"log/slog"

	"github.com/ketacare/api/internal/config"
	"github.com/ketacare/api/internal/seal"
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
