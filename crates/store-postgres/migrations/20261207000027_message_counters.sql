-- Message analytics as counters: one row per channel, half-hour and dimensions, added to in
-- the transaction of each status change, received message and charge. Mirrored by name in
-- store-sqlite/migrations.

CREATE TABLE message_counters (
    channel_id  UUID NOT NULL,
    bucket      BIGINT NOT NULL,
    direction   TEXT NOT NULL,
    category    TEXT NOT NULL,
    country     TEXT NOT NULL,
    template    TEXT NOT NULL,
    account_id  UUID NOT NULL,
    sent        BIGINT NOT NULL,
    delivered   BIGINT NOT NULL,
    read        BIGINT NOT NULL,
    failed      BIGINT NOT NULL,
    received    BIGINT NOT NULL,
    cost        BIGINT NOT NULL,
    PRIMARY KEY (channel_id, bucket, direction, category, country, template)
);

CREATE INDEX message_counters_by_account ON message_counters (account_id, bucket);
