//! The media part of the conformance story: media ids created, read, deleted and collected,
//! with bytes shared by content address freed only when the last id referring to them is
//! gone; the same assertions on every Store backend.

use std::sync::Arc;

use wagate_core::Timestamp;
use wagate_core::ids::{AccountId, ChannelId, MediaId};
use wagate_store::records;
use wagate_store::{Entity, Media, MediaOrigin, Store, StoreError};
use wagate_store_conformance::{Backend, account_with_channel, plus, story};

story!(media_round_trips_and_is_isolated_per_account);
story!(deleted_and_expired_media_is_collected_and_shared_bytes_freed_last);

const DAY: i64 = 24 * 3_600_000;

fn media(a: AccountId, ch: ChannelId, key: &str, at: Timestamp, ttl_ms: i64) -> Media {
    Media {
        id: MediaId::generate(),
        account_id: a,
        channel_id: ch,
        origin: MediaOrigin::Upload,
        mime_type: "image/png".to_owned(),
        sha256: key.trim_start_matches("sha256/").to_owned(),
        file_size: 1_234,
        filename: Some("cat.png".to_owned()),
        storage_key: key.to_owned(),
        created_at: at,
        expires_at: plus(at, ttl_ms),
    }
}

fn not_found<T: std::fmt::Debug>(r: Result<T, StoreError>) {
    assert!(
        matches!(r, Err(StoreError::NotFound(Entity::Media))),
        "{r:?}"
    );
}

async fn media_round_trips_and_is_isolated_per_account(b: Backend) {
    let s: &Arc<dyn Store> = &b.store;
    let (a, ch) = account_with_channel(s, "Acme").await;
    let (other, _) = account_with_channel(s, "Other").await;
    let t0 = records::now();
    let mut m = media(a, ch, "sha256/aa", t0, 30 * DAY);
    m.origin = MediaOrigin::Inbound;
    m.filename = None;
    m.file_size = 104_857_600;
    let stored = s.create_media(m.clone()).await.unwrap();
    assert_eq!(stored, m);
    assert_eq!(s.get_media(a, &m.id).await.unwrap(), m, "every field");
    not_found(s.get_media(other, &m.id).await);
    not_found(s.delete_media(other, &m.id, t0).await);
    not_found(s.get_media(a, &MediaId::generate()).await);
    // The same id twice is a conflict.
    assert!(matches!(
        s.create_media(m.clone()).await,
        Err(StoreError::Conflict { .. })
    ));

    s.delete_media(a, &m.id, t0).await.unwrap();
    not_found(s.get_media(a, &m.id).await);
    not_found(s.delete_media(a, &m.id, t0).await);
}

async fn deleted_and_expired_media_is_collected_and_shared_bytes_freed_last(b: Backend) {
    let s: &Arc<dyn Store> = &b.store;
    let (a, ch) = account_with_channel(s, "Acme").await;
    let t0 = records::now();
    // Two ids share one file; a third has its own; a fourth lives on.
    let first = media(a, ch, "sha256/shared", t0, DAY);
    let second = media(a, ch, "sha256/shared", t0, 2 * DAY);
    let own = media(a, ch, "sha256/own", t0, DAY);
    let live = media(a, ch, "sha256/live", t0, 30 * DAY);
    for m in [&first, &second, &own, &live] {
        s.create_media(m.clone()).await.unwrap();
    }
    assert!(s.collect_media(t0, 100).await.unwrap().is_empty());

    // A day on, `first` and `own` expired: only `own`'s bytes are free.
    let day1 = plus(t0, DAY);
    assert_eq!(s.collect_media(day1, 100).await.unwrap(), ["sha256/own"]);
    assert!(
        s.collect_media(day1, 100).await.unwrap().is_empty(),
        "each key once"
    );
    // Expired rows are gone; the shared bytes are still `second`'s.
    not_found(s.get_media(a, &first.id).await);
    assert_eq!(s.get_media(a, &second.id).await.unwrap(), second);

    // Deleting `second` frees the shared bytes, in batches of one.
    s.delete_media(a, &second.id, day1).await.unwrap();
    assert_eq!(s.collect_media(day1, 1).await.unwrap(), ["sha256/shared"]);
    assert!(
        s.collect_media(plus(t0, 29 * DAY), 100)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(s.get_media(a, &live.id).await.unwrap(), live);
    assert_eq!(
        s.collect_media(plus(t0, 30 * DAY), 100).await.unwrap(),
        ["sha256/live"]
    );
}
