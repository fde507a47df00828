-- Insurance claims handled in ecrm (issue 16, item 5): the client reports an
-- insured event (first notice of loss) from the portal, with where it
-- happened, an estimate and files; staff work it through the claims
-- pipeline; client and staff write to each other on the claim; every
-- status change is kept and e-mailed to the client.
--
-- The statuses are those a claimant is told (received, in review, more
-- information needed, approved, paid, rejected). The seed's older ones
-- map onto them: reported → received, assessing → in_review, closed →
-- paid when an amount was paid (every seeded closed claim was), else
-- rejected; the change is kept in the history so nothing is lost.

-- +goose Up
ALTER TABLE claims DROP CONSTRAINT claims_status_check;
ALTER TABLE claims
    -- Where the event happened, as the client says it.
    ADD COLUMN place            text CHECK (char_length(place) <= 200),
    ADD COLUMN rejection_reason text CHECK (char_length(rejection_reason) BETWEEN 1 AND 500),
    -- The deal that carries the claim through the claims pipeline (claims
    -- reported before ecrm handled them have none until staff move them).
    ADD COLUMN deal_id          bigint REFERENCES deals (id),
    -- A repeated submission of the same report opens one claim.
    ADD COLUMN idempotency_key  text CHECK (char_length(idempotency_key) BETWEEN 1 AND 200),
    ADD CONSTRAINT claims_idempotency_key UNIQUE (client_id, idempotency_key);

-- Who saw which status: the history keeps the seed's old words.
CREATE TABLE claim_status_history (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    claim_id        bigint NOT NULL REFERENCES claims (id),
    from_status     text,
    to_status       text NOT NULL,
    -- NULL: the client (a reply to a request for information) or the
    -- system (a migration).
    staff_id        bigint REFERENCES staff_users (id),
    -- The amount the change decided (approved or paid), in the claim's
    -- currency.
    amount          numeric(18,2) CHECK (amount > 0),
    note            text CHECK (char_length(note) <= 2000),
    at              timestamptz NOT NULL DEFAULT now(),
    -- A staff form sent twice moves the claim once.
    idempotency_key text CHECK (char_length(idempotency_key) BETWEEN 1 AND 200),
    UNIQUE (claim_id, idempotency_key)
);
CREATE INDEX claim_status_history_claim_idx ON claim_status_history (claim_id, at, id);
-- The history is a record: appended, never edited.
REVOKE UPDATE, DELETE, TRUNCATE ON claim_status_history FROM ecrm_app;

INSERT INTO claim_status_history (claim_id, from_status, to_status, amount, note, at)
SELECT id, status,
       CASE status WHEN 'reported' THEN 'received' WHEN 'assessing' THEN 'in_review'
                   WHEN 'closed' THEN CASE WHEN paid_amount > 0 THEN 'paid' ELSE 'rejected' END
                   ELSE status END,
       NULL, 'Status renamed when claims moved into ecrm (migration 00048).', updated_at
FROM claims WHERE status IN ('reported', 'assessing', 'closed');

UPDATE claims SET status = CASE status
        WHEN 'reported' THEN 'received'
        WHEN 'assessing' THEN 'in_review'
        WHEN 'closed' THEN CASE WHEN paid_amount > 0 THEN 'paid' ELSE 'rejected' END
        ELSE status END
    WHERE status IN ('reported', 'assessing', 'closed');
UPDATE claims SET rejection_reason = 'Rejected before claims moved into ecrm; the reason is in the insurer''s file.'
    WHERE status = 'rejected' AND rejection_reason IS NULL;
-- An approved or paid claim carries what was decided.
UPDATE claims SET approved_amount = coalesce(approved_amount, paid_amount, claimed_amount)
    WHERE status IN ('approved', 'paid') AND approved_amount IS NULL;
UPDATE claims SET paid_amount = approved_amount WHERE status = 'paid' AND paid_amount IS NULL;

ALTER TABLE claims ADD CONSTRAINT claims_status_check
    CHECK (status IN ('received', 'in_review', 'more_info_needed', 'approved', 'paid', 'rejected'));
ALTER TABLE claims ADD CONSTRAINT claims_decided_check CHECK (
    (status NOT IN ('approved', 'paid') OR approved_amount > 0)
    AND (status <> 'paid' OR paid_amount > 0)
    AND (status <> 'rejected' OR rejection_reason IS NOT NULL));
-- The staff's queue: open claims of the clients an advisor serves.
CREATE INDEX claims_open_idx ON claims (reported_at) WHERE status IN ('received', 'in_review', 'more_info_needed', 'approved');

-- Client ↔ staff messages on a claim.
CREATE TABLE claim_messages (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    claim_id        bigint NOT NULL REFERENCES claims (id),
    author          text NOT NULL CHECK (author IN ('client', 'staff')),
    staff_id        bigint REFERENCES staff_users (id),
    body            text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 5000),
    created_at      timestamptz NOT NULL DEFAULT now(),
    idempotency_key text CHECK (char_length(idempotency_key) BETWEEN 1 AND 200),
    CHECK ((author = 'staff') = (staff_id IS NOT NULL)),
    UNIQUE (claim_id, idempotency_key)
);
CREATE INDEX claim_messages_claim_idx ON claim_messages (claim_id, created_at, id);
-- What was said stays said.
REVOKE UPDATE, DELETE, TRUNCATE ON claim_messages FROM ecrm_app;

-- Files sent with a claim (photos, invoices, police reports), kept in
-- PostgreSQL with the claim, so a backup of the database holds the whole
-- file. The type is the one sniffed from the content; the limits (size,
-- number per claim, types) are enforced by the insurance package and
-- bounded here as a last guard.
CREATE TABLE claim_attachments (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    claim_id     bigint NOT NULL REFERENCES claims (id),
    -- The message the file came with, if any (the first notice's files
    -- come with the claim itself).
    message_id   bigint REFERENCES claim_messages (id),
    author       text NOT NULL CHECK (author IN ('client', 'staff')),
    file_name    text NOT NULL CHECK (char_length(file_name) BETWEEN 1 AND 200),
    content_type text NOT NULL CHECK (content_type IN ('application/pdf', 'image/jpeg', 'image/png')),
    size         integer NOT NULL CHECK (size > 0 AND size <= 16777216),
    sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    content      bytea NOT NULL CHECK (length(content) = size),
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX claim_attachments_claim_idx ON claim_attachments (claim_id, id);
REVOKE UPDATE, DELETE, TRUNCATE ON claim_attachments FROM ecrm_app;

-- The claims pipeline gets the stage a claim waits in while the client is
-- asked for more information, and a task to pay an approved claim.
-- Positions move out of the way first (they are unique per pipeline).
UPDATE pipeline_stages st SET position = st.position + 100
    FROM pipelines p WHERE p.id = st.pipeline_id AND p.code = 'claims';
UPDATE pipeline_stages st SET position = CASE st.code
        WHEN 'reported' THEN 1 WHEN 'assessment' THEN 2 WHEN 'decision' THEN 4 WHEN 'paid' THEN 5 WHEN 'rejected' THEN 6 END
    FROM pipelines p WHERE p.id = st.pipeline_id AND p.code = 'claims';
INSERT INTO pipeline_stages (pipeline_id, code, name_en, name_ro, position, outcome)
SELECT id, 'information', 'More information asked', 'Informații suplimentare cerute', 3, 'open' FROM pipelines WHERE code = 'claims';
INSERT INTO stage_task_templates (stage_id, code, title_en, title_ro, due_minutes, escalate_minutes, position)
SELECT st.id, t.code, t.title_en, t.title_ro, t.due_minutes, t.escalate_minutes, t.position
FROM pipeline_stages st JOIN pipelines p ON p.id = st.pipeline_id JOIN (VALUES
  ('information', 'chase_information', 'Chase the information asked of the client', 'Urmăriți informațiile cerute clientului', 2400, 960, 1),
  ('decision', 'pay_claim', 'Pay the approved amount', 'Plătiți suma aprobată', 960, 480, 2)
) AS t (stage, code, title_en, title_ro, due_minutes, escalate_minutes, position)
  ON p.code = 'claims' AND t.stage = st.code;

-- +goose Down
DELETE FROM stage_task_templates t USING pipeline_stages st, pipelines p
    WHERE t.stage_id = st.id AND st.pipeline_id = p.id AND p.code = 'claims' AND t.code IN ('chase_information', 'pay_claim')
      AND NOT EXISTS (SELECT 1 FROM tasks WHERE template_id = t.id);
DELETE FROM pipeline_stages st USING pipelines p
    WHERE st.pipeline_id = p.id AND p.code = 'claims' AND st.code = 'information'
      AND NOT EXISTS (SELECT 1 FROM deals WHERE stage_id = st.id)
      AND NOT EXISTS (SELECT 1 FROM stage_task_templates WHERE stage_id = st.id);
UPDATE pipeline_stages st SET position = st.position + 100
    FROM pipelines p WHERE p.id = st.pipeline_id AND p.code = 'claims';
UPDATE pipeline_stages st SET position = CASE st.code
        WHEN 'reported' THEN 1 WHEN 'assessment' THEN 2 WHEN 'information' THEN 6 WHEN 'decision' THEN 3 WHEN 'paid' THEN 4 WHEN 'rejected' THEN 5 END
    FROM pipelines p WHERE p.id = st.pipeline_id AND p.code = 'claims';
DROP TABLE claim_attachments;
DROP TABLE claim_messages;
DROP INDEX claims_open_idx;
ALTER TABLE claims DROP CONSTRAINT claims_decided_check;
ALTER TABLE claims DROP CONSTRAINT claims_status_check;
UPDATE claims SET status = CASE status WHEN 'received' THEN 'reported' WHEN 'in_review' THEN 'assessing'
    WHEN 'more_info_needed' THEN 'assessing' ELSE status END;
ALTER TABLE claims ADD CONSTRAINT claims_status_check
    CHECK (status IN ('reported', 'assessing', 'approved', 'rejected', 'paid', 'closed'));
DROP TABLE claim_status_history;
ALTER TABLE claims DROP CONSTRAINT claims_idempotency_key;
ALTER TABLE claims DROP COLUMN idempotency_key, DROP COLUMN deal_id, DROP COLUMN rejection_reason, DROP COLUMN place;
