-- Documents made from templates (issue 13, item 4): a deal's offer
-- letter, payment instructions or meeting summary, kept as made (the PDF,
-- its SHA-256 and the template version), downloadable by the staff who
-- see the deal and, once sent, by the client in the portal.

-- +goose Up
CREATE TABLE documents (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    deal_id          bigint REFERENCES deals (id),
    client_id        bigint NOT NULL REFERENCES clients (id),
    kind             text NOT NULL CHECK (kind IN ('offer_letter', 'payment_instructions', 'meeting_summary')),
    language         text NOT NULL CHECK (language IN ('en', 'ro')),
    template_version integer NOT NULL CHECK (template_version >= 1),
    sha256           text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    pdf              bytea NOT NULL CHECK (length(pdf) > 0),
    created_by       bigint NOT NULL REFERENCES staff_users (id),
    created_at       timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz,
    sent_by          bigint REFERENCES staff_users (id),
    CHECK ((sent_at IS NULL) = (sent_by IS NULL))
);
CREATE INDEX documents_deal_idx ON documents (deal_id, created_at);
CREATE INDEX documents_client_sent_idx ON documents (client_id, sent_at DESC) WHERE sent_at IS NOT NULL;

-- +goose Down
DROP TABLE documents;
