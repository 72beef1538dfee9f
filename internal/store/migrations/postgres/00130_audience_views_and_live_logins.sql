-- +goose Up
-- Every authenticated request checks that the login its access token names
-- (the sid claim: a refresh-token family) is still live: its latest token,
-- the one not yet rotated, is neither revoked nor expired. Each rotation
-- leaves a used row behind, so a month-old login has thousands; this index
-- holds only the latest token of each live family, so the check reads one
-- entry whatever the login's age.
CREATE INDEX refresh_tokens_live_family_idx ON refresh_tokens (family_id)
    WHERE used_at IS NULL AND revoked_at IS NULL;

-- A session carries fields only its care team sees (journey_notes,
-- therapist_notes). Its version and updated_at move with every change and
-- stay the care team's; patient_version and patient_updated_at move only
-- when a field the patient (and an admin) sees changes, and are the
-- version, updated_at and ETag of their view, so a clinician's note is not
-- announced to the patient as a change of their session.
ALTER TABLE treatment_sessions ADD COLUMN patient_version bigint,
    ADD COLUMN patient_updated_at timestamptz;

-- The sync trigger is dropped for the backfill, which changes no one's
-- view and must not resend every session to its patient.
DROP TRIGGER treatment_sessions_sync_update ON treatment_sessions;
-- Sessions written before: their view is as old as the record (a
-- clinician's earlier notes may have moved it, which is no longer known).
UPDATE treatment_sessions SET patient_version = version, patient_updated_at = updated_at;
ALTER TABLE treatment_sessions ALTER COLUMN patient_version SET NOT NULL,
    ALTER COLUMN patient_updated_at SET NOT NULL,
    ADD CONSTRAINT treatment_sessions_patient_version_check CHECK (patient_version BETWEEN 1 AND version);

-- The patient's sync follows their view: an update logs a session only
-- when its patient view moved.
-- +goose StatementBegin
CREATE FUNCTION sync_capture_session_views() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM sync_log('treatment_session', array_agg(n.patient_id), array_agg(n.id), false, false)
    FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE n.patient_version IS DISTINCT FROM o.patient_version OR n.patient_id IS DISTINCT FROM o.patient_id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER treatment_sessions_sync_update AFTER UPDATE ON treatment_sessions
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sync_capture_session_views();

-- The patient's lists take updated_since on their view's time.
CREATE INDEX treatment_sessions_patient_view_updated_idx ON treatment_sessions (patient_id, patient_updated_at);
