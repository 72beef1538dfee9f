-- +goose Up
-- A clinician's evaluation of a patient's candidacy for ketamine therapy.
-- Evaluations are never edited: the latest by evaluated_at decides whether a
-- treatment plan may be made.
CREATE TABLE candidacy_evaluations (
    id                 uuid PRIMARY KEY,
    patient_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    evaluated_by       uuid NOT NULL REFERENCES users (id),
    evaluated_at       timestamptz NOT NULL,
    outcome            text NOT NULL CHECK (outcome IN ('eligible', 'not_eligible', 'needs_more_information')),
    contraindications  text NOT NULL DEFAULT '',   -- comma-separated, from the fixed list
    baseline_systolic  integer CHECK (baseline_systolic BETWEEN 50 AND 300),
    baseline_diastolic integer CHECK (baseline_diastolic BETWEEN 20 AND 200),
    clinician_notes    text,                       -- care team only
    created_at         timestamptz NOT NULL,
    CHECK ((baseline_systolic IS NULL) = (baseline_diastolic IS NULL)),
    CHECK (baseline_diastolic < baseline_systolic),
    CHECK (outcome <> 'eligible' OR baseline_systolic IS NOT NULL)
);
CREATE INDEX candidacy_evaluations_patient_idx ON candidacy_evaluations (patient_id, evaluated_at DESC, id DESC);

-- Which evaluation a plan was made on, and the timezone its sessions were
-- scheduled in (the patient may move later).
ALTER TABLE treatment_plans ADD COLUMN evaluation_id uuid REFERENCES candidacy_evaluations (id);
ALTER TABLE treatment_plans ADD COLUMN timezone text NOT NULL DEFAULT 'UTC';
-- One active course at a time, so two plans never book the same days.
CREATE UNIQUE INDEX treatment_plans_one_active_key ON treatment_plans (patient_id) WHERE status = 'active';

-- Vital signs taken while a session is monitored. Readings are never edited.
CREATE TABLE vital_signs (
    id          uuid PRIMARY KEY,
    session_id  uuid NOT NULL REFERENCES treatment_sessions (id) ON DELETE CASCADE,
    recorded_by uuid NOT NULL REFERENCES users (id),
    taken_at    timestamptz NOT NULL,
    systolic    integer NOT NULL CHECK (systolic BETWEEN 50 AND 300),
    diastolic   integer NOT NULL CHECK (diastolic BETWEEN 20 AND 200),
    heart_rate  integer NOT NULL CHECK (heart_rate BETWEEN 20 AND 250),
    spo2        integer NOT NULL CHECK (spo2 BETWEEN 50 AND 100),
    created_at  timestamptz NOT NULL,
    CHECK (diastolic < systolic)
);
CREATE INDEX vital_signs_session_idx ON vital_signs (session_id, taken_at, id);
