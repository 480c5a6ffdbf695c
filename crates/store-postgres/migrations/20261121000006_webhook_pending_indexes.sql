-- The deliverer reads only pending deliveries: index just those, so the indexes it uses stay
-- as small as the backlog however long the delivery log grows, and a delivered row leaves
-- them instead of being rewritten in them.

-- What a subscription has waiting, oldest first (the lease, the due check, the backlog).
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (subscription_id, seq)
    WHERE state = 'pending';
DROP INDEX webhook_deliveries_due;

-- The lease's "no older pending delivery of the same message" check.
CREATE INDEX webhook_deliveries_pending_by_message
    ON webhook_deliveries (subscription_id, message_id, seq)
    WHERE state = 'pending' AND message_id IS NOT NULL;
DROP INDEX webhook_deliveries_by_message;
