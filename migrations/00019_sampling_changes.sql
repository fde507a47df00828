-- Every change of the review sampling rate, who made it and when: shown
-- on the review queue page, append-only like the reviews themselves.

-- +goose Up
CREATE TABLE compliance_sampling_changes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    staff_id    bigint NOT NULL REFERENCES staff_users (id),
    from_bp     integer NOT NULL CHECK (from_bp BETWEEN 0 AND 10000),
    to_bp       integer NOT NULL CHECK (to_bp BETWEEN 0 AND 10000),
    changed_at  timestamptz NOT NULL
);
CREATE INDEX compliance_sampling_changes_time_idx ON compliance_sampling_changes (changed_at DESC);
REVOKE UPDATE, DELETE, TRUNCATE ON compliance_sampling_changes FROM PUBLIC;
REVOKE UPDATE, DELETE ON compliance_sampling_changes FROM ecrm_app;

-- +goose Down
DROP TABLE compliance_sampling_changes;
