-- +goose Up
-- The latest token of each live login, for the sid check of every
-- authenticated request: see the PostgreSQL migration of the same number.
CREATE INDEX refresh_tokens_live_family_idx ON refresh_tokens (family_id)
    WHERE used_at IS NULL AND revoked_at IS NULL;

-- A session's patient view (without the care team's notes) has its own
-- version and time: see the PostgreSQL migration of the same number. SQLite
-- adds a NOT NULL column only with a default; the backfill below replaces
-- it, and the store always writes both.
ALTER TABLE treatment_sessions ADD COLUMN patient_version integer NOT NULL DEFAULT 1 CHECK (patient_version >= 1);
ALTER TABLE treatment_sessions ADD COLUMN patient_updated_at datetime NOT NULL DEFAULT '1970-01-01 00:00:00+00:00';

-- The sync trigger is dropped for the backfill, which changes no one's
-- view and must not resend every session to its patient.
DROP TRIGGER treatment_sessions_sync_update;
-- Sessions written before: their view is as old as the record (a
-- clinician's earlier notes may have moved it, which is no longer known).
UPDATE treatment_sessions SET patient_version = version, patient_updated_at = updated_at;

-- The patient's sync follows their view: an update logs a session only
-- when its patient view moved.
-- +goose StatementBegin
CREATE TRIGGER treatment_sessions_sync_update AFTER UPDATE ON treatment_sessions
WHEN (NEW.patient_version IS NOT OLD.patient_version OR NEW.patient_id IS NOT OLD.patient_id)
    AND EXISTS (SELECT 1 FROM users WHERE id = NEW.patient_id)
BEGIN
    INSERT INTO sync_heads (patient_id, seq) VALUES (NEW.patient_id, 1)
        ON CONFLICT (patient_id) DO UPDATE SET seq = seq + 1;
    INSERT INTO sync_changes (record_type, record_id, patient_id, seq, deleted_at)
        VALUES ('treatment_session', NEW.id, NEW.patient_id, (SELECT seq FROM sync_heads WHERE patient_id = NEW.patient_id), NULL)
        ON CONFLICT (record_type, record_id, patient_id) DO UPDATE
        SET seq = excluded.seq, deleted_at = excluded.deleted_at;
END;
-- +goose StatementEnd

-- The patient's lists take updated_since on their view's time.
CREATE INDEX treatment_sessions_patient_view_updated_idx ON treatment_sessions (patient_id, patient_updated_at);
