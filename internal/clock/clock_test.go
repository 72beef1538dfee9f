package clock_test

import (
	"sync"
	"testing"
	"time"

	"github.com/ketacare/api/internal/clock"
)

// TestSystem: the real time in UTC, to the microsecond.
func TestSystem(t *testing.T) {
	before := time.Now()
	now := clock.System()
	if now.Location() != time.UTC || now.Nanosecond()%1000 != 0 {
		t.Fatalf("System() = %v, want UTC to the microsecond", now)
	}
	if d := now.Sub(before); d < -time.Microsecond || d > time.Second {
		t.Fatalf("System() is %v from the real time", d)
	}
}

// TestReplay: the zero clock reads the real time; once set it reads the
// instant set and keeps running from it; Reset returns it to the real time;
// it records as System does.
func TestReplay(t *testing.T) {
	near := func(got, want time.Time) bool { d := got.Sub(want); return d > -time.Second && d < time.Second }
	var c clock.Replay
	if now := c.Now(); !near(now, time.Now()) {
		t.Fatalf("zero Replay reads %v, want the real time", now)
	}

	at := time.Date(2024, 3, 1, 9, 30, 0, 0, time.FixedZone("PST", -8*3600))
	c.Set(at)
	first := c.Now()
	if !near(first, at) {
		t.Fatalf("after Set(%v) it reads %v", at, first)
	}
	if first.Location() != time.UTC || first.Nanosecond()%1000 != 0 {
		t.Fatalf("Now() = %v, want UTC to the microsecond", first)
	}
	time.Sleep(10 * time.Millisecond)
	if second := c.Now(); second.Sub(first) < 10*time.Millisecond {
		t.Fatalf("the set clock stood still: %v then %v", first, second)
	}

	c.Set(c.Now().Add(time.Hour))
	if now := c.Now(); !near(now, at.Add(time.Hour)) {
		t.Fatalf("moved on an hour, it reads %v, want about %v", now, at.Add(time.Hour))
	}

	c.Reset()
	if now := c.Now(); !near(now, time.Now()) {
		t.Fatalf("after Reset it reads %v, want the real time", now)
	}
}

// TestReplayConcurrent: reading the clock while it is set is safe (run with
// -race).
func TestReplayConcurrent(t *testing.T) {
	var c clock.Replay
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 100 {
				if i == 0 {
					c.Set(time.Unix(int64(j)*3600, 0))
				} else {
					_ = c.Now()
				}
			}
		})
	}
	wg.Wait()
}
