-- Idempotency keys (Idempotency-Key on creating POSTs): one row per key of one API key of one
-- account. While the request runs, status is NULL and holder/lease_until say who runs it and
-- until when; once it finished, status, content_type and body are its answer, replayed to
-- retries. Rows live 24 h from created_at; the collector deletes them after that.
CREATE TABLE idempotency_keys (
    account_id   UUID NOT NULL,
    api_key_id   UUID NOT NULL,
    key          TEXT COLLATE "C" NOT NULL,
    request_hash BYTEA NOT NULL,
    holder       UUID NOT NULL,
    lease_until  BIGINT NOT NULL,
    status       INTEGER,
    content_type TEXT,
    body         BYTEA,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (account_id, api_key_id, key)
);

-- What the collector deletes first.
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
