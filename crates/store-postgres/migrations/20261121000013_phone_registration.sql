-- Phone number registration (Cloud API register, deregister, request_code, verify_code,
-- two-step PIN, display-name change). One row per channel whose registration ever changed;
-- a channel without one is registered and verified, with no PIN (so existing channels keep
-- sending). Rows are written by compare-and-set on version. The PIN is kept only as a salt
-- and a SHA-256 digest. The call windows (code_requests, register_calls, deregister_calls)
-- are JSON arrays of Unix milliseconds, trimmed to their window on every write. Mirrored by
-- name in store-sqlite/migrations.
CREATE TABLE phone_registrations (
    channel_id                UUID PRIMARY KEY REFERENCES channels (id),
    account_id                UUID NOT NULL REFERENCES accounts (id),
    version                   BIGINT NOT NULL CHECK (version > 0),
    status                    TEXT NOT NULL CHECK (status IN ('REGISTERED', 'DEREGISTERED')),
    verified                  TEXT NOT NULL CHECK (verified IN ('VERIFIED', 'NOT_VERIFIED')),
    pin_salt                  TEXT,
    pin_hash                  TEXT,
    code                      TEXT,
    code_method               TEXT CHECK (code_method IN ('SMS', 'VOICE')),
    code_language             TEXT,
    code_sent_at              BIGINT,
    code_expires_at           BIGINT,
    code_attempts             BIGINT NOT NULL DEFAULT 0,
    codes_sent                BIGINT NOT NULL DEFAULT 0,
    code_requests             TEXT NOT NULL DEFAULT '[]',
    register_calls            TEXT NOT NULL DEFAULT '[]',
    deregister_calls          TEXT NOT NULL DEFAULT '[]',
    blocked_until             BIGINT,
    data_localization_region  TEXT,
    registered_at             BIGINT,
    new_display_name          TEXT,
    new_name_status           TEXT CHECK (new_name_status IN ('PENDING_REVIEW', 'APPROVED', 'DECLINED')),
    name_requested_at         BIGINT,
    name_decided_at           BIGINT,
    updated_at                BIGINT NOT NULL,
    CHECK ((pin_salt IS NULL) = (pin_hash IS NULL)),
    CHECK ((code IS NULL) = (code_expires_at IS NULL)),
    CHECK ((new_display_name IS NULL) = (new_name_status IS NULL))
);

CREATE INDEX phone_registrations_by_account ON phone_registrations (account_id);
