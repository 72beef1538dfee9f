-- +goose Up
-- A patient may erase their own content and close their account (POST
-- /v1/me/erase). The row stays, because the clinical records the clinic must
-- keep are about it; deactivated_at marks it closed, and a closed account is
-- refused at sign-in, at refresh and on every authenticated request. Only a
-- patient closes their account.
ALTER TABLE users ADD COLUMN deactivated_at datetime
    CHECK (deactivated_at IS NULL OR role = 'patient');

-- No content may be added to a closed account, whatever the path. SQLite
-- runs one writer at a time, so an insert after the erasure sees the account
-- closed. The message is matched by the store. Goal check-ins need no
-- trigger: their goal is gone with the erasure, and the foreign key refuses
-- them.
-- +goose StatementBegin
CREATE TRIGGER journal_entries_refuse_closed BEFORE INSERT ON journal_entries
WHEN (SELECT deactivated_at FROM users WHERE id = NEW.patient_id) IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'ketacare: account closed');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER activities_refuse_closed BEFORE INSERT ON activities
WHEN (SELECT deactivated_at FROM users WHERE id = NEW.patient_id) IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'ketacare: account closed');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER goals_refuse_closed BEFORE INSERT ON goals
WHEN (SELECT deactivated_at FROM users WHERE id = NEW.patient_id) IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'ketacare: account closed');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER mood_check_ins_refuse_closed BEFORE INSERT ON mood_check_ins
WHEN (SELECT deactivated_at FROM users WHERE id = NEW.patient_id) IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'ketacare: account closed');
END;
-- +goose StatementEnd
