-- WOZTELL signing secrets (the `/compat/woztell` dialect's X-Woztell-SignedContext scheme):
-- at most one per channel, replaced when rotated, deleted when revoked. `secret` is sealed
-- (see wagate_store::sealing); `issued_at` is when the current one was issued.
CREATE TABLE woztell_secrets (
    channel_id UUID NOT NULL PRIMARY KEY REFERENCES channels (id),
    account_id UUID NOT NULL REFERENCES accounts (id),
    secret     TEXT NOT NULL,
    issued_at  BIGINT NOT NULL
);
