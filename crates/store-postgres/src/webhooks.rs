//! Webhooks on PostgreSQL: their SQL and `WebhookStore` are shared
//! (`wagate_store::sql::webhooks`); here is how deliveries are leased when several nodes
//! lease at once: locked and leased in one transaction, skipping rows another node holds.

use async_trait::async_trait;
use sqlx::PgConnection;
use wagate_core::Timestamp;
use wagate_core::ids::SubscriptionId;
use wagate_store::sql::webhooks::{WebhookBackend, jobs, lease_due};
use wagate_store::sql::{Backend, Unit};
use wagate_store::{DeliveryJob, Result};

use crate::PgStore;

#[async_trait]
impl WebhookBackend for PgStore {
    async fn lease(
        &self,
        subscription: SubscriptionId,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<DeliveryJob>> {
        self.write(move |c| {
            Box::pin(async move {
                let seqs = lease_due(c, subscription, now, lease_until, limit).await?;
                jobs(c, &seqs).await
            })
        })
        .await
    }

    async fn write_statement<T: Send + 'static, F: Unit<PgConnection, T>>(
        &self,
        f: F,
    ) -> Result<T> {
        // `Backend::read`: a pooled connection, in autocommit.
        Backend::read(self, f).await
    }
}
