-- Accounts, channels and API keys. Mirrored by name in store-postgres/migrations.
-- Ids are UUIDv7 as 16-byte BLOBs; times are Unix milliseconds; JSON is TEXT.

CREATE TABLE accounts (
    id          BLOB PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE channels (
    id                    BLOB PRIMARY KEY NOT NULL,
    account_id            BLOB NOT NULL REFERENCES accounts (id),
    phone_number_id       TEXT NOT NULL UNIQUE,
    display_phone_number  TEXT NOT NULL,
    waba_id               TEXT NOT NULL,
    verified_name         TEXT NOT NULL,
    upstream_kind         TEXT NOT NULL CHECK (upstream_kind IN ('sandbox', 'cloud')),
    upstream              TEXT NOT NULL,
    throughput_mps        INTEGER NOT NULL CHECK (throughput_mps BETWEEN 1 AND 1000),
    quality_rating        TEXT NOT NULL,
    messaging_limit_tier  TEXT NOT NULL,
    profile               TEXT NOT NULL,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL
) STRICT;

CREATE INDEX channels_by_account ON channels (account_id, id);
CREATE INDEX channels_by_waba ON channels (waba_id);

CREATE TABLE api_keys (
    id           BLOB PRIMARY KEY NOT NULL,
    account_id   BLOB NOT NULL REFERENCES accounts (id),
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    digest       BLOB NOT NULL UNIQUE,
    channel_ids  TEXT,
    created_at   INTEGER NOT NULL,
    revoked_at   INTEGER
) STRICT;

CREATE INDEX api_keys_by_account ON api_keys (account_id, id);
