//! [`PlatformStore`] on PostgreSQL: readiness, shutdown, sealing keys (`secrets`) and
//! idempotency keys (`idempotency`).

use async_trait::async_trait;
use sqlx::Connection;
use wagate_core::Timestamp;
use wagate_store::{PlatformStore, Result, StoreError};

use crate::{PgStore, commit, idempotency, secrets};

#[async_trait]
impl PlatformStore for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn ping(&self) -> Result<()> {
        self.read()
            .await?
            .ping()
            .await
            .map_err(StoreError::database)
    }

    async fn secret_keys(&self) -> Result<Vec<wagate_store::sealing::WrappedKey>> {
        secrets::keys(&mut *self.read().await?).await
    }

    async fn add_secret_key(&self, key: wagate_store::sealing::WrappedKey) -> Result<()> {
        secrets::add(&mut *self.read().await?, key).await
    }

    async fn rewrap_secret_keys(&self, keys: Vec<wagate_store::sealing::WrappedKey>) -> Result<()> {
        let mut tx = self.begin().await?;
        secrets::rewrap(&mut tx, keys).await?;
        commit(tx, ()).await
    }

    async fn reseal_secrets(&self) -> Result<u64> {
        let mut tx = self.begin().await?;
        let n = secrets::reseal(&mut tx).await?;
        commit(tx, n).await
    }

    async fn close(&self) {
        self.pool.close().await;
    }

    async fn reserve_idempotency_key(
        &self,
        reserve: wagate_store::idempotency::Reserve,
    ) -> Result<wagate_store::idempotency::Reservation> {
        let mut tx = self.begin().await?;
        let found = idempotency::reserve(&mut tx, reserve).await?;
        commit(tx, found).await
    }

    async fn complete_idempotency_key(
        &self,
        scope: &wagate_store::idempotency::KeyScope,
        holder: uuid::Uuid,
        answer: wagate_store::idempotency::StoredAnswer,
    ) -> Result<bool> {
        idempotency::complete(&mut *self.read().await?, scope, holder, answer).await
    }

    async fn release_idempotency_key(
        &self,
        scope: &wagate_store::idempotency::KeyScope,
        holder: uuid::Uuid,
    ) -> Result<bool> {
        idempotency::release(&mut *self.read().await?, scope, holder).await
    }

    async fn collect_idempotency_keys(&self, now: Timestamp, limit: u32) -> Result<u64> {
        idempotency::collect(&mut *self.read().await?, now, limit).await
    }
}
