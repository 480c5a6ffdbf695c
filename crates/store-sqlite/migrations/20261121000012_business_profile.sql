-- Business profiles on the Cloud plane (whatsapp_business_profile, whatsapp_commerce_settings)
-- and WABAs' subscribed apps. Mirrored by name in store-postgres/migrations.
--
-- A profile's text fields stay in channels.profile, where the management plane reads and
-- edits them too. This table keeps what the Cloud plane adds, one row per channel once
-- something was written (no row: no picture, cart enabled, catalog visible): the picture, as
-- a media id of its own (a copy of the uploaded file's row, sharing its bytes, that lives
-- while it is the picture and is marked deleted in the transaction that replaces it), and
-- the commerce settings.
CREATE TABLE business_profiles (
    channel_id          BLOB PRIMARY KEY NOT NULL REFERENCES channels (id),
    account_id          BLOB NOT NULL REFERENCES accounts (id),
    picture_media_id    TEXT,
    is_cart_enabled     INTEGER NOT NULL CHECK (is_cart_enabled IN (0, 1)),
    is_catalog_visible  INTEGER NOT NULL CHECK (is_catalog_visible IN (0, 1)),
    updated_at          INTEGER NOT NULL
) STRICT;

-- The picture's public URL names its media id.
CREATE UNIQUE INDEX business_profiles_by_picture ON business_profiles (picture_media_id)
    WHERE picture_media_id IS NOT NULL;

-- A WABA's subscribed app (POST /{waba_id}/subscribed_apps) and its alternate callback: the
-- URL, and the webhook subscriptions (a JSON array of ids, one per channel of the WABA) that
-- deliver the WABA's events there.
CREATE TABLE waba_subscribed_apps (
    account_id                 BLOB NOT NULL REFERENCES accounts (id),
    waba_id                    TEXT NOT NULL,
    override_callback_uri      TEXT,
    override_subscription_ids  TEXT NOT NULL,
    subscribed_at              INTEGER NOT NULL,
    updated_at                 INTEGER NOT NULL,
    PRIMARY KEY (account_id, waba_id)
) STRICT;
