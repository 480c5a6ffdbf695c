-- Message counters gain the template's language (Meta's template analytics are per template
-- id, i.e. name and language), `replied` (inbound messages quoting a business message,
-- counted on the quoted message's row) and `charged` (messages charged, beside their cost).
-- Rows written before this migration keep an empty language and no replies or charges
-- counted. Mirrored by name in store-sqlite/migrations.

ALTER TABLE message_counters
    ADD COLUMN language TEXT NOT NULL DEFAULT '',
    ADD COLUMN replied BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN charged BIGINT NOT NULL DEFAULT 0;

-- Keyed by account and half-hour first: a query's range is one index range.
ALTER TABLE message_counters
    DROP CONSTRAINT message_counters_pkey,
    ADD PRIMARY KEY (account_id, bucket, channel_id, direction, category, country, template,
                     language);

DROP INDEX message_counters_by_account;
