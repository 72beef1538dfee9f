package handlers

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ketacare/api/internal/api"
	"github.com/ketacare/api/internal/measurement"
	"github.com/ketacare/api/internal/models"
	"github.com/ketacare/api/internal/store"
)

// defaultAgendaDays is how many days after today an agenda looks ahead
// unless the app asks otherwise: a week, so the app can schedule a week of
// notifications and still remind the patient if it is not opened again.
const defaultAgendaDays = 7

// reminderEvery is the number of days between check-in reminders and
// between PHQ-9s during a course.
const reminderEvery = 7

// maxAgendaItems bounds an agenda, which grows with the patient's active
// goals: the soonest due are kept, more than a phone schedules at once.
const maxAgendaItems = 200

// integrationPrompts are the after-session prompts suggested on each day of
// the integration window, day 1 first: what was felt, what it taught, what
// to do about it. Their number is the window's length in days.
var integrationPrompts = []string{"felt_for_the_first_time", "insights_gained", "actions_to_take"}

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

// GetMyAgenda lists what the signed-in patient should be reminded of now
// and within the horizon. It reads the account (for the time zone) and then
// the agenda's records in a fixed number of queries, whatever the patient
// has recorded, and never opens sealed text.
func (s *Server) GetMyAgenda(ctx context.Context, req api.GetMyAgendaRequestObject) (api.GetMyAgendaResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	u, err := s.Store.UserByID(ctx, id.UserID)
	if err != nil {
		return nil, err
	}
	days := defaultAgendaDays
	if req.Params.HorizonDays != nil {
		days = *req.Params.HorizonDays
	}
	a := newAgenda(store.Now(), patientLocation(u.Timezone), days)
	facts, err := s.Store.AgendaFacts(ctx, u.ID, store.AgendaWindow{
		Now: a.now,
		// A preparation reminder falls the day before its session, so the
		// sessions of the horizon's days and the day after it are enough.
		SessionsUntil: a.midnight(days + 2),
		// The last integration day of a session that ended on day D ends
		// at the start of day D+len(integrationPrompts)+1.
		CompletedSince: a.midnight(-len(integrationPrompts)),
	})
	if err != nil {
		return nil, err
	}
	a.sessionPreparation(facts.Sessions)
	a.integrationJournal(facts.Sessions, facts.Entries)
	a.goalCheckIns(facts.Goals)
	if facts.Course != nil {
		a.phq9(*facts.Course)
	}
	slices.SortFunc(a.items, func(x, y api.AgendaItem) int {
		return cmp.Or(x.DueAt.Compare(y.DueAt), strings.Compare(x.Key, y.Key))
	})
	a.items = a.items[:min(len(a.items), maxAgendaItems)]
	return api.GetMyAgenda200JSONResponse{Body: api.Agenda{
		GeneratedAt: a.now, Timezone: a.loc.String(), HorizonDays: days, HorizonEnd: a.end.UTC(), Items: a.items,
	}}, nil
}

// agenda builds one patient's agenda. Days are counted in the patient's
// zone as calendar dates (midnight UTC values, so that adding days never
// meets a daylight-saving change), and each reminder's instant is built from
// its local date and time of day, so it keeps its local time when the
// offset changes.
type agenda struct {
	now   time.Time
	loc   *time.Location
	today time.Time // the patient's current date
	end   time.Time // nothing due at or after it is listed
	items []api.AgendaItem
}

func newAgenda(now time.Time, loc *time.Location, days int) *agenda {
	a := &agenda{now: now, loc: loc, today: dateOf(now, loc), items: []api.AgendaItem{}}
	a.end = a.midnight(days + 1)
	return a
}

// dateOf is t's calendar date in loc.
func dateOf(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// daysBetween counts the days from one date to a later one.
func daysBetween(from, to time.Time) int { return int(to.Sub(from) / day) }

// at is the instant of the local time on the date.
func (a *agenda) at(date time.Time, c clock) time.Time {
	return time.Date(date.Year(), date.Month(), date.Day(), c.hour, c.minute, 0, 0, a.loc)
}

// midnight is the instant the local day days after today begins.
func (a *agenda) midnight(days int) time.Time { return a.at(a.today.AddDate(0, 0, days), clock{}) }

// add lists a reminder due at the instant, completing the item's times.
func (a *agenda) add(due time.Time, it api.AgendaItem) {
	it.DueAt = due.UTC()
	it.DueLocal = due.In(a.loc).Format(time.RFC3339)
	a.items = append(a.items, it)
}

// repeats returns which of the reminders falling every reminderEvery days
// from the first date the agenda lists, as the number of periods after the
// first: the latest one already due, still open because the reminder is
// not done, and each one due before the horizon ends.
func (a *agenda) repeats(first time.Time, c clock) []int {
	due := func(k int) time.Time { return a.at(first.AddDate(0, 0, k*reminderEvery), c) }
	k := 0
	if !due(0).After(a.now) {
		// The last date on or before today; its time may still be ahead.
		k = daysBetween(first, a.today) / reminderEvery
		if k > 0 && due(k).After(a.now) {
			k--
		}
	}
	var ks []int
	for ; due(k).Before(a.end); k++ {
		ks = append(ks, k)
	}
	return ks
}

// sessionPreparation reminds of each session ahead whose preparation is
// open, the evening before it.
func (a *agenda) sessionPreparation(sessions []store.AgendaSession) {
	for _, s := range sessions {
		if s.Status != models.SessionStatusScheduled {
			continue
		}
		open := openPreparation(s)
		due := a.at(dateOf(s.ScheduledAt, a.loc).AddDate(0, 0, -1), preparationAt)
		if len(open) == 0 || !due.Before(a.end) {
			continue
		}
		todo := make([]string, len(open))
		for i, p := range open {
			todo[i] = preparationTodo[p]
		}
		a.add(due, api.AgendaItem{
			Key:   "session-prep:" + s.ID.String(),
			Kind:  api.AgendaItemKindSessionPreparation,
			Title: fmt.Sprintf("Prepare for session %d", s.Sequence),
			Body: fmt.Sprintf("Your session is on %s. Still to do: %s.",
				s.ScheduledAt.In(a.loc).Format("Monday 2 January at 15:04"), strings.Join(todo, ", ")),
			SessionID:       ptr(s.ID),
			OpenPreparation: &open,
		})
	}
}

// preparationTodo says what the patient has left to do for each open part.
var preparationTodo = map[api.PreparationPart]string{
	api.PreparationPartIntention:        "set your intention",
	api.PreparationPartSitter:           "choose a sitter",
	api.PreparationPartFastingConfirmed: "confirm you will be fasting",
	api.PreparationPartRideHomeArranged: "arrange a ride home",
	api.PreparationPartSettingPrepared:  "prepare your setting",
	api.PreparationPartMusicReady:       "get your music ready",
}

// openPreparation lists the parts of the session's preparation still open,
// in the order the spec lists them.
func openPreparation(s store.AgendaSession) []api.PreparationPart {
	var open []api.PreparationPart
	for _, p := range []struct {
		part api.PreparationPart
		done bool
	}{
		{api.PreparationPartIntention, s.HasIntention},
		{api.PreparationPartSitter, s.HasSitter},
		{api.PreparationPartFastingConfirmed, s.FastingConfirmed},
		{api.PreparationPartRideHomeArranged, s.RideHomeArranged},
		{api.PreparationPartSettingPrepared, s.SettingPrepared},
		{api.PreparationPartMusicReady, s.MusicReady},
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
func (a *agenda) integrationJournal(sessions []store.AgendaSession, entries []store.AgendaEntry) {
	var latest *store.AgendaSession
	for i := range sessions {
		s := &sessions[i]
		if s.Status != models.SessionStatusCompleted {
			continue
		}
		if latest == nil || cmp.Or(sessionEnd(*s).Compare(sessionEnd(*latest)), strings.Compare(s.ID.String(), latest.ID.String())) > 0 {
			latest = s
		}
	}
	if latest == nil {
		return
	}
	ended := dateOf(sessionEnd(*latest), a.loc)
	for n, key := range integrationPrompts {
		date := ended.AddDate(0, 0, n+1)
		start, lapse := a.at(date, clock{}), a.at(date.AddDate(0, 0, 1), clock{})
		due := a.at(date, journalAt)
		if !lapse.After(a.now) || !due.Before(a.end) || journaled(entries, latest.ID, key, start, lapse) {
			continue
		}
		a.add(due, api.AgendaItem{
			Key:       "journal:" + latest.ID.String() + ":" + key,
			Kind:      api.AgendaItemKindIntegrationJournal,
			Title:     fmt.Sprintf("Journal about session %d", latest.Sequence),
			Body:      promptText(key),
			SessionID: ptr(latest.ID),
			PromptKey: ptr(key),
		})
	}
}

// sessionEnd is when a completed session ended, or when it was scheduled if
// its end was not recorded.
func sessionEnd(s store.AgendaSession) time.Time {
	if s.EndedAt != nil {
		return *s.EndedAt
	}
	return s.ScheduledAt
}

// journaled reports whether an entry about the session answers the prompt,
// or was written between start and end.
func journaled(entries []store.AgendaEntry, sessionID uuid.UUID, prompt string, start, end time.Time) bool {
	return slices.ContainsFunc(entries, func(e store.AgendaEntry) bool {
		if e.SessionID != sessionID {
			return false
		}
		answered := e.PromptKey != nil && *e.PromptKey == prompt
		return answered || (!e.CreatedAt.Before(start) && e.CreatedAt.Before(end))
	})
}

// promptText is the catalog's wording of the prompt.
func promptText(key string) string {
	for _, p := range journalPrompts {
		if p.key == key {
			return p.text
		}
	}
	return ""
}

// goalCheckIns reminds of each active goal every week without a check-in.
func (a *agenda) goalCheckIns(goals []store.AgendaGoal) {
	for _, g := range goals {
		since, what := g.CreatedAt, "set your "
		if g.LastCheckInAt != nil {
			since, what = *g.LastCheckInAt, "last checked in on your "
		}
		first := dateOf(since, a.loc).AddDate(0, 0, reminderEvery)
		for _, k := range a.repeats(first, checkInAt) {
			date := first.AddDate(0, 0, k*reminderEvery)
			a.add(a.at(date, checkInAt), api.AgendaItem{
				Key:    "goal-check-in:" + g.ID.String() + ":" + date.Format(time.DateOnly),
				Kind:   api.AgendaItemKindGoalCheckIn,
				Title:  "Check in on your goal",
				Body:   fmt.Sprintf("It has been %s since you %s%s. How far along are you?", weeks(k+1), what, goalNoun[g.Category]),
				GoalID: ptr(g.ID),
			})
		}
	}
}

// goalNoun names a goal by its category, never by its (sealed) title.
var goalNoun = map[string]string{
	"connection":   "connection goal",
	"comfort_zone": "comfort-zone goal",
	"slow_down":    "slowing-down goal",
	"self_care":    "self-care goal",
	"other":        "goal",
}

func weeks(n int) string {
	if n == 1 {
		return "a week"
	}
	return fmt.Sprintf("%d weeks", n)
}

// phq9 reminds of the weekly PHQ-9 during a course. Until a PHQ-9 taken no
// earlier than a week before the first session gives the course its
// baseline, the first reminder falls the day before that session; after
// it, a week after the last PHQ-9.
func (a *agenda) phq9(c store.AgendaCourse) {
	firstSession := c.FirstSessionAt.In(a.loc)
	baseline := c.LastPHQ9At == nil || c.LastPHQ9At.Before(firstSession.AddDate(0, 0, -reminderEvery))
	first := dateOf(firstSession, a.loc).AddDate(0, 0, -1)
	if !baseline {
		first = dateOf(*c.LastPHQ9At, a.loc).AddDate(0, 0, reminderEvery)
	}
	for _, k := range a.repeats(first, phq9At) {
		date := first.AddDate(0, 0, k*reminderEvery)
		it := api.AgendaItem{
			Key:        "phq9:" + date.Format(time.DateOnly),
			Kind:       api.AgendaItemKindPhq9Due,
			Title:      "Weekly questionnaire",
			Body:       "Time for this week's PHQ-9: answering it lets you and your care team follow how you are doing.",
			Instrument: ptr(api.Instrument(measurement.PHQ9)),
		}
		if baseline && k == 0 {
			it.Title = "Questionnaire before your first session"
			it.Body = "Answer the PHQ-9 before your first session, so that you and your care team have a starting point to compare with."
		}
		a.add(a.at(date, phq9At), it)
	}
}
