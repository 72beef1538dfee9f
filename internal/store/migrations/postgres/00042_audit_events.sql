-- +goose Up
-- Who read or changed which patient's records: clinicians and admins only,
-- never any content. Ids are plain columns, not foreign keys, so the trail
-- outlives the accounts it names; the triggers make it append-only.
CREATE TABLE audit_events (
    id            uuid PRIMARY KEY,
    actor_id      uuid NOT NULL,
    actor_role    text NOT NULL,
    patient_id    uuid NOT NULL,
    action        text NOT NULL CHECK (action IN ('read', 'write')),
    operation     text NOT NULL,
    resource      text NOT NULL,
    resource_id   uuid,
    request_id    text NOT NULL,
    created_at    timestamptz NOT NULL
);
CREATE INDEX audit_events_patient_idx ON audit_events (patient_id, created_at DESC, id DESC);
CREATE INDEX audit_events_created_idx ON audit_events (created_at DESC, id DESC);

-- +goose StatementBegin
CREATE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
