-- Imports of CSV and XLSX files into the contact book: the job (its file, options,
-- progress and lease) and its per-row error report. Mirrored by name in
-- store-postgres/migrations.

CREATE TABLE contact_imports (
    id           BLOB PRIMARY KEY NOT NULL,
    account_id   BLOB NOT NULL REFERENCES accounts (id),
    format       TEXT NOT NULL,
    file_name    TEXT NOT NULL,
    file_sha256  TEXT NOT NULL,
    file_size    INTEGER NOT NULL,
    blob_key     TEXT,
    options      TEXT NOT NULL,
    status       TEXT NOT NULL,
    failure      TEXT,
    rows_read    INTEGER NOT NULL,
    created      INTEGER NOT NULL,
    updated      INTEGER NOT NULL,
    failed       INTEGER NOT NULL,
    lease_owner  TEXT,
    lease_until  INTEGER,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    finished_at  INTEGER
) STRICT;

CREATE INDEX contact_imports_by_account ON contact_imports (account_id, id);
CREATE INDEX contact_imports_unfinished ON contact_imports (status, created_at)
    WHERE status IN ('queued', 'running');

CREATE TABLE contact_import_errors (
    import_id  BLOB NOT NULL REFERENCES contact_imports (id) ON DELETE CASCADE,
    row_number INTEGER NOT NULL,
    column_name TEXT NOT NULL,
    reason     TEXT NOT NULL,
    PRIMARY KEY (import_id, row_number)
) STRICT;
