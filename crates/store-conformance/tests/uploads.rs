//! The upload-session part of the conformance story: a resumable upload's session created,
//! read, advanced chunk by chunk only from the offset it reached (compare-and-set), completed
//! once with its media id and handle, found by that handle, deleted, and collected when
//! expired; another account's session unknown; the same assertions on every Store backend.

use std::sync::Arc;

use wagate_core::Timestamp;
use wagate_core::ids::{AccountId, ChannelId, MediaId};
use wagate_core::media::MediaType;
use wagate_store::records;
use wagate_store::{
    CompletedUpload, Entity, Store, StoreError, UploadHandle, UploadSession, UploadSessionId,
};
use wagate_store_conformance::{Backend, account_with_channel, plus, story};

story!(upload_sessions_advance_by_compare_and_set_and_complete_once);
story!(upload_sessions_are_isolated_deleted_and_collected);

const HOUR: i64 = 3_600_000;

fn session(a: AccountId, ch: ChannelId, length: u64, at: Timestamp) -> UploadSession {
    UploadSession {
        id: UploadSessionId::generate(),
        account_id: a,
        channel_id: ch,
        file_name: "cat.png".to_owned(),
        file_length: length,
        file_type: MediaType::PNG,
        file_offset: 0,
        completed: None,
        created_at: at,
        expires_at: plus(at, 24 * HOUR),
    }
}

fn done() -> CompletedUpload {
    CompletedUpload {
        media_id: MediaId::generate(),
        handle: UploadHandle::generate(&MediaType::PNG),
    }
}

fn not_found<T: std::fmt::Debug>(r: Result<T, StoreError>) {
    assert!(
        matches!(r, Err(StoreError::NotFound(Entity::Media))),
        "{r:?}"
    );
}

async fn upload_sessions_advance_by_compare_and_set_and_complete_once(b: Backend) {
    let s: &Arc<dyn Store> = &b.store;
    let (a, ch) = account_with_channel(s, "Acme").await;
    let t0 = records::now();
    let new = session(a, ch, 1_000, t0);
    let id = new.id.clone();
    assert_eq!(s.create_upload_session(new.clone()).await.unwrap(), new);
    assert_eq!(
        s.get_upload_session(a, &id).await.unwrap(),
        new,
        "every field"
    );
    assert!(matches!(
        s.create_upload_session(new.clone()).await,
        Err(StoreError::Conflict { .. })
    ));

    // Not complete yet: completing is refused.
    let finished = done();
    assert!(
        !s.complete_upload_session(a, &id, &finished, plus(t0, 720 * HOUR))
            .await
            .unwrap()
    );

    // The offset moves only from where it is, never past the length.
    assert!(s.advance_upload_session(a, &id, 0, 400).await.unwrap());
    assert!(
        !s.advance_upload_session(a, &id, 0, 400).await.unwrap(),
        "a second chunk at 0 loses"
    );
    assert!(!s.advance_upload_session(a, &id, 400, 1_001).await.unwrap());
    assert!(!s.advance_upload_session(a, &id, 400, 300).await.unwrap());
    assert_eq!(s.get_upload_session(a, &id).await.unwrap().file_offset, 400);
    assert!(s.advance_upload_session(a, &id, 400, 1_000).await.unwrap());

    // Complete once; then found by its handle, and the offset is frozen.
    let until = plus(t0, 720 * HOUR);
    assert!(
        s.complete_upload_session(a, &id, &finished, until)
            .await
            .unwrap()
    );
    assert!(
        !s.complete_upload_session(a, &id, &done(), until)
            .await
            .unwrap(),
        "completed once"
    );
    let stored = s.get_upload_session(a, &id).await.unwrap();
    assert_eq!(stored.file_offset, 1_000);
    assert_eq!(stored.completed.as_ref(), Some(&finished));
    assert_eq!(stored.expires_at, until);
    assert_eq!(
        s.find_upload_handle(a, &finished.handle).await.unwrap(),
        stored
    );
    assert!(
        !s.advance_upload_session(a, &id, 1_000, 1_000)
            .await
            .unwrap()
    );
    not_found(
        s.find_upload_handle(a, &UploadHandle::generate(&MediaType::PNG))
            .await,
    );

    // Sessions survive a restart.
    let reopened = (b.reopen)().await;
    assert_eq!(reopened.get_upload_session(a, &id).await.unwrap(), stored);
}

async fn upload_sessions_are_isolated_deleted_and_collected(b: Backend) {
    let s: &Arc<dyn Store> = &b.store;
    let (a, ch) = account_with_channel(s, "Acme").await;
    let (other, _) = account_with_channel(s, "Other").await;
    let t0 = records::now();

    // Another account's session is unknown to every method.
    let mine = session(a, ch, 10, t0);
    s.create_upload_session(mine.clone()).await.unwrap();
    not_found(s.get_upload_session(other, &mine.id).await);
    not_found(s.advance_upload_session(other, &mine.id, 0, 5).await);
    not_found(
        s.complete_upload_session(other, &mine.id, &done(), t0)
            .await,
    );
    not_found(s.delete_upload_session(other, &mine.id).await);
    not_found(
        s.advance_upload_session(a, &UploadSessionId::generate(), 0, 5)
            .await,
    );
    assert_eq!(
        s.get_upload_session(a, &mine.id).await.unwrap().file_offset,
        0
    );

    // A completed session's handle is its account's only.
    s.advance_upload_session(a, &mine.id, 0, 10).await.unwrap();
    let finished = done();
    s.complete_upload_session(a, &mine.id, &finished, plus(t0, 48 * HOUR))
        .await
        .unwrap();
    not_found(s.find_upload_handle(other, &finished.handle).await);

    // Deleted: gone.
    let refused = session(a, ch, 10, t0);
    s.create_upload_session(refused.clone()).await.unwrap();
    s.delete_upload_session(a, &refused.id).await.unwrap();
    not_found(s.get_upload_session(a, &refused.id).await);
    not_found(s.delete_upload_session(a, &refused.id).await);

    // An abandoned session is collected after 24 hours; the completed one lives on until its
    // own expiry. Each id is answered once, in batches.
    let abandoned = session(a, ch, 10, t0);
    let second = session(a, ch, 10, plus(t0, 1));
    s.create_upload_session(abandoned.clone()).await.unwrap();
    s.create_upload_session(second.clone()).await.unwrap();
    assert!(s.collect_upload_sessions(t0, 100).await.unwrap().is_empty());
    let day = plus(t0, 25 * HOUR);
    assert_eq!(
        s.collect_upload_sessions(day, 1).await.unwrap(),
        std::slice::from_ref(&abandoned.id)
    );
    assert_eq!(
        s.collect_upload_sessions(day, 100).await.unwrap(),
        std::slice::from_ref(&second.id)
    );
    assert!(
        s.collect_upload_sessions(day, 100)
            .await
            .unwrap()
            .is_empty()
    );
    not_found(s.get_upload_session(a, &abandoned.id).await);
    assert!(s.get_upload_session(a, &mine.id).await.is_ok());
    assert_eq!(
        s.collect_upload_sessions(plus(t0, 48 * HOUR), 100)
            .await
            .unwrap(),
        std::slice::from_ref(&mine.id)
    );
    not_found(s.find_upload_handle(a, &finished.handle).await);
}
