//! The SQL of both backends, written once.
//!
//! SQLite and PostgreSQL hold the same tables with the same column names (each backend's
//! `migrations/` folder; a test keeps the file names equal) and the same column kinds: ids
//! are UUIDs (`BLOB` on SQLite, `UUID` on PostgreSQL), times Unix milliseconds (`INTEGER` /
//! `BIGINT`), JSON documents (`TEXT` / `JSONB`), digests bytes. So one statement text, with
//! numbered parameters (`$1`, which both drivers accept), runs on either, and each domain's
//! statements live here once, in the file of its domain, next to the `Store` sub-trait
//! implementation that composes them.
//!
//! A backend supplies two things:
//! - a [`Conn`]: runs a [`Query`] on its connection type (one `impl` per driver, at the end
//!   of this file), and says its [`Dialect`] for the few statements that differ (row locks,
//!   advisory locks, query-planner hints);
//! - a [`Backend`]: how it runs a unit of work — a read on a pooled connection, a write in
//!   one transaction (SQLite's group-committing writer, PostgreSQL's pool) — its name, and
//!   how it shuts down.
//!
//! Where a backend's behaviour differs beyond SQL, the domain declares a small hook trait
//! with a default and the backend overrides it: `dispatch::Dispatch` (SQLite's batched
//! accept, PostgreSQL's per-node dispatch lanes) and `webhooks::WebhookBackend` (SQLite
//! leases deliveries found on a reader; PostgreSQL locks them with `SKIP LOCKED`).
//!
//! Time comes from the [`Backend::clock`] the store was opened with, never the system
//! clock directly.

pub mod accounts;
pub mod analytics;
pub mod billing;
pub mod business_keys;
pub mod campaigns;
pub mod catalogs;
pub mod channels;
pub mod console_sessions;
pub mod contact_cards;
pub mod contact_imports;
pub mod dispatch;
pub mod flows;
pub mod groups;
pub mod inbox;
pub mod media;
pub mod platform;
pub mod profile;
pub mod qr_codes;
pub mod reports;
pub mod templates;
pub mod webhooks;
pub mod woztell_secrets;

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;

use std::sync::Arc;

use async_trait::async_trait;
use serde::Serialize;
use serde_json::Value;
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::types::Json;
use sqlx::{Arguments, FromRow, PgConnection, SqliteConnection};
use uuid::Uuid;
use wagate_core::Timestamp;
use wagate_core::clock::Clock;

use crate::{Result, StoreError};

/// Which SQL a [`Conn`] speaks, for the statements that differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// What ends a `SELECT` whose rows a read-modify-write changes: ` FOR UPDATE` on
    /// PostgreSQL (the rows stay locked until the transaction ends, so concurrent writes of
    /// them apply one after the other); nothing on SQLite, whose one writer already runs
    /// writes one after the other.
    pub fn for_update(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE",
        }
    }

    /// `FOR SHARE` on PostgreSQL (rows read stay as read until the commit; other readers
    /// too); nothing on SQLite, whose one writer holds everything.
    pub fn for_share(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR SHARE",
        }
    }
}

/// One bound parameter. The kind is kept for `NULL`s too: PostgreSQL types every parameter.
#[derive(Debug, Clone)]
pub enum Arg {
    Uuid(Option<Uuid>),
    Text(Option<String>),
    Int(Option<i64>),
    Bool(Option<bool>),
    Bytes(Option<Vec<u8>>),
    Json(Option<Value>),
}

/// A value that binds as a parameter.
pub trait IntoArg {
    fn into_arg(self) -> Arg;
}

macro_rules! into_arg {
    ($($t:ty => |$v:ident| $variant:ident($e:expr)),* $(,)?) => {$(
        impl IntoArg for $t {
            fn into_arg(self) -> Arg {
                let $v = self;
                Arg::$variant($e)
            }
        }
    )*};
}

into_arg! {
    Uuid => |v| Uuid(Some(v)),
    Option<Uuid> => |v| Uuid(v),
    String => |v| Text(Some(v)),
    &String => |v| Text(Some(v.clone())),
    &str => |v| Text(Some(v.to_owned())),
    Option<String> => |v| Text(v),
    Option<&str> => |v| Text(v.map(str::to_owned)),
    i64 => |v| Int(Some(v)),
    Option<i64> => |v| Int(v),
    bool => |v| Bool(Some(v)),
    Option<bool> => |v| Bool(v),
    Vec<u8> => |v| Bytes(Some(v)),
    &[u8] => |v| Bytes(Some(v.to_vec())),
    Option<Vec<u8>> => |v| Bytes(v),
}

impl<T: Serialize> IntoArg for Json<T> {
    fn into_arg(self) -> Arg {
        Arg::Json(Some(
            serde_json::to_value(&self.0).expect("JSON column serialises"),
        ))
    }
}

impl<T: Serialize> IntoArg for Option<Json<T>> {
    fn into_arg(self) -> Arg {
        match self {
            Some(v) => v.into_arg(),
            None => Arg::Json(None),
        }
    }
}

/// A statement and its parameters, in order (`$1` is the first). The text is only ever
/// built from this crate's constants (values always travel as parameters), which is why
/// the drivers may take it as SQL-safe.
#[derive(Debug, Clone)]
pub struct Query {
    sql: Cow<'static, str>,
    args: Vec<Arg>,
}

/// Starts a statement.
pub fn query(sql: impl Into<Cow<'static, str>>) -> Query {
    Query {
        sql: sql.into(),
        args: Vec::new(),
    }
}

impl Query {
    pub fn bind(mut self, value: impl IntoArg) -> Self {
        self.args.push(value.into_arg());
        self
    }

    /// Appends statement text (a builder for statements with optional clauses).
    pub fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.to_mut().push_str(sql);
        self
    }

    /// Appends the next parameter's placeholder (`$n`) and binds `value` to it.
    pub fn push_bind(&mut self, value: impl IntoArg) -> &mut Self {
        self.args.push(value.into_arg());
        let n = self.args.len();
        self.sql.to_mut().push_str(&format!("${n}"));
        self
    }

    /// The number of parameters bound so far (the next placeholder is this plus one).
    pub fn bound(&self) -> usize {
        self.args.len()
    }

    pub fn sql(&self) -> &str {
        &self.sql
    }
}

/// The driver's error behind a [`StoreError::Database`], if that is what `e` is.
pub fn database_error(e: &StoreError) -> Option<&(dyn sqlx::error::DatabaseError + 'static)> {
    let StoreError::Database(inner) = e else {
        return None;
    };
    inner
        .downcast_ref::<sqlx::Error>()
        .and_then(sqlx::Error::as_database_error)
}

/// Whether `e` is a unique-constraint violation (a concurrent write stored the same key).
pub fn is_unique_violation(e: &StoreError) -> bool {
    database_error(e).is_some_and(|d| d.is_unique_violation())
}

/// Whether `e` is a foreign-key violation (the referenced row does not exist).
pub fn is_foreign_key_violation(e: &StoreError) -> bool {
    database_error(e).is_some_and(|d| d.is_foreign_key_violation())
}

/// A row type both drivers decode (`#[derive(sqlx::FromRow)]` over columns of the kinds
/// above, or a tuple such as `(i64,)`).
pub trait Record:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

impl<T> Record for T where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

/// A connection that runs [`Query`]s: one implementation per driver.
#[async_trait]
pub trait Conn: Send {
    fn dialect(&self) -> Dialect;

    /// Checks the connection is alive (the driver's own round trip).
    async fn ping(&mut self) -> Result<()>;

    /// Runs a statement; the number of rows it changed.
    async fn execute(&mut self, q: Query) -> Result<u64>;

    async fn fetch_all<R: Record + 'static>(&mut self, q: Query) -> Result<Vec<R>>;

    async fn fetch_optional<R: Record + 'static>(&mut self, q: Query) -> Result<Option<R>>;

    /// The first column of the first row, if any.
    async fn scalar<T>(&mut self, q: Query) -> Result<Option<T>>
    where
        (T,): Record + 'static,
        T: Send,
    {
        Ok(self.fetch_optional::<(T,)>(q).await?.map(|(v,)| v))
    }
}

/// A unit of work on a backend's connection.
pub type Work<'c, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'c>>;

/// A unit of work: a closure run on a backend's connection (`move |c| Box::pin(async move
/// {…})`).
pub trait Unit<C, T>: for<'c> FnOnce(&'c mut C) -> Work<'c, T> + Send + 'static {}

impl<C, T, F> Unit<C, T> for F where F: for<'c> FnOnce(&'c mut C) -> Work<'c, T> + Send + 'static {}

/// How a backend runs units of work. The `Store` sub-traits whose behaviour is only SQL are
/// implemented once, in this module's domain files, for every `Backend`.
#[async_trait]
pub trait Backend: Send + Sync + 'static {
    type Conn: Conn;

    /// `sqlite` or `postgres`, for logs and `/readyz`.
    const NAME: &'static str;

    /// Finishes queued writes and closes connections; later units of work fail.
    async fn shutdown(&self);

    /// The clock this store was opened with: every time it stamps comes from it.
    fn clock(&self) -> &Arc<dyn Clock>;

    /// Now, by [`Backend::clock`].
    fn now(&self) -> Timestamp {
        self.clock().now()
    }

    /// Runs `f` in one write transaction: all of it is stored, or none.
    async fn write<T: Send + 'static, F: Unit<Self::Conn, T>>(&self, f: F) -> Result<T>;

    /// Runs `f` on a connection for reading.
    async fn read<T: Send + 'static, F: Unit<Self::Conn, T>>(&self, f: F) -> Result<T>;
}

fn db(e: sqlx::Error) -> StoreError {
    StoreError::database(e)
}

/// `Conn` for one sqlx driver: its arguments built from [`Arg`]s, its statements run as
/// sqlx runs them. The two drivers differ only in their types, so the body is written once.
macro_rules! driver {
    ($conn:ty, $args:ty, $dialect:expr, $parts:ident) => {
        /// The statement's text and its arguments, for this driver.
        fn $parts(q: Query) -> Result<(String, $args)> {
            let mut out = <$args>::default();
            for a in q.args {
                match a {
                    Arg::Uuid(v) => out.add(v),
                    Arg::Text(v) => out.add(v),
                    Arg::Int(v) => out.add(v),
                    Arg::Bool(v) => out.add(v),
                    Arg::Bytes(v) => out.add(v),
                    Arg::Json(v) => out.add(v.map(Json)),
                }
                .map_err(StoreError::database_boxed)?;
            }
            Ok((q.sql.into_owned(), out))
        }

        #[async_trait]
        impl Conn for $conn {
            fn dialect(&self) -> Dialect {
                $dialect
            }

            async fn ping(&mut self) -> Result<()> {
                sqlx::Connection::ping(self).await.map_err(db)
            }

            async fn execute(&mut self, q: Query) -> Result<u64> {
                let (sql, args) = $parts(q)?;
                sqlx::query_with(sqlx::AssertSqlSafe(sql), args)
                    .execute(&mut *self)
                    .await
                    .map(|r| r.rows_affected())
                    .map_err(db)
            }

            async fn fetch_all<R: Record + 'static>(&mut self, q: Query) -> Result<Vec<R>> {
                let (sql, args) = $parts(q)?;
                sqlx::query_as_with::<_, R, _>(sqlx::AssertSqlSafe(sql), args)
                    .fetch_all(&mut *self)
                    .await
                    .map_err(db)
            }

            async fn fetch_optional<R: Record + 'static>(&mut self, q: Query) -> Result<Option<R>> {
                let (sql, args) = $parts(q)?;
                sqlx::query_as_with::<_, R, _>(sqlx::AssertSqlSafe(sql), args)
                    .fetch_optional(&mut *self)
                    .await
                    .map_err(db)
            }
        }
    };
}

driver!(
    SqliteConnection,
    SqliteArguments,
    Dialect::Sqlite,
    sqlite_parts
);
driver!(PgConnection, PgArguments, Dialect::Postgres, pg_parts);
