-- +goose Up
-- The patients whose records a clinician's or admin's first request touched
-- (comma-separated ids), so that a replay checks the caller may still read
-- them, and is audited like the request itself.
ALTER TABLE idempotency_keys ADD COLUMN patient_ids text;
