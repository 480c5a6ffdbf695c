-- Message templates, per WABA and language. A deleted template keeps its row (deleted_at),
-- so its name stays blocked for 30 days.
CREATE TABLE templates (
    seq                       BIGSERIAL PRIMARY KEY,
    id                        TEXT NOT NULL UNIQUE,
    account_id                UUID NOT NULL REFERENCES accounts (id),
    waba_id                   TEXT NOT NULL,
    name                      TEXT NOT NULL,
    language                  TEXT NOT NULL,
    category                  TEXT NOT NULL,
    parameter_format          TEXT NOT NULL,
    sub_category              TEXT,
    status                    TEXT NOT NULL,
    rejected_reason           TEXT,
    quality_score             TEXT,
    components                JSONB NOT NULL,
    message_send_ttl_seconds  BIGINT,
    created_at                BIGINT NOT NULL,
    updated_at                BIGINT NOT NULL,
    deleted_at                BIGINT
);

-- A name and language once among a WABA's live templates.
CREATE UNIQUE INDEX templates_live_name ON templates (waba_id, name, language)
    WHERE deleted_at IS NULL;
-- Lists, counts and quotas per WABA, in creation order.
CREATE INDEX templates_by_waba ON templates (waba_id, seq);
