-- The compliance console (package compliance): human review of decision
-- records, the sampling rate of the review queue, what the console's search
-- needs to stay fast on ten million records, and exports in the staff
-- access log.
--
-- compliance_reviews: a compliance officer flags or approves a decision
-- record with a comment (required to flag). Rows are never changed: a new
-- review is a new row and the latest row per record is its status, so the
-- review history of every record is kept.
--
-- compliance_settings: the share of shown offers that enter the review
-- queue, in basis points (500 = 5 %). Which offers are sampled is decided by
-- the record's own chain hash (compliance_sample_point), so the sample is
-- reproducible, and nobody chooses it: a record's hash is fixed when it is
-- appended and cannot be steered without changing the record.
--
-- The console lists records newest first, ordered by (recorded_at, seq) and
-- paged by that key. Each common filter has an index that starts with the
-- filtered column and continues with that order, so a page of 50 is an
-- index range scan whatever the filter and however old the period
-- (client and product use the indexes of 00007). The failed-check filter
-- uses a GIN index over the names of the failed checks of blocked records.
--
-- staff_access_log gains exports: an export of decision records is not
-- about one client, so client_id may be NULL for an export, and detail keeps
-- the export's filter and format.

-- +goose Up
CREATE TABLE compliance_reviews (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    record_seq  bigint NOT NULL REFERENCES decision_records (seq),
    staff_id    bigint NOT NULL REFERENCES staff_users (id),
    action      text NOT NULL CHECK (action IN ('flag', 'approve')),
    comment     text NOT NULL DEFAULT '' CHECK (length(comment) <= 2000),
    reviewed_at timestamptz NOT NULL DEFAULT now(),
    CHECK (action <> 'flag' OR btrim(comment) <> '')
);
CREATE INDEX compliance_reviews_record_idx ON compliance_reviews (record_seq, id DESC);
CREATE INDEX compliance_reviews_time_idx ON compliance_reviews (reviewed_at);

CREATE TRIGGER compliance_reviews_no_update_delete
    BEFORE UPDATE OR DELETE ON compliance_reviews
    FOR EACH ROW EXECUTE FUNCTION decision_log_append_only();
CREATE TRIGGER compliance_reviews_no_truncate
    BEFORE TRUNCATE ON compliance_reviews
    FOR EACH STATEMENT EXECUTE FUNCTION decision_log_append_only();
REVOKE UPDATE, DELETE, TRUNCATE ON compliance_reviews FROM PUBLIC;

CREATE TABLE compliance_settings (
    id                  boolean PRIMARY KEY DEFAULT true CHECK (id),
    sample_basis_points integer NOT NULL CHECK (sample_basis_points BETWEEN 0 AND 10000),
    updated_by          bigint REFERENCES staff_users (id),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
INSERT INTO compliance_settings (id, sample_basis_points) VALUES (true, 500);

-- +goose StatementBegin
-- compliance_sample_point maps a record's hash to 0..9999: the first four
-- bytes as an unsigned big-endian integer, modulo 10000. A shown offer is
-- sampled for review when its point is below the sampling rate in basis
-- points. compliance.SamplePoint computes the same in Go.
CREATE FUNCTION compliance_sample_point(bytea) RETURNS integer
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT (((get_byte($1, 0)::bigint << 24) | (get_byte($1, 1)::bigint << 16)
           | (get_byte($1, 2)::bigint << 8) | get_byte($1, 3)::bigint) % 10000)::integer
$$;
-- +goose StatementEnd

CREATE INDEX decision_records_time_seq_idx ON decision_records (recorded_at, seq);
CREATE INDEX decision_records_channel_idx ON decision_records (channel, recorded_at, seq);
CREATE INDEX decision_records_engine_idx ON decision_records (engine, recorded_at, seq);
CREATE INDEX decision_records_outcome_idx ON decision_records (outcome, recorded_at, seq);
CREATE INDEX decision_records_actor_idx ON decision_records (actor_staff_id, recorded_at, seq)
    WHERE actor_staff_id IS NOT NULL;
-- +goose StatementBegin
-- compliance_failed_checks lists the names of the gate checks that failed
-- in a record's body, sorted: what the "blocked by check" filter and the
-- statistics look at. It reads the json text (not jsonb), so no record is
-- re-printed to find out.
CREATE FUNCTION compliance_failed_checks(body json) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT coalesce(array_agg(c ->> 'name' ORDER BY c ->> 'name'), '{}')
    FROM json_array_elements(CASE json_typeof(body -> 'checks') WHEN 'array' THEN body -> 'checks' ELSE '[]'::json END) c
    WHERE c ->> 'passed' = 'false'
$$;
-- +goose StatementEnd
-- Not a partial index: ANALYZE keeps statistics of an index expression
-- only for indexes without a predicate, and with them the planner knows a
-- rare check (read the index) from a frequent one (walk the period
-- newest first); records without a failed check add one empty entry each.
CREATE INDEX decision_records_failed_checks_idx ON decision_records
    USING gin (compliance_failed_checks(body));

ALTER TABLE staff_access_log ALTER COLUMN client_id DROP NOT NULL;
ALTER TABLE staff_access_log ADD COLUMN detail jsonb CHECK (detail IS NULL OR jsonb_typeof(detail) = 'object');
ALTER TABLE staff_access_log ADD CONSTRAINT staff_access_log_client_check
    CHECK (client_id IS NOT NULL OR resource = 'export');
CREATE INDEX staff_access_log_time_idx ON staff_access_log (accessed_at, id);

-- +goose Down
DROP INDEX staff_access_log_time_idx;
ALTER TABLE staff_access_log DROP CONSTRAINT staff_access_log_client_check;
ALTER TABLE staff_access_log DROP COLUMN detail;
DELETE FROM staff_access_log WHERE client_id IS NULL;
ALTER TABLE staff_access_log ALTER COLUMN client_id SET NOT NULL;
DROP INDEX decision_records_failed_checks_idx;
DROP FUNCTION compliance_failed_checks(json);
DROP INDEX decision_records_actor_idx;
DROP INDEX decision_records_outcome_idx;
DROP INDEX decision_records_engine_idx;
DROP INDEX decision_records_channel_idx;
DROP INDEX decision_records_time_seq_idx;
DROP FUNCTION compliance_sample_point(bytea);
DROP TABLE compliance_settings;
DROP TABLE compliance_reviews;
