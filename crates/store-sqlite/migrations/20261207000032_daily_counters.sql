-- Message counters summed by UTC day, kept beside the half-hour rows in the same statement
-- of each change: a long range reads a day's row for each whole UTC day inside one of its
-- periods and half-hours only at the periods' edges. Clustered by account and day, so a
-- range is one sequential read. Filled from the half-hour rows written so far.
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

INSERT INTO message_counters_daily
SELECT account_id, bucket - bucket % 86400000, channel_id, direction, category, country,
       template, language, SUM(sent), SUM(delivered), SUM(read), SUM(failed), SUM(received),
       SUM(replied), SUM(charged), SUM(cost)
FROM message_counters
GROUP BY account_id, bucket - bucket % 86400000, channel_id, direction, category, country,
         template, language;
