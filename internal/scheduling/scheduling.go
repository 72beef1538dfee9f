// Package scheduling places a course's sessions on the calendar: which days
// and at what local time, in the zone the sessions are held in. It is pure:
// the store keeps what it computes.
package scheduling

import (
	"fmt"
	"slices"
	"time"
)

// evenSpread gives, for each number of sessions a week, the days of a week
// (0 is its first day) the sessions fall on when the plan names no weekdays:
// two to four days apart, so the patient recovers between sessions.
var evenSpread = map[int][]int{2: {0, 3}, 3: {0, 2, 4}}

// MaxLead is how far ahead a course may start.
const MaxLead = 366 * 24 * time.Hour

// Input names the part of a plan an Error is about.
type Input string

// The parts of a plan.
const (
	StartDate       Input = "start_date"
	SessionsPerWeek Input = "sessions_per_week"
	SessionCount    Input = "session_count"
	Weekdays        Input = "weekdays"
	TimeOfDay       Input = "time_of_day"
)

// Error says which part of a plan cannot be scheduled, and why.
type Error struct {
	Input  Input
	Reason string
}

func (e *Error) Error() string { return string(e.Input) + " " + e.Reason }

func invalid(in Input, reason string) error { return &Error{Input: in, Reason: reason} }

// Plan is what a clinician asks for when scheduling a course.
type Plan struct {
	// StartDate is a calendar date in the zone the sessions are held in;
	// only its year, month and day count.
	StartDate       time.Time
	SessionsPerWeek int
	SessionCount    int
	// Weekdays are ISO weekdays (1 = Monday, 7 = Sunday), one per session of
	// a week; empty spreads the sessions through each week.
	Weekdays []int
	// TimeOfDay is the local time of every session, "HH:MM".
	TimeOfDay string
}

// SessionTimes returns the instant of each session of the plan, in order,
// for sessions held in loc, or an *Error naming the part at fault.
//
// Weeks are seven-day blocks counted from the start date and each holds
// SessionsPerWeek sessions on different days, so no two sessions share a day.
// Each session's wall-clock time is built in loc on its own date, so it keeps
// its local time across a daylight-saving change and the UTC instant moves
// instead.
func (p Plan) SessionTimes(loc *time.Location, now time.Time) ([]time.Time, error) {
	offsets, err := p.weekOffsets()
	if err != nil {
		return nil, err
	}
	clock, err := time.Parse("15:04", p.TimeOfDay)
	if err != nil {
		return nil, invalid(TimeOfDay, "is not a time of day HH:MM")
	}
	if p.SessionCount < 1 {
		return nil, invalid(SessionCount, "must be at least 1")
	}
	start := CivilDate(p.StartDate)
	today := CivilDate(now.In(loc))
	switch {
	case start.Before(today):
		return nil, invalid(StartDate, fmt.Sprintf("is in the past: it is already %s in the patient's timezone (%s)", today.Format(time.DateOnly), loc))
	case start.Sub(today) > MaxLead:
		return nil, invalid(StartDate, "is more than a year ahead")
	}
	times := make([]time.Time, 0, p.SessionCount)
	for week := 0; len(times) < p.SessionCount; week++ {
		for _, off := range offsets {
			if len(times) == p.SessionCount {
				break
			}
			local := time.Date(start.Year(), start.Month(), start.Day()+7*week+off, clock.Hour(), clock.Minute(), 0, 0, loc)
			times = append(times, local.UTC())
		}
	}
	if !times[0].After(now) {
		return nil, invalid(StartDate, fmt.Sprintf("the first session, at %s on %s, would already be past", p.TimeOfDay, times[0].In(loc).Format(time.DateOnly)))
	}
	return times, nil
}

// weekOffsets returns the days of each week, counted from the week's first
// day, that hold a session.
func (p Plan) weekOffsets() ([]int, error) {
	spread, ok := evenSpread[p.SessionsPerWeek]
	if !ok {
		return nil, invalid(SessionsPerWeek, "must be 2 or 3")
	}
	if len(p.Weekdays) == 0 {
		return spread, nil
	}
	if len(p.Weekdays) != p.SessionsPerWeek {
		return nil, invalid(Weekdays, fmt.Sprintf("must name %d different weekdays, one for each session of a week", p.SessionsPerWeek))
	}
	first := int(CivilDate(p.StartDate).Weekday()) // Go counts Sunday as 0
	offsets := make([]int, 0, len(p.Weekdays))
	for _, w := range p.Weekdays {
		if w < 1 || w > 7 {
			return nil, invalid(Weekdays, "must be ISO weekdays, 1 (Monday) to 7 (Sunday)")
		}
		off := (w%7 - first + 7) % 7
		if slices.Contains(offsets, off) {
			return nil, invalid(Weekdays, "must not name a weekday twice")
		}
		offsets = append(offsets, off)
	}
	slices.Sort(offsets)
	return offsets, nil
}

// CivilDate is t's calendar date, as midnight UTC, so dates compare and
// count days without any timezone's transitions in the way.
func CivilDate(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
