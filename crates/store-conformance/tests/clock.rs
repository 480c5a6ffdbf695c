//! The clock is injected once: a store opened with a clock stamps every time from it, and
//! what it stamps is what services compare against (`PlatformStore::clock`).

use std::sync::Arc;

use wagate_core::Timestamp;
use wagate_core::account::NewAccount;
use wagate_core::clock::ManualClock;
use wagate_core::clock::SignedDuration;
use wagate_store::Store;
use wagate_store_conformance::{name, sandbox};
use wagate_store_sqlite::SqliteStore;

#[tokio::test]
async fn a_store_stamps_times_from_the_clock_it_was_opened_with() {
    let dir = tempfile::tempdir().unwrap();
    let start = Timestamp::from_second(1_700_000_000).unwrap();
    let clock = Arc::new(ManualClock::at(start));
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(&dir.path().join("wagate.db"))
            .await
            .unwrap()
            .with_clock(clock.clone()),
    );
    assert_eq!(store.clock().now(), start, "services read the same clock");

    let account = store
        .create_account(NewAccount::new(name("Clocked")))
        .await
        .unwrap();
    assert_eq!(account.created_at, start);

    clock.advance(SignedDuration::from_hours(5));
    let channel = store.create_channel(sandbox(account.id)).await.unwrap();
    assert_eq!(channel.created_at.as_second(), start.as_second() + 5 * 3600);
    let again = store.get_account(account.id).await.unwrap();
    assert_eq!(
        again.created_at, start,
        "what a write returns is what a read gives"
    );
}
