-- Campaigns (issue 14, item 6): one product offered on one channel to an
-- audience, with a random control group held out, so that the report can
-- say what the campaign changed (uplift against control), not only how
-- many took the product. See docs/campaigns.md.
--
-- The audience is a set of conditions on the client (each optional, all
-- must hold): segment, life stage, age band, advisor's book. It is
-- resolved once, when the run starts: the recipients written then are the
-- campaign's audience for good, whatever changes later.

-- +goose Up
CREATE TABLE campaigns (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    product_id          bigint NOT NULL REFERENCES products (id),
    channel             text NOT NULL CHECK (channel IN ('email', 'portal')),
    audience_segment    text CHECK (audience_segment IN ('mass', 'emerging_affluent', 'affluent', 'private', 'prospect')),
    audience_life_stage text CHECK (audience_life_stage IN ('unknown', 'starting_out', 'single_adult', 'couple', 'family', 'pre_retirement', 'retired')),
    audience_age_band   text CHECK (audience_age_band IN ('under_25', '25_34', '35_44', '45_54', '55_64', '65_plus', 'unknown')),
    audience_advisor_id bigint REFERENCES staff_users (id),
    -- The share of the audience held out as control: at most half, so
    -- that a campaign always reaches most of its audience.
    control_share       numeric(4, 3) NOT NULL CHECK (control_share >= 0 AND control_share <= 0.5),
    -- Control assignment is a hash of (seed, client): the same seed gives
    -- the same groups, so anyone can recompute who was held out.
    seed                bigint NOT NULL,
    status              text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'running', 'done')),
    created_by          bigint NOT NULL REFERENCES staff_users (id),
    created_at          timestamptz NOT NULL DEFAULT now(),
    launched_by         bigint REFERENCES staff_users (id),
    launched_at         timestamptz,
    -- audience_at: the recipients are written (the run's first step).
    audience_at         timestamptz,
    finished_at         timestamptz,
    CHECK ((status = 'draft') = (launched_at IS NULL)),
    CHECK ((status = 'done') = (finished_at IS NOT NULL))
);
CREATE INDEX campaigns_created_idx ON campaigns (created_at DESC, id DESC);

-- One row per client of the audience. Control recipients are held out:
-- no offer, no decision record, only this row. A treatment recipient is
-- pending until the run has put the offer through the gate: shown (with
-- its decision record and, by e-mail, the outbox message) or blocked
-- (with the gate's failed checks, or no_email / ineligible when nothing
-- could be presented). Opened and responded are not copied here: they are
-- read from offer_views and the offer log, the one place each is kept.
CREATE TABLE campaign_recipients (
    campaign_id       bigint NOT NULL REFERENCES campaigns (id),
    client_id         bigint NOT NULL REFERENCES clients (id),
    grp               text NOT NULL CHECK (grp IN ('treatment', 'control')),
    state             text NOT NULL CHECK (state IN ('pending', 'held_out', 'shown', 'blocked')),
    decision_seq      bigint REFERENCES decision_records (seq),
    blocked_reasons   text[] NOT NULL DEFAULT '{}',
    outbox_message_id bigint REFERENCES outbox_messages (id),
    -- The unsubscribe link of the recipient's e-mail (random, unguessable).
    unsubscribe_token text UNIQUE,
    processed_at      timestamptz,
    PRIMARY KEY (campaign_id, client_id),
    CHECK ((grp = 'control') = (state = 'held_out')),
    CHECK (state <> 'shown' OR decision_seq IS NOT NULL),
    CHECK (state <> 'blocked' OR cardinality(blocked_reasons) > 0)
);
-- The run takes its next batch from here.
CREATE INDEX campaign_recipients_pending_idx ON campaign_recipients (campaign_id, client_id) WHERE state = 'pending';
CREATE INDEX campaign_recipients_decision_idx ON campaign_recipients (decision_seq) WHERE decision_seq IS NOT NULL;

-- The first time a client opened an offer's page (or read it through the
-- API): a campaign's "opened", without a tracking pixel. Written by the
-- portal for any offer; the offer log itself is append-only and not
-- touched.
CREATE TABLE offer_views (
    decision_seq    bigint PRIMARY KEY REFERENCES decision_records (seq),
    client_id       bigint NOT NULL REFERENCES clients (id),
    first_viewed_at timestamptz NOT NULL
);
REVOKE UPDATE, DELETE, TRUNCATE ON offer_views FROM ecrm_app;

-- +goose Down
DROP TABLE offer_views;
DROP TABLE campaign_recipients;
DROP TABLE campaigns;
