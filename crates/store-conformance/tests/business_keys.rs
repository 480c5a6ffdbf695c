//! The business public key part of the conformance story: a phone number's key set, read,
//! replaced, invisible to another phone number or account, never overwritten across
//! accounts, and kept across a reopen; the same assertions on every Store backend.

use std::sync::Arc;

use wagate_core::business_key::{BusinessPrivateKey, KeySignature};
use wagate_core::ids::{AccountId, ChannelId, PhoneNumberId};
use wagate_store::business_keys::StoredBusinessKey;
use wagate_store::{Entity, Store, StoreError, records};
use wagate_store_conformance::{Backend, account_with_channel, plus, sandbox, story};

story!(business_keys_are_one_per_phone_number_and_stay_with_it);

fn stored(
    a: AccountId,
    ch: ChannelId,
    private: &BusinessPrivateKey,
    at: wagate_core::Timestamp,
) -> StoredBusinessKey {
    let key = private.public_key();
    let pnid = PhoneNumberId::parse("106540352242922").unwrap();
    StoredBusinessKey {
        account_id: a,
        channel_id: ch,
        signature: key.sign(&pnid),
        key,
        created_at: at,
        updated_at: at,
    }
}

async fn business_keys_are_one_per_phone_number_and_stay_with_it(b: Backend) {
    let s: &Arc<dyn Store> = &b.store;
    let (a, ch) = account_with_channel(s, "Acme").await;
    let second = s.create_channel(sandbox(a)).await.unwrap().id;
    let (other, other_ch) = account_with_channel(s, "Other").await;
    let (k1, k2) = (
        BusinessPrivateKey::generate(),
        BusinessPrivateKey::generate(),
    );
    let t0 = records::now();

    // Nothing set yet.
    assert_eq!(s.get_business_key(a, ch).await.unwrap(), None);

    // Set and read back every field.
    let first = stored(a, ch, &k1, t0);
    assert_eq!(s.put_business_key(first.clone()).await.unwrap(), first);
    assert_eq!(
        s.get_business_key(a, ch).await.unwrap(),
        Some(first.clone())
    );

    // Another phone number of the account, another account: nothing.
    assert_eq!(s.get_business_key(a, second).await.unwrap(), None);
    assert_eq!(s.get_business_key(other, ch).await.unwrap(), None);
    assert_eq!(s.get_business_key(other, other_ch).await.unwrap(), None);

    // Another account naming this channel stores nothing and changes nothing.
    let intruder = stored(other, ch, &k2, plus(t0, 5));
    assert!(matches!(
        s.put_business_key(intruder).await,
        Err(StoreError::NotFound(Entity::Channel))
    ));
    assert_eq!(
        s.get_business_key(a, ch).await.unwrap(),
        Some(first.clone())
    );

    // Setting again replaces the key; the first creation time stays.
    let t1 = plus(t0, 10);
    let mut replaced = stored(a, ch, &k2, t1);
    replaced.signature = KeySignature::stored("a stored signature that no longer matches");
    let back = s.put_business_key(replaced.clone()).await.unwrap();
    assert_eq!(back.key, k2.public_key());
    assert_eq!(back.signature, replaced.signature);
    assert_eq!((back.created_at, back.updated_at), (t0, t1));
    assert_eq!(s.get_business_key(a, ch).await.unwrap(), Some(back.clone()));

    // Each phone number its own key.
    let on_second = stored(a, second, &k1, t1);
    s.put_business_key(on_second.clone()).await.unwrap();
    assert_eq!(s.get_business_key(a, ch).await.unwrap(), Some(back.clone()));
    assert_eq!(
        s.get_business_key(a, second).await.unwrap(),
        Some(on_second.clone())
    );

    // Kept across a reopen.
    s.close().await;
    let reopened = (b.reopen)().await;
    assert_eq!(reopened.get_business_key(a, ch).await.unwrap(), Some(back));
    assert_eq!(
        reopened.get_business_key(a, second).await.unwrap(),
        Some(on_second)
    );
    reopened.close().await;
}
