-- Messages and the outbox. A message and its outbox row are written in one transaction;
-- the dispatcher drains the outbox. Mirrored by name in store-postgres/migrations.

CREATE TABLE messages (
    id                        BLOB PRIMARY KEY NOT NULL,
    wamid                     TEXT NOT NULL UNIQUE,
    account_id                BLOB NOT NULL REFERENCES accounts (id),
    channel_id                BLOB NOT NULL REFERENCES channels (id),
    direction                 TEXT NOT NULL CHECK (direction IN ('outbound', 'inbound')),
    wa_id                     TEXT,
    bsuid                     TEXT,
    type                      TEXT NOT NULL,
    content                   TEXT NOT NULL,
    status                    TEXT NOT NULL,
    context_wamid             TEXT,
    biz_opaque_callback_data  TEXT,
    error                     TEXT,
    created_at                INTEGER NOT NULL,
    sent_at                   INTEGER,
    delivered_at              INTEGER,
    read_at                   INTEGER,
    failed_at                 INTEGER
) STRICT;

CREATE INDEX messages_by_account ON messages (account_id, id);
CREATE INDEX messages_by_channel ON messages (channel_id, id);

CREATE TABLE outbox (
    message_id     BLOB PRIMARY KEY NOT NULL REFERENCES messages (id),
    channel_id     BLOB NOT NULL REFERENCES channels (id),
    -- wa_id or BSUID: messages to one recipient leave in order.
    recipient_key  TEXT NOT NULL,
    available_at   INTEGER NOT NULL,
    attempts       INTEGER NOT NULL DEFAULT 0,
    lease_until    INTEGER
) STRICT;

CREATE INDEX outbox_by_channel ON outbox (channel_id, available_at, message_id);
