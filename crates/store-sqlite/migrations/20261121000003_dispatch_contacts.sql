-- Dispatch, ingest and contacts. Mirrored by name in store-postgres/migrations.

-- What the upstream reported about the message, and how many times it was handed over
-- (the simulated network counts hand-overs so tests can prove there is never a second).
ALTER TABLE messages ADD COLUMN conversation TEXT;
ALTER TABLE messages ADD COLUMN pricing TEXT;
ALTER TABLE messages ADD COLUMN handovers INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN profile_name TEXT;

CREATE INDEX messages_by_channel_contact ON messages (channel_id, wa_id, id);

-- The last transient error, so an operator can see why a message is waiting.
ALTER TABLE outbox ADD COLUMN last_error TEXT;
-- Head-of-line per recipient: only the oldest entry of a recipient may leave.
CREATE INDEX outbox_by_recipient ON outbox (channel_id, recipient_key, message_id);
CREATE INDEX outbox_due ON outbox (available_at, message_id);

-- A WhatsApp user as seen by one channel.
CREATE TABLE contacts (
    id                    BLOB PRIMARY KEY NOT NULL,
    account_id            BLOB NOT NULL REFERENCES accounts (id),
    channel_id            BLOB NOT NULL REFERENCES channels (id),
    wa_id                 TEXT,
    bsuid                 TEXT,
    profile_name          TEXT,
    first_message_at      INTEGER,
    last_message_at       INTEGER,
    last_inbound_at       INTEGER,
    blocked_at            INTEGER,
    marketing_opt_out_at  INTEGER,
    created_at            INTEGER NOT NULL
) STRICT;

CREATE UNIQUE INDEX contacts_by_wa_id ON contacts (channel_id, wa_id) WHERE wa_id IS NOT NULL;
CREATE UNIQUE INDEX contacts_by_bsuid ON contacts (channel_id, bsuid) WHERE bsuid IS NOT NULL;

-- What the upstream will report, and when: statuses and replies the simulated network
-- scheduled at hand-over, written in the same transaction as the `sent` transition.
CREATE TABLE network_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    channel_id  BLOB NOT NULL REFERENCES channels (id),
    due_at      INTEGER NOT NULL,
    event       TEXT NOT NULL
) STRICT;

CREATE INDEX network_events_due ON network_events (due_at, id);
