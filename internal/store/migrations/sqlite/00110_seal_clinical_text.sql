-- +goose Up
-- Free text a person writes about a patient's care is sealed at rest like
-- the journal (AES-256-GCM by the application, under the key key_id names,
-- each value bound to its table, column and row): the emergency contact, a
-- session's sitter, intention and notes, an evaluation's notes and a safety
-- alert's acknowledgement note. This adds the sealed columns; migration
-- 00111 (Go, internal/store/seal_migration.go) seals the rows written
-- before, and 00112 drops the columns that held the words in the clear.
-- key_id stays NULL in a row that was never written with sealed text.
ALTER TABLE users ADD COLUMN key_id text;
ALTER TABLE users ADD COLUMN emergency_contact_name_sealed blob;
ALTER TABLE users ADD COLUMN emergency_contact_phone_sealed blob;
ALTER TABLE users ADD COLUMN emergency_contact_relationship_sealed blob;

ALTER TABLE treatment_sessions ADD COLUMN key_id text;
ALTER TABLE treatment_sessions ADD COLUMN sitter_name_sealed blob;
ALTER TABLE treatment_sessions ADD COLUMN sitter_relationship_sealed blob;
ALTER TABLE treatment_sessions ADD COLUMN sitter_phone_sealed blob;
ALTER TABLE treatment_sessions ADD COLUMN intention_sealed blob;
ALTER TABLE treatment_sessions ADD COLUMN preparation_notes_sealed blob;
ALTER TABLE treatment_sessions ADD COLUMN journey_notes_sealed blob;
ALTER TABLE treatment_sessions ADD COLUMN therapist_notes_sealed blob;

ALTER TABLE candidacy_evaluations ADD COLUMN key_id text;
ALTER TABLE candidacy_evaluations ADD COLUMN clinician_notes_sealed blob;

ALTER TABLE safety_alerts ADD COLUMN key_id text;
ALTER TABLE safety_alerts ADD COLUMN acknowledgement_note_sealed blob;
