//! The groups part of the conformance story: groups created within a number's cap, read
//! with their participants, listed in pages, updated, suspended, invite codes reset and
//! found, users joining within Meta's cap of 8, removed all or none, join requests approved
//! and rejected, deleted with everything of theirs; another account's group is unknown,
//! and a refused write stores nothing. The same assertions on every Store backend.

use std::sync::Arc;

use wagate_core::Timestamp;
use wagate_core::group::{
    Group, GroupDescription, GroupId, GroupPatch, GroupRefusal, GroupSubject, InviteCode,
    JoinApprovalMode, JoinRequest, JoinRequestId, MAX_PARTICIPANTS,
};
use wagate_core::ids::{AccountId, ChannelId};
use wagate_core::phone::PhoneE164;
use wagate_store::{Entity, Page, Store, StoreError, records};
use wagate_store_conformance::{Backend, account_with_channel, plus, sandbox, story};

story!(groups_keep_their_rules_on_every_backend);

fn wa(n: u32) -> PhoneE164 {
    PhoneE164::parse_field("wa_id", &format!("1555010{n:04}")).unwrap()
}

fn group(a: AccountId, ch: ChannelId, subject: &str, at: Timestamp) -> Group {
    Group {
        id: GroupId::generate(&wa(9999)),
        account_id: a,
        channel_id: ch,
        subject: GroupSubject::parse(subject).unwrap(),
        description: GroupDescription::parse("Line one\nline two ½").unwrap(),
        join_approval_mode: JoinApprovalMode::AutoApprove,
        invite_code: InviteCode::generate(),
        suspended: false,
        created_at: at,
        updated_at: at,
    }
}

fn not_found<T: std::fmt::Debug>(r: Result<T, StoreError>) {
    assert!(
        matches!(r, Err(StoreError::NotFound(Entity::Group))),
        "{r:?}"
    );
}

fn refused<T: std::fmt::Debug>(r: Result<T, StoreError>, why: GroupRefusal) {
    assert!(matches!(r, Err(StoreError::Group(w)) if w == why), "{r:?}");
}

async fn groups_keep_their_rules_on_every_backend(b: Backend) {
    let s: &Arc<dyn Store> = &b.store;
    let (a, ch) = account_with_channel(s, "Acme").await;
    let second = s.create_channel(sandbox(a)).await.unwrap().id;
    let (other, _) = account_with_channel(s, "Other").await;
    let t0 = records::now();

    // Create within the cap; at the cap, refused and nothing stored.
    let g = group(a, ch, "Book club", t0);
    assert_eq!(s.create_group(g.clone(), 2, vec![]).await.unwrap(), g);
    let g2 = group(a, ch, "Runners", plus(t0, 1));
    s.create_group(g2.clone(), 2, vec![]).await.unwrap();
    let third = group(a, ch, "Too many", plus(t0, 2));
    refused(
        s.create_group(third.clone(), 2, vec![]).await,
        GroupRefusal::CreateLimitReached,
    );
    not_found(s.get_group(a, &third.id).await);
    // The cap is per number: the account's second number has room.
    s.create_group(group(a, second, "Elsewhere", t0), 2, vec![])
        .await
        .unwrap();
    // Ids and invite codes are unique across accounts.
    let mut clash = group(other, ch, "Clash", t0);
    clash.invite_code = g.invite_code.clone();
    assert!(matches!(
        s.create_group(clash, 100, vec![]).await,
        Err(StoreError::Conflict { .. })
    ));

    // Read back; another account's view is "unknown".
    let info = s.get_group(a, &g.id).await.unwrap();
    assert_eq!((info.group, info.participants.len()), (g.clone(), 0));
    not_found(s.get_group(other, &g.id).await);
    not_found(
        s.update_group(other, &g.id, &GroupPatch::default(), t0, vec![])
            .await,
    );
    not_found(s.delete_group(other, &g.id, vec![]).await);
    not_found(
        s.reset_group_invite(other, &g.id, &InviteCode::generate(), t0)
            .await,
    );

    // Pages in id order, each number its own groups.
    let page1 = s.list_groups(a, ch, &Page::first(1)).await.unwrap();
    let page2 = s
        .list_groups(a, ch, &Page::after(Some(page1[0].id.clone()), 5))
        .await
        .unwrap();
    let mut ids: Vec<GroupId> = page1.iter().chain(&page2).map(|g| g.id.clone()).collect();
    assert_eq!(ids.len(), 2);
    ids.sort();
    let mut want = vec![g.id.clone(), g2.id.clone()];
    want.sort();
    assert_eq!(ids, want);
    assert!(
        s.list_groups(other, ch, &Page::first(10))
            .await
            .unwrap()
            .is_empty()
    );

    // Update and suspend.
    let patch = GroupPatch {
        subject: Some(GroupSubject::parse("Book club 2").unwrap()),
        description: None,
    };
    let updated = s
        .update_group(a, &g.id, &patch, plus(t0, 5), vec![])
        .await
        .unwrap();
    assert_eq!(updated.subject.as_str(), "Book club 2");
    assert_eq!(updated.description, g.description);
    assert!(
        s.set_group_suspended(a, &g.id, true, plus(t0, 6), vec![])
            .await
            .unwrap()
            .suspended
    );
    assert!(
        !s.set_group_suspended(a, &g.id, false, plus(t0, 7), vec![])
            .await
            .unwrap()
            .suspended
    );

    // Invite codes: found by the current one only.
    assert_eq!(
        s.find_group_by_invite(&g.invite_code).await.unwrap().id,
        g.id
    );
    let fresh = InviteCode::generate();
    s.reset_group_invite(a, &g.id, &fresh, plus(t0, 8))
        .await
        .unwrap();
    not_found(s.find_group_by_invite(&g.invite_code).await);
    assert_eq!(s.find_group_by_invite(&fresh).await.unwrap().id, g.id);

    // Joins: up to the cap; twice is a no-op; past the cap refused.
    for n in 0..MAX_PARTICIPANTS as u32 {
        assert!(
            s.join_group(
                &g.id,
                &wa(n),
                plus(t0, 10 + i64::from(n)),
                MAX_PARTICIPANTS,
                vec![]
            )
            .await
            .unwrap()
        );
    }
    assert!(
        !s.join_group(&g.id, &wa(0), plus(t0, 30), MAX_PARTICIPANTS, vec![])
            .await
            .unwrap()
    );
    refused(
        s.join_group(&g.id, &wa(100), plus(t0, 30), MAX_PARTICIPANTS, vec![])
            .await,
        GroupRefusal::ParticipantOverlimit,
    );
    let info = s.get_group(a, &g.id).await.unwrap();
    assert_eq!(info.participants.len(), MAX_PARTICIPANTS);
    assert_eq!(info.participants[0].wa_id, wa(0));

    // Removal: all or none.
    refused(
        s.remove_group_participants(a, &g.id, &[wa(1), wa(100)], vec![])
            .await,
        GroupRefusal::NotAParticipant,
    );
    assert_eq!(
        s.get_group(a, &g.id).await.unwrap().participants.len(),
        MAX_PARTICIPANTS
    );
    s.remove_group_participants(a, &g.id, &[wa(1), wa(2)], vec![])
        .await
        .unwrap();
    assert_eq!(
        s.get_group(a, &g.id).await.unwrap().participants.len(),
        MAX_PARTICIPANTS - 2
    );
    not_found(
        s.remove_group_participants(other, &g.id, &[wa(3)], vec![])
            .await,
    );

    // Join requests: one pending per user; approve within the cap, reject, unknown refused.
    let req = |n: u32, i: i64| JoinRequest {
        id: JoinRequestId::generate(),
        wa_id: wa(n),
        created_at: plus(t0, i),
    };
    let r1 = s
        .create_join_request(&g2.id, req(50, 1), vec![])
        .await
        .unwrap();
    let again = s
        .create_join_request(&g2.id, req(50, 2), vec![])
        .await
        .unwrap();
    assert_eq!(again, r1);
    let r2 = s
        .create_join_request(&g2.id, req(51, 3), vec![])
        .await
        .unwrap();
    assert_eq!(
        s.list_join_requests(a, &g2.id).await.unwrap(),
        vec![r1.clone(), r2.clone()]
    );
    not_found(s.list_join_requests(other, &g2.id).await);
    refused(
        s.decide_join_requests(
            a,
            &g2.id,
            &[r1.id.clone(), JoinRequestId::generate()],
            Some(MAX_PARTICIPANTS),
            t0,
            vec![],
        )
        .await,
        GroupRefusal::JoinRequestUnknown,
    );
    refused(
        s.decide_join_requests(a, &g2.id, std::slice::from_ref(&r1.id), Some(0), t0, vec![])
            .await,
        GroupRefusal::ParticipantOverlimit,
    );
    assert_eq!(s.list_join_requests(a, &g2.id).await.unwrap().len(), 2);
    let approved = s
        .decide_join_requests(
            a,
            &g2.id,
            std::slice::from_ref(&r1.id),
            Some(MAX_PARTICIPANTS),
            t0,
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(approved, vec![r1.clone()]);
    s.decide_join_requests(a, &g2.id, std::slice::from_ref(&r2.id), None, t0, vec![])
        .await
        .unwrap();
    assert!(s.list_join_requests(a, &g2.id).await.unwrap().is_empty());
    let members = s.get_group(a, &g2.id).await.unwrap().participants;
    assert_eq!(
        members.iter().map(|p| p.wa_id.clone()).collect::<Vec<_>>(),
        vec![wa(50)]
    );

    // Delete: gone with its participants; the id, the link and a rejoin answer unknown.
    s.delete_group(a, &g.id, vec![]).await.unwrap();
    not_found(s.get_group(a, &g.id).await);
    not_found(s.find_group_by_invite(&fresh).await);
    not_found(
        s.join_group(&g.id, &wa(0), t0, MAX_PARTICIPANTS, vec![])
            .await,
    );
    not_found(s.delete_group(a, &g.id, vec![]).await);
    // A deleted group frees its place under the cap.
    s.create_group(third, 2, vec![]).await.unwrap();
}
