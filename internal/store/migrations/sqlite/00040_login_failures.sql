-- +goose Up
-- Failed logins, per account (normalised email) and per client address, so
-- that throttling holds across API instances. Rows older than the window
-- are deleted as new failures arrive.
CREATE TABLE login_failures (
    throttle_key text NOT NULL,
    failed_at    datetime NOT NULL
);
CREATE INDEX login_failures_key_time_idx ON login_failures (throttle_key, failed_at);
