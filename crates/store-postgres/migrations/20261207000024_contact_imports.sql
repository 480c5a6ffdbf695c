-- Imports of CSV and XLSX files into the contact book: the job (its file, options,
-- progress and lease) and its per-row error report. Mirrored by name in
-- store-sqlite/migrations.

CREATE TABLE contact_imports (
    id           UUID PRIMARY KEY,
    account_id   UUID NOT NULL REFERENCES accounts (id),
    format       TEXT NOT NULL,
    file_name    TEXT NOT NULL,
    file_sha256  TEXT NOT NULL,
    file_size    BIGINT NOT NULL,
    blob_key     TEXT,
    options      JSONB NOT NULL,
    status       TEXT NOT NULL,
    failure      TEXT,
    rows_read    BIGINT NOT NULL,
    created      BIGINT NOT NULL,
    updated      BIGINT NOT NULL,
    failed       BIGINT NOT NULL,
    lease_owner  TEXT,
    lease_until  BIGINT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    finished_at  BIGINT
);

CREATE INDEX contact_imports_by_account ON contact_imports (account_id, id);
CREATE INDEX contact_imports_unfinished ON contact_imports (status, created_at)
    WHERE status IN ('queued', 'running');

CREATE TABLE contact_import_errors (
    import_id  UUID NOT NULL REFERENCES contact_imports (id) ON DELETE CASCADE,
    row_number BIGINT NOT NULL,
    column_name TEXT NOT NULL,
    reason     TEXT NOT NULL,
    PRIMARY KEY (import_id, row_number)
);
