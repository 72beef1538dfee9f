package agenda

import (
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
)

// la has a daylight-saving change on 2026-11-01 (PDT -> PST).
var la = mustZone("America/Los_Angeles")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

func local(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, la) }

func TestPlan(t *testing.T) {
	session := uuid.MustParse("0190a000-0000-7000-8000-000000000001")
	goal := uuid.MustParse("0190a000-0000-7000-8000-000000000002")
	prompt := func(s string) *string { return &s }
	ended := local(2026, 10, 30, 14, 0)
	tests := []struct {
		name  string
		now   time.Time
		facts Facts
		// want lists each reminder as key and local due time.
		want []string
	}{
		{
			name:  "nothing to remind of",
			now:   local(2026, 10, 28, 9, 0),
			facts: Facts{},
			want:  nil,
		},
		{
			name: "preparation the evening before, across the daylight-saving change",
			now:  local(2026, 10, 28, 9, 0),
			facts: Facts{Sessions: []Session{{ID: session, Sequence: 2, ScheduledAt: local(2026, 11, 2, 10, 0),
				HasIntention: true}}},
			want: []string{"session-prep:" + session.String() + " 2026-11-01T18:00:00-08:00"},
		},
		{
			name: "a session fully prepared needs no reminder",
			now:  local(2026, 10, 28, 9, 0),
			facts: Facts{Sessions: []Session{{ID: session, ScheduledAt: local(2026, 10, 30, 10, 0), HasIntention: true,
				HasSitter: true, FastingConfirmed: true, RideHomeArranged: true, SettingPrepared: true, MusicReady: true}}},
			want: nil,
		},
		{
			name:  "integration prompts on each of the three days after a session",
			now:   local(2026, 10, 30, 20, 0),
			facts: Facts{Sessions: []Session{{ID: session, Completed: true, ScheduledAt: ended.Add(-2 * time.Hour), EndedAt: &ended}}},
			want: []string{
				"journal:" + session.String() + ":felt_for_the_first_time 2026-10-31T19:00:00-07:00",
				"journal:" + session.String() + ":insights_gained 2026-11-01T19:00:00-08:00",
				"journal:" + session.String() + ":actions_to_take 2026-11-02T19:00:00-08:00",
			},
		},
		{
			name: "a prompt already answered is not suggested again",
			now:  local(2026, 10, 30, 20, 0),
			facts: Facts{
				Sessions: []Session{{ID: session, Completed: true, ScheduledAt: ended.Add(-2 * time.Hour), EndedAt: &ended}},
				Entries:  []Entry{{SessionID: session, PromptKey: prompt("insights_gained"), CreatedAt: ended.Add(3 * time.Hour)}},
			},
			want: []string{
				"journal:" + session.String() + ":felt_for_the_first_time 2026-10-31T19:00:00-07:00",
				"journal:" + session.String() + ":actions_to_take 2026-11-02T19:00:00-08:00",
			},
		},
		{
			name:  "a goal's check-in a week after it was set, still open when overdue",
			now:   local(2026, 10, 28, 19, 0),
			facts: Facts{Goals: []Goal{{ID: goal, Category: "self_care", CreatedAt: local(2026, 10, 20, 12, 0)}}},
			want: []string{
				"goal-check-in:" + goal.String() + ":2026-10-27 2026-10-27T18:00:00-07:00",
				"goal-check-in:" + goal.String() + ":2026-11-03 2026-11-03T18:00:00-08:00",
			},
		},
		{
			name:  "the baseline PHQ-9 the day before the first session, then weekly",
			now:   local(2026, 10, 27, 8, 0),
			facts: Facts{Course: &Course{FirstSessionAt: local(2026, 10, 28, 10, 0)}},
			want:  []string{"phq9:2026-10-27 2026-10-27T10:00:00-07:00", "phq9:2026-11-03 2026-11-03T10:00:00-08:00"},
		},
		{
			name: "a week after the last PHQ-9 once the course has a baseline",
			now:  local(2026, 10, 28, 9, 0),
			facts: Facts{Course: &Course{FirstSessionAt: local(2026, 10, 26, 10, 0),
				LastPHQ9At: ptr(local(2026, 10, 25, 9, 0))}},
			want: []string{"phq9:2026-11-01 2026-11-01T10:00:00-08:00"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := Plan(tt.now, la, DefaultDays, tt.facts)
			var got []string
			for _, r := range a.Items {
				got = append(got, r.Key+" "+r.Due.In(la).Format(time.RFC3339))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestPlanMarksTheBaselineAndOpenParts(t *testing.T) {
	now := local(2026, 10, 28, 9, 0)
	a := Plan(now, la, DefaultDays, Facts{
		Sessions: []Session{{ID: uuid.New(), ScheduledAt: local(2026, 10, 30, 10, 0), HasSitter: true, MusicReady: true}},
		Course:   &Course{FirstSessionAt: local(2026, 10, 30, 10, 0)},
	})
	if len(a.Items) != 2 {
		t.Fatalf("want a PHQ-9 and the preparation, got %+v", a.Items)
	}
	prep := a.Items[1]
	if want := []Part{Intention, FastingConfirmed, RideHomeArranged, SettingPrepared}; !slices.Equal(prep.Open, want) {
		t.Errorf("open parts %v, want %v", prep.Open, want)
	}
	if !a.Items[0].Baseline {
		t.Errorf("the first PHQ-9 of a course gives its baseline: %+v", a.Items[0])
	}
	if want := local(2026, 11, 5, 0, 0); !a.End.Equal(want) {
		t.Errorf("horizon ends %v, want %v", a.End, want)
	}
}

func TestPlanKeepsTheSoonestItems(t *testing.T) {
	now := local(2026, 10, 28, 9, 0)
	var goals []Goal
	for range MaxItems + 20 {
		goals = append(goals, Goal{ID: uuid.New(), Category: "other", CreatedAt: local(2026, 9, 1, 9, 0)})
	}
	if n := len(Plan(now, la, DefaultDays, Facts{Goals: goals}).Items); n != MaxItems {
		t.Fatalf("%d items, want at most %d", n, MaxItems)
	}
}

func ptr[T any](v T) *T { return &v }
