-- Whether a delivery waits behind an earlier pending one of its message (per-message order)
-- is asked of every candidate when the deliverer leases. Without this index PostgreSQL
-- answered it by walking the subscription's whole pending backlog for each candidate
-- (quadratic: over a second per step with a few thousand pending events). SQLite answers it
-- from `webhook_deliveries_of_message` and needs nothing new (its migration of this name is
-- empty). Mirrored by name in the other backend's migrations.
CREATE INDEX webhook_deliveries_pending_of_message
    ON webhook_deliveries (message_id, subscription_id, seq)
    WHERE state = 'pending' AND message_id IS NOT NULL;
