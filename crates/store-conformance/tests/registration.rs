//! The phone-registration part of the conformance story: a number's registration state
//! (absent until it first changes), stored with every field and read back, written only by
//! compare-and-set on its version (so of two writers who read the same version exactly one
//! wins), listed for a set of channels, and invisible to other accounts; the same assertions
//! on every Store backend.

use std::sync::Arc;

use futures::future::join_all;
use wagate_core::Timestamp;
use wagate_core::ids::{AccountId, ChannelId};
use wagate_core::registration::{
    CodeLanguage, CodeMethod, DataRegion, Registration, RegistrationStatus, TwoStepPin,
};
use wagate_core::text::VerifiedName;
use wagate_store::{Entity, Store, StoreError, records};
use wagate_store_conformance::{Backend, account_with_channel, plus, sandbox, story};

story!(registration_round_trips_every_field_by_compare_and_set);
story!(registrations_are_isolated_and_listed_per_channel);
story!(concurrent_writers_of_one_version_one_wins);

/// `r` as the next stored version, changed `at`.
fn next(mut r: Registration, seen: Option<u64>, at: Timestamp) -> Registration {
    r.version = seen.unwrap_or(0) + 1;
    r.updated_at = at;
    r
}

async fn registration_round_trips_every_field_by_compare_and_set(b: Backend) {
    let s: &Arc<dyn Store> = &b.store;
    let (a, ch) = account_with_channel(s, "Acme").await;
    let channel = s.get_channel(a, ch).await.unwrap();
    let t0 = records::now();
    assert_eq!(
        s.get_registration(a, ch).await.unwrap(),
        None,
        "a new channel has no row"
    );

    // First write: a deregistration (from the initial state, nothing stored yet).
    let mut r = Registration::initial(a, ch, channel.created_at);
    r.deregister(t0).unwrap();
    let first = next(r, None, t0);
    assert!(s.save_registration(first.clone(), None).await.unwrap());
    assert_eq!(
        s.get_registration(a, ch).await.unwrap(),
        Some(first.clone())
    );
    assert!(
        !s.save_registration(first.clone(), None).await.unwrap(),
        "a second insert of version 1 loses"
    );

    // Every field set, written over version 1.
    let mut r = first.clone();
    r.request_code(
        &channel.phone_number_id,
        CodeMethod::Voice,
        CodeLanguage::parse("pt_BR").unwrap(),
        plus(t0, 1),
    )
    .unwrap();
    r.set_pin(&TwoStepPin::parse("123456").unwrap());
    r.request_name(VerifiedName::parse("Acme Shoes").unwrap(), plus(t0, 2));
    r.review_name(plus(t0, 2 + wagate_core::registration::NAME_REVIEW_MS));
    r.data_localization_region = Some(DataRegion::parse("IN").unwrap());
    r.blocked_until = Some(plus(t0, 3));
    r.registered_at = Some(plus(t0, 4));
    r.register_calls = vec![plus(t0, 5), plus(t0, 6)];
    if let Some(code) = r.code.as_mut() {
        code.attempts = 2;
    }
    let second = next(r, Some(1), plus(t0, 7));
    assert!(
        !s.save_registration(second.clone(), Some(2)).await.unwrap(),
        "a stale version loses"
    );
    assert!(s.save_registration(second.clone(), Some(1)).await.unwrap());
    let stored = s.get_registration(a, ch).await.unwrap().unwrap();
    assert_eq!(stored, second, "every field");
    assert!(
        stored
            .pin
            .as_ref()
            .unwrap()
            .matches(&TwoStepPin::parse("123456").unwrap())
    );
    assert_eq!(stored.status, RegistrationStatus::Deregistered);
    assert!(
        !s.save_registration(second.clone(), Some(1)).await.unwrap(),
        "version 1 is gone"
    );

    // And it survives a restart.
    let reopened = (b.reopen)().await;
    assert_eq!(
        reopened.get_registration(a, ch).await.unwrap(),
        Some(second)
    );
}

async fn registrations_are_isolated_and_listed_per_channel(b: Backend) {
    let s: &Arc<dyn Store> = &b.store;
    let (a, ch1) = account_with_channel(s, "Acme").await;
    let ch2 = s.create_channel(sandbox(a)).await.unwrap().id;
    let ch3 = s.create_channel(sandbox(a)).await.unwrap().id;
    let (other, other_ch) = account_with_channel(s, "Other").await;
    let t0 = records::now();
    let saved = |account: AccountId, ch: ChannelId| {
        let mut r = Registration::initial(account, ch, t0);
        r.deregister(t0).unwrap();
        next(r, None, t0)
    };
    for (account, ch) in [(a, ch1), (a, ch3), (other, other_ch)] {
        assert!(s.save_registration(saved(account, ch), None).await.unwrap());
    }

    // Another account's channel: not found to write, absent to read.
    let foreign = saved(a, other_ch);
    assert!(matches!(
        s.save_registration(foreign, None).await,
        Err(StoreError::NotFound(Entity::Channel))
    ));
    let mut stale = saved(a, other_ch);
    stale.version = 2;
    assert!(matches!(
        s.save_registration(stale, Some(1)).await,
        Err(StoreError::NotFound(Entity::Channel))
    ));
    assert_eq!(s.get_registration(a, other_ch).await.unwrap(), None);
    assert_eq!(
        s.get_registration(other, other_ch)
            .await
            .unwrap()
            .map(|r| r.version),
        Some(1),
        "the other account's row is untouched"
    );
    let unknown = ChannelId::generate();
    assert!(matches!(
        s.save_registration(saved(a, unknown), None).await,
        Err(StoreError::NotFound(Entity::Channel))
    ));

    // Listing: only the asked channels that have a row, and only the account's.
    let mut listed: Vec<ChannelId> = s
        .list_registrations(a, &[ch1, ch2, ch3, other_ch, unknown])
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.channel_id)
        .collect();
    listed.sort();
    let mut want = vec![ch1, ch3];
    want.sort();
    assert_eq!(listed, want);
    assert!(s.list_registrations(a, &[]).await.unwrap().is_empty());
    assert!(s.list_registrations(a, &[ch2]).await.unwrap().is_empty());
}

async fn concurrent_writers_of_one_version_one_wins(b: Backend) {
    let s: &Arc<dyn Store> = &b.store;
    let (a, ch) = account_with_channel(s, "Acme").await;
    let t0 = records::now();
    // Ten first writes at once: one inserts.
    let writes = (0..10).map(|i| {
        let s = s.clone();
        async move {
            let mut r = Registration::initial(a, ch, t0);
            r.set_pin(&TwoStepPin::parse(&format!("{i:06}")).unwrap());
            s.save_registration(next(r, None, t0), None).await.unwrap()
        }
    });
    let won = join_all(writes).await.into_iter().filter(|w| *w).count();
    assert_eq!(won, 1);
    // Ten updates of version 1 at once: one moves it to 2.
    let base = s.get_registration(a, ch).await.unwrap().unwrap();
    let writes = (0..10).map(|i| {
        let (s, mut r) = (s.clone(), base.clone());
        async move {
            r.register_calls.push(plus(t0, i));
            s.save_registration(next(r, Some(1), plus(t0, i)), Some(1))
                .await
                .unwrap()
        }
    });
    let won = join_all(writes).await.into_iter().filter(|w| *w).count();
    assert_eq!(won, 1);
    let stored = s.get_registration(a, ch).await.unwrap().unwrap();
    assert_eq!(stored.version, 2);
    assert_eq!(stored.register_calls.len(), 1);
}
