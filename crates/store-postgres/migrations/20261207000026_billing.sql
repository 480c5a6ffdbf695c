-- Money: each account's wallet, its append-only ledger, the charge fixed on each billable
-- message, and rate cards (the operator's default, `scope` = 'default', and per-account
-- ones, `scope` = the account id). Mirrored by name in store-sqlite/migrations.

CREATE TABLE wallets (
    account_id            UUID PRIMARY KEY REFERENCES accounts (id),
    kind                  TEXT NOT NULL,
    currency              TEXT NOT NULL,
    mode                  TEXT NOT NULL,
    credit_limit          BIGINT,
    low_balance_threshold BIGINT,
    markup_bps            BIGINT NOT NULL,
    quota_expires_at      BIGINT,
    daily_limit           BIGINT,
    daily_used            BIGINT NOT NULL,
    daily_date            TEXT,
    balance               BIGINT NOT NULL,
    backup_balance        BIGINT NOT NULL,
    held                  BIGINT NOT NULL,
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL
);

CREATE TABLE wallet_ledger (
    id          UUID PRIMARY KEY,
    account_id  UUID NOT NULL REFERENCES accounts (id),
    pool        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    amount      BIGINT NOT NULL,
    message_id  UUID,
    reference   TEXT,
    reason      TEXT,
    created_at  BIGINT NOT NULL
);

CREATE INDEX wallet_ledger_by_account ON wallet_ledger (account_id, id);

CREATE TABLE message_charges (
    message_id  UUID PRIMARY KEY,
    account_id  UUID NOT NULL REFERENCES accounts (id),
    category    TEXT NOT NULL,
    market      TEXT NOT NULL,
    currency    TEXT NOT NULL,
    price       BIGINT NOT NULL,
    pool        TEXT NOT NULL,
    amount      BIGINT NOT NULL,
    state       TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    settled_at  BIGINT
);

CREATE TABLE rate_cards (
    scope       TEXT PRIMARY KEY NOT NULL,
    card        JSONB NOT NULL,
    updated_at  BIGINT NOT NULL
);
