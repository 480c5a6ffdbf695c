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

/// A fresh schema on the PostgreSQL of `WAGATE_TEST_POSTGRES_URL`, or `None` when unset.
pub async fn postgres() -> Option<Backend> {
    let base = postgres_base_url()?;
    let schema = format!("wagate_story_{}", uuid::Uuid::new_v4().simple());
    let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&base)
        .await
        .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&mut admin)
        .await
        .unwrap();
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options=-csearch_path%3D{schema}");
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
