package handlers

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/ketacare/api/internal/api"
	"github.com/ketacare/api/internal/auth"
	"github.com/ketacare/api/internal/models"
	"github.com/ketacare/api/internal/store"
)

// SyncChanges returns a page of the changes to the signed-in patient's
// records after their token (patients only, by x-roles). The page's changes
// and records are read in one snapshot, so a record is sent as it was when
// its change was read: a later change has a later seq and comes on a later
// page, and nothing is sent twice.
func (s *Server) SyncChanges(ctx context.Context, req api.SyncChangesRequestObject) (api.SyncChangesResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	var since int64
	if req.Params.Since != nil {
		t, err := store.ParseSyncToken(*req.Params.Since, id.UserID, now)
		if err != nil {
			return nil, err
		}
		since = t.Seq
	}
	limit := page(req.Params.Limit, nil).Limit
	var out api.SyncPage
	err = s.Store.ReadSnapshot(ctx, func(ctx context.Context) error {
		p, err := s.Store.SyncPage(ctx, id.UserID, since, limit)
		if err != nil {
			return err
		}
		if out.Items, err = s.syncItems(ctx, id, p); err != nil {
			return err
		}
		// The position after the last change sent, not the head: changes
		// past the page are still to come.
		next := since
		if n := len(p.Changes); n > 0 {
			next = p.Changes[n-1].Seq
		}
		out.NextToken = store.SyncToken{PatientID: id.UserID, Seq: next, IssuedAt: now}.String()
		out.HasMore = p.HasMore
		return nil
	})
	if err != nil {
		return nil, err
	}
	return api.SyncChanges200JSONResponse{Body: out}, nil
}

// syncItems converts a page's changes for the patient: tombstones for
// deletions, and otherwise the record as its own GET returns it to them.
func (s *Server) syncItems(ctx context.Context, id auth.Identity, p store.SyncPage) ([]api.SyncChange, error) {
	r := p.Records
	var held []models.TreatmentSession
	for _, c := range p.Changes {
		if ts, ok := r.Sessions[c.RecordID]; ok && c.RecordType == store.SyncTreatmentSession && c.DeletedAt == nil {
			held = append(held, ts)
		}
	}
	converted, err := s.sessionsFor(ctx, id, id.UserID, held)
	if err != nil {
		return nil, err
	}
	sessions := make(map[uuid.UUID]api.TreatmentSession, len(converted))
	for _, ts := range converted {
		sessions[ts.ID] = ts
	}

	items := make([]api.SyncChange, len(p.Changes))
	for i, c := range p.Changes {
		item := api.SyncChange{Type: api.SyncRecordType(c.RecordType), ID: c.RecordID}
		if c.DeletedAt != nil {
			item.DeletedAt = ptr(c.DeletedAt.UTC())
			items[i] = item
			continue
		}
		var ok bool
		switch c.RecordType {
		case store.SyncJournalEntry:
			item.JournalEntry, ok = pick(r.JournalEntries, c.RecordID, toJournalEntry)
		case store.SyncActivity:
			item.Activity, ok = pick(r.Activities, c.RecordID, toActivity)
		case store.SyncGoal:
			item.Goal, ok = pick(r.Goals, c.RecordID, toGoal)
		case store.SyncGoalCheckIn:
			item.GoalCheckIn, ok = pick(r.GoalCheckIns, c.RecordID, toGoalCheckIn)
		case store.SyncMoodCheckIn:
			item.MoodCheckIn, ok = pick(r.MoodCheckIns, c.RecordID, toMoodCheckIn)
		case store.SyncTreatmentSession:
			item.TreatmentSession, ok = pick(sessions, c.RecordID, same[api.TreatmentSession])
		case store.SyncAssessment:
			var a models.Assessment
			if a, ok = r.Assessments[c.RecordID]; ok {
				out, err := toAssessment(a)
				if err != nil {
					return nil, err
				}
				item.Assessment = &out
			}
		}
		if !ok {
			// The log and the records are read in one snapshot and written
			// in one transaction, so this is a bug, never a race.
			return nil, fmt.Errorf("sync: %s %s is logged as changed but was not found", c.RecordType, c.RecordID)
		}
		items[i] = item
	}
	return items, nil
}

// pick converts the record with the id when the map holds it.
func pick[S, T any](records map[uuid.UUID]S, id uuid.UUID, convert func(S) T) (*T, bool) {
	v, ok := records[id]
	if !ok {
		return nil, false
	}
	out := convert(v)
	return &out, true
}
