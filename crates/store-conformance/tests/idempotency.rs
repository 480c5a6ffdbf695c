//! The idempotency-key part of the conformance story: a key is reserved once, completed with
//! its answer and replayed; another request under it is a mismatch; a key is per account and
//! API key; a released key runs afresh; an abandoned one is taken over after its lease; a
//! dead one (24 h) starts fresh and is collected; of concurrent reserves exactly one wins.
//! The same assertions on every Store backend.

use std::sync::Arc;

use wagate_core::Timestamp;
use wagate_core::idempotency::{IdempotencyKey, KEY_TTL, RequestHash};
use wagate_core::ids::{AccountId, ApiKeyId};
use wagate_store::idempotency::{KeyScope, Reservation, Reserve, StoredAnswer};
use wagate_store::{Store, records};
use wagate_store_conformance::{Backend, account_with_channel, plus, story};

story!(idempotency_keys_reserve_once_replay_and_expire);
story!(concurrent_reserves_of_one_key_have_one_winner);

fn hash(body: &str) -> RequestHash {
    RequestHash::hasher()
        .part(b"POST")
        .part(b"/v23.0/1/messages")
        .part(body.as_bytes())
        .finish()
}

fn scope(a: AccountId, k: ApiKeyId, key: &str) -> KeyScope {
    KeyScope {
        account_id: a,
        api_key_id: k,
        key: IdempotencyKey::parse(key).unwrap(),
    }
}

fn reserve(scope: &KeyScope, body: &str, now: Timestamp) -> Reserve {
    Reserve {
        scope: scope.clone(),
        request: hash(body),
        holder: uuid::Uuid::new_v4(),
        now,
        lease_until: plus(now, 60_000),
    }
}

fn answer(body: &str) -> StoredAnswer {
    StoredAnswer {
        status: 200,
        content_type: Some("application/json".into()),
        body: body.as_bytes().to_vec(),
    }
}

const DAY: i64 = KEY_TTL.as_millis() as i64;

async fn idempotency_keys_reserve_once_replay_and_expire(b: Backend) {
    let s: &Arc<dyn Store> = &b.store;
    let (a, _) = account_with_channel(s, "Acme").await;
    let (other, _) = account_with_channel(s, "Other").await;
    let (key1, key2) = (ApiKeyId::generate(), ApiKeyId::generate());
    let t0 = records::now();
    let k = scope(a, key1, "order-1");

    // First use reserves; a retry while it runs is in progress; another body is a mismatch.
    let first = reserve(&k, "{\"to\":1}", t0);
    assert_eq!(
        s.reserve_idempotency_key(first.clone()).await.unwrap(),
        Reservation::Reserved
    );
    assert_eq!(
        s.reserve_idempotency_key(reserve(&k, "{\"to\":1}", plus(t0, 10)))
            .await
            .unwrap(),
        Reservation::InProgress
    );
    assert_eq!(
        s.reserve_idempotency_key(reserve(&k, "{\"to\":2}", plus(t0, 10)))
            .await
            .unwrap(),
        Reservation::Mismatch
    );

    // Only the holder completes; then the answer is replayed, bytes and all.
    assert!(
        !s.complete_idempotency_key(&k, uuid::Uuid::new_v4(), answer("nope"))
            .await
            .unwrap()
    );
    let body = "{\"messages\":[{\"id\":\"wamid.é\\u0000\"}]}";
    let mut stored = answer(body);
    stored.status = 201;
    assert!(
        s.complete_idempotency_key(&k, first.holder, stored.clone())
            .await
            .unwrap()
    );
    assert!(
        !s.complete_idempotency_key(&k, first.holder, answer("again"))
            .await
            .unwrap(),
        "completes once"
    );
    assert!(!s.release_idempotency_key(&k, first.holder).await.unwrap());
    assert_eq!(
        s.reserve_idempotency_key(reserve(&k, "{\"to\":1}", plus(t0, 20)))
            .await
            .unwrap(),
        Reservation::Done(stored.clone())
    );
    assert_eq!(
        s.reserve_idempotency_key(reserve(&k, "{\"to\":2}", plus(t0, 20)))
            .await
            .unwrap(),
        Reservation::Mismatch
    );
    // A binary body without a content type survives too.
    let raw = scope(a, key1, "raw");
    let r = reserve(&raw, "x", t0);
    assert_eq!(
        s.reserve_idempotency_key(r.clone()).await.unwrap(),
        Reservation::Reserved
    );
    let bytes = StoredAnswer {
        status: 400,
        content_type: None,
        body: vec![0, 255, 1, 254],
    };
    assert!(
        s.complete_idempotency_key(&raw, r.holder, bytes.clone())
            .await
            .unwrap()
    );
    assert_eq!(
        s.reserve_idempotency_key(reserve(&raw, "x", t0))
            .await
            .unwrap(),
        Reservation::Done(bytes)
    );

    // The same key string of another API key or account is another key.
    for other_scope in [scope(a, key2, "order-1"), scope(other, key1, "order-1")] {
        assert_eq!(
            s.reserve_idempotency_key(reserve(&other_scope, "{\"to\":2}", t0))
                .await
                .unwrap(),
            Reservation::Reserved
        );
    }

    // A released key (the request failed on our side) runs afresh, with any body.
    let failed = scope(a, key1, "failed");
    let r = reserve(&failed, "one", t0);
    assert_eq!(
        s.reserve_idempotency_key(r.clone()).await.unwrap(),
        Reservation::Reserved
    );
    assert!(
        !s.release_idempotency_key(&failed, uuid::Uuid::new_v4())
            .await
            .unwrap(),
        "only the holder releases"
    );
    assert!(s.release_idempotency_key(&failed, r.holder).await.unwrap());
    assert_eq!(
        s.reserve_idempotency_key(reserve(&failed, "two", t0))
            .await
            .unwrap(),
        Reservation::Reserved
    );

    // A holder that died: in progress until its lease ends, then the same request takes it
    // over (another request still is a mismatch); the old holder can no longer complete.
    let dead = scope(a, key1, "dead-holder");
    let gone = reserve(&dead, "body", t0);
    assert_eq!(
        s.reserve_idempotency_key(gone.clone()).await.unwrap(),
        Reservation::Reserved
    );
    assert_eq!(
        s.reserve_idempotency_key(reserve(&dead, "body", plus(t0, 59_999)))
            .await
            .unwrap(),
        Reservation::InProgress
    );
    assert_eq!(
        s.reserve_idempotency_key(reserve(&dead, "other", plus(t0, 60_000)))
            .await
            .unwrap(),
        Reservation::Mismatch
    );
    let heir = reserve(&dead, "body", plus(t0, 60_000));
    assert_eq!(
        s.reserve_idempotency_key(heir.clone()).await.unwrap(),
        Reservation::Reserved
    );
    assert!(
        !s.complete_idempotency_key(&dead, gone.holder, answer("late"))
            .await
            .unwrap()
    );
    assert!(
        s.complete_idempotency_key(&dead, heir.holder, answer("heir"))
            .await
            .unwrap()
    );

    // 24 h after first use a key is dead: it starts fresh, with any body, before the
    // collector ran.
    let day_later = plus(t0, DAY);
    assert_eq!(
        s.reserve_idempotency_key(reserve(&k, "{\"to\":3}", plus(day_later, -1)))
            .await
            .unwrap(),
        Reservation::Mismatch,
        "still alive a millisecond before"
    );
    let fresh = reserve(&k, "{\"to\":3}", day_later);
    assert_eq!(
        s.reserve_idempotency_key(fresh.clone()).await.unwrap(),
        Reservation::Reserved
    );
    assert_eq!(
        s.reserve_idempotency_key(reserve(&k, "{\"to\":3}", day_later))
            .await
            .unwrap(),
        Reservation::InProgress
    );

    // The collector deletes dead keys only, in batches, and they stay gone after a reopen.
    assert_eq!(
        s.collect_idempotency_keys(plus(t0, DAY - 1), 100)
            .await
            .unwrap(),
        0
    );
    // Dead a second after a day: raw, the two other-scope keys and failed (k was renewed,
    // dead-holder taken over a minute later).
    assert_eq!(
        s.collect_idempotency_keys(plus(t0, DAY + 1000), 3)
            .await
            .unwrap(),
        3
    );
    assert_eq!(
        s.collect_idempotency_keys(plus(t0, DAY + 1000), 100)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        s.collect_idempotency_keys(plus(t0, DAY + 1000), 100)
            .await
            .unwrap(),
        0
    );
    let s = (b.reopen)().await;
    assert_eq!(
        s.reserve_idempotency_key(reserve(&k, "{\"to\":3}", plus(day_later, 5)))
            .await
            .unwrap(),
        Reservation::InProgress,
        "the renewed key survived collection and a reopen"
    );
    assert_eq!(
        s.reserve_idempotency_key(reserve(&raw, "y", plus(day_later, 5)))
            .await
            .unwrap(),
        Reservation::Reserved,
        "a collected key starts fresh"
    );
    assert_eq!(
        s.collect_idempotency_keys(plus(day_later, DAY + 10), 100)
            .await
            .unwrap(),
        3,
        "k, raw and dead-holder"
    );
}

async fn concurrent_reserves_of_one_key_have_one_winner(b: Backend) {
    let s: &Arc<dyn Store> = &b.store;
    let (a, _) = account_with_channel(s, "Acme").await;
    let k = scope(a, ApiKeyId::generate(), "race");
    let now = records::now();
    for round in 0..3 {
        let k = scope(a, k.api_key_id, &format!("race-{round}"));
        let tries = (0..16).map(|_| {
            let s = s.clone();
            let r = reserve(&k, "same body", now);
            tokio::spawn(async move { s.reserve_idempotency_key(r).await.unwrap() })
        });
        let results: Vec<Reservation> = futures::future::join_all(tries)
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        let won = results
            .iter()
            .filter(|r| **r == Reservation::Reserved)
            .count();
        assert_eq!(won, 1, "round {round}: {results:?}");
        assert!(
            results
                .iter()
                .all(|r| matches!(r, Reservation::Reserved | Reservation::InProgress)),
            "{results:?}"
        );
    }
    // Two stores on one database (two nodes) race too.
    let second = (b.reopen)().await;
    let k = scope(a, k.api_key_id, "two-nodes");
    let (x, y) = tokio::join!(
        s.reserve_idempotency_key(reserve(&k, "b", now)),
        second.reserve_idempotency_key(reserve(&k, "b", now)),
    );
    let mut got = [x.unwrap(), y.unwrap()];
    got.sort_by_key(|r| *r != Reservation::Reserved);
    assert_eq!(got, [Reservation::Reserved, Reservation::InProgress]);
}
