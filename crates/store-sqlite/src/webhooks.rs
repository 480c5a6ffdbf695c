//! Webhooks on SQLite: their SQL and `WebhookStore` are shared (`wagate_store::sql::webhooks`);
//! here is how deliveries are leased with one writer: found on a read connection, re-checked
//! and leased by the writer, read back after the lease committed.

use wagate_store::sql::webhooks::WebhookBackend;

use crate::SqliteStore;

/// The default strategy: the backlog is walked on a reader, the writer only re-checks.
impl WebhookBackend for SqliteStore {}

#[cfg(test)]
mod tests {
    use sqlx::{QueryBuilder, Sqlite};
    use wagate_core::ids::DeliveryId;
    use wagate_store::sql::Dialect;
    use wagate_store::sql::webhooks::attempts_statement;
    use wagate_store::{AttemptOutcome, DeliveryAttempt};

    use crate::plan_check::{assert_searches, plan, schema};

    #[tokio::test]
    async fn recording_attempts_finds_each_delivery_by_id() {
        let mut conn = schema().await;
        let attempts: Vec<DeliveryAttempt> = (0..300)
            .map(|_| DeliveryAttempt {
                id: DeliveryId::generate(),
                at: wagate_store::records::now(),
                status_code: Some(200),
                latency_ms: 3,
                body_excerpt: String::new(),
                outcome: AttemptOutcome::Delivered,
            })
            .collect();
        // The shared statement's text, as SQLite gets it (its `$n` parameters unbound: NULL).
        let q = attempts_statement(Dialect::Sqlite, &attempts);
        let q: QueryBuilder<Sqlite> = QueryBuilder::new(q.sql());
        assert_searches(&plan(&mut conn, &q).await, "webhook_deliveries");
    }
}
