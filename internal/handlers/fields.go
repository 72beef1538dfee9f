package handlers

import (
	"github.com/ketacare/api/internal/apperr"
	"github.com/ketacare/api/internal/store"
)

// InputFields name the request field each of the store's input errors is
// about, and why it is refused.
var InputFields = map[error]apperr.FieldError{
	store.ErrBadCursor:           {Field: "query.cursor", Reason: "is not a cursor this API issued"},
	store.ErrBadSyncToken:        {Field: "query.since", Reason: "is not a sync token this API issued"},
	store.ErrNotYourSession:      {Field: "session_id", Reason: "is not one of your treatment sessions"},
	store.ErrNotYourJournalEntry: {Field: "source_journal_entry_id", Reason: "is not one of your journal entries"},
	store.ErrPlanStatus:          {Field: "status", Reason: "must be completed or cancelled"},
}

func ptr[T any](v T) *T { return &v }
