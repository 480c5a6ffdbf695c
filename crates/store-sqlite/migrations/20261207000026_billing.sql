-- Money: each account's wallet, its append-only ledger, the charge fixed on each billable
-- message, and rate cards (the operator's default, `scope` = 'default', and per-account
-- ones, `scope` = the account id). Mirrored by name in store-postgres/migrations.

CREATE TABLE wallets (
    account_id            BLOB PRIMARY KEY NOT NULL REFERENCES accounts (id),
    kind                  TEXT NOT NULL,
    currency              TEXT NOT NULL,
    mode                  TEXT NOT NULL,
    credit_limit          INTEGER,
    low_balance_threshold INTEGER,
    markup_bps            INTEGER NOT NULL,
    quota_expires_at      INTEGER,
    daily_limit           INTEGER,
    daily_used            INTEGER NOT NULL,
    daily_date            TEXT,
    balance               INTEGER NOT NULL,
    backup_balance        INTEGER NOT NULL,
    held                  INTEGER NOT NULL,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL
) STRICT;

CREATE TABLE wallet_ledger (
    id          BLOB PRIMARY KEY NOT NULL,
    account_id  BLOB NOT NULL REFERENCES accounts (id),
    pool        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    amount      INTEGER NOT NULL,
    message_id  BLOB,
    reference   TEXT,
    reason      TEXT,
    created_at  INTEGER NOT NULL
) STRICT;

CREATE INDEX wallet_ledger_by_account ON wallet_ledger (account_id, id);

CREATE TABLE message_charges (
    message_id  BLOB PRIMARY KEY NOT NULL,
    account_id  BLOB NOT NULL REFERENCES accounts (id),
    category    TEXT NOT NULL,
    market      TEXT NOT NULL,
    currency    TEXT NOT NULL,
    price       INTEGER NOT NULL,
    pool        TEXT NOT NULL,
    amount      INTEGER NOT NULL,
    state       TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    settled_at  INTEGER
) STRICT;

CREATE TABLE rate_cards (
    scope       TEXT PRIMARY KEY NOT NULL,
    card        TEXT NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;
