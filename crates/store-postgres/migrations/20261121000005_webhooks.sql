-- Webhooks: subscriptions, the events they are sent, and one delivery per (event,
-- subscription) with its attempts. Mirrored by name in store-sqlite/migrations.

CREATE TABLE webhook_subscriptions (
    id            UUID PRIMARY KEY,
    account_id    UUID NOT NULL REFERENCES accounts (id),
    channel_id    UUID REFERENCES channels (id),
    url           TEXT NOT NULL,
    secret        TEXT NOT NULL,
    verify_token  TEXT NOT NULL,
    -- ',messages,statuses,': each field between commas.
    fields        TEXT NOT NULL,
    format        TEXT NOT NULL,
    batch_size    BIGINT NOT NULL,
    enabled       BOOLEAN NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

CREATE INDEX webhook_subscriptions_by_account ON webhook_subscriptions (account_id, id);

CREATE TABLE webhook_events (
    id           UUID PRIMARY KEY,
    account_id   UUID NOT NULL REFERENCES accounts (id),
    channel_id   UUID,
    message_id   UUID,
    field        TEXT NOT NULL,
    occurred_at  BIGINT NOT NULL,
    data         JSONB NOT NULL
);

CREATE INDEX webhook_events_by_message ON webhook_events (message_id) WHERE message_id IS NOT NULL;

CREATE TABLE webhook_deliveries (
    -- Insertion order: one message's deliveries go out in this order.
    seq               BIGSERIAL PRIMARY KEY,
    id                UUID NOT NULL UNIQUE,
    subscription_id   UUID NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    event_id          UUID NOT NULL REFERENCES webhook_events (id),
    message_id        UUID,
    state             TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts          BIGINT NOT NULL DEFAULT 0,
    created_at        BIGINT NOT NULL,
    next_attempt_at   BIGINT,
    lease_until       BIGINT,
    last_attempt_at   BIGINT,
    last_status_code  BIGINT,
    last_error        TEXT,
    last_latency_ms   BIGINT,
    delivered_at      BIGINT,
    body_excerpt      TEXT
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, subscription_id, next_attempt_at);
CREATE INDEX webhook_deliveries_by_message ON webhook_deliveries (subscription_id, message_id, seq)
    WHERE message_id IS NOT NULL;
CREATE INDEX webhook_deliveries_by_event ON webhook_deliveries (event_id);
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (subscription_id, seq);
