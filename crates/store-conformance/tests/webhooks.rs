//! The webhook part of the conformance story: subscriptions, events fanned out into
//! deliveries with the change that caused them, leases, attempts, the delivery log and
//! replays; the same assertions on every Store backend.

use std::collections::HashMap;
use std::sync::Arc;

use wagate_core::Timestamp;
use wagate_core::failure::Failure;
use wagate_core::ids::{AccountId, ChannelId, DeliveryId, EventId, MessageId, SubscriptionId};
use wagate_core::message::{MessageStatus, Wamid};
use wagate_core::phone::PhoneE164;
use wagate_core::webhook::{
    BatchSize, DeliveryState, EventData, EventField, PayloadFormat, StatusEvent, Subscription,
    SubscriptionPatch, VerifyToken, WebhookEvent, WebhookSecret, WebhookUrl,
};
use wagate_store::records;
use wagate_store::{
    AttemptOutcome, Delivery, DeliveryAttempt, DeliveryFilter, DeliveryJob, DispatchOutcome,
    Entity, Page, Replay, Store, StoreError,
};
use wagate_store_conformance::{
    Backend, USER_A, USER_B, USER_C, account_with_channel, get, inbound, plus, sandbox, send, sent,
    status, story,
};

use EventField::{
    AccountUpdate, MessageTemplateStatusUpdate, Messages, PhoneNumberQualityUpdate, Statuses,
};

story!(subscriptions_are_scoped_to_their_account);
story!(subscription_updates_apply_patches);
story!(message_changes_fan_out_to_matching_subscriptions);
story!(recorded_events_fan_out_by_account_field_and_channel);
story!(deliveries_are_leased_oldest_first_one_per_message);
story!(attempts_are_recorded_once_per_pending_delivery);
story!(released_deliveries_are_leasable_at_once);
story!(leases_are_renewed_only_by_their_holder);
story!(a_recovered_receiver_gets_its_retries_at_once);
story!(secrets_are_sealed_and_data_keys_rewrapped);
story!(delivery_log_filters_pages_and_replays);
story!(due_subscriptions_have_a_due_unleased_delivery);

/// A minute: leases in these stories run this long unless said otherwise.
const MINUTE: i64 = 60_000;

fn subscription(
    account: AccountId,
    channel: Option<ChannelId>,
    fields: &[EventField],
) -> Subscription {
    let now = records::now();
    Subscription {
        id: SubscriptionId::generate(),
        account_id: account,
        channel_id: channel,
        url: WebhookUrl::parse("https://example.com/hook").unwrap(),
        secret: WebhookSecret::parse("s3cret-key").unwrap(),
        verify_token: VerifyToken::parse("verify-me").unwrap(),
        fields: fields.to_vec(),
        format: PayloadFormat::CLOUD,
        batch_size: BatchSize::ONE,
        enabled: true,
        created_at: now,
        updated_at: now,
    }
}

async fn subscribe(
    s: &Arc<dyn Store>,
    account: AccountId,
    channel: Option<ChannelId>,
    fields: &[EventField],
) -> Subscription {
    s.create_subscription(subscription(account, channel, fields))
        .await
        .unwrap()
}

/// What the management API does with a patch: applied to the stored subscription.
fn apply(mut s: Subscription, p: SubscriptionPatch, at: Timestamp) -> Subscription {
    if let Some(u) = p.url {
        s.url = u;
    }
    if let Some(k) = p.secret {
        s.secret = k;
    }
    if let Some(t) = p.verify_token {
        s.verify_token = t;
    }
    if let Some(f) = p.fields {
        s.fields = f;
    }
    if let Some(f) = p.format {
        s.format = f;
    }
    if let Some(b) = p.batch_size {
        s.batch_size = b;
    }
    if let Some(e) = p.enabled {
        s.enabled = e;
    }
    s.updated_at = at;
    s
}

async fn set_enabled(s: &Arc<dyn Store>, sub: &Subscription, enabled: bool) -> Subscription {
    let patch = SubscriptionPatch {
        enabled: Some(enabled),
        ..Default::default()
    };
    let stored = s.get_subscription(sub.account_id, sub.id).await.unwrap();
    s.update_subscription(apply(stored, patch, records::now()))
        .await
        .unwrap()
}

/// An event of a field no message causes (a template review, a quality change…).
fn other_event(account: AccountId, channel: Option<ChannelId>, field: EventField) -> WebhookEvent {
    WebhookEvent {
        id: EventId::generate(),
        account_id: account,
        channel_id: channel,
        occurred_at: records::now(),
        data: EventData::Other {
            field,
            value: serde_json::json!({"event": "APPROVED", "reason": "NONE"}),
        },
    }
}

/// A status event about `message` (which need not exist: events are snapshots).
fn status_event(
    account: AccountId,
    channel: ChannelId,
    message: MessageId,
    status: MessageStatus,
) -> WebhookEvent {
    let wa_id = PhoneE164::parse(USER_A).unwrap();
    let at = records::now();
    WebhookEvent {
        id: EventId::generate(),
        account_id: account,
        channel_id: Some(channel),
        occurred_at: at,
        data: EventData::Status(StatusEvent {
            message_id: message,
            wamid: Wamid::for_message(message, &wa_id),
            status,
            at,
            wa_id: Some(wa_id),
            bsuid: None,
            profile_name: None,
            biz_opaque_callback_data: Some("order-42".to_owned()),
            error: None,
            pricing: None,
            conversation: None,
        }),
    }
}

async fn lease_jobs(
    s: &Arc<dyn Store>,
    sub: SubscriptionId,
    now: Timestamp,
    until: Timestamp,
    limit: u32,
) -> Vec<DeliveryJob> {
    s.lease_deliveries(sub, now, until, limit).await.unwrap()
}

/// The ids of the deliveries leased, in the order the store returned them.
async fn lease(
    s: &Arc<dyn Store>,
    sub: SubscriptionId,
    now: Timestamp,
    until: Timestamp,
    limit: u32,
) -> Vec<DeliveryId> {
    lease_jobs(s, sub, now, until, limit)
        .await
        .into_iter()
        .map(|j| j.delivery.id)
        .collect()
}

fn attempt(
    id: DeliveryId,
    at: Timestamp,
    status_code: Option<u16>,
    outcome: AttemptOutcome,
) -> DeliveryAttempt {
    DeliveryAttempt {
        id,
        at,
        status_code,
        latency_ms: 25,
        body_excerpt: format!("{{\"object\":\"{id}\"}}"),
        outcome,
    }
}

async fn complete(s: &Arc<dyn Store>, attempts: Vec<DeliveryAttempt>) {
    s.complete_deliveries(attempts).await.unwrap();
}

/// The subscription's whole delivery log, oldest first.
async fn log(s: &Arc<dyn Store>, sub: &Subscription) -> Vec<Delivery> {
    let mut all = s
        .list_deliveries(
            sub.account_id,
            sub.id,
            &DeliveryFilter::default(),
            &Page::all(),
        )
        .await
        .unwrap();
    all.reverse();
    all
}

async fn log_ids(s: &Arc<dyn Store>, sub: &Subscription) -> Vec<DeliveryId> {
    log(s, sub).await.into_iter().map(|d| d.id).collect()
}

async fn delivery(s: &Arc<dyn Store>, sub: &Subscription, id: DeliveryId) -> Delivery {
    log(s, sub)
        .await
        .into_iter()
        .find(|d| d.id == id)
        .expect("the delivery is in its subscription's log")
}

/// Which subscriptions got a delivery of the message's events (one entry per delivery).
async fn fanned(s: &Arc<dyn Store>, a: AccountId, m: MessageId) -> Vec<SubscriptionId> {
    let mut subs: Vec<_> = s
        .message_deliveries(a, m)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.subscription_id)
        .collect();
    subs.sort();
    subs
}

fn sorted(mut ids: Vec<SubscriptionId>) -> Vec<SubscriptionId> {
    ids.sort();
    ids
}

async fn backlog(s: &Arc<dyn Store>) -> HashMap<SubscriptionId, u64> {
    s.delivery_backlog().await.unwrap().into_iter().collect()
}

/// Pending deliveries of `sub` per `delivery_backlog` (absent counts as none).
async fn pending(s: &Arc<dyn Store>, sub: &Subscription) -> u64 {
    backlog(s).await.get(&sub.id).copied().unwrap_or(0)
}

async fn due(s: &Arc<dyn Store>, now: Timestamp, limit: u32) -> Vec<SubscriptionId> {
    s.due_subscriptions(now, limit)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect()
}

/// Waits for the millisecond clock to move on, so rows created before and after differ in
/// time. The store stamps `record_events` rows with the real clock (no time is passed in),
/// so the clock itself must move; this waits exactly for that, not for a guessed interval.
async fn tick() {
    let start = records::now();
    while records::now() <= start {
        tokio::task::yield_now().await;
    }
}

fn subscription_not_found<T: std::fmt::Debug>(r: Result<T, StoreError>) {
    assert!(
        matches!(r, Err(StoreError::NotFound(Entity::Subscription))),
        "{r:?}"
    );
}

async fn subscriptions_are_scoped_to_their_account(b: Backend) {
    let s = &b.store;
    let (a, ch) = account_with_channel(s, "A").await;
    let (other, _) = account_with_channel(s, "B").await;

    let wide = subscription(a, None, &[Messages, Statuses]);
    assert_eq!(s.create_subscription(wide.clone()).await.unwrap(), wide);
    let narrow = subscription(a, Some(ch), &[Messages]);
    assert_eq!(s.create_subscription(narrow.clone()).await.unwrap(), narrow);
    assert_eq!(
        s.get_subscription(a, wide.id).await.unwrap(),
        wide,
        "read back what was written"
    );
    assert_eq!(s.get_subscription(a, narrow.id).await.unwrap(), narrow);
    assert_eq!(
        s.list_subscriptions(a).await.unwrap(),
        vec![wide.clone(), narrow.clone()],
        "oldest first"
    );

    // Another account sees none of them; its ids are "not found" like unknown ones.
    assert!(s.list_subscriptions(other).await.unwrap().is_empty());
    subscription_not_found(s.get_subscription(other, wide.id).await);
    subscription_not_found(s.get_subscription(a, SubscriptionId::generate()).await);
    let theirs = subscribe(s, other, None, &[Statuses]).await;
    assert_eq!(s.list_subscriptions(other).await.unwrap(), vec![theirs]);
    assert_eq!(s.list_subscriptions(a).await.unwrap().len(), 2);

    // An unknown account cannot own a subscription.
    let orphan = subscription(AccountId::generate(), None, &[Messages]);
    assert!(s.create_subscription(orphan.clone()).await.is_err());
    assert!(
        s.list_subscriptions(orphan.account_id)
            .await
            .unwrap()
            .is_empty()
    );

    // Deleting: another account's delete is "not found" and removes nothing.
    subscription_not_found(s.delete_subscription(other, wide.id).await);
    assert_eq!(s.get_subscription(a, wide.id).await.unwrap(), wide);
    subscription_not_found(s.delete_subscription(a, SubscriptionId::generate()).await);

    // A subscription goes with its deliveries.
    let m = MessageId::generate();
    s.record_events(vec![
        status_event(a, ch, m, MessageStatus::Sent),
        status_event(a, ch, m, MessageStatus::Delivered),
    ])
    .await
    .unwrap();
    assert_eq!(pending(s, &wide).await, 2);
    assert_eq!(fanned(s, a, m).await, vec![wide.id, wide.id]);
    s.delete_subscription(a, wide.id).await.unwrap();
    subscription_not_found(s.get_subscription(a, wide.id).await);
    assert_eq!(s.list_subscriptions(a).await.unwrap(), vec![narrow.clone()]);
    assert!(
        !backlog(s).await.contains_key(&wide.id),
        "its deliveries are gone"
    );
    assert!(fanned(s, a, m).await.is_empty());
    assert!(due(s, plus(records::now(), MINUTE), 100).await.is_empty());
    subscription_not_found(s.delete_subscription(a, wide.id).await);
    subscription_not_found(
        s.list_deliveries(a, wide.id, &DeliveryFilter::default(), &Page::all())
            .await,
    );
}

async fn subscription_updates_apply_patches(b: Backend) {
    let s = &b.store;
    let (a, ch) = account_with_channel(s, "A").await;
    let (other, _) = account_with_channel(s, "B").await;
    let stored = subscribe(s, a, Some(ch), &[Messages]).await;

    let patch = SubscriptionPatch {
        url: Some(WebhookUrl::parse("http://receiver.internal:8080/wa?x=1").unwrap()),
        secret: Some(WebhookSecret::parse("another-secret").unwrap()),
        verify_token: Some(VerifyToken::parse("token-2").unwrap()),
        fields: Some(vec![Statuses, AccountUpdate]),
        format: Some(PayloadFormat::parse("a_dialect").unwrap()),
        batch_size: Some(BatchSize::new(25).unwrap()),
        enabled: Some(false),
    };
    let expected = apply(stored.clone(), patch, plus(stored.updated_at, 1_000));
    let updated = s.update_subscription(expected.clone()).await.unwrap();
    assert_eq!(updated, expected);
    assert_eq!(updated.url.as_str(), "http://receiver.internal:8080/wa?x=1");
    assert_eq!(updated.fields, vec![Statuses, AccountUpdate]);
    assert_eq!(updated.batch_size.get(), 25);
    assert!(!updated.enabled);
    assert_eq!(
        (updated.id, updated.channel_id, updated.created_at),
        (stored.id, stored.channel_id, stored.created_at)
    );
    assert_eq!(
        s.get_subscription(a, stored.id).await.unwrap(),
        updated,
        "read back what was written"
    );
    assert_eq!(
        s.list_subscriptions(a).await.unwrap(),
        vec![updated.clone()]
    );

    // A partial patch keeps the other fields.
    let partial = SubscriptionPatch {
        enabled: Some(true),
        ..Default::default()
    };
    let again = apply(updated.clone(), partial, plus(updated.updated_at, 1_000));
    let again = s.update_subscription(again).await.unwrap();
    assert!(again.enabled);
    assert_eq!(
        Subscription {
            enabled: false,
            updated_at: updated.updated_at,
            ..again.clone()
        },
        updated
    );
    assert_eq!(s.get_subscription(a, stored.id).await.unwrap(), again);

    // Another account's update is "not found" and changes nothing; so is an unknown id.
    let hijack = Subscription {
        account_id: other,
        url: WebhookUrl::parse("https://evil.example/").unwrap(),
        ..again.clone()
    };
    subscription_not_found(s.update_subscription(hijack).await);
    subscription_not_found(
        s.update_subscription(Subscription {
            id: SubscriptionId::generate(),
            ..again.clone()
        })
        .await,
    );
    assert_eq!(s.get_subscription(a, stored.id).await.unwrap(), again);
    assert!(s.list_subscriptions(other).await.unwrap().is_empty());
}

async fn message_changes_fan_out_to_matching_subscriptions(b: Backend) {
    let s = &b.store;
    let (a, ch1) = account_with_channel(s, "A").await;
    let ch2 = s.create_channel(sandbox(a)).await.unwrap().id;
    let (other, ch_b) = account_with_channel(s, "B").await;
    let every = subscribe(s, a, None, &[Messages, Statuses]).await;
    let inbox = subscribe(s, a, None, &[Messages]).await;
    let ch2_only = subscribe(s, a, Some(ch2), &[Messages, Statuses]).await;
    let off = s
        .create_subscription(Subscription {
            enabled: false,
            ..subscription(a, None, &[Messages, Statuses])
        })
        .await
        .unwrap();
    let theirs = subscribe(s, other, None, &[Messages, Statuses]).await;

    // Inbound messages: every enabled subscription that wants `messages`, on their channel.
    let t0 = records::now();
    let in1 = s
        .ingest_inbound(inbound(a, ch1, USER_A, "hello", plus(t0, -2_000)))
        .await
        .unwrap();
    let in2 = s
        .ingest_inbound(inbound(a, ch2, USER_B, "hey", plus(t0, -1_000)))
        .await
        .unwrap();
    let t1 = records::now();
    assert_eq!(fanned(s, a, in1.id).await, sorted(vec![every.id, inbox.id]));
    assert_eq!(
        fanned(s, a, in2.id).await,
        sorted(vec![every.id, inbox.id, ch2_only.id])
    );
    let fresh = s.message_deliveries(a, in1.id).await.unwrap();
    assert_eq!(
        fresh[0].event_id, fresh[1].event_id,
        "one event, one delivery per subscription"
    );
    for d in &fresh {
        assert_eq!(d.message_id, Some(in1.id));
        assert_eq!(d.field, Messages);
        assert_eq!(d.state, DeliveryState::Pending);
        assert_eq!(d.attempts, 0);
        assert!(t0 <= d.created_at && d.created_at <= t1);
        assert_eq!(d.next_attempt_at, Some(d.created_at), "due at once");
        assert_eq!(
            (
                d.last_attempt_at,
                d.last_status_code,
                &d.last_error,
                d.last_latency_ms,
                d.delivered_at,
                &d.body_excerpt
            ),
            (None, None, &None, None, None, &None)
        );
    }

    // The event is a snapshot of the stored message.
    let jobs = lease_jobs(s, inbox.id, t1, plus(t1, MINUTE), 10).await;
    assert_eq!(jobs.len(), 2);
    assert_eq!(
        jobs[0].event,
        WebhookEvent {
            id: jobs[0].delivery.event_id,
            account_id: a,
            channel_id: Some(ch1),
            occurred_at: in1.created_at,
            data: EventData::of_message(&in1).unwrap(),
        }
    );
    assert_eq!(jobs[1].event.data, EventData::of_message(&in2).unwrap());
    assert_eq!(jobs[1].event.channel_id, Some(ch2));
    s.release_deliveries(jobs.iter().map(|j| j.delivery.id).collect())
        .await
        .unwrap();

    // A repeated wamid fails whole: no message, no event, no delivery.
    let mut dup = inbound(a, ch1, USER_A, "again", t0);
    dup.wamid = in1.wamid.clone();
    let before = backlog(s).await;
    assert!(matches!(
        s.ingest_inbound(dup.clone()).await,
        Err(StoreError::Conflict { .. })
    ));
    assert!(fanned(s, a, dup.id).await.is_empty());
    assert_eq!(fanned(s, a, in1.id).await.len(), 2);
    assert_eq!(backlog(s).await, before);

    // Outbound: `accepted` is not reported; `sent` and `failed` are, with the dispatch.
    let out1 = send(s, a, ch1, USER_A).await;
    let out2 = send(s, a, ch2, USER_B).await;
    let out3 = send(s, a, ch2, USER_C).await;
    assert!(fanned(s, a, out1).await.is_empty());
    let now = records::now();
    assert_eq!(
        s.lease_outbox(now, plus(now, MINUTE), 10)
            .await
            .unwrap()
            .len(),
        3
    );
    let (t_delivered, t_read) = (plus(now, 1_000), plus(now, 2_000));
    s.complete_dispatch(vec![
        sent(out1, now, vec![]),
        sent(
            out2,
            now,
            vec![
                status(out2, MessageStatus::Delivered, t_delivered),
                status(out2, MessageStatus::Read, t_read),
            ],
        ),
        DispatchOutcome::Failed {
            message_id: out3,
            at: now,
            error: Failure::Undeliverable.error(),
        },
    ])
    .await
    .unwrap();
    assert_eq!(
        fanned(s, a, out1).await,
        vec![every.id],
        "not `inbox` (no statuses), not `ch2_only` (another channel)"
    );
    assert_eq!(
        fanned(s, a, out2).await,
        sorted(vec![every.id, ch2_only.id])
    );
    assert_eq!(
        fanned(s, a, out3).await,
        sorted(vec![every.id, ch2_only.id])
    );

    // The same hand-over reported again records nothing new.
    s.complete_dispatch(vec![sent(out1, plus(now, 10), vec![])])
        .await
        .unwrap();
    assert_eq!(fanned(s, a, out1).await, vec![every.id]);

    // Status reports fan out when they are applied.
    assert!(s.apply_due_events(now, 100).await.unwrap().is_empty());
    assert_eq!(fanned(s, a, out2).await.len(), 2);
    assert_eq!(s.apply_due_events(t_read, 100).await.unwrap().len(), 2);
    assert_eq!(get(s, a, out2).await.status, MessageStatus::Read);
    assert_eq!(
        fanned(s, a, out2).await,
        sorted(vec![
            every.id,
            every.id,
            every.id,
            ch2_only.id,
            ch2_only.id,
            ch2_only.id
        ])
    );

    // `ch2_only` gets its channel's events; out2's go out one at a time, in order.
    let t2 = records::now();
    let until = plus(t2, MINUTE);
    let first = lease_jobs(s, ch2_only.id, t2, until, 100).await;
    let mut about: Vec<_> = first.iter().map(|j| j.delivery.message_id).collect();
    about.sort();
    let mut expected = vec![Some(in2.id), Some(out2), Some(out3)];
    expected.sort();
    assert_eq!(about, expected, "only the first of out2's three");
    let status_of = |job: &DeliveryJob| match &job.event.data {
        EventData::Status(st) => (st.message_id, st.status, st.at),
        other => panic!("not a status: {other:?}"),
    };
    let failed = first
        .iter()
        .find(|j| j.delivery.message_id == Some(out3))
        .unwrap();
    assert_eq!(status_of(failed), (out3, MessageStatus::Failed, now));
    let EventData::Status(st) = &failed.event.data else {
        unreachable!()
    };
    assert_eq!(st.error, Some(Failure::Undeliverable.error()));
    let out2_sent = first
        .iter()
        .find(|j| j.delivery.message_id == Some(out2))
        .unwrap();
    assert_eq!(status_of(out2_sent), (out2, MessageStatus::Sent, now));
    assert_eq!(out2_sent.delivery.field, Statuses);
    assert_eq!(out2_sent.event.channel_id, Some(ch2));
    let mut order = vec![out2_sent.delivery.event_id];
    complete(
        s,
        first
            .iter()
            .map(|j| attempt(j.delivery.id, t2, Some(200), AttemptOutcome::Delivered))
            .collect(),
    )
    .await;
    for (st, at) in [
        (MessageStatus::Delivered, t_delivered),
        (MessageStatus::Read, t_read),
    ] {
        let next = lease_jobs(s, ch2_only.id, t2, until, 100).await;
        assert_eq!(next.len(), 1);
        assert_eq!(status_of(&next[0]), (out2, st, at));
        order.push(next[0].delivery.event_id);
        complete(
            s,
            vec![attempt(
                next[0].delivery.id,
                t2,
                Some(200),
                AttemptOutcome::Delivered,
            )],
        )
        .await;
    }
    assert!(lease_jobs(s, ch2_only.id, t2, until, 100).await.is_empty());
    let logged: Vec<_> = s
        .message_deliveries(a, out2)
        .await
        .unwrap()
        .into_iter()
        .filter(|d| d.subscription_id == ch2_only.id)
        .collect();
    assert_eq!(
        logged.iter().map(|d| d.event_id).collect::<Vec<_>>(),
        order,
        "a message's deliveries, oldest first"
    );
    assert!(
        logged
            .iter()
            .all(|d| d.state == DeliveryState::Delivered && d.attempts == 1)
    );

    // Another account's messages reach only its subscriptions; each sees only its own.
    let in_b = s
        .ingest_inbound(inbound(other, ch_b, USER_A, "hi", t0))
        .await
        .unwrap();
    assert_eq!(fanned(s, other, in_b.id).await, vec![theirs.id]);
    assert!(fanned(s, a, in_b.id).await.is_empty());
    assert!(fanned(s, other, in1.id).await.is_empty());
    assert_eq!(log(s, &theirs).await.len(), 1);

    // A disabled subscription got nothing; enabled, it gets what comes next (and a
    // subscription disabled meanwhile does not).
    assert!(log(s, &off).await.is_empty());
    set_enabled(s, &off, true).await;
    set_enabled(s, &inbox, false).await;
    let in3 = s
        .ingest_inbound(inbound(a, ch1, USER_C, "later", records::now()))
        .await
        .unwrap();
    assert_eq!(fanned(s, a, in3.id).await, sorted(vec![every.id, off.id]));
    assert_eq!(log(s, &off).await.len(), 1);
}

async fn recorded_events_fan_out_by_account_field_and_channel(b: Backend) {
    let s = &b.store;
    let (a, ch) = account_with_channel(s, "A").await;
    let ch2 = s.create_channel(sandbox(a)).await.unwrap().id;
    let (other, _) = account_with_channel(s, "B").await;
    let templates = subscribe(s, a, None, &[MessageTemplateStatusUpdate]).await;
    let quality_ch = subscribe(s, a, Some(ch), &[PhoneNumberQualityUpdate]).await;
    let off = s
        .create_subscription(Subscription {
            enabled: false,
            ..subscription(
                a,
                None,
                &[MessageTemplateStatusUpdate, PhoneNumberQualityUpdate],
            )
        })
        .await
        .unwrap();
    let theirs = subscribe(s, other, None, &[MessageTemplateStatusUpdate]).await;

    s.record_events(vec![]).await.unwrap();
    let template = other_event(a, None, MessageTemplateStatusUpdate);
    let quality = other_event(a, Some(ch), PhoneNumberQualityUpdate);
    let quality_ch2 = other_event(a, Some(ch2), PhoneNumberQualityUpdate);
    let quality_waba = other_event(a, None, PhoneNumberQualityUpdate);
    let account_update = other_event(a, None, AccountUpdate);
    let their_template = other_event(other, None, MessageTemplateStatusUpdate);
    s.record_events(vec![
        template.clone(),
        quality.clone(),
        quality_ch2,
        quality_waba,
        account_update,
        their_template.clone(),
    ])
    .await
    .unwrap();

    let events_of = |sub: Subscription| {
        let s = s.clone();
        async move {
            log(&s, &sub)
                .await
                .into_iter()
                .map(|d| (d.event_id, d.field, d.message_id))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        events_of(templates.clone()).await,
        vec![(template.id, MessageTemplateStatusUpdate, None)]
    );
    assert_eq!(
        events_of(quality_ch.clone()).await,
        vec![(quality.id, PhoneNumberQualityUpdate, None)],
        "a channel's subscription gets neither another channel's events nor channel-less ones"
    );
    assert!(events_of(off).await.is_empty());
    assert_eq!(
        events_of(theirs).await,
        vec![(their_template.id, MessageTemplateStatusUpdate, None)]
    );

    // The leased event is the one recorded.
    let now = records::now();
    let jobs = lease_jobs(s, templates.id, now, plus(now, MINUTE), 10).await;
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].event, template);
    let jobs = lease_jobs(s, quality_ch.id, now, plus(now, MINUTE), 10).await;
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].event, quality);
}

async fn deliveries_are_leased_oldest_first_one_per_message(b: Backend) {
    let s = &b.store;
    let (a, ch) = account_with_channel(s, "A").await;
    let sub = subscribe(s, a, None, &[Statuses, MessageTemplateStatusUpdate]).await;
    let twin = subscribe(s, a, None, &[Statuses, MessageTemplateStatusUpdate]).await;
    let (m1, m2) = (MessageId::generate(), MessageId::generate());
    let events = vec![
        status_event(a, ch, m1, MessageStatus::Sent),
        status_event(a, ch, m2, MessageStatus::Sent),
        status_event(a, ch, m1, MessageStatus::Delivered),
        other_event(a, None, MessageTemplateStatusUpdate),
        other_event(a, Some(ch), MessageTemplateStatusUpdate),
        status_event(a, ch, m1, MessageStatus::Read),
    ];
    s.record_events(events.clone()).await.unwrap();
    let d = log_ids(s, &sub).await;
    assert_eq!(d.len(), 6);
    let t = records::now();
    let until = plus(t, MINUTE);

    // Oldest first; m1's second and third events wait behind its first.
    let jobs = lease_jobs(s, sub.id, t, until, 100).await;
    assert_eq!(
        jobs.iter().map(|j| j.delivery.id).collect::<Vec<_>>(),
        vec![d[0], d[1], d[3], d[4]]
    );
    for (job, event) in jobs
        .iter()
        .zip([&events[0], &events[1], &events[3], &events[4]])
    {
        assert_eq!(&job.event, event);
        assert_eq!(job.delivery.event_id, event.id);
        assert_eq!(job.delivery.subscription_id, sub.id);
        assert_eq!(job.delivery.message_id, event.data.message_id());
        assert_eq!(job.delivery.state, DeliveryState::Pending);
        assert_eq!(job.delivery.attempts, 0);
    }

    // Leased ones are not leased again while their lease runs; then they are.
    assert!(lease(s, sub.id, t, until, 100).await.is_empty());
    assert!(
        lease(s, sub.id, plus(until, -1), until, 100)
            .await
            .is_empty()
    );
    let t2 = plus(until, 1);
    let until2 = plus(t2, MINUTE);
    assert_eq!(
        lease(s, sub.id, t2, until2, 100).await,
        vec![d[0], d[1], d[3], d[4]],
        "expired leases are taken again, still one per message"
    );

    // m1's first delivered: its second is next, and only it.
    complete(
        s,
        vec![attempt(d[0], t2, Some(200), AttemptOutcome::Delivered)],
    )
    .await;
    assert_eq!(lease(s, sub.id, t2, until2, 100).await, vec![d[2]]);
    // A retry keeps m1's third behind its second, even when the second is not due.
    complete(
        s,
        vec![attempt(
            d[2],
            t2,
            Some(503),
            AttemptOutcome::Retry {
                error: "HTTP 503".to_owned(),
                at: plus(t2, 10 * MINUTE),
            },
        )],
    )
    .await;
    assert!(
        lease(s, sub.id, plus(until2, 1), plus(until2, MINUTE), 100)
            .await
            .iter()
            .all(|id| *id != d[5])
    );
    // Dead-lettered, it no longer holds the line.
    complete(
        s,
        vec![attempt(
            d[2],
            t2,
            None,
            AttemptOutcome::Dead {
                error: "timeout".to_owned(),
            },
        )],
    )
    .await;
    let later = plus(until2, 2 * MINUTE);
    assert_eq!(
        lease(s, sub.id, later, plus(later, MINUTE), 100).await,
        vec![d[1], d[3], d[4], d[5]]
    );

    // `limit` takes the oldest; each subscription has its own deliveries and lines.
    let e = log_ids(s, &twin).await;
    assert_eq!(e.len(), 6);
    assert!(e.iter().all(|id| !d.contains(id)));
    assert_eq!(lease(s, twin.id, t, until, 2).await, vec![e[0], e[1]]);
    assert_eq!(lease(s, twin.id, t, until, 1).await, vec![e[3]]);
    assert_eq!(lease(s, twin.id, t, until, 10).await, vec![e[4]]);
    assert!(lease(s, twin.id, t, until, 10).await.is_empty());
    assert!(
        lease(s, SubscriptionId::generate(), t, until, 10)
            .await
            .is_empty()
    );

    // Deliverers leasing at once never get the same delivery, nor two of one message.
    let busy = subscribe(s, a, None, &[Statuses, AccountUpdate]).await;
    let messages: Vec<MessageId> = (0..20).map(|_| MessageId::generate()).collect();
    let mut batch = Vec::new();
    for st in [
        MessageStatus::Sent,
        MessageStatus::Delivered,
        MessageStatus::Read,
    ] {
        batch.extend(messages.iter().map(|m| status_event(a, ch, *m, st)));
        batch.extend((0..10).map(|_| other_event(a, None, AccountUpdate)));
    }
    s.record_events(batch).await.unwrap();
    let all = log(s, &busy).await;
    assert_eq!(all.len(), 90);
    let mut heads: Vec<DeliveryId> = all
        .iter()
        .filter(|d| {
            d.message_id.is_none()
                || all
                    .iter()
                    .find(|o| o.message_id == d.message_id)
                    .unwrap()
                    .id
                    == d.id
        })
        .map(|d| d.id)
        .collect();
    heads.sort();
    assert_eq!(heads.len(), 50);
    let t3 = records::now();
    let leasers: Vec<_> = (0..8)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move { s.lease_deliveries(busy.id, t3, plus(t3, MINUTE), 8).await })
        })
        .collect();
    let mut got = Vec::new();
    for r in futures::future::join_all(leasers).await {
        got.extend(r.unwrap().unwrap().into_iter().map(|j| j.delivery.id));
    }
    got.extend(lease(s, busy.id, t3, plus(t3, MINUTE), 100).await);
    got.sort();
    assert_eq!(
        got, heads,
        "each head leased exactly once, nothing behind a head"
    );
}

async fn attempts_are_recorded_once_per_pending_delivery(b: Backend) {
    let s = &b.store;
    let (a, ch) = account_with_channel(s, "A").await;
    let sub = subscribe(s, a, Some(ch), &[AccountUpdate]).await;
    s.record_events(
        (0..4)
            .map(|_| other_event(a, Some(ch), AccountUpdate))
            .collect(),
    )
    .await
    .unwrap();
    let d = log_ids(s, &sub).await;
    let created = delivery(s, &sub, d[0]).await.created_at;
    let t = records::now();
    assert_eq!(lease(s, sub.id, t, plus(t, 5 * MINUTE), 10).await, d);

    let (t_ok, t_retry) = (plus(t, 10), plus(t, 30_000));
    complete(
        s,
        vec![
            attempt(d[0], t_ok, Some(200), AttemptOutcome::Delivered),
            attempt(
                d[1],
                t_ok,
                Some(500),
                AttemptOutcome::Retry {
                    error: "HTTP 500".to_owned(),
                    at: t_retry,
                },
            ),
            attempt(
                d[2],
                t_ok,
                None,
                AttemptOutcome::Dead {
                    error: "timeout".to_owned(),
                },
            ),
            attempt(
                DeliveryId::generate(),
                t_ok,
                Some(200),
                AttemptOutcome::Delivered,
            ),
        ],
    )
    .await;
    let body = |id: DeliveryId| Some(format!("{{\"object\":\"{id}\"}}"));
    // What every attempted delivery of this batch has in common.
    let attempted = |id: DeliveryId| Delivery {
        id,
        subscription_id: sub.id,
        event_id: EventId::generate(),
        message_id: None,
        field: AccountUpdate,
        state: DeliveryState::Pending,
        attempts: 1,
        created_at: created,
        next_attempt_at: None,
        last_attempt_at: Some(t_ok),
        last_status_code: None,
        last_error: None,
        last_latency_ms: Some(25),
        delivered_at: None,
        body_excerpt: body(id),
    };
    let check = |expected: Delivery| {
        let s = s.clone();
        let sub = sub.clone();
        async move {
            let got = delivery(&s, &sub, expected.id).await;
            assert_eq!(
                got,
                Delivery {
                    event_id: got.event_id,
                    ..expected
                }
            );
        }
    };
    check(Delivery {
        state: DeliveryState::Delivered,
        last_status_code: Some(200),
        delivered_at: Some(t_ok),
        ..attempted(d[0])
    })
    .await;
    check(Delivery {
        last_status_code: Some(500),
        last_error: Some("HTTP 500".to_owned()),
        next_attempt_at: Some(t_retry),
        ..attempted(d[1])
    })
    .await;
    check(Delivery {
        state: DeliveryState::Dead,
        last_error: Some("timeout".to_owned()),
        ..attempted(d[2])
    })
    .await;
    let untouched = delivery(s, &sub, d[3]).await;
    assert_eq!(
        (
            untouched.state,
            untouched.attempts,
            untouched.last_attempt_at
        ),
        (DeliveryState::Pending, 0, None)
    );
    assert_eq!(untouched.next_attempt_at, Some(created));

    // A retry is not leasable before its time (d[3] is still leased).
    assert!(
        lease(s, sub.id, plus(t_retry, -1), plus(t, 10 * MINUTE), 10)
            .await
            .is_empty()
    );
    assert_eq!(
        lease(s, sub.id, t_retry, plus(t, 10 * MINUTE), 10).await,
        vec![d[1]]
    );
    let t_second = plus(t_retry, 100);
    complete(
        s,
        vec![attempt(
            d[1],
            t_second,
            Some(502),
            AttemptOutcome::Retry {
                error: "HTTP 502".to_owned(),
                at: plus(t_second, MINUTE),
            },
        )],
    )
    .await;
    let retried = delivery(s, &sub, d[1]).await;
    assert_eq!(retried.attempts, 2);
    assert_eq!(retried.last_status_code, Some(502));
    assert_eq!(retried.last_error.as_deref(), Some("HTTP 502"));
    assert_eq!(retried.last_attempt_at, Some(t_second));
    assert_eq!(retried.next_attempt_at, Some(plus(t_second, MINUTE)));
    // Delivered after retries: the error of the last attempt is cleared.
    complete(
        s,
        vec![attempt(
            d[1],
            plus(t_second, MINUTE),
            Some(204),
            AttemptOutcome::Delivered,
        )],
    )
    .await;
    let done = delivery(s, &sub, d[1]).await;
    assert_eq!(
        (
            done.state,
            done.attempts,
            done.last_status_code,
            &done.last_error,
            done.next_attempt_at,
            done.delivered_at
        ),
        (
            DeliveryState::Delivered,
            3,
            Some(204),
            &None,
            None,
            Some(plus(t_second, MINUTE))
        )
    );

    // An attempt on a delivery that is no longer pending changes nothing.
    let before = log(s, &sub).await;
    complete(
        s,
        vec![
            attempt(
                d[0],
                plus(t, MINUTE),
                Some(500),
                AttemptOutcome::Dead {
                    error: "late".to_owned(),
                },
            ),
            attempt(d[2], plus(t, MINUTE), Some(200), AttemptOutcome::Delivered),
            attempt(
                d[1],
                plus(t, MINUTE),
                Some(500),
                AttemptOutcome::Retry {
                    error: "late".to_owned(),
                    at: plus(t, MINUTE),
                },
            ),
        ],
    )
    .await;
    assert_eq!(log(s, &sub).await, before);

    // The history keeps every attempt, oldest first; the late ones are not in it.
    let (of, history) = s.delivery_attempts(a, sub.id, d[1]).await.unwrap();
    assert_eq!(of, delivery(s, &sub, d[1]).await);
    let seen: Vec<_> = history
        .iter()
        .map(|h| (h.at, h.status_code, h.outcome.as_str(), h.error.as_deref()))
        .collect();
    assert_eq!(
        seen,
        vec![
            (t_ok, Some(500), "retry", Some("HTTP 500")),
            (t_second, Some(502), "retry", Some("HTTP 502")),
            (plus(t_second, MINUTE), Some(204), "delivered", None),
        ]
    );
    assert_eq!(history[0].latency_ms, 25);
    assert_eq!(history[0].body_excerpt, body(d[1]));
    let (_, dead) = s.delivery_attempts(a, sub.id, d[2]).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(
        (dead[0].status_code, dead[0].outcome.as_str()),
        (None, "dead")
    );
    assert!(
        s.delivery_attempts(a, sub.id, d[3])
            .await
            .unwrap()
            .1
            .is_empty()
    );
    // Another subscription's or account's delivery: not found.
    let other_sub = subscribe(s, a, None, &[Messages]).await;
    assert!(matches!(
        s.delivery_attempts(a, other_sub.id, d[1]).await,
        Err(StoreError::NotFound(Entity::Delivery))
    ));
    assert!(matches!(
        s.delivery_attempts(AccountId::generate(), sub.id, d[1])
            .await,
        Err(StoreError::NotFound(Entity::Subscription))
    ));
    assert!(matches!(
        s.delivery_attempts(a, sub.id, DeliveryId::generate()).await,
        Err(StoreError::NotFound(Entity::Delivery))
    ));

    // Two attempts on one delivery in one call both count, in order.
    complete(
        s,
        vec![
            attempt(
                d[3],
                plus(t, 20),
                Some(503),
                AttemptOutcome::Retry {
                    error: "HTTP 503".to_owned(),
                    at: plus(t, 30),
                },
            ),
            attempt(d[3], plus(t, 40), Some(200), AttemptOutcome::Delivered),
        ],
    )
    .await;
    let twice = delivery(s, &sub, d[3]).await;
    assert_eq!(
        (twice.state, twice.attempts, twice.last_status_code),
        (DeliveryState::Delivered, 2, Some(200))
    );

    // Nor on one whose subscription was deleted meanwhile.
    s.delete_subscription(a, sub.id).await.unwrap();
    s.complete_deliveries(vec![attempt(
        d[3],
        plus(t, MINUTE),
        Some(200),
        AttemptOutcome::Delivered,
    )])
    .await
    .unwrap();
    s.complete_deliveries(vec![]).await.unwrap();
}

async fn released_deliveries_are_leasable_at_once(b: Backend) {
    let s = &b.store;
    let (a, ch) = account_with_channel(s, "A").await;
    let sub = subscribe(s, a, None, &[Statuses, AccountUpdate]).await;
    let m = MessageId::generate();
    s.record_events(vec![
        status_event(a, ch, m, MessageStatus::Sent),
        status_event(a, ch, m, MessageStatus::Delivered),
        other_event(a, None, AccountUpdate),
        other_event(a, None, AccountUpdate),
    ])
    .await
    .unwrap();
    let d = log_ids(s, &sub).await;
    let t = records::now();
    let until = plus(t, MINUTE);
    assert_eq!(lease(s, sub.id, t, until, 10).await, vec![d[0], d[2], d[3]]);
    assert!(lease(s, sub.id, t, until, 10).await.is_empty());
    let before = log(s, &sub).await;

    // Given back: leasable again at once, at the same time, with no attempt counted; the
    // message's line is kept (its second event still waits).
    s.release_deliveries(vec![d[0]]).await.unwrap();
    let again = lease_jobs(s, sub.id, t, until, 10).await;
    assert_eq!(
        again.iter().map(|j| j.delivery.id).collect::<Vec<_>>(),
        vec![d[0]]
    );
    assert_eq!(again[0].delivery, before[0]);
    assert_eq!(log(s, &sub).await, before, "releasing records nothing");

    s.release_deliveries(vec![d[3], d[0], DeliveryId::generate()])
        .await
        .unwrap();
    s.release_deliveries(vec![]).await.unwrap();
    assert_eq!(lease(s, sub.id, t, until, 10).await, vec![d[0], d[3]]);
    assert!(log(s, &sub).await.iter().all(|d| d.attempts == 0));

    // Released after an attempt: the retry keeps its time and its count.
    complete(
        s,
        vec![attempt(
            d[0],
            t,
            Some(500),
            AttemptOutcome::Retry {
                error: "HTTP 500".to_owned(),
                at: plus(t, 5 * MINUTE),
            },
        )],
    )
    .await;
    s.release_deliveries(vec![d[0]]).await.unwrap();
    assert!(lease(s, sub.id, t, until, 10).await.is_empty());
    let retry = delivery(s, &sub, d[0]).await;
    assert_eq!(retry.attempts, 1);
    assert_eq!(retry.next_attempt_at, Some(plus(t, 5 * MINUTE)));

    // A finished delivery stays finished.
    complete(
        s,
        vec![attempt(d[2], t, Some(200), AttemptOutcome::Delivered)],
    )
    .await;
    let delivered = delivery(s, &sub, d[2]).await;
    s.release_deliveries(vec![d[2]]).await.unwrap();
    assert_eq!(delivery(s, &sub, d[2]).await, delivered);
    let later = plus(until, 1);
    assert_eq!(
        lease(s, sub.id, later, plus(later, MINUTE), 10).await,
        vec![d[3]]
    );
}

async fn leases_are_renewed_only_by_their_holder(b: Backend) {
    let s = &b.store;
    let (a, _) = account_with_channel(s, "A").await;
    let sub = subscribe(s, a, None, &[AccountUpdate]).await;
    s.record_events(vec![
        other_event(a, None, AccountUpdate),
        other_event(a, None, AccountUpdate),
        other_event(a, None, AccountUpdate),
    ])
    .await
    .unwrap();
    let d = log_ids(s, &sub).await;
    let t = records::now();
    let held = plus(t, 10_000);
    assert_eq!(lease(s, sub.id, t, held, 10).await, d);

    // Renewed under the lease it holds: the lease now ends later, so a step past the old
    // end still finds nothing to lease.
    let renewed_until = plus(t, 20_000);
    let mut renewed = s
        .renew_deliveries(vec![d[0], d[1]], held, renewed_until)
        .await
        .unwrap();
    renewed.sort();
    let mut want = vec![d[0], d[1]];
    want.sort();
    assert_eq!(renewed, want);
    let past_old = plus(held, 1);
    assert_eq!(
        lease(s, sub.id, past_old, plus(past_old, MINUTE), 10).await,
        vec![d[2]],
        "only the delivery that was not renewed is free after the first lease ran out"
    );

    // Under a lease it no longer holds (d[2] went to another holder): nothing changes.
    assert!(
        s.renew_deliveries(vec![d[2]], held, plus(t, 90_000))
            .await
            .unwrap()
            .is_empty()
    );
    // An attempted delivery is not renewed; nor an unknown id; nor an empty list.
    complete(
        s,
        vec![attempt(d[0], t, Some(200), AttemptOutcome::Delivered)],
    )
    .await;
    assert_eq!(
        s.renew_deliveries(
            vec![d[0], d[1], DeliveryId::generate()],
            renewed_until,
            plus(t, 30_000)
        )
        .await
        .unwrap(),
        vec![d[1]]
    );
    assert!(
        s.renew_deliveries(vec![], held, renewed_until)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        delivery(s, &sub, d[0]).await.state,
        DeliveryState::Delivered
    );
}

async fn a_recovered_receiver_gets_its_retries_at_once(b: Backend) {
    let s = &b.store;
    let (a, _) = account_with_channel(s, "A").await;
    let sub = subscribe(s, a, None, &[AccountUpdate]).await;
    let other = subscribe(s, a, None, &[AccountUpdate]).await;
    s.record_events(vec![
        other_event(a, None, AccountUpdate),
        other_event(a, None, AccountUpdate),
        other_event(a, None, AccountUpdate),
    ])
    .await
    .unwrap();
    let d = log_ids(s, &sub).await;
    let o = log_ids(s, &other).await;
    let t = records::now();
    let until = plus(t, MINUTE);
    assert_eq!(lease(s, sub.id, t, until, 2).await, vec![d[0], d[1]]);
    assert_eq!(lease(s, other.id, t, until, 1).await, vec![o[0]]);
    let retry_at = plus(t, 60 * MINUTE);
    let failed = |id| {
        attempt(
            id,
            t,
            None,
            AttemptOutcome::Retry {
                error: "timed out".to_owned(),
                at: retry_at,
            },
        )
    };
    complete(s, vec![failed(d[0]), failed(d[1]), failed(o[0])]).await;
    let later = plus(t, 1);
    assert_eq!(
        lease(s, sub.id, later, plus(later, 1000), 1).await,
        vec![d[2]],
        "never attempted: due already"
    );

    let n = s.expedite_deliveries(sub.id, later).await.unwrap();
    // d[0] and d[1] were backed off an hour; now both are due. The fresh d[2] was never
    // attempted (and is leased): untouched.
    assert_eq!(n, 2);
    for id in [d[0], d[1]] {
        assert_eq!(delivery(s, &sub, id).await.next_attempt_at, Some(later));
    }
    assert_eq!(
        lease(s, sub.id, later, plus(later, MINUTE), 10).await,
        vec![d[0], d[1]]
    );
    // Another subscription's retry keeps its time.
    assert_eq!(
        delivery(s, &other, o[0]).await.next_attempt_at,
        Some(retry_at)
    );
    assert_eq!(s.expedite_deliveries(sub.id, later).await.unwrap(), 0);
}

async fn secrets_are_sealed_and_data_keys_rewrapped(b: Backend) {
    use wagate_store::sealing::{self, DataKey, MasterKey};

    let s = &b.store;
    // Data keys: stored wrapped, listed oldest first, re-wrapped all at once.
    let master = MasterKey::from_bytes(&MasterKey::generate());
    let (k1, b1) = DataKey::generate();
    let (k2, b2) = DataKey::generate();
    let w1 = master.wrap(&k1.id, &b1, 1);
    let w2 = master.wrap(&k2.id, &b2, 2);
    assert!(s.secret_keys().await.unwrap().is_empty());
    s.add_secret_key(w2.clone()).await.unwrap();
    s.add_secret_key(w1.clone()).await.unwrap();
    assert_eq!(s.secret_keys().await.unwrap(), vec![w1.clone(), w2.clone()]);
    let next = MasterKey::from_bytes(&MasterKey::generate());
    let (r1, r2) = (next.wrap(&k1.id, &b1, 1), next.wrap(&k2.id, &b2, 2));
    let unknown = next.wrap("000000000000", &b1, 3);
    assert!(
        s.rewrap_secret_keys(vec![r1.clone(), unknown])
            .await
            .is_err(),
        "an unknown id refuses the whole rotation"
    );
    assert_eq!(
        s.secret_keys().await.unwrap(),
        vec![w1, w2],
        "nothing changed"
    );
    s.rewrap_secret_keys(vec![r1.clone(), r2.clone()])
        .await
        .unwrap();
    let stored = s.secret_keys().await.unwrap();
    assert_eq!(stored, vec![r1, r2]);
    assert!(next.unwrap(&stored[0]).is_some() && master.unwrap(&stored[0]).is_none());

    // Values: sealed under the current key; a newer key re-seals them; they read back.
    // The keyring is the process's: the SQLite and PostgreSQL runs of this story take turns,
    // or one would switch the current key between the other's two reseals.
    static KEYRING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _turn = KEYRING.lock().await;
    sealing::install(vec![k1]);
    let (a, _) = account_with_channel(s, "A").await;
    let sub = subscribe(s, a, None, &[Statuses]).await;
    sealing::install(vec![k2]);
    assert_eq!(s.reseal_secrets().await.unwrap(), 1);
    assert_eq!(s.reseal_secrets().await.unwrap(), 0, "all current now");
    let back = s.get_subscription(a, sub.id).await.unwrap();
    assert_eq!(back.secret, sub.secret);
    assert_eq!(back.verify_token, sub.verify_token);
}

async fn delivery_log_filters_pages_and_replays(b: Backend) {
    let s = &b.store;
    let (a, ch) = account_with_channel(s, "A").await;
    let (other, _) = account_with_channel(s, "B").await;
    let sub = subscribe(s, a, None, &[AccountUpdate]).await;
    let quiet = subscribe(s, a, None, &[MessageTemplateStatusUpdate]).await;
    let event = || other_event(a, Some(ch), AccountUpdate);
    assert_eq!(
        backlog(s).await.get(&quiet.id),
        Some(&0),
        "a subscription with nothing waiting counts 0"
    );

    // Three batches, created at distinct times: [d0 d1] t1 [d2 d3] t2 [d4].
    s.record_events(vec![event(), event()]).await.unwrap();
    tick().await;
    let t1 = records::now();
    tick().await;
    s.record_events(vec![event(), event()]).await.unwrap();
    tick().await;
    let t2 = records::now();
    tick().await;
    s.record_events(vec![event()]).await.unwrap();
    let d = log_ids(s, &sub).await;
    assert_eq!(d.len(), 5);
    let at = |i: usize| {
        let s = s.clone();
        let sub = sub.clone();
        let id = d[i];
        async move { delivery(&s, &sub, id).await.created_at }
    };
    assert!(at(1).await < t1 && t1 <= at(2).await && at(3).await < t2 && t2 <= at(4).await);

    let list = |filter: DeliveryFilter, page: Page<DeliveryId>| {
        let s = s.clone();
        async move {
            s.list_deliveries(a, sub.id, &filter, &page)
                .await
                .unwrap()
                .into_iter()
                .map(|d| d.id)
                .collect::<Vec<_>>()
        }
    };
    let none = DeliveryFilter::default;

    // Newest first; `after` continues with older ones.
    assert_eq!(
        list(none(), Page::default()).await,
        vec![d[4], d[3], d[2], d[1], d[0]]
    );
    assert_eq!(list(none(), Page::first(2)).await, vec![d[4], d[3]]);
    assert_eq!(
        list(none(), Page::after(Some(d[3]), 2)).await,
        vec![d[2], d[1]]
    );
    assert_eq!(list(none(), Page::after(Some(d[1]), 10)).await, vec![d[0]]);
    assert!(list(none(), Page::after(Some(d[0]), 10)).await.is_empty());
    assert!(
        s.list_deliveries(a, quiet.id, &none(), &Page::all())
            .await
            .unwrap()
            .is_empty()
    );
    subscription_not_found(
        s.list_deliveries(other, sub.id, &none(), &Page::all())
            .await,
    );
    assert_eq!(backlog(s).await.get(&sub.id), Some(&5));
    assert_eq!(pending(s, &quiet).await, 0);

    // d0 delivered, d1 and d2 dead, d3 to retry in an hour, d4 given back.
    let t = records::now();
    assert_eq!(lease(s, sub.id, t, plus(t, MINUTE), 10).await, d);
    let hour = plus(t, 60 * MINUTE);
    let dead = || AttemptOutcome::Dead {
        error: "HTTP 410".to_owned(),
    };
    complete(
        s,
        vec![
            attempt(d[0], t, Some(200), AttemptOutcome::Delivered),
            attempt(d[1], t, Some(410), dead()),
            attempt(d[2], t, Some(410), dead()),
            attempt(
                d[3],
                t,
                Some(500),
                AttemptOutcome::Retry {
                    error: "HTTP 500".to_owned(),
                    at: hour,
                },
            ),
        ],
    )
    .await;
    s.release_deliveries(vec![d[4]]).await.unwrap();
    assert_eq!(backlog(s).await.get(&sub.id), Some(&2));

    let state = |st| DeliveryFilter {
        state: Some(st),
        ..none()
    };
    let all = Page::default;
    assert_eq!(
        list(state(DeliveryState::Pending), all()).await,
        vec![d[4], d[3]]
    );
    assert_eq!(
        list(state(DeliveryState::Delivered), all()).await,
        vec![d[0]]
    );
    assert_eq!(
        list(state(DeliveryState::Dead), all()).await,
        vec![d[2], d[1]]
    );
    assert_eq!(
        list(state(DeliveryState::Dead), Page::first(1)).await,
        vec![d[2]]
    );
    assert_eq!(
        list(state(DeliveryState::Dead), Page::after(Some(d[2]), 1)).await,
        vec![d[1]]
    );

    // Since is inclusive, until exclusive.
    let range = |since, until| DeliveryFilter {
        since,
        until,
        ..none()
    };
    assert_eq!(
        list(range(Some(t1), None), all()).await,
        vec![d[4], d[3], d[2]]
    );
    assert_eq!(list(range(None, Some(t1)), all()).await, vec![d[1], d[0]]);
    assert_eq!(
        list(range(Some(t1), Some(t2)), all()).await,
        vec![d[3], d[2]]
    );
    let d2_at = at(2).await;
    assert_eq!(
        list(range(Some(d2_at), Some(plus(d2_at, 1))), all()).await,
        vec![d[3], d[2]],
        "one batch, one time"
    );
    assert_eq!(
        list(
            DeliveryFilter {
                state: Some(DeliveryState::Dead),
                since: Some(t1),
                until: None
            },
            all()
        )
        .await,
        vec![d[2]]
    );

    // Replays are scoped to the account's subscription.
    let now = plus(t, 1_000);
    subscription_not_found(
        s.replay_deliveries(other, sub.id, Replay::One(d[0]), now)
            .await,
    );
    let not_found = |r: Result<u64, StoreError>| {
        assert!(
            matches!(r, Err(StoreError::NotFound(Entity::Delivery))),
            "{r:?}"
        );
    };
    not_found(
        s.replay_deliveries(a, sub.id, Replay::One(DeliveryId::generate()), now)
            .await,
    );
    not_found(
        s.replay_deliveries(a, quiet.id, Replay::One(d[0]), now)
            .await,
    );
    assert_eq!(
        delivery(s, &sub, d[0]).await.state,
        DeliveryState::Delivered
    );

    // One: a delivered one is pending and due again, its history kept.
    let was = delivery(s, &sub, d[0]).await;
    assert_eq!(
        s.replay_deliveries(a, sub.id, Replay::One(d[0]), now)
            .await
            .unwrap(),
        1
    );
    let replayed = delivery(s, &sub, d[0]).await;
    assert_eq!(
        replayed,
        Delivery {
            state: DeliveryState::Pending,
            next_attempt_at: Some(now),
            delivered_at: None,
            ..was
        }
    );
    assert_eq!(replayed.attempts, 1);
    assert_eq!(replayed.last_status_code, Some(200));

    // Dead: only dead letters, in the range.
    assert_eq!(
        s.replay_deliveries(
            a,
            sub.id,
            Replay::Dead {
                since: Some(t1),
                until: None
            },
            now
        )
        .await
        .unwrap(),
        1
    );
    assert_eq!(
        list(state(DeliveryState::Dead), all()).await,
        vec![d[1]],
        "d2 replayed"
    );
    assert_eq!(
        s.replay_deliveries(
            a,
            sub.id,
            Replay::Dead {
                since: None,
                until: Some(t1)
            },
            now
        )
        .await
        .unwrap(),
        1
    );
    assert!(list(state(DeliveryState::Dead), all()).await.is_empty());
    assert_eq!(
        s.replay_deliveries(
            a,
            sub.id,
            Replay::Dead {
                since: None,
                until: None
            },
            now
        )
        .await
        .unwrap(),
        0
    );
    let d1 = delivery(s, &sub, d[1]).await;
    assert_eq!(
        (d1.state, d1.next_attempt_at, d1.attempts, d1.last_error),
        (
            DeliveryState::Pending,
            Some(now),
            1,
            Some("HTTP 410".to_owned())
        )
    );

    // Range: every delivery created in it, whatever its state (d3's retry is due now).
    assert_eq!(
        s.replay_deliveries(
            a,
            sub.id,
            Replay::Range {
                since: t1,
                until: t2
            },
            now
        )
        .await
        .unwrap(),
        2
    );
    assert_eq!(delivery(s, &sub, d[3]).await.next_attempt_at, Some(now));
    assert_eq!(
        s.replay_deliveries(
            a,
            quiet.id,
            Replay::Range {
                since: t,
                until: plus(t, MINUTE)
            },
            now
        )
        .await
        .unwrap(),
        0
    );
    assert_eq!(backlog(s).await.get(&sub.id), Some(&5));
    assert_eq!(
        list(state(DeliveryState::Pending), all()).await,
        vec![d[4], d[3], d[2], d[1], d[0]],
        "all pending again"
    );

    // Everything replayed is due at `now`, not before (d4, never attempted, was due already).
    assert_eq!(
        lease(s, sub.id, plus(now, -1), plus(now, MINUTE), 10).await,
        vec![d[4]]
    );
    assert_eq!(
        lease(s, sub.id, now, plus(now, MINUTE), 10).await,
        vec![d[0], d[1], d[2], d[3]]
    );
    // Replaying a delivery whose POST is out keeps its lease: that POST is the replay, and
    // nobody leases it a second time meanwhile.
    s.replay_deliveries(a, sub.id, Replay::One(d[0]), plus(now, 1))
        .await
        .unwrap();
    assert!(
        lease(s, sub.id, plus(now, 2), plus(now, MINUTE), 10)
            .await
            .is_empty(),
        "still leased"
    );
    assert_eq!(
        lease(s, sub.id, plus(now, MINUTE + 1), plus(now, 2 * MINUTE), 10).await,
        vec![d[0], d[1], d[2], d[3], d[4]],
        "once the leases run out, all are due"
    );
}

async fn due_subscriptions_have_a_due_unleased_delivery(b: Backend) {
    let s = &b.store;
    let (a, ch) = account_with_channel(s, "A").await;
    let first = subscribe(s, a, None, &[MessageTemplateStatusUpdate]).await;
    let second = subscribe(s, a, Some(ch), &[AccountUpdate]).await;
    let t0 = records::now();
    assert!(
        due(s, plus(t0, MINUTE), 10).await.is_empty(),
        "nothing pending"
    );

    s.record_events(vec![other_event(a, None, MessageTemplateStatusUpdate)])
        .await
        .unwrap();
    let d = log_ids(s, &first).await;
    let created = delivery(s, &first, d[0]).await.created_at;
    assert!(
        due(s, plus(created, -1), 10).await.is_empty(),
        "not due yet"
    );
    let t = records::now();
    assert_eq!(due(s, t, 10).await, vec![first.id]);

    // Leased: not due until the lease ends.
    let until = plus(t, MINUTE);
    assert_eq!(lease(s, first.id, t, until, 10).await, d);
    assert!(due(s, t, 10).await.is_empty());
    assert!(due(s, plus(until, -1), 10).await.is_empty());
    assert_eq!(due(s, plus(until, 1), 10).await, vec![first.id]);

    // A retry: due at its time.
    let retry_at = plus(t, 30_000);
    complete(
        s,
        vec![attempt(
            d[0],
            t,
            Some(500),
            AttemptOutcome::Retry {
                error: "HTTP 500".to_owned(),
                at: retry_at,
            },
        )],
    )
    .await;
    assert!(due(s, plus(retry_at, -1), 10).await.is_empty());
    assert_eq!(due(s, retry_at, 10).await, vec![first.id]);
    // Leased, then given back: due again at once.
    assert_eq!(
        lease(s, first.id, retry_at, plus(retry_at, MINUTE), 10).await,
        d
    );
    assert!(due(s, retry_at, 10).await.is_empty());
    s.release_deliveries(d.clone()).await.unwrap();
    assert_eq!(due(s, retry_at, 10).await, vec![first.id]);

    // Delivered: no longer due.
    complete(
        s,
        vec![attempt(
            d[0],
            retry_at,
            Some(200),
            AttemptOutcome::Delivered,
        )],
    )
    .await;
    let far = plus(t, 24 * 60 * MINUTE);
    assert!(due(s, far, 10).await.is_empty());

    // Two subscriptions with due deliveries: both, in id order, `limit` honoured.
    s.record_events(vec![
        other_event(a, Some(ch), AccountUpdate),
        other_event(a, Some(ch), MessageTemplateStatusUpdate),
    ])
    .await
    .unwrap();
    let now = records::now();
    let both = sorted(vec![first.id, second.id]);
    assert_eq!(due(s, now, 10).await, both);
    assert_eq!(due(s, now, 1).await, both[..1]);

    // Dead-lettering the only pending delivery of `second` ends it.
    let d2 = log_ids(s, &second).await;
    complete(
        s,
        vec![attempt(
            d2[0],
            now,
            None,
            AttemptOutcome::Dead {
                error: "refused".to_owned(),
            },
        )],
    )
    .await;
    assert_eq!(due(s, now, 10).await, vec![first.id]);

    // A disabled subscription is not due, whatever it has pending.
    set_enabled(s, &first, false).await;
    assert!(due(s, now, 10).await.is_empty());
    assert_eq!(pending(s, &first).await, 1);
    set_enabled(s, &first, true).await;
    assert_eq!(due(s, now, 10).await, vec![first.id]);

    // A replayed dead letter makes its subscription due again.
    s.replay_deliveries(a, second.id, Replay::One(d2[0]), now)
        .await
        .unwrap();
    assert_eq!(due(s, now, 10).await, both);
}
