-- Webhooks: subscriptions, the events they are sent, and one delivery per (event,
-- subscription) with its attempts. Mirrored by name in store-postgres/migrations.

CREATE TABLE webhook_subscriptions (
    id            BLOB PRIMARY KEY NOT NULL,
    account_id    BLOB NOT NULL REFERENCES accounts (id),
    channel_id    BLOB REFERENCES channels (id),
    url           TEXT NOT NULL,
    secret        TEXT NOT NULL,
    verify_token  TEXT NOT NULL,
    -- ",messages,statuses,": each field between commas.
    fields        TEXT NOT NULL,
    format        TEXT NOT NULL,
    batch_size    INTEGER NOT NULL,
    enabled       INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
) STRICT;

CREATE INDEX webhook_subscriptions_by_account ON webhook_subscriptions (account_id, id);

CREATE TABLE webhook_events (
    id           BLOB PRIMARY KEY NOT NULL,
    account_id   BLOB NOT NULL REFERENCES accounts (id),
    channel_id   BLOB,
    message_id   BLOB,
    field        TEXT NOT NULL,
    occurred_at  INTEGER NOT NULL,
    data         TEXT NOT NULL
) STRICT;

CREATE INDEX webhook_events_by_message ON webhook_events (message_id) WHERE message_id IS NOT NULL;

CREATE TABLE webhook_deliveries (
    -- Insertion order: one message's deliveries go out in this order.
    seq               INTEGER PRIMARY KEY,
    id                BLOB NOT NULL UNIQUE,
    subscription_id   BLOB NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    event_id          BLOB NOT NULL REFERENCES webhook_events (id),
    message_id        BLOB,
    state             TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts          INTEGER NOT NULL DEFAULT 0,
    created_at        INTEGER NOT NULL,
    next_attempt_at   INTEGER,
    lease_until       INTEGER,
    last_attempt_at   INTEGER,
    last_status_code  INTEGER,
    last_error        TEXT,
    last_latency_ms   INTEGER,
    delivered_at      INTEGER,
    body_excerpt      TEXT
) STRICT;

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, subscription_id, next_attempt_at);
CREATE INDEX webhook_deliveries_by_message ON webhook_deliveries (subscription_id, message_id, seq)
    WHERE message_id IS NOT NULL;
CREATE INDEX webhook_deliveries_by_event ON webhook_deliveries (event_id);
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (subscription_id, seq);
