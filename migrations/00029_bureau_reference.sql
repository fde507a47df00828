-- Credit bureau reports (issue 13, item 5): a bureau's line is known by
-- client, lender and the bureau's reference, so importing the same report
-- again changes nothing.

-- +goose Up
ALTER TABLE credit_lines ADD COLUMN bureau_ref text CHECK (char_length(bureau_ref) <= 200);
CREATE UNIQUE INDEX credit_lines_bureau_ref_idx ON credit_lines (client_id, lender, bureau_ref) WHERE source = 'bureau' AND bureau_ref IS NOT NULL;

-- +goose Down
DROP INDEX credit_lines_bureau_ref_idx;
ALTER TABLE credit_lines DROP COLUMN bureau_ref;
