-- Reports over a year read only indexes: closed deals with what the
-- reports group and sum, done tasks with their assignee.

-- +goose Up
DROP INDEX deals_closed_idx;
CREATE INDEX deals_closed_idx ON deals (closed_at) INCLUDE (status, source, amount, currency, owner_staff_id, client_id)
    WHERE closed_at IS NOT NULL;
CREATE INDEX tasks_done_idx ON tasks (completed_at) INCLUDE (assignee_staff_id) WHERE status = 'done';

-- +goose Down
DROP INDEX tasks_done_idx;
DROP INDEX deals_closed_idx;
CREATE INDEX deals_closed_idx ON deals (closed_at) WHERE closed_at IS NOT NULL;
