//! Webhooks on SQLite: their SQL and `WebhookStore` are shared (`wagate_store::sql::webhooks`);
//! here is how deliveries are leased with one writer: found on a read connection, re-checked
//! and leased by the writer, read back after the lease committed.

use async_trait::async_trait;
use wagate_core::Timestamp;
use wagate_core::ids::SubscriptionId;
use wagate_store::sql::webhooks::{WebhookBackend, jobs, lease_candidates, lease_listed};
use wagate_store::sql::{Backend, Work};
use wagate_store::{DeliveryJob, Result};

use crate::SqliteStore;

/// The other domains' files write their changes' events through these.
pub use wagate_store::sql::webhooks::emit_for_messages;

#[async_trait]
impl WebhookBackend for SqliteStore {
    async fn lease(
        &self,
        subscription: SubscriptionId,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<DeliveryJob>> {
        // Walking the backlog happens on a read connection; the writer only re-checks the
        // candidates by `seq`.
        let candidates = self
            .read(move |c| Box::pin(lease_candidates(c, subscription, now, limit)))
            .await?;
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        let seqs = self
            .write(move |c| {
                Box::pin(async move { lease_listed(c, &candidates, now, lease_until).await })
            })
            .await?;
        self.read(move |c| Box::pin(async move { jobs(c, &seqs).await }))
            .await
    }

    async fn write_statement<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut sqlx::SqliteConnection) -> Work<'c, T> + Send + 'static,
    {
        self.write(f).await
    }
}

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
