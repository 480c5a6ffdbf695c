-- The contact book's extras. Mirrored by name in store-postgres/migrations.
-- timezone: the business's IANA time zone for the person.
-- on_whatsapp: NULL until one of our messages to the number is delivered (1) or fails with
--   131026 (0); written by the status path only when it changes.
-- first_outbound_at / last_outbound_at: when a message to the person was first and last
--   accepted (written by the send path's card upsert). The inbound times are read from the
--   per-channel contacts (first_message_at, last_inbound_at).
ALTER TABLE contact_cards ADD COLUMN timezone TEXT;
ALTER TABLE contact_cards ADD COLUMN on_whatsapp INTEGER;
ALTER TABLE contact_cards ADD COLUMN first_outbound_at INTEGER;
ALTER TABLE contact_cards ADD COLUMN last_outbound_at INTEGER;
