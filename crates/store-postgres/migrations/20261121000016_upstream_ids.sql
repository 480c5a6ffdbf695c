-- Cloud upstream: Meta's id for a message we handed over (its `messages[0].id`), so the
-- statuses Meta reports by webhook find our message, and a reply's `context.message_id` can
-- be sent to Meta in Meta's terms. A message received from Meta keeps Meta's id as its wamid.
-- Mirrored by name in the other backend's migrations.
ALTER TABLE messages ADD COLUMN upstream_id TEXT;
CREATE UNIQUE INDEX messages_by_upstream_id ON messages (channel_id, upstream_id)
    WHERE upstream_id IS NOT NULL;
