package app

import (
	"context"
	"time"

	"github.com/ketacare/api/internal/store"
)

// housekeepingEvery is how often the service drops what has outlived its
// purpose: the sync log's tombstones older than store.SyncRetention, and
// idempotency keys (with their sealed responses) older than
// store.IdempotencyTTL.
const housekeepingEvery = 6 * time.Hour

// housekeeping prunes at once and then every housekeepingEvery until ctx
// ends. Every instance runs it: pruning twice deletes nothing more, and the
// sync log is pruned taking the patients' heads in the order writers do.
func (a *App) housekeeping(ctx context.Context) {
	tick := time.NewTicker(housekeepingEvery)
	defer tick.Stop()
	for {
		a.prune(ctx, "sync log tombstones", func() (int64, error) {
			return a.Store.PruneSyncLog(ctx, store.Now().Add(-store.SyncRetention))
		})
		a.prune(ctx, "idempotency keys", func() (int64, error) {
			return a.Store.PruneIdempotencyKeys(ctx, store.Now().Add(-store.IdempotencyTTL))
		})
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// prune runs one pruning and logs what it did; a failure is logged and
// retried at the next tick, since nothing a client was promised depends on it.
func (a *App) prune(ctx context.Context, what string, run func() (int64, error)) {
	n, err := run()
	switch {
	case ctx.Err() != nil:
	case err != nil:
		a.Log.ErrorContext(ctx, "pruning "+what, "error", err.Error())
	case n > 0:
		a.Log.InfoContext(ctx, "pruned "+what, "rows", n)
	}
}
