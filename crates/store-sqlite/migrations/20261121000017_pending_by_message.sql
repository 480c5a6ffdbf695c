-- PostgreSQL's migration of this name adds an index for the per-message order check of the
-- deliverer's lease; SQLite answers that check from `webhook_deliveries_of_message` and
-- needs nothing. Kept so the two backends' migrations stay mirrored by name.
SELECT 1;
