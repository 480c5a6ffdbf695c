//! The PostgreSQL backend of [`Store`](wagate_store::Store): the scale-out engine, where several stateless
//! `wagate serve` nodes share one database.
//!
//! # Concurrency model
//! A connection pool; every write command is one transaction (PostgreSQL does its own group
//! commit across connections). First-start bootstrap takes a transaction-scoped advisory
//! lock so two nodes starting at once create one account, not two.
//!
//! # Layout
//! This file connects the pool and holds the transaction helpers; each sub-trait of `Store`
//! is implemented in the file of its domain, mirroring the SQLite backend's files:
//! - `AccountStore`, `ChannelStore`, `PlatformStore`, `ProfileStore`, `QrCodeStore`,
//!   `TemplateStore` and `MediaStore` (with upload sessions) are not here: their SQL is
//!   written once for both backends in `wagate_store::sql` (the bootstrap's advisory lock
//!   and the row locks are its PostgreSQL dialect), run through this file's [`Backend`] (one
//!   transaction per write; the backend's name and pool shutdown).
//! - `dispatch`: `MessageStore`, and the SQL of the outbox, network events, inbound messages
//!   and contacts; each channel's dispatch lane is owned by one node at a time
//!   (`dispatch_lanes`).
//! - `webhooks`: `WebhookStore`.
//! - `queries`: the SQL of messages, one function per statement, mirrored from the SQLite
//!   backend.

#![forbid(unsafe_code)]

mod dispatch;
mod queries;
mod webhooks;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{PgConnection, Postgres, Transaction};
use std::sync::Arc;

use wagate_core::clock::{Clock, SystemClock};
use wagate_store::sql::{Backend, Work};
use wagate_store::{Result, StoreError};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Debug)]
pub struct PgStore {
    pool: PgPool,
    /// This store's name among the nodes sharing the database: which dispatch lanes it
    /// owns (see `dispatch::lease_outbox`).
    node: String,
    clock: Arc<dyn Clock>,
}

impl PgStore {
    /// Connects to `url` (`postgres://…`) and applies pending migrations.
    pub async fn open(url: &str, max_connections: u32) -> Result<Self> {
        let options = PgConnectOptions::from_str(url).map_err(StoreError::database)?;
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(StoreError::database)?;
        MIGRATOR.run(&pool).await.map_err(StoreError::database)?;
        Ok(Self {
            pool,
            node: uuid::Uuid::new_v4().to_string(),
            clock: Arc::new(SystemClock),
        })
    }

    /// The same store stamping times from `clock` (a test's manual clock).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    async fn begin(&self) -> Result<Transaction<'static, Postgres>> {
        self.pool.begin().await.map_err(StoreError::database)
    }

    async fn read(&self) -> Result<sqlx::pool::PoolConnection<Postgres>> {
        self.pool.acquire().await.map_err(StoreError::database)
    }
}

#[async_trait::async_trait]
impl Backend for PgStore {
    type Conn = PgConnection;

    fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    const NAME: &'static str = "postgres";

    async fn shutdown(&self) {
        self.pool.close().await;
    }

    async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut PgConnection) -> Work<'c, T> + Send + 'static,
    {
        let mut tx = self.begin().await?;
        let value = f(&mut tx).await?;
        commit(tx, value).await
    }

    async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut PgConnection) -> Work<'c, T> + Send + 'static,
    {
        f(&mut *self.read().await?).await
    }
}

async fn commit<T>(tx: Transaction<'static, Postgres>, value: T) -> Result<T> {
    tx.commit().await.map_err(StoreError::database)?;
    Ok(value)
}

/// Whether `e` is a unique violation of `messages` (its id or wamid): a concurrent
/// transaction stored the same message first.
fn is_duplicate_message(e: &StoreError) -> bool {
    let StoreError::Database(inner) = e else {
        return false;
    };
    inner
        .downcast_ref::<sqlx::Error>()
        .and_then(sqlx::Error::as_database_error)
        .is_some_and(|d| {
            d.is_unique_violation()
                && matches!(d.constraint(), Some("messages_wamid_key" | "messages_pkey"))
        })
}
