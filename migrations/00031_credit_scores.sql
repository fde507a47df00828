-- The internal credit score (issue 13, item 5), computed by the risk
-- package's scorecard and stored here so that products' eligibility rules
-- read it without importing risk. One row per client with a credit file
-- (any credit line or monthly payment record); a client without a row has
-- no credit file and products uses the thin-file score, 650.
--
-- risk keeps the rows current: a bureau import rewrites its clients' rows
-- in its own transaction, `ecrm seed` and the demo load write every row,
-- and the daily job risk.refresh_credit_scores recomputes them all.
--
--   score              300–850
--   scorecard_version  the scorecard that computed it ("scorecard-v1")
--   factors            what was counted and its points:
--                      [{"factor": "on_time", "count": 24, "points": 72}, …]
--   as_of              the first day of the last month counted: the score
--                      counts that month and the 24 before it
--   computed_at        when the row was last written (a refresh that finds
--                      the same values leaves it alone)

-- +goose Up
CREATE TABLE credit_scores (
    client_id         bigint PRIMARY KEY REFERENCES clients (id),
    score             integer NOT NULL CHECK (score BETWEEN 300 AND 850),
    scorecard_version text NOT NULL CHECK (scorecard_version <> ''),
    factors           jsonb NOT NULL CHECK (jsonb_typeof(factors) = 'array'),
    as_of             date NOT NULL CHECK (extract(day FROM as_of) = 1),
    computed_at       timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE credit_scores;
