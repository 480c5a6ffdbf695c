//! The inbox part of the conformance story: a channel's conversations by last activity
//! (keyset-paged), unread counts of inbound messages since a conversation was last opened,
//! marking read, and another account's channel; the same assertions on every Store backend.

use std::sync::Arc;

use wagate_core::phone::PhoneE164;
use wagate_store::{InboxCursor, Store, records};
use wagate_store_conformance::{Backend, account_with_channel, inbound, plus, story};

story!(the_inbox_lists_by_activity_with_unread_counts);

async fn the_inbox_lists_by_activity_with_unread_counts(b: Backend) {
    let s: &Arc<dyn Store> = &b.store;
    let (a, ch) = account_with_channel(s, "Acme").await;
    let (other, _) = account_with_channel(s, "Other").await;
    let t0 = records::now();
    let ann = "15550001111";
    let bob = "15550002222";
    s.ingest_inbound(inbound(a, ch, ann, "one", plus(t0, -3000)))
        .await
        .unwrap();
    s.ingest_inbound(inbound(a, ch, bob, "two", plus(t0, -2000)))
        .await
        .unwrap();
    s.ingest_inbound(inbound(a, ch, bob, "three", plus(t0, -1000)))
        .await
        .unwrap();

    let list = s.inbox_conversations(a, ch, None, 50).await.unwrap();
    let seen: Vec<(String, i64)> = list
        .iter()
        .map(|c| {
            (
                c.contact.wa_id.as_ref().unwrap().digits().to_owned(),
                c.unread,
            )
        })
        .collect();
    assert_eq!(seen, vec![(bob.to_owned(), 2), (ann.to_owned(), 1)]);
    assert_eq!(list[0].read_at, None);

    // Keyset pages: one row, then the next after it.
    let first = s.inbox_conversations(a, ch, None, 1).await.unwrap();
    let after = InboxCursor {
        last_message_at: first[0].contact.last_message_at.unwrap(),
        id: first[0].contact.id,
    };
    let next = s.inbox_conversations(a, ch, Some(after), 1).await.unwrap();
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].contact.wa_id.as_ref().unwrap().digits(), ann);
    assert!(
        s.inbox_conversations(
            a,
            ch,
            Some(InboxCursor {
                last_message_at: next[0].contact.last_message_at.unwrap(),
                id: next[0].contact.id,
            }),
            1
        )
        .await
        .unwrap()
        .is_empty()
    );

    // Opening Bob's conversation: nothing unread, until he writes again.
    let bob_id = PhoneE164::parse(bob).unwrap();
    assert!(s.mark_conversation_read(a, ch, &bob_id, t0).await.unwrap());
    let list = s.inbox_conversations(a, ch, None, 50).await.unwrap();
    assert_eq!(list[0].unread, 0);
    assert_eq!(list[0].read_at, Some(t0));
    s.ingest_inbound(inbound(a, ch, bob, "four", plus(t0, 1000)))
        .await
        .unwrap();
    assert_eq!(
        s.inbox_conversations(a, ch, None, 50).await.unwrap()[0].unread,
        1
    );

    // Another account sees nothing of the channel and cannot mark it read.
    assert!(
        s.inbox_conversations(other, ch, None, 50)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        !s.mark_conversation_read(other, ch, &bob_id, t0)
            .await
            .unwrap()
    );
    // Someone the channel never heard from has no conversation to mark.
    let nobody = PhoneE164::parse("15550009999").unwrap();
    assert!(!s.mark_conversation_read(a, ch, &nobody, t0).await.unwrap());
}
