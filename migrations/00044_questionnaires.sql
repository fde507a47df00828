-- Insurance questionnaires (issue 16, item 1): FHIR R4 Questionnaire
-- definitions as imported, one row per (url, version). A definition is
-- never changed once imported: a change is a new version, so that every
-- answer stays tied to the questions it answered. What the import found
-- unsupported is kept with it.

-- +goose Up
CREATE TABLE questionnaires (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    url         text NOT NULL CHECK (url <> '' AND char_length(url) <= 500),
    version     text NOT NULL CHECK (version <> '' AND char_length(version) <= 100),
    title       text NOT NULL DEFAULT '',
    status      text NOT NULL CHECK (status IN ('draft', 'active', 'retired', 'unknown')),
    -- The FHIR JSON as imported.
    definition  jsonb NOT NULL CHECK (jsonb_typeof(definition) = 'object'),
    unsupported text[] NOT NULL DEFAULT '{}',
    imported_by bigint REFERENCES staff_users (id),
    imported_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (url, version)
);

-- +goose Down
DROP TABLE questionnaires;
