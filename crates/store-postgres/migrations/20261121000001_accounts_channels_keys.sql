-- Accounts, channels and API keys. Mirrored by name in store-sqlite/migrations.
-- Ids are UUIDv7; times are Unix milliseconds (BIGINT) as on SQLite; JSON is JSONB.

CREATE TABLE accounts (
    id          UUID PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE channels (
    id                    UUID PRIMARY KEY,
    account_id            UUID NOT NULL REFERENCES accounts (id),
    phone_number_id       TEXT NOT NULL UNIQUE,
    display_phone_number  TEXT NOT NULL,
    waba_id               TEXT NOT NULL,
    verified_name         TEXT NOT NULL,
    upstream_kind         TEXT NOT NULL CHECK (upstream_kind IN ('sandbox', 'cloud')),
    upstream              JSONB NOT NULL,
    throughput_mps        BIGINT NOT NULL CHECK (throughput_mps BETWEEN 1 AND 1000),
    quality_rating        TEXT NOT NULL,
    messaging_limit_tier  TEXT NOT NULL,
    profile               JSONB NOT NULL,
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL
);

CREATE INDEX channels_by_account ON channels (account_id, id);
CREATE INDEX channels_by_waba ON channels (waba_id);

CREATE TABLE api_keys (
    id           UUID PRIMARY KEY,
    account_id   UUID NOT NULL REFERENCES accounts (id),
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    digest       BYTEA NOT NULL UNIQUE,
    channel_ids  JSONB,
    created_at   BIGINT NOT NULL,
    revoked_at   BIGINT
);

CREATE INDEX api_keys_by_account ON api_keys (account_id, id);
