//! The PostgreSQL backend of [`Store`](wagate_store::Store): the scale-out engine, where several stateless
//! `wagate serve` nodes share one database.
//!
//! # Concurrency model
//! A connection pool; every write command is one transaction (PostgreSQL does its own group
//! commit across connections). First-start bootstrap takes a transaction-scoped advisory
//! lock so two nodes starting at once create one account, not two.
//!
//! # Layout
//! This file opens the store and implements [`Backend`]:
//! - Every `Store` sub-trait is implemented once for both backends in `wagate_store::sql`
//!   (the SQL of each domain, written once; the advisory locks and row locks are its
//!   PostgreSQL dialect), run through this file's [`Backend`]: one transaction per write,
//!   the backend's name, clock and pool shutdown.
//! - `dispatch`: the messaging domain's hooks: each channel's dispatch lane is owned by one
//!   node at a time (`dispatch_lanes`), leased with `SKIP LOCKED` in one transaction.
//! - `webhooks`: the webhooks domain's hooks: deliveries locked and leased in one
//!   transaction, skipping rows another node holds.

#![forbid(unsafe_code)]

mod dispatch;
mod webhooks;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{PgConnection, Postgres, Transaction};
use std::sync::Arc;

use wagate_core::clock::{Clock, SystemClock};
use wagate_store::sql::{Backend, Unit};
use wagate_store::{Result, StoreError};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Debug)]
pub struct PgStore {
    pool: PgPool,
    /// This store's name among the nodes sharing the database: which dispatch lanes it
    /// owns (see `wagate_store::sql::dispatch`).
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

    async fn write<T: Send + 'static, F: Unit<PgConnection, T>>(&self, f: F) -> Result<T> {
        let mut tx = self.begin().await?;
        match f(&mut tx).await {
            Ok(value) => commit(tx, value).await,
            Err(e) => {
                // Rolled back now, not when sqlx gets to it: the refused write's row locks
                // go before the caller's next statement (a `SKIP LOCKED` claim would skip
                // them).
                let _ = tx.rollback().await;
                Err(e)
            }
        }
    }

    async fn read<T: Send + 'static, F: Unit<PgConnection, T>>(&self, f: F) -> Result<T> {
        f(&mut *self.read().await?).await
    }
}

async fn commit<T>(tx: Transaction<'static, Postgres>, value: T) -> Result<T> {
    tx.commit().await.map_err(StoreError::database)?;
    Ok(value)
}
