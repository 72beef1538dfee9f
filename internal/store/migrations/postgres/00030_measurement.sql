-- +goose Up
-- Completed PHQ-9 and GAD-7 questionnaires. The server scores them; rows
-- never change once stored.
CREATE TABLE assessments (
    id          uuid PRIMARY KEY,
    patient_id  uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    instrument  text NOT NULL CHECK (instrument IN ('phq9', 'gad7')),
    answers     text NOT NULL,  -- item answers in order, comma-separated
    total       integer NOT NULL CHECK (total >= 0 AND total <= CASE instrument WHEN 'phq9' THEN 27 ELSE 21 END),
    severity    text NOT NULL CHECK (severity IN ('minimal', 'mild', 'moderate', 'moderately_severe', 'severe')),
    session_id  uuid REFERENCES treatment_sessions (id) ON DELETE SET NULL,
    taken_at    timestamptz NOT NULL,
    created_at  timestamptz NOT NULL,
    CHECK ((instrument = 'phq9' AND answers ~ '^[0-3](,[0-3]){8}$') OR (instrument = 'gad7' AND answers ~ '^[0-3](,[0-3]){6}$'))
);
CREATE INDEX assessments_patient_created_idx ON assessments (patient_id, created_at DESC, id DESC);
CREATE INDEX assessments_patient_instrument_taken_idx ON assessments (patient_id, instrument, taken_at, id);

-- Answers that need a clinician's follow-up. An alert carries only what the
-- care team needs to act on it; the answers stay on the assessment.
CREATE TABLE safety_alerts (
    id                   uuid PRIMARY KEY,
    patient_id           uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    assessment_id        uuid NOT NULL REFERENCES assessments (id) ON DELETE CASCADE,
    reason               text NOT NULL CHECK (reason IN ('phq9_item9')),
    item_score           integer NOT NULL CHECK (item_score BETWEEN 1 AND 3),
    status               text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'acknowledged')),
    acknowledged_by      uuid REFERENCES users (id),
    acknowledged_at      timestamptz,
    acknowledgement_note text,
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL,
    version              bigint NOT NULL DEFAULT 1,
    CHECK ((status = 'open' AND acknowledged_by IS NULL AND acknowledged_at IS NULL AND acknowledgement_note IS NULL)
        OR (status = 'acknowledged' AND acknowledged_by IS NOT NULL AND acknowledged_at IS NOT NULL))
);
CREATE UNIQUE INDEX safety_alerts_assessment_key ON safety_alerts (assessment_id);
CREATE INDEX safety_alerts_status_created_idx ON safety_alerts (status, created_at DESC, id DESC);
CREATE INDEX safety_alerts_patient_created_idx ON safety_alerts (patient_id, created_at DESC, id DESC);

-- Patients' quick mood ratings between questionnaires. The note is the
-- patient's own words: sealed like the journal's (internal/seal), under the
-- key key_id names.
CREATE TABLE mood_check_ins (
    id          uuid PRIMARY KEY,
    patient_id  uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    mood        integer NOT NULL CHECK (mood BETWEEN 1 AND 10),
    anxiety     integer CHECK (anxiety BETWEEN 1 AND 10),
    key_id      text NOT NULL,
    note_sealed bytea,
    taken_at    timestamptz NOT NULL,
    created_at  timestamptz NOT NULL
);
CREATE INDEX mood_check_ins_patient_created_idx ON mood_check_ins (patient_id, created_at DESC, id DESC);
CREATE INDEX mood_check_ins_patient_taken_idx ON mood_check_ins (patient_id, taken_at);
