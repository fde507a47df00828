-- Decision record bodies of up to 8 KB (all the gate writes today: the
-- matching engine's are 3.4 KB) are stored in the row, uncompressed.
-- By default PostgreSQL compresses any row over 2 KB and moves what is
-- still too long to the TOAST table, so a 3.4 KB body was compressed to
-- 2.1 KB and read back through the TOAST index and lz4 on every verify,
-- export and console page. `ecrm audit verify` of 1,073,752 such records
-- went from 84,000-130,000 to 173,000-199,000 records/s on 2 cores, for
-- a table 17 % larger. Longer bodies are still compressed. Rows written
-- before this migration keep their form until the table is rewritten.

-- +goose Up
ALTER TABLE decision_records SET (toast_tuple_target = 8160);

-- +goose Down
ALTER TABLE decision_records RESET (toast_tuple_target);
