package handlers

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ketacare/api/internal/agenda"
	"github.com/ketacare/api/internal/api"
	"github.com/ketacare/api/internal/measurement"
	"github.com/ketacare/api/internal/prompts"
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
	days := agenda.DefaultDays
	if req.Params.HorizonDays != nil {
		days = *req.Params.HorizonDays
	}
	now, loc := s.Now(), patientLocation(u.Timezone)
	facts, err := s.Store.AgendaFacts(ctx, u.ID, agenda.WindowFor(now, loc, days))
	if err != nil {
		return nil, err
	}
	a := agenda.Plan(now, loc, days, facts)
	items := make([]api.AgendaItem, len(a.Items))
	for i, r := range a.Items {
		items[i] = toAgendaItem(r, loc)
	}
	return api.GetMyAgenda200JSONResponse{Body: api.Agenda{
		GeneratedAt: a.Now, Timezone: loc.String(), HorizonDays: days, HorizonEnd: a.End.UTC(), Items: items,
	}}, nil
}

// toAgendaItem words a reminder for the patient, in their zone loc. Titles
// and bodies name a goal by its category and a session by its number, never
// by what the patient wrote.
func toAgendaItem(r agenda.Reminder, loc *time.Location) api.AgendaItem {
	it := api.AgendaItem{Key: r.Key, Kind: api.AgendaItemKind(r.Kind), DueAt: r.Due, DueLocal: r.Due.In(loc).Format(time.RFC3339)}
	switch r.Kind {
	case agenda.SessionPreparation:
		todo := make([]string, len(r.Open))
		open := make([]api.PreparationPart, len(r.Open))
		for i, p := range r.Open {
			todo[i], open[i] = preparationTodo[p], api.PreparationPart(p)
		}
		it.Title = fmt.Sprintf("Prepare for session %d", r.Session.Sequence)
		it.Body = fmt.Sprintf("Your session is on %s. Still to do: %s.",
			r.Session.ScheduledAt.In(loc).Format("Monday 2 January at 15:04"), strings.Join(todo, ", "))
		it.SessionID, it.OpenPreparation = ptr(r.Session.ID), &open
	case agenda.IntegrationJournal:
		p, _ := prompts.Lookup(r.PromptKey)
		it.Title = fmt.Sprintf("Journal about session %d", r.Session.Sequence)
		it.Body = p.Text
		it.SessionID, it.PromptKey = ptr(r.Session.ID), ptr(r.PromptKey)
	case agenda.GoalCheckIn:
		what := "set your "
		if r.Goal.LastCheckInAt != nil {
			what = "last checked in on your "
		}
		it.Title = "Check in on your goal"
		it.Body = fmt.Sprintf("It has been %s since you %s%s. How far along are you?", weeks(r.Weeks), what, goalNoun[r.Goal.Category])
		it.GoalID = ptr(r.Goal.ID)
	case agenda.PHQ9Due:
		it.Title = "Weekly questionnaire"
		it.Body = "Time for this week's PHQ-9: answering it lets you and your care team follow how you are doing."
		if r.Baseline {
			it.Title = "Questionnaire before your first session"
			it.Body = "Answer the PHQ-9 before your first session, so that you and your care team have a starting point to compare with."
		}
		it.Instrument = ptr(api.Instrument(measurement.PHQ9))
	}
	return it
}

// preparationTodo says what the patient has left to do for each open part.
var preparationTodo = map[agenda.Part]string{
	agenda.Intention:        "set your intention",
	agenda.Sitter:           "choose a sitter",
	agenda.FastingConfirmed: "confirm you will be fasting",
	agenda.RideHomeArranged: "arrange a ride home",
	agenda.SettingPrepared:  "prepare your setting",
	agenda.MusicReady:       "get your music ready",
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
