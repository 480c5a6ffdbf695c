//! The SQLite backend of [`Store`](wagate_store::Store), wagate's embedded default: one database file in WAL mode.
//!
//! # Concurrency model
//! Reads use a small pool of connections (WAL lets them run beside the writer). Every write
//! goes through [`writer::Writer`]: one task, one connection, many writes per transaction
//! (group commit). See that module for why.
//!
//! # Layout
//! This file opens the store and implements [`Backend`]:
//! - Every `Store` sub-trait is implemented once for both backends in `wagate_store::sql`
//!   (the SQL of each domain, written once), run through this file's [`Backend`]: reads on
//!   the pool, writes on the writer, the backend's name, clock and shutdown.
//! - `dispatch`: the messaging domain's hooks (`wagate_store::sql::dispatch::Dispatch`):
//!   outbound messages are accepted in batches through `accept`; leases commit before their
//!   jobs are read on a reader.
//! - `webhooks`: the webhooks domain's hooks: deliveries are found on a reader, re-checked
//!   and leased by the writer.
//! - [`writer`]: the group-committing write task.
//! - [`backup`]: online backups and restore.

#![forbid(unsafe_code)]

mod accept;
pub mod backup;
mod dispatch;
#[cfg(test)]
mod plan_check;
mod webhooks;
pub mod writer;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::ConnectOptions;
use sqlx::SqliteConnection;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use wagate_core::clock::{Clock, SystemClock};
use wagate_store::sql::{Backend, Unit};
use wagate_store::{Result, StoreError};

use writer::Writer;

/// Migrations, applied at open.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Read connections. WAL readers do not block the writer nor each other.
const READERS: u32 = 4;

pub struct SqliteStore {
    path: PathBuf,
    reads: SqlitePool,
    writer: Arc<Writer>,
    acceptor: accept::Acceptor,
    /// Held while open: a restore waits for no process to have the database open.
    _open: backup::OpenLock,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish()
    }
}

/// The database file is created 0600 (or made 0600): it holds the account's data, and
/// SQLite gives its WAL and shared-memory files the database file's mode.
fn private_files(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)?;
    for suffix in ["", "-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        match std::fs::set_permissions(&name, std::fs::Permissions::from_mode(0o600)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    Ok(())
}

impl SqliteStore {
    /// Opens (creating if missing) the database file at `path`, switches it to WAL and
    /// applies pending migrations.
    pub async fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(StoreError::database)?;
        }
        private_files(path).map_err(StoreError::database)?;
        let open = backup::hold_open(path).map_err(StoreError::database)?;
        let options = SqliteConnectOptions::from_str("sqlite:")
            .map_err(StoreError::database)?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a committed write survives power loss, not only a crash. Group commit
            // pays for the extra fsync.
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            // 64 MiB of page cache per connection (the default is 2 MiB): indexes of a busy
            // messages table stay in memory instead of being re-read on every write.
            .pragma("cache_size", "-65536")
            .log_statements(tracing::log::LevelFilter::Trace);
        let mut write_conn = options.connect().await.map_err(StoreError::database)?;
        MIGRATOR
            .run_direct(None, &mut write_conn, false)
            .await
            .map_err(StoreError::database)?;
        let reads = SqlitePoolOptions::new()
            .max_connections(READERS)
            .min_connections(1)
            .connect_with(options.read_only(true))
            .await
            .map_err(StoreError::database)?;
        let writer = Arc::new(Writer::start(write_conn));
        Ok(Self {
            path: path.to_owned(),
            reads,
            acceptor: accept::Acceptor::start(writer.clone()),
            writer,
            _open: open,
            clock: Arc::new(SystemClock),
        })
    }

    /// The same store stamping times from `clock` (a test's manual clock).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[async_trait::async_trait]
impl Backend for SqliteStore {
    type Conn = SqliteConnection;

    fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    const NAME: &'static str = "sqlite";

    async fn shutdown(&self) {
        self.writer.close().await;
        self.reads.close().await;
    }

    async fn write<T: Send + 'static, F: Unit<SqliteConnection, T>>(&self, f: F) -> Result<T> {
        self.writer.write(f).await
    }

    async fn read<T: Send + 'static, F: Unit<SqliteConnection, T>>(&self, f: F) -> Result<T> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        f(&mut conn).await
    }
}
