package handlers

import (
	"context"

	"github.com/ketacare/api/internal/api"
	"github.com/ketacare/api/internal/apperr"
	"github.com/ketacare/api/internal/models"
)

// journalPrompt is one prompt of the catalog. Keys are stable: journal
// entries store them, so a key is never renamed or reused.
type journalPrompt struct {
	key, phase, text string
}

// journalPrompts is the catalog, in the order it is listed. The
// after-session prompts are the five of "The Importance of Integration in
// Ketamine Therapy" (Ketamine Therapy Center), word for word, typographic
// apostrophe included; a test compares them with the article.
var journalPrompts = []journalPrompt{
	{"intention", models.PhasePreparation, "What intention would you like to set for your next ketamine therapy session?"},
	{"hopes_and_concerns", models.PhasePreparation, "What are you hoping for from this session, and is anything worrying you about it?"},
	{"what_to_explore", models.PhasePreparation, "Is there a feeling, memory or pattern you would like to understand better or let go of?"},
	{"support_after", models.PhasePreparation, "Who or what will help you feel supported in the days after your session?"},
	{"felt_for_the_first_time", models.PhaseAfterSession, "Did you feel or experience something you haven’t felt before during your most recent ketamine therapy experience?"},
	{"something_familiar", models.PhaseAfterSession, "Did you experience something familiar during your most recent ketamine therapy experience?"},
	{"learned_about_yourself", models.PhaseAfterSession, "What did you learn about yourself through the experience?"},
	{"insights_gained", models.PhaseAfterSession, "What insights did you gain from your most recent ketamine therapy experience?"},
	{"actions_to_take", models.PhaseAfterSession, "What action(s) do you want to take in your life based on your insights?"},
}

// ListJournalPrompts lists the prompt catalog, optionally one phase of it.
func (s *Server) ListJournalPrompts(_ context.Context, req api.ListJournalPromptsRequestObject) (api.ListJournalPromptsResponseObject, error) {
	items := make([]api.JournalPrompt, 0, len(journalPrompts))
	for _, p := range journalPrompts {
		if req.Params.Phase != nil && string(*req.Params.Phase) != p.phase {
			continue
		}
		items = append(items, api.JournalPrompt{Key: p.key, Text: p.text, Phase: api.JournalPhase(p.phase)})
	}
	return api.ListJournalPrompts200JSONResponse{Body: api.JournalPromptList{Items: items, NextCursor: nextCursor(nil)}}, nil
}

// checkPromptKey accepts the keys of the catalog only.
func checkPromptKey(key string) error {
	for _, p := range journalPrompts {
		if p.key == key {
			return nil
		}
	}
	return apperr.Field("prompt_key", "is not a journal prompt; see GET /v1/journal-prompts")
}
