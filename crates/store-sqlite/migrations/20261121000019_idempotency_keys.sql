-- Idempotency keys (Idempotency-Key on creating POSTs): one row per key of one API key of one
-- account. While the request runs, status is NULL and holder/lease_until say who runs it and
-- until when; once it finished, status, content_type and body are its answer, replayed to
-- retries. Rows live 24 h from created_at; the collector deletes them after that.
CREATE TABLE idempotency_keys (
    account_id   BLOB NOT NULL,
    api_key_id   BLOB NOT NULL,
    key          TEXT NOT NULL,
    request_hash BLOB NOT NULL,
    holder       BLOB NOT NULL,
    lease_until  INTEGER NOT NULL,
    status       INTEGER,
    content_type TEXT,
    body         BLOB,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (account_id, api_key_id, key)
) STRICT;

-- What the collector deletes first.
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
