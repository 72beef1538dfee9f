package handlers

import (
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/ketacare/api/internal/api"
	"github.com/ketacare/api/internal/models"
)

// toEvaluation converts a stored evaluation; clinician_notes only when
// withNotes, for the care team.
func toEvaluation(e models.CandidacyEvaluation, withNotes bool) api.CandidacyEvaluation {
	found := e.ContraindicationList()
	cs := make([]api.Contraindication, len(found))
	for i, c := range found {
		cs[i] = api.Contraindication(c)
	}
	out := api.CandidacyEvaluation{
		ID: e.ID, PatientID: e.PatientID, EvaluatedBy: e.EvaluatedBy, EvaluatedAt: e.EvaluatedAt.UTC(),
		Outcome: api.EvaluationOutcome(e.Outcome), Contraindications: cs, CreatedAt: e.CreatedAt.UTC(),
	}
	if e.BaselineSystolic != nil && e.BaselineDiastolic != nil {
		out.BaselineBloodPressure = &api.BloodPressure{Systolic: *e.BaselineSystolic, Diastolic: *e.BaselineDiastolic}
	}
	if withNotes {
		out.ClinicianNotes = e.ClinicianNotes
	}
	return out
}

func toPlan(p models.TreatmentPlan) api.TreatmentPlan {
	out := api.TreatmentPlan{
		ID: p.ID, PatientID: p.PatientID, CreatedBy: p.CreatedBy, EvaluationID: p.EvaluationID,
		StartDate:       openapi_types.Date{Time: p.StartDate},
		SessionsPerWeek: api.TreatmentPlanSessionsPerWeek(p.SessionsPerWeek), SessionCount: p.SessionCount,
		Route: api.RouteOfAdministration(p.Route), PreferredTime: deref(p.PreferredTime), Timezone: p.Timezone,
		Status: api.PlanStatus(p.Status), CreatedAt: p.CreatedAt.UTC(), UpdatedAt: p.UpdatedAt.UTC(), Version: p.Version,
	}
	if days := p.WeekdayList(); days != nil {
		out.PreferredWeekdays = &days
	}
	return out
}

// toSession converts a stored session with its five parts. The care team's
// clinical notes (journey.notes, integration.therapist_notes) are set only
// when withNotes; otherwise the keys are absent from the JSON, not empty,
// and version and updated_at are the patient view's.
func toSession(ts models.TreatmentSession, withNotes bool) api.TreatmentSession {
	if !withNotes {
		ts = ts.PatientView()
	}
	out := api.TreatmentSession{
		ID: ts.ID, PlanID: ts.PlanID, PatientID: ts.PatientID, Sequence: ts.Sequence,
		ScheduledAt: ts.ScheduledAt.UTC(), Status: api.SessionStatus(ts.Status), Route: api.RouteOfAdministration(ts.Route),
		Preparation: api.Preparation{
			Intention: ts.Intention,
			Checklist: api.PreparationChecklist{
				FastingConfirmed: ts.FastingConfirmed, RideHomeArranged: ts.RideHomeArranged,
				SettingPrepared: ts.SettingPrepared, MusicReady: ts.MusicReady,
			},
			Notes: ts.PreparationNotes,
		},
		Journey: api.Journey{
			StartedAt: utcPtr(ts.StartedAt), EndedAt: utcPtr(ts.EndedAt), DoseMg: ts.DoseMg, DoseMgPerKg: ts.DoseMgPerKg,
		},
		CreatedAt: ts.CreatedAt.UTC(), UpdatedAt: ts.UpdatedAt.UTC(), Version: ts.Version,
	}
	if ts.SitterName != nil {
		out.Sitter = &api.Sitter{Name: *ts.SitterName, Relationship: deref(ts.SitterRelationship), Phone: deref(ts.SitterPhone)}
	}
	out.Journey.Notes = ts.JourneyNotes
	out.Integration.TherapistNotes = ts.TherapistNotes
	return out
}

func toVitalSign(v models.VitalSign) api.VitalSign {
	return api.VitalSign{
		ID: v.ID, SessionID: v.SessionID, TakenAt: v.TakenAt.UTC(), Systolic: v.Systolic, Diastolic: v.Diastolic,
		HeartRate: v.HeartRate, Spo2: v.Spo2, RecordedBy: v.RecordedBy, CreatedAt: v.CreatedAt.UTC(),
	}
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
