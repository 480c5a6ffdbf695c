-- Message counters gain the template's language (Meta's template analytics are per template
-- id, i.e. name and language), `replied` (inbound messages quoting a business message,
-- counted on the quoted message's row) and `charged` (messages charged, beside their cost).
-- SQLite cannot change a primary key in place: the table is rebuilt, clustered by account
-- and half-hour (a query's range is one sequential read). Rows written before this
-- migration keep an empty language and no replies or charges counted.
-- Mirrored by name in store-postgres/migrations.

CREATE TABLE message_counters_v2 (
    channel_id  BLOB NOT NULL,
    bucket      INTEGER NOT NULL,
    direction   TEXT NOT NULL,
    category    TEXT NOT NULL,
    country     TEXT NOT NULL,
    template    TEXT NOT NULL,
    language    TEXT NOT NULL,
    account_id  BLOB NOT NULL,
    sent        INTEGER NOT NULL,
    delivered   INTEGER NOT NULL,
    read        INTEGER NOT NULL,
    failed      INTEGER NOT NULL,
    received    INTEGER NOT NULL,
    replied     INTEGER NOT NULL,
    charged     INTEGER NOT NULL,
    cost        INTEGER NOT NULL,
    PRIMARY KEY (account_id, bucket, channel_id, direction, category, country, template,
                 language)
) STRICT, WITHOUT ROWID;

INSERT INTO message_counters_v2 (channel_id, bucket, direction, category, country, template,
    language, account_id, sent, delivered, read, failed, received, replied, charged, cost)
SELECT channel_id, bucket, direction, category, country, template, '', account_id, sent,
       delivered, read, failed, received, 0, 0, cost
FROM message_counters;

DROP TABLE message_counters;
ALTER TABLE message_counters_v2 RENAME TO message_counters;
