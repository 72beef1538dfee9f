package throttle_test

import (
	"bytes"
	"regexp"
	"testing"
	"time"

	"github.com/ketacare/api/internal/throttle"
)

// failures returns n failures, latest first, the latest at last and each
// earlier one a second before the next.
func failures(n int, last time.Time) []time.Time {
	out := make([]time.Time, n)
	for i := range out {
		out[i] = last.Add(-time.Duration(i) * time.Second)
	}
	return out
}

func TestAccountBackOff(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		failures int
		since    time.Duration // since the latest failure
		want     time.Duration
	}{
		{"no failures", 0, 0, 0},
		{"typos are free", throttle.AccountFree - 1, 0, 0},
		{"then 30 s", throttle.AccountFree, 0, 30 * time.Second},
		{"counted from the latest failure", throttle.AccountFree, 10 * time.Second, 20 * time.Second},
		{"over once waited", throttle.AccountFree, 30 * time.Second, 0},
		{"doubling", throttle.AccountFree + 1, 0, time.Minute},
		{"doubling again", throttle.AccountFree + 2, 0, 2 * time.Minute},
		{"4 min", throttle.AccountFree + 3, 0, 4 * time.Minute},
		{"capped at 5 min", throttle.AccountFree + 4, 0, 5 * time.Minute},
		{"capped for good", throttle.AccountFree + 60, 0, 5 * time.Minute},
		{"the cap passes too", throttle.AccountFree + 60, 5 * time.Minute, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := failures(min(tc.failures, throttle.Account.Recent()), now.Add(-tc.since))
			if got := throttle.Account.Wait(f, now); got != tc.want {
				t.Fatalf("wait %v, want %v", got, tc.want)
			}
		})
	}
	if throttle.AccountWindow <= 8*time.Minute {
		t.Fatal("the window must outlast the climb to the cap, or a steady guesser gets free guesses again")
	}
}

func TestAddressLimit(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	spread := func(n int) []time.Time { // one failure every 5 s, the latest now
		out := make([]time.Time, n)
		for i := range out {
			out[i] = now.Add(-time.Duration(i) * 5 * time.Second)
		}
		return out
	}
	for _, tc := range []struct {
		name     string
		failures []time.Time
		want     time.Duration
	}{
		{"none", nil, 0},
		// A shared address is not slowed by a few people's typos, nor by
		// many, short of the limit, however recent.
		{"a clinic's typos", failures(8, now), 0},
		{"just under the limit", failures(throttle.AddressLimit-1, now), 0},
		// At the limit, until the failure that reached it leaves the window.
		{"at the limit", spread(throttle.AddressLimit), throttle.AddressWindow - time.Duration(throttle.AddressLimit-1)*5*time.Second},
		{"at the limit in a burst", failures(throttle.AddressLimit, now), throttle.AddressWindow - time.Duration(throttle.AddressLimit-1)*time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := throttle.Address.Wait(tc.failures, now); got != tc.want {
				t.Fatalf("wait %v, want %v", got, tc.want)
			}
		})
	}
	if throttle.Address.Recent() != throttle.AddressLimit || throttle.AddressWindow > 15*time.Minute {
		t.Fatal("the address rule reads its limit's worth of failures in at most 15 minutes")
	}
}

func TestKeyer(t *testing.T) {
	secret := bytes.Repeat([]byte{7}, 32)
	k, err := throttle.NewKeyer(secret)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := throttle.NewKeyer(bytes.Repeat([]byte{8}, 32))
	hex := regexp.MustCompile(`^[0-9a-f]{64}$`)
	a := k.Account("max@example.com")
	for _, tc := range []struct {
		name string
		key  throttle.Key
		same bool
	}{
		{"the same account again", k.Account("max@example.com"), true},
		{"another account", k.Account("mia@example.com"), false},
		{"the same text as an address", throttle.Key{Kind: throttle.Account, Hash: k.Address("max@example.com").Hash}, false},
		{"another secret", other.Account("max@example.com"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !hex.MatchString(tc.key.Hash) {
				t.Fatalf("key %q is not a hex SHA-256", tc.key.Hash)
			}
			if (tc.key == a) != tc.same {
				t.Fatalf("%v == %v is %v", tc.key, a, !tc.same)
			}
		})
	}
	if k.Address("203.0.113.5").Kind != throttle.Address || a.Kind != throttle.Account {
		t.Fatal("kinds mixed up")
	}
	if _, err := throttle.NewKeyer(secret[:16]); err == nil {
		t.Fatal("a short secret was accepted")
	}
}
