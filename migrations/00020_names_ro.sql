-- Product and account names in Romanian beside the English ones (issue 12:
-- every word a client reads in both languages). Rows written before it
-- have '' and show the English name: a product until an administrator
-- saves a new version, an account until the core system sends the name.

-- +goose Up
ALTER TABLE product_versions
    ADD COLUMN name_ro text NOT NULL DEFAULT '' CHECK (char_length(name_ro) <= 200);

ALTER TABLE accounts
    ADD COLUMN name_ro text NOT NULL DEFAULT '' CHECK (char_length(name_ro) <= 200);

-- +goose Down
ALTER TABLE accounts DROP COLUMN name_ro;
ALTER TABLE product_versions DROP COLUMN name_ro;
