-- +goose Up
-- Self-reflection and self-care the patient logged. The note is sealed like
-- the journal's text. Activities are not edited, so they have no version.
CREATE TABLE activities (
    id               text PRIMARY KEY,
    patient_id       text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind             text NOT NULL CHECK (kind IN ('nature', 'mindfulness_meditation', 'calming_music', 'exercise', 'time_with_loved_ones', 'creativity', 'therapy_session', 'other')),
    occurred_at      datetime NOT NULL,
    duration_minutes integer CHECK (duration_minutes BETWEEN 1 AND 1440),
    key_id           text NOT NULL,
    note_sealed      blob,
    created_at       datetime NOT NULL
);
CREATE INDEX activities_patient_idx ON activities (patient_id, created_at DESC, id DESC);
