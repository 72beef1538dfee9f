package handlers_test

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ketacare/api/internal/api"
	"github.com/ketacare/api/internal/apitest"
	"github.com/ketacare/api/internal/models"
)

// The access matrix runs against one clinic with two patients, each with a
// clinician on their care team and records of every kind, written in words
// that appear nowhere else. Whatever the matrix calls, a response to
// someone who may not see a patient's records must not carry any of their
// ids or words.

// persona is what a patient and their care team wrote, recognisable in any
// response.
type persona struct {
	contact string // the patient's emergency contact
	// The patient's own words, and whom the spec lets read them.
	intention    string // before a session: the patient, their care team, admins
	privateEntry string // a journal entry not shared: the patient alone
	sharedEntry  string // a journal entry shared: the patient and their care team
	goal         string // born of the shared entry: the patient and their care team
	privateGoal  string // born of the private entry: the patient and their care team
	checkIn      string // progress on the goal: the patient and their care team
	activity     string // an activity's note: the patient and their care team
	mood         string // a mood check-in's note: the patient, their care team, admins
	// The care team's words.
	evaluation string // clinical notes: the care team alone
	journey    string // clinical notes: the care team alone
	therapist  string // clinical notes: the care team alone
	followUp   string // how a safety alert was followed up: the care team and admins
}

var (
	ownerWords = persona{
		contact:      "Tobias Quenby",
		intention:    "To stop flinching when I hear my mother's name",
		privateEntry: "I have never told anyone about the night of the fire on Larch Street",
		sharedEntry:  "During the session I saw the orchard behind my grandmother's house",
		goal:         "Walk the orchard path with Tobias every Saturday",
		privateGoal:  "Write the Larch Street letter and burn it",
		checkIn:      "Walked the orchard path twice and cried once",
		activity:     "Sat by the millpond at Hollin Weir until the light went",
		mood:         "Dreading the anniversary of the orchard sale",
		evaluation:   "Disclosed two earlier overdoses at intake; lives alone",
		journey:      "Curled up and called for her grandmother at minute twenty",
		therapist:    "Tied the Larch Street fire to a fear of sleeping alone",
		followUp:     "Phoned about item nine; safety plan with Tobias reviewed",
	}
	otherWords = persona{
		contact:      "Odile Valcourt",
		intention:    "To hear my brother's voice without bracing",
		privateEntry: "The debt to the Marchetti brothers is still eleven thousand",
		sharedEntry:  "The music turned into the sound of the ferry at Quay Seven",
		goal:         "Take the ferry from Quay Seven with Odile",
		privateGoal:  "Tell Odile about the Marchetti debt",
		checkIn:      "Booked the Quay Seven ferry for the spring",
		activity:     "Rowed the length of Saltmarsh Creek at dawn",
		mood:         "Restless after the call from Marchetti",
		evaluation:   "Drinking to sleep since the shipyard closed",
		journey:      "Wept at the ferry horn in the playlist",
		therapist:    "Named the shipyard closure as the start of the numbness",
		followUp:     "Reached at the shipyard canteen; no plan, agreed weekly calls",
	}
)

// records are one patient's: who they and their care team are, and the ids
// of what they wrote.
type records struct {
	p                                            persona
	patient, team                                apitest.User
	evaluation, plan, session, vital             uuid.UUID
	privateEntry, sharedEntry, goal, privateGoal uuid.UUID
	checkIn, activity, mood, assessment, alert   uuid.UUID
}

// audience is who, besides nobody, may read something of a patient's.
type audience uint8

const (
	patientReads audience = 1 << iota // the patient themself
	teamReads                         // clinicians on their care team
	adminReads                        // the clinic's admins
)

// marker is something of a patient's that only its audience may receive.
type marker struct {
	what    string
	text    string
	of      *records
	readers audience
}

// world is the clinic the matrix runs in.
type world struct {
	env   *apitest.Env
	admin apitest.User
	// a is the owner of the records the matrix calls on; b is the other
	// patient, with the outsider (a clinician not on a's care team) on
	// theirs, so that each clinician has a patient of their own.
	a, b *records
	// login is an account whose password the public operations use, and
	// spare a clinician the admin may put on and take off a's care team.
	login, spare apitest.User
	markers      []marker
	// shown counts, by marker, the responses that showed it to someone who
	// may read it.
	shown []int
}

func newWorld(t *testing.T, env *apitest.Env) *world {
	t.Helper()
	c := newClinic(t, env)
	env.Put("/v1/patients/"+c.otherPatient.ID.String()+"/care-team/"+c.outsider.ID.String(), c.admin.Token, nil).Expect(t, http.StatusOK)
	w := &world{env: env, admin: c.admin}
	w.a = w.writeRecords(t, c.patient, c.clinician, ownerWords)
	w.b = w.writeRecords(t, c.otherPatient, c.outsider, otherWords)
	w.login = env.Patient("Lane Public")
	w.spare = env.Clinician("Dr. Spare Rota", "nurse")
	for _, r := range []*records{w.a, w.b} {
		w.mark(r, patientReads|teamReads|adminReads, map[string]string{
			"patient id": r.patient.ID.String(), "name": r.patient.Name, "email": r.patient.Email, "emergency contact": r.p.contact,
			"evaluation id": r.evaluation.String(), "plan id": r.plan.String(), "session id": r.session.String(),
			"vital sign id": r.vital.String(), "shared entry id": r.sharedEntry.String(), "goal id": r.goal.String(),
			"private goal id": r.privateGoal.String(), "check-in id": r.checkIn.String(), "activity id": r.activity.String(),
			"mood check-in id": r.mood.String(), "assessment id": r.assessment.String(), "alert id": r.alert.String(),
			"intention": r.p.intention, "mood note": r.p.mood,
		})
		w.mark(r, patientReads, map[string]string{"private entry id": r.privateEntry.String(), "private entry": r.p.privateEntry})
		w.mark(r, patientReads|teamReads, map[string]string{
			"shared entry": r.p.sharedEntry, "goal": r.p.goal, "private goal": r.p.privateGoal, "check-in note": r.p.checkIn, "activity note": r.p.activity,
		})
		w.mark(r, teamReads, map[string]string{"evaluation notes": r.p.evaluation, "journey notes": r.p.journey, "therapist notes": r.p.therapist})
		w.mark(r, teamReads|adminReads, map[string]string{"follow-up note": r.p.followUp})
	}
	w.shown = make([]int, len(w.markers))
	return w
}

func (w *world) mark(r *records, readers audience, texts map[string]string) {
	for what, text := range texts {
		w.markers = append(w.markers, marker{what: what, text: text, of: r, readers: readers})
	}
}

// writeRecords has a patient and the clinician on their care team write
// one record of every kind through the API, in the persona's words: the
// patient's first session was held and the course then stopped, so the
// patient has no active plan. Both journal entries are about that session.
func (w *world) writeRecords(t *testing.T, patient, team apitest.User, p persona) *records {
	t.Helper()
	env := w.env
	r := &records{p: p, patient: patient, team: team}
	pid := "/v1/patients/" + r.patient.ID.String()
	env.PatchIf(pid, r.patient.Token, env.Tag(pid), map[string]any{"date_of_birth": "1984-03-09",
		"emergency_contact": map[string]any{"name": p.contact, "phone": "+1 503 555 0142", "relationship": "sibling"}}).Expect(t, http.StatusOK)

	var ev api.CandidacyEvaluation
	env.Post(pid+"/evaluations", r.team.Token, map[string]any{"evaluated_at": timeAgo(72 * time.Hour), "outcome": "eligible",
		"baseline_blood_pressure": map[string]any{"systolic": 124, "diastolic": 80}, "clinician_notes": p.evaluation}).
		Expect(t, http.StatusCreated).JSON(t, &ev)
	var plan api.TreatmentPlan
	env.Post(pid+"/treatment-plans", r.team.Token, map[string]any{"start_date": localDate(t, "UTC", 1), "sessions_per_week": 2, "route": "iv_infusion"}).
		Expect(t, http.StatusCreated).JSON(t, &plan)
	var sessions api.TreatmentSessionPage
	env.Get("/v1/sessions?limit=1&patient_id="+r.patient.ID.String(), r.team.Token).Expect(t, http.StatusOK).JSON(t, &sessions)
	r.evaluation, r.plan, r.session = ev.ID, plan.ID, sessions.Items[0].ID
	session := "/v1/sessions/" + r.session.String()
	env.PatchIf(session, r.patient.Token, env.Tag(session), map[string]any{"preparation": map[string]any{"intention": p.intention}}).
		Expect(t, http.StatusOK)
	env.PatchIf(session, r.team.Token, env.Tag(session), map[string]any{"status": "completed",
		"journey":     map[string]any{"started_at": timeAgo(4 * time.Hour), "ended_at": timeAgo(3 * time.Hour), "notes": p.journey},
		"integration": map[string]any{"therapist_notes": p.therapist}}).Expect(t, http.StatusOK)
	var vital api.VitalSign
	env.Post(session+"/vitals", r.team.Token, map[string]any{"taken_at": timeAgo(3 * time.Hour), "systolic": 136, "diastolic": 84, "heart_rate": 82, "spo2": 98}).
		Expect(t, http.StatusCreated).JSON(t, &vital)
	r.vital = vital.ID
	planPath := pid + "/treatment-plans/" + r.plan.String()
	env.PatchIf(planPath, r.team.Token, env.Tag(planPath), map[string]any{"status": "cancelled"}).Expect(t, http.StatusOK)

	r.privateEntry = postEntry(t, env, r.patient.Token, map[string]any{"body": p.privateEntry, "session_id": r.session}).ID
	r.sharedEntry = postEntry(t, env, r.patient.Token, map[string]any{"body": p.sharedEntry, "session_id": r.session, "shared_with_care_team": true}).ID
	r.goal = postGoal(t, env, r.patient.Token, map[string]any{"title": p.goal, "category": "connection", "source_journal_entry_id": r.sharedEntry}).ID
	r.privateGoal = postGoal(t, env, r.patient.Token, map[string]any{"title": p.privateGoal, "category": "comfort_zone", "source_journal_entry_id": r.privateEntry}).ID
	var ci api.GoalCheckIn
	env.Post("/v1/goals/"+r.goal.String()+"/check-ins", r.patient.Token, map[string]any{"progress": 40, "note": p.checkIn}).
		Expect(t, http.StatusCreated).JSON(t, &ci)
	r.checkIn = ci.ID
	r.activity = postActivity(t, env, r.patient.Token, map[string]any{"kind": "nature", "occurred_at": timeAgo(26 * time.Hour), "note": p.activity}).ID
	r.mood = checkIn(t, env, r.patient, map[string]any{"mood": 4, "anxiety": 7, "note": p.mood}).ID
	r.assessment = assess(t, env, r.patient, takenAt(phq9(14, 1), time.Now().Add(-2*time.Hour))).ID
	r.alert = alertOf(t, env, r.assessment)
	env.Post("/v1/alerts/"+r.alert.String()+"/acknowledge", r.team.Token, map[string]any{"note": p.followUp}).Expect(t, http.StatusOK)
	return r
}

// alertOf is the safety alert the assessment raised.
func alertOf(t *testing.T, env *apitest.Env, assessment uuid.UUID) uuid.UUID {
	t.Helper()
	var a models.SafetyAlert
	if err := env.DB.Where("assessment_id = ?", assessment).Take(&a).Error; err != nil {
		t.Fatalf("the alert of assessment %s: %v", assessment, err)
	}
	return a.ID
}

// readers is what the user may read of the patient's records.
func (r *records) readers(u apitest.User) audience {
	switch {
	case u.ID == uuid.Nil:
		return 0
	case u.ID == r.patient.ID:
		return patientReads
	case u.ID == r.team.ID:
		return teamReads
	case u.Role == models.RoleAdmin:
		return adminReads
	}
	return 0
}

// leaks lists what the response carries, in its headers or body, that u
// may not read, and counts what it shows that u may read.
func (w *world) leaks(u apitest.User, res *apitest.Response) []string {
	var all bytes.Buffer
	for k, vs := range res.Header {
		for _, v := range vs {
			all.WriteString(k + ": " + v + "\n")
		}
	}
	all.Write(res.Body)
	var out []string
	for i, m := range w.markers {
		if !bytes.Contains(all.Bytes(), []byte(m.text)) {
			continue
		}
		if m.of.readers(u)&m.readers == 0 {
			out = append(out, m.of.patient.Name+"'s "+m.what)
		} else {
			w.shown[i]++
		}
	}
	return out
}

// unseen lists the patient's markers that no response showed: a marker no
// one ever reads proves nothing by not leaking.
func (w *world) unseen(r *records) []string {
	var out []string
	for i, m := range w.markers {
		if m.of == r && w.shown[i] == 0 {
			out = append(out, r.patient.Name+"'s "+m.what)
		}
	}
	return out
}

// versions are the versions of the records the refused calls aim at, to
// show they changed nothing.
func (w *world) versions(t *testing.T) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, r := range []*records{w.a, w.b} {
		for table, ids := range map[string][]uuid.UUID{
			"treatment_plans": {r.plan}, "treatment_sessions": {r.session}, "journal_entries": {r.privateEntry, r.sharedEntry},
			"goals": {r.goal, r.privateGoal}, "safety_alerts": {r.alert},
		} {
			for _, id := range ids {
				var v int64
				if err := w.env.DB.Table(table).Select("version").Where("id = ?", id).Scan(&v).Error; err != nil {
					t.Fatalf("version of %s %s: %v", table, id, err)
				}
				out[table+" "+id.String()] = v
			}
		}
	}
	return out
}
