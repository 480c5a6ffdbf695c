-- Campaigns: one approved template sent to an audience, paced, with each recipient's
-- message kept beside it. `fed_through` is the row up to which every recipient has its
-- message or was skipped: the dispatch worker turns the rows after it into messages, in the
-- transaction that moves it, so a crash leaves each recipient either with exactly one
-- message or with none yet. A message a campaign sent names it (`messages.campaign_id`), and
-- its progress is counted per half-hour, category and country in `campaign_counters`, in
-- the statement that counts the account's analytics.
-- Mirrored by name in store-sqlite/migrations.

CREATE TABLE campaigns (
    id                 UUID PRIMARY KEY,
    account_id         UUID NOT NULL REFERENCES accounts (id),
    name               TEXT NOT NULL,
    name_key           TEXT NOT NULL,
    kind               TEXT NOT NULL,
    channel_id         UUID NOT NULL REFERENCES channels (id),
    template_name      TEXT NOT NULL,
    template_language  TEXT NOT NULL,
    params             JSONB NOT NULL,
    status             TEXT NOT NULL,
    pause_reason       TEXT,
    failure            TEXT,
    rate               BIGINT,
    allow_partial      BOOLEAN NOT NULL,
    scheduled_at       BIGINT,
    timezone           TEXT,
    audience_status    TEXT NOT NULL,
    audience_load      JSONB,
    audience_failure   TEXT,
    lease_owner        TEXT,
    lease_until        BIGINT,
    recipients         BIGINT NOT NULL,
    queued             BIGINT NOT NULL,
    skipped            JSONB NOT NULL,
    fed_through        BIGINT NOT NULL,
    next_row           BIGINT NOT NULL,
    progress_step      BIGINT NOT NULL,
    paced_until        BIGINT NOT NULL,
    estimate           JSONB,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    started_at         BIGINT,
    finished_at        BIGINT
);

CREATE UNIQUE INDEX campaigns_name ON campaigns (account_id, name_key);
CREATE INDEX campaigns_active ON campaigns (status)
    WHERE status IN ('scheduled', 'running', 'paused') OR audience_status = 'loading';

CREATE TABLE campaign_recipients (
    campaign_id  UUID NOT NULL,
    row_number   BIGINT NOT NULL,
    wa_id        TEXT NOT NULL,
    country      TEXT NOT NULL,
    data         JSONB,
    skip         TEXT,
    message_id   UUID,
    replied_at   BIGINT,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, row_number)
);

CREATE UNIQUE INDEX campaign_recipients_number ON campaign_recipients (campaign_id, wa_id);

CREATE TABLE campaign_errors (
    campaign_id  UUID NOT NULL,
    row_number   BIGINT NOT NULL,
    column_name  TEXT NOT NULL,
    reason       TEXT NOT NULL,
    PRIMARY KEY (campaign_id, row_number)
);

CREATE TABLE campaign_counters (
    campaign_id  UUID NOT NULL,
    bucket       BIGINT NOT NULL,
    category     TEXT NOT NULL,
    country      TEXT NOT NULL,
    sent         BIGINT NOT NULL,
    delivered    BIGINT NOT NULL,
    read         BIGINT NOT NULL,
    failed       BIGINT NOT NULL,
    replied      BIGINT NOT NULL,
    charged      BIGINT NOT NULL,
    cost         BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, bucket, category, country)
);

ALTER TABLE messages ADD COLUMN campaign_id UUID;
