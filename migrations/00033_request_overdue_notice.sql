-- A service request past its deadline without the firm's answer is told
-- once to whoever works it (issue 13, item 7): overdue_told_at says when.

-- +goose Up
ALTER TABLE service_requests ADD COLUMN overdue_told_at timestamptz;
CREATE INDEX service_requests_overdue_idx ON service_requests (due_at) WHERE status = 'open' AND overdue_told_at IS NULL;

-- +goose Down
DROP INDEX service_requests_overdue_idx;
ALTER TABLE service_requests DROP COLUMN overdue_told_at;
