// Package agenda decides what a patient should be reminded of, and when:
// session preparation, integration journaling, goal check-ins and the
// weekly PHQ-9. It is pure: it gets the facts and the time, and returns
// reminders as data; the handlers word them and the store reads the facts.
package agenda

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// DefaultDays is how many days after today an agenda looks ahead unless the
// app asks otherwise: a week, so the app can schedule a week of
// notifications and still remind the patient if it is not opened again.
const DefaultDays = 7

// Every is the number of days between check-in reminders and between
// PHQ-9s during a course.
const Every = 7

// MaxItems bounds an agenda, which grows with the patient's active goals:
// the soonest due are kept, more than a phone schedules at once.
const MaxItems = 200

// IntegrationPrompts are the journal prompts suggested on each day of the
// integration window, day 1 first: what was felt, what it taught, what to do
// about it. Their number is the window's length in days.
var IntegrationPrompts = []string{"felt_for_the_first_time", "insights_gained", "actions_to_take"}

// Kind is what a reminder is about.
type Kind string

// Kinds of reminder.
const (
	SessionPreparation Kind = "session_preparation"
	IntegrationJournal Kind = "integration_journal"
	GoalCheckIn        Kind = "goal_check_in"
	PHQ9Due            Kind = "phq9_due"
)

// Part is a part of a session's preparation.
type Part string

// Parts of the preparation, in the order the patient is asked for them.
const (
	Intention        Part = "intention"
	Sitter           Part = "sitter"
	FastingConfirmed Part = "fasting_confirmed"
	RideHomeArranged Part = "ride_home_arranged"
	SettingPrepared  Part = "setting_prepared"
	MusicReady       Part = "music_ready"
)

// Session is a session as the agenda sees it: its times and which parts of
// the preparation are filled in, never what they say.
type Session struct {
	ID       uuid.UUID
	Sequence int
	// Completed is false for a session still scheduled.
	Completed   bool
	ScheduledAt time.Time
	EndedAt     *time.Time
	// HasIntention and HasSitter say whether the patient set them.
	HasIntention     bool
	HasSitter        bool
	FastingConfirmed bool
	RideHomeArranged bool
	SettingPrepared  bool
	MusicReady       bool
}

// Entry is a journal entry about a session: when it was written and the
// prompt it answers, nothing of what it says.
type Entry struct {
	SessionID uuid.UUID
	PromptKey *string
	CreatedAt time.Time
}

// Goal is an active goal: when it was set and last checked in on.
type Goal struct {
	ID            uuid.UUID
	Category      string
	CreatedAt     time.Time
	LastCheckInAt *time.Time
}

// Course is the patient's active treatment plan as the PHQ-9 reminders need
// it.
type Course struct {
	PlanID uuid.UUID
	// FirstSessionAt is when the plan's first session not cancelled is
	// scheduled.
	FirstSessionAt time.Time
	// LastPHQ9At is when the patient last took a PHQ-9, nil if never.
	LastPHQ9At *time.Time
}

// Facts are the records a patient's agenda is made of.
type Facts struct {
	// Sessions are the scheduled sessions ahead (within the window) and the
	// completed sessions that ended within the window, in no order.
	Sessions []Session
	// Entries are the patient's journal entries about those completed
	// sessions.
	Entries []Entry
	// Goals are the patient's active goals, oldest first.
	Goals []Goal
	// Course is the active plan, nil without one (or when every session of
	// it was cancelled).
	Course *Course
}

// Window bounds the records an agenda looks at, so that each query reads
// only rows that could give a reminder and its cost does not grow with the
// history.
type Window struct {
	// Now is when the agenda is computed: sessions at or before it have
	// started and need no more preparation.
	Now time.Time
	// SessionsUntil bounds upcoming sessions: none scheduled at or after it
	// can have a preparation reminder due within the horizon.
	SessionsUntil time.Time
	// CompletedSince bounds completed sessions: one that ended before it
	// has no integration day left.
	CompletedSince time.Time
}

// Reminder is one item of the agenda. Its key is stable for the same
// reminder across calls, so a phone can de-duplicate notifications on it.
type Reminder struct {
	Key  string
	Kind Kind
	Due  time.Time
	// Session is set for preparation and journaling reminders.
	Session *Session
	// Open lists the preparation still to do (SessionPreparation).
	Open []Part
	// PromptKey is the journal prompt suggested (IntegrationJournal).
	PromptKey string
	// Goal is the goal to check in on (GoalCheckIn).
	Goal *Goal
	// Weeks is how many weeks have passed since the goal was set or last
	// checked in on (GoalCheckIn).
	Weeks int
	// Baseline is set on the PHQ-9 that gives a course its starting point
	// (PHQ9Due).
	Baseline bool
}

// Agenda is a patient's reminders from now to the end of the horizon, the
// soonest first.
type Agenda struct {
	Now      time.Time
	Location *time.Location
	Days     int
	// End is the instant the horizon ends: nothing due at or after it is
	// listed.
	End   time.Time
	Items []Reminder
}

// clock is a local time of day.
type clock struct{ hour, minute int }

// The local times reminders fall at: preparation and check-ins in the
// evening, journaling a little later once the day has settled, and the
// questionnaire in the morning.
var (
	preparationAt = clock{18, 0}
	journalAt     = clock{19, 0}
	checkInAt     = clock{18, 0}
	phq9At        = clock{10, 0}
)

// builder builds one patient's agenda. Days are counted in the patient's
// zone as calendar dates (midnight UTC values, so that adding days never
// meets a daylight-saving change), and each reminder's instant is built from
// its local date and time of day, so it keeps its local time when the
// offset changes.
type builder struct {
	Agenda
	today time.Time // the patient's current date
}

func newBuilder(now time.Time, loc *time.Location, days int) *builder {
	b := &builder{Agenda: Agenda{Now: now, Location: loc, Days: days, Items: []Reminder{}}, today: dateOf(now, loc)}
	b.End = b.midnight(days + 1)
	return b
}

// WindowFor is the window of records an agenda of days after now needs, for
// a patient in loc.
func WindowFor(now time.Time, loc *time.Location, days int) Window {
	b := newBuilder(now, loc, days)
	return Window{
		Now: now,
		// A preparation reminder falls the day before its session, so the
		// sessions of the horizon's days and the day after it are enough.
		SessionsUntil: b.midnight(days + 2),
		// The last integration day of a session that ended on day D ends
		// at the start of day D+len(IntegrationPrompts)+1.
		CompletedSince: b.midnight(-len(IntegrationPrompts)),
	}
}

// Plan lists what the patient should be reminded of from now until days
// after today, in their zone loc, given the facts read for
// WindowFor(now, loc, days).
func Plan(now time.Time, loc *time.Location, days int, f Facts) Agenda {
	b := newBuilder(now, loc, days)
	b.sessionPreparation(f.Sessions)
	b.integrationJournal(f.Sessions, f.Entries)
	b.goalCheckIns(f.Goals)
	if f.Course != nil {
		b.phq9(*f.Course)
	}
	slices.SortFunc(b.Items, func(x, y Reminder) int {
		return cmp.Or(x.Due.Compare(y.Due), strings.Compare(x.Key, y.Key))
	})
	b.Items = b.Items[:min(len(b.Items), MaxItems)]
	return b.Agenda
}

const day = 24 * time.Hour

// dateOf is t's calendar date in loc.
func dateOf(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// daysBetween counts the days from one date to a later one.
func daysBetween(from, to time.Time) int { return int(to.Sub(from) / day) }

// at is the instant of the local time on the date.
func (b *builder) at(date time.Time, c clock) time.Time {
	return time.Date(date.Year(), date.Month(), date.Day(), c.hour, c.minute, 0, 0, b.Location)
}

// midnight is the instant the local day days after today begins.
func (b *builder) midnight(days int) time.Time { return b.at(b.today.AddDate(0, 0, days), clock{}) }

// add lists a reminder due at the instant.
func (b *builder) add(due time.Time, r Reminder) {
	r.Due = due.UTC()
	b.Items = append(b.Items, r)
}

// repeats returns which of the reminders falling every Every days from the
// first date the agenda lists, as the number of periods after the first:
// the latest one already due, still open because the reminder is not done,
// and each one due before the horizon ends.
func (b *builder) repeats(first time.Time, c clock) []int {
	due := func(k int) time.Time { return b.at(first.AddDate(0, 0, k*Every), c) }
	k := 0
	if !due(0).After(b.Now) {
		// The last date on or before today; its time may still be ahead.
		k = daysBetween(first, b.today) / Every
		if k > 0 && due(k).After(b.Now) {
			k--
		}
	}
	var ks []int
	for ; due(k).Before(b.End); k++ {
		ks = append(ks, k)
	}
	return ks
}

// sessionPreparation reminds of each session ahead whose preparation is
// open, the evening before it.
func (b *builder) sessionPreparation(sessions []Session) {
	for i := range sessions {
		s := &sessions[i]
		if s.Completed {
			continue
		}
		open := s.OpenPreparation()
		due := b.at(dateOf(s.ScheduledAt, b.Location).AddDate(0, 0, -1), preparationAt)
		if len(open) == 0 || !due.Before(b.End) {
			continue
		}
		b.add(due, Reminder{Key: "session-prep:" + s.ID.String(), Kind: SessionPreparation, Session: s, Open: open})
	}
}

// OpenPreparation lists the parts of the session's preparation still open,
// in the order the patient is asked for them.
func (s Session) OpenPreparation() []Part {
	var open []Part
	for _, p := range []struct {
		part Part
		done bool
	}{
		{Intention, s.HasIntention},
		{Sitter, s.HasSitter},
		{FastingConfirmed, s.FastingConfirmed},
		{RideHomeArranged, s.RideHomeArranged},
		{SettingPrepared, s.SettingPrepared},
		{MusicReady, s.MusicReady},
	} {
		if !p.done {
			open = append(open, p.part)
		}
	}
	return open
}

// integrationJournal suggests a prompt on each remaining day of the
// integration window of the most recent completed session, unless the
// patient already journaled about it that day or answered that prompt.
func (b *builder) integrationJournal(sessions []Session, entries []Entry) {
	var latest *Session
	for i := range sessions {
		s := &sessions[i]
		if !s.Completed {
			continue
		}
		if latest == nil || cmp.Or(s.end().Compare(latest.end()), strings.Compare(s.ID.String(), latest.ID.String())) > 0 {
			latest = s
		}
	}
	if latest == nil {
		return
	}
	ended := dateOf(latest.end(), b.Location)
	for n, key := range IntegrationPrompts {
		date := ended.AddDate(0, 0, n+1)
		start, lapse := b.at(date, clock{}), b.at(date.AddDate(0, 0, 1), clock{})
		due := b.at(date, journalAt)
		if !lapse.After(b.Now) || !due.Before(b.End) || journaled(entries, latest.ID, key, start, lapse) {
			continue
		}
		b.add(due, Reminder{Key: "journal:" + latest.ID.String() + ":" + key, Kind: IntegrationJournal, Session: latest, PromptKey: key})
	}
}

// end is when a completed session ended, or when it was scheduled if its
// end was not recorded.
func (s Session) end() time.Time {
	if s.EndedAt != nil {
		return *s.EndedAt
	}
	return s.ScheduledAt
}

// journaled reports whether an entry about the session answers the prompt,
// or was written between start and end.
func journaled(entries []Entry, sessionID uuid.UUID, prompt string, start, end time.Time) bool {
	return slices.ContainsFunc(entries, func(e Entry) bool {
		if e.SessionID != sessionID {
			return false
		}
		answered := e.PromptKey != nil && *e.PromptKey == prompt
		return answered || (!e.CreatedAt.Before(start) && e.CreatedAt.Before(end))
	})
}

// goalCheckIns reminds of each active goal every week without a check-in.
func (b *builder) goalCheckIns(goals []Goal) {
	for i := range goals {
		g := &goals[i]
		since := g.CreatedAt
		if g.LastCheckInAt != nil {
			since = *g.LastCheckInAt
		}
		first := dateOf(since, b.Location).AddDate(0, 0, Every)
		for _, k := range b.repeats(first, checkInAt) {
			date := first.AddDate(0, 0, k*Every)
			b.add(b.at(date, checkInAt), Reminder{
				Key: "goal-check-in:" + g.ID.String() + ":" + date.Format(time.DateOnly), Kind: GoalCheckIn, Goal: g, Weeks: k + 1,
			})
		}
	}
}

// phq9 reminds of the weekly PHQ-9 during a course. Until a PHQ-9 taken no
// earlier than a week before the first session gives the course its
// baseline, the first reminder falls the day before that session; after
// it, a week after the last PHQ-9.
func (b *builder) phq9(c Course) {
	firstSession := c.FirstSessionAt.In(b.Location)
	baseline := c.LastPHQ9At == nil || c.LastPHQ9At.Before(firstSession.AddDate(0, 0, -Every))
	first := dateOf(firstSession, b.Location).AddDate(0, 0, -1)
	if !baseline {
		first = dateOf(*c.LastPHQ9At, b.Location).AddDate(0, 0, Every)
	}
	for _, k := range b.repeats(first, phq9At) {
		date := first.AddDate(0, 0, k*Every)
		b.add(b.at(date, phq9At), Reminder{Key: "phq9:" + date.Format(time.DateOnly), Kind: PHQ9Due, Baseline: baseline && k == 0})
	}
}
