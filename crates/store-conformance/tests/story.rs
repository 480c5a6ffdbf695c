//! The conformance story: the same assertions on every Store backend.

use futures::future::join_all;
use wagate_core::account::NewAccount;
use wagate_core::api_key::{ApiKeyDigest, KeyChannels, NewApiKey};
use wagate_core::channel::{BusinessProfilePatch, ChannelPatch, QualityRating, Throughput};
use wagate_core::contact::MarketingPreference;
use wagate_core::content::MessageType;
use wagate_core::failure::Failure;
use wagate_core::ids::{AccountId, ApiKeyId, ChannelId, PhoneNumberId};
use wagate_core::ids::{ContactId, MessageId};
use wagate_core::message::{Bsuid, Content, Direction, MessageStatus, Recipient};
use wagate_core::network::{NetworkEvent, NewInboundMessage, StatusUpdate};
use wagate_core::phone::PhoneE164;
use wagate_core::policy::RecipientState;
use wagate_core::pricing;
use wagate_core::text::{KeyName, ProfileAbout, VerifiedName};
use wagate_store::records;
use wagate_store::{
    Applied, Bootstrap, ContactKey, DispatchOutcome, Entity, MessageFilter, MessageKey, OutboxJob,
    Page, StoreError,
};
use wagate_store_conformance::{
    Backend, USER_A, USER_B, USER_C, account_with_channel, get, inbound, name, plus, sandbox, send,
    sent, status, story, text_to,
};

story!(bootstrap_happens_once);
story!(accounts_are_paged_in_creation_order);
story!(channels_are_scoped_to_their_account);
story!(channel_updates_apply_patches);
story!(api_keys_authenticate_until_revoked);
story!(concurrent_writes_commit_together);
story!(data_survives_reopen);
story!(outbound_messages_are_stored_with_their_outbox_entry);
story!(outbox_leases_head_of_line_per_recipient);
story!(expired_leases_are_reaped);
story!(renewed_outbox_leases_outlive_their_first_term);
story!(sent_is_recorded_once_and_followups_applied_in_order);
story!(reports_applied_together_keep_each_messages_order);
story!(failed_outcome_sets_error_and_removes_the_entry);
story!(inbound_creates_and_renews_contacts);
story!(block_list);
story!(message_list_filters);

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
        Err(StoreError::Conflict { .. })
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
    assert!(matches!(results[100], Err(StoreError::Conflict { .. })));
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

const BSUID_A: &str = "US.13491208655302741918";

/// The message ids of leased jobs, in id order.
fn job_ids(jobs: &[OutboxJob]) -> Vec<MessageId> {
    let mut ids: Vec<_> = jobs.iter().map(|j| j.message.id).collect();
    ids.sort();
    ids
}

fn sorted(mut ids: Vec<MessageId>) -> Vec<MessageId> {
    ids.sort();
    ids
}

/// What each applied event did: the message's new status, or `None` when ignored.
fn summary(applied: &[Applied]) -> Vec<(MessageId, Option<MessageStatus>)> {
    applied
        .iter()
        .map(|a| match a {
            Applied::Status { message } | Applied::Inbound { message } => {
                (message.id, Some(message.status))
            }
            Applied::Ignored { message_id } => (*message_id, None),
        })
        .collect()
}

async fn outbox_leases_head_of_line_per_recipient(b: Backend) {
    let s = &b.store;
    let (a, ch) = account_with_channel(s, "A").await;
    let ch2 = s.create_channel(sandbox(a)).await.unwrap().id;
    let mut to_a = Vec::new();
    for _ in 0..3 {
        to_a.push(send(s, a, ch, USER_A).await);
    }
    let mut to_b = Vec::new();
    for _ in 0..2 {
        to_b.push(send(s, a, ch, USER_B).await);
    }
    let to_c = send(s, a, ch2, USER_C).await;

    let now = records::now();
    let until = plus(now, 60_000);
    let jobs = s.lease_outbox(now, until, 100).await.unwrap();
    assert_eq!(
        job_ids(&jobs),
        sorted(vec![to_a[0], to_b[0], to_c]),
        "only the oldest entry of each recipient"
    );
    for job in &jobs {
        assert_eq!(job.attempts, 0);
        assert_eq!(job.recipient, RecipientState::default(), "no contact yet");
        assert_eq!(job.message, get(s, a, job.message.id).await);
    }
    assert!(
        s.lease_outbox(now, until, 100).await.unwrap().is_empty(),
        "leased entries are not leased again, and the ones behind them wait"
    );

    // A's head is handed over: A's second message is next, nobody else's.
    s.complete_dispatch(vec![sent(to_a[0], now, vec![])])
        .await
        .unwrap();
    assert_eq!(get(s, a, to_a[0]).await.status, MessageStatus::Sent);
    assert_eq!(s.outbox_depth(ch).await.unwrap(), 4);
    let next = s.lease_outbox(now, until, 100).await.unwrap();
    assert_eq!(job_ids(&next), vec![to_a[1]]);

    // An upstream error: retried at available_at, counted as an attempt.
    s.complete_dispatch(vec![DispatchOutcome::Retry {
        message_id: to_a[1],
        available_at: plus(now, 10_000),
        attempted: true,
        error: Some(Failure::Throughput.error()),
    }])
    .await
    .unwrap();
    assert!(
        s.lease_outbox(now, until, 100).await.unwrap().is_empty(),
        "not due yet, and A's third message waits behind it"
    );
    let later = plus(now, 11_000);
    let again = s
        .lease_outbox(later, plus(later, 60_000), 100)
        .await
        .unwrap();
    assert_eq!(job_ids(&again), vec![to_a[1]]);
    assert_eq!(again[0].attempts, 1);

    // A wait for pacing is not an attempt.
    s.complete_dispatch(vec![DispatchOutcome::Retry {
        message_id: to_a[1],
        available_at: later,
        attempted: false,
        error: None,
    }])
    .await
    .unwrap();
    let again = s
        .lease_outbox(later, plus(later, 60_000), 100)
        .await
        .unwrap();
    assert_eq!(job_ids(&again), vec![to_a[1]]);
    assert_eq!(again[0].attempts, 1);

    // The same user on another channel is a line of its own.
    let a_elsewhere = send(s, a, ch2, USER_A).await;
    let other_line = s
        .lease_outbox(later, plus(later, 60_000), 100)
        .await
        .unwrap();
    assert_eq!(job_ids(&other_line), vec![a_elsewhere]);
    assert_eq!(s.outbox_depth(ch).await.unwrap(), 4);
    assert_eq!(s.outbox_depth(ch2).await.unwrap(), 2);

    // Dispatchers leasing at once never get the same entry.
    let ch3 = s.create_channel(sandbox(a)).await.unwrap().id;
    let mut many = Vec::new();
    for i in 0..40 {
        many.push(send(s, a, ch3, &format!("+1650555{i:04}")).await);
    }
    let at = records::now();
    let leasers: Vec<_> = (0..8)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move { s.lease_outbox(at, plus(at, 60_000), 10).await })
        })
        .collect();
    let mut got = Vec::new();
    for r in join_all(leasers).await {
        got.extend(job_ids(&r.unwrap().unwrap()));
    }
    got.extend(job_ids(
        &s.lease_outbox(at, plus(at, 60_000), 100).await.unwrap(),
    ));
    assert_eq!(sorted(got), many, "each entry leased exactly once");
}

async fn expired_leases_are_reaped(b: Backend) {
    let s = &b.store;
    let (a, ch) = account_with_channel(s, "A").await;
    let first = send(s, a, ch, USER_A).await;
    let second = send(s, a, ch, USER_B).await;
    let now = records::now();

    let jobs = s.lease_outbox(now, plus(now, 1), 1).await.unwrap();
    assert_eq!(job_ids(&jobs), vec![first], "limit 1 takes the oldest");
    assert_eq!(
        s.release_expired_leases(now).await.unwrap(),
        0,
        "a live lease is kept"
    );
    assert_eq!(s.release_expired_leases(plus(now, 10)).await.unwrap(), 1);
    assert_eq!(s.release_expired_leases(plus(now, 10)).await.unwrap(), 0);

    let again = s
        .lease_outbox(plus(now, 10), plus(now, 60_000), 10)
        .await
        .unwrap();
    assert_eq!(job_ids(&again), sorted(vec![first, second]));
    assert_eq!(
        get(s, a, first).await.status,
        MessageStatus::Accepted,
        "reaping does not change the message"
    );
}

async fn renewed_outbox_leases_outlive_their_first_term(b: Backend) {
    let s = &b.store;
    let (a, ch) = account_with_channel(s, "A").await;
    let first = send(s, a, ch, USER_A).await;
    let second = send(s, a, ch, USER_B).await;
    let now = records::now();
    let held = plus(now, 5_000);
    let jobs = s.lease_outbox(now, held, 10).await.unwrap();
    assert_eq!(job_ids(&jobs), sorted(vec![first, second]));

    // Renewed under the lease it was taken with: the reaper leaves it past its first term.
    let renewed_until = plus(now, 10_000);
    let renewed = s
        .renew_outbox(vec![first, second], held, renewed_until)
        .await
        .unwrap();
    assert_eq!(sorted(renewed), sorted(vec![first, second]));
    assert_eq!(s.release_expired_leases(plus(now, 6_000)).await.unwrap(), 0);
    assert!(
        s.lease_outbox(plus(now, 6_000), plus(now, 11_000), 10)
            .await
            .unwrap()
            .is_empty(),
        "a renewed entry is not leased again"
    );

    // Naming a lease that is no longer held renews nothing.
    assert!(
        s.renew_outbox(vec![first], held, plus(now, 20_000))
            .await
            .unwrap()
            .is_empty()
    );
    // Once the renewal runs out, the reaper frees both.
    assert_eq!(
        s.release_expired_leases(plus(now, 10_001)).await.unwrap(),
        2
    );
    assert!(
        s.renew_outbox(vec![first, second], renewed_until, plus(now, 30_000))
            .await
            .unwrap()
            .is_empty(),
        "a reaped lease is not renewed"
    );
    assert!(
        s.renew_outbox(vec![], held, renewed_until)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn sent_is_recorded_once_and_followups_applied_in_order(b: Backend) {
    let s = &b.store;
    let (a, ch) = account_with_channel(s, "A").await;
    let m = send(s, a, ch, USER_A).await;
    let now = records::now();
    assert_eq!(
        s.lease_outbox(now, plus(now, 60_000), 10)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(s.next_event_due().await.unwrap(), None);

    let pricing = pricing::classify(MessageType::Text, None, true).unwrap();
    let conversation = pricing::conversation(m, &pricing, now);
    let (t1, t2) = (plus(now, 1_000), plus(now, 2_000));
    let mut reply = inbound(a, ch, USER_A, "thanks", t2);
    reply.context = Some(get(s, a, m).await.wamid);
    s.complete_dispatch(vec![DispatchOutcome::Sent {
        message_id: m,
        at: now,
        pricing: Some(pricing.clone()),
        conversation: Some(conversation.clone()),
        upstream_id: None,
        followups: vec![
            status(m, MessageStatus::Delivered, t1),
            status(m, MessageStatus::Read, t2),
            NetworkEvent::Inbound(Box::new(reply.clone())),
        ],
    }])
    .await
    .unwrap();
    let msg = get(s, a, m).await;
    assert_eq!(msg.status, MessageStatus::Sent);
    assert_eq!(msg.sent_at, Some(now));
    assert_eq!(msg.handovers, 1);
    assert_eq!(msg.pricing, Some(pricing));
    assert_eq!(msg.conversation, Some(conversation));
    assert_eq!(msg.delivered_at, None);
    assert_eq!(s.outbox_depth(ch).await.unwrap(), 0);
    assert_eq!(s.next_event_due().await.unwrap(), Some(t1));

    // The same hand-over reported again (another node, a retry): nothing changes.
    s.complete_dispatch(vec![sent(
        m,
        plus(now, 100),
        vec![status(m, MessageStatus::Delivered, plus(now, 500))],
    )])
    .await
    .unwrap();
    assert_eq!(get(s, a, m).await, msg, "a hand-over is recorded once");
    assert_eq!(
        s.next_event_due().await.unwrap(),
        Some(t1),
        "the second Sent stored no followups"
    );

    // Followups apply when due, one at a time, and are removed.
    let applied = s.apply_due_events(t1, 100).await.unwrap();
    assert_eq!(summary(&applied), vec![(m, Some(MessageStatus::Delivered))]);
    let Applied::Status { message } = &applied[0] else {
        unreachable!()
    };
    assert_eq!(message.delivered_at, Some(t1));
    assert_eq!(message, &get(s, a, m).await);
    assert_eq!(s.next_event_due().await.unwrap(), Some(t2));
    assert!(s.apply_due_events(t1, 100).await.unwrap().is_empty());
    let applied = s.apply_due_events(t2, 100).await.unwrap();
    assert_eq!(
        summary(&applied),
        vec![
            (m, Some(MessageStatus::Read)),
            (reply.id, Some(MessageStatus::Received))
        ]
    );
    let Applied::Inbound { message: stored } = &applied[1] else {
        panic!("the reply is stored: {applied:?}")
    };
    assert_eq!(stored, &get(s, a, reply.id).await);
    assert_eq!(stored.context, reply.context);
    assert_eq!(stored.direction, Direction::Inbound);
    let user = s
        .find_contact(ch, &ContactKey::WaId(reply.wa_id.clone()))
        .await
        .unwrap()
        .expect("the reply created the contact");
    assert_eq!(user.last_inbound_at, Some(t2));
    assert_eq!(s.next_event_due().await.unwrap(), None);
    let read = get(s, a, m).await;
    assert_eq!(read.status, MessageStatus::Read);
    assert_eq!(
        (read.sent_at, read.delivered_at, read.read_at),
        (Some(now), Some(t1), Some(t2))
    );
    assert_eq!(read.handovers, 1);

    // Regression: a delivered that arrives after read (and a failed after that) is ignored.
    // The followups are listed out of time order: they apply by time.
    let m2 = send(s, a, ch, USER_B).await;
    let now2 = records::now();
    assert_eq!(
        job_ids(&s.lease_outbox(now2, plus(now2, 60_000), 10).await.unwrap()),
        vec![m2]
    );
    let (t3, t4, t5) = (plus(now2, 1_000), plus(now2, 2_000), plus(now2, 3_000));
    s.complete_dispatch(vec![sent(
        m2,
        now2,
        vec![
            status(m2, MessageStatus::Delivered, t4),
            status(m2, MessageStatus::Read, t3),
            // The network reporting the same reply twice: stored once, skipped after.
            NetworkEvent::Inbound(Box::new(NewInboundMessage { at: t4, ..reply })),
            NetworkEvent::Status(StatusUpdate {
                message_id: m2,
                status: MessageStatus::Failed,
                at: t5,
                error: Some(Failure::Undeliverable.error()),
                pricing: None,
                conversation: None,
            }),
        ],
    )])
    .await
    .unwrap();
    assert_eq!(s.next_event_due().await.unwrap(), Some(t3));
    assert_eq!(
        summary(&s.apply_due_events(t5, 1).await.unwrap()),
        vec![(m2, Some(MessageStatus::Read))],
        "limit 1: the earliest event only"
    );
    assert_eq!(
        summary(&s.apply_due_events(t5, 10).await.unwrap()),
        vec![(m2, None), (m2, None)],
        "late statuses ignored, the repeated reply skipped"
    );
    assert_eq!(
        s.find_contact(ch, &ContactKey::WaId(PhoneE164::parse(USER_A).unwrap()))
            .await
            .unwrap()
            .unwrap()
            .last_inbound_at,
        Some(t2),
        "the repeated reply did not renew the contact"
    );
    let late = get(s, a, m2).await;
    assert_eq!(late.status, MessageStatus::Read);
    assert_eq!(late.read_at, Some(t3));
    assert_eq!(late.delivered_at, None);
    assert_eq!((late.failed_at, late.error), (None, None));
    assert_eq!(s.next_event_due().await.unwrap(), None);
}

/// Many reports applied in one step keep each message's own order, whatever the mix.
async fn reports_applied_together_keep_each_messages_order(b: Backend) {
    let s = &b.store;
    let (a, ch) = account_with_channel(s, "acme").await;
    let (m1, m2) = (send(s, a, ch, USER_A).await, send(s, a, ch, USER_B).await);
    let now = records::now();
    assert_eq!(
        job_ids(&s.lease_outbox(now, plus(now, 60_000), 10).await.unwrap()),
        sorted(vec![m1, m2])
    );
    let (t1, t2, t3) = (plus(now, 1_000), plus(now, 2_000), plus(now, 3_000));
    s.complete_dispatch(vec![
        // m1's read is reported before its delivered: the delivered comes too late.
        sent(
            m1,
            now,
            vec![
                status(m1, MessageStatus::Read, t1),
                status(m1, MessageStatus::Delivered, t2),
            ],
        ),
        sent(
            m2,
            now,
            vec![
                status(m2, MessageStatus::Delivered, t1),
                status(m2, MessageStatus::Delivered, t2),
                status(m2, MessageStatus::Read, t3),
            ],
        ),
    ])
    .await
    .unwrap();
    let applied = s.apply_due_events(t3, 100).await.unwrap();
    assert_eq!(applied.len(), 5, "{applied:?}");
    let mut at_t1 = summary(&applied[..2]);
    at_t1.sort_by_key(|(id, _)| *id);
    let mut expected = vec![
        (m1, Some(MessageStatus::Read)),
        (m2, Some(MessageStatus::Delivered)),
    ];
    expected.sort_by_key(|(id, _)| *id);
    assert_eq!(at_t1, expected, "both t1 reports moved their message");
    let mut at_t2 = summary(&applied[2..4]);
    at_t2.sort_by_key(|(id, _)| *id);
    let mut expected = vec![(m1, None), (m2, None)];
    expected.sort_by_key(|(id, _)| *id);
    assert_eq!(
        at_t2, expected,
        "the late and the repeated report are ignored"
    );
    assert_eq!(
        summary(&applied[4..]),
        vec![(m2, Some(MessageStatus::Read))]
    );
    let (one, two) = (get(s, a, m1).await, get(s, a, m2).await);
    assert_eq!(
        (one.status, one.delivered_at, one.read_at),
        (MessageStatus::Read, None, Some(t1))
    );
    assert_eq!(
        (two.status, two.delivered_at, two.read_at),
        (MessageStatus::Read, Some(t1), Some(t3))
    );
    assert_eq!(s.next_event_due().await.unwrap(), None);
}

async fn failed_outcome_sets_error_and_removes_the_entry(b: Backend) {
    let s = &b.store;
    let (a, ch) = account_with_channel(s, "A").await;
    let m = send(s, a, ch, USER_A).await;
    let now = records::now();
    assert_eq!(
        job_ids(&s.lease_outbox(now, plus(now, 60_000), 10).await.unwrap()),
        vec![m]
    );
    let error = Failure::ReEngagement.error();
    s.complete_dispatch(vec![DispatchOutcome::Failed {
        message_id: m,
        at: now,
        error: error.clone(),
    }])
    .await
    .unwrap();
    let failed = get(s, a, m).await;
    assert_eq!(failed.status, MessageStatus::Failed);
    assert_eq!(failed.error.as_ref().map(|e| e.code), Some(131047));
    assert_eq!(failed.error, Some(error));
    assert_eq!(failed.failed_at, Some(now));
    assert_eq!((failed.sent_at, failed.handovers), (None, 0));
    assert_eq!(s.outbox_depth(ch).await.unwrap(), 0);

    // A late Sent for it changes nothing and schedules nothing.
    s.complete_dispatch(vec![sent(
        m,
        plus(now, 5),
        vec![status(m, MessageStatus::Delivered, plus(now, 10))],
    )])
    .await
    .unwrap();
    assert_eq!(get(s, a, m).await, failed);
    assert_eq!(s.next_event_due().await.unwrap(), None);

    // The user's next message is no longer held behind it.
    let next = send(s, a, ch, USER_A).await;
    let later = records::now();
    assert_eq!(
        job_ids(
            &s.lease_outbox(later, plus(later, 60_000), 10)
                .await
                .unwrap()
        ),
        vec![next]
    );

    // A stale holder (its lease expired and another dispatcher handed the message over)
    // reporting Failed afterwards changes nothing: the entry is gone.
    s.complete_dispatch(vec![sent(next, later, vec![])])
        .await
        .unwrap();
    let handed_over = get(s, a, next).await;
    s.complete_dispatch(vec![DispatchOutcome::Failed {
        message_id: next,
        at: plus(later, 1),
        error: Failure::Undeliverable.error(),
    }])
    .await
    .unwrap();
    let after = get(s, a, next).await;
    assert_eq!(after.status, MessageStatus::Sent);
    assert_eq!((after.failed_at, &after.error), (None, &None));
    assert_eq!(after, handed_over);
}

async fn inbound_creates_and_renews_contacts(b: Backend) {
    let s = &b.store;
    let (a, ch) = account_with_channel(s, "A").await;
    let other_ch = s.create_channel(sandbox(a)).await.unwrap().id;
    let wa_id = PhoneE164::parse(USER_A).unwrap();
    let bsuid = Bsuid::parse_field("bsuid", BSUID_A).unwrap();
    let at = plus(records::now(), -3_600_000);

    let mut first = inbound(a, ch, USER_A, "STOP", at);
    first.bsuid = Some(bsuid.clone());
    first.profile_name = Some("Ana".to_owned());
    first.preference = Some(MarketingPreference::Stop);
    let msg = s.ingest_inbound(first.clone()).await.unwrap();
    assert_eq!(msg.id, first.id);
    assert_eq!(msg.wamid, first.wamid);
    assert_eq!(msg.direction, Direction::Inbound);
    assert_eq!(msg.status, MessageStatus::Received);
    assert_eq!(msg.created_at, at);
    assert_eq!(msg.wa_id.as_ref(), Some(&wa_id));
    assert_eq!(msg.bsuid.as_ref(), Some(&bsuid));
    assert_eq!(msg.profile_name.as_deref(), Some("Ana"));
    assert_eq!(msg.content, first.content);
    assert_eq!(get(s, a, msg.id).await, msg);

    let contact = s
        .find_contact(ch, &ContactKey::WaId(wa_id.clone()))
        .await
        .unwrap()
        .expect("contact created");
    assert_eq!(
        s.find_contact(ch, &ContactKey::Bsuid(bsuid.clone()))
            .await
            .unwrap()
            .as_ref(),
        Some(&contact)
    );
    assert_eq!((contact.account_id, contact.channel_id), (a, ch));
    assert_eq!(contact.wa_id.as_ref(), Some(&wa_id));
    assert_eq!(contact.profile_name.as_deref(), Some("Ana"));
    assert_eq!(contact.first_message_at, Some(at));
    assert_eq!(contact.last_inbound_at, Some(at));
    assert_eq!(contact.marketing_opt_out_at, Some(at));
    assert_eq!(contact.blocked_at, None);
    assert!(contact.recipient().marketing_opt_out);
    assert!(
        s.find_contact(other_ch, &ContactKey::WaId(wa_id.clone()))
            .await
            .unwrap()
            .is_none(),
        "contacts are per channel"
    );

    // START a minute later, without a profile name or BSUID.
    let at2 = plus(at, 60_000);
    let mut second = inbound(a, ch, USER_A, "START", at2);
    second.preference = Some(MarketingPreference::Resume);
    let msg2 = s.ingest_inbound(second.clone()).await.unwrap();
    assert_eq!(
        msg2.profile_name.as_deref(),
        Some("Ana"),
        "the name comes from the contact"
    );
    assert_eq!(get(s, a, msg2.id).await, msg2);
    let renewed = s
        .find_contact(ch, &ContactKey::WaId(wa_id.clone()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(renewed.id, contact.id, "the same contact, renewed");
    assert_eq!(renewed.marketing_opt_out_at, None);
    assert_eq!(renewed.last_inbound_at, Some(at2));
    assert_eq!(renewed.profile_name.as_deref(), Some("Ana"));
    assert_eq!(renewed.first_message_at, Some(at));
    assert_eq!(renewed.bsuid.as_ref(), Some(&bsuid), "the BSUID is kept");
    assert_eq!(renewed.created_at, contact.created_at);

    // An older message arriving late does not shrink the window.
    s.ingest_inbound(inbound(a, ch, USER_A, "earlier", plus(at, 30_000)))
        .await
        .unwrap();
    let kept = s
        .find_contact(ch, &ContactKey::Bsuid(bsuid.clone()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.last_inbound_at, Some(at2));
    assert_eq!(kept.first_message_at, Some(at));
    assert_eq!(kept.profile_name.as_deref(), Some("Ana"));

    // The same wamid again is a conflict and changes nothing.
    let mut dup = second.clone();
    dup.id = MessageId::generate();
    dup.at = plus(at2, 60_000);
    dup.preference = Some(MarketingPreference::Stop);
    assert!(matches!(
        s.ingest_inbound(dup.clone()).await,
        Err(StoreError::Conflict { .. })
    ));
    assert!(s.get_message(a, &MessageKey::Id(dup.id)).await.is_err());
    assert_eq!(
        s.find_contact(ch, &ContactKey::WaId(wa_id))
            .await
            .unwrap()
            .unwrap(),
        kept
    );
}

async fn block_list(b: Backend) {
    let s = &b.store;
    let (a, ch) = account_with_channel(s, "A").await;
    let other_ch = s.create_channel(sandbox(a)).await.unwrap().id;
    let at = plus(records::now(), -60_000);
    s.ingest_inbound(inbound(a, ch, USER_A, "hi", at))
        .await
        .unwrap();
    s.ingest_inbound(inbound(a, ch, USER_B, "hi", at))
        .await
        .unwrap();
    let contact = |user: &str| {
        let s = s.clone();
        let key = ContactKey::WaId(PhoneE164::parse(user).unwrap());
        async move { s.find_contact(ch, &key).await.unwrap().unwrap() }
    };
    let (ana, bob) = (contact(USER_A).await, contact(USER_B).await);
    assert!(
        s.list_blocked(ch, &Page::default())
            .await
            .unwrap()
            .is_empty()
    );

    let blocked_at = records::now();
    s.set_blocked(ch, vec![ana.id], Some(blocked_at))
        .await
        .unwrap();
    let blocked = s.list_blocked(ch, &Page::default()).await.unwrap();
    assert_eq!(blocked.len(), 1);
    assert_eq!(blocked[0].id, ana.id);
    assert_eq!(blocked[0].blocked_at, Some(blocked_at));
    assert!(
        s.list_blocked(other_ch, &Page::default())
            .await
            .unwrap()
            .is_empty()
    );

    let to_ana = send(s, a, ch, USER_A).await;
    let to_bob = send(s, a, ch, USER_B).await;
    let to_cat = send(s, a, ch, USER_C).await;
    let now = records::now();
    let jobs = s.lease_outbox(now, plus(now, 60_000), 10).await.unwrap();
    assert_eq!(job_ids(&jobs), sorted(vec![to_ana, to_bob, to_cat]));
    let state = |id: MessageId| jobs.iter().find(|j| j.message.id == id).unwrap().recipient;
    assert_eq!(
        state(to_ana),
        RecipientState {
            last_inbound_at: Some(at),
            blocked: true,
            marketing_opt_out: false,
        }
    );
    assert_eq!(
        state(to_bob),
        RecipientState {
            last_inbound_at: Some(at),
            blocked: false,
            marketing_opt_out: false,
        }
    );
    assert_eq!(state(to_cat), RecipientState::default());

    // Another channel cannot unblock this channel's contact.
    s.set_blocked(other_ch, vec![ana.id], None).await.unwrap();
    assert_eq!(s.list_blocked(ch, &Page::default()).await.unwrap().len(), 1);

    // Paging over two blocked contacts, in id order.
    s.set_blocked(ch, vec![bob.id], Some(blocked_at))
        .await
        .unwrap();
    let mut both = [ana.id, bob.id];
    both.sort();
    let page = s.list_blocked(ch, &Page::first(1)).await.unwrap();
    assert_eq!(page.iter().map(|c| c.id).collect::<Vec<_>>(), both[..1]);
    let rest = s
        .list_blocked(ch, &Page::after(Some(both[0]), 10))
        .await
        .unwrap();
    assert_eq!(rest.iter().map(|c| c.id).collect::<Vec<_>>(), both[1..]);

    // Unblocking clears it, and the next lease sees it.
    s.set_blocked(ch, vec![ana.id, bob.id], None).await.unwrap();
    s.set_blocked(ch, Vec::<ContactId>::new(), Some(blocked_at))
        .await
        .unwrap();
    assert!(
        s.list_blocked(ch, &Page::default())
            .await
            .unwrap()
            .is_empty()
    );
    let ana_now = contact(USER_A).await;
    assert_eq!(ana_now.blocked_at, None);
    s.complete_dispatch(vec![DispatchOutcome::Retry {
        message_id: to_ana,
        available_at: now,
        attempted: false,
        error: None,
    }])
    .await
    .unwrap();
    let again = s.lease_outbox(now, plus(now, 60_000), 10).await.unwrap();
    assert_eq!(job_ids(&again), vec![to_ana]);
    assert!(!again[0].recipient.blocked);
}

async fn message_list_filters(b: Backend) {
    let s = &b.store;
    let (a, ch1) = account_with_channel(s, "A").await;
    let ch2 = s.create_channel(sandbox(a)).await.unwrap().id;
    let (other, ch3) = account_with_channel(s, "B").await;
    let t0 = records::now();
    let digits = |u: &str| PhoneE164::parse(u).unwrap().digits().to_owned();

    let m1 = send(s, a, ch1, USER_A).await; // stays accepted
    let m2 = send(s, a, ch1, USER_B).await; // sent
    let m3 = s
        .ingest_inbound(inbound(a, ch1, USER_A, "hello", plus(t0, -3_600_000)))
        .await
        .unwrap()
        .id;
    let m4 = send(s, a, ch2, USER_A).await; // failed
    let m5 = s
        .ingest_inbound(inbound(a, ch2, USER_B, "hey", plus(t0, -7_200_000)))
        .await
        .unwrap()
        .id;
    let mut image = text_to(a, ch1, USER_C, "replaced");
    image.content = Content::outbound(&serde_json::json!({
        "type": "image",
        "image": {"link": "https://example.com/cat.png"}
    }))
    .unwrap();
    let m6 = s.accept_outbound(image).await.unwrap().id;
    let theirs = send(s, other, ch3, USER_A).await;

    let now = records::now();
    let leased = s.lease_outbox(now, plus(now, 60_000), 100).await.unwrap();
    assert_eq!(job_ids(&leased), sorted(vec![m1, m2, m4, m6, theirs]));
    s.complete_dispatch(vec![
        sent(m2, now, vec![]),
        DispatchOutcome::Failed {
            message_id: m4,
            at: now,
            error: Failure::Undeliverable.error(),
        },
        DispatchOutcome::Retry {
            message_id: m1,
            available_at: plus(now, 60_000),
            attempted: false,
            error: None,
        },
    ])
    .await
    .unwrap();

    let list = |account: AccountId, filter: MessageFilter, page: Page<MessageId>| {
        let s = s.clone();
        async move {
            s.list_messages(account, &filter, &page)
                .await
                .unwrap()
                .into_iter()
                .map(|m| m.id)
                .collect::<Vec<_>>()
        }
    };
    let all = Page::default;
    let none = MessageFilter::default;

    // Newest first; `after` continues with older ones.
    assert_eq!(list(a, none(), all()).await, vec![m6, m5, m4, m3, m2, m1]);
    assert_eq!(list(a, none(), Page::first(2)).await, vec![m6, m5]);
    assert_eq!(
        list(a, none(), Page::after(Some(m5), 2)).await,
        vec![m4, m3]
    );
    assert_eq!(
        list(a, none(), Page::after(Some(m3), 10)).await,
        vec![m2, m1]
    );
    assert!(list(a, none(), Page::after(Some(m1), 10)).await.is_empty());
    let full = s.list_messages(a, &none(), &all()).await.unwrap();
    assert_eq!(full[2], get(s, a, m4).await, "whole messages");

    let by_channel = |c| MessageFilter {
        channel_id: Some(c),
        ..none()
    };
    assert_eq!(list(a, by_channel(ch1), all()).await, vec![m6, m3, m2, m1]);
    assert_eq!(list(a, by_channel(ch2), all()).await, vec![m5, m4]);
    assert!(
        list(a, by_channel(ch3), all()).await.is_empty(),
        "another account's channel"
    );

    let within = |cs: Vec<ChannelId>| MessageFilter {
        channels: Some(cs),
        ..none()
    };
    assert_eq!(list(a, within(vec![ch2]), all()).await, vec![m5, m4]);
    assert_eq!(
        list(a, within(vec![ch1, ch2]), all()).await,
        vec![m6, m5, m4, m3, m2, m1]
    );
    assert!(list(a, within(vec![]), all()).await.is_empty());
    assert!(list(a, within(vec![ch3]), all()).await.is_empty());
    let both = MessageFilter {
        channel_id: Some(ch1),
        channels: Some(vec![ch2]),
        ..none()
    };
    assert!(list(a, both, all()).await.is_empty(), "every field narrows");

    let wa_id = |u: &str| MessageFilter {
        wa_id: Some(digits(u)),
        ..none()
    };
    assert_eq!(list(a, wa_id(USER_A), all()).await, vec![m4, m3, m1]);
    assert_eq!(list(a, wa_id(USER_B), all()).await, vec![m5, m2]);
    assert!(list(a, wa_id("+16505559999"), all()).await.is_empty());

    let direction = |d| MessageFilter {
        direction: Some(d),
        ..none()
    };
    assert_eq!(
        list(a, direction(Direction::Inbound), all()).await,
        vec![m5, m3]
    );
    assert_eq!(
        list(a, direction(Direction::Outbound), all()).await,
        vec![m6, m4, m2, m1]
    );

    let with_status = |st| MessageFilter {
        status: Some(st),
        ..none()
    };
    assert_eq!(
        list(a, with_status(MessageStatus::Accepted), all()).await,
        vec![m6, m1]
    );
    assert_eq!(
        list(a, with_status(MessageStatus::Sent), all()).await,
        vec![m2]
    );
    assert_eq!(
        list(a, with_status(MessageStatus::Failed), all()).await,
        vec![m4]
    );
    assert_eq!(
        list(a, with_status(MessageStatus::Received), all()).await,
        vec![m5, m3]
    );
    assert!(
        list(a, with_status(MessageStatus::Read), all())
            .await
            .is_empty()
    );

    let kind = |k| MessageFilter {
        kind: Some(k),
        ..none()
    };
    assert_eq!(list(a, kind(MessageType::Image), all()).await, vec![m6]);
    assert_eq!(
        list(a, kind(MessageType::Text), all()).await,
        vec![m5, m4, m3, m2, m1]
    );

    // Time ranges: since is inclusive, until exclusive (inbound messages carry their own time).
    let range = |since, until| MessageFilter {
        since,
        until,
        ..none()
    };
    assert_eq!(
        list(a, range(Some(t0), None), all()).await,
        vec![m6, m4, m2, m1]
    );
    assert_eq!(list(a, range(None, Some(t0)), all()).await, vec![m5, m3]);
    assert_eq!(
        list(
            a,
            range(Some(plus(t0, -3_600_000)), Some(plus(t0, -1))),
            all()
        )
        .await,
        vec![m3]
    );
    assert_eq!(
        list(
            a,
            range(Some(plus(t0, -7_200_000)), Some(plus(t0, -3_600_000))),
            all()
        )
        .await,
        vec![m5]
    );

    let combined = MessageFilter {
        channel_id: Some(ch1),
        wa_id: Some(digits(USER_A)),
        direction: Some(Direction::Outbound),
        ..none()
    };
    assert_eq!(list(a, combined, all()).await, vec![m1]);

    // Another account sees only its own.
    assert_eq!(list(other, none(), all()).await, vec![theirs]);
    assert!(list(other, by_channel(ch1), all()).await.is_empty());
    assert!(list(AccountId::generate(), none(), all()).await.is_empty());
}
