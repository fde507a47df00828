-- Fairness before activation (issue 14, item 7): each activation keeps the
-- figures its operator read before choosing — the new version's offer and
-- acceptance rates by age band and segment on the holdout, beside the
-- previously active version's, and the groups that failed the four-fifths
-- rule (crosssell/fairness.go says how they are computed). The compliance
-- console lists them (compliance/models.go). A version's own figures stay
-- in propensity_models.metrics ('fairness'), written at training.
--
-- NULL on the activations recorded before this migration. The table stays
-- append-only (00034 revoked UPDATE and DELETE from ecrm_app).

-- +goose Up
ALTER TABLE model_activations
    ADD COLUMN fairness jsonb CHECK (fairness IS NULL OR jsonb_typeof(fairness) = 'object');

-- +goose Down
ALTER TABLE model_activations DROP COLUMN fairness;
