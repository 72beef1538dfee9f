package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/ketacare/api/internal/models"
)

const journalTable = "journal_entries"

// JournalEntry is a journal entry with its words in the clear.
type JournalEntry struct {
	ID                 uuid.UUID
	PatientID          uuid.UUID
	SessionID          *uuid.UUID
	PromptKey          *string
	Title              *string
	Body               string
	Mood               *int
	Insights           []string
	SharedWithCareTeam bool
	CreatedAt          time.Time
	UpdatedAt          time.Time
	Version            int64
}

// JournalFilter narrows a list of one patient's journal entries.
type JournalFilter struct {
	PatientID uuid.UUID
	// SharedOnly keeps the entries shared with the care team: the care
	// team's view.
	SharedOnly bool
	SessionID  *uuid.UUID
	PromptKey  *string
	// Written bounds created_at.
	Written TimeRange
}

// CreateJournalEntry stores a new entry of e.PatientID's journal, filling
// its id, timestamps and version.
func (i *Store) CreateJournalEntry(ctx context.Context, e JournalEntry) (JournalEntry, error) {
	if e.ID == uuid.Nil {
		e.ID = uuid.Must(uuid.NewV7())
	}
	e.CreatedAt = i.now()
	e.UpdatedAt = e.CreatedAt
	e.Version = 1
	row, err := i.sealJournal(e)
	if err != nil {
		return JournalEntry{}, err
	}
	if err := i.conn(ctx).Create(&row).Error; err != nil {
		return JournalEntry{}, refError(err, ErrNotYourSession)
	}
	return e, nil
}

// JournalEntryOf returns the patient's entry; with sharedOnly, only while
// it is shared with the care team. Anything else is NotFound.
func (i *Store) JournalEntryOf(ctx context.Context, patientID, entryID uuid.UUID, sharedOnly bool) (JournalEntry, error) {
	q := i.conn(ctx).Where("id = ? AND patient_id = ?", entryID, patientID)
	if sharedOnly {
		q = q.Where("shared_with_care_team = ?", true)
	}
	var m models.JournalEntry
	if err := q.Take(&m).Error; err != nil {
		return JournalEntry{}, found(err, "journal entry")
	}
	return i.openJournal(m)
}

// ListJournalEntries returns one page of a patient's entries, newest first.
func (i *Store) ListJournalEntries(ctx context.Context, f JournalFilter, p Page) ([]JournalEntry, *string, error) {
	q := i.conn(ctx).Where("patient_id = ?", f.PatientID)
	if f.SharedOnly {
		q = q.Where("shared_with_care_team = ?", true)
	}
	if f.SessionID != nil {
		q = q.Where("session_id = ?", *f.SessionID)
	}
	if f.PromptKey != nil {
		q = q.Where("prompt_key = ?", *f.PromptKey)
	}
	q = p.changedSince(f.Written.apply(q, "created_at"), "updated_at")
	rows, next, err := paginate[models.JournalEntry](q, p)
	if err != nil {
		return nil, nil, err
	}
	entries, err := openAll(rows, i.openJournal)
	return entries, next, err
}

// UpdateJournalEntry applies edit to the patient's entry and stores it,
// resealed under the current key, with its version bumped. edit runs with
// the row locked, so it must not touch the database; check references
// before. With expected != 0 the entry must still be at that version.
func (i *Store) UpdateJournalEntry(ctx context.Context, patientID, entryID uuid.UUID, expected int64, edit func(*JournalEntry)) (JournalEntry, error) {
	var e JournalEntry
	err := i.inTx(ctx, func(tx *gorm.DB) error {
		var m models.JournalEntry
		if err := forUpdate(tx).Where("id = ? AND patient_id = ?", entryID, patientID).Take(&m).Error; err != nil {
			return found(err, "journal entry")
		}
		if err := checkVersion("journal entry", m.Version, expected); err != nil {
			return err
		}
		var err error
		if e, err = i.openJournal(m); err != nil {
			return err
		}
		edit(&e)
		e.UpdatedAt = i.now()
		e.Version++
		row, err := i.sealJournal(e)
		if err != nil {
			return err
		}
		err = tx.Model(&models.JournalEntry{}).Where("id = ?", entryID).Updates(map[string]any{
			"session_id": row.SessionID, "prompt_key": row.PromptKey, "mood": row.Mood,
			"shared_with_care_team": row.SharedWithCareTeam, "key_id": row.KeyID,
			"title_sealed": row.TitleSealed, "body_sealed": row.BodySealed, "insights_sealed": row.InsightsSealed,
			"updated_at": row.UpdatedAt, "version": row.Version,
		}).Error
		return refError(err, ErrNotYourSession)
	})
	if err != nil {
		return JournalEntry{}, err
	}
	return e, nil
}

// DeleteJournalEntry erases the patient's entry. Goals that came from it
// stay, their reference cleared as a change of the goal (a new version).
// With expected != 0 the entry must still be at that version.
func (i *Store) DeleteJournalEntry(ctx context.Context, patientID, entryID uuid.UUID, expected int64) error {
	return i.inTx(ctx, func(tx *gorm.DB) error {
		var m models.JournalEntry
		if err := forUpdate(tx).Select("id, version").Where("id = ? AND patient_id = ?", entryID, patientID).Take(&m).Error; err != nil {
			return found(err, "journal entry")
		}
		if err := checkVersion("journal entry", m.Version, expected); err != nil {
			return err
		}
		now := i.now()
		err := tx.Model(&models.Goal{}).
			Where("source_journal_entry_id = ? AND patient_id = ?", entryID, patientID).
			Updates(map[string]any{"source_journal_entry_id": nil, "updated_at": now, "version": gorm.Expr("version + 1")}).Error
		if err != nil {
			return err
		}
		res := tx.Where("id = ? AND patient_id = ?", entryID, patientID).Delete(&models.JournalEntry{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return notFound("journal entry")
		}
		return nil
	})
}

// IsJournalEntryOf reports whether the entry is one of the patient's.
func (s *Store) IsJournalEntryOf(ctx context.Context, patientID, entryID uuid.UUID) (bool, error) {
	var n int64
	err := s.conn(ctx).Model(&models.JournalEntry{}).
		Where("id = ? AND patient_id = ?", entryID, patientID).Limit(1).Count(&n).Error
	return n > 0, translate(err, "")
}

// MaxSessionJournalEntries bounds the entry ids a session lists: the oldest
// are kept, so a session's answer cannot grow without end.
const MaxSessionJournalEntries = 1000

// JournalEntryIDsBySession returns, for each of the patient's sessions
// given, the ids of the journal entries that refer to it, oldest first and
// at most MaxSessionJournalEntries; with sharedOnly, only the entries shared
// with the care team. Sessions no entry refers to are absent from the map.
// It runs one query however many sessions are asked about.
func (s *Store) JournalEntryIDsBySession(ctx context.Context, patientID uuid.UUID, sessionIDs []uuid.UUID, sharedOnly bool) (map[uuid.UUID][]uuid.UUID, error) {
	out := make(map[uuid.UUID][]uuid.UUID)
	if len(sessionIDs) == 0 {
		return out, nil
	}
	q := s.conn(ctx).Model(&models.JournalEntry{}).Select("id, session_id").
		Where("patient_id = ? AND session_id IN ?", patientID, sessionIDs)
	if sharedOnly {
		q = q.Where("shared_with_care_team = ?", true)
	}
	var rows []struct {
		ID        uuid.UUID
		SessionID uuid.UUID
	}
	if err := q.Order("created_at, id").Find(&rows).Error; err != nil {
		return nil, translate(err, "")
	}
	for _, r := range rows {
		if len(out[r.SessionID]) < MaxSessionJournalEntries {
			out[r.SessionID] = append(out[r.SessionID], r.ID)
		}
	}
	return out, nil
}

// sharedJournalEntries returns which of the patient's entries among ids are
// shared with the care team.
func (s *Store) sharedJournalEntries(ctx context.Context, patientID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]bool, error) {
	out := make(map[uuid.UUID]bool)
	if len(ids) == 0 {
		return out, nil
	}
	var shared []uuid.UUID
	err := s.conn(ctx).Model(&models.JournalEntry{}).
		Where("patient_id = ? AND id IN ? AND shared_with_care_team = ?", patientID, ids, true).
		Pluck("id", &shared).Error
	if err != nil {
		return nil, translate(err, "")
	}
	for _, id := range shared {
		out[id] = true
	}
	return out, nil
}

// sealJournal makes the row of e, its words sealed under the current key.
func (i *Store) sealJournal(e JournalEntry) (models.JournalEntry, error) {
	insights := e.Insights
	if insights == nil {
		insights = []string{}
	}
	raw, err := json.Marshal(insights)
	if err != nil {
		return models.JournalEntry{}, fmt.Errorf("encode insights: %w", err)
	}
	c := i.sealer(journalTable, e.ID)
	row := models.JournalEntry{
		ID: e.ID, PatientID: e.PatientID, SessionID: e.SessionID, PromptKey: e.PromptKey, Mood: e.Mood,
		SharedWithCareTeam: e.SharedWithCareTeam, KeyID: c.keyID,
		TitleSealed:    c.sealText("title", e.Title),
		BodySealed:     c.seal("body", []byte(e.Body)),
		InsightsSealed: c.seal("insights", raw),
		CreatedAt:      e.CreatedAt, UpdatedAt: e.UpdatedAt, Version: e.Version,
	}
	return row, c.err
}

// openJournal opens the words of a stored entry.
func (i *Store) openJournal(m models.JournalEntry) (JournalEntry, error) {
	c := i.opener(journalTable, m.ID, m.KeyID)
	e := JournalEntry{
		ID: m.ID, PatientID: m.PatientID, SessionID: m.SessionID, PromptKey: m.PromptKey, Mood: m.Mood,
		SharedWithCareTeam: m.SharedWithCareTeam,
		Title:              c.openText("title", m.TitleSealed),
		Body:               string(c.open("body", m.BodySealed)),
		CreatedAt:          m.CreatedAt, UpdatedAt: m.UpdatedAt, Version: m.Version,
	}
	raw := c.open("insights", m.InsightsSealed)
	if c.err != nil {
		return JournalEntry{}, c.err
	}
	if err := json.Unmarshal(raw, &e.Insights); err != nil {
		c.fail("insights", err)
		return JournalEntry{}, c.err
	}
	return e, nil
}
