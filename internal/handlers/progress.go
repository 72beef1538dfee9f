package handlers

import (
	"context"
	"math"
	"time"

	"github.com/oapi-codegen/nullable"

	"github.com/ketacare/api/internal/api"
	"github.com/ketacare/api/internal/measurement"
	"github.com/ketacare/api/internal/store"
)

const day = 24 * time.Hour

// GetPatientProgress summarises a patient's progress for the patient, their
// care team and admins. It costs a fixed number of queries whatever the
// patient has recorded: the access check, the patient (for their time
// zone), one aggregate and one ranked list of scores.
func (s *Server) GetPatientProgress(ctx context.Context, req api.GetPatientProgressRequestObject) (api.GetPatientProgressResponseObject, error) {
	if _, err := s.patientReader(ctx, req.PatientID); err != nil {
		return nil, err
	}
	patient, err := s.Store.PatientByID(ctx, req.PatientID)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	w := store.ProgressWindow{Now: now, MoodWeek: now.Add(-7 * day), MoodMonth: now.Add(-30 * day),
		DayStarts: dayStarts(now, patientLocation(patient.Timezone))}
	figures, err := s.Store.ProgressFigures(ctx, req.PatientID, w)
	if err != nil {
		return nil, err
	}
	scores, err := s.Store.ProgressScores(ctx, req.PatientID)
	if err != nil {
		return nil, err
	}
	out := api.PatientProgress{
		PatientID:   req.PatientID,
		GeneratedAt: now,
		Sessions:    api.SessionCounts{Completed: figures.SessionsCompleted, Planned: figures.SessionsPlanned},
		Phq9:        instrumentProgress(measurement.PHQ9, scores),
		Gad7:        instrumentProgress(measurement.GAD7, scores),
		Mood:        api.MoodSummary{Last7Days: toMoodAverage(figures.MoodWeek), Last30Days: toMoodAverage(figures.MoodMonth)},

		JournalingDaysLast14: figures.JournalingDays,
		Goals:                api.GoalCounts{Active: figures.GoalsActive, Achieved: figures.GoalsAchieved},
	}
	return api.GetPatientProgress200JSONResponse{Body: out}, nil
}

// dayStarts are the midnights that begin the last store.JournalDays days in
// loc, today included, followed by tomorrow's. time.Date finds each local
// midnight itself, so a day that daylight saving makes 23 or 25 hours long
// keeps its true bounds.
func dayStarts(now time.Time, loc *time.Location) [store.JournalDays + 1]time.Time {
	y, m, d := now.In(loc).Date()
	var out [store.JournalDays + 1]time.Time
	for i := range out {
		out[i] = time.Date(y, m, d-(store.JournalDays-1)+i, 0, 0, 0, 0, loc)
	}
	return out
}

// patientLocation is the patient's time zone. Zones are checked when they
// are set; one the server can no longer load counts days in UTC rather than
// failing the whole summary.
func patientLocation(tz string) *time.Location {
	if loc, err := time.LoadLocation(tz); err == nil {
		return loc
	}
	return time.UTC
}

// instrumentProgress compares an instrument's latest score with its
// baseline. Change, response and remission stay null until there is a
// follow-up to compare.
func instrumentProgress(key string, rows []store.ScoreRow) api.InstrumentProgress {
	in, _ := measurement.Lookup(key)
	out := api.InstrumentProgress{
		Series:        []api.ScorePoint{},
		Baseline:      nullable.NewNullNullable[api.ScorePoint](),
		Latest:        nullable.NewNullNullable[api.ScorePoint](),
		ChangePoints:  nullable.NewNullNullable[int](),
		ChangePercent: nullable.NewNullNullable[float64](),
		Response:      nullable.NewNullNullable[bool](),
		Remission:     nullable.NewNullNullable[bool](),
	}
	var baseline, latest *store.ScoreRow
	for i := range rows {
		r := &rows[i]
		if r.Instrument != key {
			continue
		}
		out.Count = r.Count
		if r.Baseline {
			baseline = r
		}
		if r.InSeries {
			out.Series = append(out.Series, scorePoint(in, *r))
			latest = r // rows come oldest first
		}
	}
	if baseline == nil || latest == nil {
		return out
	}
	out.Baseline.Set(scorePoint(in, *baseline))
	out.Latest.Set(scorePoint(in, *latest))
	if out.Count < 2 {
		return out
	}
	o := measurement.Compare(baseline.Total, latest.Total)
	out.ChangePoints.Set(o.ChangePoints)
	if o.ChangePercent != nil {
		out.ChangePercent.Set(*o.ChangePercent)
	}
	out.Response.Set(o.Response)
	out.Remission.Set(o.Remission)
	return out
}

func scorePoint(in measurement.Instrument, r store.ScoreRow) api.ScorePoint {
	return api.ScorePoint{AssessmentID: r.ID, Total: r.Total, Severity: api.Severity(in.Severity(r.Total)), TakenAt: r.TakenAt.UTC()}
}

func toMoodAverage(m store.MoodAverage) api.MoodAverage {
	out := api.MoodAverage{
		CheckIns:       m.CheckIns,
		AverageMood:    nullable.NewNullNullable[float64](),
		AverageAnxiety: nullable.NewNullNullable[float64](),
	}
	if m.Mood != nil {
		out.AverageMood.Set(round1(*m.Mood))
	}
	if m.Anxiety != nil {
		out.AverageAnxiety.Set(round1(*m.Anxiety))
	}
	return out
}

// round1 rounds to one decimal, halves away from zero.
func round1(x float64) float64 { return math.Round(x*10) / 10 }
