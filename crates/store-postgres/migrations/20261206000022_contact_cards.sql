-- The contact book: one card per person an account talks to (by number), its tags and
-- attributes. Mirrored by name in store-sqlite/migrations.

CREATE TABLE contact_cards (
    id             UUID PRIMARY KEY,
    account_id     UUID NOT NULL REFERENCES accounts (id),
    wa_id          TEXT NOT NULL,
    bsuid          TEXT,
    name           TEXT,
    profile_name   TEXT,
    attributes     JSONB NOT NULL,
    opted_in       BOOLEAN,
    opt_in_source  TEXT,
    opt_in_at      BIGINT,
    blocked_at     BIGINT,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);

CREATE UNIQUE INDEX contact_cards_by_wa_id ON contact_cards (account_id, wa_id);
CREATE INDEX contact_cards_by_account ON contact_cards (account_id, id);

CREATE TABLE tags (
    id          UUID PRIMARY KEY,
    account_id  UUID NOT NULL REFERENCES accounts (id),
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE UNIQUE INDEX tags_by_name ON tags (account_id, name_key);

CREATE TABLE contact_card_tags (
    card_id  UUID NOT NULL REFERENCES contact_cards (id) ON DELETE CASCADE,
    tag_id   UUID NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (card_id, tag_id)
);

CREATE INDEX contact_card_tags_by_tag ON contact_card_tags (tag_id, card_id);
