-- The ledger and the charges, written for every billable message, as clustered tables: the
-- ledger by account and entry (ids are time-ordered: an entry is an append to its account),
-- a charge by its message. One b-tree each instead of a table and its indexes.
-- Mirrored by name in store-postgres/migrations.

CREATE TABLE wallet_ledger_v2 (
    account_id  BLOB NOT NULL REFERENCES accounts (id),
    id          BLOB NOT NULL,
    pool        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    amount      INTEGER NOT NULL,
    message_id  BLOB,
    reference   TEXT,
    reason      TEXT,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (account_id, id)
) STRICT, WITHOUT ROWID;

INSERT INTO wallet_ledger_v2 (account_id, id, pool, kind, amount, message_id, reference, reason,
    created_at)
SELECT account_id, id, pool, kind, amount, message_id, reference, reason, created_at
FROM wallet_ledger;

DROP TABLE wallet_ledger;
ALTER TABLE wallet_ledger_v2 RENAME TO wallet_ledger;

CREATE TABLE message_charges_v2 (
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
) STRICT, WITHOUT ROWID;

INSERT INTO message_charges_v2 SELECT message_id, account_id, category, market, currency, price,
    pool, amount, state, created_at, settled_at FROM message_charges;

DROP TABLE message_charges;
ALTER TABLE message_charges_v2 RENAME TO message_charges;
