-- A client's new e-mail address is used only once she confirms it (issue
-- 12, item 12): the profile keeps the old address, a link goes to the new
-- one, and the change is made, and recorded, when she opens the link while
-- logged in. Only the token's SHA-256 is kept.

-- +goose Up
CREATE TABLE email_verifications (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_id     bigint NOT NULL REFERENCES clients (id),
    email         text NOT NULL CHECK (email ~ '^[^@\s]+@[^@\s]+$'),
    token_hash    bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    requested_at  timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL CHECK (expires_at > requested_at),
    confirmed_at  timestamptz,
    superseded_at timestamptz,
    CHECK (confirmed_at IS NULL OR superseded_at IS NULL)
);
CREATE INDEX email_verifications_client_idx ON email_verifications (client_id, requested_at DESC);

-- +goose Down
DROP TABLE email_verifications;
