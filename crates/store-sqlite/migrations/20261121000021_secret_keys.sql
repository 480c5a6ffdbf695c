-- Data keys that seal secrets at rest (wagate_store::sealing), each wrapped by the master
-- key, which is never stored here.
CREATE TABLE secret_keys (
    id          TEXT PRIMARY KEY,
    wrapped     TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
