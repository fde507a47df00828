-- The gate's contact-policy and household checks look up a client's shown
-- offers and declines of one product. Partial indexes hold only those rows,
-- so the lookup does not grow with the blocked offers and other responses
-- of a client who is shown the same product again and again.

-- +goose Up
DROP INDEX decision_records_client_product_idx;
CREATE INDEX decision_records_shown_idx ON decision_records (client_id, product_id, recorded_at DESC)
    WHERE kind = 'offer_shown';
CREATE INDEX decision_records_declined_idx ON decision_records (client_id, product_id, recorded_at DESC)
    WHERE kind = 'response' AND outcome = 'declined';

-- +goose Down
DROP INDEX decision_records_declined_idx;
DROP INDEX decision_records_shown_idx;
CREATE INDEX decision_records_client_product_idx ON decision_records (client_id, product_id, recorded_at DESC);
