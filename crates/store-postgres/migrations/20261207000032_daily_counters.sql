-- Message counters summed by day in the account's time zone, kept beside the half-hour rows
-- in the statement of each change: a day or month query reads a row per whole day and
-- half-hours only where the range cuts a day. `day` is the local midnight (Unix ms) of the
-- day the half-hour starts in. `accounts.counters_timezone` is the zone they are in: NULL
-- until they are first built (from the half-hour rows, the first time a query needs them),
-- and rebuilt when a query finds the account in another zone.
-- Mirrored by name in store-sqlite/migrations.

CREATE TABLE message_counters_daily (
    account_id  UUID NOT NULL,
    day         BIGINT NOT NULL,
    channel_id  UUID NOT NULL,
    direction   TEXT NOT NULL,
    category    TEXT NOT NULL,
    country     TEXT NOT NULL,
    template    TEXT NOT NULL,
    language    TEXT NOT NULL,
    sent        BIGINT NOT NULL,
    delivered   BIGINT NOT NULL,
    read        BIGINT NOT NULL,
    failed      BIGINT NOT NULL,
    received    BIGINT NOT NULL,
    replied     BIGINT NOT NULL,
    charged     BIGINT NOT NULL,
    cost        BIGINT NOT NULL,
    PRIMARY KEY (account_id, day, channel_id, direction, category, country, template, language)
);

ALTER TABLE accounts ADD COLUMN counters_timezone TEXT;
