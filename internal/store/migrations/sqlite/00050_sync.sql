-- +goose Up
-- The change log behind GET /v1/sync, written by triggers in the
-- transaction that makes each change: see the PostgreSQL migration of the
-- same number for the design. SQLite runs one writer at a time, so the
-- triggers are per row and numbering in head order is commit order.
CREATE TABLE sync_heads (
    patient_id text PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    seq        integer NOT NULL CHECK (seq >= 1),
    -- The highest seq among the tombstones pruned so far.
    pruned_seq integer NOT NULL DEFAULT 0 CHECK (pruned_seq >= 0)
);

-- One row per record of a patient: its latest change.
CREATE TABLE sync_changes (
    record_type text NOT NULL CHECK (record_type IN ('journal_entry', 'activity', 'goal', 'goal_check_in', 'mood_check_in', 'assessment', 'treatment_session')),
    record_id   text NOT NULL,
    patient_id  text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    seq         integer NOT NULL CHECK (seq >= 1),
    deleted_at  datetime,
    PRIMARY KEY (record_type, record_id, patient_id)
);
CREATE UNIQUE INDEX sync_changes_patient_seq_key ON sync_changes (patient_id, seq);
CREATE INDEX sync_changes_tombstones_idx ON sync_changes (deleted_at) WHERE deleted_at IS NOT NULL;

-- Each trigger takes the patient's next seq and moves the record's log row
-- to it. Records going with their patient's account are not logged; a
-- deleted goal check-in usually goes with its goal, so its patient comes
-- from its log row.
-- +goose StatementBegin
CREATE TRIGGER journal_entries_sync_insert AFTER INSERT ON journal_entries
WHEN EXISTS (SELECT 1 FROM users WHERE id = NEW.patient_id)
BEGIN
    INSERT INTO sync_heads (patient_id, seq) VALUES (NEW.patient_id, 1)
        ON CONFLICT (patient_id) DO UPDATE SET seq = seq + 1;
    INSERT INTO sync_changes (record_type, record_id, patient_id, seq, deleted_at)
        VALUES ('journal_entry', NEW.id, NEW.patient_id, (SELECT seq FROM sync_heads WHERE patient_id = NEW.patient_id), NULL)
        ON CONFLICT (record_type, record_id, patient_id) DO UPDATE
        SET seq = excluded.seq, deleted_at = excluded.deleted_at;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER journal_entries_sync_update AFTER UPDATE ON journal_entries
WHEN EXISTS (SELECT 1 FROM users WHERE id = NEW.patient_id)
BEGIN
    INSERT INTO sync_heads (patient_id, seq) VALUES (NEW.patient_id, 1)
        ON CONFLICT (patient_id) DO UPDATE SET seq = seq + 1;
    INSERT INTO sync_changes (record_type, record_id, patient_id, seq, deleted_at)
        VALUES ('journal_entry', NEW.id, NEW.patient_id, (SELECT seq FROM sync_heads WHERE patient_id = NEW.patient_id), NULL)
        ON CONFLICT (record_type, record_id, patient_id) DO UPDATE
        SET seq = excluded.seq, deleted_at = excluded.deleted_at;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER journal_entries_sync_delete AFTER DELETE ON journal_entries
WHEN EXISTS (SELECT 1 FROM users WHERE id = OLD.patient_id)
BEGIN
    INSERT INTO sync_heads (patient_id, seq) VALUES (OLD.patient_id, 1)
        ON CONFLICT (patient_id) DO UPDATE SET seq = seq + 1;
    INSERT INTO sync_changes (record_type, record_id, patient_id, seq, deleted_at)
        VALUES ('journal_entry', OLD.id, OLD.patient_id, (SELECT seq FROM sync_heads WHERE patient_id = OLD.patient_id), strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'))
        ON CONFLICT (record_type, record_id, patient_id) DO UPDATE
        SET seq = excluded.seq, deleted_at = excluded.deleted_at;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER activities_sync_insert AFTER INSERT ON activities
WHEN EXISTS (SELECT 1 FROM users WHERE id = NEW.patient_id)
BEGIN
    INSERT INTO sync_heads (patient_id, seq) VALUES (NEW.patient_id, 1)
        ON CONFLICT (patient_id) DO UPDATE SET seq = seq + 1;
    INSERT INTO sync_changes (record_type, record_id, patient_id, seq, deleted_at)
        VALUES ('activity', NEW.id, NEW.patient_id, (SELECT seq FROM sync_heads WHERE patient_id = NEW.patient_id), NULL)
        ON CONFLICT (record_type, record_id, patient_id) DO UPDATE
        SET seq = excluded.seq, deleted_at = excluded.deleted_at;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER activities_sync_update AFTER UPDATE ON activities
WHEN EXISTS (SELECT 1 FROM users WHERE id = NEW.patient_id)
BEGIN
    INSERT INTO sync_heads (patient_id, seq) VALUES (NEW.patient_id, 1)
        ON CONFLICT (patient_id) DO UPDATE SET seq = seq + 1;
    INSERT INTO sync_changes (record_type, record_id, patient_id, seq, deleted_at)
        VALUES ('activity', NEW.id, NEW.patient_id, (SELECT seq FROM sync_heads WHERE patient_id = NEW.patient_id), NULL)
        ON CONFLICT (record_type, record_id, patient_id) DO UPDATE
        SET seq = excluded.seq, deleted_at = excluded.deleted_at;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER activities_sync_delete AFTER DELETE ON activities
WHEN EXISTS (SELECT 1 FROM users WHERE id = OLD.patient_id)
BEGIN
    INSERT INTO sync_heads (patient_id, seq) VALUES (OLD.patient_id, 1)
        ON CONFLICT (patient_id) DO UPDATE SET seq = seq + 1;
    INSERT INTO sync_changes (record_type, record_id, patient_id, seq, deleted_at)
        VALUES ('activity', OLD.id, OLD.patient_id, (SELECT seq FROM sync_heads WHERE patient_id = OLD.patient_id), strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'))
        ON CONFLICT (record_type, record_id, patient_id) DO UPDATE
        SET seq = excluded.seq, deleted_at = excluded.deleted_at;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER goals_sync_insert AFTER INSERT ON goals
WHEN EXISTS (SELECT 1 FROM users WHERE id = NEW.patient_id)
BEGIN
    INSERT INTO sync_heads (patient_id, seq) VALUES (NEW.patient_id, 1)
        ON CONFLICT (patient_id) DO UPDATE SET seq = seq + 1;
    INSERT INTO sync_changes (record_type, record_id, patient_id, seq, deleted_at)
        VALUES ('goal', NEW.id, NEW.patient_id, (SELECT seq FROM sync_heads WHERE patient_id = NEW.patient_id), NULL)
        ON CONFLICT (record_type, record_id, patient_id) DO UPDATE
        SET seq = excluded.seq, deleted_at = excluded.deleted_at;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER goals_sync_update AFTER UPDATE ON goals
WHEN EXISTS (SELECT 1 FROM users WHERE id = NEW.patient_id)
BEGIN
    INSERT INTO sync_heads (patient_id, seq) VALUES (NEW.patient_id, 1)
        ON CONFLICT (patient_id) DO UPDATE SET seq = seq + 1;
    INSERT INTO sync_changes (record_type, record_id, patient_id, seq, deleted_at)
        VALUES ('goal', NEW.id, NEW.patient_id, (SELECT seq FROM sync_heads WHERE patient_id = NEW.patient_id), NULL)
        ON CONFLICT (record_type, record_id, patient_id) DO UPDATE
        SET seq = excluded.seq, deleted_at = excluded.deleted_at;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER goals_sync_delete AFTER DELETE ON goals
WHEN EXISTS (SELECT 1 FROM users WHERE id = OLD.patient_id)
BEGIN
    INSERT INTO sync_heads (patient_id, seq) VALUES (OLD.patient_id, 1)
        ON CONFLICT (patient_id) DO UPDATE SET seq = seq + 1;
    INSERT INTO sync_changes (record_type, record_id, patient_id, seq, deleted_at)
        VALUES ('goal', OLD.id, OLD.patient_id, (SELECT seq FROM sync_heads WHERE patient_id = OLD.patient_id), strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'))
        ON CONFLICT (record_type, record_id, patient_id) DO UPDATE
        SET seq = excluded.seq, deleted_at = excluded.deleted_at;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER goal_check_ins_sync_insert AFTER INSERT ON goal_check_ins
WHEN EXISTS (SELECT 1 FROM users WHERE id = (SELECT patient_id FROM goals WHERE id = NEW.goal_id))
BEGIN
    INSERT INTO sync_heads (patient_id, seq) VALUES ((SELECT patient_id FROM goals WHERE id = NEW.goal_id), 1)
        ON CONFLICT (patient_id) DO UPDATE SET seq = seq + 1;
    INSERT INTO sync_changes (record_type, record_id, patient_id, seq, deleted_at)
        VALUES ('goal_check_in', NEW.id, (SELECT patient_id FROM goals WHERE id = NEW.goal_id), (SELECT seq FROM sync_heads WHERE patient_id = (SELECT patient_id FROM goals WHERE id = NEW.goal_id)), NULL)
        ON CONFLICT (record_type, record_id, patient_id) DO UPDATE
        SET seq = excluded.seq, deleted_at = excluded.deleted_at;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER goal_check_ins_sync_update AFTER UPDATE ON goal_check_ins
WHEN EXISTS (SELECT 1 FROM users WHERE id = (SELECT patient_id FROM goals WHERE id = NEW.goal_id))
BEGIN
    INSERT INTO sync_heads (patient_id, seq) VALUES ((SELECT patient_id FROM goals WHERE id = NEW.goal_id), 1)
        ON CONFLICT (patient_id) DO UPDATE SET seq = seq + 1;
    INSERT INTO sync_changes (record_type, record_id, patient_id, seq, deleted_at)
        VALUES ('goal_check_in', NEW.id, (SELECT patient_id FROM goals WHERE id = NEW.goal_id), (SELECT seq FROM sync_heads WHERE patient_id = (SELECT patient_id FROM goals WHERE id = NEW.goal_id)), NULL)
        ON CONFLICT (record_type, record_id, patient_id) DO UPDATE
        SET seq = excluded.seq, deleted_at = excluded.deleted_at;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER goal_check_ins_sync_delete AFTER DELETE ON goal_check_ins
WHEN EXISTS (SELECT 1 FROM users WHERE id = (SELECT patient_id FROM sync_changes WHERE record_type = 'goal_check_in' AND record_id = OLD.id AND deleted_at IS NULL))
BEGIN
    INSERT INTO sync_heads (patient_id, seq) VALUES ((SELECT patient_id FROM sync_changes WHERE record_type = 'goal_check_in' AND record_id = OLD.id AND deleted_at IS NULL), 1)
        ON CONFLICT (patient_id) DO UPDATE SET seq = seq + 1;
    INSERT INTO sync_changes (record_type, record_id, patient_id, seq, deleted_at)
        VALUES ('goal_check_in', OLD.id, (SELECT patient_id FROM sync_changes WHERE record_type = 'goal_check_in' AND record_id = OLD.id AND deleted_at IS NULL), (SELECT seq FROM sync_heads WHERE patient_id = (SELECT patient_id FROM sync_changes WHERE record_type = 'goal_check_in' AND record_id = OLD.id AND deleted_at IS NULL)), strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'))
        ON CONFLICT (record_type, record_id, patient_id) DO UPDATE
        SET seq = excluded.seq, deleted_at = excluded.deleted_at;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER mood_check_ins_sync_insert AFTER INSERT ON mood_check_ins
WHEN EXISTS (SELECT 1 FROM users WHERE id = NEW.patient_id)
BEGIN
    INSERT INTO sync_heads (patient_id, seq) VALUES (NEW.patient_id, 1)
        ON CONFLICT (patient_id) DO UPDATE SET seq = seq + 1;
    INSERT INTO sync_changes (record_type, record_id, patient_id, seq, deleted_at)
        VALUES ('mood_check_in', NEW.id, NEW.patient_id, (SELECT seq FROM sync_heads WHERE patient_id = NEW.patient_id), NULL)
        ON CONFLICT (record_type, record_id, patient_id) DO UPDATE
        SET seq = excluded.seq, deleted_at = excluded.deleted_at;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER mood_check_ins_sync_update AFTER UPDATE ON mood_check_ins
WHEN EXISTS (SELECT 1 FROM users WHERE id = NEW.patient_id)
BEGIN
    INSERT INTO sync_heads (patient_id, seq) VALUES (NEW.patient_id, 1)
        ON CONFLICT (patient_id) DO UPDATE SET seq = seq + 1;
    INSERT INTO sync_changes (record_type, record_id, patient_id, seq, deleted_at)
        VALUES ('mood_check_in', NEW.id, NEW.patient_id, (SELECT seq FROM sync_heads WHERE patient_id = NEW.patient_id), NULL)
        ON CONFLICT (record_type, record_id, patient_id) DO UPDATE
        SET seq = excluded.seq, deleted_at = excluded.deleted_at;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER mood_check_ins_sync_delete AFTER DELETE ON mood_check_ins
WHEN EXISTS (SELECT 1 FROM users WHERE id = OLD.patient_id)
BEGIN
    INSERT INTO sync_heads (patient_id, seq) VALUES (OLD.patient_id, 1)
        ON CONFLICT (patient_id) DO UPDATE SET seq = seq + 1;
    INSERT INTO sync_changes (record_type, record_id, patient_id, seq, deleted_at)
        VALUES ('mood_check_in', OLD.id, OLD.patient_id, (SELECT seq FROM sync_heads WHERE patient_id = OLD.patient_id), strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'))
        ON CONFLICT (record_type, record_id, patient_id) DO UPDATE
        SET seq = excluded.seq, deleted_at = excluded.deleted_at;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER assessments_sync_insert AFTER INSERT ON assessments
WHEN EXISTS (SELECT 1 FROM users WHERE id = NEW.patient_id)
BEGIN
    INSERT INTO sync_heads (patient_id, seq) VALUES (NEW.patient_id, 1)
        ON CONFLICT (patient_id) DO UPDATE SET seq = seq + 1;
    INSERT INTO sync_changes (record_type, record_id, patient_id, seq, deleted_at)
        VALUES ('assessment', NEW.id, NEW.patient_id, (SELECT seq FROM sync_heads WHERE patient_id = NEW.patient_id), NULL)
        ON CONFLICT (record_type, record_id, patient_id) DO UPDATE
        SET seq = excluded.seq, deleted_at = excluded.deleted_at;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER assessments_sync_update AFTER UPDATE ON assessments
WHEN EXISTS (SELECT 1 FROM users WHERE id = NEW.patient_id)
BEGIN
    INSERT INTO sync_heads (patient_id, seq) VALUES (NEW.patient_id, 1)
        ON CONFLICT (patient_id) DO UPDATE SET seq = seq + 1;
    INSERT INTO sync_changes (record_type, record_id, patient_id, seq, deleted_at)
        VALUES ('assessment', NEW.id, NEW.patient_id, (SELECT seq FROM sync_heads WHERE patient_id = NEW.patient_id), NULL)
        ON CONFLICT (record_type, record_id, patient_id) DO UPDATE
        SET seq = excluded.seq, deleted_at = excluded.deleted_at;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER assessments_sync_delete AFTER DELETE ON assessments
WHEN EXISTS (SELECT 1 FROM users WHERE id = OLD.patient_id)
BEGIN
    INSERT INTO sync_heads (patient_id, seq) VALUES (OLD.patient_id, 1)
        ON CONFLICT (patient_id) DO UPDATE SET seq = seq + 1;
    INSERT INTO sync_changes (record_type, record_id, patient_id, seq, deleted_at)
        VALUES ('assessment', OLD.id, OLD.patient_id, (SELECT seq FROM sync_heads WHERE patient_id = OLD.patient_id), strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'))
        ON CONFLICT (record_type, record_id, patient_id) DO UPDATE
        SET seq = excluded.seq, deleted_at = excluded.deleted_at;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER treatment_sessions_sync_insert AFTER INSERT ON treatment_sessions
WHEN EXISTS (SELECT 1 FROM users WHERE id = NEW.patient_id)
BEGIN
    INSERT INTO sync_heads (patient_id, seq) VALUES (NEW.patient_id, 1)
        ON CONFLICT (patient_id) DO UPDATE SET seq = seq + 1;
    INSERT INTO sync_changes (record_type, record_id, patient_id, seq, deleted_at)
        VALUES ('treatment_session', NEW.id, NEW.patient_id, (SELECT seq FROM sync_heads WHERE patient_id = NEW.patient_id), NULL)
        ON CONFLICT (record_type, record_id, patient_id) DO UPDATE
        SET seq = excluded.seq, deleted_at = excluded.deleted_at;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER treatment_sessions_sync_update AFTER UPDATE ON treatment_sessions
WHEN EXISTS (SELECT 1 FROM users WHERE id = NEW.patient_id)
BEGIN
    INSERT INTO sync_heads (patient_id, seq) VALUES (NEW.patient_id, 1)
        ON CONFLICT (patient_id) DO UPDATE SET seq = seq + 1;
    INSERT INTO sync_changes (record_type, record_id, patient_id, seq, deleted_at)
        VALUES ('treatment_session', NEW.id, NEW.patient_id, (SELECT seq FROM sync_heads WHERE patient_id = NEW.patient_id), NULL)
        ON CONFLICT (record_type, record_id, patient_id) DO UPDATE
        SET seq = excluded.seq, deleted_at = excluded.deleted_at;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER treatment_sessions_sync_delete AFTER DELETE ON treatment_sessions
WHEN EXISTS (SELECT 1 FROM users WHERE id = OLD.patient_id)
BEGIN
    INSERT INTO sync_heads (patient_id, seq) VALUES (OLD.patient_id, 1)
        ON CONFLICT (patient_id) DO UPDATE SET seq = seq + 1;
    INSERT INTO sync_changes (record_type, record_id, patient_id, seq, deleted_at)
        VALUES ('treatment_session', OLD.id, OLD.patient_id, (SELECT seq FROM sync_heads WHERE patient_id = OLD.patient_id), strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'))
        ON CONFLICT (record_type, record_id, patient_id) DO UPDATE
        SET seq = excluded.seq, deleted_at = excluded.deleted_at;
END;
-- +goose StatementEnd

-- A session lists the patient's journal entries about it, so writing,
-- moving or deleting an entry changes the session as its patient reads it:
-- a live session's log row moves to the head.
-- +goose StatementBegin
CREATE TRIGGER journal_entries_sync_sessions_insert AFTER INSERT ON journal_entries
WHEN NEW.session_id IS NOT NULL
BEGIN
    UPDATE sync_heads SET seq = seq + 1
    WHERE patient_id IN (SELECT patient_id FROM sync_changes
                         WHERE record_type = 'treatment_session' AND record_id = NEW.session_id AND deleted_at IS NULL);
    UPDATE sync_changes SET seq = (SELECT h.seq FROM sync_heads h WHERE h.patient_id = sync_changes.patient_id)
    WHERE record_type = 'treatment_session' AND record_id = NEW.session_id AND deleted_at IS NULL;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER journal_entries_sync_sessions_update AFTER UPDATE OF session_id ON journal_entries
WHEN OLD.session_id IS NOT NEW.session_id
BEGIN
    UPDATE sync_heads SET seq = seq + 1
    WHERE patient_id IN (SELECT patient_id FROM sync_changes
                         WHERE record_type = 'treatment_session' AND record_id = OLD.session_id AND deleted_at IS NULL);
    UPDATE sync_changes SET seq = (SELECT h.seq FROM sync_heads h WHERE h.patient_id = sync_changes.patient_id)
    WHERE record_type = 'treatment_session' AND record_id = OLD.session_id AND deleted_at IS NULL;
    UPDATE sync_heads SET seq = seq + 1
    WHERE patient_id IN (SELECT patient_id FROM sync_changes
                         WHERE record_type = 'treatment_session' AND record_id = NEW.session_id AND deleted_at IS NULL);
    UPDATE sync_changes SET seq = (SELECT h.seq FROM sync_heads h WHERE h.patient_id = sync_changes.patient_id)
    WHERE record_type = 'treatment_session' AND record_id = NEW.session_id AND deleted_at IS NULL;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER journal_entries_sync_sessions_delete AFTER DELETE ON journal_entries
WHEN OLD.session_id IS NOT NULL
BEGIN
    UPDATE sync_heads SET seq = seq + 1
    WHERE patient_id IN (SELECT patient_id FROM sync_changes
                         WHERE record_type = 'treatment_session' AND record_id = OLD.session_id AND deleted_at IS NULL);
    UPDATE sync_changes SET seq = (SELECT h.seq FROM sync_heads h WHERE h.patient_id = sync_changes.patient_id)
    WHERE record_type = 'treatment_session' AND record_id = OLD.session_id AND deleted_at IS NULL;
END;
-- +goose StatementEnd

-- The records written before the log existed, oldest first.
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
