-- +goose Up
-- A sync page loads the records its changes name by id, among the
-- patient's own: "patient_id = $1 AND id IN (...)". As a prepared statement
-- PostgreSQL soon plans it once for any patient, guessing a patient has a
-- few hundred rows, and then ANDs a scan of the patient's whole index with
-- the primary key: for a patient with 100,000 journal entries that read them
-- all on every page (5 ms instead of 0.05). With both columns in one index
-- every plan looks up the ids within the patient, whatever their history.
-- The tables that grow with every day of use; goals and sessions stay few.
CREATE INDEX journal_entries_patient_id_idx ON journal_entries (patient_id, id);
CREATE INDEX activities_patient_id_idx ON activities (patient_id, id);
CREATE INDEX assessments_patient_id_idx ON assessments (patient_id, id);
CREATE INDEX mood_check_ins_patient_id_idx ON mood_check_ins (patient_id, id);
