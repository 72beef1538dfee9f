-- +goose Up
-- Migration 00111 sealed every value of these columns into their _sealed
-- twins and emptied them; goose runs it first, in order, and stops at its
-- failure, so nothing left here is unsealed.
ALTER TABLE users DROP COLUMN emergency_contact_name;
ALTER TABLE users DROP COLUMN emergency_contact_phone;
ALTER TABLE users DROP COLUMN emergency_contact_relationship;

ALTER TABLE treatment_sessions DROP COLUMN sitter_name;
ALTER TABLE treatment_sessions DROP COLUMN sitter_relationship;
ALTER TABLE treatment_sessions DROP COLUMN sitter_phone;
ALTER TABLE treatment_sessions DROP COLUMN intention;
ALTER TABLE treatment_sessions DROP COLUMN preparation_notes;
ALTER TABLE treatment_sessions DROP COLUMN journey_notes;
ALTER TABLE treatment_sessions DROP COLUMN therapist_notes;

ALTER TABLE candidacy_evaluations DROP COLUMN clinician_notes;

-- SQLite drops no column a CHECK names: the alerts table is rebuilt, its
-- check now on the sealed note. No table refers to it, and it has no
-- triggers.
CREATE TABLE safety_alerts_sealed (
    id                          text PRIMARY KEY,
    patient_id                  text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    assessment_id               text NOT NULL REFERENCES assessments (id) ON DELETE CASCADE,
    reason                      text NOT NULL CHECK (reason IN ('phq9_item9')),
    item_score                  integer NOT NULL CHECK (item_score BETWEEN 1 AND 3),
    status                      text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'acknowledged')),
    acknowledged_by             text REFERENCES users (id),
    acknowledged_at             datetime,
    created_at                  datetime NOT NULL,
    updated_at                  datetime NOT NULL,
    version                     integer NOT NULL DEFAULT 1,
    key_id                      text,
    acknowledgement_note_sealed blob,
    CHECK ((status = 'open' AND acknowledged_by IS NULL AND acknowledged_at IS NULL AND acknowledgement_note_sealed IS NULL)
        OR (status = 'acknowledged' AND acknowledged_by IS NOT NULL AND acknowledged_at IS NOT NULL))
);
INSERT INTO safety_alerts_sealed (id, patient_id, assessment_id, reason, item_score, status, acknowledged_by,
    acknowledged_at, created_at, updated_at, version, key_id, acknowledgement_note_sealed)
SELECT id, patient_id, assessment_id, reason, item_score, status, acknowledged_by,
    acknowledged_at, created_at, updated_at, version, key_id, acknowledgement_note_sealed
FROM safety_alerts;
DROP TABLE safety_alerts;
ALTER TABLE safety_alerts_sealed RENAME TO safety_alerts;
CREATE UNIQUE INDEX safety_alerts_assessment_key ON safety_alerts (assessment_id);
CREATE INDEX safety_alerts_status_created_idx ON safety_alerts (status, created_at DESC, id DESC);
CREATE INDEX safety_alerts_patient_created_idx ON safety_alerts (patient_id, created_at DESC, id DESC);
