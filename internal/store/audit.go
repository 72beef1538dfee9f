package store

import (
	"context"

	"github.com/google/uuid"

	"github.com/ketacare/api/internal/models"
)

// RecordAccess appends audit events, in one statement.
func (s *Store) RecordAccess(ctx context.Context, events []models.AuditEvent) error {
	if len(events) == 0 {
		return nil
	}
	now := s.now()
	for i := range events {
		events[i].ID = uuid.Must(uuid.NewV7())
		events[i].CreatedAt = now
	}
	return translate(s.conn(ctx).Create(&events).Error, "")
}

// AuditFilter narrows the audit trail.
type AuditFilter struct {
	PatientID *uuid.UUID
	ActorID   *uuid.UUID
}

// AuditEntry is an audit event with the actor's name as it is now (nil
// once their account is gone).
type AuditEntry struct {
	models.AuditEvent
	ActorName *string
}

// ListAuditEvents returns one page of the trail, newest first.
func (s *Store) ListAuditEvents(ctx context.Context, f AuditFilter, p Page) ([]AuditEntry, *string, error) {
	q := s.conn(ctx).Table("audit_events AS a").Select("a.*, u.display_name AS actor_name").
		Joins("LEFT JOIN users u ON u.id = a.actor_id")
	if f.PatientID != nil {
		q = q.Where("a.patient_id = ?", *f.PatientID)
	}
	if f.ActorID != nil {
		q = q.Where("a.actor_id = ?", *f.ActorID)
	}
	return paginateQ[AuditEntry](p.changedSince(q, "a.created_at"), p, "a.")
}
