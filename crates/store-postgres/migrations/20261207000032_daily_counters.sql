-- Message counters summed by UTC day, kept beside the half-hour rows in the same statement
-- of each change: a long range reads a day's row for each whole UTC day inside one of its
-- periods and half-hours only at the periods' edges. Filled from the half-hour rows written
-- so far. Mirrored by name in store-sqlite/migrations.

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

INSERT INTO message_counters_daily
SELECT account_id, bucket - bucket % 86400000, channel_id, direction, category, country,
       template, language, SUM(sent), SUM(delivered), SUM(read), SUM(failed), SUM(received),
       SUM(replied), SUM(charged), SUM(cost)
FROM message_counters
GROUP BY account_id, bucket - bucket % 86400000, channel_id, direction, category, country,
         template, language;
