// Package throttle holds the rules that slow password guessing: how long an
// attempt against an account, or from a client address, must wait given
// the failures before it, and the keyed hashes under which those failures
// are stored.
//
// The rules follow what large sign-in services do instead of hard lockouts:
//   - An account gets AccountFree failures at no cost, then must wait a
//     delay after its latest failure, doubling from AccountBaseDelay with
//     each further failure up to AccountMaxDelay. Guessing slows to one try
//     per few minutes, while the owner is never kept out longer than that;
//     devices already signed in keep refreshing their tokens, which no
//     throttle touches.
//   - An address gets AddressLimit failures within AddressWindow, whatever
//     the accounts: enough for a clinic's Wi-Fi or a carrier's shared
//     address, where one person's typos must not lock out the others. Past
//     it, that address alone waits until its oldest failure in the window
//     ages out.
//
// An attempt is counted before its password is checked and stays a failure
// unless it succeeds (see store.ReserveAttempt), so parallel requests cannot
// outrun the count.
package throttle

import (
	"time"
)

// The policy. AccountWindow is longer than the time the back-off takes to
// reach its cap (about 7.5 minutes), so a guesser who keeps going stays at
// the cap instead of seeing its early failures age out and starting again
// with free ones.
const (
	AccountFree      = 5
	AccountBaseDelay = 30 * time.Second
	AccountMaxDelay  = 5 * time.Minute
	AccountWindow    = time.Hour

	AddressLimit  = 100
	AddressWindow = 15 * time.Minute

	// Retention is how long a failure can matter to any rule: older rows
	// are pruned.
	Retention = AccountWindow
)

// Kind says which rule a key follows.
type Kind int

// The kinds of throttle key.
const (
	Account Kind = iota
	Address
)

// Key is one throttle key: its rule and the keyed hash it is stored under.
type Key struct {
	Kind Kind
	Hash string
}

// Window is how far back the kind's failures count.
func (k Kind) Window() time.Duration {
	if k == Address {
		return AddressWindow
	}
	return AccountWindow
}

// Recent is how many of a key's latest failures Wait needs to see: beyond
// them the answer no longer changes.
func (k Kind) Recent() int {
	if k == Address {
		return AddressLimit
	}
	return accountSaturation
}

// accountSaturation is the number of failures at which the account's delay
// reaches AccountMaxDelay.
var accountSaturation = func() int {
	n := AccountFree
	for accountDelay(n) < AccountMaxDelay {
		n++
	}
	return n
}()

// accountDelay is the wait after the latest of n failures.
func accountDelay(n int) time.Duration {
	if n < AccountFree {
		return 0
	}
	// The shift is bounded so the doubling cannot overflow.
	return min(AccountBaseDelay<<min(n-AccountFree, 20), AccountMaxDelay)
}

// Wait is how long an attempt against a key of this kind must still wait at
// now, given the key's failures within its window, latest first (at most
// Recent of them; attempts still being checked count as failures). Zero
// means the attempt may go ahead.
func (k Kind) Wait(failures []time.Time, now time.Time) time.Duration {
	var until time.Time
	switch {
	case k == Address && len(failures) >= AddressLimit:
		// The address is at its limit until the failure that brought it
		// there leaves the window.
		until = failures[AddressLimit-1].Add(AddressWindow)
	case k == Account && len(failures) >= AccountFree:
		until = failures[0].Add(accountDelay(len(failures)))
	default:
		return 0
	}
	return max(until.Sub(now), 0)
}
