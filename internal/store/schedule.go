package store

import (
	"fmt"
	"github.com/google/uuid"
	"slices"
	"time"

	"github.com/ketacare/api/internal/apperr"
)

// evenSpread gives, for each number of sessions a week, the days of a week
// (0 is its first day) the sessions fall on when the plan names no weekdays:
// two to four days apart, so the patient recovers between sessions.
var evenSpread = map[int][]int{2: {0, 3}, 3: {0, 2, 4}}

// maxPlanLead is how far ahead a course may start.
const maxPlanLead = 366 * 24 * time.Hour

// NewPlan is what a clinician asks for when making a treatment plan.
type NewPlan struct {
	// ID is the client's id for the plan, or uuid.Nil for a new one.
	ID uuid.UUID
	// StartDate is a calendar date in the patient's timezone; only its year,
	// month and day count.
	StartDate       time.Time
	SessionsPerWeek int
	SessionCount    int
	Route           string
	// Weekdays are ISO weekdays (1 = Monday, 7 = Sunday), one per session of
	// a week; empty spreads the sessions through each week.
	Weekdays []int
	// TimeOfDay is the local time of every session, "HH:MM".
	TimeOfDay string
}

// sessionTimes returns the instant of each session of the plan, in order, for
// a patient in loc, or an Invalid error naming the request field at fault.
//
// Weeks are seven-day blocks counted from the start date and each holds
// SessionsPerWeek sessions on different days, so no two sessions share a day.
// Each session's wall-clock time is built in loc on its own date, so it keeps
// its local time across a daylight-saving change and the UTC instant moves
// instead.
func (np NewPlan) sessionTimes(loc *time.Location, now time.Time) ([]time.Time, error) {
	offsets, err := np.weekOffsets()
	if err != nil {
		return nil, err
	}
	clock, err := time.Parse("15:04", np.TimeOfDay)
	if err != nil {
		return nil, apperr.Field("preferred_time", "is not a time of day HH:MM")
	}
	if np.SessionCount < 1 {
		return nil, apperr.Field("session_count", "must be at least 1")
	}
	start := civilDate(np.StartDate)
	today := civilDate(now.In(loc))
	switch {
	case start.Before(today):
		return nil, apperr.Field("start_date", fmt.Sprintf("is in the past: it is already %s in the patient's timezone (%s)", today.Format(time.DateOnly), loc))
	case start.Sub(today) > maxPlanLead:
		return nil, apperr.Field("start_date", "is more than a year ahead")
	}
	times := make([]time.Time, 0, np.SessionCount)
	for week := 0; len(times) < np.SessionCount; week++ {
		for _, off := range offsets {
			if len(times) == np.SessionCount {
				break
			}
			local := time.Date(start.Year(), start.Month(), start.Day()+7*week+off, clock.Hour(), clock.Minute(), 0, 0, loc)
			times = append(times, local.UTC())
		}
	}
	if !times[0].After(now) {
		return nil, apperr.Field("start_date", fmt.Sprintf("the first session, at %s on %s, would already be past", np.TimeOfDay, times[0].In(loc).Format(time.DateOnly)))
	}
	return times, nil
}

// weekOffsets returns the days of each week, counted from the week's first
// day, that hold a session.
func (np NewPlan) weekOffsets() ([]int, error) {
	spread, ok := evenSpread[np.SessionsPerWeek]
	if !ok {
		return nil, apperr.Field("sessions_per_week", "must be 2 or 3")
	}
	if len(np.Weekdays) == 0 {
		return spread, nil
	}
	if len(np.Weekdays) != np.SessionsPerWeek {
		return nil, apperr.Field("preferred_weekdays", fmt.Sprintf("must name %d different weekdays, one for each session of a week", np.SessionsPerWeek))
	}
	first := int(civilDate(np.StartDate).Weekday()) // Go counts Sunday as 0
	offsets := make([]int, 0, len(np.Weekdays))
	for _, w := range np.Weekdays {
		if w < 1 || w > 7 {
			return nil, apperr.Field("preferred_weekdays", "must be ISO weekdays, 1 (Monday) to 7 (Sunday)")
		}
		off := (w%7 - first + 7) % 7
		if slices.Contains(offsets, off) {
			return nil, apperr.Field("preferred_weekdays", "must not name a weekday twice")
		}
		offsets = append(offsets, off)
	}
	slices.Sort(offsets)
	return offsets, nil
}

// civilDate is t's calendar date, as midnight UTC, so dates compare and
// count days without any timezone's transitions in the way.
func civilDate(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
