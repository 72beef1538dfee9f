-- +goose Up
-- The patient's profile lives on their account row.
ALTER TABLE users ADD COLUMN date_of_birth date;
ALTER TABLE users ADD COLUMN emergency_contact_name text;
ALTER TABLE users ADD COLUMN emergency_contact_phone text;
ALTER TABLE users ADD COLUMN emergency_contact_relationship text;

-- Which clinicians look after which patient. Every read of a patient's
-- records by a clinician checks this table.
CREATE TABLE care_team_members (
    id           uuid PRIMARY KEY,
    patient_id   uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    clinician_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    assigned_by  uuid NOT NULL REFERENCES users (id),
    created_at   timestamptz NOT NULL
);
CREATE UNIQUE INDEX care_team_members_pair_key ON care_team_members (patient_id, clinician_id);
CREATE INDEX care_team_members_clinician_idx ON care_team_members (clinician_id, patient_id);
CREATE INDEX care_team_members_patient_created_idx ON care_team_members (patient_id, created_at DESC, id DESC);
