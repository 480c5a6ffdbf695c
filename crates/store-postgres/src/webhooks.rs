//! Webhooks on PostgreSQL: their SQL and `WebhookStore` are shared
//! (`wagate_store::sql::webhooks`); here is how deliveries are leased when several nodes
//! lease at once: locked and leased in one transaction, skipping rows another node holds.

use async_trait::async_trait;
use sqlx::PgConnection;
use wagate_core::Timestamp;
use wagate_core::ids::SubscriptionId;
use wagate_core::message::Message;
use wagate_store::sql::webhooks::{self as sql, WebhookBackend, jobs, lease_due};
use wagate_store::sql::{Backend, Work};
use wagate_store::{DeliveryJob, Result};

use crate::PgStore;

pub async fn emit_for_messages(conn: &mut PgConnection, messages: &[Message]) -> Result<()> {
    sql::emit_for_messages(conn, messages).await
}

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

    async fn write_statement<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut PgConnection) -> Work<'c, T> + Send + 'static,
    {
        // `Backend::read`: a pooled connection, in autocommit.
        Backend::read(self, f).await
    }
}
