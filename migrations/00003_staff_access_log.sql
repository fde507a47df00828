-- The staff console (package advisor): who looked at which client, and the
-- indexes that keep the client search fast on a million clients.
--
-- staff_access_log records every view of a client's 360 page, every view of
-- a client's credit history (with the purpose the staff member stated) and,
-- later, every export. Compliance reads it to answer "who looked at this
-- client, and why". Rows are only ever inserted; the compliance issue
-- revokes UPDATE and DELETE from the application role.
--
-- Client search matches a prefix of the family name, the given name or the
-- e-mail, ignoring case and diacritics ("stef" finds "Ștefănescu"), and
-- lists clients in name order. The existing lower(...) indexes cannot serve
-- it: PostgreSQL 15 uses a b-tree for LIKE 'prefix%' only when the index
-- collation is "C" (or a *_pattern_ops class), and databases are usually
-- created with a locale collation. The indexes below are in the "C"
-- collation, so one index serves the prefix match, the name order and the
-- keyset paging, whatever the database's default collation.

-- +goose Up
-- +goose StatementBegin
-- ecrm_search_key folds a name for search and sorting: lower case, and the
-- diacritics of Romanian and the other European languages clients write
-- their names in removed ("Ștefănescu" -> "stefanescu"). Upper-case letters
-- are listed too, because lower() leaves non-ASCII letters alone in a
-- database whose LC_CTYPE is C. IMMUTABLE so that it can be indexed; SQL so
-- that the planner inlines it and matches the index expressions.
CREATE FUNCTION ecrm_search_key(text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT translate(lower($1),
        'ăĂâÂîÎșȘşŞțȚţŢáÁàÀäÄãÃåÅąĄéÉèÈëËêÊęĘěĚíÍìÌïÏóÓòÒöÖõÕôÔőŐøØúÚùÙüÜûÛűŰůŮýÝÿŸçÇćĆčČďĎłŁńŃňŇñÑřŘśŚšŠťŤźŹżŻžŽ',
        'aaaaiissssttttaaaaaaaaaaaaeeeeeeeeeeeeiiiiiioooooooooooooouuuuuuuuuuuuyyyyccccccddllnnnnnnrrssssttzzzzzz')
$$;
-- +goose StatementEnd

-- All clients in name order (compliance, admin), family-name prefix search
-- and keyset paging by (family, given, id).
CREATE INDEX clients_search_name_idx ON clients
    ((ecrm_search_key(family_name)) COLLATE "C", (ecrm_search_key(given_name)) COLLATE "C", id);
-- An advisor's book in name order, paged by keyset.
CREATE INDEX clients_book_name_idx ON clients
    (advisor_id, (ecrm_search_key(family_name)) COLLATE "C", (ecrm_search_key(given_name)) COLLATE "C", id);
-- Given-name and e-mail prefix search.
CREATE INDEX clients_search_given_idx ON clients ((ecrm_search_key(given_name)) COLLATE "C");
CREATE INDEX clients_search_email_idx ON clients ((lower(email)) COLLATE "C");

CREATE TABLE staff_access_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    staff_id    bigint NOT NULL REFERENCES staff_users (id),
    client_id   bigint NOT NULL REFERENCES clients (id),
    resource    text NOT NULL CHECK (resource IN ('client_360', 'credit_history', 'export')),
    -- Why the staff member opened the resource; required for the credit
    -- history, which is shown only for a stated purpose.
    purpose     text CHECK (purpose IN ('credit_application', 'account_review', 'collections',
                    'complaint', 'regulatory_request')),
    request_id  text,
    accessed_at timestamptz NOT NULL DEFAULT now(),
    CHECK (resource <> 'credit_history' OR purpose IS NOT NULL)
);
CREATE INDEX staff_access_log_client_idx ON staff_access_log (client_id, accessed_at);
CREATE INDEX staff_access_log_staff_idx ON staff_access_log (staff_id, accessed_at);

-- +goose Down
DROP TABLE staff_access_log;
DROP INDEX clients_search_email_idx;
DROP INDEX clients_search_given_idx;
DROP INDEX clients_book_name_idx;
DROP INDEX clients_search_name_idx;
DROP FUNCTION ecrm_search_key(text);
