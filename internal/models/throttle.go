package models

import "time"

// LoginFailure is one attempt to prove a password against a throttle key
// (an account or a client address, as a keyed hash). It is written before
// the password is checked and counts as a failure unless the attempt
// succeeds, which deletes it.
type LoginFailure struct {
	ID          int64
	ThrottleKey string
	AttemptedAt time.Time
}
