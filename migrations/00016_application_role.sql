-- The role ecrm serves as: least privilege.
--
-- Migrations run as the owner of the schema; `ecrm serve` runs as a role
-- that owns nothing and holds only what the service needs. ecrm_app is that
-- role's group: it is created here (NOLOGIN) when it does not exist, and
-- holds every grant. Production either logs in as ecrm_app
-- (ALTER ROLE ecrm_app LOGIN PASSWORD '…') or makes its own login role a
-- member (GRANT ecrm_app TO ecrm_web); `make run` and the tests log in as
-- ecrm_app (docs/production.md).
--
-- What ecrm_app may not do is what keeps the offer log tamper-evident
-- without relying on the hash chain alone:
--   * the log tables (decision_records, decision_checkpoints,
--     compliance_reviews, staff_access_log), the immutable product versions
--     and the profile change history: SELECT and INSERT only;
--   * decision_chain_head: SELECT and UPDATE (the head moves forward), never
--     DELETE or TRUNCATE;
--   * no table is owned by it, so it cannot ALTER TABLE … DISABLE TRIGGER,
--     and it is no superuser, so it cannot SET session_replication_role.
-- Every other table: SELECT, INSERT, UPDATE, DELETE. Tables made by later
-- migrations get the same through default privileges; a later append-only
-- table must REVOKE UPDATE, DELETE from ecrm_app in its own migration.

-- +goose Up
-- +goose StatementBegin
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ecrm_app') THEN
        BEGIN
            CREATE ROLE ecrm_app NOLOGIN;
        EXCEPTION
            WHEN duplicate_object OR unique_violation THEN NULL; -- made meanwhile by a parallel migration of another database
            WHEN insufficient_privilege THEN
                RAISE EXCEPTION 'the role ecrm_app does not exist and % may not create it: run CREATE ROLE ecrm_app NOLOGIN as a superuser, then migrate again', current_user;
        END;
    END IF;
END
$$;
-- +goose StatementEnd

GRANT USAGE ON SCHEMA public TO ecrm_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ecrm_app;
REVOKE UPDATE, DELETE ON decision_records, decision_checkpoints, compliance_reviews, staff_access_log,
    product_versions, profile_changes FROM ecrm_app;
REVOKE INSERT, DELETE ON decision_chain_head FROM ecrm_app;
REVOKE INSERT, UPDATE, DELETE ON goose_db_version FROM ecrm_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ecrm_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ecrm_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO ecrm_app;

-- +goose Down
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE USAGE, SELECT ON SEQUENCES FROM ecrm_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM ecrm_app;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM ecrm_app;
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ecrm_app;
REVOKE USAGE ON SCHEMA public FROM ecrm_app;
