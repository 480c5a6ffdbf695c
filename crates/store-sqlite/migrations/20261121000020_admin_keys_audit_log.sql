-- Admin keys and the audit log of management actions. Mirrored by name in
-- store-postgres/migrations.

-- An admin key may mint admin keys and read the audit log; it is always account-wide.
-- Existing account-wide keys stay as they were (not admin), except the key first start
-- created, which always was the account's admin key.
ALTER TABLE api_keys ADD COLUMN admin INTEGER NOT NULL DEFAULT 0
    CHECK (admin IN (0, 1) AND (admin = 0 OR channel_ids IS NULL));
UPDATE api_keys SET admin = 1 WHERE name = 'admin (first start)' AND channel_ids IS NULL;

-- Who (key_id; NULL: the operator at the admin CLI) did what (action) to which object
-- (target_type, target_id), when (at, Unix ms), and a short secret-free summary. Entries
-- are never updated; lists are by account, newest first (ids are UUIDv7).
CREATE TABLE audit_log (
    id           BLOB PRIMARY KEY NOT NULL,
    account_id   BLOB NOT NULL REFERENCES accounts (id),
    at           INTEGER NOT NULL,
    key_id       BLOB,
    action       TEXT NOT NULL,
    target_type  TEXT NOT NULL,
    target_id    TEXT NOT NULL,
    summary      TEXT NOT NULL
) STRICT;

CREATE INDEX audit_log_by_account ON audit_log (account_id, id);
