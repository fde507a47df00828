-- The tamper-evident offer log (package compliance).
--
-- Every offer shown or blocked gets one decision record; the client's later
-- response (accepted / declined / expired) is a new record referring to it,
-- never an update. Records form a hash chain: each row carries the SHA-256
-- of its canonical encoding chained to the previous row's hash (computed in
-- Go, see compliance/canonical.go), and checkpoints of the chain head are
-- signed with an Ed25519 key kept outside the database.
--
-- seq is the chain position: gapless, assigned while holding the row lock on
-- decision_chain_head, so concurrent writers in several processes produce
-- one chain (the head is serialised in the database, not in memory).
--
-- Append-only is enforced twice:
--   * privileges: production runs ecrm as a role that is granted INSERT and
--     SELECT only; UPDATE, DELETE and TRUNCATE are revoked from PUBLIC here
--     so that no role inherits them by default;
--   * triggers that refuse UPDATE, DELETE and TRUNCATE for everybody,
--     including the table owner.
-- A superuser bypasses privileges and can disable triggers (or set
-- session_replication_role = replica); that is what the hash chain and the
-- signed checkpoints are for: `ecrm audit verify` still finds the change.
--
-- client_id has no ON DELETE CASCADE on purpose: a client with decision
-- records cannot be deleted, because the records must outlive the client.

-- +goose Up
CREATE TABLE decision_records (
    seq                bigint PRIMARY KEY CHECK (seq >= 1),
    kind               text NOT NULL CHECK (kind IN ('offer_shown', 'offer_blocked', 'response')),
    refers_to          bigint REFERENCES decision_records (seq),
    client_id          bigint NOT NULL REFERENCES clients (id),
    product_id         bigint REFERENCES products (id),
    product_version_id bigint REFERENCES product_versions (id),
    engine             text NOT NULL,
    engine_version     text NOT NULL,
    rule_version       text NOT NULL,
    channel            text NOT NULL CHECK (channel <> ''),
    actor_kind         text NOT NULL CHECK (actor_kind IN ('system', 'advisor', 'client')),
    actor_staff_id     bigint REFERENCES staff_users (id),
    outcome            text NOT NULL CHECK (outcome IN ('shown', 'blocked', 'accepted', 'declined', 'expired')),
    -- Input snapshot, score and components, reasons, gate checks and
    -- disclosures. json, not jsonb: json keeps the text exactly as written,
    -- and the writer writes the canonical form it hashed, so verification
    -- hashes the stored text as it is read. jsonb would re-print it on
    -- every read, which costs more than the rest of verification together.
    -- The CHECK keeps the text canonical: the canonical form is what jsonb
    -- prints, so queries can use body::jsonb and get the same document.
    body               json NOT NULL CHECK (json_typeof(body) = 'object' AND body::jsonb::text = body::text),
    recorded_at        timestamptz NOT NULL,
    prev_hash          bytea NOT NULL CHECK (length(prev_hash) = 32),
    hash               bytea NOT NULL CHECK (length(hash) = 32),
    CHECK ((kind = 'response') = (refers_to IS NOT NULL)),
    CHECK (refers_to IS NULL OR refers_to < seq),
    CHECK ((kind = 'offer_shown' AND outcome = 'shown')
        OR (kind = 'offer_blocked' AND outcome = 'blocked')
        OR (kind = 'response' AND outcome IN ('accepted', 'declined', 'expired'))),
    CHECK ((actor_kind = 'advisor') = (actor_staff_id IS NOT NULL))
);
CREATE INDEX decision_records_client_idx ON decision_records (client_id, recorded_at);
CREATE INDEX decision_records_product_idx ON decision_records (product_id, recorded_at);
CREATE INDEX decision_records_recorded_idx ON decision_records (recorded_at);
CREATE INDEX decision_records_refers_idx ON decision_records (refers_to) WHERE refers_to IS NOT NULL;

-- The chain head: one row, locked FOR UPDATE by every append.
CREATE TABLE decision_chain_head (
    id   boolean PRIMARY KEY DEFAULT true CHECK (id),
    seq  bigint NOT NULL CHECK (seq >= 0),
    hash bytea NOT NULL CHECK (length(hash) = 32)
);
INSERT INTO decision_chain_head (id, seq, hash) VALUES (true, 0, '\x0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE decision_checkpoints (
    seq        bigint PRIMARY KEY CHECK (seq >= 0),
    head_hash  bytea NOT NULL CHECK (length(head_hash) = 32),
    signed_at  timestamptz NOT NULL,
    -- First 8 bytes (hex) of the SHA-256 of the Ed25519 public key.
    key_id     text NOT NULL CHECK (key_id ~ '^[0-9a-f]{16}$'),
    signature  bytea NOT NULL CHECK (length(signature) = 64)
);

-- +goose StatementBegin
CREATE FUNCTION decision_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    empty boolean;
BEGIN
    -- Truncating an empty log or checkpoint table destroys nothing (a
    -- demo database being re-seeded cascades here from clients); a log
    -- that holds anything is never truncated.
    IF TG_OP = 'TRUNCATE' AND TG_TABLE_NAME <> 'decision_chain_head' THEN
        EXECUTE format('SELECT NOT EXISTS (SELECT 1 FROM %I)', TG_TABLE_NAME) INTO empty;
        IF empty THEN
            RETURN NULL;
        END IF;
    END IF;
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation',
              HINT = 'decision records are never changed; record a response or a correction as a new record';
END;
$$;
-- +goose StatementEnd

-- +goose StatementBegin
-- The head may only move forward and can never be deleted.
CREATE FUNCTION decision_chain_head_forward() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'UPDATE' THEN
        RAISE EXCEPTION 'decision_chain_head: % refused', TG_OP USING ERRCODE = 'restrict_violation';
    END IF;
    IF NEW.seq < OLD.seq THEN
        RAISE EXCEPTION 'decision_chain_head may only move forward (% -> %)', OLD.seq, NEW.seq
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER decision_records_no_update_delete
    BEFORE UPDATE OR DELETE ON decision_records
    FOR EACH ROW EXECUTE FUNCTION decision_log_append_only();
CREATE TRIGGER decision_records_no_truncate
    BEFORE TRUNCATE ON decision_records
    FOR EACH STATEMENT EXECUTE FUNCTION decision_log_append_only();
CREATE TRIGGER decision_checkpoints_no_update_delete
    BEFORE UPDATE OR DELETE ON decision_checkpoints
    FOR EACH ROW EXECUTE FUNCTION decision_log_append_only();
CREATE TRIGGER decision_checkpoints_no_truncate
    BEFORE TRUNCATE ON decision_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION decision_log_append_only();
CREATE TRIGGER decision_chain_head_guard
    BEFORE UPDATE OR DELETE ON decision_chain_head
    FOR EACH ROW EXECUTE FUNCTION decision_chain_head_forward();
CREATE TRIGGER decision_chain_head_no_truncate
    BEFORE TRUNCATE ON decision_chain_head
    FOR EACH STATEMENT EXECUTE FUNCTION decision_log_append_only();

REVOKE UPDATE, DELETE, TRUNCATE ON decision_records, decision_checkpoints FROM PUBLIC;
REVOKE DELETE, TRUNCATE ON decision_chain_head FROM PUBLIC;

-- +goose Down
DROP TABLE decision_checkpoints;
DROP TABLE decision_chain_head;
DROP TABLE decision_records;
DROP FUNCTION decision_chain_head_forward();
DROP FUNCTION decision_log_append_only();
