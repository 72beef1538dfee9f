package app

import (
	"context"
	"time"

	"github.com/ketacare/api/internal/store"
)

// syncPruneEvery is how often the service drops the sync log's tombstones
// older than store.SyncRetention.
const syncPruneEvery = 6 * time.Hour

// pruneSyncLog prunes the sync log at once and then every syncPruneEvery
// until ctx ends. Every instance runs it: pruning twice deletes nothing
// more, and it takes the patients' heads in the order writers do.
func (a *App) pruneSyncLog(ctx context.Context) {
	tick := time.NewTicker(syncPruneEvery)
	defer tick.Stop()
	for {
		n, err := a.Store.PruneSyncLog(ctx, store.Now().Add(-store.SyncRetention))
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			a.Log.ErrorContext(ctx, "pruning the sync log", "error", err.Error())
		case n > 0:
			a.Log.InfoContext(ctx, "pruned the sync log", "tombstones", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
