-- Next-best-offer arbitration (issue 14, item 3): the business lever of a
-- product, the one factor of an offer's priority the firm sets by hand
-- (priority = propensity × context × expected annual margin × lever; see
-- docs/next-best-offer.md). 1 is neutral; 0 takes the product out of
-- cross-sell without withdrawing it from sale; above 1 favours it (a
-- launch, a product the firm wants to grow). Every change is a new row:
-- the lever in force is the newest row of the product, and the history
-- says who set it, when and why. Decisions record the lever they used.

-- +goose Up
CREATE TABLE offer_levers (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id bigint NOT NULL REFERENCES products (id),
    lever      numeric(6, 3) NOT NULL CHECK (lever >= 0 AND lever <= 100),
    reason     text NOT NULL CHECK (char_length(reason) BETWEEN 1 AND 500),
    set_by     bigint REFERENCES staff_users (id),
    set_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX offer_levers_product_idx ON offer_levers (product_id, id DESC);
REVOKE UPDATE, DELETE, TRUNCATE ON offer_levers FROM ecrm_app;

-- +goose Down
DROP TABLE offer_levers;
