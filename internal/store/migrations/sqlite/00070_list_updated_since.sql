-- +goose Up
-- Lists take updated_since: the rows of one patient (or role) changed since
-- an instant. Mutable rows are matched on updated_at, which no index led
-- with; rows that never change are matched on created_at, which their list
-- indexes already cover. A recent instant then reads only the rows it
-- keeps instead of the patient's whole history.
CREATE INDEX journal_entries_patient_updated_idx ON journal_entries (patient_id, updated_at);
-- The care team's view: shared entries only.
CREATE INDEX journal_entries_shared_updated_idx ON journal_entries (patient_id, updated_at) WHERE shared_with_care_team;
CREATE INDEX goals_patient_updated_idx ON goals (patient_id, updated_at);
CREATE INDEX treatment_sessions_patient_updated_idx ON treatment_sessions (patient_id, updated_at);
CREATE INDEX users_role_updated_idx ON users (role, updated_at);
