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

-- Dropping the note drops the table's check that names it: it comes back
-- on the sealed note.
ALTER TABLE safety_alerts DROP COLUMN acknowledgement_note;
ALTER TABLE safety_alerts ADD CONSTRAINT safety_alerts_acknowledgement_check
    CHECK ((status = 'open' AND acknowledged_by IS NULL AND acknowledged_at IS NULL AND acknowledgement_note_sealed IS NULL)
        OR (status = 'acknowledged' AND acknowledged_by IS NOT NULL AND acknowledged_at IS NOT NULL));
