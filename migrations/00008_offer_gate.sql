-- What the offer gate (package compliance) reads, and the client's request
-- for a human to review an automated offer.
--
-- risk_assessments: the suitability profile of a client, one row per
-- assessment, never updated; the latest row is the one in force. The risk
-- package's questionnaire (brokerage issue) writes it; until then the demo
-- data and advisors do. A client without a row gets no investment product.
--
-- objections: the right to object to direct marketing and to profiling
-- (GDPR art. 21). Like consents, each change is a new row and the latest
-- row per (client, kind) is in force.
--
-- contact_policies: offer fatigue per channel.
--
-- decision_records gains the kind review_request (the client asked a human
-- to review an automated offer; refers to the offer's record) so that
-- compliance sees the request in the same chain; human_review_requests is
-- the advisor's work item for it.

-- +goose Up
CREATE TABLE risk_assessments (
    id                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_id              bigint NOT NULL REFERENCES clients (id),
    -- The highest product risk class (PRIIPs summary risk indicator 1-7)
    -- the client's risk profile accepts.
    risk_class             smallint NOT NULL CHECK (risk_class BETWEEN 1 AND 7),
    -- The loss the client can bear without harm to their standard of living.
    loss_capacity          numeric(18,2) NOT NULL CHECK (loss_capacity >= 0),
    loss_capacity_currency char(3) NOT NULL CHECK (loss_capacity_currency ~ '^[A-Z]{3}$'),
    -- Knowledge and experience per product type (fund, etf, bond,
    -- structured, option): none, basic, informed or advanced.
    knowledge              jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(knowledge) = 'object'),
    objective              text NOT NULL CHECK (objective IN ('preservation', 'income', 'growth', 'hedging')),
    horizon_months         integer NOT NULL CHECK (horizon_months BETWEEN 1 AND 600),
    questionnaire_version  text NOT NULL CHECK (questionnaire_version <> ''),
    source                 text NOT NULL CHECK (source IN ('questionnaire', 'advisor', 'import')),
    assessed_by            bigint REFERENCES staff_users (id),
    assessed_at            timestamptz NOT NULL
);
CREATE INDEX risk_assessments_client_idx ON risk_assessments (client_id, assessed_at DESC, id DESC);

CREATE TABLE objections (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_id   bigint NOT NULL REFERENCES clients (id),
    kind        text NOT NULL CHECK (kind IN ('direct_marketing', 'profiling')),
    objected    boolean NOT NULL,
    source      text NOT NULL CHECK (source IN ('portal', 'advisor', 'import', 'paper')),
    staff_id    bigint REFERENCES staff_users (id),
    recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX objections_client_idx ON objections (client_id, kind, recorded_at DESC, id DESC);

CREATE TABLE contact_policies (
    channel                text PRIMARY KEY CHECK (channel IN ('web', 'mobile', 'email', 'sms', 'phone', 'branch', 'mail')),
    -- At most this many offers of one product per client per period.
    max_offers_per_product integer NOT NULL CHECK (max_offers_per_product >= 1),
    period_days            integer NOT NULL CHECK (period_days >= 1),
    -- No offer of a product for this long after the client declined it.
    decline_cooldown_days  integer NOT NULL CHECK (decline_cooldown_days >= 0),
    updated_by             bigint REFERENCES staff_users (id),
    updated_at             timestamptz NOT NULL DEFAULT now()
);
-- Inbound channels (the client is looking) tolerate more repetition than
-- outbound ones (the firm interrupts the client).
INSERT INTO contact_policies (channel, max_offers_per_product, period_days, decline_cooldown_days) VALUES
    ('web',    20, 30, 30),
    ('mobile', 20, 30, 30),
    ('email',   2, 30, 90),
    ('sms',     1, 30, 90),
    ('phone',   1, 30, 90),
    ('branch',  5, 30, 30),
    ('mail',    1, 90, 180);

ALTER TABLE decision_records DROP CONSTRAINT decision_records_kind_check;
ALTER TABLE decision_records ADD CONSTRAINT decision_records_kind_check
    CHECK (kind IN ('offer_shown', 'offer_blocked', 'response', 'review_request'));
ALTER TABLE decision_records DROP CONSTRAINT decision_records_check;
ALTER TABLE decision_records ADD CONSTRAINT decision_records_check
    CHECK ((kind IN ('response', 'review_request')) = (refers_to IS NOT NULL));
ALTER TABLE decision_records DROP CONSTRAINT decision_records_outcome_check;
ALTER TABLE decision_records ADD CONSTRAINT decision_records_outcome_check
    CHECK (outcome IN ('shown', 'blocked', 'accepted', 'declined', 'expired', 'review_requested'));
ALTER TABLE decision_records DROP CONSTRAINT decision_records_check2;
ALTER TABLE decision_records ADD CONSTRAINT decision_records_check2
    CHECK ((kind = 'offer_shown' AND outcome = 'shown')
        OR (kind = 'offer_blocked' AND outcome = 'blocked')
        OR (kind = 'response' AND outcome IN ('accepted', 'declined', 'expired'))
        OR (kind = 'review_request' AND outcome = 'review_requested'));
-- Fatigue and household checks look up recent offers of one product.
CREATE INDEX decision_records_client_product_idx ON decision_records (client_id, product_id, recorded_at DESC);

CREATE TABLE human_review_requests (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_id     bigint NOT NULL REFERENCES clients (id),
    -- The offer's decision record and the review_request record.
    decision_seq  bigint NOT NULL REFERENCES decision_records (seq),
    request_seq   bigint NOT NULL UNIQUE REFERENCES decision_records (seq),
    message       text NOT NULL DEFAULT '' CHECK (length(message) <= 2000),
    requested_at  timestamptz NOT NULL,
    status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'answered')),
    answered_by   bigint REFERENCES staff_users (id),
    answered_at   timestamptz,
    answer        text CHECK (length(answer) <= 4000),
    CHECK ((status = 'answered') = (answered_by IS NOT NULL AND answered_at IS NOT NULL AND answer IS NOT NULL))
);
-- One open request per offer: asking twice is the same request.
CREATE UNIQUE INDEX human_review_requests_open_idx ON human_review_requests (decision_seq) WHERE status = 'open';
CREATE INDEX human_review_requests_client_idx ON human_review_requests (client_id, requested_at DESC);

-- +goose Down
DROP TABLE human_review_requests;
DROP INDEX decision_records_client_product_idx;
ALTER TABLE decision_records DROP CONSTRAINT decision_records_check2;
ALTER TABLE decision_records ADD CONSTRAINT decision_records_check2
    CHECK ((kind = 'offer_shown' AND outcome = 'shown')
        OR (kind = 'offer_blocked' AND outcome = 'blocked')
        OR (kind = 'response' AND outcome IN ('accepted', 'declined', 'expired')));
ALTER TABLE decision_records DROP CONSTRAINT decision_records_outcome_check;
ALTER TABLE decision_records ADD CONSTRAINT decision_records_outcome_check
    CHECK (outcome IN ('shown', 'blocked', 'accepted', 'declined', 'expired'));
ALTER TABLE decision_records DROP CONSTRAINT decision_records_check;
ALTER TABLE decision_records ADD CONSTRAINT decision_records_check
    CHECK ((kind = 'response') = (refers_to IS NOT NULL));
ALTER TABLE decision_records DROP CONSTRAINT decision_records_kind_check;
ALTER TABLE decision_records ADD CONSTRAINT decision_records_kind_check
    CHECK (kind IN ('offer_shown', 'offer_blocked', 'response'));
DROP TABLE contact_policies;
DROP TABLE objections;
DROP TABLE risk_assessments;
