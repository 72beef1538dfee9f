package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/ketacare/api/internal/apitest"
	"github.com/ketacare/api/internal/clock"
	"github.com/ketacare/api/internal/models"
	"github.com/ketacare/api/internal/seal"
	"github.com/ketacare/api/internal/store"
)

// openUnmigrated opens a fresh, empty database for one test.
func openUnmigrated(t *testing.T) *gorm.DB {
	t.Helper()
	return apitest.OpenDatabase(t, apitest.Config(t), clock.System)
}

// testKeys is a keyring with one fresh key.
func testKeys(t testing.TB) *seal.Keyring {
	t.Helper()
	key, err := seal.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := seal.NewKeyring(key)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// migrateTo applies the migrations up to version, or all with 0.
func migrateTo(t *testing.T, db *gorm.DB, version int64) {
	t.Helper()
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	p, err := store.Provider(db, sqlDB, testKeys(t))
	if err != nil {
		t.Fatal(err)
	}
	if version == 0 {
		_, err = p.Up(context.Background())
	} else {
		_, err = p.UpTo(context.Background(), version)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func newPatient(t *testing.T, db *gorm.DB, name string) models.User {
	t.Helper()
	u := models.User{Email: name + "@clinic.test", DisplayName: name, Role: models.RolePatient, PasswordHash: "x"}
	// Written before later migrations too: leave out their columns.
	later := db.Omit("deactivated_at", "key_id", "emergency_contact_name_sealed", "emergency_contact_phone_sealed", "emergency_contact_relationship_sealed")
	if err := store.New(later, testKeys(t), clock.System).CreateUser(context.Background(), &u); err != nil {
		t.Fatal(err)
	}
	return u
}

func newActivity(patientID uuid.UUID, at time.Time) *models.Activity {
	return &models.Activity{ID: uuid.Must(uuid.NewV7()), PatientID: patientID, Kind: "nature", OccurredAt: at, KeyID: "k", CreatedAt: at}
}

// syncLog reads the log of one patient, in seq order, as "type id seq" or
// "type id seq deleted".
func syncLog(t *testing.T, db *gorm.DB, patientID uuid.UUID) []string {
	t.Helper()
	var rows []models.SyncChange
	if err := db.Where("patient_id = ?", patientID).Order("seq").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = fmt.Sprintf("%s %s %d", r.RecordType, r.RecordID, r.Seq)
		if r.DeletedAt != nil {
			out[i] += " deleted"
		}
	}
	return out
}

func head(t *testing.T, db *gorm.DB, patientID uuid.UUID) int64 {
	t.Helper()
	var h models.SyncHead
	if err := db.Where("patient_id = ?", patientID).Limit(1).Find(&h).Error; err != nil {
		t.Fatal(err)
	}
	return h.Seq
}

// TestSyncMigrationLogsExistingRecords writes records before the sync
// migration and checks that it logs every one of them, oldest first, and
// that the triggers carry on from there.
func TestSyncMigrationLogsExistingRecords(t *testing.T) {
	db := openUnmigrated(t)
	migrateTo(t, db, 40)
	pat := newPatient(t, db, "pat")
	other := newPatient(t, db, "other")
	t0 := clock.System().Add(-time.Hour)
	a1, a2 := newActivity(pat.ID, t0), newActivity(pat.ID, t0.Add(time.Minute))
	g := &models.Goal{ID: uuid.Must(uuid.NewV7()), PatientID: pat.ID, Category: "other", Status: "active", KeyID: "k",
		TitleSealed: []byte("t"), CreatedAt: t0.Add(2 * time.Minute), UpdatedAt: t0, Version: 1}
	ci := &models.GoalCheckIn{ID: uuid.Must(uuid.NewV7()), GoalID: g.ID, Progress: 5, KeyID: "k", CreatedAt: t0.Add(3 * time.Minute)}
	m := &models.MoodCheckIn{ID: uuid.Must(uuid.NewV7()), PatientID: other.ID, Mood: 5, KeyID: "k", TakenAt: t0, CreatedAt: t0}
	// Written out of order: the log orders them by creation.
	for _, row := range []any{ci, m, a2, a1} {
		if row == ci {
			if err := db.Create(g).Error; err != nil {
				t.Fatal(err)
			}
		}
		if err := db.Create(row).Error; err != nil {
			t.Fatal(err)
		}
	}

	migrateTo(t, db, 0)
	want := []string{
		"activity " + a1.ID.String() + " 1",
		"activity " + a2.ID.String() + " 2",
		"goal " + g.ID.String() + " 3",
		"goal_check_in " + ci.ID.String() + " 4",
	}
	if got := syncLog(t, db, pat.ID); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("log after migrating:\n%v\nwant\n%v", got, want)
	}
	if got := syncLog(t, db, other.ID); len(got) != 1 || head(t, db, other.ID) != 1 {
		t.Fatalf("other patient's log: %v", got)
	}
	if head(t, db, pat.ID) != 4 {
		t.Fatalf("head %d, want 4", head(t, db, pat.ID))
	}

	// Deleting the goal tombstones it and, through the cascade, its check-in.
	if err := db.Delete(g).Error; err != nil {
		t.Fatal(err)
	}
	want = []string{want[0], want[1], "goal " + g.ID.String() + " 5 deleted", "goal_check_in " + ci.ID.String() + " 6 deleted"}
	got := syncLog(t, db, pat.ID)
	// The two tombstones come from one statement and its cascade; either
	// may take 5.
	if len(got) != 4 || got[0] != want[0] || got[1] != want[1] || head(t, db, pat.ID) != 6 {
		t.Fatalf("log after deleting the goal:\n%v\nwant\n%v", got, want)
	}
	for _, line := range got[2:] {
		if line[len(line)-len(" deleted"):] != " deleted" {
			t.Fatalf("log after deleting the goal: %v", got)
		}
	}
}

// TestSyncLogLeavesWithThePatient deletes a patient's account: their
// records go with it, and so does their log, without logging the
// deletions; other patients' logs stay.
func TestSyncLogLeavesWithThePatient(t *testing.T) {
	db := openUnmigrated(t)
	migrateTo(t, db, 0)
	pat, other := newPatient(t, db, "pat"), newPatient(t, db, "other")
	for _, row := range []any{newActivity(pat.ID, clock.System()), newActivity(other.ID, clock.System())} {
		if err := db.Create(row).Error; err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Exec("DELETE FROM users WHERE id = ?", pat.ID).Error; err != nil {
		t.Fatalf("deleting the account: %v", err)
	}
	var n int64
	db.Model(&models.SyncChange{}).Where("patient_id = ?", pat.ID).Count(&n)
	if n != 0 || head(t, db, pat.ID) != 0 {
		t.Fatalf("the deleted patient's log has %d rows, head %d", n, head(t, db, pat.ID))
	}
	if got := syncLog(t, db, other.ID); len(got) != 1 {
		t.Fatalf("the other patient's log: %v", got)
	}
}

// TestSyncSeqFollowsCommitOrder holds one writer's transaction open and
// checks that a second writer of the same patient waits for it: the first
// change's seq is committed before the second is taken, so a reader that
// sees seq n has seen everything below it. SQLite runs one writer at a
// time, so only PostgreSQL needs the check.
func TestSyncSeqFollowsCommitOrder(t *testing.T) {
	db := openUnmigrated(t)
	if store.Dialect(db) != store.Postgres {
		t.Skip("SQLite serialises writers")
	}
	migrateTo(t, db, 0)
	pat := newPatient(t, db, "pat")
	first, second := newActivity(pat.ID, clock.System()), newActivity(pat.ID, clock.System())

	tx := db.Begin()
	if err := tx.Create(first).Error; err != nil {
		t.Fatal(err)
	}
	var holder int64
	if err := tx.Raw("SELECT pg_backend_pid()").Scan(&holder).Error; err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- db.Create(second).Error }()

	// The second writer waits for the head...
	deadline := time.Now().Add(10 * time.Second)
	for {
		var waiting int64
		err := db.Raw("SELECT count(*) FROM pg_stat_activity WHERE ? = ANY (pg_blocking_pids(pid))", holder).Scan(&waiting).Error
		if err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("the second writer did not wait for the first (err %v)", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the second writer never waited")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// ...and a reader sees neither change meanwhile.
	if got := syncLog(t, db, pat.ID); len(got) != 0 {
		t.Fatalf("uncommitted changes visible: %v", got)
	}
	if err := tx.Commit().Error; err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	want := []string{"activity " + first.ID.String() + " 1", "activity " + second.ID.String() + " 2"}
	if got := syncLog(t, db, pat.ID); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("log %v, want %v", got, want)
	}
}

// TestPruneSyncLog prunes the tombstones the triggers wrote, by the time
// they were deleted, and raises the patient's pruned_seq to the newest one
// pruned.
func TestPruneSyncLog(t *testing.T) {
	db := openUnmigrated(t)
	migrateTo(t, db, 0)
	s := store.New(db, testKeys(t), clock.System)
	ctx := context.Background()
	pat := newPatient(t, db, "pat")
	gone, kept := newActivity(pat.ID, clock.System()), newActivity(pat.ID, clock.System())
	for _, a := range []*models.Activity{gone, kept} {
		if err := db.Create(a).Error; err != nil {
			t.Fatal(err)
		}
	}
	before := clock.System().Add(-time.Second)
	if err := db.Delete(gone).Error; err != nil {
		t.Fatal(err)
	}
	after := clock.System().Add(time.Second)

	if n, err := s.PruneSyncLog(ctx, before); err != nil || n != 0 {
		t.Fatalf("pruning before the deletion: %d, %v", n, err)
	}
	if n, err := s.PruneSyncLog(ctx, after); err != nil || n != 1 {
		t.Fatalf("pruning after the deletion: %d, %v", n, err)
	}
	var h models.SyncHead
	if err := db.Where("patient_id = ?", pat.ID).Take(&h).Error; err != nil {
		t.Fatal(err)
	}
	if h.Seq != 3 || h.PrunedSeq != 3 {
		t.Fatalf("head %+v, want seq 3 pruned up to 3", h)
	}
	want := []string{"activity " + kept.ID.String() + " 2"}
	if got := syncLog(t, db, pat.ID); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("log %v, want %v", got, want)
	}
}

// TestSyncLogKeepsTombstoneOfReusedID reuses the id of one patient's
// deleted record for another patient's record, as apps choosing their own
// ids could: the first patient keeps the tombstone.
func TestSyncLogKeepsTombstoneOfReusedID(t *testing.T) {
	db := openUnmigrated(t)
	migrateTo(t, db, 0)
	pat, other := newPatient(t, db, "pat"), newPatient(t, db, "other")
	a := newActivity(pat.ID, clock.System())
	if err := db.Create(a).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Delete(a).Error; err != nil {
		t.Fatal(err)
	}
	b := newActivity(other.ID, clock.System())
	b.ID = a.ID
	if err := db.Create(b).Error; err != nil {
		t.Fatal(err)
	}
	if got := syncLog(t, db, pat.ID); fmt.Sprint(got) != fmt.Sprint([]string{"activity " + a.ID.String() + " 2 deleted"}) {
		t.Fatalf("first patient's log: %v", got)
	}
	if got := syncLog(t, db, other.ID); fmt.Sprint(got) != fmt.Sprint([]string{"activity " + a.ID.String() + " 1"}) {
		t.Fatalf("second patient's log: %v", got)
	}
}
