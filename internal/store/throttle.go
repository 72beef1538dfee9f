package store

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/ketacare/api/internal/models"
)

// Login throttling: after LoginFailureLimit failures within LoginWindow, a
// key is locked, first for LoginBaseDelay after its last failure, doubling
// with each further failure up to LoginMaxDelay.
const (
	LoginFailureLimit = 5
	LoginWindow       = 15 * time.Minute
	LoginBaseDelay    = 30 * time.Second
	LoginMaxDelay     = 15 * time.Minute
)

// LoginLockedUntil returns when the most locked of the keys unlocks, or
// the zero time when none is locked at now. One query; the rows it reads
// are few, because a locked key records no further failures.
func (s *Store) LoginLockedUntil(ctx context.Context, keys []string, now time.Time) (time.Time, error) {
	var rows []models.LoginFailure
	err := s.conn(ctx).Where("throttle_key IN ? AND failed_at > ?", keys, now.Add(-LoginWindow)).Find(&rows).Error
	if err != nil {
		return time.Time{}, translate(err, "")
	}
	type tally struct {
		failures int
		last     time.Time
	}
	per := map[string]*tally{}
	for _, r := range rows {
		t := per[r.ThrottleKey]
		if t == nil {
			t = &tally{}
			per[r.ThrottleKey] = t
		}
		t.failures++
		if r.FailedAt.After(t.last) {
			t.last = r.FailedAt
		}
	}
	var until time.Time
	for _, t := range per {
		if t.failures < LoginFailureLimit {
			continue
		}
		delay := min(LoginBaseDelay<<min(t.failures-LoginFailureLimit, 10), LoginMaxDelay)
		if u := t.last.Add(delay); u.After(now) && u.After(until) {
			until = u
		}
	}
	return until, nil
}

// RecordLoginFailure counts a failed login against each key, and forgets
// their failures older than the window.
func (s *Store) RecordLoginFailure(ctx context.Context, keys []string, now time.Time) error {
	rows := make([]models.LoginFailure, len(keys))
	for i, k := range keys {
		rows[i] = models.LoginFailure{ThrottleKey: k, FailedAt: now}
	}
	return translate(s.conn(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("throttle_key IN ? AND failed_at <= ?", keys, now.Add(-LoginWindow)).Delete(&models.LoginFailure{}).Error; err != nil {
			return err
		}
		return tx.Create(&rows).Error
	}), "")
}

// ResetLoginFailures forgets the failures of the key, after a success.
func (s *Store) ResetLoginFailures(ctx context.Context, key string) error {
	return translate(s.conn(ctx).Where("throttle_key = ?", key).Delete(&models.LoginFailure{}).Error, "")
}
