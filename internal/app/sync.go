package app

import (
	"context"
	"time"

	"github.com/ketacare/api/internal/store"
	"github.com/ketacare/api/internal/throttle"
)

// housekeepingEvery is how often the service drops what has outlived its
// purpose: the sync log's tombstones older than store.SyncRetention, and
// idempotency keys (with their sealed responses) older than
// store.IdempotencyTTL.
const housekeepingEvery = 6 * time.Hour

// throttlePruneEvery is how often password attempts older than
// throttle.Retention are deleted: often, because each row says that someone
// tried an account (by keyed hash), which is kept no longer than a rule needs
// it, and because an attacker can write many of them.
const throttlePruneEvery = 10 * time.Minute

// housekeeping prunes at once and then every housekeepingEvery (password
// attempts every throttlePruneEvery) until ctx ends. Every instance runs it:
// pruning twice deletes nothing more, and the sync log is pruned taking the
// patients' heads in the order writers do.
func (a *App) housekeeping(ctx context.Context) {
	tick := time.NewTicker(housekeepingEvery)
	defer tick.Stop()
	throttleTick := time.NewTicker(throttlePruneEvery)
	defer throttleTick.Stop()
	a.pruneLogs(ctx)
	a.pruneAttempts(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			a.pruneLogs(ctx)
		case <-throttleTick.C:
			a.pruneAttempts(ctx)
		}
	}
}

func (a *App) pruneLogs(ctx context.Context) {
	a.prune(ctx, "sync log tombstones", func() (int64, error) {
		return a.Store.PruneSyncLog(ctx, a.Now().Add(-store.SyncRetention))
	})
	a.prune(ctx, "idempotency keys", func() (int64, error) {
		return a.Store.PruneIdempotencyKeys(ctx, a.Now().Add(-store.IdempotencyTTL))
	})
}

// pruneAttempts deletes the password attempts no throttle rule looks at any
// more: those older than throttle.Retention.
func (a *App) pruneAttempts(ctx context.Context) {
	a.prune(ctx, "password attempts", func() (int64, error) {
		return a.Store.PruneLoginFailures(ctx, a.Now().Add(-throttle.Retention))
	})
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
