//! Which store a `--database` value selects, and opening it.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use wagate_store::{Store, StoreError};
use wagate_store_postgres::PgStore;
use wagate_store_sqlite::SqliteStore;

/// The `database` setting as written. `Debug` hides any password in it.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DatabaseSetting(pub String);

impl fmt::Debug for DatabaseSetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseSetting({})", redact(&self.0))
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or("");
            if userinfo.contains(':') {
                format!("{scheme}://{user}:***@{host}")
            } else {
                url.to_owned()
            }
        }
        None => url.to_owned(),
    }
}

/// A resolved database choice.
#[derive(Clone, PartialEq, Eq)]
pub enum Database {
    Sqlite(PathBuf),
    Postgres(String),
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

impl Database {
    /// Empty → SQLite at `<data_dir>/wagate.db`; `sqlite://path` or a plain path → SQLite
    /// there; `postgres://…` / `postgresql://…` → PostgreSQL.
    pub fn resolve(setting: &DatabaseSetting, data_dir: &Path) -> Result<Self, String> {
        let s = setting.0.trim();
        if s.is_empty() {
            return Ok(Self::Sqlite(data_dir.join("wagate.db")));
        }
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            return Ok(Self::Postgres(s.to_owned()));
        }
        if let Some(path) = s
            .strip_prefix("sqlite://")
            .or_else(|| s.strip_prefix("sqlite:"))
        {
            if path.is_empty() {
                return Err(
                    "`sqlite://` needs a file path, like sqlite://./wagate-data/wagate.db".into(),
                );
            }
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        if s.contains("://") {
            return Err(format!(
                "unsupported database `{}`: use sqlite://<path> or postgres://…",
                redact(s)
            ));
        }
        Ok(Self::Sqlite(PathBuf::from(s)))
    }

    /// For logs: the path, or the URL with its password hidden.
    pub fn describe(&self) -> String {
        match self {
            Database::Sqlite(p) => format!("sqlite://{}", p.display()),
            Database::Postgres(url) => redact(url),
        }
    }

    pub async fn open(&self, max_connections: u32) -> Result<Arc<dyn Store>, StoreError> {
        Ok(match self {
            Database::Sqlite(path) => Arc::new(SqliteStore::open(path).await?),
            Database::Postgres(url) => Arc::new(PgStore::open(url, max_connections).await?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(s: &str) -> Result<Database, String> {
        Database::resolve(&DatabaseSetting(s.to_owned()), Path::new("/data"))
    }

    #[test]
    fn resolves_backends() {
        assert_eq!(
            resolve("").unwrap(),
            Database::Sqlite("/data/wagate.db".into())
        );
        assert_eq!(
            resolve("sqlite:///tmp/x.db").unwrap(),
            Database::Sqlite("/tmp/x.db".into())
        );
        assert_eq!(
            resolve("./x.db").unwrap(),
            Database::Sqlite("./x.db".into())
        );
        assert!(matches!(
            resolve("postgres://u@h/db").unwrap(),
            Database::Postgres(_)
        ));
        assert!(resolve("mysql://h/db").unwrap_err().contains("unsupported"));
        assert!(resolve("sqlite://").is_err());
    }

    #[test]
    fn passwords_never_show() {
        let url = "postgres://wagate:hunter2@db:5432/wagate";
        assert_eq!(redact(url), "postgres://wagate:***@db:5432/wagate");
        assert!(!format!("{:?}", DatabaseSetting(url.into())).contains("hunter2"));
        assert!(!format!("{:?}", resolve(url).unwrap()).contains("hunter2"));
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
    }
}
