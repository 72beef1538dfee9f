package models

import "time"

// LoginFailure is one failed login attempt against a throttle key: an
// account or a client address.
type LoginFailure struct {
	ThrottleKey string
	FailedAt    time.Time
}
