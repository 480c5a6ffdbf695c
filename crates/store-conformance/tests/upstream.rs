//! The cloud-upstream part of the conformance story: Meta's id of a message handed over is
//! recorded with its `sent` transition and finds the message again (and only on its
//! channel); a message received from Meta is found by its own wamid; statuses Meta reports
//! are stored as network events and applied by ingest; only cloud channels are listed as
//! such. The same assertions on every Store backend.

use std::sync::Arc;

use wagate_core::channel::{CloudSettings, Upstream};
use wagate_core::message::MessageStatus;
use wagate_core::network::NetworkEvent;
use wagate_core::pricing::{Conversation, Pricing, PricingCategory, PricingType};
use wagate_store::{DispatchOutcome, Store, records};
use wagate_store_conformance::{
    Backend, USER_A, account_with_channel, get, inbound, plus, sandbox, send, status, story,
};

story!(cloud_ids_find_their_messages_on_their_channel);
story!(the_networks_pricing_replaces_wagates_estimate);

async fn cloud_ids_find_their_messages_on_their_channel(b: Backend) {
    let s: &Arc<dyn Store> = &b.store;
    let (a, sandbox_ch) = account_with_channel(s, "Acme").await;
    let mut new = sandbox(a);
    new.upstream = Upstream::Cloud(
        CloudSettings::parse(
            Some("http://127.0.0.1:9"),
            None,
            Some("token"),
            Some("app-secret"),
            None,
            None,
        )
        .unwrap(),
    );
    let ch = s.create_channel(new).await.unwrap().id;
    let cloud: Vec<_> = s
        .cloud_channels()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(cloud, vec![ch], "only the cloud channel is listed");

    let now = records::now();
    let m = send(s, a, ch, USER_A).await;
    let wamid = get(s, a, m).await.wamid;
    assert_eq!(
        s.upstream_id_of(ch, &wamid).await.unwrap(),
        None,
        "not handed over yet"
    );
    s.complete_dispatch(vec![DispatchOutcome::Sent {
        message_id: m,
        at: now,
        pricing: None,
        conversation: None,
        followups: vec![],
        upstream_id: Some("wamid.UPSTREAM1".to_owned()),
    }])
    .await
    .unwrap();
    let found = s
        .find_message_by_upstream_id(ch, "wamid.UPSTREAM1")
        .await
        .unwrap()
        .expect("found by Meta's id");
    assert_eq!(found.id, m);
    assert_eq!(found.status, MessageStatus::Sent);
    assert_eq!(
        s.upstream_id_of(ch, &wamid).await.unwrap().as_deref(),
        Some("wamid.UPSTREAM1")
    );
    assert!(
        s.find_message_by_upstream_id(sandbox_ch, "wamid.UPSTREAM1")
            .await
            .unwrap()
            .is_none(),
        "another channel does not see it"
    );
    assert!(
        s.find_message_by_upstream_id(ch, "wamid.NOPE")
            .await
            .unwrap()
            .is_none()
    );

    // Meta reports delivered then read: stored, then applied in order by ingest.
    s.record_network_events(
        ch,
        vec![
            status(m, MessageStatus::Delivered, plus(now, 10)),
            status(m, MessageStatus::Read, plus(now, 20)),
        ],
    )
    .await
    .unwrap();
    let applied = s.apply_due_events(plus(now, 1_000), 10).await.unwrap();
    assert_eq!(applied.len(), 2);
    let msg = get(s, a, m).await;
    assert_eq!(msg.status, MessageStatus::Read);
    assert_eq!(msg.delivered_at, Some(plus(now, 10)));

    // A message received from Meta keeps Meta's id as its wamid, and is found by it.
    let received = s
        .ingest_inbound(inbound(a, ch, USER_A, "hello", now))
        .await
        .unwrap();
    let upstream_id = received.wamid.as_str().to_owned();
    assert_eq!(
        s.find_message_by_upstream_id(ch, &upstream_id)
            .await
            .unwrap()
            .map(|m| m.id),
        Some(received.id)
    );
    assert_eq!(
        s.upstream_id_of(ch, &received.wamid)
            .await
            .unwrap()
            .as_deref(),
        Some(upstream_id.as_str())
    );
}

fn pricing(billable: bool, kind: PricingType, category: PricingCategory) -> Pricing {
    Pricing {
        billable,
        pricing_model: "PMP".to_owned(),
        kind,
        category,
    }
}

/// A status the network reports with its pricing (and conversation).
fn priced(
    event: NetworkEvent,
    pricing: Option<Pricing>,
    conversation: Option<Conversation>,
) -> NetworkEvent {
    match event {
        NetworkEvent::Status(mut u) => {
            u.pricing = pricing;
            u.conversation = conversation;
            NetworkEvent::Status(u)
        }
        other => other,
    }
}

async fn the_networks_pricing_replaces_wagates_estimate(b: Backend) {
    let s: &Arc<dyn Store> = &b.store;
    let (a, ch) = account_with_channel(s, "Acme").await;
    let now = records::now();
    let estimate = pricing(
        false,
        PricingType::FreeCustomerService,
        PricingCategory::Service,
    );
    let m = send(s, a, ch, USER_A).await;
    s.complete_dispatch(vec![DispatchOutcome::Sent {
        message_id: m,
        at: now,
        pricing: Some(estimate.clone()),
        conversation: None,
        followups: vec![],
        upstream_id: None,
    }])
    .await
    .unwrap();

    // Meta's `sent` is no progress (wagate recorded it at hand-over), but its pricing and
    // conversation are kept.
    let marketing = pricing(true, PricingType::Regular, PricingCategory::Marketing);
    let conversation = Conversation {
        id: "conv-1".to_owned(),
        origin: PricingCategory::Marketing,
        expires_at: plus(now, 86_400_000),
    };
    s.record_network_events(
        ch,
        vec![priced(
            status(m, MessageStatus::Sent, plus(now, 5)),
            Some(marketing.clone()),
            Some(conversation.clone()),
        )],
    )
    .await
    .unwrap();
    s.apply_due_events(plus(now, 1_000), 10).await.unwrap();
    let msg = get(s, a, m).await;
    assert_eq!(msg.status, MessageStatus::Sent);
    assert_eq!(
        msg.sent_at,
        Some(now),
        "the status itself is not applied again"
    );
    assert_eq!(msg.pricing, Some(marketing.clone()));
    assert_eq!(msg.conversation, Some(conversation.clone()));

    // A report without pricing keeps it; one with pricing replaces it, with its progress.
    s.record_network_events(ch, vec![status(m, MessageStatus::Delivered, plus(now, 10))])
        .await
        .unwrap();
    s.apply_due_events(plus(now, 1_000), 10).await.unwrap();
    let msg = get(s, a, m).await;
    assert_eq!(msg.status, MessageStatus::Delivered);
    assert_eq!(msg.pricing, Some(marketing));
    let utility = pricing(true, PricingType::Regular, PricingCategory::Utility);
    s.record_network_events(
        ch,
        vec![priced(
            status(m, MessageStatus::Read, plus(now, 20)),
            Some(utility.clone()),
            None,
        )],
    )
    .await
    .unwrap();
    s.apply_due_events(plus(now, 1_000), 10).await.unwrap();
    let msg = get(s, a, m).await;
    assert_eq!(msg.status, MessageStatus::Read);
    assert_eq!(msg.pricing, Some(utility));
    assert_eq!(
        msg.conversation,
        Some(conversation),
        "no conversation named: kept"
    );
}
