-- Two changes for the portal's hot path.
--
-- Sessions: the store now keeps the absolute deadline (login + lifetime)
-- next to the idle expiry, so it can extend the idle expiry itself at most
-- once a minute instead of rewriting the session on every request.
--
-- Premiums: the next premium due of a policy is the first instalment still
-- scheduled or late; a partial index finds it with one index probe.

-- +goose Up
ALTER TABLE sessions ADD COLUMN deadline timestamptz;
UPDATE sessions SET deadline = expiry;
ALTER TABLE sessions ALTER COLUMN deadline SET NOT NULL;
ALTER TABLE sessions ADD CHECK (expiry <= deadline);

CREATE INDEX premium_instalments_open_idx ON premium_instalments (policy_id, due_on)
    WHERE status IN ('scheduled', 'late');

-- +goose Down
DROP INDEX premium_instalments_open_idx;
ALTER TABLE sessions DROP COLUMN deadline;
