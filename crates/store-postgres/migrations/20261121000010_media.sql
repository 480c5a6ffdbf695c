-- Media ids: uploads and files users sent. The bytes live in the object store under
-- storage_key (their content address); several ids may share them. A deleted or expired id
-- is purged by the collector, which then frees the bytes no live id refers to.
CREATE TABLE media (
    seq          BIGSERIAL PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    account_id   UUID NOT NULL REFERENCES accounts (id),
    channel_id   UUID NOT NULL REFERENCES channels (id),
    origin       TEXT NOT NULL CHECK (origin IN ('upload', 'inbound')),
    mime_type    TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    file_size    BIGINT NOT NULL,
    filename     TEXT,
    storage_key  TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    deleted_at   BIGINT
);

-- Whether bytes are still referred to.
CREATE INDEX media_by_key ON media (storage_key);
-- What the collector purges next.
CREATE INDEX media_by_expiry ON media (expires_at);
CREATE INDEX media_deleted ON media (deleted_at) WHERE deleted_at IS NOT NULL;
