package scheduling

import (
	"errors"
	"slices"
	"testing"
	"time"
)

func TestSessionTimes(t *testing.T) {
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 10, 20, 12, 0, 0, 0, la)
	date := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		name string
		plan Plan
		// want is each session's local time; wantErr the input at fault.
		want    []string
		wantErr Input
	}{
		{
			name: "twice a week, evenly spread, keeping 10:00 across the daylight-saving change",
			plan: Plan{StartDate: date(10, 29), SessionsPerWeek: 2, SessionCount: 4, TimeOfDay: "10:00"},
			want: []string{"2026-10-29T10:00:00-07:00", "2026-11-01T10:00:00-08:00", "2026-11-05T10:00:00-08:00", "2026-11-08T10:00:00-08:00"},
		},
		{
			name: "three a week on named weekdays, in weekday order",
			plan: Plan{StartDate: date(10, 26), SessionsPerWeek: 3, SessionCount: 3, Weekdays: []int{5, 1, 3}, TimeOfDay: "09:30"},
			want: []string{"2026-10-26T09:30:00-07:00", "2026-10-28T09:30:00-07:00", "2026-10-30T09:30:00-07:00"},
		},
		{name: "one a week", plan: Plan{StartDate: date(10, 26), SessionsPerWeek: 1, SessionCount: 3, TimeOfDay: "09:00"}, wantErr: SessionsPerWeek},
		{name: "a bad time", plan: Plan{StartDate: date(10, 26), SessionsPerWeek: 2, SessionCount: 3, TimeOfDay: "25:00"}, wantErr: TimeOfDay},
		{name: "no sessions", plan: Plan{StartDate: date(10, 26), SessionsPerWeek: 2, TimeOfDay: "09:00"}, wantErr: SessionCount},
		{name: "yesterday", plan: Plan{StartDate: date(10, 19), SessionsPerWeek: 2, SessionCount: 2, TimeOfDay: "09:00"}, wantErr: StartDate},
		{name: "today, but the hour has passed", plan: Plan{StartDate: date(10, 20), SessionsPerWeek: 2, SessionCount: 2, TimeOfDay: "09:00"}, wantErr: StartDate},
		{name: "over a year ahead", plan: Plan{StartDate: date(10, 20).AddDate(1, 0, 2), SessionsPerWeek: 2, SessionCount: 2, TimeOfDay: "09:00"}, wantErr: StartDate},
		{name: "too few weekdays", plan: Plan{StartDate: date(10, 26), SessionsPerWeek: 3, SessionCount: 3, Weekdays: []int{1, 3}, TimeOfDay: "09:00"}, wantErr: Weekdays},
		{name: "a weekday twice", plan: Plan{StartDate: date(10, 26), SessionsPerWeek: 2, SessionCount: 3, Weekdays: []int{1, 1}, TimeOfDay: "09:00"}, wantErr: Weekdays},
		{name: "no eighth weekday", plan: Plan{StartDate: date(10, 26), SessionsPerWeek: 2, SessionCount: 3, Weekdays: []int{1, 8}, TimeOfDay: "09:00"}, wantErr: Weekdays},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			times, err := tt.plan.SessionTimes(la, now.UTC())
			if tt.wantErr != "" {
				var se *Error
				if !errors.As(err, &se) || se.Input != tt.wantErr {
					t.Fatalf("error %v, want one about %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, at := range times {
				got = append(got, at.In(la).Format(time.RFC3339))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}
