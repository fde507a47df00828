-- Market data (issue 15, item 4): every figure the brokerage pages and the
-- risk engines read is data, kept with where it came from and when it was
-- recorded, so that a valuation, a value at risk or a hedge suggestion can
-- be traced to its inputs and replayed.
--
--   * instrument_prices gains its source and recording time (the seed's
--     rows say 'seed'); an import of the same (instrument, day) replaces
--     the close and says so in source and recorded_at.
--   * fx_rates: one unit of base_currency is worth rate units of
--     quote_currency on rate_date. Positions are valued in the client's
--     base currency through these rows (never a constant in code).
--   * instrument_dividend_yields and instrument_volatilities: the inputs of
--     option pricing (continuous dividend yield, annualised volatility,
--     realised over a window or implied where a source supplies it).
--   * market_items: news items and analysts' reviews, tagged by market
--     segment and instrument, idempotent per (source, external_id).
--   * watchlist_items: instruments a client follows without holding them.
--   * benchmarks: the index a portfolio in a base currency is compared
--     with (beta); an index is an instrument of kind 'index' with prices.
--   * clients.base_currency: the currency a client's wealth is shown in;
--     without it, their income currency, then the firm's.

-- +goose Up
ALTER TABLE instruments DROP CONSTRAINT instruments_kind_check;
ALTER TABLE instruments ADD CONSTRAINT instruments_kind_check
    CHECK (kind IN ('equity', 'bond', 'fund', 'etf', 'option', 'index'));
ALTER TABLE instruments ADD COLUMN source text NOT NULL DEFAULT 'seed' CHECK (source <> '');
ALTER TABLE instruments ADD COLUMN recorded_at timestamptz NOT NULL DEFAULT now();

ALTER TABLE instrument_prices ADD COLUMN source text NOT NULL DEFAULT 'seed' CHECK (source <> '');
ALTER TABLE instrument_prices ADD COLUMN recorded_at timestamptz NOT NULL DEFAULT now();

CREATE TABLE fx_rates (
    base_currency  char(3) NOT NULL CHECK (base_currency ~ '^[A-Z]{3}$'),
    quote_currency char(3) NOT NULL CHECK (quote_currency ~ '^[A-Z]{3}$'),
    rate_date      date NOT NULL,
    rate           numeric(20,10) NOT NULL CHECK (rate > 0),
    source         text NOT NULL CHECK (source <> ''),
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (base_currency, quote_currency, rate_date),
    CHECK (base_currency <> quote_currency)
);

CREATE TABLE instrument_dividend_yields (
    instrument_id  bigint NOT NULL REFERENCES instruments (id),
    as_of          date NOT NULL,
    -- Continuous annual dividend yield as a fraction (0.035 = 3.5%).
    dividend_yield numeric(9,6) NOT NULL CHECK (dividend_yield >= 0 AND dividend_yield < 1),
    source         text NOT NULL CHECK (source <> ''),
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (instrument_id, as_of)
);

CREATE TABLE instrument_volatilities (
    instrument_id bigint NOT NULL REFERENCES instruments (id),
    as_of         date NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('realised', 'implied')),
    -- Annualised, as a fraction (0.25 = 25%).
    volatility    numeric(9,6) NOT NULL CHECK (volatility > 0 AND volatility < 10),
    source        text NOT NULL CHECK (source <> ''),
    recorded_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (instrument_id, as_of, kind)
);

CREATE TABLE market_items (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind           text NOT NULL CHECK (kind IN ('news', 'review')),
    source         text NOT NULL CHECK (source <> ''),
    external_id    text NOT NULL CHECK (char_length(external_id) BETWEEN 1 AND 200),
    published_at   timestamptz NOT NULL,
    language       text NOT NULL CHECK (language IN ('en', 'ro')),
    headline       text NOT NULL CHECK (char_length(headline) BETWEEN 1 AND 300),
    summary        text NOT NULL DEFAULT '' CHECK (char_length(summary) <= 4000),
    url            text CHECK (url ~ '^https?://'),
    -- Market segments as instruments.market_segment names them.
    segments       text[] NOT NULL DEFAULT '{}',
    -- Reviews: the analyst, the recommendation and the target price.
    analyst        text,
    recommendation text CHECK (recommendation IN ('buy', 'hold', 'sell')),
    target_price   numeric(18,6) CHECK (target_price > 0),
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source, external_id),
    CHECK (kind = 'review' OR (recommendation IS NULL AND target_price IS NULL))
);
CREATE INDEX market_items_published_idx ON market_items (published_at DESC, id DESC);
CREATE INDEX market_items_segments_idx ON market_items USING gin (segments);

CREATE TABLE market_item_instruments (
    item_id       bigint NOT NULL REFERENCES market_items (id) ON DELETE CASCADE,
    instrument_id bigint NOT NULL REFERENCES instruments (id),
    PRIMARY KEY (item_id, instrument_id)
);
CREATE INDEX market_item_instruments_instrument_idx ON market_item_instruments (instrument_id, item_id);

CREATE TABLE watchlist_items (
    client_id     bigint NOT NULL REFERENCES clients (id),
    instrument_id bigint NOT NULL REFERENCES instruments (id),
    added_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (client_id, instrument_id)
);

CREATE TABLE benchmarks (
    currency      char(3) PRIMARY KEY CHECK (currency ~ '^[A-Z]{3}$'),
    instrument_id bigint NOT NULL REFERENCES instruments (id)
);

-- One row per import run (prices or news file), for the admin page.
CREATE TABLE market_imports (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('prices', 'news')),
    file_name   text NOT NULL,
    source      text NOT NULL CHECK (source <> ''),
    rows_read   integer NOT NULL CHECK (rows_read >= 0),
    rows_written integer NOT NULL CHECK (rows_written >= 0),
    imported_by bigint REFERENCES staff_users (id),
    imported_at timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE clients ADD COLUMN base_currency char(3) CHECK (base_currency ~ '^[A-Z]{3}$');

-- +goose Down
ALTER TABLE clients DROP COLUMN base_currency;
DROP TABLE market_imports;
DROP TABLE benchmarks;
DROP TABLE watchlist_items;
DROP TABLE market_item_instruments;
DROP TABLE market_items;
DROP TABLE instrument_volatilities;
DROP TABLE instrument_dividend_yields;
DROP TABLE fx_rates;
ALTER TABLE instrument_prices DROP COLUMN recorded_at;
ALTER TABLE instrument_prices DROP COLUMN source;
ALTER TABLE instruments DROP COLUMN recorded_at;
ALTER TABLE instruments DROP COLUMN source;
ALTER TABLE instruments DROP CONSTRAINT instruments_kind_check;
ALTER TABLE instruments ADD CONSTRAINT instruments_kind_check
    CHECK (kind IN ('equity', 'bond', 'fund', 'etf', 'option'));
