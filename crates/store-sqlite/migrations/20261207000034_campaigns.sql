-- Campaigns: one approved template sent to an audience, paced, with each recipient's
-- message kept beside it. `fed_through` is the row up to which every recipient has its
-- message or was skipped: the dispatch worker turns the rows after it into messages, in the
-- transaction that moves it, so a crash leaves each recipient either with exactly one
-- message or with none yet. A message a campaign sent names it (`messages.campaign_id`), and
-- its progress is counted per half-hour, category and country in `campaign_counters`, in
-- the statement that counts the account's analytics.
-- Mirrored by name in store-postgres/migrations.

CREATE TABLE campaigns (
    id                 BLOB PRIMARY KEY NOT NULL,
    account_id         BLOB NOT NULL REFERENCES accounts (id),
    name               TEXT NOT NULL,
    name_key           TEXT NOT NULL,
    kind               TEXT NOT NULL,
    channel_id         BLOB NOT NULL REFERENCES channels (id),
    template_name      TEXT NOT NULL,
    template_language  TEXT NOT NULL,
    params             TEXT NOT NULL,
    status             TEXT NOT NULL,
    pause_reason       TEXT,
    failure            TEXT,
    rate               INTEGER,
    allow_partial      INTEGER NOT NULL,
    scheduled_at       INTEGER,
    timezone           TEXT,
    audience_status    TEXT NOT NULL,
    audience_load      TEXT,
    audience_failure   TEXT,
    lease_owner        TEXT,
    lease_until        INTEGER,
    recipients         INTEGER NOT NULL,
    queued             INTEGER NOT NULL,
    skipped            TEXT NOT NULL,
    fed_through        INTEGER NOT NULL,
    next_row           INTEGER NOT NULL,
    progress_step      INTEGER NOT NULL,
    paced_until        INTEGER NOT NULL,
    estimate           TEXT,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    started_at         INTEGER,
    finished_at        INTEGER
) STRICT;

CREATE UNIQUE INDEX campaigns_name ON campaigns (account_id, name_key);
CREATE INDEX campaigns_active ON campaigns (status)
    WHERE status IN ('scheduled', 'running', 'paused') OR audience_status = 'loading';

CREATE TABLE campaign_recipients (
    campaign_id  BLOB NOT NULL,
    row_number   INTEGER NOT NULL,
    wa_id        TEXT NOT NULL,
    country      TEXT NOT NULL,
    data         TEXT,
    skip         TEXT,
    message_id   BLOB,
    replied_at   INTEGER,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, row_number)
) STRICT, WITHOUT ROWID;

CREATE UNIQUE INDEX campaign_recipients_number ON campaign_recipients (campaign_id, wa_id);

CREATE TABLE campaign_errors (
    campaign_id  BLOB NOT NULL,
    row_number   INTEGER NOT NULL,
    column_name  TEXT NOT NULL,
    reason       TEXT NOT NULL,
    PRIMARY KEY (campaign_id, row_number)
) STRICT, WITHOUT ROWID;

CREATE TABLE campaign_counters (
    campaign_id  BLOB NOT NULL,
    bucket       INTEGER NOT NULL,
    category     TEXT NOT NULL,
    country      TEXT NOT NULL,
    sent         INTEGER NOT NULL,
    delivered    INTEGER NOT NULL,
    read         INTEGER NOT NULL,
    failed       INTEGER NOT NULL,
    replied      INTEGER NOT NULL,
    charged      INTEGER NOT NULL,
    cost         INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, bucket, category, country)
) STRICT, WITHOUT ROWID;

ALTER TABLE messages ADD COLUMN campaign_id BLOB;
