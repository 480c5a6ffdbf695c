-- Resumable upload sessions (Meta's Resumable Upload API). The bytes received so far wait in
-- files under the media root; the row keeps how far the upload got (file_offset, moved by
-- compare-and-set). Once the whole file is checked it is kept as an ordinary media id
-- (origin 'upload') and media_id and handle are set together; template header examples
-- name the handle. An incomplete session expires after 24 hours, a complete one with its
-- media id; the collector then deletes the row.
CREATE TABLE upload_sessions (
    seq          BIGSERIAL PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    account_id   UUID NOT NULL REFERENCES accounts (id),
    channel_id   UUID NOT NULL REFERENCES channels (id),
    file_name    TEXT NOT NULL,
    file_length  BIGINT NOT NULL CHECK (file_length > 0),
    file_type    TEXT NOT NULL,
    file_offset  BIGINT NOT NULL DEFAULT 0,
    media_id     TEXT,
    handle       TEXT UNIQUE,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    CHECK (file_offset BETWEEN 0 AND file_length),
    CHECK ((media_id IS NULL) = (handle IS NULL))
);

-- What the collector deletes next.
CREATE INDEX upload_sessions_by_expiry ON upload_sessions (expires_at);
