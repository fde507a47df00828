-- Reports (issue 13, item 6).
--
-- The tasks report counts, by advisor, the tasks that went overdue in a
-- period: due in it and still open at their deadline (done late, cancelled
-- late, or not done yet). Only such tasks are in tasks_late_idx, with
-- their assignee, so a year of a million tasks is counted from the index
-- alone.
--
-- The most valuable clients count what a client owes on a loan or card
-- account only when no credit line stands for that account: for one
-- advisor's book that is a lookup per account in credit_lines_account_idx
-- instead of a pass over every credit line.

-- +goose Up
CREATE INDEX tasks_late_idx ON tasks (due_at) INCLUDE (assignee_staff_id)
    WHERE completed_at IS NULL OR completed_at > due_at;
CREATE INDEX credit_lines_account_idx ON credit_lines (account_id) WHERE account_id IS NOT NULL;

-- +goose Down
DROP INDEX credit_lines_account_idx;
DROP INDEX tasks_late_idx;
