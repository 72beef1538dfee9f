package store

import (
	"context"
	"errors"
	"hash/fnv"
	"strings"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/ketacare/api/internal/apperr"
	"github.com/ketacare/api/internal/models"
)

// Patient rights: the patient's export of their records and the erasure of
// their own content, which closes their account.

// ErrAccountClosed is the answer to a request made with the credentials of
// an account that was closed, or that no longer exists: the same 401 as for
// an invalid token, so it asks the app to sign in again.
var ErrAccountClosed = &apperr.Error{Code: apperr.Unauthorized,
	Message: "The access token is no longer valid; sign in again.", Err: errors.New("account closed")}

// accountClosedMessage is what the database raises when a write would add
// content to a closed account (migration 00080).
const accountClosedMessage = "ketacare: account closed"

// closedAccount reports whether err is the database refusing content for a
// closed account.
func closedAccount(err error) bool {
	return strings.Contains(err.Error(), accountClosedMessage)
}

// AccountActive reports whether the account with the id exists, is open and
// still has the role, and whether its login (the refresh-token family an
// access token names in its sid) is still live: what must hold for an
// access token's claims to be honoured. A login is live while its latest
// token (the one not yet rotated) is neither revoked nor expired; logout,
// reuse of a rotated token, a password change or reset and erasure revoke
// every token of the family. It is one statement, reading the user by its
// primary key and the family's latest token by a partial index (migration
// 00130).
func (s *Store) AccountActive(ctx context.Context, id uuid.UUID, role string, login uuid.UUID) (bool, error) {
	var found []int
	err := s.conn(ctx).Raw(`SELECT 1 FROM users WHERE id = ? AND role = ? AND deactivated_at IS NULL
		AND EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.family_id = ? AND t.user_id = users.id
			AND t.used_at IS NULL AND t.revoked_at IS NULL AND t.expires_at > ?)`,
		id, role, login, s.now()).Scan(&found).Error
	return len(found) > 0, translate(err, "")
}

// ErrExportInProgress is the answer to an export asked for while another
// export of the same account runs, on this instance or another.
var ErrExportInProgress = &apperr.Error{Code: apperr.TooMany,
	Message: "An export of your records is already being downloaded; wait for it to finish."}

// exportLockClass is the first key of the advisory locks ExportSnapshot
// takes ("KCEX"): the two-key space of advisory locks, which the one-key
// space of the migration lock never overlaps, split by class so that
// another use of advisory locks cannot collide with exports.
const exportLockClass = 0x4b434558

// ExportSnapshot is ReadSnapshot for the patient's export, and lets only
// one export of the patient's run at a time across every instance: on
// PostgreSQL its first statement takes a transaction-level advisory lock on
// the patient, which ends with the snapshot itself however the export ends,
// even if the instance dies. A second export is ErrExportInProgress at
// once; it never waits. On SQLite, which one instance owns, the caller's
// own per-instance limit is the whole of it.
func (s *Store) ExportSnapshot(ctx context.Context, patientID uuid.UUID, fn func(ctx context.Context) error) error {
	return s.ReadSnapshot(ctx, func(ctx context.Context) error {
		if Dialect(s.db) == Postgres {
			var locked bool
			if err := s.conn(ctx).Raw("SELECT pg_try_advisory_xact_lock(?, ?)", exportLockClass, exportLockKey(patientID)).Scan(&locked).Error; err != nil {
				return err
			}
			if !locked {
				return ErrExportInProgress
			}
		}
		return fn(ctx)
	})
}

// exportLockKey folds a patient's id into the 32 bits of an advisory
// lock's second key. Two patients whose ids fold alike (about one pair in
// four billion) cannot export at the same moment: the second is told to
// retry, nothing worse.
func exportLockKey(id uuid.UUID) int32 {
	h := fnv.New32a()
	h.Write(id[:])
	return int32(h.Sum32())
}

// erasedContent are the tables of what a patient writes for themself, with
// the condition naming the patient's rows, in the order the erasure deletes
// them: check-ins before their goals, goals before the journal entries they
// came from (which would otherwise update them first).
var erasedContent = []struct {
	model any
	where string
}{
	{&models.GoalCheckIn{}, "goal_id IN (SELECT id FROM goals WHERE patient_id = ?)"},
	{&models.Goal{}, "patient_id = ?"},
	{&models.JournalEntry{}, "patient_id = ?"},
	{&models.Activity{}, "patient_id = ?"},
	{&models.MoodCheckIn{}, "patient_id = ?"},
	// Responses kept for Idempotency-Key retries may quote any of the above.
	{&models.IdempotencyKey{}, "user_id = ?"},
}

// ErasePatient deletes everything the patient wrote for themself (journal,
// activities, goals and their check-ins, mood check-ins, and the responses
// kept for retries), revokes every refresh token of theirs and closes the
// account, and appends event to the audit trail, in one transaction: all of
// it happens or none. The clinical records the clinic keeps are not
// touched. An account that is already closed, or is not a patient's, is
// ErrAccountClosed.
func (s *Store) ErasePatient(ctx context.Context, patientID uuid.UUID, event models.AuditEvent) error {
	now := s.now()
	return translate(s.conn(ctx).Transaction(func(tx *gorm.DB) error {
		// Closing the account first locks its row: migration 00080's guard
		// (FOR SHARE) makes content writes in flight finish before this and
		// later ones wait for the commit, then fail. The lock is the one of
		// any update, which foreign-key checks (FOR KEY SHARE) pass, so a
		// write that holds a goal while logging its change to the sync log
		// never waits on us while we wait on it.
		res := tx.Model(&models.User{}).
			Where("id = ? AND role = ? AND deactivated_at IS NULL", patientID, models.RolePatient).
			Updates(map[string]any{"deactivated_at": now, "updated_at": now, "version": gorm.Expr("version + 1")})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrAccountClosed
		}
		// Every row to delete is locked before the first delete takes the
		// patient's sync head (see migration 00050): an edit holding a goal
		// while it waits for the head would otherwise deadlock with us.
		for _, c := range erasedContent {
			var locked []int
			if err := forUpdate(tx.Model(c.model)).Select("1").Where(c.where, patientID).Find(&locked).Error; err != nil {
				return err
			}
		}
		for _, c := range erasedContent {
			if err := tx.Where(c.where, patientID).Delete(c.model).Error; err != nil {
				return err
			}
		}
		err := tx.Model(&models.RefreshToken{}).Where("user_id = ? AND revoked_at IS NULL", patientID).Update("revoked_at", now).Error
		if err != nil {
			return err
		}
		event.ID, event.CreatedAt = uuid.Must(uuid.NewV7()), now
		return tx.Create(&event).Error
	}), "")
}

// ListPatientGoalCheckIns returns one page of the check-ins on all of the
// patient's goals, newest first.
func (i *Store) ListPatientGoalCheckIns(ctx context.Context, patientID uuid.UUID, p Page) ([]GoalCheckIn, *string, error) {
	q := i.conn(ctx).Where("goal_id IN (SELECT id FROM goals WHERE patient_id = ?)", patientID)
	rows, next, err := paginate[models.GoalCheckIn](q, p)
	if err != nil {
		return nil, nil, err
	}
	out, err := openAll(rows, i.openCheckIn)
	return out, next, err
}

// ListPatientVitalSigns returns one page of the readings taken during any
// of the patient's sessions, earliest first.
func (s *Store) ListPatientVitalSigns(ctx context.Context, patientID uuid.UUID, p Page) ([]models.VitalSign, *string, error) {
	q := s.conn(ctx).Where("session_id IN (SELECT id FROM treatment_sessions WHERE patient_id = ?)", patientID)
	return paginateBy(q, p, "taken_at", true, vitalSignKey)
}
