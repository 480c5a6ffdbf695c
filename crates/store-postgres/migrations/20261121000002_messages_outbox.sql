-- Messages and the outbox. A message and its outbox row are written in one transaction;
-- the dispatcher drains the outbox. Mirrored by name in store-sqlite/migrations.

CREATE TABLE messages (
    id                        UUID PRIMARY KEY,
    wamid                     TEXT NOT NULL UNIQUE,
    account_id                UUID NOT NULL REFERENCES accounts (id),
    channel_id                UUID NOT NULL REFERENCES channels (id),
    direction                 TEXT NOT NULL CHECK (direction IN ('outbound', 'inbound')),
    wa_id                     TEXT,
    bsuid                     TEXT,
    type                      TEXT NOT NULL,
    content                   JSONB NOT NULL,
    status                    TEXT NOT NULL,
    context_wamid             TEXT,
    biz_opaque_callback_data  TEXT,
    error                     JSONB,
    created_at                BIGINT NOT NULL,
    sent_at                   BIGINT,
    delivered_at              BIGINT,
    read_at                   BIGINT,
    failed_at                 BIGINT
);

CREATE INDEX messages_by_account ON messages (account_id, id);
CREATE INDEX messages_by_channel ON messages (channel_id, id);

CREATE TABLE outbox (
    message_id     UUID PRIMARY KEY REFERENCES messages (id),
    channel_id     UUID NOT NULL REFERENCES channels (id),
    -- wa_id or BSUID: messages to one recipient leave in order.
    recipient_key  TEXT NOT NULL,
    available_at   BIGINT NOT NULL,
    attempts       BIGINT NOT NULL DEFAULT 0,
    lease_until    BIGINT
);

CREATE INDEX outbox_by_channel ON outbox (channel_id, available_at, message_id);
