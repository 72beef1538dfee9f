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
	return cfg.DataKeyring()
}
