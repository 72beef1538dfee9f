-- +goose Up
-- A course of ketamine treatment planned for one patient.
CREATE TABLE treatment_plans (
    id                 text PRIMARY KEY,
    patient_id         text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_by         text NOT NULL REFERENCES users (id),
    start_date         date NOT NULL,
    sessions_per_week  integer NOT NULL CHECK (sessions_per_week IN (2, 3)),
    session_count      integer NOT NULL CHECK (session_count BETWEEN 1 AND 24),
    route              text NOT NULL CHECK (route IN ('iv_infusion', 'intramuscular', 'intranasal', 'oral', 'sublingual')),
    preferred_weekdays text,    -- comma-separated ISO weekday numbers, 1 = Monday
    preferred_time     text,    -- HH:MM in the patient's timezone
    status             text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'completed', 'cancelled')),
    created_at         datetime NOT NULL,
    updated_at         datetime NOT NULL,
    version            integer NOT NULL DEFAULT 1
);
CREATE INDEX treatment_plans_patient_idx ON treatment_plans (patient_id, created_at DESC, id DESC);

-- One session of a plan, with its five parts: route, sitter, preparation,
-- journey and integration.
CREATE TABLE treatment_sessions (
    id                          text PRIMARY KEY,
    plan_id                     text NOT NULL REFERENCES treatment_plans (id) ON DELETE CASCADE,
    patient_id                  text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    sequence                    integer NOT NULL CHECK (sequence >= 1),
    scheduled_at                datetime NOT NULL,
    status                      text NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'in_progress', 'completed', 'cancelled', 'no_show')),
    route                       text NOT NULL CHECK (route IN ('iv_infusion', 'intramuscular', 'intranasal', 'oral', 'sublingual')),
    sitter_name                 text,
    sitter_relationship         text,
    sitter_phone                text,
    intention                   text,
    fasting_confirmed           boolean NOT NULL DEFAULT false,
    ride_home_arranged          boolean NOT NULL DEFAULT false,
    setting_prepared            boolean NOT NULL DEFAULT false,
    music_ready                 boolean NOT NULL DEFAULT false,
    preparation_notes           text,
    started_at                  datetime,
    ended_at                    datetime,
    dose_mg                     real,
    dose_mg_per_kg              real,
    journey_notes               text,   -- clinician only
    therapist_notes             text,   -- clinician only
    created_at                  datetime NOT NULL,
    updated_at                  datetime NOT NULL,
    version                     integer NOT NULL DEFAULT 1,
    CHECK (ended_at IS NULL OR started_at IS NULL OR ended_at >= started_at)
);
CREATE UNIQUE INDEX treatment_sessions_plan_sequence_key ON treatment_sessions (plan_id, sequence);
CREATE INDEX treatment_sessions_patient_scheduled_idx ON treatment_sessions (patient_id, scheduled_at);
