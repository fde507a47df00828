-- Self-service portal: indexes that let GET /api/v1/me (the portal
-- overview) read the signals behind the client's quick actions with
-- index-only scans. The overview is the most requested page of the
-- portal, and both reads below touch tens to hundreds of rows per request.
--
-- 1. A year of the client's recurring outgoing payments (standing orders,
--    direct debits, transfers, card top-ups). Read from the heap, each row
--    costs a page visit; this partial index holds only those kinds (a
--    fraction of all transactions) and every column the overview reads.
--
-- 2. The client's recent portal actions. A client's rows are inserted one
--    page view at a time over months, so they are scattered over the table;
--    with action and target in the index none of them is visited. This
--    index takes the place of portal_actions_client_idx (same key), which
--    would only double the cost of every insert.
--
-- Index-only scans need the visibility map set: bulk loads with COPY FREEZE
-- set it at once, autovacuum keeps it set afterwards.

-- +goose Up
CREATE INDEX account_transactions_recurring_idx
    ON account_transactions (client_id, booked_at)
    INCLUDE (kind, account_id, counterparty_name, amount, currency, id)
    WHERE kind IN ('standing_order', 'direct_debit', 'transfer_out', 'card_top_up');

DROP INDEX portal_actions_client_idx;
CREATE INDEX portal_actions_client_idx
    ON portal_actions (client_id, occurred_at DESC, id DESC)
    INCLUDE (action, target);

-- +goose Down
DROP INDEX portal_actions_client_idx;
CREATE INDEX portal_actions_client_idx ON portal_actions (client_id, occurred_at DESC);

DROP INDEX account_transactions_recurring_idx;
