-- Secure messages and service requests (issue 13, item 7): the client
-- writes from the portal — a question, a complaint, a change request, help
-- after a purchase — with attachments; each request gets a number, is
-- routed to the client's advisor or to a team's queue, has a status, and
-- carries replies both ways. Complaints carry the regulatory deadline for
-- the firm's answer.

-- +goose Up
CREATE TABLE service_teams (
    code    text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{1,39}$'),
    name_en text NOT NULL,
    name_ro text NOT NULL
);

CREATE TABLE service_team_members (
    team_code text NOT NULL REFERENCES service_teams (code),
    staff_id  bigint NOT NULL REFERENCES staff_users (id),
    PRIMARY KEY (team_code, staff_id)
);
CREATE INDEX service_team_members_staff_idx ON service_team_members (staff_id);

INSERT INTO service_teams (code, name_en, name_ro) VALUES
  ('service', 'Client service centre', 'Centrul de relații cu clienții'),
  ('complaints', 'Complaints', 'Reclamații');

CREATE TABLE service_requests (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_id         bigint NOT NULL REFERENCES clients (id),
    kind              text NOT NULL CHECK (kind IN ('question', 'complaint', 'change_request', 'after_purchase')),
    subject           text NOT NULL CHECK (char_length(subject) BETWEEN 1 AND 200),
    status            text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'answered', 'closed')),
    -- Routed to a person (the client's advisor) or to a team's queue until
    -- someone in it takes the request.
    assignee_staff_id bigint REFERENCES staff_users (id),
    team_code         text REFERENCES service_teams (code),
    -- When the firm owes an answer: the regulatory deadline of a complaint,
    -- the service level of everything else.
    due_at            timestamptz NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    first_answer_at   timestamptz,
    closed_at         timestamptz,
    -- A client's repeated submission of the same form or API call opens
    -- one request.
    idempotency_key   text CHECK (char_length(idempotency_key) BETWEEN 1 AND 200),
    CHECK (assignee_staff_id IS NOT NULL OR team_code IS NOT NULL),
    CHECK ((status = 'closed') = (closed_at IS NOT NULL)),
    UNIQUE (client_id, idempotency_key)
);
CREATE INDEX service_requests_client_idx ON service_requests (client_id, updated_at DESC);
CREATE INDEX service_requests_assignee_idx ON service_requests (assignee_staff_id, status, updated_at DESC);
CREATE INDEX service_requests_team_idx ON service_requests (team_code, status, updated_at DESC) WHERE assignee_staff_id IS NULL;
CREATE INDEX service_requests_complaints_idx ON service_requests (due_at) WHERE kind = 'complaint';

CREATE TABLE service_messages (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id      bigint NOT NULL REFERENCES service_requests (id),
    author          text NOT NULL CHECK (author IN ('client', 'staff')),
    staff_id        bigint REFERENCES staff_users (id),
    body            text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 5000),
    created_at      timestamptz NOT NULL DEFAULT now(),
    -- Read by the other side: the client for staff messages, any staff
    -- member working the request for the client's.
    read_at         timestamptz,
    idempotency_key text CHECK (char_length(idempotency_key) BETWEEN 1 AND 200),
    CHECK ((author = 'staff') = (staff_id IS NOT NULL)),
    UNIQUE (request_id, idempotency_key)
);
CREATE INDEX service_messages_request_idx ON service_messages (request_id, created_at, id);
CREATE INDEX service_messages_unread_idx ON service_messages (request_id) WHERE read_at IS NULL;
-- What was said stays said: messages are never edited or deleted.
REVOKE UPDATE, DELETE, TRUNCATE ON service_messages FROM PUBLIC;
REVOKE DELETE, TRUNCATE ON service_messages FROM ecrm_app;

CREATE TABLE service_attachments (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id   bigint NOT NULL REFERENCES service_messages (id),
    file_name    text NOT NULL CHECK (char_length(file_name) BETWEEN 1 AND 200),
    -- The type sniffed from the content, not the one the sender declared.
    content_type text NOT NULL,
    size         integer NOT NULL CHECK (size > 0),
    sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    content      bytea NOT NULL CHECK (length(content) = size)
);
CREATE INDEX service_attachments_message_idx ON service_attachments (message_id);
REVOKE UPDATE, DELETE, TRUNCATE ON service_attachments FROM ecrm_app;

-- Staff who open a request read the client beside it: logged as such.
ALTER TABLE staff_access_log DROP CONSTRAINT staff_access_log_resource_check;
ALTER TABLE staff_access_log ADD CONSTRAINT staff_access_log_resource_check
    CHECK (resource IN ('client_360', 'credit_history', 'export', 'review_request', 'decision_record', 'rule_preview', 'service_request'));
ALTER TABLE staff_access_log DROP CONSTRAINT staff_access_log_purpose_check;
ALTER TABLE staff_access_log ADD CONSTRAINT staff_access_log_purpose_check
    CHECK (purpose IN ('credit_application', 'account_review', 'collections', 'complaint', 'regulatory_request', 'service_request'));

-- +goose Down
DELETE FROM staff_access_log WHERE resource = 'service_request' OR purpose = 'service_request';
ALTER TABLE staff_access_log DROP CONSTRAINT staff_access_log_purpose_check;
ALTER TABLE staff_access_log ADD CONSTRAINT staff_access_log_purpose_check
    CHECK (purpose IN ('credit_application', 'account_review', 'collections', 'complaint', 'regulatory_request'));
ALTER TABLE staff_access_log DROP CONSTRAINT staff_access_log_resource_check;
ALTER TABLE staff_access_log ADD CONSTRAINT staff_access_log_resource_check
    CHECK (resource IN ('client_360', 'credit_history', 'export', 'review_request', 'decision_record', 'rule_preview'));
DROP TABLE service_attachments;
DROP TABLE service_messages;
DROP TABLE service_requests;
DROP TABLE service_team_members;
DROP TABLE service_teams;
