//! [`PlatformStore`] on SQLite: readiness, shutdown, sealing keys (`secrets`) and
//! idempotency keys (`idempotency`).

use async_trait::async_trait;
use sqlx::Connection;
use wagate_core::Timestamp;
use wagate_store::{PlatformStore, Result, StoreError};

use crate::{SqliteStore, idempotency, secrets};

#[async_trait]
impl PlatformStore for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn ping(&self) -> Result<()> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        conn.ping().await.map_err(StoreError::database)
    }

    async fn secret_keys(&self) -> Result<Vec<wagate_store::sealing::WrappedKey>> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        secrets::keys(&mut conn).await
    }

    async fn add_secret_key(&self, key: wagate_store::sealing::WrappedKey) -> Result<()> {
        self.writer
            .write(move |conn| Box::pin(async move { secrets::add(conn, key).await }))
            .await
    }

    async fn rewrap_secret_keys(&self, keys: Vec<wagate_store::sealing::WrappedKey>) -> Result<()> {
        self.writer
            .write(move |conn| Box::pin(async move { secrets::rewrap(conn, keys).await }))
            .await
    }

    async fn reseal_secrets(&self) -> Result<u64> {
        self.writer
            .write(move |conn| Box::pin(async move { secrets::reseal(conn).await }))
            .await
    }

    async fn close(&self) {
        self.writer.close().await;
        self.reads.close().await;
    }

    async fn reserve_idempotency_key(
        &self,
        reserve: wagate_store::idempotency::Reserve,
    ) -> Result<wagate_store::idempotency::Reservation> {
        self.writer
            .write(move |conn| Box::pin(async move { idempotency::reserve(conn, reserve).await }))
            .await
    }

    async fn complete_idempotency_key(
        &self,
        scope: &wagate_store::idempotency::KeyScope,
        holder: uuid::Uuid,
        answer: wagate_store::idempotency::StoredAnswer,
    ) -> Result<bool> {
        let scope = scope.clone();
        self.writer
            .write(move |conn| {
                Box::pin(async move { idempotency::complete(conn, &scope, holder, answer).await })
            })
            .await
    }

    async fn release_idempotency_key(
        &self,
        scope: &wagate_store::idempotency::KeyScope,
        holder: uuid::Uuid,
    ) -> Result<bool> {
        let scope = scope.clone();
        self.writer
            .write(move |conn| {
                Box::pin(async move { idempotency::release(conn, &scope, holder).await })
            })
            .await
    }

    async fn collect_idempotency_keys(&self, now: Timestamp, limit: u32) -> Result<u64> {
        self.writer
            .write(move |conn| {
                Box::pin(async move { idempotency::collect(conn, now, limit).await })
            })
            .await
    }
}
