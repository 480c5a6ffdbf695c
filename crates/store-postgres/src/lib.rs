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
//! - `accounts`: `AccountStore`, with the bootstrap's advisory lock (SQL in `queries` and
//!   `audit`).
//! - `channels`: `ChannelStore` (SQL in `queries`, `registration`, `phone_settings`,
//!   `phone_events`, `upstream`).
//! - `profile`: `ProfileStore`; `qr_codes`: `QrCodeStore`; `templates`: `TemplateStore`.
//! - `dispatch`: `MessageStore`'s hooks (its SQL is `wagate_store::sql::dispatch`'s): each
//!   channel's dispatch lane is owned by one node at a time (`dispatch_lanes`).
//! - `media`: `MediaStore` (upload sessions' SQL in `uploads`).
//! - `webhooks`: `WebhookStore`.
//! - `platform`: `PlatformStore` (SQL in `secrets` and `idempotency`).
//! - `queries`: the SQL of accounts, API keys and channels, one function per
//!   statement, mirrored from the SQLite backend.

#![forbid(unsafe_code)]

mod channels;
mod dispatch;
mod idempotency;
mod media;
mod phone_events;
mod phone_settings;
mod platform;
mod profile;
mod qr_codes;
mod queries;
mod registration;
mod secrets;
mod templates;
mod uploads;
mod upstream;
mod webhooks;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{PgConnection, Postgres, Transaction};
use wagate_core::ids::AccountId;
use wagate_store::sql::{Backend, Work};
use wagate_store::{Entity, Result, StoreError};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Debug)]
pub struct PgStore {
    pool: PgPool,
    /// This store's name among the nodes sharing the database: which dispatch lanes it
    /// owns (see `wagate_store::sql::dispatch`).
    node: String,
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
        })
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

async fn require_account(conn: &mut PgConnection, id: AccountId) -> Result<()> {
    queries::account_exists(conn, id)
        .await?
        .ok_or(StoreError::NotFound(Entity::Account))
}
