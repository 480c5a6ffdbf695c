//! Backup and restore of the SQLite database, and the lock that tells whether a process has
//! it open.
//!
//! - [`snapshot`] copies a database that may be in use with `VACUUM INTO`: one read
//!   transaction, so the copy is the database as of one instant (WAL included), never a
//!   file copy of a live WAL database.
//! - [`Bundle`] stores extra files (the media URL key, media bytes) inside the copy, in a
//!   table of its own, so a backup is one file; a restore takes them out again.
//! - [`verify`] checks a copy: `PRAGMA integrity_check`, and that its migrations are ones
//!   this binary knows (a copy made by an older wagate is migrated at the next start; one
//!   made by a newer wagate is refused).
//! - The open lock: every [`crate::SqliteStore`] holds a shared `flock` on
//!   `<database>.lock` while open, and a restore takes it exclusively, so a restore refuses
//!   while a server (or an admin command) has the database open, and a server cannot start
//!   on a database being restored. The kernel drops the lock when the process dies, even by
//!   SIGKILL, so a crash never leaves a stale lock behind.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, Row, SqliteConnection};

use crate::MIGRATOR;

/// What went wrong with a backup or a restore.
#[derive(Debug)]
pub enum BackupError {
    Io(io::Error),
    Sqlite(sqlx::Error),
    /// The file is not an intact SQLite database.
    NotIntact(String),
    /// The database's schema is not one this binary can run on.
    Incompatible(String),
}

impl std::fmt::Display for BackupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BackupError::Io(e) => write!(f, "{e}"),
            BackupError::Sqlite(e) => write!(f, "{e}"),
            BackupError::NotIntact(why) => write!(f, "not an intact database: {why}"),
            BackupError::Incompatible(why) => write!(f, "{why}"),
        }
    }
}

impl std::error::Error for BackupError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BackupError::Io(e) => Some(e),
            BackupError::Sqlite(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for BackupError {
    fn from(e: io::Error) -> Self {
        BackupError::Io(e)
    }
}

impl From<sqlx::Error> for BackupError {
    fn from(e: sqlx::Error) -> Self {
        BackupError::Sqlite(e)
    }
}

type Result<T> = std::result::Result<T, BackupError>;

/// `<database>.lock`, beside the database.
pub fn lock_path(db: &Path) -> PathBuf {
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    db.with_file_name(name)
}

fn open_lock_file(db: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.create(true).truncate(false).read(true).write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(lock_path(db))
}

/// The shared lock an open store holds (released when dropped or when the process dies).
#[derive(Debug)]
pub struct OpenLock(#[allow(dead_code)] File);

/// Takes the shared open lock; fails at once while a restore holds it exclusively.
pub fn hold_open(db: &Path) -> io::Result<OpenLock> {
    let file = open_lock_file(db)?;
    match file.try_lock_shared() {
        Ok(()) => Ok(OpenLock(file)),
        Err(std::fs::TryLockError::WouldBlock) => Err(io::Error::new(
            io::ErrorKind::WouldBlock,
            format!(
                "{} is being restored (`wagate restore` holds {}); start again when it is done",
                db.display(),
                lock_path(db).display()
            ),
        )),
        Err(std::fs::TryLockError::Error(e)) => Err(e),
    }
}

/// The exclusive lock a restore holds: no other process has the database open.
#[derive(Debug)]
pub struct ExclusiveLock(#[allow(dead_code)] File);

/// Takes the exclusive lock, or `None` when some process has the database open.
pub fn lock_exclusive(db: &Path) -> io::Result<Option<ExclusiveLock>> {
    let file = open_lock_file(db)?;
    match file.try_lock() {
        Ok(()) => Ok(Some(ExclusiveLock(file))),
        Err(std::fs::TryLockError::WouldBlock) => Ok(None),
        Err(std::fs::TryLockError::Error(e)) => Err(e),
    }
}

/// Creates `path` empty with mode 0600 (fails if it exists).
pub fn create_private(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.create_new(true).write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

async fn connect(path: &Path, read_only: bool) -> Result<SqliteConnection> {
    let options = SqliteConnectOptions::from_str("sqlite:")?
        .filename(path)
        .read_only(read_only)
        .busy_timeout(std::time::Duration::from_secs(30))
        .log_statements(tracing::log::LevelFilter::Trace);
    Ok(options.connect().await?)
}

/// Copies the database at `db` (which a server may be writing) into the new file `dest`
/// (created 0600; it must not exist): `VACUUM INTO`, one consistent read of the database.
/// Returns the number of messages in the copy.
pub async fn snapshot(db: &Path, dest: &Path) -> Result<u64> {
    if !db.is_file() {
        return Err(BackupError::Io(io::Error::new(
            io::ErrorKind::NotFound,
            format!("no database at {}", db.display()),
        )));
    }
    // VACUUM INTO accepts an empty file: created here so it is private from the start.
    drop(create_private(dest)?);
    let outcome = async {
        let mut conn = connect(db, true).await?;
        let dest_str = dest.to_str().ok_or_else(|| {
            BackupError::Io(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the backup path is not UTF-8",
            ))
        })?;
        sqlx::query("VACUUM INTO ?")
            .bind(dest_str)
            .execute(&mut conn)
            .await?;
        conn.close().await?;
        let mut copy = connect(dest, true).await?;
        let messages: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM messages")
            .fetch_one(&mut copy)
            .await?;
        copy.close().await?;
        Ok(messages as u64)
    }
    .await;
    if outcome.is_err() {
        let _ = std::fs::remove_file(dest);
    }
    outcome
}

/// What [`verify`] found in a copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// Migrations the copy has.
    pub applied: usize,
    /// This binary's migrations the copy lacks (applied at the next start).
    pub pending: usize,
    /// Messages in the copy.
    pub messages: u64,
}

/// `PRAGMA integrity_check`, then the copy's migrations against this binary's.
pub async fn verify(copy: &Path) -> Result<Verified> {
    let mut conn = connect(copy, true)
        .await
        .map_err(|e| BackupError::NotIntact(e.to_string()))?;
    let rows: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(&mut conn)
        .await
        .map_err(|e| BackupError::NotIntact(e.to_string()))?;
    if rows.as_slice() != ["ok"] {
        return Err(BackupError::NotIntact(rows.join("; ")));
    }
    let applied = sqlx::query("SELECT version, checksum, success FROM _sqlx_migrations")
        .fetch_all(&mut conn)
        .await
        .map_err(|_| {
            BackupError::Incompatible("not a wagate database (it has no migration table)".into())
        })?;
    let mut versions = Vec::with_capacity(applied.len());
    for row in &applied {
        let version: i64 = row.try_get("version")?;
        let checksum: Vec<u8> = row.try_get("checksum")?;
        let success: bool = row.try_get("success")?;
        versions.push(version);
        if !success {
            return Err(BackupError::Incompatible(format!(
                "migration {version} failed half-way in this database"
            )));
        }
        match MIGRATOR.iter().find(|m| m.version == version) {
            None => {
                return Err(BackupError::Incompatible(format!(
                    "made by a newer wagate: migration {version} is unknown to this binary (upgrade wagate first)"
                )));
            }
            Some(m) if *m.checksum != *checksum => {
                return Err(BackupError::Incompatible(format!(
                    "migration {version} in this database differs from this binary's"
                )));
            }
            Some(_) => {}
        }
    }
    let pending = MIGRATOR
        .iter()
        .filter(|m| !versions.contains(&m.version))
        .count();
    let messages: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM messages")
        .fetch_one(&mut conn)
        .await
        .unwrap_or(0);
    conn.close().await?;
    Ok(Verified {
        applied: versions.len(),
        pending,
        messages: messages as u64,
    })
}

/// Extra files inside a backup: `(name, bytes)` rows of `wagate_backup_files`, a table
/// only backups have.
pub struct Bundle {
    conn: SqliteConnection,
}

impl Bundle {
    /// Opens a copy (not a live database) to add or take out files.
    pub async fn open(copy: &Path) -> Result<Self> {
        let mut conn = connect(copy, false).await?;
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS wagate_backup_files (name TEXT PRIMARY KEY, bytes BLOB NOT NULL)",
        )
        .execute(&mut conn)
        .await?;
        Ok(Self { conn })
    }

    /// Adds (or replaces) the file `name`.
    pub async fn add(&mut self, name: &str, bytes: Vec<u8>) -> Result<()> {
        sqlx::query("INSERT OR REPLACE INTO wagate_backup_files (name, bytes) VALUES (?, ?)")
            .bind(name)
            .bind(bytes)
            .execute(&mut self.conn)
            .await?;
        Ok(())
    }

    /// The names of the files inside, in order.
    pub async fn names(&mut self) -> Result<Vec<String>> {
        Ok(
            sqlx::query_scalar("SELECT name FROM wagate_backup_files ORDER BY name")
                .fetch_all(&mut self.conn)
                .await?,
        )
    }

    /// The bytes of the file `name`.
    pub async fn read(&mut self, name: &str) -> Result<Vec<u8>> {
        Ok(
            sqlx::query_scalar("SELECT bytes FROM wagate_backup_files WHERE name = ?")
                .bind(name)
                .fetch_one(&mut self.conn)
                .await?,
        )
    }

    /// Closes the copy as a backup (the files stay in).
    pub async fn close(self) -> Result<()> {
        Ok(self.conn.close().await?)
    }

    /// Takes the table out and compacts the copy: it is a plain database again.
    pub async fn strip(mut self) -> Result<()> {
        sqlx::query("DROP TABLE wagate_backup_files")
            .execute(&mut self.conn)
            .await?;
        sqlx::query("VACUUM").execute(&mut self.conn).await?;
        Ok(self.conn.close().await?)
    }
}

/// Removes a database's `-wal` and `-shm` files: a stopped database's leftovers, which
/// SQLite would otherwise replay onto the restored file.
pub fn remove_sidecars(db: &Path) -> io::Result<()> {
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut name = db.file_name().unwrap_or_default().to_os_string();
        name.push(suffix);
        match std::fs::remove_file(db.with_file_name(name)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SqliteStore;
    use wagate_store::PlatformStore;

    #[tokio::test]
    async fn a_restore_lock_excludes_open_stores_and_the_other_way_round() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("wagate.db");
        let store = SqliteStore::open(&db).await.unwrap();
        assert!(lock_exclusive(&db).unwrap().is_none(), "the store is open");
        store.close().await;
        drop(store);
        let held = lock_exclusive(&db).unwrap().expect("nobody has it open");
        let refused = SqliteStore::open(&db).await.unwrap_err();
        assert!(
            format!("{refused:?}").contains("being restored"),
            "{refused:?}"
        );
        drop(held);
        SqliteStore::open(&db).await.unwrap().close().await;
    }

    #[tokio::test]
    async fn a_snapshot_is_private_intact_and_carries_files() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("wagate.db");
        let store = SqliteStore::open(&db).await.unwrap();
        let copy = dir.path().join("copy.db");
        assert_eq!(snapshot(&db, &copy).await.unwrap(), 0);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&copy).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(
            snapshot(&db, &copy).await.is_err(),
            "never over an existing file"
        );
        let mut bundle = Bundle::open(&copy).await.unwrap();
        bundle.add("media.key", b"k".to_vec()).await.unwrap();
        bundle.close().await.unwrap();
        let v = verify(&copy).await.unwrap();
        assert_eq!((v.pending, v.messages), (0, 0));
        assert_eq!(v.applied, MIGRATOR.iter().count());
        let mut bundle = Bundle::open(&copy).await.unwrap();
        assert_eq!(bundle.names().await.unwrap(), ["media.key"]);
        assert_eq!(bundle.read("media.key").await.unwrap(), b"k");
        bundle.strip().await.unwrap();
        store.close().await;

        // A newer wagate's migration, a damaged file, something else altogether.
        let mut conn = connect(&copy, false).await.unwrap();
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (99990101000001, 'future', 1, x'00', 0)",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        conn.close().await.unwrap();
        let e = verify(&copy).await.unwrap_err();
        assert!(e.to_string().contains("newer wagate"), "{e}");
        let junk = dir.path().join("junk.db");
        std::fs::write(&junk, vec![7u8; 8192]).unwrap();
        assert!(matches!(
            verify(&junk).await.unwrap_err(),
            BackupError::NotIntact(_)
        ));
        let other = dir.path().join("other.db");
        let mut conn = SqliteConnectOptions::from_str("sqlite:")
            .unwrap()
            .filename(&other)
            .create_if_missing(true)
            .connect()
            .await
            .unwrap();
        sqlx::query("CREATE TABLE t (x)")
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
        assert!(
            verify(&other)
                .await
                .unwrap_err()
                .to_string()
                .contains("not a wagate database")
        );
    }
}
