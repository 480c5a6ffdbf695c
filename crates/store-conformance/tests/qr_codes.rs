//! The QR code part of the conformance story: codes created, read, listed in pages, updated
//! and deleted per phone number, unique across accounts, invisible to another phone number
//! or account, and kept across a reopen; the same assertions on every Store backend.

use std::sync::Arc;

use wagate_core::Timestamp;
use wagate_core::ids::{AccountId, ChannelId};
use wagate_core::qr::{PrefilledMessage, QrCodeId};
use wagate_store::qr_codes::QrCode;
use wagate_store::{Entity, Page, Store, StoreError, records};
use wagate_store_conformance::{Backend, account_with_channel, plus, sandbox, story};

story!(qr_codes_round_trip_page_and_stay_with_their_phone_number);

fn message(s: &str) -> PrefilledMessage {
    PrefilledMessage::parse(s).unwrap()
}

fn qr(a: AccountId, ch: ChannelId, text: &str, at: Timestamp) -> QrCode {
    QrCode {
        code: QrCodeId::generate(),
        account_id: a,
        channel_id: ch,
        prefilled_message: message(text),
        created_at: at,
        updated_at: at,
    }
}

fn not_found<T: std::fmt::Debug>(r: Result<T, StoreError>) {
    assert!(
        matches!(r, Err(StoreError::NotFound(Entity::QrCode))),
        "{r:?}"
    );
}

async fn qr_codes_round_trip_page_and_stay_with_their_phone_number(b: Backend) {
    let s: &Arc<dyn Store> = &b.store;
    let (a, ch) = account_with_channel(s, "Acme").await;
    let second = s.create_channel(sandbox(a)).await.unwrap().id;
    let (other, other_ch) = account_with_channel(s, "Other").await;
    let t0 = records::now();

    // Create and read back every field (a message with a newline and non-ASCII text).
    let first = qr(a, ch, "Cyber Monday 🎉\nsecond line, ½ price", t0);
    assert_eq!(s.create_qr_code(first.clone()).await.unwrap(), first);
    assert_eq!(s.get_qr_code(a, ch, &first.code).await.unwrap(), first);
    assert_eq!(s.find_qr_code(&first.code).await.unwrap(), first);

    // A code is unique across accounts.
    let mut clash = qr(other, other_ch, "mine", t0);
    clash.code = first.code;
    assert!(matches!(
        s.create_qr_code(clash).await,
        Err(StoreError::Conflict { .. })
    ));

    // Another phone number of the account, another account, an unknown code: not found.
    not_found(s.get_qr_code(a, second, &first.code).await);
    not_found(s.get_qr_code(other, ch, &first.code).await);
    not_found(s.get_qr_code(other, other_ch, &first.code).await);
    not_found(s.get_qr_code(a, ch, &QrCodeId::generate()).await);
    not_found(s.find_qr_code(&QrCodeId::generate()).await);
    not_found(
        s.update_qr_code(other, other_ch, &first.code, &message("x"), t0)
            .await,
    );
    not_found(
        s.update_qr_code(a, second, &first.code, &message("x"), t0)
            .await,
    );
    not_found(s.delete_qr_code(other, other_ch, &first.code).await);
    not_found(s.delete_qr_code(a, second, &first.code).await);

    // Pages in code order, each phone number its own codes.
    let mut all = vec![first.clone()];
    for i in 0..4 {
        let q = qr(a, ch, &format!("offer {i}"), plus(t0, i));
        s.create_qr_code(q.clone()).await.unwrap();
        all.push(q);
    }
    s.create_qr_code(qr(a, second, "elsewhere", t0))
        .await
        .unwrap();
    s.create_qr_code(qr(other, other_ch, "theirs", t0))
        .await
        .unwrap();
    all.sort_by_key(|q| q.code);
    let page1 = s.list_qr_codes(a, ch, &Page::first(2)).await.unwrap();
    assert_eq!(page1, all[..2]);
    let page2 = s
        .list_qr_codes(a, ch, &Page::after(Some(page1[1].code), 2))
        .await
        .unwrap();
    assert_eq!(page2, all[2..4]);
    let page3 = s
        .list_qr_codes(a, ch, &Page::after(Some(page2[1].code), 2))
        .await
        .unwrap();
    assert_eq!(page3, all[4..]);
    assert_eq!(s.list_qr_codes(a, ch, &Page::all()).await.unwrap(), all);
    assert_eq!(
        s.list_qr_codes(other, ch, &Page::all()).await.unwrap(),
        vec![]
    );
    assert_eq!(
        s.list_qr_codes(a, second, &Page::all())
            .await
            .unwrap()
            .len(),
        1
    );

    // Update: the message and updated_at change, nothing else.
    let t1 = plus(t0, 60_000);
    let updated = s
        .update_qr_code(a, ch, &first.code, &message("Cyber Tuesday"), t1)
        .await
        .unwrap();
    let want = QrCode {
        prefilled_message: message("Cyber Tuesday"),
        updated_at: t1,
        ..first.clone()
    };
    assert_eq!(updated, want);
    assert_eq!(s.get_qr_code(a, ch, &first.code).await.unwrap(), want);

    // Delete: gone everywhere, once.
    s.delete_qr_code(a, ch, &first.code).await.unwrap();
    not_found(s.get_qr_code(a, ch, &first.code).await);
    not_found(s.find_qr_code(&first.code).await);
    not_found(s.delete_qr_code(a, ch, &first.code).await);
    not_found(
        s.update_qr_code(a, ch, &first.code, &message("x"), t1)
            .await,
    );
    assert_eq!(s.list_qr_codes(a, ch, &Page::all()).await.unwrap().len(), 4);

    // What is left is kept across a reopen.
    let kept = s.list_qr_codes(a, ch, &Page::all()).await.unwrap();
    s.close().await;
    let reopened = (b.reopen)().await;
    assert_eq!(
        reopened.list_qr_codes(a, ch, &Page::all()).await.unwrap(),
        kept
    );
    not_found(reopened.find_qr_code(&first.code).await);
    reopened.close().await;
}
