package handlers

import (
	"fmt"

	"github.com/ketacare/api/internal/api"
	"github.com/ketacare/api/internal/measurement"
	"github.com/ketacare/api/internal/models"
	"github.com/ketacare/api/internal/store"
)

func toInstrumentDefinition(in measurement.Instrument) api.InstrumentDefinition {
	out := api.InstrumentDefinition{
		Instrument:  api.Instrument(in.Key),
		Name:        in.Name,
		Question:    in.Question,
		Items:       make([]api.InstrumentItem, len(in.Items)),
		Options:     make([]api.AnswerOption, len(measurement.Options)),
		MaxTotal:    in.MaxTotal(),
		Bands:       make([]api.SeverityBand, len(in.Bands)),
		Attribution: measurement.Attribution,
	}
	for i, text := range in.Items {
		out.Items[i] = api.InstrumentItem{Number: i + 1, Text: text}
	}
	for i, o := range measurement.Options {
		out.Options[i] = api.AnswerOption{Value: o.Value, Label: o.Label}
	}
	for i, b := range in.Bands {
		out.Bands[i] = api.SeverityBand{Severity: api.Severity(b.Severity), Min: b.Min, Max: b.Max}
	}
	if in.SafetyItem > 0 {
		out.SafetyItem = ptr(in.SafetyItem)
	}
	return out
}

// toAssessment converts a stored assessment; its answers were checked on
// the way in, so a row that does not decode is an internal error.
func toAssessment(a models.Assessment) (api.Assessment, error) {
	answers, err := measurement.DecodeAnswers(a.Answers)
	if err != nil {
		return api.Assessment{}, fmt.Errorf("assessment %s: %w", a.ID, err)
	}
	return api.Assessment{
		ID:         a.ID,
		PatientID:  a.PatientID,
		Instrument: api.Instrument(a.Instrument),
		Answers:    answers,
		Total:      a.Total,
		Severity:   api.Severity(a.Severity),
		SessionID:  a.SessionID,
		TakenAt:    a.TakenAt.UTC(),
		CreatedAt:  a.CreatedAt.UTC(),
	}, nil
}

func toSafetyAlert(a models.SafetyAlert) api.SafetyAlert {
	out := api.SafetyAlert{
		ID:                  a.ID,
		PatientID:           a.PatientID,
		AssessmentID:        a.AssessmentID,
		Reason:              api.SafetyAlertReason(a.Reason),
		ItemScore:           a.ItemScore,
		Status:              api.SafetyAlertStatus(a.Status),
		AcknowledgedBy:      a.AcknowledgedBy,
		AcknowledgementNote: a.AcknowledgementNote,
		CreatedAt:           a.CreatedAt.UTC(),
		UpdatedAt:           a.UpdatedAt.UTC(),
		Version:             a.Version,
	}
	if a.AcknowledgedAt != nil {
		out.AcknowledgedAt = ptr(a.AcknowledgedAt.UTC())
	}
	return out
}

func toMoodCheckIn(m store.MoodCheckIn) api.MoodCheckIn {
	return api.MoodCheckIn{
		ID:        m.ID,
		PatientID: m.PatientID,
		Mood:      m.Mood,
		Anxiety:   m.Anxiety,
		Note:      m.Note,
		TakenAt:   m.TakenAt.UTC(),
		CreatedAt: m.CreatedAt.UTC(),
	}
}
