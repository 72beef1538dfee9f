package handlers

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/oapi-codegen/nullable"

	"github.com/ketacare/api/internal/api"
	"github.com/ketacare/api/internal/apperr"
	"github.com/ketacare/api/internal/store"
)

// CreateJournalEntry adds an entry to the signed-in patient's journal
// (patients only, by x-roles).
func (s *Server) CreateJournalEntry(ctx context.Context, req api.CreateJournalEntryRequestObject) (api.CreateJournalEntryResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	if err := s.checkJournalRefs(ctx, id.UserID, b.PromptKey, b.SessionID); err != nil {
		return nil, err
	}
	var e store.JournalEntry
	existed, err := s.createOnce(ctx, store.JournalEntries, b.ID, id.UserID,
		func() (err error) {
			e, err = s.Store.CreateJournalEntry(ctx, store.JournalEntry{
				ID: clientID(b.ID), PatientID: id.UserID, SessionID: b.SessionID, PromptKey: b.PromptKey, Title: b.Title, Body: b.Body,
				Mood: b.Mood, Insights: deref(b.Insights), SharedWithCareTeam: deref(b.SharedWithCareTeam),
			})
			return err
		},
		func(rid uuid.UUID) (err error) {
			e, err = s.Store.JournalEntryOf(ctx, id.UserID, rid, false)
			return err
		})
	if err != nil {
		return nil, err
	}
	body := toJournalEntry(e)
	tag := ETag(body.ID, body.Version)
	if existed {
		return api.CreateJournalEntry200JSONResponse{Body: body, Headers: api.CreateJournalEntry200ResponseHeaders{ETag: &tag}}, nil
	}
	return api.CreateJournalEntry201JSONResponse{Body: body, Headers: api.CreateJournalEntry201ResponseHeaders{ETag: &tag}}, nil
}

// ListJournalEntries lists the signed-in patient's whole journal.
func (s *Server) ListJournalEntries(ctx context.Context, req api.ListJournalEntriesRequestObject) (api.ListJournalEntriesResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	items, next, err := s.listJournal(ctx, id.UserID, false, req.Params)
	if err != nil {
		return nil, err
	}
	return api.ListJournalEntries200JSONResponse{Body: api.JournalEntryPage{Items: items, NextCursor: next}}, nil
}

// GetJournalEntry returns one of the signed-in patient's entries.
func (s *Server) GetJournalEntry(ctx context.Context, req api.GetJournalEntryRequestObject) (api.GetJournalEntryResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	e, err := s.Store.JournalEntryOf(ctx, id.UserID, req.EntryID, false)
	if err != nil {
		return nil, err
	}
	body := toJournalEntry(e)
	tag := ETag(body.ID, body.Version)
	if notModified(req.Params.IfNoneMatch, tag) {
		return api.GetJournalEntry304Response{Headers: api.NotModifiedResponseHeaders{ETag: &tag}}, nil
	}
	return api.GetJournalEntry200JSONResponse{Body: body, Headers: api.GetJournalEntry200ResponseHeaders{ETag: &tag}}, nil
}

// UpdateJournalEntry edits, shares or unshares one of the signed-in
// patient's entries.
func (s *Server) UpdateJournalEntry(ctx context.Context, req api.UpdateJournalEntryRequestObject) (api.UpdateJournalEntryResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	if err := s.checkJournalRefs(ctx, id.UserID, valueOf(b.PromptKey), valueOf(b.SessionID)); err != nil {
		return nil, err
	}
	e, err := s.Store.UpdateJournalEntry(ctx, id.UserID, req.EntryID, ifMatch(req.Params.IfMatch, req.EntryID), func(e *store.JournalEntry) {
		setNullable(&e.SessionID, b.SessionID)
		setNullable(&e.PromptKey, b.PromptKey)
		setNullable(&e.Title, b.Title)
		setNullable(&e.Mood, b.Mood)
		set(&e.Body, b.Body)
		set(&e.Insights, b.Insights)
		set(&e.SharedWithCareTeam, b.SharedWithCareTeam)
	})
	if err != nil {
		return nil, err
	}
	body := toJournalEntry(e)
	tag := ETag(body.ID, body.Version)
	return api.UpdateJournalEntry200JSONResponse{Body: body, Headers: api.UpdateJournalEntry200ResponseHeaders{ETag: &tag}}, nil
}

// DeleteJournalEntry erases one of the signed-in patient's entries.
func (s *Server) DeleteJournalEntry(ctx context.Context, req api.DeleteJournalEntryRequestObject) (api.DeleteJournalEntryResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.Store.DeleteJournalEntry(ctx, id.UserID, req.EntryID, ifMatch(req.Params.IfMatch, req.EntryID)); err != nil {
		return nil, err
	}
	return api.DeleteJournalEntry204Response{}, nil
}

// ListSharedJournalEntries lists what the care team sees of a patient's
// journal: the shared entries only.
func (s *Server) ListSharedJournalEntries(ctx context.Context, req api.ListSharedJournalEntriesRequestObject) (api.ListSharedJournalEntriesResponseObject, error) {
	if _, err := s.patientReader(ctx, req.PatientID); err != nil {
		return nil, err
	}
	items, next, err := s.listJournal(ctx, req.PatientID, true, api.ListJournalEntriesParams(req.Params))
	if err != nil {
		return nil, err
	}
	return api.ListSharedJournalEntries200JSONResponse{Body: api.JournalEntryPage{Items: items, NextCursor: next}}, nil
}

// GetSharedJournalEntry returns an entry while the patient shares it with
// the care team; otherwise it does not exist for them.
func (s *Server) GetSharedJournalEntry(ctx context.Context, req api.GetSharedJournalEntryRequestObject) (api.GetSharedJournalEntryResponseObject, error) {
	if _, err := s.patientReader(ctx, req.PatientID); err != nil {
		return nil, err
	}
	e, err := s.Store.JournalEntryOf(ctx, req.PatientID, req.EntryID, true)
	if err != nil {
		return nil, err
	}
	body := toJournalEntry(e)
	tag := ETag(body.ID, body.Version)
	if notModified(req.Params.IfNoneMatch, tag) {
		return api.GetSharedJournalEntry304Response{Headers: api.NotModifiedResponseHeaders{ETag: &tag}}, nil
	}
	return api.GetSharedJournalEntry200JSONResponse{Body: body, Headers: api.GetSharedJournalEntry200ResponseHeaders{ETag: &tag}}, nil
}

// listJournal lists a patient's entries, all or the shared ones, with the
// parameters both lists take.
func (s *Server) listJournal(ctx context.Context, patientID uuid.UUID, sharedOnly bool,
	p api.ListJournalEntriesParams) ([]api.JournalEntryListItem, nullable.Nullable[string], error) {
	written, err := timeRange(p.From, p.To)
	if err != nil {
		return nil, nullable.Nullable[string]{}, err
	}
	entries, next, err := s.Store.ListJournalEntries(ctx, store.JournalFilter{
		PatientID: patientID, SharedOnly: sharedOnly, SessionID: p.SessionID, PromptKey: p.PromptKey, Written: written,
	}, listPage(p.Limit, p.Cursor, p.UpdatedSince))
	if err != nil {
		return nil, nullable.Nullable[string]{}, err
	}
	whole := p.Include != nil && *p.Include == api.JournalListIncludeBody
	items := make([]api.JournalEntryListItem, len(entries))
	for i, e := range entries {
		items[i] = toJournalListItem(e, whole)
	}
	return items, nextCursor(next), nil
}

// checkJournalRefs checks what an entry refers to: a prompt of the catalog
// and one of the patient's own sessions. A session of anyone else is
// refused exactly like one that does not exist.
func (s *Server) checkJournalRefs(ctx context.Context, patientID uuid.UUID, promptKey *string, sessionID *uuid.UUID) error {
	if promptKey != nil {
		if err := checkPromptKey(*promptKey); err != nil {
			return err
		}
	}
	if sessionID != nil {
		if _, err := s.Store.SessionOfPatient(ctx, *sessionID, patientID); err != nil {
			if apperr.Is(err, apperr.NotFound) {
				return store.ErrNotYourSession
			}
			return err
		}
	}
	return nil
}

// timeRange is a list's from/to filter; to must come after from.
func timeRange(from, to *time.Time) (store.TimeRange, error) {
	if from != nil && to != nil && !to.After(*from) {
		return store.TimeRange{}, apperr.Field("query.to", "must be after from")
	}
	return store.TimeRange{From: from, To: to}, nil
}
