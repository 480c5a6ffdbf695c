//! The phone-events part of the conformance story: a change of a number and the webhook
//! events about it commit together or not at all. A guarded channel update applies only over
//! the channel as the caller read it (a stale read changes nothing and records nothing); a
//! registration decision stores the new state, the channel's new name and its events in one
//! transaction, and a lost compare-and-set none of them; other accounts' channels are not
//! found. The same assertions on every Store backend.

use std::sync::Arc;

use serde_json::json;
use wagate_core::channel::{Channel, ChannelPatch, MessagingLimitTier, QualityRating};
use wagate_core::ids::{AccountId, ChannelId, EventId, SubscriptionId};
use wagate_core::registration::{NAME_REVIEW_MS, Registration};
use wagate_core::text::VerifiedName;
use wagate_core::webhook::{
    BatchSize, EventData, EventField, PayloadFormat, Subscription, VerifyToken, WebhookEvent,
    WebhookSecret, WebhookUrl,
};
use wagate_store::{DeliveryFilter, Entity, Page, Store, StoreError, records};
use wagate_store_conformance::{Backend, account_with_channel, plus, sandbox, story};

use EventField::{PhoneNumberNameUpdate, PhoneNumberQualityUpdate};

story!(a_guarded_channel_update_commits_with_its_events);
story!(a_registration_decision_commits_with_the_name_and_its_events);

/// An enabled subscription of the account to `fields`.
async fn subscribe(s: &Arc<dyn Store>, account: AccountId, fields: &[EventField]) -> Subscription {
    let now = records::now();
    s.create_subscription(Subscription {
        id: SubscriptionId::generate(),
        account_id: account,
        channel_id: None,
        url: WebhookUrl::parse("https://example.com/hook").unwrap(),
        secret: WebhookSecret::parse("s3cret-key").unwrap(),
        verify_token: VerifyToken::parse("verify-me").unwrap(),
        fields: fields.to_vec(),
        format: PayloadFormat::CLOUD,
        batch_size: BatchSize::ONE,
        enabled: true,
        created_at: now,
        updated_at: now,
    })
    .await
    .unwrap()
}

/// The event ids `sub` got a delivery of, oldest first.
async fn delivered(s: &Arc<dyn Store>, sub: &Subscription) -> Vec<EventId> {
    let mut log = s
        .list_deliveries(
            sub.account_id,
            sub.id,
            &DeliveryFilter::default(),
            &Page::all(),
        )
        .await
        .unwrap();
    log.reverse();
    log.into_iter().map(|d| d.event_id).collect()
}

fn event(account: AccountId, channel: ChannelId, field: EventField) -> WebhookEvent {
    WebhookEvent {
        id: EventId::generate(),
        account_id: account,
        channel_id: Some(channel),
        occurred_at: records::now(),
        data: EventData::Other {
            field,
            value: json!({"display_phone_number": "15550100001", "event": "FLAGGED"}),
        },
    }
}

fn standing(quality: QualityRating, limit: MessagingLimitTier) -> ChannelPatch {
    ChannelPatch {
        quality_rating: Some(quality),
        messaging_limit_tier: Some(limit),
        ..ChannelPatch::default()
    }
}

async fn a_guarded_channel_update_commits_with_its_events(b: Backend) {
    let s: &Arc<dyn Store> = &b.store;
    let (a, ch) = account_with_channel(s, "Acme").await;
    let (other, other_ch) = account_with_channel(s, "Other").await;
    let sub = subscribe(s, a, &[PhoneNumberQualityUpdate]).await;
    let theirs = subscribe(s, other, &[PhoneNumberQualityUpdate]).await;

    // Over the channel as read: applied, and its events recorded.
    let seen = s.get_channel(a, ch).await.unwrap();
    let flagged = event(a, ch, PhoneNumberQualityUpdate);
    let downgrade = event(a, ch, PhoneNumberQualityUpdate);
    let stored = s
        .update_channel_if(
            &seen,
            &standing(QualityRating::Red, MessagingLimitTier::Tier250),
            vec![flagged.clone(), downgrade.clone()],
        )
        .await
        .unwrap()
        .expect("the channel was as read");
    assert_eq!(stored.quality_rating, QualityRating::Red);
    assert_eq!(stored.messaging_limit_tier, MessagingLimitTier::Tier250);
    assert!(stored.updated_at >= seen.updated_at);
    assert_eq!(s.get_channel(a, ch).await.unwrap(), stored);
    assert_eq!(delivered(s, &sub).await, vec![flagged.id, downgrade.id]);

    // A stale read (the channel moved since): nothing changes, nothing is recorded.
    let late = event(a, ch, PhoneNumberQualityUpdate);
    let lost = s
        .update_channel_if(
            &seen,
            &standing(QualityRating::Green, MessagingLimitTier::Unlimited),
            vec![late],
        )
        .await
        .unwrap();
    assert_eq!(lost, None);
    assert_eq!(s.get_channel(a, ch).await.unwrap(), stored);
    assert_eq!(delivered(s, &sub).await, vec![flagged.id, downgrade.id]);

    // A change with no events (a move no webhook reports) is still a change.
    let calmer = s
        .update_channel_if(
            &stored,
            &standing(QualityRating::Yellow, MessagingLimitTier::Tier250),
            vec![],
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(calmer.quality_rating, QualityRating::Yellow);
    assert_eq!(delivered(s, &sub).await.len(), 2);

    // Another account's channel, read as if it were ours, and a channel that does not exist.
    let their_channel = s.get_channel(other, other_ch).await.unwrap();
    let foreign = Channel {
        account_id: a,
        ..their_channel.clone()
    };
    let r = s
        .update_channel_if(
            &foreign,
            &standing(QualityRating::Red, MessagingLimitTier::Tier250),
            vec![event(a, other_ch, PhoneNumberQualityUpdate)],
        )
        .await;
    assert!(
        matches!(r, Err(StoreError::NotFound(Entity::Channel))),
        "{r:?}"
    );
    let unknown = Channel {
        id: ChannelId::generate(),
        ..calmer.clone()
    };
    let r = s
        .update_channel_if(&unknown, &ChannelPatch::default(), vec![])
        .await;
    assert!(
        matches!(r, Err(StoreError::NotFound(Entity::Channel))),
        "{r:?}"
    );
    assert_eq!(s.get_channel(other, other_ch).await.unwrap(), their_channel);
    assert!(delivered(s, &theirs).await.is_empty());
    assert_eq!(delivered(s, &sub).await.len(), 2);
}

async fn a_registration_decision_commits_with_the_name_and_its_events(b: Backend) {
    let s: &Arc<dyn Store> = &b.store;
    let (a, ch) = account_with_channel(s, "Acme").await;
    let (other, other_ch) = account_with_channel(s, "Other").await;
    let sub = subscribe(s, a, &[PhoneNumberNameUpdate]).await;
    let channel = s.get_channel(a, ch).await.unwrap();
    let t0 = records::now();

    // A name requested, then decided: the state, the name and the event in one go.
    let mut r = Registration::initial(a, ch, channel.created_at);
    r.request_name(VerifiedName::parse("Acme Shoes").unwrap(), t0);
    r.version = 1;
    assert!(s.save_registration(r.clone(), None).await.unwrap());
    let mut decided = r.clone();
    decided.review_name(plus(t0, NAME_REVIEW_MS));
    decided.version = 2;
    let approved = event(a, ch, PhoneNumberNameUpdate);
    let rename = ChannelPatch {
        verified_name: Some(VerifiedName::parse("Acme Shoes").unwrap()),
        ..ChannelPatch::default()
    };
    let stored = s
        .save_registration_with(
            decided.clone(),
            Some(1),
            Some(rename.clone()),
            vec![approved.clone()],
        )
        .await
        .unwrap()
        .expect("version 1 was current");
    assert_eq!(stored.verified_name.as_str(), "Acme Shoes");
    assert_eq!(s.get_channel(a, ch).await.unwrap(), stored);
    assert_eq!(
        s.get_registration(a, ch).await.unwrap(),
        Some(decided.clone())
    );
    assert_eq!(delivered(s, &sub).await, vec![approved.id]);

    // The same decision by a second reader of version 1: it lost; no name, no event.
    let mut again = decided.clone();
    again.name_change.as_mut().unwrap().name = VerifiedName::parse("Other Name").unwrap();
    let lost = s
        .save_registration_with(
            again,
            Some(1),
            Some(ChannelPatch {
                verified_name: Some(VerifiedName::parse("Other Name").unwrap()),
                ..ChannelPatch::default()
            }),
            vec![event(a, ch, PhoneNumberNameUpdate)],
        )
        .await
        .unwrap();
    assert_eq!(lost, None);
    assert_eq!(s.get_channel(a, ch).await.unwrap(), stored);
    assert_eq!(
        s.get_registration(a, ch).await.unwrap(),
        Some(decided.clone())
    );
    assert_eq!(delivered(s, &sub).await, vec![approved.id]);

    // A decision without a rename (a rejection): the channel is as it was.
    let mut rejected_state = decided.clone();
    rejected_state.version = 3;
    let rejected = event(a, ch, PhoneNumberNameUpdate);
    let unchanged = s
        .save_registration_with(rejected_state, Some(2), None, vec![rejected.clone()])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(unchanged, stored);
    assert_eq!(delivered(s, &sub).await, vec![approved.id, rejected.id]);

    // A first write (no row yet) works the same; another account's channel is not found.
    let fresh = s.create_channel(sandbox(a)).await.unwrap();
    let mut first = Registration::initial(a, fresh.id, fresh.created_at);
    first.version = 1;
    let first_event = event(a, fresh.id, PhoneNumberNameUpdate);
    let stored_fresh = s
        .save_registration_with(first, None, Some(rename), vec![first_event.clone()])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored_fresh.verified_name.as_str(), "Acme Shoes");
    assert_eq!(
        delivered(s, &sub).await,
        vec![approved.id, rejected.id, first_event.id]
    );
    let mut foreign = Registration::initial(a, other_ch, channel.created_at);
    foreign.version = 1;
    let r = s
        .save_registration_with(
            foreign,
            None,
            None,
            vec![event(a, other_ch, PhoneNumberNameUpdate)],
        )
        .await;
    assert!(
        matches!(r, Err(StoreError::NotFound(Entity::Channel))),
        "{r:?}"
    );
    assert_eq!(s.get_registration(other, other_ch).await.unwrap(), None);
    assert_eq!(delivered(s, &sub).await.len(), 3);
}
