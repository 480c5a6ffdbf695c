//! Dispatch lanes on PostgreSQL, where several nodes share one database: a channel's outbox
//! is leased by one node at a time, and a node that stops renewing its lane (it died) hands
//! the channel to the next node once the lease is over. SQLite serves from one process and
//! has no lanes, so this runs on PostgreSQL only (`WAGATE_TEST_POSTGRES_URL`).

use wagate_store::records;
use wagate_store_conformance::{
    USER_A, USER_B, USER_C, account_with_channel, plus, postgres, send,
};

#[tokio::test]
async fn a_channels_lane_is_dispatched_by_one_node_at_a_time() {
    let Some(backend) = postgres().await else {
        return;
    };
    let node_a = backend.store.clone();
    let node_b = (backend.reopen)().await;
    let (a, ch) = account_with_channel(&node_a, "Acme").await;
    let (other, other_ch) = account_with_channel(&node_a, "Other").await;
    for user in [USER_A, USER_B, USER_C] {
        send(&node_a, a, ch, user).await;
    }
    let now = records::now();
    let lease = plus(now, 15_000);

    // Node A leases one entry of the channel, and with it the channel's lane.
    let first = node_a.lease_outbox(now, lease, 1).await.unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].message.channel_id, ch);
    // Node B finds work due on that channel but leaves it to A; another channel is free.
    send(&node_a, other, other_ch, USER_A).await;
    let b_jobs = node_b.lease_outbox(now, lease, 10).await.unwrap();
    assert!(
        b_jobs.iter().all(|j| j.message.channel_id != ch),
        "B leased from A's lane"
    );
    let a_jobs = node_a.lease_outbox(now, lease, 10).await.unwrap();
    assert_eq!(
        a_jobs.iter().filter(|j| j.message.channel_id == ch).count(),
        2,
        "A drains its lane"
    );

    // A dies: once its lane's lease is over, B takes the channel, including what A held.
    send(&node_a, a, ch, "+16505550004").await;
    let later = plus(now, 16_000);
    assert_eq!(node_b.release_expired_leases(later).await.unwrap(), 3);
    let taken = node_b
        .lease_outbox(later, plus(later, 15_000), 10)
        .await
        .unwrap();
    assert_eq!(
        taken.iter().filter(|j| j.message.channel_id == ch).count(),
        4,
        "B dispatches the channel after A's lease"
    );
}

#[tokio::test]
async fn a_node_that_renews_keeps_its_lane() {
    let Some(backend) = postgres().await else {
        return;
    };
    let node_a = backend.store.clone();
    let node_b = (backend.reopen)().await;
    let (a, ch) = account_with_channel(&node_a, "Acme").await;
    let held_one = send(&node_a, a, ch, USER_A).await;
    let now = records::now();
    let held = plus(now, 5_000);
    assert_eq!(node_a.lease_outbox(now, held, 10).await.unwrap().len(), 1);
    let renewed = node_a
        .renew_outbox(vec![held_one], held, plus(now, 10_000))
        .await
        .unwrap();
    assert_eq!(renewed, vec![held_one]);

    // Past A's first term, the channel's new work is still A's: B leaves the lane alone.
    send(&node_a, a, ch, USER_B).await;
    let mid = plus(now, 6_000);
    assert_eq!(node_b.release_expired_leases(mid).await.unwrap(), 0);
    assert!(
        node_b
            .lease_outbox(mid, plus(mid, 5_000), 10)
            .await
            .unwrap()
            .is_empty(),
        "B took a lane A renewed"
    );
    // A stops renewing (it died): after the renewal's term B takes the channel.
    let later = plus(now, 10_001);
    assert_eq!(node_b.release_expired_leases(later).await.unwrap(), 1);
    assert_eq!(
        node_b
            .lease_outbox(later, plus(later, 5_000), 10)
            .await
            .unwrap()
            .len(),
        2
    );
}
