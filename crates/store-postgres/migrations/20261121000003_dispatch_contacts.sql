-- Dispatch, ingest and contacts. Mirrored by name in store-sqlite/migrations.

ALTER TABLE messages ADD COLUMN conversation JSONB;
ALTER TABLE messages ADD COLUMN pricing JSONB;
ALTER TABLE messages ADD COLUMN handovers BIGINT NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN profile_name TEXT;

CREATE INDEX messages_by_channel_contact ON messages (channel_id, wa_id, id);

ALTER TABLE outbox ADD COLUMN last_error JSONB;
CREATE INDEX outbox_by_recipient ON outbox (channel_id, recipient_key, message_id);
CREATE INDEX outbox_due ON outbox (available_at, message_id);

CREATE TABLE contacts (
    id                    UUID PRIMARY KEY,
    account_id            UUID NOT NULL REFERENCES accounts (id),
    channel_id            UUID NOT NULL REFERENCES channels (id),
    wa_id                 TEXT,
    bsuid                 TEXT,
    profile_name          TEXT,
    first_message_at      BIGINT,
    last_message_at       BIGINT,
    last_inbound_at       BIGINT,
    blocked_at            BIGINT,
    marketing_opt_out_at  BIGINT,
    created_at            BIGINT NOT NULL
);

CREATE UNIQUE INDEX contacts_by_wa_id ON contacts (channel_id, wa_id) WHERE wa_id IS NOT NULL;
CREATE UNIQUE INDEX contacts_by_bsuid ON contacts (channel_id, bsuid) WHERE bsuid IS NOT NULL;

CREATE TABLE network_events (
    id          BIGSERIAL PRIMARY KEY,
    channel_id  UUID NOT NULL REFERENCES channels (id),
    due_at      BIGINT NOT NULL,
    event       JSONB NOT NULL
);

CREATE INDEX network_events_due ON network_events (due_at, id);
