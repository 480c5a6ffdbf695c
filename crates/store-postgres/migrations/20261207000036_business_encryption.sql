-- Business public keys for WhatsApp Flows endpoints (Meta's whatsapp_business_encryption):
-- at most one per phone number, replaced when set again. `signature` is wagate's SHA-256 of
-- (phone number id, PEM) made when the key was stored; a read reports VALID while it matches.
CREATE TABLE business_keys (
    channel_id     UUID NOT NULL PRIMARY KEY REFERENCES channels (id),
    account_id     UUID NOT NULL REFERENCES accounts (id),
    public_key_pem TEXT NOT NULL,
    signature      TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
