-- A phone number's settings (GET/POST /{phone_number_id}/settings: calling, storage
-- configuration, user identity change, fallback language…) and its conversational automation
-- (POST /{phone_number_id}/conversational_automation: welcome message, ice breakers,
-- commands), one row per channel once something was written (no row: the defaults). Both are
-- JSON objects, validated by the service before they are stored; an update replaces the
-- top-level keys it names. Mirrored by name in the other backend's migrations.
CREATE TABLE phone_settings (
    channel_id                 UUID PRIMARY KEY NOT NULL REFERENCES channels (id),
    account_id                 UUID NOT NULL REFERENCES accounts (id),
    settings                   TEXT NOT NULL,
    conversational_automation  TEXT NOT NULL,
    updated_at                 BIGINT NOT NULL
);
