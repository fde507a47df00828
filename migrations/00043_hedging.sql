-- Hedging (issue 15, item 7): the engine that watches large and risky
-- positions and proposes protective puts, collars or a partial sale, each
-- presented through the offer gate; accepting one creates an order
-- request (tracked, never sent to a market) and a deal in the orders
-- pipeline for the client's advisor.
--
--   * risk_free_rates: the continuously compounded rate per currency the
--     option model discounts with (market data like prices, kept with
--     source and recording time).
--   * hedge_triggers: the latest evaluation of each (client, instrument)
--     holding against the trigger rules, written by the re-evaluation job
--     that runs when prices of the instrument move or the position
--     changes; only the holders of the instruments that moved are
--     touched. A row with triggered = false keeps the figures of the last
--     look, so the advisor can see how close a position is.
--   * instrument_risk: per instrument, the figures every holder's trigger
--     needs, computed once when its prices move (the ten-day 99 % VaR of
--     one unit of value held, from its own history), so that re-evaluating
--     thousands of holders is one set-based statement.
--   * order_requests: what the client asked for with one click, tied to
--     the decision record of the offer they accepted and to the deal that
--     carries it through the orders pipeline (the deal's stage is the
--     order's status: requested, placed, filled, cancelled).

-- +goose Up
CREATE TABLE risk_free_rates (
    currency    char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    as_of       date NOT NULL,
    -- Continuously compounded annual rate as a fraction (0.05 = 5%).
    rate        numeric(9,6) NOT NULL CHECK (rate > -0.1 AND rate < 1),
    source      text NOT NULL CHECK (source <> ''),
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (currency, as_of)
);

CREATE TABLE instrument_risk (
    instrument_id bigint PRIMARY KEY REFERENCES instruments (id),
    -- The last close the figures include.
    price_date    date NOT NULL,
    -- Historical ten-day 99 % VaR per unit of value (0.12 = 12 % of the
    -- holding) and the realised annualised volatility, over up to three
    -- years of daily closes.
    var_10d_99    numeric(12,8) NOT NULL CHECK (var_10d_99 >= 0),
    realised_volatility numeric(12,8) NOT NULL CHECK (realised_volatility >= 0),
    observations  integer NOT NULL CHECK (observations >= 2),
    computed_at   timestamptz NOT NULL
);

CREATE TABLE hedge_triggers (
    client_id      bigint NOT NULL REFERENCES clients (id),
    instrument_id  bigint NOT NULL REFERENCES instruments (id),
    triggered      boolean NOT NULL,
    -- Why: the position's weight above the rules' limit, its value at risk
    -- above the client's loss capacity, or both.
    concentrated   boolean NOT NULL,
    var_above_capacity boolean NOT NULL,
    weight         numeric(9,6) NOT NULL CHECK (weight >= 0),
    position_value numeric(18,2) NOT NULL,
    position_var   numeric(18,2) NOT NULL CHECK (position_var >= 0),
    loss_capacity  numeric(18,2),
    base_currency  char(3) NOT NULL CHECK (base_currency ~ '^[A-Z]{3}$'),
    price_date     date NOT NULL,
    rules_version  text NOT NULL CHECK (rules_version <> ''),
    evaluated_at   timestamptz NOT NULL,
    PRIMARY KEY (client_id, instrument_id),
    CHECK (triggered = (concentrated OR var_above_capacity))
);
CREATE INDEX hedge_triggers_triggered_idx ON hedge_triggers (client_id) WHERE triggered;

CREATE TABLE order_requests (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_id       bigint NOT NULL REFERENCES clients (id),
    -- The offer accepted (decision_records.seq) and the response recorded.
    decision_seq    bigint NOT NULL UNIQUE,
    response_seq    bigint NOT NULL,
    deal_id         bigint NOT NULL REFERENCES deals (id),
    strategy        text NOT NULL CHECK (strategy IN ('protective_put', 'collar', 'diversify')),
    instrument_id   bigint NOT NULL REFERENCES instruments (id),
    -- What to trade: for options the legs (buy put, sell call) with
    -- strike, expiry and contracts; for a sale the number of shares.
    legs            jsonb NOT NULL CHECK (jsonb_typeof(legs) = 'array'),
    estimated_cost  numeric(18,2) NOT NULL,
    currency        char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    idempotency_key text NOT NULL CHECK (char_length(idempotency_key) BETWEEN 1 AND 200),
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (client_id, idempotency_key)
);
CREATE INDEX order_requests_client_idx ON order_requests (client_id, created_at DESC);

INSERT INTO pipelines (code, name_en, name_ro) VALUES ('orders', 'Order requests', 'Cereri de ordin');

INSERT INTO pipeline_stages (pipeline_id, code, name_en, name_ro, position, outcome)
SELECT p.id, s.code, s.name_en, s.name_ro, s.position, s.outcome
FROM pipelines p JOIN (VALUES
  ('requested', 'Requested', 'Solicitat', 1, 'open'),
  ('placed', 'Placed', 'Plasat', 2, 'open'),
  ('filled', 'Filled', 'Executat', 3, 'won'),
  ('cancelled', 'Cancelled', 'Anulat', 4, 'lost')
) AS s (code, name_en, name_ro, position, outcome) ON p.code = 'orders';

INSERT INTO stage_task_templates (stage_id, code, title_en, title_ro, due_minutes, escalate_minutes, position)
SELECT st.id, t.code, t.title_en, t.title_ro, t.due_minutes, t.escalate_minutes, t.position
FROM pipeline_stages st JOIN pipelines p ON p.id = st.pipeline_id JOIN (VALUES
  ('requested', 'confirm_order', 'Confirm the order with the client and place it', 'Confirmați ordinul cu clientul și plasați-l', 60, 60, 1),
  ('placed', 'confirm_execution', 'Confirm the execution to the client', 'Confirmați clientului execuția', 480, 240, 1)
) AS t (stage, code, title_en, title_ro, due_minutes, escalate_minutes, position) ON st.code = t.stage
WHERE p.code = 'orders';

-- +goose Down
DELETE FROM stage_task_templates WHERE stage_id IN
    (SELECT st.id FROM pipeline_stages st JOIN pipelines p ON p.id = st.pipeline_id WHERE p.code = 'orders');
DELETE FROM pipeline_stages WHERE pipeline_id IN (SELECT id FROM pipelines WHERE code = 'orders');
DELETE FROM pipelines WHERE code = 'orders';
DROP TABLE order_requests;
DROP TABLE hedge_triggers;
DROP TABLE instrument_risk;
DROP TABLE risk_free_rates;
