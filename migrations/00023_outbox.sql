-- The e-mail outbox (issue 13, item 2): a message is a row written in the
-- same transaction as the change that causes it, sent by a job through
-- SMTP, retried, never sent twice (message_id is its Message-ID header),
-- with its delivery status. Without ECRM_SMTP_URL (development) messages
-- are held: readable on the admin's outbox page, never sent.

-- +goose Up
CREATE TABLE outbox_messages (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id      text NOT NULL UNIQUE CHECK (message_id ~ '^<[^<>@\s]+@[^<>@\s]+>$'),
    kind            text NOT NULL CHECK (kind IN ('transactional', 'marketing')),
    to_address      text NOT NULL CHECK (to_address ~ '^[^@\s]+@[^@\s]+$'),
    to_name         text NOT NULL DEFAULT '',
    client_id       bigint REFERENCES clients (id),
    staff_id        bigint REFERENCES staff_users (id),
    language        text NOT NULL CHECK (language IN ('en', 'ro')),
    subject         text NOT NULL CHECK (subject <> '' AND char_length(subject) <= 300),
    body            text NOT NULL CHECK (body <> ''),
    -- Marketing must carry a working unsubscribe link (List-Unsubscribe).
    unsubscribe_url text CHECK (kind <> 'marketing' OR unsubscribe_url IS NOT NULL),
    status          text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'held', 'failed')),
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    CHECK ((status = 'sent') = (sent_at IS NOT NULL))
);
CREATE INDEX outbox_messages_created_idx ON outbox_messages (created_at DESC, id DESC);
CREATE INDEX outbox_messages_client_idx ON outbox_messages (client_id, created_at) WHERE client_id IS NOT NULL;
CREATE INDEX outbox_messages_pending_idx ON outbox_messages (status) WHERE status IN ('queued', 'failed');

-- +goose Down
DROP TABLE outbox_messages;
