package handlers

import (
	"context"

	"github.com/ketacare/api/internal/api"
	"github.com/ketacare/api/internal/apperr"
	"github.com/ketacare/api/internal/prompts"
)

// ListJournalPrompts lists the prompt catalog, optionally one phase of it.
func (s *Server) ListJournalPrompts(_ context.Context, req api.ListJournalPromptsRequestObject) (api.ListJournalPromptsResponseObject, error) {
	items := make([]api.JournalPrompt, 0, len(prompts.Catalog))
	for _, p := range prompts.Catalog {
		if req.Params.Phase != nil && string(*req.Params.Phase) != string(p.Phase) {
			continue
		}
		items = append(items, api.JournalPrompt{Key: p.Key, Text: p.Text, Phase: api.JournalPhase(p.Phase)})
	}
	return api.ListJournalPrompts200JSONResponse{Body: api.JournalPromptList{Items: items, NextCursor: nextCursor(nil)}}, nil
}

// checkPromptKey accepts the keys of the catalog only.
func checkPromptKey(key string) error {
	if _, ok := prompts.Lookup(key); ok {
		return nil
	}
	return apperr.Field("prompt_key", "is not a journal prompt; see GET /v1/journal-prompts")
}
