-- Stored propensities (issue 14, item 8): every client scored nightly by
-- the active history model of every product family, so that the
-- next-best-offer arbitration reads a client's scores with one indexed
-- read instead of scoring fourteen models while the page waits.
--
-- client_propensities: one row per client and family, written by the
-- batch (crosssell/batch.go) and read by Store.Propensities.
--   model_version  the version that computed the row; a row whose version
--                  is no longer its family's active one is stale and is
--                  not read (a new activation does not wait for the night)
--   probability    of take-up within 90 days, rounded to the nearest
--                  millionth (scale 6): ranking offers needs no more, and a
--                  decision record quotes the number as stored
--   reasons        the score's top contributions, largest first, as
--                  Score.Reasons: [{"feature", "value", "effect"}, …]
--   scored_at      when the row last changed: a night that computes the same
--                  version, probability and reasons leaves the row alone
-- There is no foreign key to clients: its check would lock every client's
-- row each night (FOR KEY SHARE), rewriting the clients table's pages; each
-- chunk instead removes the rows of its id range that it did not write
-- (a client gone, a family no longer scored).
--
-- propensity_runs: one row per rescoring run, for resuming and for "one
-- run at a time". The versions of the run are fixed when it starts, so
-- every chunk scores with the same models whatever is activated meanwhile.
--   as_of     the day scored: features as known on the morning after it,
--             as ScoreClient reads them
--   versions  {"family": "version", …}: the active history models at start
--   finished_at  set by the chunk that completes the run; at most one run
--             is unfinished (propensity_runs_open_idx), so a second run
--             cannot start while one is in progress, on any process
--
-- propensity_run_chunks: the client id ranges of a run, [from_id, to_id)
-- (NULL: unbounded, so a client added during the run with an id below the
-- first boundary or above the last is still covered), each its own job.
-- done_at is set in the same transaction that writes the chunk's scores,
-- so a chunk is done exactly when its scores are stored; a crash redoes
-- only the chunks not done.

-- +goose Up
CREATE TABLE client_propensities (
    client_id     bigint NOT NULL,
    family        text NOT NULL,
    model_version text NOT NULL,
    probability   numeric(7, 6) NOT NULL CHECK (probability BETWEEN 0 AND 1),
    reasons       jsonb NOT NULL CHECK (jsonb_typeof(reasons) = 'array'),
    scored_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (client_id, family)
);

CREATE TABLE propensity_runs (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    as_of       date NOT NULL,
    versions    jsonb NOT NULL CHECK (jsonb_typeof(versions) = 'object'),
    chunk_size  integer NOT NULL CHECK (chunk_size > 0),
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz CHECK (finished_at >= started_at)
);
CREATE UNIQUE INDEX propensity_runs_open_idx ON propensity_runs ((true)) WHERE finished_at IS NULL;

CREATE TABLE propensity_run_chunks (
    run_id  bigint NOT NULL REFERENCES propensity_runs (id),
    chunk   integer NOT NULL CHECK (chunk >= 0),
    from_id bigint,
    to_id   bigint CHECK (to_id > from_id),
    done_at timestamptz,
    clients integer CHECK (clients >= 0), -- clients scored, once done
    scores  integer CHECK (scores >= 0),  -- rows computed, once done
    PRIMARY KEY (run_id, chunk)
);

-- +goose Down
DROP TABLE propensity_run_chunks;
DROP TABLE propensity_runs;
DROP TABLE client_propensities;
