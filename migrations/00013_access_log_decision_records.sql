-- A compliance officer opening a decision record reads the client's
-- evidence (profile, request, facts): it is in the staff access log too.

-- +goose Up
ALTER TABLE staff_access_log DROP CONSTRAINT staff_access_log_resource_check;
ALTER TABLE staff_access_log ADD CONSTRAINT staff_access_log_resource_check
    CHECK (resource IN ('client_360', 'credit_history', 'export', 'review_request', 'decision_record'));

-- +goose Down
DELETE FROM staff_access_log WHERE resource = 'decision_record';
ALTER TABLE staff_access_log DROP CONSTRAINT staff_access_log_resource_check;
ALTER TABLE staff_access_log ADD CONSTRAINT staff_access_log_resource_check
    CHECK (resource IN ('client_360', 'credit_history', 'export', 'review_request'));
