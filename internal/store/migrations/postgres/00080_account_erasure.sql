-- +goose Up
-- A patient may erase their own content and close their account (POST
-- /v1/me/erase). The row stays, because the clinical records the clinic must
-- keep are about it; deactivated_at marks it closed, and a closed account is
-- refused at sign-in, at refresh and on every authenticated request. Only a
-- patient closes their account.
ALTER TABLE users ADD COLUMN deactivated_at timestamptz
    CHECK (deactivated_at IS NULL OR role = 'patient');

-- No content may be added to a closed account, whatever the path. A request
-- that passed its account check just before the erasure committed would
-- otherwise write after it. The erasure closes the account (an update of
-- its row) before it deletes anything, so the FOR SHARE below waits for it
-- to end and then sees the row as it committed (READ COMMITTED re-reads a
-- row locked by another transaction); a write already past it holds the
-- row until it commits, and the erasure, waiting for it, then deletes what
-- it wrote. FOR SHARE, not FOR KEY SHARE: only the stronger lock conflicts
-- with an update. The message is matched by the store. Goal check-ins need
-- no trigger: their goal is gone with the erasure, and the foreign key
-- refuses them.
-- +goose StatementBegin
CREATE FUNCTION refuse_closed_account() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM users WHERE id = NEW.patient_id AND deactivated_at IS NULL FOR SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'ketacare: account closed';
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER journal_entries_refuse_closed BEFORE INSERT ON journal_entries
    FOR EACH ROW EXECUTE FUNCTION refuse_closed_account();
CREATE TRIGGER activities_refuse_closed BEFORE INSERT ON activities
    FOR EACH ROW EXECUTE FUNCTION refuse_closed_account();
CREATE TRIGGER goals_refuse_closed BEFORE INSERT ON goals
    FOR EACH ROW EXECUTE FUNCTION refuse_closed_account();
CREATE TRIGGER mood_check_ins_refuse_closed BEFORE INSERT ON mood_check_ins
    FOR EACH ROW EXECUTE FUNCTION refuse_closed_account();
