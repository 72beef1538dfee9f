-- +goose Up
-- The change log behind GET /v1/sync. Triggers on every synced table write
-- it in the transaction that makes the change, so every write path, cascades
-- included, is logged without the application's help.
--
-- Each patient has a head: the number of changes logged for them so far.
-- Every change takes the next number (seq) by incrementing the head row,
-- which PostgreSQL keeps locked until the transaction ends: one patient's
-- writers take their numbers one transaction at a time, so a snapshot that
-- holds change n of a patient also holds every change before it, and a
-- client that has read up to n has missed nothing below it.
--
-- The triggers are per statement: one head update per patient however
-- many rows the statement changed (a new plan's sessions), with the heads
-- taken in patient order so that statements touching several patients
-- cannot deadlock with each other. Like row-level AFTER triggers, they run
-- once the statement has locked every row it changes, and a transaction
-- holds its patient's head from its first synced statement to its end; a
-- transaction that locks rows in several statements should therefore lock
-- them before its first synced write, as the store's transactions do.
CREATE TABLE sync_heads (
    patient_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    seq        bigint NOT NULL CHECK (seq >= 1),
    -- The highest seq among the tombstones pruned so far: a client that
    -- has not read up to it may have missed a deletion.
    pruned_seq bigint NOT NULL DEFAULT 0 CHECK (pruned_seq >= 0)
);

-- One row per record of a patient: the latest change to it, with the seq
-- of that change and, when it was deleted, when. A record changed twice
-- between two syncs is delivered once, as it is now. The patient is part of
-- the key: should an app reuse the id of a deleted record for a record of
-- someone else, the first patient keeps their tombstone.
CREATE TABLE sync_changes (
    record_type text NOT NULL CHECK (record_type IN ('journal_entry', 'activity', 'goal', 'goal_check_in', 'mood_check_in', 'assessment', 'treatment_session')),
    record_id   uuid NOT NULL,
    patient_id  uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    seq         bigint NOT NULL CHECK (seq >= 1),
    deleted_at  timestamptz,
    PRIMARY KEY (record_type, record_id, patient_id)
);
CREATE UNIQUE INDEX sync_changes_patient_seq_key ON sync_changes (patient_id, seq);
CREATE INDEX sync_changes_tombstones_idx ON sync_changes (deleted_at) WHERE deleted_at IS NOT NULL;

-- sync_log logs a change to each record of p_type whose patient and id are
-- at the same place of p_patients and p_ids: a tombstone when p_deleted.
-- With p_live_only it only moves records already logged and not deleted to
-- the head (their representation changed without a write to their row).
-- Heads are taken in patient order, so statements touching several patients
-- cannot deadlock with each other. Records going with their patient's
-- account are not logged: the account's log goes with it.
-- +goose StatementBegin
CREATE FUNCTION sync_log(p_type text, p_patients uuid[], p_ids uuid[], p_deleted boolean, p_live_only boolean) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    WITH changed AS (
        SELECT DISTINCT u.patient_id, u.record_id
        FROM unnest(p_patients, p_ids) AS u (patient_id, record_id)
        WHERE u.patient_id IS NOT NULL AND u.record_id IS NOT NULL
          AND EXISTS (SELECT 1 FROM users WHERE users.id = u.patient_id)
    ), numbered AS (
        SELECT patient_id, record_id,
               row_number() OVER (PARTITION BY patient_id ORDER BY record_id) AS n,
               count(*) OVER (PARTITION BY patient_id) AS total
        FROM changed
    ), heads AS (
        INSERT INTO sync_heads AS h (patient_id, seq)
        SELECT patient_id, count(*) FROM changed GROUP BY patient_id ORDER BY patient_id
        ON CONFLICT (patient_id) DO UPDATE SET seq = h.seq + EXCLUDED.seq
        RETURNING h.patient_id, h.seq
    )
    INSERT INTO sync_changes AS c (record_type, record_id, patient_id, seq, deleted_at)
    SELECT p_type, n.record_id, n.patient_id, heads.seq - n.total + n.n,
           CASE WHEN p_deleted THEN statement_timestamp() END
    FROM numbered n JOIN heads ON heads.patient_id = n.patient_id
    ON CONFLICT (record_type, record_id, patient_id) DO UPDATE
        SET seq = EXCLUDED.seq, deleted_at = EXCLUDED.deleted_at
        WHERE NOT p_live_only OR c.deleted_at IS NULL;
END
$$;
-- +goose StatementEnd

-- sync_capture logs the rows a statement changed on a table whose rows
-- carry patient_id; TG_ARGV[0] is the record type.
-- +goose StatementBegin
CREATE FUNCTION sync_capture() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM sync_log(TG_ARGV[0], array_agg(patient_id), array_agg(id), true, false) FROM old_rows;
    ELSE
        PERFORM sync_log(TG_ARGV[0], array_agg(patient_id), array_agg(id), false, false) FROM new_rows;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- Goal check-ins are the patient's through their goal. A deleted check-in
-- usually goes with its goal, gone by then: its log row says whose it was.
-- +goose StatementBegin
CREATE FUNCTION sync_capture_goal_check_ins() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM sync_log('goal_check_in', array_agg(c.patient_id), array_agg(o.id), true, false)
        FROM old_rows o JOIN sync_changes c ON c.record_type = 'goal_check_in' AND c.record_id = o.id AND c.deleted_at IS NULL;
    ELSE
        PERFORM sync_log('goal_check_in', array_agg(g.patient_id), array_agg(n.id), false, false)
        FROM new_rows n JOIN goals g ON g.id = n.goal_id;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- A session lists the patient's journal entries about it, so writing,
-- moving or deleting an entry changes the session as its patient reads it.
-- +goose StatementBegin
CREATE FUNCTION sync_capture_journal_sessions() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM sync_log('treatment_session', array_agg(c.patient_id), array_agg(c.record_id), false, true)
        FROM sync_changes c
        WHERE c.record_type = 'treatment_session' AND c.deleted_at IS NULL
          AND c.record_id IN (SELECT session_id FROM new_rows);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM sync_log('treatment_session', array_agg(c.patient_id), array_agg(c.record_id), false, true)
        FROM sync_changes c
        WHERE c.record_type = 'treatment_session' AND c.deleted_at IS NULL
          AND c.record_id IN (SELECT session_id FROM old_rows);
    ELSE
        PERFORM sync_log('treatment_session', array_agg(c.patient_id), array_agg(c.record_id), false, true)
        FROM sync_changes c
        WHERE c.record_type = 'treatment_session' AND c.deleted_at IS NULL
          AND c.record_id IN (
              SELECT s.session_id
              FROM old_rows o JOIN new_rows n ON n.id = o.id,
                   LATERAL (VALUES (o.session_id), (n.session_id)) AS s (session_id)
              WHERE o.session_id IS DISTINCT FROM n.session_id);
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- Three triggers per table: a trigger with transition tables has one event.
CREATE TRIGGER journal_entries_sync_insert AFTER INSERT ON journal_entries
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sync_capture('journal_entry');
CREATE TRIGGER journal_entries_sync_update AFTER UPDATE ON journal_entries
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sync_capture('journal_entry');
CREATE TRIGGER journal_entries_sync_delete AFTER DELETE ON journal_entries
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION sync_capture('journal_entry');

CREATE TRIGGER journal_entries_sync_sessions_insert AFTER INSERT ON journal_entries
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sync_capture_journal_sessions();
CREATE TRIGGER journal_entries_sync_sessions_update AFTER UPDATE ON journal_entries
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sync_capture_journal_sessions();
CREATE TRIGGER journal_entries_sync_sessions_delete AFTER DELETE ON journal_entries
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION sync_capture_journal_sessions();

CREATE TRIGGER activities_sync_insert AFTER INSERT ON activities
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sync_capture('activity');
CREATE TRIGGER activities_sync_update AFTER UPDATE ON activities
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sync_capture('activity');
CREATE TRIGGER activities_sync_delete AFTER DELETE ON activities
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION sync_capture('activity');

CREATE TRIGGER goals_sync_insert AFTER INSERT ON goals
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sync_capture('goal');
CREATE TRIGGER goals_sync_update AFTER UPDATE ON goals
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sync_capture('goal');
CREATE TRIGGER goals_sync_delete AFTER DELETE ON goals
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION sync_capture('goal');

CREATE TRIGGER goal_check_ins_sync_insert AFTER INSERT ON goal_check_ins
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sync_capture_goal_check_ins();
CREATE TRIGGER goal_check_ins_sync_update AFTER UPDATE ON goal_check_ins
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sync_capture_goal_check_ins();
CREATE TRIGGER goal_check_ins_sync_delete AFTER DELETE ON goal_check_ins
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION sync_capture_goal_check_ins();

CREATE TRIGGER mood_check_ins_sync_insert AFTER INSERT ON mood_check_ins
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sync_capture('mood_check_in');
CREATE TRIGGER mood_check_ins_sync_update AFTER UPDATE ON mood_check_ins
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sync_capture('mood_check_in');
CREATE TRIGGER mood_check_ins_sync_delete AFTER DELETE ON mood_check_ins
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION sync_capture('mood_check_in');

CREATE TRIGGER assessments_sync_insert AFTER INSERT ON assessments
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sync_capture('assessment');
CREATE TRIGGER assessments_sync_update AFTER UPDATE ON assessments
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sync_capture('assessment');
CREATE TRIGGER assessments_sync_delete AFTER DELETE ON assessments
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION sync_capture('assessment');

CREATE TRIGGER treatment_sessions_sync_insert AFTER INSERT ON treatment_sessions
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sync_capture('treatment_session');
CREATE TRIGGER treatment_sessions_sync_update AFTER UPDATE ON treatment_sessions
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sync_capture('treatment_session');
CREATE TRIGGER treatment_sessions_sync_delete AFTER DELETE ON treatment_sessions
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION sync_capture('treatment_session');

-- The records written before the log existed, oldest first. The triggers
-- above already lock the tables against writers, so nothing written while
-- this runs is left out.
INSERT INTO sync_changes (record_type, record_id, patient_id, seq)
SELECT record_type, record_id, patient_id,
       row_number() OVER (PARTITION BY patient_id ORDER BY created_at, record_id)
FROM (
    SELECT 'journal_entry' AS record_type, id AS record_id, patient_id, created_at FROM journal_entries
    UNION ALL SELECT 'activity', id, patient_id, created_at FROM activities
    UNION ALL SELECT 'goal', id, patient_id, created_at FROM goals
    UNION ALL SELECT 'goal_check_in', c.id, g.patient_id, c.created_at FROM goal_check_ins c JOIN goals g ON g.id = c.goal_id
    UNION ALL SELECT 'mood_check_in', id, patient_id, created_at FROM mood_check_ins
    UNION ALL SELECT 'assessment', id, patient_id, created_at FROM assessments
    UNION ALL SELECT 'treatment_session', id, patient_id, created_at FROM treatment_sessions
) AS existing;
INSERT INTO sync_heads (patient_id, seq)
SELECT patient_id, max(seq) FROM sync_changes GROUP BY patient_id;
