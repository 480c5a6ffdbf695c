-- WhatsApp Flows (Meta's Flows API), each owned by one WABA of one account. The Flow JSON is
-- kept as uploaded (its validation errors name lines and columns of this text), with the
-- errors found in it (a JSON array). A flow's name is unique in its WABA.
CREATE TABLE flows (
    id                TEXT NOT NULL PRIMARY KEY,
    account_id        BLOB NOT NULL REFERENCES accounts (id),
    waba_id           TEXT NOT NULL,
    name              TEXT NOT NULL,
    categories        TEXT NOT NULL,
    status            TEXT NOT NULL,
    endpoint_uri      TEXT,
    flow_json         TEXT NOT NULL,
    validation_errors TEXT NOT NULL,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
) STRICT;

-- A WABA's flows in id order (the list's keyset), and its names, each once.
CREATE INDEX flows_by_waba ON flows (account_id, waba_id, id);
CREATE UNIQUE INDEX flows_name ON flows (account_id, waba_id, name);
