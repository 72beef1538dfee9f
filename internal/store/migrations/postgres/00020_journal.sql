-- +goose Up
-- The patient's journal. What they wrote (title, body, insights) is sealed
-- with AES-256-GCM by the application under the key named by key_id, bound
-- to the row id and column; the database never sees it in the clear.
CREATE TABLE journal_entries (
    id                    uuid PRIMARY KEY,
    patient_id            uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- A session removed with its plan leaves the patient's words in place.
    session_id            uuid REFERENCES treatment_sessions (id) ON DELETE SET NULL,
    prompt_key            text CHECK (length(prompt_key) BETWEEN 1 AND 64),
    mood                  integer CHECK (mood BETWEEN 1 AND 10),
    shared_with_care_team boolean NOT NULL DEFAULT false,
    key_id                text NOT NULL,
    title_sealed          bytea,
    body_sealed           bytea NOT NULL,
    insights_sealed       bytea NOT NULL,
    created_at            timestamptz NOT NULL,
    updated_at            timestamptz NOT NULL,
    version               bigint NOT NULL DEFAULT 1 CHECK (version >= 1)
);
CREATE INDEX journal_entries_patient_idx ON journal_entries (patient_id, created_at DESC, id DESC);
-- The care team's view: shared entries only.
CREATE INDEX journal_entries_shared_idx ON journal_entries (patient_id, created_at DESC, id DESC) WHERE shared_with_care_team;
CREATE INDEX journal_entries_session_idx ON journal_entries (session_id) WHERE session_id IS NOT NULL;
