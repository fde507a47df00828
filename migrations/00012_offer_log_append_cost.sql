-- What an offer waits for when it is recorded, made cheaper:
--   * decision_records_time_seq_idx (recorded_at, seq) serves every query
--     the older (recorded_at) index served: one index less per append;
--   * bodies (a few KB of evidence each) are compressed with lz4, much
--     cheaper than the default pglz, where the server is built with it.

-- +goose Up
DROP INDEX decision_records_recorded_idx;
-- +goose StatementBegin
DO $$
BEGIN
    ALTER TABLE decision_records ALTER COLUMN body SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'lz4 not available: decision record bodies keep pglz';
END;
$$;
-- +goose StatementEnd

-- +goose Down
ALTER TABLE decision_records ALTER COLUMN body SET COMPRESSION pglz;
CREATE INDEX decision_records_recorded_idx ON decision_records (recorded_at);
