package handlers

import (
	"github.com/oapi-codegen/nullable"
	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/ketacare/api/internal/api"
	"github.com/ketacare/api/internal/store"
)

// The converters below build API types field by field from the store's
// opened records; those records carry no key ids or ciphertext, so neither
// can reach a response.

func toJournalEntry(e store.JournalEntry) api.JournalEntry {
	insights := e.Insights
	if insights == nil {
		insights = []string{}
	}
	return api.JournalEntry{
		ID:                 e.ID,
		PatientID:          e.PatientID,
		SessionID:          e.SessionID,
		PromptKey:          e.PromptKey,
		Title:              e.Title,
		Body:               e.Body,
		Mood:               e.Mood,
		Insights:           insights,
		SharedWithCareTeam: e.SharedWithCareTeam,
		CreatedAt:          e.CreatedAt.UTC(),
		UpdatedAt:          e.UpdatedAt.UTC(),
		Version:            e.Version,
	}
}

func toActivity(a store.Activity) api.Activity {
	return api.Activity{
		ID:              a.ID,
		PatientID:       a.PatientID,
		Kind:            api.ActivityKind(a.Kind),
		OccurredAt:      a.OccurredAt.UTC(),
		DurationMinutes: a.DurationMinutes,
		Note:            a.Note,
		CreatedAt:       a.CreatedAt.UTC(),
	}
}

func toGoal(g store.Goal) api.Goal {
	out := api.Goal{
		ID:                   g.ID,
		PatientID:            g.PatientID,
		Title:                g.Title,
		Why:                  g.Why,
		SourceJournalEntryID: g.SourceJournalEntryID,
		Category:             api.GoalCategory(g.Category),
		FirstStep:            g.FirstStep,
		Status:               api.GoalStatus(g.Status),
		LatestProgress:       g.LatestProgress,
		CreatedAt:            g.CreatedAt.UTC(),
		UpdatedAt:            g.UpdatedAt.UTC(),
		Version:              g.Version,
	}
	if g.TargetDate != nil {
		out.TargetDate = &openapi_types.Date{Time: *g.TargetDate}
	}
	if g.LastCheckInAt != nil {
		t := g.LastCheckInAt.UTC()
		out.LastCheckInAt = &t
	}
	return out
}

func toGoalCheckIn(c store.GoalCheckIn) api.GoalCheckIn {
	return api.GoalCheckIn{ID: c.ID, GoalID: c.GoalID, Progress: c.Progress, Note: c.Note, CreatedAt: c.CreatedAt.UTC()}
}

func convertAll[S, T any](in []S, convert func(S) T) []T {
	out := make([]T, len(in))
	for i, v := range in {
		out[i] = convert(v)
	}
	return out
}

// set copies an optional PATCH field onto dst when present.
func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// setNullable applies a clearable PATCH field: absent leaves dst, null
// clears it, a value sets it.
func setNullable[T any](dst **T, v nullable.Nullable[T]) {
	if v.IsSpecified() {
		*dst = valueOf(v)
	}
}

// valueOf is the value of a nullable field, nil when absent or null.
func valueOf[T any](v nullable.Nullable[T]) *T {
	if !v.IsSpecified() || v.IsNull() {
		return nil
	}
	x := v.MustGet()
	return &x
}
