package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/ketacare/api/internal/apperr"
	"github.com/ketacare/api/internal/models"
)

// The types of record the sync log follows, as the API names them.
const (
	SyncJournalEntry     = "journal_entry"
	SyncActivity         = "activity"
	SyncGoal             = "goal"
	SyncGoalCheckIn      = "goal_check_in"
	SyncMoodCheckIn      = "mood_check_in"
	SyncAssessment       = "assessment"
	SyncTreatmentSession = "treatment_session"
)

// SyncRetention is how long tombstones are kept at least, and so how long a
// sync token stays good: a client that syncs within it never misses a
// deletion.
const SyncRetention = 90 * 24 * time.Hour

// SyncToken is a position in one patient's change log: every change up to
// Seq has been delivered. Clients get it as opaque base64, like cursors.
type SyncToken struct {
	PatientID uuid.UUID `json:"p"`
	Seq       int64     `json:"s"`
	IssuedAt  time.Time `json:"t"`
}

// String is the token as clients get it.
func (t SyncToken) String() string {
	b, _ := json.Marshal(SyncToken{PatientID: t.PatientID, Seq: t.Seq, IssuedAt: t.IssuedAt.UTC()})
	return base64.RawURLEncoding.EncodeToString(b)
}

// ErrSyncExpired is the answer for a token the log can no longer serve
// completely; the client must start again from an empty copy.
var ErrSyncExpired = apperr.New(apperr.Gone,
	"The sync token has expired or is not valid for this account: discard the local copy and sync again without since.")

// ParseSyncToken reads a token sent back by the patient's client. One that
// is not a token is Invalid; one issued to another account, or longer ago
// than SyncRetention, is ErrSyncExpired.
func ParseSyncToken(raw string, patientID uuid.UUID, now time.Time) (SyncToken, error) {
	var t SyncToken
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err == nil {
		err = json.Unmarshal(b, &t)
	}
	if err != nil || t.PatientID == uuid.Nil || t.Seq < 0 || t.IssuedAt.IsZero() {
		return t, ErrBadSyncToken
	}
	if t.PatientID != patientID || t.IssuedAt.Before(now.Add(-SyncRetention)) {
		return t, ErrSyncExpired
	}
	return t, nil
}

// SyncPage is one page of a patient's changes, oldest first, with the
// records changed (not deleted) in it as they are now.
type SyncPage struct {
	Changes []models.SyncChange
	HasMore bool
	Records SyncRecords
}

// SyncRecords are the current records of the changes of a page, by id.
type SyncRecords struct {
	JournalEntries map[uuid.UUID]JournalEntry
	Activities     map[uuid.UUID]Activity
	Goals          map[uuid.UUID]Goal
	GoalCheckIns   map[uuid.UUID]GoalCheckIn
	MoodCheckIns   map[uuid.UUID]MoodCheckIn
	Assessments    map[uuid.UUID]models.Assessment
	Sessions       map[uuid.UUID]models.TreatmentSession
}

type snapshotKey struct{}

// ReadSnapshot runs fn with a ctx whose every read through the store sees
// the database as of one moment: a read-only transaction (REPEATABLE READ on
// PostgreSQL; on SQLite every transaction is a snapshot). Reads that must
// agree with each other, such as a sync page's changes and its records, go
// through it. fn must not write.
func (s *Store) ReadSnapshot(ctx context.Context, fn func(ctx context.Context) error) error {
	if _, ok := snapshot(ctx); ok {
		return fn(ctx)
	}
	opts := &sql.TxOptions{ReadOnly: true}
	if Dialect(s.db) == Postgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	return translate(s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return fn(context.WithValue(ctx, snapshotKey{}, tx))
	}, opts), "")
}

// snapshot returns the transaction of ReadSnapshot that ctx carries.
func snapshot(ctx context.Context) (*gorm.DB, bool) {
	tx, ok := ctx.Value(snapshotKey{}).(*gorm.DB)
	return tx, ok
}

// SyncPage returns up to limit of the patient's changes after seq since, in
// the order they were made, whether more follow, and the records they
// changed. since 0 is the start of the log: every record and the tombstones
// still kept. A since the log can no longer serve completely is
// ErrSyncExpired: deletions after it were pruned, or it is ahead of the log
// (the database was restored from an older backup). Call it inside
// ReadSnapshot, so the changes and the records agree. It runs one query for
// the patient's head, one for the changes, and one for each type of record
// among them.
func (i *Store) SyncPage(ctx context.Context, patientID uuid.UUID, since int64, limit int) (SyncPage, error) {
	var page SyncPage
	var head models.SyncHead
	err := i.conn(ctx).Where("patient_id = ?", patientID).Limit(1).Find(&head).Error
	if err != nil {
		return page, translate(err, "")
	}
	if since > head.Seq || (since > 0 && since < head.PrunedSeq) {
		return page, ErrSyncExpired
	}
	err = i.conn(ctx).Where("patient_id = ? AND seq > ?", patientID, since).
		Order("seq").Limit(limit + 1).Find(&page.Changes).Error
	if err != nil {
		return page, translate(err, "")
	}
	if len(page.Changes) > limit {
		page.Changes, page.HasMore = page.Changes[:limit], true
	}
	page.Records, err = i.syncRecords(ctx, patientID, page.Changes)
	return page, err
}

// syncRecords loads the records the changes upsert, one query per type.
func (i *Store) syncRecords(ctx context.Context, patientID uuid.UUID, changes []models.SyncChange) (SyncRecords, error) {
	ids := map[string][]uuid.UUID{}
	for _, c := range changes {
		if c.DeletedAt == nil {
			ids[c.RecordType] = append(ids[c.RecordType], c.RecordID)
		}
	}
	own := func() *gorm.DB { return i.conn(ctx).Where("patient_id = ?", patientID) }
	m := i
	var r SyncRecords
	var err error
	if r.JournalEntries, err = loadByID(own(), ids[SyncJournalEntry], i.openJournal, models.JournalEntry.PageKey); err != nil {
		return r, err
	}
	if r.Activities, err = loadByID(own(), ids[SyncActivity], i.openActivity, models.Activity.PageKey); err != nil {
		return r, err
	}
	if r.Goals, err = loadByID(own(), ids[SyncGoal], i.openGoal, models.Goal.PageKey); err != nil {
		return r, err
	}
	ownCheckIns := i.conn(ctx).Where("goal_id IN (SELECT id FROM goals WHERE patient_id = ?)", patientID)
	if r.GoalCheckIns, err = loadByID(ownCheckIns, ids[SyncGoalCheckIn], i.openCheckIn, models.GoalCheckIn.PageKey); err != nil {
		return r, err
	}
	if r.MoodCheckIns, err = loadByID(own(), ids[SyncMoodCheckIn], m.openMoodCheckIn, models.MoodCheckIn.PageKey); err != nil {
		return r, err
	}
	if r.Assessments, err = loadByID(own(), ids[SyncAssessment], opened[models.Assessment], models.Assessment.PageKey); err != nil {
		return r, err
	}
	r.Sessions, err = loadByID(own(), ids[SyncTreatmentSession], openedBy(i.openSession), sessionKey)
	return r, err
}

// loadByID reads the rows of q with the ids and opens them, by id (the id
// that key returns); no ids read nothing.
func loadByID[M, T any](q *gorm.DB, ids []uuid.UUID, open func(M) (T, error), key func(M) (time.Time, uuid.UUID)) (map[uuid.UUID]T, error) {
	out := make(map[uuid.UUID]T, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []M
	if err := q.Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, translate(err, "")
	}
	for _, row := range rows {
		v, err := open(row)
		if err != nil {
			return nil, err
		}
		_, id := key(row)
		out[id] = v
	}
	return out, nil
}

// opened is the open of rows with nothing sealed.
func opened[M any](m M) (M, error) { return m, nil }

// PruneSyncLog deletes the tombstones of deletions made before cutoff and
// returns how many it deleted. Each patient's pruned_seq rises to the
// highest seq it deleted, so a token from before a pruned deletion is
// refused rather than served without it.
func (s *Store) PruneSyncLog(ctx context.Context, cutoff time.Time) (int64, error) {
	cutoff = cutoff.UTC()
	var deleted int64
	err := s.conn(ctx).Transaction(func(tx *gorm.DB) error {
		// The heads are locked in patient order, as the triggers take them,
		// so pruning never deadlocks with a writer.
		var patients []uuid.UUID
		err := forUpdate(tx.Model(&models.SyncHead{})).
			Where("patient_id IN (SELECT patient_id FROM sync_changes WHERE deleted_at < ?)", cutoff).
			Order("patient_id").Pluck("patient_id", &patients).Error
		if err != nil || len(patients) == 0 {
			return err
		}
		err = tx.Exec(`UPDATE sync_heads SET pruned_seq = m.top
			FROM (SELECT patient_id, max(seq) AS top FROM sync_changes WHERE deleted_at < ? GROUP BY patient_id) AS m
			WHERE sync_heads.patient_id = m.patient_id AND m.top > sync_heads.pruned_seq`, cutoff).Error
		if err != nil {
			return err
		}
		res := tx.Exec(`DELETE FROM sync_changes WHERE deleted_at < ?
			AND seq <= (SELECT h.pruned_seq FROM sync_heads h WHERE h.patient_id = sync_changes.patient_id)`, cutoff)
		deleted = res.RowsAffected
		return res.Error
	})
	return deleted, translate(err, "")
}
