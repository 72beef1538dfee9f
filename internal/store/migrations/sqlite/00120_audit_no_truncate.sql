-- +goose Up
-- SQLite has no TRUNCATE: "DELETE FROM audit_events" without a WHERE fires
-- the row triggers of 00042 like any other DELETE. Nothing to add; the file
-- keeps both dialects' versions in step. Whoever can write the database
-- file can still change anything in it (docs/security.md).
SELECT 1;
