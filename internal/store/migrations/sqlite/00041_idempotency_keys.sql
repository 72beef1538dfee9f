-- +goose Up
-- Idempotency-Key (IETF draft): the first response to a (user, key) pair is
-- kept for 24 hours and replayed to retries. The stored body is sealed like
-- the patient's own words, since it may hold them.
CREATE TABLE idempotency_keys (
    user_id      text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    idem_key     text NOT NULL,
    fingerprint  text NOT NULL,   -- SHA-256 of method, path and body
    status       integer,         -- NULL while the first request runs
    content_type text,
    etag         text,
    key_id       text,
    body_sealed  blob,
    created_at   datetime NOT NULL,
    completed_at datetime,
    PRIMARY KEY (user_id, idem_key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
