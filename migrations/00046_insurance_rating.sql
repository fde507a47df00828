-- Insurance programmes, their underwriting rules and rating tables, and
-- quotes (issue 16, item 3; docs/insurance-programmes.md).
--
-- A programme is a catalogue product (products, line insurance) with an
-- insurer, a line and a term. Its underwriting rules (CEL) and its rating
-- table are versioned apart from the product's terms: an actuary changes
-- a factor without touching the product, and every quote and decision
-- record names the exact rules and rating versions it was priced under,
-- so that a bind re-prices when either moved and replay reproduces a
-- premium years later. Versions are never changed once written.

-- +goose Up
CREATE TABLE insurance_programmes (
    product_id  bigint PRIMARY KEY REFERENCES products (id),
    -- The line the journey's needs.protect asks for (income protection is
    -- rated as accident).
    line        text NOT NULL CHECK (line IN ('life', 'health', 'home', 'motor', 'travel', 'liability', 'accident')),
    insurer     text NOT NULL CHECK (insurer <> '' AND char_length(insurer) <= 200),
    -- Motor programmes are third-party (rca) or comprehensive (casco).
    cover       text NOT NULL DEFAULT '' CHECK (cover IN ('', 'rca', 'casco')),
    term_months int NOT NULL CHECK (term_months BETWEEN 1 AND 12)
);

CREATE TABLE insurance_programme_versions (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id  bigint NOT NULL REFERENCES insurance_programmes (product_id),
    -- rules: the CEL underwriting rules; rating: the rating table.
    kind        text NOT NULL CHECK (kind IN ('rules', 'rating')),
    version     int NOT NULL CHECK (version >= 1),
    body        jsonb NOT NULL CHECK (jsonb_typeof(body) = 'object'),
    -- SHA-256 of the body as written: loading the same definition again
    -- changes nothing, a changed one under a taken version is refused.
    hash        text NOT NULL,
    valid_from  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (product_id, kind, version)
);

-- The selector reads the newest version in force of each kind.
CREATE INDEX insurance_programme_versions_current ON insurance_programme_versions (product_id, kind, valid_from DESC);

CREATE TABLE insurance_quotes (
    id                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_id              bigint NOT NULL REFERENCES clients (id),
    -- The journey the answers came from.
    journey_id             bigint NOT NULL REFERENCES insurance_journeys (id),
    product_id             bigint NOT NULL REFERENCES insurance_programmes (product_id),
    product_version_id     bigint NOT NULL REFERENCES product_versions (id),
    rules_version_id       bigint NOT NULL REFERENCES insurance_programme_versions (id),
    rating_version_id      bigint NOT NULL REFERENCES insurance_programme_versions (id),
    rules_version          int NOT NULL,
    rating_version         int NOT NULL,
    -- accept, or refer (an underwriter looks before it can be bound).
    outcome                text NOT NULL CHECK (outcome IN ('accept', 'refer')),
    premium                numeric(14, 2) NOT NULL CHECK (premium > 0),
    currency               char(3) NOT NULL,
    breakdown              jsonb NOT NULL CHECK (jsonb_typeof(breakdown) = 'array'),
    sum_insured            numeric(16, 2) NOT NULL CHECK (sum_insured >= 0),
    deductible             numeric(14, 2) NOT NULL DEFAULT 0 CHECK (deductible >= 0),
    term_months            int NOT NULL CHECK (term_months BETWEEN 1 AND 12),
    starts_on              date NOT NULL,
    frequency              text NOT NULL CHECK (frequency IN ('single', 'monthly', 'quarterly')),
    -- {questionnaire url: version} of the answers priced on.
    questionnaire_versions jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(questionnaire_versions) = 'object'),
    -- The answers priced on (flat, by linkId), as the rating read them.
    answers                jsonb NOT NULL CHECK (jsonb_typeof(answers) = 'object'),
    as_of                  date NOT NULL,
    -- The gate's presentation of this programme (offer log).
    decision_seq           bigint NOT NULL REFERENCES decision_records (seq),
    status                 text NOT NULL DEFAULT 'quoted' CHECK (status IN ('quoted', 'bound', 'superseded', 'expired')),
    expires_at             timestamptz NOT NULL,
    idempotency_key        text NOT NULL CHECK (idempotency_key <> '' AND char_length(idempotency_key) <= 200),
    created_at             timestamptz NOT NULL DEFAULT now(),
    UNIQUE (client_id, idempotency_key)
);

-- A client's quotes of one journey, newest first (the choice page).
CREATE INDEX insurance_quotes_journey ON insurance_quotes (client_id, journey_id, created_at DESC);

-- +goose Down
DROP TABLE insurance_quotes;
DROP TABLE insurance_programme_versions;
DROP TABLE insurance_programmes;
