-- Reports (issue 19): the account's time zone, per-channel message numbers and each
-- message's status history. Mirrored by name in store-sqlite/migrations.
--
-- accounts.timezone: the IANA zone report dates (`from=2026-12-07`) are read in.
ALTER TABLE accounts ADD COLUMN timezone TEXT NOT NULL DEFAULT 'UTC';

-- messages.number: the message's place among its channel's messages (inbound and outbound),
-- 1, 2, 3… in the order they were stored: gap-free, never reused. Taken from
-- channel_counters in the transaction that stores the message (PostgreSQL: the counter's
-- row lock orders concurrent stores across nodes; SQLite: its one writer does). Existing
-- messages are numbered in created order.
ALTER TABLE messages ADD COLUMN number BIGINT NOT NULL DEFAULT 0;
UPDATE messages SET number = n.rn
  FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY channel_id ORDER BY created_at, id) AS rn
        FROM messages) AS n
  WHERE messages.id = n.id;
CREATE UNIQUE INDEX messages_by_channel_number ON messages (channel_id, number);

-- The last number each channel gave out (a narrow row of its own, so taking numbers never
-- rewrites the channel's wide row).
CREATE TABLE channel_counters (
    channel_id   UUID PRIMARY KEY REFERENCES channels (id),
    last_number  BIGINT NOT NULL
);
INSERT INTO channel_counters (channel_id, last_number)
  SELECT channel_id, MAX(number) FROM messages GROUP BY channel_id;

-- Each status a message moved to after its first (`accepted` or `received`, which is the
-- message row's own `created_at`), written in the transaction of the change, with what the
-- message carried then. A message reaches each status at most once.
CREATE TABLE message_statuses (
    message_id    UUID NOT NULL REFERENCES messages (id),
    status        TEXT NOT NULL,
    at            BIGINT NOT NULL,
    error         JSONB,
    pricing       JSONB,
    conversation  JSONB,
    PRIMARY KEY (message_id, status)
);
INSERT INTO message_statuses (message_id, status, at, error, pricing, conversation)
  SELECT id, 'sent', sent_at, NULL, pricing, conversation FROM messages
  WHERE direction = 'outbound' AND sent_at IS NOT NULL;
INSERT INTO message_statuses (message_id, status, at, error, pricing, conversation)
  SELECT id, 'delivered', delivered_at, NULL, pricing, conversation FROM messages
  WHERE direction = 'outbound' AND delivered_at IS NOT NULL;
INSERT INTO message_statuses (message_id, status, at, error, pricing, conversation)
  SELECT id, 'read', read_at, NULL, pricing, conversation FROM messages
  WHERE direction = 'outbound' AND read_at IS NOT NULL;
INSERT INTO message_statuses (message_id, status, at, error, pricing, conversation)
  SELECT id, 'failed', failed_at, error, pricing, conversation FROM messages
  WHERE direction = 'outbound' AND failed_at IS NOT NULL;
