package store

import (
	"context"
	"hash/fnv"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/ketacare/api/internal/models"
	"github.com/ketacare/api/internal/throttle"
)

// Attempt is a password attempt reserved against its throttle keys. Until
// Succeeded, its rows count as failures: one that fails, or whose request
// dies, needs nothing more.
type Attempt struct {
	ids      []int64
	accounts []string
}

// ReserveAttempt counts an attempt against every key before its password is
// checked. When any key must still wait, it counts nothing and returns the
// longest wait; otherwise it writes one row per key and returns the
// attempt. The check and the write are one transaction that holds the keys
// (PostgreSQL: transaction-scoped advisory locks, one per key, taken in
// order; SQLite: the single writer, taken at BEGIN IMMEDIATE), so parallel
// requests, on any instance, are counted one after another and no more of
// them get through than the rules allow.
func (s *Store) ReserveAttempt(ctx context.Context, keys []throttle.Key, now time.Time) (Attempt, time.Duration, error) {
	var a Attempt
	var wait time.Duration
	err := s.conn(ctx).Transaction(func(tx *gorm.DB) error {
		if Dialect(tx) == Postgres {
			// One statement takes every lock, left to right in its list.
			ids := lockIDs(keys)
			calls := make([]string, len(ids))
			args := make([]any, len(ids))
			for i, id := range ids {
				calls[i], args[i] = "pg_advisory_xact_lock(?)", id
			}
			if err := tx.Exec("SELECT "+strings.Join(calls, ", "), args...).Error; err != nil {
				return err
			}
		}
		for _, k := range keys {
			var failures []time.Time
			err := tx.Model(&models.LoginFailure{}).
				Where("throttle_key = ? AND attempted_at > ?", k.Hash, now.Add(-k.Kind.Window())).
				Order("attempted_at DESC").Limit(k.Kind.Recent()).Pluck("attempted_at", &failures).Error
			if err != nil {
				return err
			}
			wait = max(wait, k.Kind.Wait(failures, now))
		}
		if wait > 0 {
			return nil
		}
		rows := make([]models.LoginFailure, len(keys))
		for i, k := range keys {
			rows[i] = models.LoginFailure{ThrottleKey: k.Hash, AttemptedAt: now}
		}
		if err := tx.Create(&rows).Error; err != nil {
			return err
		}
		for i, k := range keys {
			a.ids = append(a.ids, rows[i].ID)
			if k.Kind == throttle.Account {
				a.accounts = append(a.accounts, k.Hash)
			}
		}
		return nil
	})
	if err != nil {
		return Attempt{}, 0, translate(err, "")
	}
	return a, wait, nil
}

// lockIDs are the advisory lock numbers of the keys, sorted so that two
// transactions taking the same keys take them in the same order and cannot
// deadlock. Two keys sharing a number only wait for each other.
func lockIDs(keys []throttle.Key) []int64 {
	ids := make([]int64, 0, len(keys))
	for _, k := range keys {
		h := fnv.New64a()
		h.Write([]byte(k.Hash))
		ids = append(ids, int64(h.Sum64()))
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// Succeeded records that the attempt's password was right: its rows stop
// counting, and so do the earlier failures of its account, which its owner
// has just shown to be theirs. An address's other failures stay.
func (s *Store) Succeeded(ctx context.Context, a Attempt) error {
	if len(a.ids) == 0 {
		return nil
	}
	q := s.conn(ctx).Where("id IN ?", a.ids)
	if len(a.accounts) > 0 {
		q = q.Or("throttle_key IN ?", a.accounts)
	}
	return translate(q.Delete(&models.LoginFailure{}).Error, "")
}

// PruneLoginFailures deletes the attempts made before cutoff, which no rule
// looks at any more (pass now minus throttle.Retention), and returns how
// many it deleted.
func (s *Store) PruneLoginFailures(ctx context.Context, cutoff time.Time) (int64, error) {
	res := s.conn(ctx).Where("attempted_at < ?", cutoff).Delete(&models.LoginFailure{})
	return res.RowsAffected, translate(res.Error, "")
}
