//! The conformance story: the same assertions on every Store backend.

use std::sync::Arc;

use futures::future::join_all;
use wagate_core::account::NewAccount;
use wagate_core::api_key::{ApiKeyDigest, KeyChannels, NewApiKey};
use wagate_core::channel::{
    BusinessProfilePatch, ChannelPatch, NewChannel, QualityRating, Throughput,
};
use wagate_core::ids::MessageId;
use wagate_core::ids::{AccountId, ApiKeyId, ChannelId, PhoneNumberId};
use wagate_core::message::{Bsuid, Content, MessageStatus, NewOutboundMessage, Recipient, Wamid};
use wagate_core::phone::PhoneE164;
use wagate_core::text::{AccountName, KeyName, ProfileAbout, VerifiedName};
use wagate_store::{Bootstrap, Entity, MessageKey, Page, Store, StoreError};
use wagate_store_postgres::PgStore;
use wagate_store_sqlite::SqliteStore;

/// A backend under test, and how to open it again (to check that data survives).
struct Backend {
    store: Arc<dyn Store>,
    reopen: Box<dyn Fn() -> futures::future::BoxFuture<'static, Arc<dyn Store>> + Send + Sync>,
    _dir: Option<tempfile::TempDir>,
}

async fn sqlite() -> Backend {
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

/// A fresh schema on the PostgreSQL of `WAGATE_TEST_POSTGRES_URL`, or `None` when unset.
async fn postgres() -> Option<Backend> {
    let base = std::env::var("WAGATE_TEST_POSTGRES_URL").ok()?;
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

/// Runs one story on SQLite, then on PostgreSQL when configured.
macro_rules! story {
    ($name:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$name(super::sqlite().await).await;
            }

            #[tokio::test]
            async fn postgres() {
                match super::postgres().await {
                    Some(backend) => super::$name(backend).await,
                    None => eprintln!("WAGATE_TEST_POSTGRES_URL unset: PostgreSQL story skipped"),
                }
            }
        }
    };
}

story!(bootstrap_happens_once);
story!(accounts_are_paged_in_creation_order);
story!(channels_are_scoped_to_their_account);
story!(channel_updates_apply_patches);
story!(api_keys_authenticate_until_revoked);
story!(concurrent_writes_commit_together);
story!(data_survives_reopen);
story!(outbound_messages_are_stored_with_their_outbox_entry);

fn name(s: &str) -> AccountName {
    AccountName::parse(s).unwrap()
}

fn sandbox(account: AccountId) -> NewChannel {
    NewChannel::sandbox(account, VerifiedName::parse("Acme").unwrap())
}

fn key(
    account: AccountId,
    channels: KeyChannels,
) -> (NewApiKey, wagate_core::api_key::ApiKeySecret) {
    NewApiKey::generate(account, KeyName::parse("test").unwrap(), channels)
}

async fn bootstrap_happens_once(b: Backend) {
    let s = &b.store;
    let account = NewAccount::new(name("Default"));
    let (new_key, secret) = key(account.id, KeyChannels::All);
    let init = Bootstrap {
        channel: sandbox(account.id),
        account,
        key: new_key,
    };
    let done = s
        .bootstrap(init.clone())
        .await
        .unwrap()
        .expect("first bootstrap stores");
    assert_eq!(done.channel.account_id, done.account.id);
    assert_eq!(done.key.account_id, done.account.id);

    // Second time: nothing happens, even with new ids.
    let again = Bootstrap {
        account: NewAccount::new(name("Other")),
        channel: sandbox(AccountId::generate()),
        key: key(AccountId::generate(), KeyChannels::All).0,
    };
    assert!(s.bootstrap(again).await.unwrap().is_none());
    let accounts = s.list_accounts(&Page::all()).await.unwrap();
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0].id, done.account.id);

    let found = s
        .authenticate(&secret.digest())
        .await
        .unwrap()
        .expect("bootstrap key works");
    assert_eq!(found.id, done.key.id);
    let channels = s
        .list_channels(done.account.id, &Page::default())
        .await
        .unwrap();
    assert_eq!(channels, vec![done.channel]);
}

async fn accounts_are_paged_in_creation_order(b: Backend) {
    let s = &b.store;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(
            s.create_account(NewAccount::new(name(&format!("a{i}"))))
                .await
                .unwrap()
                .id,
        );
    }
    let first = s.list_accounts(&Page::first(2)).await.unwrap();
    assert_eq!(first.iter().map(|a| a.id).collect::<Vec<_>>(), ids[..2]);
    let rest = s
        .list_accounts(&Page::after(Some(first[1].id), 10))
        .await
        .unwrap();
    assert_eq!(rest.iter().map(|a| a.id).collect::<Vec<_>>(), ids[2..]);
    let got = s.get_account(ids[3]).await.unwrap();
    assert_eq!(got.name.as_str(), "a3");
    assert!(matches!(
        s.get_account(AccountId::generate()).await,
        Err(StoreError::NotFound(Entity::Account))
    ));
}

async fn channels_are_scoped_to_their_account(b: Backend) {
    let s = &b.store;
    let a = s
        .create_account(NewAccount::new(name("A")))
        .await
        .unwrap()
        .id;
    let other = s
        .create_account(NewAccount::new(name("B")))
        .await
        .unwrap()
        .id;
    let ch = s.create_channel(sandbox(a)).await.unwrap();
    assert_eq!(ch.throughput, Throughput::DEFAULT);

    assert_eq!(s.get_channel(a, ch.id).await.unwrap(), ch);
    assert_eq!(
        s.find_channel_by_phone_number_id(&ch.phone_number_id)
            .await
            .unwrap(),
        ch
    );
    assert!(matches!(
        s.get_channel(other, ch.id).await,
        Err(StoreError::NotFound(Entity::Channel))
    ));
    assert!(
        s.list_channels(other, &Page::default())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        s.find_channel_by_phone_number_id(&PhoneNumberId::parse("1").unwrap())
            .await,
        Err(StoreError::NotFound(Entity::Channel))
    ));

    // The same phone number id twice is a conflict, and nothing is stored.
    let mut dup = sandbox(other);
    dup.phone_number_id = ch.phone_number_id.clone();
    assert!(matches!(
        s.create_channel(dup).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(
        s.list_channels(other, &Page::default())
            .await
            .unwrap()
            .is_empty()
    );

    // An unknown account cannot own a channel.
    assert!(matches!(
        s.create_channel(sandbox(AccountId::generate())).await,
        Err(StoreError::NotFound(Entity::Account))
    ));

    let second = s.create_channel(sandbox(a)).await.unwrap();
    let page = s.list_channels(a, &Page::first(1)).await.unwrap();
    assert_eq!(page.iter().map(|c| c.id).collect::<Vec<_>>(), vec![ch.id]);
    let next = s
        .list_channels(a, &Page::after(Some(ch.id), 10))
        .await
        .unwrap();
    assert_eq!(
        next.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![second.id]
    );
}

async fn channel_updates_apply_patches(b: Backend) {
    let s = &b.store;
    let a = s
        .create_account(NewAccount::new(name("A")))
        .await
        .unwrap()
        .id;
    let ch = s.create_channel(sandbox(a)).await.unwrap();
    let patch = ChannelPatch {
        verified_name: Some(VerifiedName::parse("Acme Support").unwrap()),
        throughput: Some(Throughput::parse(250).unwrap()),
        quality_rating: Some(QualityRating::Yellow),
        profile: BusinessProfilePatch {
            about: Some(Some(ProfileAbout::parse("We answer fast").unwrap())),
            ..Default::default()
        },
        ..Default::default()
    };
    let updated = s.update_channel(a, ch.id, &patch).await.unwrap();
    assert_eq!(updated.verified_name.as_str(), "Acme Support");
    assert_eq!(updated.throughput.per_second(), 250);
    assert_eq!(updated.quality_rating, QualityRating::Yellow);
    assert!(updated.updated_at >= ch.updated_at);
    assert_eq!(updated.created_at, ch.created_at);
    assert_eq!(
        s.get_channel(a, ch.id).await.unwrap(),
        updated,
        "read back what was written"
    );

    // Clearing a profile field.
    let clear = ChannelPatch {
        profile: BusinessProfilePatch {
            about: Some(None),
            ..Default::default()
        },
        ..Default::default()
    };
    assert_eq!(
        s.update_channel(a, ch.id, &clear)
            .await
            .unwrap()
            .profile
            .about,
        None
    );

    // Another account's update is "not found" and changes nothing.
    let other = s
        .create_account(NewAccount::new(name("B")))
        .await
        .unwrap()
        .id;
    assert!(matches!(
        s.update_channel(other, ch.id, &patch).await,
        Err(StoreError::NotFound(Entity::Channel))
    ));
    assert!(matches!(
        s.update_channel(a, ChannelId::generate(), &patch).await,
        Err(StoreError::NotFound(Entity::Channel))
    ));
}

async fn api_keys_authenticate_until_revoked(b: Backend) {
    let s = &b.store;
    let a = s
        .create_account(NewAccount::new(name("A")))
        .await
        .unwrap()
        .id;
    let other = s
        .create_account(NewAccount::new(name("B")))
        .await
        .unwrap()
        .id;
    let ch = s.create_channel(sandbox(a)).await.unwrap();
    let foreign = s.create_channel(sandbox(other)).await.unwrap();

    let (wide, wide_secret) = key(a, KeyChannels::All);
    let wide = s.create_api_key(wide).await.unwrap();
    let (scoped, scoped_secret) = key(a, KeyChannels::Only(vec![ch.id]));
    let scoped = s.create_api_key(scoped).await.unwrap();
    assert_eq!(scoped.channels, KeyChannels::Only(vec![ch.id]));

    // A key scoped to another account's channel is refused and not stored.
    let (bad, bad_secret) = key(a, KeyChannels::Only(vec![foreign.id]));
    assert!(matches!(
        s.create_api_key(bad).await,
        Err(StoreError::NotFound(Entity::Channel))
    ));
    assert!(
        s.authenticate(&bad_secret.digest())
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(s.list_api_keys(a, &Page::default()).await.unwrap().len(), 2);

    let found = s
        .authenticate(&wide_secret.digest())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found, wide);
    assert_eq!(
        s.authenticate(&scoped_secret.digest())
            .await
            .unwrap()
            .unwrap()
            .channels,
        scoped.channels
    );
    assert!(
        s.authenticate(&ApiKeyDigest::of("wag_guess"))
            .await
            .unwrap()
            .is_none()
    );

    // Foreign and unknown keys are "not found"; revoking is idempotent.
    assert!(matches!(
        s.revoke_api_key(other, wide.id).await,
        Err(StoreError::NotFound(Entity::ApiKey))
    ));
    assert!(matches!(
        s.get_api_key(other, wide.id).await,
        Err(StoreError::NotFound(Entity::ApiKey))
    ));
    assert!(matches!(
        s.revoke_api_key(a, ApiKeyId::generate()).await,
        Err(StoreError::NotFound(Entity::ApiKey))
    ));
    let revoked = s.revoke_api_key(a, wide.id).await.unwrap();
    let first_revoked_at = revoked.revoked_at.expect("revoked");
    assert!(!revoked.is_active());
    assert!(
        s.authenticate(&wide_secret.digest())
            .await
            .unwrap()
            .is_none()
    );
    let again = s.revoke_api_key(a, wide.id).await.unwrap();
    assert_eq!(again.revoked_at, Some(first_revoked_at));
    assert_eq!(
        s.get_api_key(a, wide.id).await.unwrap().revoked_at,
        Some(first_revoked_at)
    );
    assert!(
        s.authenticate(&scoped_secret.digest())
            .await
            .unwrap()
            .is_some(),
        "other keys still work"
    );
}

async fn concurrent_writes_commit_together(b: Backend) {
    let s = &b.store;
    let a = s
        .create_account(NewAccount::new(name("A")))
        .await
        .unwrap()
        .id;
    let taken = s.create_channel(sandbox(a)).await.unwrap();
    // 200 writes at once, one of them doomed: the doomed one fails alone.
    let mut writes = Vec::new();
    for i in 0..200 {
        let s = s.clone();
        let mut ch = sandbox(a);
        if i == 100 {
            ch.phone_number_id = taken.phone_number_id.clone();
        }
        writes.push(tokio::spawn(async move { s.create_channel(ch).await }));
    }
    let results: Vec<_> = join_all(writes)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    let failed: Vec<_> = results
        .iter()
        .enumerate()
        .filter(|(_, r)| r.is_err())
        .map(|(i, _)| i)
        .collect();
    assert_eq!(failed, vec![100]);
    assert!(matches!(results[100], Err(StoreError::Conflict(_))));
    let all = s.list_channels(a, &Page::first(500)).await.unwrap();
    assert_eq!(all.len(), 200);
}

async fn data_survives_reopen(b: Backend) {
    let a = b
        .store
        .create_account(NewAccount::new(name("Kept")))
        .await
        .unwrap();
    let ch = b.store.create_channel(sandbox(a.id)).await.unwrap();
    let (k, secret) = key(a.id, KeyChannels::Only(vec![ch.id]));
    let k = b.store.create_api_key(k).await.unwrap();
    b.store.close().await;
    assert!(
        b.store
            .create_account(NewAccount::new(name("late")))
            .await
            .is_err(),
        "closed store refuses writes"
    );

    let reopened = (b.reopen)().await;
    assert_eq!(reopened.get_account(a.id).await.unwrap(), a);
    assert_eq!(reopened.get_channel(a.id, ch.id).await.unwrap(), ch);
    assert_eq!(
        reopened.authenticate(&secret.digest()).await.unwrap(),
        Some(k)
    );
    reopened.ping().await.unwrap();
    reopened.close().await;
}

fn text_to(account: AccountId, channel: ChannelId, to: &str, body: &str) -> NewOutboundMessage {
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

async fn outbound_messages_are_stored_with_their_outbox_entry(b: Backend) {
    let s = &b.store;
    let a = s
        .create_account(NewAccount::new(name("A")))
        .await
        .unwrap()
        .id;
    let other = s
        .create_account(NewAccount::new(name("B")))
        .await
        .unwrap()
        .id;
    let ch = s.create_channel(sandbox(a)).await.unwrap().id;
    let their_ch = s.create_channel(sandbox(other)).await.unwrap().id;

    let new = text_to(a, ch, "+1 650-555-1234", "hello");
    let msg = s.accept_outbound(new.clone()).await.unwrap();
    assert_eq!(msg.status, MessageStatus::Accepted);
    assert_eq!(msg.wamid, new.wamid);
    assert_eq!(msg.wa_id.as_ref().unwrap().digits(), "16505551234");
    assert_eq!(msg.biz_opaque_callback_data.as_deref(), Some("order-42"));
    assert_eq!(s.outbox_depth(ch).await.unwrap(), 1);
    assert_eq!(
        s.get_message(a, &MessageKey::Id(msg.id)).await.unwrap(),
        msg
    );
    assert_eq!(
        s.get_message(a, &MessageKey::Wamid(msg.wamid.clone()))
            .await
            .unwrap(),
        msg
    );
    assert!(matches!(
        s.get_message(other, &MessageKey::Id(msg.id)).await,
        Err(StoreError::NotFound(Entity::Message))
    ));

    // Another account's channel: refused, and neither message nor outbox row is stored.
    let sneaky = text_to(a, their_ch, "+16505551234", "hi");
    assert!(matches!(
        s.accept_outbound(sneaky.clone()).await,
        Err(StoreError::NotFound(Entity::Channel))
    ));
    assert!(s.get_message(a, &MessageKey::Id(sneaky.id)).await.is_err());
    assert_eq!(s.outbox_depth(their_ch).await.unwrap(), 0);

    let mut by_bsuid = text_to(a, ch, "+16505551234", "hi");
    by_bsuid.recipient =
        Recipient::Bsuid(Bsuid::parse_field("recipient", "US.13491208655302741918").unwrap());
    let stored = s.accept_outbound(by_bsuid).await.unwrap();
    assert_eq!(stored.bsuid.unwrap().as_str(), "US.13491208655302741918");
    assert_eq!(stored.wa_id, None);

    let burst: Vec<_> = (0..100)
        .map(|i| {
            let s = s.clone();
            let m = text_to(a, ch, "+447700900123", &format!("burst {i}"));
            tokio::spawn(async move { s.accept_outbound(m).await })
        })
        .collect();
    for r in join_all(burst).await {
        r.unwrap().unwrap();
    }
    assert_eq!(s.outbox_depth(ch).await.unwrap(), 102);
}
