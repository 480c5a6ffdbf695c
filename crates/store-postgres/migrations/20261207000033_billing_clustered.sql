-- The ledger keyed by account and entry (ids are time-ordered: an entry is an append to its
-- account): one index instead of two for every entry written. Mirrored by name in
-- store-sqlite/migrations (where the ledger and the charges become clustered tables).

ALTER TABLE wallet_ledger DROP CONSTRAINT wallet_ledger_pkey, ADD PRIMARY KEY (account_id, id);
DROP INDEX wallet_ledger_by_account;
