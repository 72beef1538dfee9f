-- +goose Up
CREATE TABLE users (
    id            text PRIMARY KEY,
    email         text NOT NULL,
    display_name  text NOT NULL,
    role          text NOT NULL CHECK (role IN ('patient', 'clinician', 'admin')),
    profession    text CHECK (profession IN ('psychiatrist', 'physician', 'nurse', 'therapist')),
    timezone      text NOT NULL DEFAULT 'UTC',
    password_hash text NOT NULL,
    created_at    datetime NOT NULL,
    updated_at    datetime NOT NULL,
    version       integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    CHECK ((role = 'clinician') = (profession IS NOT NULL))
);
-- Emails are stored lower-cased; the index makes them unique.
CREATE UNIQUE INDEX users_email_key ON users (email);
-- Keyset pages of one role, newest first.
CREATE INDEX users_role_created_idx ON users (role, created_at DESC, id DESC);

CREATE TABLE refresh_tokens (
    id         text PRIMARY KEY,
    user_id    text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family_id  text NOT NULL,
    token_hash text NOT NULL,
    expires_at datetime NOT NULL,
    used_at    datetime,
    revoked_at datetime,
    created_at datetime NOT NULL
);
CREATE UNIQUE INDEX refresh_tokens_hash_key ON refresh_tokens (token_hash);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);
