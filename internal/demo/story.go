package demo

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"time"

	"github.com/google/uuid"

	"github.com/ketacare/api/internal/models"
)

// zone is the demo patients' timezone: the clinic's.
const zone = "America/Los_Angeles"

// domain is the demo accounts' email domain (.example is reserved: no mail
// ever reaches it).
const domain = "@demo-clinic.example"

// event is one moment of the story: the service's clock reads at while do
// runs.
type event struct {
	at time.Time
	do func() error
}

// story gathers the clinic's events, then acts them out in time order, so
// that the clock only moves forward and every record exists before the
// events that refer to it.
type story struct {
	*seeder
	loc    *time.Location
	now    time.Time // the real time the seeder started
	events []event
}

// day is a local wall-clock time n days from today (n <= 0 for the past).
func (st *story) day(n, hour, minute int) time.Time {
	y, m, d := st.now.In(st.loc).Date()
	return time.Date(y, m, d+n, hour, minute, 0, 0, st.loc)
}

// ago is a time earlier today, or late yesterday: h hours before now.
func (st *story) ago(h float64) time.Time {
	return st.now.Add(-time.Duration(h * float64(time.Hour)))
}

func (st *story) on(at time.Time, do func() error) {
	st.events = append(st.events, event{at: at, do: do})
}

func (st *story) run() error {
	sort.SliceStable(st.events, func(i, j int) bool { return st.events[i].at.Before(st.events[j].at) })
	for _, e := range st.events {
		if !e.at.Before(st.now) {
			return fmt.Errorf("demo story: an event at %s is not in the past", e.at)
		}
		st.clock.Set(e.at)
		if err := e.do(); err != nil {
			return fmt.Errorf("demo story at %s: %w", e.at.Format(time.DateTime), err)
		}
	}
	st.clock.Reset()
	return nil
}

// clinic makes the clinicians and the three patients, and returns their
// logins.
func (s *seeder) clinic() ([]Login, error) {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return nil, err
	}
	st := &story{seeder: s, loc: loc, now: s.clock.Now()}
	var logins []Login

	// The clinicians' accounts exist from the first day of the story.
	psych := newMember(member{email: "morgan.reyes" + domain, name: "Dr. Morgan Reyes (demo)", profession: "psychiatrist"})
	therapist := newMember(member{email: "robin.hale" + domain, name: "Robin Hale (demo)", profession: "therapist"})
	for _, c := range []*member{psych, therapist} {
		st.on(st.day(-50, 9, 0), func() error { return st.newClinician(c) })
	}
	logins = append(logins,
		Login{Role: models.RoleClinician, Name: psych.name, Email: psych.email, Password: psych.password,
			About: "psychiatrist on all three care teams; evaluates, plans, records the journeys; sees Avery's open safety alert"},
		Login{Role: models.RoleClinician, Name: therapist.name, Email: therapist.email, Password: therapist.password,
			About: "therapist on Blake's and Casey's care teams; writes integration notes"})

	casey := st.finished(psych, therapist)
	blake := st.midCourse(psych, therapist)
	avery := st.upcoming(psych)
	if err := st.run(); err != nil {
		return nil, err
	}
	for _, p := range []*member{avery, blake, casey} {
		logins = append(logins, Login{Role: models.RolePatient, Name: p.name, Email: p.email, Password: p.password, About: p.about})
	}
	return logins, nil
}

// member is a demo account and, once made, a caller acting as it.
type member struct {
	email, name, profession, password, about string
	caller
}

// newMember gives the account a fresh password.
func newMember(m member) *member {
	m.password = newPassword(m.email, m.name)
	return &m
}

func (st *story) newClinician(m *member) error {
	id, err := st.admin.post("/v1/clinicians", map[string]any{
		"email": m.email, "display_name": m.name, "profession": m.profession, "password": m.password})
	if err != nil {
		return err
	}
	m.caller, err = st.as(id, models.RoleClinician)
	return err
}

// newPatient has the patient sign up in the app, set their timezone, and
// the admin put the clinicians on their care team.
func (st *story) newPatient(m *member, team ...*member) error {
	var tokens struct {
		AccessToken string `json:"access_token"`
	}
	anon := caller{s: st.seeder}
	if _, err := anon.call(http.MethodPost, "/v1/auth/register", "", map[string]any{
		"email": m.email, "display_name": m.name, "password": m.password}, &tokens); err != nil {
		return err
	}
	var me struct {
		ID uuid.UUID `json:"id"`
	}
	if _, err := (caller{s: st.seeder, token: tokens.AccessToken}).call(http.MethodGet, "/v1/me", "", nil, &me); err != nil {
		return err
	}
	var err error
	if m.caller, err = st.as(me.ID, models.RolePatient); err != nil {
		return err
	}
	if err := m.patch("/v1/me", map[string]any{"timezone": zone}); err != nil {
		return err
	}
	for _, c := range team {
		if _, err := st.admin.call(http.MethodPut, "/v1/patients/"+m.id.String()+"/care-team/"+c.id.String(), "", nil, nil); err != nil {
			return err
		}
	}
	return nil
}

// course is one patient's treatment plan, as the story knows it.
type course struct {
	patient  *member
	sessions []uuid.UUID // by sequence, once the plan exists
	planID   uuid.UUID
}

// plan has the psychiatrist record an eligible evaluation and make a plan
// starting on startDay, at 10:00, perWeek sessions a week.
func (st *story) plan(c *course, psych *member, at time.Time, startDay, perWeek, count int, route string) {
	st.on(at, func() error {
		p := c.patient.id.String()
		if _, err := psych.post("/v1/patients/"+p+"/evaluations", map[string]any{
			"evaluated_at": at.Add(-45 * time.Minute), "outcome": "eligible", "contraindications": []string{},
			"baseline_blood_pressure": map[string]int{"systolic": 122, "diastolic": 78},
			"clinician_notes": "Depression that has not lifted after two adequate antidepressant trials. No contraindications; blood pressure in range. " +
				"We went through the five parts of each session (route, sitter, preparation, journey, integration) and why integration matters.",
		}); err != nil {
			return err
		}
		start := st.day(startDay, 0, 0).Format(time.DateOnly)
		var err error
		c.planID, err = psych.post("/v1/patients/"+p+"/treatment-plans", map[string]any{
			"start_date": start, "sessions_per_week": perWeek, "session_count": count, "route": route, "preferred_time": "10:00"})
		if err != nil {
			return err
		}
		var page struct {
			Items []struct {
				ID       uuid.UUID `json:"id"`
				Sequence int       `json:"sequence"`
			} `json:"items"`
		}
		if _, err := psych.call(http.MethodGet, "/v1/sessions?patient_id="+p+"&plan_id="+c.planID.String()+"&limit=50", "", nil, &page); err != nil {
			return err
		}
		slices.SortFunc(page.Items, func(a, b struct {
			ID       uuid.UUID `json:"id"`
			Sequence int       `json:"sequence"`
		}) int {
			return a.Sequence - b.Sequence
		})
		for _, it := range page.Items {
			c.sessions = append(c.sessions, it.ID)
		}
		if len(c.sessions) != count {
			return fmt.Errorf("the plan scheduled %d sessions, not %d", len(c.sessions), count)
		}
		return nil
	})
}

// session returns the path of the course's session n (1-based).
func (c *course) session(n int) string { return "/v1/sessions/" + c.sessions[n-1].String() }

// prepare has the patient prepare for session n the evening before it.
func (st *story) prepare(c *course, n int, at time.Time, intention string, sitter bool, checklist map[string]bool) {
	st.on(at, func() error {
		body := map[string]any{"preparation": map[string]any{"intention": intention, "checklist": checklist}}
		if sitter {
			body["sitter"] = map[string]string{"name": "Jamie", "relationship": "friend", "phone": "555-0142"}
		}
		return c.patient.patch(c.session(n), body)
	})
}

// hold records session n, held on day at 10:00: vitals and the journey by
// the psychiatrist, then the therapist's integration notes in the afternoon.
func (st *story) hold(c *course, n, day int, psych, therapist *member, mgPerKg float64, journey, integration string) {
	st.on(st.day(day, 11, 5), func() error {
		for i, v := range [][3]int{{128, 80, 72}, {136, 86, 78}, {124, 78, 70}} {
			if _, err := psych.post(c.session(n)+"/vitals", map[string]any{
				"taken_at": st.day(day, 10, 2+28*i), "systolic": v[0], "diastolic": v[1], "heart_rate": v[2], "spo2": 98}); err != nil {
				return err
			}
		}
		return psych.patch(c.session(n), map[string]any{"status": "completed", "journey": map[string]any{
			"started_at": st.day(day, 10, 5), "ended_at": st.day(day, 10, 50),
			"dose_mg_per_kg": mgPerKg, "dose_mg": mgPerKg * 70, "notes": journey}})
	})
	if therapist != nil && integration != "" {
		st.on(st.day(day, 15, 30), func() error {
			return therapist.patch(c.session(n), map[string]any{"integration": map[string]any{"therapist_notes": integration}})
		})
	}
}

// entry is a journal entry.
type entry struct {
	prompt, title, body string
	insights            []string
	mood                int
	session             int // 0: none
	shared              bool
}

// journal has the patient write the entry; id receives its id.
func (st *story) journal(c *course, at time.Time, e entry, id *uuid.UUID) {
	st.on(at, func() error {
		body := map[string]any{"prompt_key": e.prompt, "title": e.title, "body": e.body, "shared_with_care_team": e.shared}
		if e.mood > 0 {
			body["mood"] = e.mood
		}
		if len(e.insights) > 0 {
			body["insights"] = e.insights
		}
		if e.session > 0 {
			body["session_id"] = c.sessions[e.session-1]
		}
		got, err := c.patient.post("/v1/journal-entries", body)
		if id != nil {
			*id = got
		}
		return err
	})
}

// assess has the patient answer PHQ-9 and GAD-7: the totals are spread over
// the items; item9 is PHQ-9's last item (thoughts of self-harm).
func (st *story) assess(c *course, at time.Time, phq9, item9, gad7 int) {
	st.on(at, func() error {
		phq := append(spread(phq9-item9, 8), item9)
		if _, err := c.patient.post("/v1/assessments", map[string]any{"instrument": "phq9", "answers": phq}); err != nil {
			return err
		}
		_, err := c.patient.post("/v1/assessments", map[string]any{"instrument": "gad7", "answers": spread(gad7, 7)})
		return err
	})
}

// spread shares total between n items of 0 to 3, as evenly as it goes.
func spread(total, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = total / n
		if i < total%n {
			out[i]++
		}
	}
	return out
}

// acknowledge has the clinician follow up the patient's open alert.
func (st *story) acknowledge(c *course, at time.Time, clinician *member, note string) {
	st.on(at, func() error {
		var page struct {
			Items []struct {
				ID        uuid.UUID `json:"id"`
				PatientID uuid.UUID `json:"patient_id"`
			} `json:"items"`
		}
		if _, err := clinician.call(http.MethodGet, "/v1/alerts?status=open", "", nil, &page); err != nil {
			return err
		}
		for _, a := range page.Items {
			if a.PatientID == c.patient.id {
				_, err := clinician.call(http.MethodPost, "/v1/alerts/"+a.ID.String()+"/acknowledge", "", map[string]any{"note": note}, nil)
				return err
			}
		}
		return fmt.Errorf("no open alert for %s", c.patient.name)
	})
}

func (st *story) activity(c *course, at time.Time, kind string, minutes int, note string) {
	st.on(at, func() error {
		body := map[string]any{"kind": kind, "occurred_at": at.Add(-time.Duration(minutes) * time.Minute), "duration_minutes": minutes}
		if note != "" {
			body["note"] = note
		}
		_, err := c.patient.post("/v1/activities", body)
		return err
	})
}

func (st *story) mood(c *course, at time.Time, mood, anxiety int, note string) {
	st.on(at, func() error {
		body := map[string]any{"mood": mood, "anxiety": anxiety}
		if note != "" {
			body["note"] = note
		}
		_, err := c.patient.post("/v1/mood-check-ins", body)
		return err
	})
}

// goal has the patient set a goal, from a journal entry when source is not
// nil, and check in on it at each of checkIns (progress in percent); a goal
// that reaches 100 is marked achieved.
func (st *story) goal(c *course, at time.Time, category, title, why, firstStep string, source *uuid.UUID, checkIns map[time.Time]int) {
	var id uuid.UUID
	st.on(at, func() error {
		body := map[string]any{"category": category, "title": title, "why": why, "first_step": firstStep}
		if source != nil {
			body["source_journal_entry_id"] = *source
		}
		var err error
		id, err = c.patient.post("/v1/goals", body)
		return err
	})
	for when, progress := range checkIns {
		st.on(when, func() error {
			path := "/v1/goals/" + id.String()
			if _, err := c.patient.post(path+"/check-ins", map[string]any{"progress": progress}); err != nil {
				return err
			}
			if progress == 100 {
				return c.patient.patch(path, map[string]any{"status": "achieved"})
			}
			return nil
		})
	}
}

// completePlan has the psychiatrist close the course once every session is
// recorded.
func (st *story) completePlan(c *course, at time.Time, psych *member) {
	st.on(at, func() error {
		return psych.patch("/v1/patients/"+c.patient.id.String()+"/treatment-plans/"+c.planID.String(), map[string]any{"status": "completed"})
	})
}
