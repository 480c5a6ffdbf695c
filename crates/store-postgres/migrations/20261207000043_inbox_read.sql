-- The console's inbox: when a conversation (a contact of a channel) was last opened in the
-- console, so its unread count is the inbound messages since; and the channel's
-- conversations by last activity, newest first (keyset-paged on (last_message_at, id)).
-- Mirrored by name in store-sqlite/migrations.
ALTER TABLE contacts ADD COLUMN console_read_at BIGINT;

CREATE INDEX contacts_by_activity ON contacts (channel_id, last_message_at, id);
