-- Propensity models (issue 14, item 2): versioned, never changed once
-- stored, and chosen explicitly. Every cross-sell decision will record the
-- version that scored it, so a version's row must stay as it was for the
-- replay to reproduce the decision.
--
-- propensity_models: one row per trained version.
--   version      "term-deposit-v3": the family and a number counted per
--                family, what an operator types to activate it
--   family       the product family whose take-up it predicts; the models
--                trained on the CRM's own history will be one family per
--                product family ("deposits", "mortgages", …), a model of an
--                outside file names the family of its outcome
--   source       'csv' (a labelled outside file) or 'history' (the CRM's
--                own acquisitions and offer responses)
--   source_name  the file's name, or the history's window
--   source_sha256 of the file, so a figure can be traced to its data
--   algorithm    'logistic-l2' today
--   layout       the columns, their kinds, levels, means and standard
--                deviations, intervals, the columns excluded
--   coefficients {"intercept": b, "lambda": λ, "features": [{"name", "weight"}, …]}
--   metrics      the holdout figures: split, AUC, lift at the top decile,
--                the baseline's, the training time
--   rows         the rows it learnt from and was judged on
--
-- model_activations: the audit of which version is active. Append-only:
-- the active version of a family is the one of its newest row, so there
-- is exactly one per family and every change says who made it, when and
-- why. ecrm_app may read and append, never rewrite.

-- +goose Up
CREATE TABLE propensity_models (
    version       text PRIMARY KEY CHECK (version ~ '^[a-z0-9][a-z0-9.-]*-v[0-9]+$'),
    family        text NOT NULL CHECK (family ~ '^[a-z0-9][a-z0-9.-]*$'),
    source        text NOT NULL CHECK (source IN ('csv', 'history')),
    source_name   text NOT NULL,
    source_sha256 text CHECK (source_sha256 ~ '^[0-9a-f]{64}$'),
    algorithm     text NOT NULL,
    layout        jsonb NOT NULL CHECK (jsonb_typeof(layout) = 'object'),
    coefficients  jsonb NOT NULL CHECK (jsonb_typeof(coefficients) = 'object'),
    metrics       jsonb NOT NULL CHECK (jsonb_typeof(metrics) = 'object'),
    rows          integer NOT NULL CHECK (rows > 0),
    trained_at    timestamptz NOT NULL DEFAULT now(),
    trained_by    text NOT NULL
);
-- The next version number of a family, and `ecrm model list`.
CREATE INDEX propensity_models_family_idx ON propensity_models (family, trained_at);

CREATE TABLE model_activations (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    family       text NOT NULL,
    version      text NOT NULL REFERENCES propensity_models (version),
    activated_at timestamptz NOT NULL DEFAULT now(),
    activated_by text NOT NULL CHECK (activated_by <> ''),
    reason       text NOT NULL DEFAULT ''
);
-- The active version of a family is its newest activation.
CREATE INDEX model_activations_family_idx ON model_activations (family, id DESC);

-- A version activates only for its own family.
-- +goose StatementBegin
CREATE FUNCTION model_activation_family() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.family IS DISTINCT FROM (SELECT family FROM propensity_models WHERE version = NEW.version) THEN
        RAISE EXCEPTION 'model % is not of family %', NEW.version, NEW.family;
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER model_activations_family BEFORE INSERT ON model_activations
    FOR EACH ROW EXECUTE FUNCTION model_activation_family();

REVOKE UPDATE, DELETE ON propensity_models, model_activations FROM ecrm_app;

-- +goose Down
DROP TABLE model_activations;
DROP FUNCTION model_activation_family();
DROP TABLE propensity_models;
