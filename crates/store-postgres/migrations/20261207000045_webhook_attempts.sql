-- Every attempt of a webhook delivery (the delivery row keeps only the last one's): when,
-- the receiver's status code, how long it took, what came of it, the error and the first
-- bytes of the answer. Removed with its delivery. Mirrored by name in store-sqlite.
CREATE TABLE webhook_attempts (
    id            UUID PRIMARY KEY NOT NULL,
    delivery_id   UUID NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempted_at  BIGINT NOT NULL,
    status_code   BIGINT,
    latency_ms    BIGINT NOT NULL,
    -- delivered, retry or dead
    outcome       TEXT NOT NULL,
    error         TEXT,
    body_excerpt  TEXT
);

CREATE INDEX webhook_attempts_by_delivery ON webhook_attempts (delivery_id, attempted_at);
