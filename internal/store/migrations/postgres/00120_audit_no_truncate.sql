-- +goose Up
-- TRUNCATE fires no row triggers, so the append-only rows of audit_events
-- could still be wiped at once; a statement trigger refuses it too, even
-- for the table's owner (who, unlike the service's role, could still drop
-- the trigger: the roles are the first guard, this is the second).
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
