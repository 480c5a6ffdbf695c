//! The flows part of the conformance story: flows created, read, found by name, listed in
//! pages per WABA, updated under a guard on `updated_at`, deleted only as unchanged drafts,
//! names unique per WABA, and invisible to another account; the same assertions on every
//! Store backend. The Flow JSON text comes back byte for byte, with its validation errors.
//!
//! Endpoint health: recorded calls raise and clear alerts over their windows, step a
//! published flow to THROTTLED and BLOCKED and back, store the `flows` events with the
//! change, and stay with their account and flow.

use std::sync::Arc;

use wagate_core::Timestamp;
use wagate_core::flow::health::{EndpointCall, ErrorType, Metric};
use wagate_core::flow::{
    DEFAULT_FLOW_JSON, EndpointUri, Flow, FlowCategories, FlowId, FlowJson, FlowName, FlowStatus,
};
use wagate_core::ids::{AccountId, SubscriptionId, WabaId};
use wagate_core::webhook::{
    BatchSize, EventField, PayloadFormat, Subscription, VerifyToken, WebhookSecret, WebhookUrl,
};
use wagate_store::{Conflict, DeliveryFilter, Entity, Page, Store, StoreError, records};
use wagate_store_conformance::{Backend, account_with_channel, plus, story};

story!(flows_round_trip_page_guard_their_writes_and_stay_with_their_account);
story!(endpoint_calls_raise_and_clear_alerts_and_step_the_status);

fn flow(a: AccountId, waba: &WabaId, name: &str, at: Timestamp) -> Flow {
    Flow {
        id: FlowId::generate(),
        account_id: a,
        waba_id: waba.clone(),
        name: FlowName::parse(name).unwrap(),
        categories: FlowCategories::parse(["SIGN_UP", "OTHER"]).unwrap(),
        status: FlowStatus::Draft,
        endpoint_uri: None,
        json: FlowJson::upload(DEFAULT_FLOW_JSON.to_owned()),
        created_at: at,
        updated_at: at,
        preview_epoch: 0,
    }
}

fn not_found<T: std::fmt::Debug>(r: Result<T, StoreError>) {
    assert!(
        matches!(r, Err(StoreError::NotFound(Entity::Flow))),
        "{r:?}"
    );
}

fn name_taken<T: std::fmt::Debug>(r: Result<T, StoreError>) {
    assert!(
        matches!(
            r,
            Err(StoreError::Conflict {
                kind: Conflict::FlowName,
                ..
            })
        ),
        "{r:?}"
    );
}

async fn flows_round_trip_page_guard_their_writes_and_stay_with_their_account(b: Backend) {
    let s: &Arc<dyn Store> = &b.store;
    let (a, _) = account_with_channel(s, "Acme").await;
    let (other, _) = account_with_channel(s, "Other").await;
    let waba = WabaId::parse("102290129340398").unwrap();
    let waba2 = WabaId::parse("102290129340399").unwrap();
    let t0 = records::now();

    // Create and read back every field; an invalid Flow JSON keeps its text and errors.
    let mut first = flow(a, &waba, "Sign up 🎉", t0);
    first.endpoint_uri = Some(EndpointUri::parse("https://example.com/flow").unwrap());
    first.json = FlowJson::upload("{\n  \"version\": \"1.0\",\n  \"screens\": []\n}".into());
    assert!(!first.json.is_valid());
    assert_eq!(s.create_flow(first.clone()).await.unwrap(), first);
    assert_eq!(s.get_flow(a, &first.id).await.unwrap(), first);
    assert_eq!(
        s.find_flow_by_name(a, &waba, &first.name).await.unwrap(),
        Some(first.clone())
    );

    // Names are unique per WABA (not across WABAs or accounts); ids are unique anywhere.
    name_taken(s.create_flow(flow(a, &waba, "Sign up 🎉", t0)).await);
    s.create_flow(flow(a, &waba2, "Sign up 🎉", t0))
        .await
        .unwrap();
    s.create_flow(flow(other, &waba, "Sign up 🎉", t0))
        .await
        .unwrap();
    let mut clash = flow(other, &waba, "Different", t0);
    clash.id = first.id.clone();
    assert!(matches!(
        s.create_flow(clash).await,
        Err(StoreError::Conflict {
            kind: Conflict::GeneratedId,
            ..
        })
    ));

    // Another account, an unknown id: not found; by name: none.
    not_found(s.get_flow(other, &first.id).await);
    not_found(s.get_flow(a, &FlowId::generate()).await);
    assert_eq!(
        s.find_flow_by_name(other, &waba2, &first.name)
            .await
            .unwrap(),
        None
    );

    // Pages of a WABA in id order.
    let mut ids = vec![first.id.clone()];
    for i in 0..4 {
        let f = flow(a, &waba, &format!("flow {i}"), t0);
        ids.push(s.create_flow(f).await.unwrap().id);
    }
    ids.sort();
    let page1 = s.list_flows(a, &waba, &Page::first(3)).await.unwrap();
    let got: Vec<_> = page1.iter().map(|f| f.id.clone()).collect();
    assert_eq!(got, ids[..3]);
    let page2 = s
        .list_flows(a, &waba, &Page::after(Some(ids[2].clone()), 3))
        .await
        .unwrap();
    let got: Vec<_> = page2.iter().map(|f| f.id.clone()).collect();
    assert_eq!(got, ids[3..]);
    assert_eq!(
        s.list_flows(other, &waba2, &Page::first(10)).await.unwrap(),
        vec![]
    );

    // A guarded update lands once; a stale one does not; a rename to a taken name fails.
    let t1 = plus(t0, 10);
    let mut changed = first.clone();
    changed.json = FlowJson::upload(DEFAULT_FLOW_JSON.to_owned());
    changed.status = FlowStatus::Published;
    changed.updated_at = t1;
    assert_eq!(
        s.update_flow(changed.clone(), t0, vec![]).await.unwrap(),
        Some(changed.clone())
    );
    assert_eq!(s.get_flow(a, &first.id).await.unwrap(), changed);
    let mut stale = first.clone();
    stale.updated_at = plus(t0, 20);
    assert_eq!(s.update_flow(stale, t0, vec![]).await.unwrap(), None);
    let mut renamed = changed.clone();
    renamed.name = FlowName::parse("flow 1").unwrap();
    renamed.updated_at = plus(t0, 30);
    name_taken(s.update_flow(renamed, t1, vec![]).await);
    assert_eq!(s.get_flow(a, &first.id).await.unwrap(), changed);

    // Delete: drafts only, as last seen, and the account's own.
    assert!(!s.delete_flow(a, &first.id, t1).await.unwrap(), "published");
    // (ids are random: the first flow, published above, may sort into this page)
    let draft = page2.iter().find(|f| f.id != first.id).unwrap();
    assert!(!s.delete_flow(other, &draft.id, t0).await.unwrap());
    assert!(!s.delete_flow(a, &draft.id, t1).await.unwrap(), "stale");
    assert!(s.delete_flow(a, &draft.id, t0).await.unwrap());
    not_found(s.get_flow(a, &draft.id).await);
}

async fn endpoint_calls_raise_and_clear_alerts_and_step_the_status(b: Backend) {
    let s: &Arc<dyn Store> = &b.store;
    let (a, ch) = account_with_channel(s, "Acme").await;
    let (other, other_ch) = account_with_channel(s, "Other").await;
    let waba = WabaId::parse("102290129340398").unwrap();
    let t0 = records::now();
    let now = records::now();
    let sub = s
        .create_subscription(Subscription {
            id: SubscriptionId::generate(),
            account_id: a,
            channel_id: None,
            url: WebhookUrl::parse("https://example.com/hook").unwrap(),
            secret: WebhookSecret::parse("s3cret-key").unwrap(),
            verify_token: VerifyToken::parse("verify-me").unwrap(),
            fields: vec![EventField::Flows],
            format: PayloadFormat::CLOUD,
            batch_size: BatchSize::ONE,
            enabled: true,
            created_at: now,
            updated_at: now,
        })
        .await
        .unwrap();
    let deliveries = || async {
        s.list_deliveries(a, sub.id, &DeliveryFilter::default(), &Page::all())
            .await
            .unwrap()
            .len()
    };
    let mut f = flow(a, &waba, "Booking", t0);
    f.status = FlowStatus::Published;
    let f = s.create_flow(f).await.unwrap();
    let call = |secs: i64, error: Option<ErrorType>| EndpointCall {
        at: plus(t0, secs * 1000),
        latency_ms: 120,
        error,
    };
    let failing = Some(ErrorType::UnexpectedHttpStatusCode);

    // Another account's flow, an unknown flow: nothing recorded.
    assert_eq!(
        s.record_flow_call(other, &f.id, call(1, failing), other_ch)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        s.record_flow_call(a, &FlowId::generate(), call(1, failing), ch)
            .await
            .unwrap(),
        None
    );

    // Four failures: too few to judge.
    for i in 1..=4 {
        let e = s
            .record_flow_call(a, &f.id, call(i, failing), ch)
            .await
            .unwrap()
            .unwrap();
        assert!(e.alerts.is_empty() && e.status.is_none(), "{e:?}");
    }
    assert_eq!(deliveries().await, 0);
    // The fifth: the error rate alert at 50 %, and THROTTLED first.
    let e = s
        .record_flow_call(a, &f.id, call(5, failing), ch)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(e.alerts.len(), 1, "{e:?}");
    assert_eq!(e.alerts[0].measure.metric, Metric::EndpointErrorRate);
    assert_eq!((e.alerts[0].activated, e.alerts[0].threshold), (true, 50));
    assert_eq!(e.levels.get(Metric::EndpointErrorRate), Some(50));
    assert_eq!(
        s.get_flow(a, &f.id).await.unwrap().status,
        FlowStatus::Throttled
    );
    assert_eq!(deliveries().await, 2, "the alert and the status change");
    // The levels were stored: the next failure raises nothing new but blocks.
    let e = s
        .record_flow_call(a, &f.id, call(6, failing), ch)
        .await
        .unwrap()
        .unwrap();
    assert!(e.alerts.is_empty());
    let blocked = s.get_flow(a, &f.id).await.unwrap();
    assert_eq!(blocked.status, FlowStatus::Blocked);
    assert!(blocked.updated_at > f.updated_at);
    assert_eq!(deliveries().await, 3);

    // An hour later the failures are out of every window: five good calls clear the alert
    // and step back to THROTTLED, the next to PUBLISHED.
    let hour = 3600;
    for i in 0..4 {
        s.record_flow_call(a, &f.id, call(hour + 10 + i, None), ch)
            .await
            .unwrap();
    }
    let e = s
        .record_flow_call(a, &f.id, call(hour + 20, None), ch)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(e.alerts.len(), 1, "{e:?}");
    assert_eq!((e.alerts[0].activated, e.alerts[0].threshold), (false, 50));
    assert_eq!(
        s.get_flow(a, &f.id).await.unwrap().status,
        FlowStatus::Throttled
    );
    s.record_flow_call(a, &f.id, call(hour + 21, None), ch)
        .await
        .unwrap();
    assert_eq!(
        s.get_flow(a, &f.id).await.unwrap().status,
        FlowStatus::Published
    );
    assert_eq!(deliveries().await, 6);

    // A draft's calls are recorded and alert, but its status stays; deleting it drops them.
    let draft = s.create_flow(flow(a, &waba, "Draft", t0)).await.unwrap();
    for i in 1..=5 {
        s.record_flow_call(a, &draft.id, call(i, Some(ErrorType::Timeout)), ch)
            .await
            .unwrap();
    }
    let d = s.get_flow(a, &draft.id).await.unwrap();
    assert_eq!(d.status, FlowStatus::Draft);
    assert!(s.delete_flow(a, &draft.id, d.updated_at).await.unwrap());
    assert_eq!(
        s.record_flow_call(a, &draft.id, call(7, None), ch)
            .await
            .unwrap(),
        None
    );
}
