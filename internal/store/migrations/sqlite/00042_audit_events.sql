-- +goose Up
-- Who read or changed which patient's records: clinicians and admins only,
-- never any content. Ids are plain columns, not foreign keys, so the trail
-- outlives the accounts it names; the triggers make it append-only.
CREATE TABLE audit_events (
    id            text PRIMARY KEY,
    actor_id      text NOT NULL,
    actor_role    text NOT NULL,
    patient_id    text NOT NULL,
    action        text NOT NULL CHECK (action IN ('read', 'write')),
    operation     text NOT NULL,
    resource      text NOT NULL,
    resource_id   text,
    request_id    text NOT NULL,
    created_at    datetime NOT NULL
);
CREATE INDEX audit_events_patient_idx ON audit_events (patient_id, created_at DESC, id DESC);
CREATE INDEX audit_events_created_idx ON audit_events (created_at DESC, id DESC);

-- +goose StatementBegin
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
-- +goose StatementEnd
