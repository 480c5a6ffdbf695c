-- Groups of a business number (Meta's Groups API). A group belongs to one phone number
-- (channel) of one account; its id and invite code are unique across every account (the
-- id names it on /{group_id}, the code on the public invite link).
CREATE TABLE groups (
    id                 TEXT NOT NULL PRIMARY KEY,
    account_id         BLOB NOT NULL REFERENCES accounts (id),
    channel_id         BLOB NOT NULL REFERENCES channels (id),
    subject            TEXT NOT NULL,
    description        TEXT NOT NULL,
    join_approval_mode TEXT NOT NULL,
    invite_code        TEXT NOT NULL UNIQUE,
    suspended          INTEGER NOT NULL,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
) STRICT;

-- A number's groups in id order (the list's keyset), and their count (Meta's cap).
CREATE INDEX groups_by_channel ON groups (channel_id, id);

-- The users in a group (the business is not a row).
CREATE TABLE group_participants (
    group_id  TEXT NOT NULL REFERENCES groups (id),
    wa_id     TEXT NOT NULL,
    joined_at INTEGER NOT NULL,
    PRIMARY KEY (group_id, wa_id)
) STRICT;

-- Pending requests to join a group that needs approval: one per user and group.
CREATE TABLE group_join_requests (
    id         TEXT NOT NULL PRIMARY KEY,
    group_id   TEXT NOT NULL REFERENCES groups (id),
    wa_id      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (group_id, wa_id)
) STRICT;
