//! The WOZTELL signing secret part of the conformance story: a channel's secret issued,
//! read back (sealed at rest), rotated, invisible to another account's writes, revoked, and
//! kept across a reopen; the same assertions on every Store backend.

use std::sync::{Arc, Once};

use wagate_store::sealing::{self, DataKey};
use wagate_store::woztell_secrets::StoredWoztellSecret;
use wagate_store::{Entity, Store, StoreError, records};
use wagate_store_conformance::{Backend, account_with_channel, plus, sandbox, story};

story!(woztell_secrets_are_one_per_channel_rotated_and_revoked);

async fn woztell_secrets_are_one_per_channel_rotated_and_revoked(b: Backend) {
    // One data key for this process, before any write: every value is sealed under it.
    static KEY: Once = Once::new();
    KEY.call_once(|| sealing::install(vec![DataKey::generate().0]));
    let s: &Arc<dyn Store> = &b.store;
    let (a, ch) = account_with_channel(s, "Acme").await;
    let second = s.create_channel(sandbox(a)).await.unwrap().id;
    let (other, other_ch) = account_with_channel(s, "Other").await;
    let t0 = records::now();
    let secret = |account, channel, value: &str, at| StoredWoztellSecret {
        account_id: account,
        channel_id: channel,
        secret: value.to_owned(),
        issued_at: at,
    };

    // Nothing set yet.
    assert_eq!(s.woztell_secret(ch).await.unwrap(), None);

    // Issued and read back, every field; the row names the account.
    let first = secret(a, ch, "first-secret", t0);
    assert_eq!(s.put_woztell_secret(first.clone()).await.unwrap(), first);
    assert_eq!(s.woztell_secret(ch).await.unwrap(), Some(first.clone()));
    assert_eq!(s.woztell_secret(second).await.unwrap(), None);
    assert_eq!(s.woztell_secret(other_ch).await.unwrap(), None);

    // Another account naming this channel stores nothing, revokes nothing.
    assert!(matches!(
        s.put_woztell_secret(secret(other, ch, "intruder", plus(t0, 5)))
            .await,
        Err(StoreError::NotFound(Entity::Channel))
    ));
    assert!(!s.delete_woztell_secret(other, ch).await.unwrap());
    assert_eq!(s.woztell_secret(ch).await.unwrap(), Some(first.clone()));

    // Rotated: the new value and issue time replace the old.
    let rotated = secret(a, ch, "rotated-secret", plus(t0, 10));
    assert_eq!(
        s.put_woztell_secret(rotated.clone()).await.unwrap(),
        rotated
    );
    assert_eq!(s.woztell_secret(ch).await.unwrap(), Some(rotated.clone()));

    // Each channel its own.
    let on_second = secret(a, second, "second-secret", t0);
    s.put_woztell_secret(on_second.clone()).await.unwrap();
    assert_eq!(s.woztell_secret(ch).await.unwrap(), Some(rotated.clone()));

    // Revoked: gone, once.
    assert!(s.delete_woztell_secret(a, second).await.unwrap());
    assert!(!s.delete_woztell_secret(a, second).await.unwrap());
    assert_eq!(s.woztell_secret(second).await.unwrap(), None);

    // Sealed at rest under the current key: resealing finds nothing to do, and the values
    // still open.
    assert_eq!(s.reseal_secrets().await.unwrap(), 0);
    assert_eq!(s.woztell_secret(ch).await.unwrap(), Some(rotated.clone()));

    // Kept across a reopen.
    s.close().await;
    let reopened = (b.reopen)().await;
    assert_eq!(reopened.woztell_secret(ch).await.unwrap(), Some(rotated));
    assert_eq!(reopened.woztell_secret(second).await.unwrap(), None);
    reopened.close().await;
}
