-- Message counters summed by day in the account's time zone, kept beside the half-hour rows
-- in the statement of each change: a day or month query reads a row per whole day and
-- half-hours only where the range cuts a day. `day` is the local midnight (Unix ms) of the
-- day the half-hour starts in. `accounts.counters_timezone` is the zone they are in: NULL
-- until they are first built (from the half-hour rows, the first time a query needs them),
-- and rebuilt when a query finds the account in another zone.
-- Mirrored by name in store-postgres/migrations.

CREATE TABLE message_counters_daily (
    account_id  BLOB NOT NULL,
    day         INTEGER NOT NULL,
    channel_id  BLOB NOT NULL,
    direction   TEXT NOT NULL,
    category    TEXT NOT NULL,
    country     TEXT NOT NULL,
    template    TEXT NOT NULL,
    language    TEXT NOT NULL,
    sent        INTEGER NOT NULL,
    delivered   INTEGER NOT NULL,
    read        INTEGER NOT NULL,
    failed      INTEGER NOT NULL,
    received    INTEGER NOT NULL,
    replied     INTEGER NOT NULL,
    charged     INTEGER NOT NULL,
    cost        INTEGER NOT NULL,
    PRIMARY KEY (account_id, day, channel_id, direction, category, country, template, language)
) STRICT, WITHOUT ROWID;

ALTER TABLE accounts ADD COLUMN counters_timezone TEXT;
