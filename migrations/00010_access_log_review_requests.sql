-- Opening a client's request for human review shows the client's offer and
-- its evidence: it is recorded in the staff access log like the client 360.

-- +goose Up
ALTER TABLE staff_access_log DROP CONSTRAINT staff_access_log_resource_check;
ALTER TABLE staff_access_log ADD CONSTRAINT staff_access_log_resource_check
    CHECK (resource IN ('client_360', 'credit_history', 'export', 'review_request'));

-- +goose Down
DELETE FROM staff_access_log WHERE resource = 'review_request';
ALTER TABLE staff_access_log DROP CONSTRAINT staff_access_log_resource_check;
ALTER TABLE staff_access_log ADD CONSTRAINT staff_access_log_resource_check
    CHECK (resource IN ('client_360', 'credit_history', 'export'));
