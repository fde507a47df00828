-- Policies bound online and renewed (issue 16, items 4 and 6).
--
-- A policy bound from a quote remembers what it was sold on: the quote and
-- the journey it came from, the version of the terms and conditions, the
-- answers the premium was computed on (a snapshot: the journey's answers
-- may change later, the policy's basis must not) with the questionnaire
-- versions they answered, and the policy it renews, so that the history of
-- every earlier policy and its answers can be shown and a renewal can
-- start from the last answers. Policies loaded before online binding
-- (the demo data set) have none of these: the columns are NULL.
--
-- The journeys (00045) and quotes (00046) come first: a policy points at
-- its quote and journey, and a renewal journey at the policy it renews.

-- +goose Up
ALTER TABLE insurance_policies
    ADD COLUMN quote_id bigint REFERENCES insurance_quotes (id),
    ADD COLUMN journey_id bigint REFERENCES insurance_journeys (id),
    ADD COLUMN terms_version text CHECK (terms_version <> '' AND char_length(terms_version) <= 100),
    -- Flat answers {linkId: [value, ...]} as priced (insurance.Answers).
    ADD COLUMN answers jsonb CHECK (jsonb_typeof(answers) = 'object'),
    -- {questionnaire url: version} of the answers.
    ADD COLUMN questionnaire_versions jsonb CHECK (jsonb_typeof(questionnaire_versions) = 'object'),
    ADD COLUMN renews_policy_id bigint REFERENCES insurance_policies (id),
    -- The premium for the whole term (the instalments sum to it); NULL for
    -- policies loaded without their full schedule.
    ADD COLUMN term_premium numeric(18,2) CHECK (term_premium > 0),
    ADD COLUMN bound_at timestamptz,
    -- The client's Idempotency-Key (or the form's token) of the bind: the
    -- same key again answers with the same policy.
    ADD COLUMN bind_key text CHECK (char_length(bind_key) BETWEEN 1 AND 200),
    ADD CHECK (renews_policy_id <> id);

-- One policy per quote: a second bind of the quote finds the first policy.
CREATE UNIQUE INDEX insurance_policies_quote_idx ON insurance_policies (quote_id) WHERE quote_id IS NOT NULL;
CREATE UNIQUE INDEX insurance_policies_bind_key_idx ON insurance_policies (client_id, bind_key) WHERE bind_key IS NOT NULL;
-- The history of renewals: the policy a renewal came from.
CREATE INDEX insurance_policies_renews_idx ON insurance_policies (renews_policy_id) WHERE renews_policy_id IS NOT NULL;
-- The renewal reminder job looks for active short-term policies ending
-- within the next days.
CREATE INDEX insurance_policies_ending_idx ON insurance_policies (ends_on) WHERE short_term AND status = 'active';

ALTER TABLE insurance_journeys ADD CONSTRAINT insurance_journeys_renews_policy_fkey
    FOREIGN KEY (renews_policy_id) REFERENCES insurance_policies (id);

-- A renewal reminder, once per policy: the job records it (and queues the
-- e-mail in the same transaction); the portal shows it until the client
-- renews, dismisses it, or the policy ends.
CREATE TABLE insurance_renewal_reminders (
    policy_id         bigint PRIMARY KEY REFERENCES insurance_policies (id),
    client_id         bigint NOT NULL REFERENCES clients (id),
    ends_on           date NOT NULL,
    reminded_at       timestamptz NOT NULL,
    -- NULL when the client has no e-mail address we can write to.
    outbox_message_id bigint REFERENCES outbox_messages (id),
    dismissed_at      timestamptz
);
CREATE INDEX insurance_renewal_reminders_client_idx ON insurance_renewal_reminders (client_id, ends_on);

-- +goose Down
DROP TABLE insurance_renewal_reminders;
ALTER TABLE insurance_journeys DROP CONSTRAINT insurance_journeys_renews_policy_fkey;
DROP INDEX insurance_policies_ending_idx;
DROP INDEX insurance_policies_renews_idx;
DROP INDEX insurance_policies_bind_key_idx;
DROP INDEX insurance_policies_quote_idx;
ALTER TABLE insurance_policies
    DROP COLUMN bind_key,
    DROP COLUMN bound_at,
    DROP COLUMN term_premium,
    DROP COLUMN renews_policy_id,
    DROP COLUMN questionnaire_versions,
    DROP COLUMN answers,
    DROP COLUMN terms_version,
    DROP COLUMN journey_id,
    DROP COLUMN quote_id;
