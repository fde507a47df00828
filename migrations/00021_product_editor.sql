-- The catalogue editor (issue 12, item 9): a product is withdrawn from sale
-- and put back on sale by an administrator; each change is kept with who
-- made it, when and why. A withdrawal is not a new version: the terms do
-- not change, only whether the product is offered.
-- Trying a product's rules on a client reads that client's profile, so it
-- is a staff access of its own in the access log.

-- +goose Up
CREATE TABLE product_status_changes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id  bigint NOT NULL REFERENCES products (id),
    active      boolean NOT NULL,
    reason      text NOT NULL CHECK (reason <> '' AND char_length(reason) <= 500),
    staff_id    bigint NOT NULL REFERENCES staff_users (id),
    changed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX product_status_changes_product_idx ON product_status_changes (product_id, changed_at);
REVOKE UPDATE, DELETE, TRUNCATE ON product_status_changes FROM PUBLIC;
REVOKE UPDATE, DELETE ON product_status_changes FROM ecrm_app;

ALTER TABLE staff_access_log DROP CONSTRAINT staff_access_log_resource_check;
ALTER TABLE staff_access_log ADD CONSTRAINT staff_access_log_resource_check
    CHECK (resource IN ('client_360', 'credit_history', 'export', 'review_request', 'decision_record', 'rule_preview'));

-- +goose Down
DELETE FROM staff_access_log WHERE resource = 'rule_preview';
ALTER TABLE staff_access_log DROP CONSTRAINT staff_access_log_resource_check;
ALTER TABLE staff_access_log ADD CONSTRAINT staff_access_log_resource_check
    CHECK (resource IN ('client_360', 'credit_history', 'export', 'review_request', 'decision_record'));
DROP TABLE product_status_changes;
