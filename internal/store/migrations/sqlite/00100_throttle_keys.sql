-- +goose Up
-- Throttle keys become keyed hashes: see the PostgreSQL migration of the
-- same number. The old rows hold raw emails and addresses and are dropped.
DROP TABLE login_failures;
CREATE TABLE login_failures (
    id           integer PRIMARY KEY,
    -- Only a hex SHA-256: nothing readable can be stored here by mistake.
    throttle_key text NOT NULL CHECK (length(throttle_key) = 64 AND throttle_key NOT GLOB '*[^0-9a-f]*'),
    attempted_at datetime NOT NULL
);
CREATE INDEX login_failures_key_time_idx ON login_failures (throttle_key, attempted_at);
-- For pruning rows past every window.
CREATE INDEX login_failures_time_idx ON login_failures (attempted_at);
