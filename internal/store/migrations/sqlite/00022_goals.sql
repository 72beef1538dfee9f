-- +goose Up
-- Action goals born from insights. Title, why and first step are sealed like
-- the journal's text. latest_progress and last_check_in_at mirror the newest
-- check-in, written in the same transaction as it.
CREATE TABLE goals (
    id                      text PRIMARY KEY,
    patient_id              text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- Deleting the journal entry a goal came from keeps the goal.
    source_journal_entry_id text REFERENCES journal_entries (id) ON DELETE SET NULL,
    category                text NOT NULL CHECK (category IN ('connection', 'comfort_zone', 'slow_down', 'self_care', 'other')),
    target_date             date,
    status                  text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'achieved', 'paused', 'dropped')),
    latest_progress         integer CHECK (latest_progress BETWEEN 0 AND 100),
    last_check_in_at        datetime,
    key_id                  text NOT NULL,
    title_sealed            blob NOT NULL,
    why_sealed              blob,
    first_step_sealed       blob,
    created_at              datetime NOT NULL,
    updated_at              datetime NOT NULL,
    version                 integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    CHECK ((latest_progress IS NULL) = (last_check_in_at IS NULL))
);
CREATE INDEX goals_patient_idx ON goals (patient_id, created_at DESC, id DESC);
CREATE INDEX goals_source_idx ON goals (source_journal_entry_id) WHERE source_journal_entry_id IS NOT NULL;

-- How far along a goal is, as the patient reported it. Not edited.
CREATE TABLE goal_check_ins (
    id          text PRIMARY KEY,
    goal_id     text NOT NULL REFERENCES goals (id) ON DELETE CASCADE,
    progress    integer NOT NULL CHECK (progress BETWEEN 0 AND 100),
    key_id      text NOT NULL,
    note_sealed blob,
    created_at  datetime NOT NULL
);
CREATE INDEX goal_check_ins_goal_idx ON goal_check_ins (goal_id, created_at DESC, id DESC);
