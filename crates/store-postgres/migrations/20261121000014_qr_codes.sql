-- QR codes with a prefilled message (Meta's message_qrdls), each owned by one phone number.
-- A code is unique across every account: its deep link (https://wa.me/message/{code}) and
-- its public image URL name nothing else.
CREATE TABLE qr_codes (
    code              TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    account_id        UUID NOT NULL REFERENCES accounts (id),
    channel_id        UUID NOT NULL REFERENCES channels (id),
    prefilled_message TEXT NOT NULL,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);

-- A phone number's codes, in code order (the list's keyset; byte order, as on SQLite).
CREATE INDEX qr_codes_by_channel ON qr_codes (channel_id, code);
