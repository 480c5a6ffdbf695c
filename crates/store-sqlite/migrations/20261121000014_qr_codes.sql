-- QR codes with a prefilled message (Meta's message_qrdls), each owned by one phone number.
-- A code is unique across every account: its deep link (https://wa.me/message/{code}) and
-- its public image URL name nothing else.
CREATE TABLE qr_codes (
    code              TEXT NOT NULL PRIMARY KEY,
    account_id        BLOB NOT NULL REFERENCES accounts (id),
    channel_id        BLOB NOT NULL REFERENCES channels (id),
    prefilled_message TEXT NOT NULL,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
) STRICT;

-- A phone number's codes, in code order (the list's keyset).
CREATE INDEX qr_codes_by_channel ON qr_codes (channel_id, code);
