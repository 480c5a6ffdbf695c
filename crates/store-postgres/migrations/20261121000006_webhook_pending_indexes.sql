-- The deliverer reads only pending deliveries: index just those, so the indexes it uses stay
-- as small as the backlog however long the delivery log grows, and a delivered row leaves
-- them instead of being rewritten in them.

-- What a subscription has waiting, oldest first (the lease, the due check, the backlog).
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (subscription_id, seq)
    WHERE state = 'pending';
DROP INDEX webhook_deliveries_due;

-- One message's deliveries: the per-message view, and the lease's "no older pending
-- delivery of the same message" check (a message has a handful). They replace the
-- event-side indexes the view used and the per-subscription one the check used.
DROP INDEX webhook_deliveries_by_message;
CREATE INDEX webhook_deliveries_of_message ON webhook_deliveries (message_id)
    WHERE message_id IS NOT NULL;
DROP INDEX webhook_deliveries_by_event;
DROP INDEX webhook_events_by_message;
