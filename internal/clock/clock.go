// Package clock is the service's one source of the time. Everything that
// decides by the time (an expiry, a back-off, a "not in the future" check)
// or records it reads a func() time.Time handed to it when it is built,
// never time.Now, so that one clock rules a process and a test or the demo
// seeder can set it.
package clock

import (
	"sync/atomic"
	"time"
)

// Skew is how far ahead of the service's clock a time a device records as
// "now" may be: a phone's or a clinic tablet's clock drifts, and a walk that
// just ended must not be refused as being in the future.
const Skew = 5 * time.Minute

// InstanceSkew is how far apart the clocks of two instances of the service
// may be when one verifies an access token another issued (the token's iat
// and exp). It is kept apart from Skew on purpose: the servers' clocks are
// kept in step by NTP, and every second of leeway is a second more that an
// expired token is honoured, so it is far smaller than what a device's
// clock is forgiven.
const InstanceSkew = 30 * time.Second

// System is the real time as the service records it: UTC, to the
// microsecond. PostgreSQL keeps microseconds, so truncating here makes every
// timestamp round-trip exactly, which keyset cursors rely on.
func System() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// Deadline is the real time d from now, for deadlines the operating system
// keeps (a connection's write deadline): those run on the real clock
// whatever clock the service reads, so they must never come from a set one.
func Deadline(d time.Duration) time.Time { return time.Now().Add(d) }

// Replay is a clock that can be set to another instant, from which it keeps
// running at the real pace. The demo seeder sets it to each moment of a
// demo clinic's past to act that moment out through the real code, and tests
// move it forward to wait out a back-off at no cost. Its zero value reads
// the real time (as System). It is safe for concurrent use.
type Replay struct {
	// shift is how far Now is from the real time, in nanoseconds.
	shift atomic.Int64
}

// Now is the clock's time, as System records it: UTC, to the microsecond.
func (r *Replay) Now() time.Time {
	return time.Now().Add(time.Duration(r.shift.Load())).UTC().Truncate(time.Microsecond)
}

// Set makes Now read at from this moment on; it keeps running from there.
func (r *Replay) Set(at time.Time) { r.shift.Store(int64(time.Until(at))) }

// Reset makes Now read the real time again.
func (r *Replay) Reset() { r.shift.Store(0) }
