//! The console session part of the conformance story: a session stored, found by its digest
//! until it expires, ended by signing out, purged once expired, and kept across a reopen;
//! the same assertions on every Store backend.

use std::sync::Arc;

use wagate_core::api_key::{KeyChannels, NewApiKey};
use wagate_core::text::KeyName;
use wagate_store::console_sessions::StoredConsoleSession;
use wagate_store::{Store, records};
use wagate_store_conformance::{Backend, account_with_channel, plus, story};

story!(console_sessions_live_until_they_expire_or_end);

async fn console_sessions_live_until_they_expire_or_end(b: Backend) {
    let s: &Arc<dyn Store> = &b.store;
    let (a, _) = account_with_channel(s, "Acme").await;
    let (new, _secret) =
        NewApiKey::generate(a, KeyName::parse("console").unwrap(), KeyChannels::All);
    let key = s.create_api_key(new).await.unwrap();
    let t0 = records::now();
    let session = |byte: u8, expires| StoredConsoleSession {
        digest: [byte; 32],
        account_id: a,
        key_id: key.id,
        csrf: format!("csrf-{byte}"),
        created_at: t0,
        expires_at: expires,
    };
    let one = session(1, plus(t0, 3600));
    let short = session(2, plus(t0, 60));
    s.create_console_session(one.clone()).await.unwrap();
    s.create_console_session(short.clone()).await.unwrap();

    // Found by digest, every field; an unknown digest finds nothing.
    assert_eq!(
        s.console_session([1; 32], t0).await.unwrap(),
        Some(one.clone())
    );
    assert_eq!(
        s.console_session([2; 32], t0).await.unwrap(),
        Some(short.clone())
    );
    assert_eq!(s.console_session([9; 32], t0).await.unwrap(), None);

    // Expired: no longer found, then purged (only the expired one).
    assert_eq!(
        s.console_session([2; 32], plus(t0, 60)).await.unwrap(),
        None
    );
    assert_eq!(
        s.delete_expired_console_sessions(plus(t0, 61))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        s.console_session([1; 32], plus(t0, 61)).await.unwrap(),
        Some(one.clone())
    );

    // Kept across a reopen.
    let reopened = (b.reopen)().await;
    assert_eq!(
        reopened.console_session([1; 32], t0).await.unwrap(),
        Some(one)
    );

    // Signed out: gone, and a second sign-out finds nothing.
    assert!(s.delete_console_session([1; 32]).await.unwrap());
    assert!(!s.delete_console_session([1; 32]).await.unwrap());
    assert_eq!(s.console_session([1; 32], t0).await.unwrap(), None);
}
