//! The reports part of the conformance story: every message a channel stores, inbound or
//! outbound, takes the channel's next number, gap-free and never reused, also when many are
//! stored at once (SQLite's batched accept, PostgreSQL's concurrent transactions); a store
//! that fails takes none; each status change is kept in order with its time, error and
//! pricing; the list reads both ways and counts what it filters; another account sees none
//! of it. The same assertions on every Store backend.

use std::collections::BTreeSet;
use std::sync::Arc;

use wagate_core::contact::card::Timezone;
use wagate_core::failure::Failure;
use wagate_core::ids::{AccountId, ChannelId, MessageId};
use wagate_core::message::{Direction, MessageStatus};
use wagate_core::pricing::{Pricing, PricingCategory, PricingType};
use wagate_store::{
    DispatchOutcome, Entity, MessageFilter, MessageKey, MessageOrder, Page, Store, StoreError,
    records,
};
use wagate_store_conformance::{
    Backend, USER_A, USER_B, account_with_channel, get, inbound, plus, sandbox, status, story,
    text_to,
};

story!(numbers_are_gap_free_per_channel_and_never_reused);
story!(status_history_keeps_each_change_in_order);
story!(lists_read_both_ways_filter_by_number_and_count);
story!(accounts_keep_a_timezone);

fn numbers(messages: &[wagate_core::message::Message], ch: ChannelId) -> Vec<u64> {
    let mut n: Vec<u64> = messages
        .iter()
        .filter(|m| m.channel_id == ch)
        .map(|m| m.number)
        .collect();
    n.sort_unstable();
    n
}

async fn numbers_are_gap_free_per_channel_and_never_reused(b: Backend) {
    let s: &Arc<dyn Store> = &b.store;
    let (a, ch1) = account_with_channel(s, "Acme").await;
    let ch2 = s.create_channel(sandbox(a)).await.unwrap().id;
    let (other, other_ch) = account_with_channel(s, "Other").await;

    // 100 sends and 20 inbound messages on ch1, 30 sends on ch2, all at once.
    let now = records::now();
    let mut tasks = Vec::new();
    for i in 0..150 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            match i {
                0..100 => s.accept_outbound(text_to(a, ch1, USER_A, "hi")).await,
                // The same user both ways: sends and receipts lock the same contact rows.
                100..120 => s.ingest_inbound(inbound(a, ch1, USER_A, "yo", now)).await,
                _ => s.accept_outbound(text_to(a, ch2, USER_A, "hi")).await,
            }
        }));
    }
    let mut stored = Vec::new();
    for t in tasks {
        stored.push(t.await.unwrap().unwrap());
    }
    assert_eq!(numbers(&stored, ch1), (1..=120).collect::<Vec<_>>());
    assert_eq!(numbers(&stored, ch2), (1..=30).collect::<Vec<_>>());
    // What a write answered is what is stored.
    for m in stored.iter().take(5) {
        assert_eq!(get(s, a, m.id).await.number, m.number);
    }

    // A store that fails takes no number: another account's channel, a repeated wamid.
    assert!(matches!(
        s.accept_outbound(text_to(a, other_ch, USER_A, "no")).await,
        Err(StoreError::NotFound(Entity::Channel))
    ));
    let again = inbound(a, ch1, USER_B, "twice", now);
    let first = s.ingest_inbound(again.clone()).await.unwrap();
    assert_eq!(first.number, 121);
    assert!(matches!(
        s.ingest_inbound(again).await,
        Err(StoreError::Conflict { .. })
    ));
    let next = s
        .accept_outbound(text_to(a, ch1, USER_A, "next"))
        .await
        .unwrap();
    assert_eq!(next.number, 122, "the failed stores gave nothing away");
    let theirs = s
        .accept_outbound(text_to(other, other_ch, USER_A, "theirs"))
        .await
        .unwrap();
    assert_eq!(theirs.number, 1, "each channel counts its own");
}

fn priced() -> Pricing {
    Pricing {
        billable: true,
        pricing_model: "PMP".to_owned(),
        kind: PricingType::Regular,
        category: PricingCategory::Marketing,
    }
}

async fn history(s: &Arc<dyn Store>, a: AccountId, m: MessageId) -> Vec<(MessageStatus, i64)> {
    s.message_history(a, &MessageKey::Id(m))
        .await
        .unwrap()
        .1
        .into_iter()
        .map(|c| (c.status, c.at.as_millisecond()))
        .collect()
}

async fn status_history_keeps_each_change_in_order(b: Backend) {
    let s: &Arc<dyn Store> = &b.store;
    let (a, ch) = account_with_channel(s, "Acme").await;
    let (other, _) = account_with_channel(s, "Other").await;
    let m = s
        .accept_outbound(text_to(a, ch, USER_A, "hi"))
        .await
        .unwrap();
    let t0 = m.created_at;
    let ms = |t: wagate_core::Timestamp| t.as_millisecond();
    assert_eq!(
        history(s, a, m.id).await,
        vec![(MessageStatus::Accepted, ms(t0))]
    );

    s.complete_dispatch(vec![DispatchOutcome::Sent {
        message_id: m.id,
        at: plus(t0, 10),
        pricing: Some(priced()),
        conversation: None,
        followups: vec![
            status(m.id, MessageStatus::Delivered, plus(t0, 20)),
            status(m.id, MessageStatus::Read, plus(t0, 30)),
            // Late and repeated: ignored, and not history.
            status(m.id, MessageStatus::Delivered, plus(t0, 40)),
        ],
        upstream_id: None,
    }])
    .await
    .unwrap();
    s.apply_due_events(plus(t0, 1_000), 10).await.unwrap();
    assert_eq!(
        history(s, a, m.id).await,
        vec![
            (MessageStatus::Accepted, ms(t0)),
            (MessageStatus::Sent, ms(t0) + 10),
            (MessageStatus::Delivered, ms(t0) + 20),
            (MessageStatus::Read, ms(t0) + 30),
        ]
    );
    let (message, changes) = s
        .message_history(a, &MessageKey::Wamid(m.wamid.clone()))
        .await
        .unwrap();
    assert_eq!(message.id, m.id);
    assert_eq!(
        changes[1].pricing,
        Some(priced()),
        "sent carries the pricing"
    );
    assert!(changes.iter().all(|c| c.error.is_none()));

    // A failure keeps its error.
    let f = s
        .accept_outbound(text_to(a, ch, USER_B, "hi"))
        .await
        .unwrap();
    let error = Failure::Undeliverable.error();
    s.complete_dispatch(vec![DispatchOutcome::Failed {
        message_id: f.id,
        at: plus(f.created_at, 5),
        error: error.clone(),
    }])
    .await
    .unwrap();
    let (_, changes) = s.message_history(a, &MessageKey::Id(f.id)).await.unwrap();
    assert_eq!(
        changes.iter().map(|c| c.status).collect::<Vec<_>>(),
        vec![MessageStatus::Accepted, MessageStatus::Failed]
    );
    assert_eq!(changes[1].error, Some(error));

    // A message sent then failed by the network.
    let n = s
        .accept_outbound(text_to(a, ch, USER_A, "hi"))
        .await
        .unwrap();
    let mut failed = status(n.id, MessageStatus::Failed, plus(n.created_at, 9));
    if let wagate_core::network::NetworkEvent::Status(u) = &mut failed {
        u.error = Some(Failure::Undeliverable.error());
    }
    s.complete_dispatch(vec![wagate_store_conformance::sent(
        n.id,
        plus(n.created_at, 3),
        vec![failed],
    )])
    .await
    .unwrap();
    s.apply_due_events(plus(n.created_at, 1_000), 10)
        .await
        .unwrap();
    let (_, changes) = s.message_history(a, &MessageKey::Id(n.id)).await.unwrap();
    assert_eq!(
        changes.iter().map(|c| c.status).collect::<Vec<_>>(),
        vec![
            MessageStatus::Accepted,
            MessageStatus::Sent,
            MessageStatus::Failed
        ]
    );
    assert_eq!(changes[2].error.as_ref().map(|e| e.code), Some(131026));

    // An inbound message was received, and that is all.
    let i = s
        .ingest_inbound(inbound(a, ch, USER_A, "hello", t0))
        .await
        .unwrap();
    assert_eq!(
        history(s, a, i.id).await,
        vec![(MessageStatus::Received, ms(t0))]
    );

    // Another account's message is not found.
    assert!(matches!(
        s.message_history(other, &MessageKey::Id(m.id)).await,
        Err(StoreError::NotFound(Entity::Message))
    ));
}

async fn lists_read_both_ways_filter_by_number_and_count(b: Backend) {
    let s: &Arc<dyn Store> = &b.store;
    let (a, ch1) = account_with_channel(s, "Acme").await;
    let ch2 = s.create_channel(sandbox(a)).await.unwrap().id;
    let (other, other_ch) = account_with_channel(s, "Other").await;
    let now = records::now();
    let mut ids = Vec::new();
    for i in 0..9 {
        let m = if i % 3 == 2 {
            s.ingest_inbound(inbound(a, ch1, USER_B, "in", plus(now, i)))
                .await
                .unwrap()
        } else {
            let ch = if i % 3 == 0 { ch1 } else { ch2 };
            s.accept_outbound(text_to(a, ch, USER_A, "out"))
                .await
                .unwrap()
        };
        ids.push(m.id);
    }
    s.accept_outbound(text_to(other, other_ch, USER_A, "theirs"))
        .await
        .unwrap();

    let list = |filter: MessageFilter, page: Page<MessageId>| {
        let s = s.clone();
        async move {
            s.list_messages(a, &filter, &page)
                .await
                .unwrap()
                .into_iter()
                .map(|m| m.id)
                .collect::<Vec<_>>()
        }
    };
    let oldest = || MessageFilter {
        order: MessageOrder::OldestFirst,
        ..MessageFilter::default()
    };
    let page = |after: Option<MessageId>, limit| Page { after, limit };

    // Oldest first, page by page, from a message: everything after it.
    assert_eq!(list(oldest(), page(None, 4)).await, ids[..4].to_vec());
    assert_eq!(
        list(oldest(), page(Some(ids[3]), 4)).await,
        ids[4..8].to_vec()
    );
    assert_eq!(
        list(oldest(), page(Some(ids[7]), 4)).await,
        ids[8..].to_vec()
    );
    let mut newest: Vec<MessageId> = ids.clone();
    newest.reverse();
    assert_eq!(
        list(MessageFilter::default(), page(Some(ids[5]), 100)).await,
        newest[4..].to_vec()
    );
    assert_eq!(s.count_messages(a, &oldest()).await.unwrap(), 9);
    assert_eq!(s.count_messages(other, &oldest()).await.unwrap(), 1);

    // ch1 holds ids 0, 2, 3, 5, 6, 8 as numbers 1..=6.
    let ch1_numbers = |after, before| MessageFilter {
        channel_id: Some(ch1),
        number_after: after,
        number_before: before,
        order: MessageOrder::OldestFirst,
        ..MessageFilter::default()
    };
    assert_eq!(
        list(ch1_numbers(Some(2), Some(6)), page(None, 100)).await,
        vec![ids[3], ids[5], ids[6]]
    );
    assert_eq!(
        s.count_messages(a, &ch1_numbers(Some(2), None))
            .await
            .unwrap(),
        4
    );
    let inbound_only = MessageFilter {
        direction: Some(Direction::Inbound),
        ..ch1_numbers(None, None)
    };
    assert_eq!(s.count_messages(a, &inbound_only).await.unwrap(), 3);
    let got: BTreeSet<u64> = s
        .list_messages(a, &ch1_numbers(None, None), &page(None, 100))
        .await
        .unwrap()
        .iter()
        .map(|m| m.number)
        .collect();
    assert_eq!(got, (1..=6).collect());
    // One channel reads in number order, from a message of it, both ways.
    assert_eq!(
        list(ch1_numbers(None, None), page(Some(ids[3]), 2)).await,
        vec![ids[5], ids[6]]
    );
    let newest_ch1 = MessageFilter {
        order: MessageOrder::NewestFirst,
        ..ch1_numbers(None, None)
    };
    assert_eq!(
        list(newest_ch1, page(Some(ids[5]), 10)).await,
        vec![ids[3], ids[2], ids[0]]
    );
    let scoped_to_nothing = MessageFilter {
        channels: Some(vec![]),
        ..MessageFilter::default()
    };
    assert_eq!(s.count_messages(a, &scoped_to_nothing).await.unwrap(), 0);
}

async fn accounts_keep_a_timezone(b: Backend) {
    let s: &Arc<dyn Store> = &b.store;
    let (a, _) = account_with_channel(s, "Acme").await;
    assert_eq!(s.get_account(a).await.unwrap().timezone, Timezone::utc());
    let kolkata = Timezone::parse("Asia/Kolkata").unwrap();
    let changed = s.set_account_timezone(a, kolkata.clone()).await.unwrap();
    assert_eq!(changed.timezone, kolkata);
    assert_eq!(s.get_account(a).await.unwrap().timezone, kolkata);
    assert!(matches!(
        s.set_account_timezone(AccountId::generate(), kolkata).await,
        Err(StoreError::NotFound(Entity::Account))
    ));
}
