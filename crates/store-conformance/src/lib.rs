//! Test-only crate: the conformance stories every `Store` backend passes (`tests/story.rs`
//! for accounts, messages and dispatch, `tests/webhooks.rs` for webhooks), and the
//! scaffolding they share: the backends under test, the [`story!`] macro that runs a story on
//! each, and small builders of test data.

use std::sync::Arc;

use wagate_core::Timestamp;
use wagate_core::account::NewAccount;
use wagate_core::channel::NewChannel;
use wagate_core::content::Content;
use wagate_core::ids::{AccountId, ChannelId, MessageId};
use wagate_core::message::{Message, MessageStatus, NewOutboundMessage, Recipient, Wamid};
use wagate_core::network::{NetworkEvent, NewInboundMessage, StatusUpdate};
use wagate_core::phone::PhoneE164;
use wagate_core::text::{AccountName, VerifiedName};
use wagate_store::platform::PlatformStore;
use wagate_store::{DispatchOutcome, MessageKey, Store};
use wagate_store_postgres::PgStore;
use wagate_store_sqlite::SqliteStore;

/// A backend under test, and how to open it again (to check that data survives).
pub struct Backend {
    pub store: Arc<dyn Store>,
    pub reopen: Box<dyn Fn() -> futures::future::BoxFuture<'static, Arc<dyn Store>> + Send + Sync>,
    _dir: Option<tempfile::TempDir>,
}

/// A fresh SQLite database in a temporary directory.
pub async fn sqlite() -> Backend {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wagate.db");
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).await.unwrap());
    Backend {
        store,
        reopen: Box::new(move || {
            let path = path.clone();
            Box::pin(
                async move { Arc::new(SqliteStore::open(&path).await.unwrap()) as Arc<dyn Store> },
            )
        }),
        _dir: Some(dir),
    }
}

/// `WAGATE_TEST_POSTGRES_URL`, or `None` when unset: PostgreSQL variants of tests are then
/// skipped, unless `WAGATE_REQUIRE_POSTGRES=1` (CI sets it), which makes a missing URL fail
/// the test instead of passing it silently.
pub fn postgres_base_url() -> Option<String> {
    match std::env::var("WAGATE_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            let required = std::env::var("WAGATE_REQUIRE_POSTGRES")
                .is_ok_and(|v| matches!(v.as_str(), "1" | "true" | "yes"));
            assert!(
                !required,
                "WAGATE_REQUIRE_POSTGRES is set but WAGATE_TEST_POSTGRES_URL is not"
            );
            None
        }
    }
}

/// A fresh database on the PostgreSQL of `WAGATE_TEST_POSTGRES_URL`, or `None` when unset.
pub async fn postgres() -> Option<Backend> {
    let url = fresh_postgres_database().await?;
    let store: Arc<dyn Store> = Arc::new(PgStore::open(&url, 8).await.unwrap());
    Some(Backend {
        store,
        reopen: Box::new(move || {
            let url = url.clone();
            Box::pin(
                async move { Arc::new(PgStore::open(&url, 4).await.unwrap()) as Arc<dyn Store> },
            )
        }),
        _dir: None,
    })
}

/// The URL of a new, empty database with every migration applied, on the PostgreSQL of
/// `WAGATE_TEST_POSTGRES_URL`; `None` when unset (a failure instead when
/// `WAGATE_REQUIRE_POSTGRES=1`, see [`postgres_base_url`]).
///
/// The database is a copy (`CREATE DATABASE … TEMPLATE`) of a template database migrated
/// once per set of migrations, `wagate_tpl_<hash of the migration files>`, so a test does
/// not run the migrations again: [`PgStore::open`] finds them applied.
pub async fn fresh_postgres_database() -> Option<String> {
    let base = postgres_base_url()?;
    let template = TEMPLATE
        .get_or_init(|| postgres_template(&base))
        .await
        .clone();
    // The creation time in the name lets later runs drop it (see `drop_stale_databases`).
    let name = format!(
        "{TEST_DATABASE_PREFIX}{}_{}",
        unix_secs(),
        uuid::Uuid::new_v4().simple()
    );
    let mut admin = connect(&base).await;
    // `CREATE DATABASE … TEMPLATE` fails while any session is connected to the template;
    // none should be, but a migrating session may still be on its way out.
    execute_retrying_in_use(
        &mut admin,
        format!("CREATE DATABASE {name} TEMPLATE {template}"),
    )
    .await;
    close(admin).await;
    Some(database_url(&base, &name))
}

/// Test databases are named `wagate_t_<unix seconds>_<uuid>`.
const TEST_DATABASE_PREFIX: &str = "wagate_t_";

/// How old a test database gets before a later run drops it (when no one is connected).
const STALE_AFTER_SECS: u64 = 15 * 60;

fn unix_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Drops the test databases of earlier runs (older than [`STALE_AFTER_SECS`]), skipping
/// any still in use: no test drops its own, so they would pile up otherwise.
async fn drop_stale_databases(admin: &mut sqlx::PgConnection) {
    let names: Vec<String> =
        sqlx::query_scalar("SELECT datname FROM pg_database WHERE starts_with(datname, $1)")
            .bind(TEST_DATABASE_PREFIX)
            .fetch_all(&mut *admin)
            .await
            .unwrap_or_default();
    let now = unix_secs();
    for name in names {
        let created = name[TEST_DATABASE_PREFIX.len()..]
            .split('_')
            .next()
            .and_then(|secs| secs.parse::<u64>().ok());
        if created.is_some_and(|created| created + STALE_AFTER_SECS < now) {
            // Fails, harmlessly, when someone is connected or another run dropped it first.
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name}"
            )))
            .execute(&mut *admin)
            .await;
        }
    }
}

/// The template database of this process's tests, once made (see [`postgres_template`]).
static TEMPLATE: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();

/// The key of the advisory lock that serialises making template databases (on the database
/// of `WAGATE_TEST_POSTGRES_URL`, across every test process).
const TEMPLATE_LOCK: i64 = 0x7761_6761_7465_7470; // "wagatetp"

/// The name of the template database for the current migrations, created and migrated if
/// it does not exist yet. Also drops stale test databases, once per process.
///
/// Several test processes may get here at once: an advisory lock lets one of them make
/// the template, under a temporary name it renames only when migrated, so no one clones a
/// half-migrated template; the others then find it and reuse it.
async fn postgres_template(base: &str) -> String {
    let template = format!("wagate_tpl_{}", migrations_hash());
    let mut admin = connect(base).await;
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(TEMPLATE_LOCK)
        .execute(&mut admin)
        .await
        .expect("take the template lock");
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&template)
            .fetch_one(&mut admin)
            .await
            .unwrap();
    if !exists {
        let building = format!("{template}_new");
        // A leftover of a process that died building it.
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {building} WITH (FORCE)"
        )))
        .execute(&mut admin)
        .await
        .unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {building}")))
            .execute(&mut admin)
            .await
            .unwrap();
        let store = PgStore::open(&database_url(base, &building), 1)
            .await
            .expect("migrate the template database");
        // Closes the pool: no connection may stay on a template.
        store.close().await;
        drop(store);
        execute_retrying_in_use(
            &mut admin,
            format!("ALTER DATABASE {building} RENAME TO {template}"),
        )
        .await;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "ALTER DATABASE {template} IS_TEMPLATE true"
        )))
        .execute(&mut admin)
        .await
        .unwrap();
    }
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(TEMPLATE_LOCK)
        .execute(&mut admin)
        .await
        .unwrap();
    drop_stale_databases(&mut admin).await;
    close(admin).await;
    template
}

/// 16 hex digits of a SHA-256 of the PostgreSQL migrations (their names and contents), so
/// a changed or added migration gets a new template.
fn migrations_hash() -> String {
    use sha2::Digest;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../store-postgres/migrations");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "sql"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no migrations in {}", dir.display());
    let mut hasher = sha2::Sha256::new();
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let sql = std::fs::read(&path).unwrap();
        for part in [name.as_bytes(), &sql] {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part);
        }
    }
    hex::encode(&hasher.finalize()[..8])
}

/// Runs `statement` on `admin`, again after a short pause while it fails because another
/// session is connected to a database it needs alone.
async fn execute_retrying_in_use(admin: &mut sqlx::PgConnection, statement: String) {
    const ATTEMPTS: u32 = 8;
    for attempt in 1.. {
        match sqlx::query(sqlx::AssertSqlSafe(statement.clone()))
            .execute(&mut *admin)
            .await
        {
            Ok(_) => return,
            // 55006 object_in_use: "database … is being accessed by other users".
            Err(sqlx::Error::Database(e))
                if e.code().as_deref() == Some("55006") && attempt < ATTEMPTS =>
            {
                tokio::time::sleep(std::time::Duration::from_millis(25 << attempt)).await;
            }
            Err(e) => panic!("{statement}: {e}"),
        }
    }
}

async fn connect(url: &str) -> sqlx::PgConnection {
    <sqlx::PgConnection as sqlx::Connection>::connect(url)
        .await
        .expect("connect to postgres")
}

async fn close(conn: sqlx::PgConnection) {
    let _ = <sqlx::PgConnection as sqlx::Connection>::close(conn).await;
}

/// `url` with its database (the path) replaced by `database`, query kept.
fn database_url(url: &str, database: &str) -> String {
    let (head, query) = match url.find('?') {
        Some(i) => url.split_at(i),
        None => (url, ""),
    };
    let authority = head.find("://").map_or(0, |i| i + 3);
    let server = match head[authority..].find('/') {
        Some(i) => &head[..authority + i],
        None => head,
    };
    format!("{server}/{database}{query}")
}

/// Runs one story (an `async fn(Backend)` in scope where the macro is used) on SQLite, then
/// on PostgreSQL when configured. The calling test crate needs `tokio` (for `#[tokio::test]`).
#[macro_export]
macro_rules! story {
    ($name:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$name($crate::sqlite().await).await;
            }

            #[tokio::test]
            async fn postgres() {
                match $crate::postgres().await {
                    Some(backend) => super::$name(backend).await,
                    None => eprintln!("WAGATE_TEST_POSTGRES_URL unset: PostgreSQL story skipped"),
                }
            }
        }
    };
}

pub const USER_A: &str = "+16505550001";
pub const USER_B: &str = "+16505550002";
pub const USER_C: &str = "+16505550003";

pub fn name(s: &str) -> AccountName {
    AccountName::parse(s).unwrap()
}

pub fn sandbox(account: AccountId) -> NewChannel {
    NewChannel::sandbox(account, VerifiedName::parse("Acme").unwrap())
}

/// `t` moved by `ms` milliseconds.
pub fn plus(t: Timestamp, ms: i64) -> Timestamp {
    Timestamp::from_millisecond(t.as_millisecond() + ms).unwrap()
}

/// A new account and one sandbox channel of it.
pub async fn account_with_channel(s: &Arc<dyn Store>, account: &str) -> (AccountId, ChannelId) {
    let a = s
        .create_account(NewAccount::new(name(account)))
        .await
        .unwrap()
        .id;
    let ch = s.create_channel(sandbox(a)).await.unwrap().id;
    (a, ch)
}

pub fn text_to(account: AccountId, channel: ChannelId, to: &str, body: &str) -> NewOutboundMessage {
    let wa_id = PhoneE164::parse(to).unwrap();
    let id = MessageId::generate();
    NewOutboundMessage {
        charge: None,
        campaign_id: None,
        id,
        wamid: Wamid::for_message(id, &wa_id),
        account_id: account,
        channel_id: channel,
        recipient: Recipient::Phone {
            input: to.to_owned(),
            wa_id,
        },
        content: Content::text(body, false).unwrap(),
        context: None,
        biz_opaque_callback_data: Some("order-42".to_owned()),
    }
}

/// Accepts a text message to `to`; returns its id.
pub async fn send(s: &Arc<dyn Store>, a: AccountId, ch: ChannelId, to: &str) -> MessageId {
    s.accept_outbound(text_to(a, ch, to, "hi"))
        .await
        .unwrap()
        .id
}

/// One of the account's messages, which must exist.
pub async fn get(s: &Arc<dyn Store>, a: AccountId, id: MessageId) -> Message {
    s.get_message(a, &MessageKey::Id(id)).await.unwrap()
}

pub fn status(message_id: MessageId, status: MessageStatus, at: Timestamp) -> NetworkEvent {
    NetworkEvent::Status(StatusUpdate {
        message_id,
        status,
        at,
        error: None,
        pricing: None,
        conversation: None,
    })
}

pub fn sent(message_id: MessageId, at: Timestamp, followups: Vec<NetworkEvent>) -> DispatchOutcome {
    DispatchOutcome::Sent {
        message_id,
        at,
        pricing: None,
        conversation: None,
        followups,
        upstream_id: None,
    }
}

pub fn inbound(
    account: AccountId,
    channel: ChannelId,
    from: &str,
    body: &str,
    at: Timestamp,
) -> NewInboundMessage {
    let wa_id = PhoneE164::parse(from).unwrap();
    let id = MessageId::generate();
    NewInboundMessage {
        id,
        wamid: Wamid::for_message(id, &wa_id),
        account_id: account,
        channel_id: channel,
        wa_id,
        bsuid: None,
        profile_name: None,
        content: Content::text(body, false).unwrap(),
        context: None,
        at,
        preference: None,
    }
}

#[cfg(test)]
mod tests {
    use super::database_url;

    #[test]
    fn database_url_replaces_only_the_database() {
        for (url, want) in [
            ("postgres://u@h:5432/test", "postgres://u@h:5432/db"),
            (
                "postgres://u@h/test?sslmode=disable",
                "postgres://u@h/db?sslmode=disable",
            ),
            ("postgres://h:5432", "postgres://h:5432/db"),
            ("postgres://h?x=/y", "postgres://h/db?x=/y"),
        ] {
            assert_eq!(database_url(url, "db"), want, "{url}");
        }
    }
}
