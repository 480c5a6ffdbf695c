-- The contact book: one card per person an account talks to (by number), its tags and
-- attributes. Mirrored by name in store-postgres/migrations.

CREATE TABLE contact_cards (
    id             BLOB PRIMARY KEY NOT NULL,
    account_id     BLOB NOT NULL REFERENCES accounts (id),
    wa_id          TEXT NOT NULL,
    bsuid          TEXT,
    name           TEXT,
    profile_name   TEXT,
    attributes     TEXT NOT NULL,
    opted_in       INTEGER,
    opt_in_source  TEXT,
    opt_in_at      INTEGER,
    blocked_at     INTEGER,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
) STRICT;

CREATE UNIQUE INDEX contact_cards_by_wa_id ON contact_cards (account_id, wa_id);
CREATE INDEX contact_cards_by_account ON contact_cards (account_id, id);

CREATE TABLE tags (
    id          BLOB PRIMARY KEY NOT NULL,
    account_id  BLOB NOT NULL REFERENCES accounts (id),
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;

CREATE UNIQUE INDEX tags_by_name ON tags (account_id, name_key);

CREATE TABLE contact_card_tags (
    card_id  BLOB NOT NULL REFERENCES contact_cards (id) ON DELETE CASCADE,
    tag_id   BLOB NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (card_id, tag_id)
) STRICT;

CREATE INDEX contact_card_tags_by_tag ON contact_card_tags (tag_id, card_id);
