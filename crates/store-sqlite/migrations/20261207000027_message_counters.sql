-- Message analytics as counters: one row per channel, half-hour and dimensions, added to in
-- the transaction of each status change, received message and charge. Mirrored by name in
-- store-postgres/migrations.

CREATE TABLE message_counters (
    channel_id  BLOB NOT NULL,
    bucket      INTEGER NOT NULL,
    direction   TEXT NOT NULL,
    category    TEXT NOT NULL,
    country     TEXT NOT NULL,
    template    TEXT NOT NULL,
    account_id  BLOB NOT NULL,
    sent        INTEGER NOT NULL,
    delivered   INTEGER NOT NULL,
    read        INTEGER NOT NULL,
    failed      INTEGER NOT NULL,
    received    INTEGER NOT NULL,
    cost        INTEGER NOT NULL,
    PRIMARY KEY (channel_id, bucket, direction, category, country, template)
) STRICT;

CREATE INDEX message_counters_by_account ON message_counters (account_id, bucket);
