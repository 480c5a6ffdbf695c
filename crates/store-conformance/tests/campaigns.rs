//! The campaigns part of the conformance story: campaigns named once per account (ignoring
//! case), scoped to their account and listed newest first; recipients added to a draft with
//! duplicates refused; the state machine applied under the row lock (an illegal action
//! changes nothing, a resume for the template's sake leaves an operator's pause alone, a
//! scheduled launch becomes active when due); the feed that gives each recipient exactly one
//! message (a second worker's stale batch writes nothing, two workers feeding at once store
//! the rows once, a paused campaign takes none), skips counted and listed, the cursor kept
//! before any row still waiting (one fed out of order, one the wallet refused), a broadcast
//! completed once everything is fed; the fed messages counted on the campaign when the
//! dispatcher hands them over, when they are delivered and charged, and when they are
//! replied to; an audience loaded under a lease, with refused rows reported by their file
//! row; the waiting audience summed by country with the cards that opt out or block; the
//! progress events counted over the recipients; a draft to launch when ready handed to the
//! worker once its load ends (ready or failed), and a worker's change refused once the
//! campaign has moved on. The same assertions on every Store backend.

use std::sync::Arc;

use wagate_core::Timestamp;
use wagate_core::billing::rates::{Currency, Quote};
use wagate_core::billing::wallet::{LedgerKind, Pool, WalletMode};
use wagate_core::campaign::model::{
    AudienceLoad, AudienceSource, AudienceStatus, Campaign, CampaignParams, CampaignTemplate,
    NewCampaign, NewRecipient,
};
use wagate_core::campaign::{
    CampaignAction, CampaignKind, CampaignName, CampaignStatus, PauseReason, SkipReason,
};
use wagate_core::contact::card::{ContactCard, OptIn, OptInSource};
use wagate_core::contact::import::RowError;
use wagate_core::ids::{AccountId, CampaignId, ChannelId, MessageId, SubscriptionId};
use wagate_core::message::{MessageStatus, NewOutboundMessage};
use wagate_core::phone::PhoneE164;
use wagate_core::pricing::PricingCategory;
use wagate_core::webhook::{
    BatchSize, EventData, EventField, PayloadFormat, Subscription, VerifyToken, WebhookSecret,
    WebhookUrl,
};
use wagate_store::{
    Added, AudienceBatch, AudienceLease, AudienceSummary, CampaignChange, CampaignFeed,
    CampaignFilter, Conflict, Entity, Fed, MessageKey, Page, PendingRecipient, RecipientFilter,
    RecipientState, RecipientView, Store, StoreError, WalletCredit, WalletPatch, records,
};
use wagate_store_conformance::{
    Backend, USER_A, account_with_channel, inbound, plus, send, sent, status, story, text_to,
};

story!(campaigns_are_named_once_per_account_and_listed_newest_first);
story!(campaigns_follow_their_state_machine);
story!(the_feed_gives_each_recipient_exactly_one_message);
story!(a_wallet_refusal_pauses_the_feed_before_the_refused_rows);
story!(audiences_load_under_a_lease_and_sum_by_country);
story!(a_draft_to_launch_when_ready_is_active_once_its_load_ends);

const GB_1: &str = "+447700900123";
const GB_2: &str = "+447700900124";
const GB_3: &str = "+447700900125";
const IN_1: &str = "+919876543210";

fn phone(s: &str) -> PhoneE164 {
    PhoneE164::parse(s).unwrap()
}

fn draft(
    account: AccountId,
    channel: ChannelId,
    name: &str,
    kind: CampaignKind,
    at: Timestamp,
) -> Campaign {
    Campaign::new(NewCampaign {
        id: CampaignId::generate(),
        account_id: account,
        name: CampaignName::parse(name).unwrap(),
        kind,
        channel_id: channel,
        template: CampaignTemplate {
            name: "festive_offer".into(),
            language: "en_US".into(),
        },
        params: CampaignParams::default(),
        rate: Some(10),
        allow_partial: false,
        launch_when_ready: false,
        created_at: at,
    })
}

fn recipients(numbers: &[&str]) -> Vec<NewRecipient> {
    numbers
        .iter()
        .map(|n| NewRecipient {
            wa_id: phone(n),
            data: Default::default(),
        })
        .collect()
}

fn change(action: CampaignAction, at: Timestamp) -> CampaignChange {
    CampaignChange::new(action, at)
}

const LAUNCH: CampaignAction = CampaignAction::Launch { scheduled: false };

/// Asserts `r` failed with a conflict of `kind`.
#[track_caller]
fn assert_conflict<T: std::fmt::Debug>(r: Result<T, StoreError>, kind: Conflict) {
    assert!(
        matches!(&r, Err(StoreError::Conflict { kind: k, .. }) if *k == kind),
        "expected {kind:?}, got {r:?}"
    );
}

/// Asserts `r` failed with `NotFound(entity)`.
#[track_caller]
fn assert_not_found<T: std::fmt::Debug>(r: Result<T, StoreError>, entity: Entity) {
    assert!(
        matches!(&r, Err(StoreError::NotFound(e)) if *e == entity),
        "expected NotFound({entity:?}), got {r:?}"
    );
}

fn ids(campaigns: &[Campaign]) -> Vec<CampaignId> {
    campaigns.iter().map(|c| c.id).collect()
}

fn rows(views: &[RecipientView]) -> Vec<u64> {
    views.iter().map(|v| v.row).collect()
}

async fn listed(
    s: &Arc<dyn Store>,
    a: AccountId,
    filter: CampaignFilter,
    page: Page<CampaignId>,
) -> Vec<CampaignId> {
    ids(&s.list_campaigns(a, &filter, &page).await.unwrap())
}

async fn campaigns_are_named_once_per_account_and_listed_newest_first(b: Backend) {
    let s: &Arc<dyn Store> = &b.store;
    let (a, ch) = account_with_channel(s, "Acme").await;
    let (other, other_ch) = account_with_channel(s, "Other").await;
    let t0 = records::now();

    let diwali = s
        .create_campaign(draft(a, ch, "Diwali", CampaignKind::Broadcast, t0))
        .await
        .unwrap();
    assert_eq!(diwali.status, CampaignStatus::Draft);
    assert_eq!(diwali.audience_status, AudienceStatus::None);
    assert_eq!((diwali.recipients, diwali.queued, diwali.cursor), (0, 0, 0));
    assert_eq!(s.get_campaign(a, diwali.id).await.unwrap(), diwali);

    // One name per account, ignoring case; the channel must be the account's.
    assert_conflict(
        s.create_campaign(draft(a, ch, "diwali", CampaignKind::Api, t0))
            .await,
        Conflict::CampaignName,
    );
    assert_not_found(
        s.create_campaign(draft(a, other_ch, "Navratri", CampaignKind::Broadcast, t0))
            .await,
        Entity::Channel,
    );
    assert!(s.find_campaign(a, "Navratri").await.unwrap().is_none());
    // Another account may use the name; neither sees the other's campaign.
    let theirs = s
        .create_campaign(draft(
            other,
            other_ch,
            "DIWALI",
            CampaignKind::Broadcast,
            t0,
        ))
        .await
        .unwrap();
    assert_not_found(s.get_campaign(other, diwali.id).await, Entity::Campaign);
    assert_not_found(s.get_campaign(a, theirs.id).await, Entity::Campaign);
    assert_eq!(
        s.find_campaign(a, "  dIwAlI ").await.unwrap().map(|c| c.id),
        Some(diwali.id)
    );
    assert_eq!(
        s.find_campaign(other, "diwali")
            .await
            .unwrap()
            .map(|c| c.id),
        Some(theirs.id)
    );
    assert!(s.find_campaign(a, "Holi").await.unwrap().is_none());

    // Two more: an API campaign, and a broadcast that runs.
    let holi = s
        .create_campaign(draft(a, ch, "Holi", CampaignKind::Api, plus(t0, 1)))
        .await
        .unwrap();
    let eid = s
        .create_campaign(draft(a, ch, "Eid", CampaignKind::Broadcast, plus(t0, 2)))
        .await
        .unwrap();
    let eid = s
        .change_campaign(a, eid.id, change(LAUNCH, plus(t0, 3)))
        .await
        .unwrap();
    assert_eq!(eid.status, CampaignStatus::Running);

    let all = CampaignFilter::default();
    assert_eq!(
        listed(s, a, all.clone(), Page::first(10)).await,
        vec![eid.id, holi.id, diwali.id],
        "newest first"
    );
    assert_eq!(
        listed(s, other, all.clone(), Page::first(10)).await,
        vec![theirs.id]
    );
    let drafts = CampaignFilter {
        status: Some(CampaignStatus::Draft),
        ..CampaignFilter::default()
    };
    assert_eq!(
        listed(s, a, drafts.clone(), Page::first(10)).await,
        vec![holi.id, diwali.id]
    );
    let running = CampaignFilter {
        status: Some(CampaignStatus::Running),
        ..CampaignFilter::default()
    };
    assert_eq!(listed(s, a, running, Page::first(10)).await, vec![eid.id]);
    let api = CampaignFilter {
        kind: Some(CampaignKind::Api),
        ..CampaignFilter::default()
    };
    assert_eq!(listed(s, a, api, Page::first(10)).await, vec![holi.id]);
    let broadcast_drafts = CampaignFilter {
        kind: Some(CampaignKind::Broadcast),
        ..drafts
    };
    assert_eq!(
        listed(s, a, broadcast_drafts, Page::first(10)).await,
        vec![diwali.id]
    );
    let on_channel = CampaignFilter {
        channel_id: Some(ch),
        ..CampaignFilter::default()
    };
    assert_eq!(listed(s, a, on_channel, Page::first(10)).await.len(), 3);
    let no_reach = CampaignFilter {
        channels: Some(Vec::new()),
        ..CampaignFilter::default()
    };
    assert!(listed(s, a, no_reach, Page::first(10)).await.is_empty());
    let elsewhere = CampaignFilter {
        channels: Some(vec![other_ch]),
        ..CampaignFilter::default()
    };
    assert!(listed(s, a, elsewhere, Page::first(10)).await.is_empty());

    // Pages, newest first.
    let first = listed(s, a, all.clone(), Page::first(2)).await;
    assert_eq!(first, vec![eid.id, holi.id]);
    let second = listed(s, a, all.clone(), Page::after(first.last().copied(), 2)).await;
    assert_eq!(second, vec![diwali.id]);
    assert!(
        listed(s, a, all, Page::after(Some(diwali.id), 2))
            .await
            .is_empty()
    );
}

async fn campaigns_follow_their_state_machine(b: Backend) {
    let s: &Arc<dyn Store> = &b.store;
    let (a, ch) = account_with_channel(s, "Acme").await;
    let (other, _) = account_with_channel(s, "Other").await;
    let t0 = records::now();
    let c = s
        .create_campaign(draft(a, ch, "Diwali", CampaignKind::Broadcast, t0))
        .await
        .unwrap();

    // Recipients go after the last row; a number already in the audience (or twice in the
    // call) is refused and counted as a duplicate skip.
    let added = s
        .add_recipients(a, c.id, recipients(&[GB_1, GB_2, GB_1, IN_1]), plus(t0, 1))
        .await
        .unwrap();
    assert_eq!(
        added,
        Added {
            added: vec![1, 2, 3],
            duplicates: vec![phone(GB_1)],
        }
    );
    let added = s
        .add_recipients(a, c.id, recipients(&[IN_1, GB_3]), plus(t0, 2))
        .await
        .unwrap();
    assert_eq!(
        added,
        Added {
            added: vec![4],
            duplicates: vec![phone(IN_1)],
        }
    );
    assert_not_found(
        s.add_recipients(other, c.id, recipients(&[USER_A]), plus(t0, 2))
            .await,
        Entity::Campaign,
    );
    let c = s.get_campaign(a, c.id).await.unwrap();
    assert_eq!(c.recipients, 4);
    assert_eq!(c.skipped.duplicate, 2);
    assert_eq!(c.skipped.total(), 2);
    assert_eq!(c.audience_status, AudienceStatus::Ready);
    let (listed, total) = s
        .list_recipients(a, c.id, &RecipientFilter::default(), None, 10)
        .await
        .unwrap();
    assert_eq!(total, 4);
    assert_eq!(rows(&listed), vec![1, 2, 3, 4]);
    assert_eq!(
        listed.iter().map(|v| v.wa_id.clone()).collect::<Vec<_>>(),
        vec![phone(GB_1), phone(GB_2), phone(IN_1), phone(GB_3)]
    );
    assert!(listed.iter().all(|v| v.status == "pending"));

    // Launched now: running, started.
    let t1 = plus(t0, 10);
    let running = s
        .change_campaign(a, c.id, change(LAUNCH, t1))
        .await
        .unwrap();
    assert_eq!(running.status, CampaignStatus::Running);
    assert_eq!(running.started_at, Some(t1));
    assert_eq!(running.finished_at, None);
    assert_eq!(s.get_campaign(a, c.id).await.unwrap(), running);
    assert!(ids(&s.active_campaigns(t1).await.unwrap()).contains(&c.id));
    // A running broadcast takes no more recipients.
    assert_conflict(
        s.add_recipients(a, c.id, recipients(&[USER_A]), t1).await,
        Conflict::CampaignState,
    );
    // An illegal action is refused and changes nothing.
    assert_conflict(
        s.change_campaign(a, c.id, change(LAUNCH, plus(t0, 11)))
            .await,
        Conflict::CampaignState,
    );
    assert_conflict(
        s.change_campaign(a, c.id, change(CampaignAction::Resume, plus(t0, 11)))
            .await,
        Conflict::CampaignState,
    );
    assert_eq!(s.get_campaign(a, c.id).await.unwrap(), running);
    // Another account's campaign is not found, whatever the action.
    assert_not_found(
        s.change_campaign(other, c.id, change(CampaignAction::Cancel, plus(t0, 11)))
            .await,
        Entity::Campaign,
    );

    // The operator pauses; the template's re-approval does not resume it, the operator does.
    let paused = s
        .change_campaign(
            a,
            c.id,
            change(CampaignAction::Pause(PauseReason::Operator), plus(t0, 12)),
        )
        .await
        .unwrap();
    assert_eq!(paused.status, CampaignStatus::Paused);
    assert_eq!(paused.pause_reason, Some(PauseReason::Operator));
    assert!(
        !ids(&s.active_campaigns(plus(t0, 12)).await.unwrap()).contains(&c.id),
        "an operator's pause is no worker's business"
    );
    let mut by_template = change(CampaignAction::Resume, plus(t0, 13));
    by_template.resume_only = Some(vec![PauseReason::TemplatePaused]);
    assert_conflict(
        s.change_campaign(a, c.id, by_template).await,
        Conflict::CampaignState,
    );
    assert_eq!(s.get_campaign(a, c.id).await.unwrap(), paused);
    let resumed = s
        .change_campaign(a, c.id, change(CampaignAction::Resume, plus(t0, 14)))
        .await
        .unwrap();
    assert_eq!(resumed.status, CampaignStatus::Running);
    assert_eq!(resumed.pause_reason, None);
    assert_eq!(resumed.started_at, Some(t1), "started once");

    // A pause for the template is resumed by its re-approval (and stays active meanwhile).
    let paused = s
        .change_campaign(
            a,
            c.id,
            change(
                CampaignAction::Pause(PauseReason::TemplatePaused),
                plus(t0, 15),
            ),
        )
        .await
        .unwrap();
    assert_eq!(paused.pause_reason, Some(PauseReason::TemplatePaused));
    assert!(ids(&s.active_campaigns(plus(t0, 15)).await.unwrap()).contains(&c.id));
    let mut by_template = change(CampaignAction::Resume, plus(t0, 16));
    by_template.resume_only = Some(vec![PauseReason::TemplatePaused]);
    let resumed = s.change_campaign(a, c.id, by_template).await.unwrap();
    assert_eq!(resumed.status, CampaignStatus::Running);
    assert_eq!(resumed.pause_reason, None);

    // Cancelled: final, finished, no longer active.
    let t2 = plus(t0, 20);
    let cancelled = s
        .change_campaign(a, c.id, change(CampaignAction::Cancel, t2))
        .await
        .unwrap();
    assert_eq!(cancelled.status, CampaignStatus::Cancelled);
    assert_eq!(cancelled.finished_at, Some(t2));
    assert_eq!(s.get_campaign(a, c.id).await.unwrap(), cancelled);
    for action in [
        CampaignAction::Resume,
        CampaignAction::Cancel,
        CampaignAction::Finish,
        CampaignAction::Pause(PauseReason::Operator),
    ] {
        assert_conflict(
            s.change_campaign(a, c.id, change(action, plus(t0, 21)))
                .await,
            Conflict::CampaignState,
        );
    }
    assert_eq!(s.get_campaign(a, c.id).await.unwrap(), cancelled);
    assert!(!ids(&s.active_campaigns(plus(t0, 21)).await.unwrap()).contains(&c.id));

    // A scheduled launch waits for its time, then the worker starts it.
    let holi = s
        .create_campaign(draft(a, ch, "Holi", CampaignKind::Broadcast, t0))
        .await
        .unwrap();
    let at = plus(t0, 3_600_000);
    let mut later = change(CampaignAction::Launch { scheduled: true }, plus(t0, 30));
    later.scheduled_at = Some(at);
    later.timezone = Some("Asia/Kolkata".into());
    let scheduled = s.change_campaign(a, holi.id, later).await.unwrap();
    assert_eq!(scheduled.status, CampaignStatus::Scheduled);
    assert_eq!(scheduled.scheduled_at, Some(at));
    assert_eq!(scheduled.timezone.as_deref(), Some("Asia/Kolkata"));
    assert_eq!(scheduled.started_at, None);
    assert_eq!(s.get_campaign(a, holi.id).await.unwrap(), scheduled);
    assert!(
        !ids(&s.active_campaigns(plus(at, -1)).await.unwrap()).contains(&holi.id),
        "not due yet"
    );
    assert!(ids(&s.active_campaigns(at).await.unwrap()).contains(&holi.id));
    assert!(ids(&s.active_campaigns(plus(at, 60_000)).await.unwrap()).contains(&holi.id));
    let started = s
        .change_campaign(a, holi.id, change(CampaignAction::Due, at))
        .await
        .unwrap();
    assert_eq!(started.status, CampaignStatus::Running);
    assert_eq!(started.started_at, Some(at));
    assert_conflict(
        s.change_campaign(a, holi.id, change(CampaignAction::Due, at))
            .await,
        Conflict::CampaignState,
    );

    // An API campaign takes recipients while it runs, until it ends.
    let api = s
        .create_campaign(draft(a, ch, "Orders", CampaignKind::Api, t0))
        .await
        .unwrap();
    s.change_campaign(a, api.id, change(LAUNCH, plus(t0, 40)))
        .await
        .unwrap();
    let added = s
        .add_recipients(a, api.id, recipients(&[GB_1, GB_1]), plus(t0, 41))
        .await
        .unwrap();
    assert_eq!(added.added, vec![1]);
    assert_eq!(added.duplicates, vec![phone(GB_1)]);
    s.change_campaign(a, api.id, change(CampaignAction::Cancel, plus(t0, 42)))
        .await
        .unwrap();
    assert_conflict(
        s.add_recipients(a, api.id, recipients(&[GB_2]), plus(t0, 43))
            .await,
        Conflict::CampaignState,
    );
    assert_eq!(s.get_campaign(a, api.id).await.unwrap().recipients, 1);
}

/// The message a worker builds for one pending recipient.
fn message_for(c: &Campaign, p: &PendingRecipient) -> NewOutboundMessage {
    let mut m = text_to(
        c.account_id,
        c.channel_id,
        &p.wa_id.to_string(),
        "Happy Diwali",
    );
    m.campaign_id = Some(c.id);
    m
}

fn feed(
    c: &Campaign,
    at: Timestamp,
    send: &[&PendingRecipient],
    skip: Vec<(u64, SkipReason)>,
) -> CampaignFeed {
    CampaignFeed {
        campaign_id: c.id,
        at,
        messages: send.iter().map(|p| (p.row, message_for(c, p))).collect(),
        skipped: skip,
        progress_every: 10,
        paced: (0, 0),
    }
}

#[track_caller]
fn stored(fed: Fed) -> Campaign {
    match fed {
        Fed::Stored { campaign, refused } => {
            assert!(refused.is_empty(), "refused {refused:?}");
            *campaign
        }
        Fed::Stale => panic!("the feed was stale"),
    }
}

async fn recipients_in(
    s: &Arc<dyn Store>,
    a: AccountId,
    c: CampaignId,
    state: Option<RecipientState>,
    descending: bool,
    after: Option<u64>,
    limit: u32,
) -> (Vec<u64>, u64) {
    let filter = RecipientFilter {
        state,
        descending,
        ..RecipientFilter::default()
    };
    let (views, total) = s
        .list_recipients(a, c, &filter, after, limit)
        .await
        .unwrap();
    (rows(&views), total)
}

async fn the_feed_gives_each_recipient_exactly_one_message(b: Backend) {
    let s: &Arc<dyn Store> = &b.store;
    let (a, ch) = account_with_channel(s, "Acme").await;
    let (other, _) = account_with_channel(s, "Other").await;
    let t0 = records::now();
    let numbers: Vec<String> = (0..5).map(|i| format!("+4477009001{i:02}")).collect();
    // The third recipient's card says they opted out.
    let mut card = ContactCard::new(a, phone(&numbers[2]), t0);
    card.opt_in = Some(OptIn {
        opted_in: false,
        source: OptInSource::Api,
        at: t0,
    });
    s.create_card(card).await.unwrap();

    let c = s
        .create_campaign(draft(a, ch, "Diwali", CampaignKind::Broadcast, t0))
        .await
        .unwrap();
    let refs: Vec<&str> = numbers.iter().map(String::as_str).collect();
    s.add_recipients(a, c.id, recipients(&refs), t0)
        .await
        .unwrap();
    // Nothing is fed before the launch.
    let pending = s.pending_recipients(&c, 10).await.unwrap();
    assert_eq!(pending.len(), 5);
    let fed = s
        .feed_campaign(feed(&c, plus(t0, 1), &[&pending[0]], Vec::new()))
        .await
        .unwrap();
    assert_eq!(fed, Fed::Stale, "a draft is not fed");
    assert_eq!(s.outbox_depth(ch).await.unwrap(), 0);

    let c = s
        .change_campaign(a, c.id, change(LAUNCH, plus(t0, 2)))
        .await
        .unwrap();
    assert_eq!(
        recipients_in(s, a, c.id, Some(RecipientState::Pending), false, None, 10)
            .await
            .1,
        5
    );

    // A worker reads the first three; the third's card opts them out.
    let t1 = plus(t0, 100);
    let pending = s.pending_recipients(&c, 3).await.unwrap();
    assert_eq!(
        pending.iter().map(|p| p.row).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    assert_eq!(pending[0].wa_id, phone(&numbers[0]));
    assert!(pending[0].card.is_none());
    assert!(
        pending[2]
            .card
            .as_ref()
            .is_some_and(|k| k.opted_out && !k.blocked)
    );
    let first = feed(
        &c,
        t1,
        &[&pending[0], &pending[1]],
        vec![(3, SkipReason::OptedOut)],
    );
    let first_ids: Vec<MessageId> = first.messages.iter().map(|(_, m)| m.id).collect();
    // A second worker read the same rows before the first stored them.
    let stale = feed(
        &c,
        plus(t1, 1),
        &[&pending[0], &pending[1]],
        vec![(3, SkipReason::OptedOut)],
    );
    let stale_ids: Vec<MessageId> = stale.messages.iter().map(|(_, m)| m.id).collect();

    let after = stored(s.feed_campaign(first).await.unwrap());
    assert_eq!(after.status, CampaignStatus::Running);
    assert_eq!(after.queued, 2);
    assert_eq!(after.cursor, 3);
    assert_eq!(after.skipped.opted_out, 1);
    assert_eq!(after.skipped.total(), 1);
    assert_eq!(s.get_campaign(a, c.id).await.unwrap(), after);
    assert_eq!(s.outbox_depth(ch).await.unwrap(), 2);
    for id in &first_ids {
        let m = s.get_message(a, &MessageKey::Id(*id)).await.unwrap();
        assert_eq!(m.campaign_id, Some(c.id));
        assert_eq!(m.status, MessageStatus::Accepted);
    }

    // The second worker's batch is stale: nothing written, no second message.
    assert_eq!(s.feed_campaign(stale).await.unwrap(), Fed::Stale);
    // As is a batch with one row fed meanwhile and one waiting.
    let rest = s.pending_recipients(&after, 10).await.unwrap();
    assert_eq!(rest.iter().map(|p| p.row).collect::<Vec<_>>(), vec![4, 5]);
    let mixed = CampaignFeed {
        messages: vec![
            (2, message_for(&c, &pending[1])),
            (4, message_for(&c, &rest[0])),
        ],
        ..feed(&c, plus(t1, 2), &[], Vec::new())
    };
    let mixed_ids: Vec<MessageId> = mixed.messages.iter().map(|(_, m)| m.id).collect();
    assert_eq!(s.feed_campaign(mixed).await.unwrap(), Fed::Stale);
    // A feed that read another pacing slot (another node fed meanwhile) is stale too.
    let slot = CampaignFeed {
        messages: vec![(4, message_for(&c, &rest[0]))],
        paced: (after.paced_until + 1, after.paced_until + 500),
        ..feed(&c, plus(t1, 2), &[], Vec::new())
    };
    assert_eq!(s.feed_campaign(slot).await.unwrap(), Fed::Stale);
    assert_eq!(s.outbox_depth(ch).await.unwrap(), 2);
    for id in stale_ids.iter().chain(&mixed_ids) {
        assert_not_found(
            s.get_message(a, &MessageKey::Id(*id)).await,
            Entity::Message,
        );
    }
    assert_eq!(s.get_campaign(a, c.id).await.unwrap(), after);
    assert_eq!(
        recipients_in(s, a, c.id, Some(RecipientState::Queued), false, None, 10).await,
        (vec![1, 2], 2)
    );
    assert_eq!(
        recipients_in(s, a, c.id, Some(RecipientState::Pending), false, None, 10).await,
        (vec![4, 5], 2)
    );
    assert_eq!(
        recipients_in(s, a, c.id, Some(RecipientState::Skipped), false, None, 10).await,
        (vec![3], 1)
    );
    let (all, total) = s
        .list_recipients(a, c.id, &RecipientFilter::default(), None, 10)
        .await
        .unwrap();
    assert_eq!(total, 5);
    assert_eq!(
        all.iter().map(|v| v.status.as_str()).collect::<Vec<_>>(),
        vec!["accepted", "accepted", "skipped", "pending", "pending"]
    );
    assert_eq!(all[0].message_id, Some(first_ids[0]));
    assert_eq!(all[1].message_id, Some(first_ids[1]));
    assert_eq!(all[0].queued_at, Some(t1));
    assert_eq!(all[2].skip_reason.as_deref(), Some("opted_out"));
    assert_eq!(all[2].message_id, None);
    assert_eq!(all[3].message_id, None);
    // Not done yet: it keeps running.
    let still = s.finish_if_done(c.id, plus(t1, 3)).await.unwrap();
    assert_eq!(still.status, CampaignStatus::Running);

    // Paused, it takes no feed.
    s.change_campaign(
        a,
        c.id,
        change(CampaignAction::Pause(PauseReason::Operator), plus(t1, 4)),
    )
    .await
    .unwrap();
    let paused = feed(&c, plus(t1, 5), &[&rest[0], &rest[1]], Vec::new());
    assert_eq!(s.feed_campaign(paused).await.unwrap(), Fed::Stale);
    assert_eq!(s.outbox_depth(ch).await.unwrap(), 2);
    let held = s.finish_if_done(c.id, plus(t1, 5)).await.unwrap();
    assert_eq!(
        held.status,
        CampaignStatus::Paused,
        "a paused one does not finish"
    );
    let running = s
        .change_campaign(a, c.id, change(CampaignAction::Resume, plus(t1, 6)))
        .await
        .unwrap();

    // The rest, fed after the cursor by two workers at once: one stores them, the other
    // finds them fed and writes nothing. Then the broadcast is done.
    let t2 = plus(t1, 1_000);
    let rest = s.pending_recipients(&running, 10).await.unwrap();
    assert_eq!(rest.iter().map(|p| p.row).collect::<Vec<_>>(), vec![4, 5]);
    let feeds: Vec<CampaignFeed> = (0..2)
        .map(|_| feed(&running, t2, &[&rest[0], &rest[1]], Vec::new()))
        .collect();
    let id_sets: Vec<Vec<MessageId>> = feeds
        .iter()
        .map(|f| f.messages.iter().map(|(_, m)| m.id).collect())
        .collect();
    let workers: Vec<_> = feeds
        .into_iter()
        .map(|f| {
            let s = s.clone();
            tokio::spawn(async move { s.feed_campaign(f).await.unwrap() })
        })
        .collect();
    let mut results = Vec::new();
    for w in workers {
        results.push(w.await.unwrap());
    }
    let won: Vec<usize> = (0..2)
        .filter(|i| matches!(results[*i], Fed::Stored { .. }))
        .collect();
    assert_eq!(
        won.len(),
        1,
        "exactly one worker stores the rows: {results:?}"
    );
    let (won, lost) = (won[0], 1 - won[0]);
    assert_eq!(results[lost], Fed::Stale);
    for id in &id_sets[lost] {
        assert_not_found(
            s.get_message(a, &MessageKey::Id(*id)).await,
            Entity::Message,
        );
    }
    let last_ids = id_sets[won].clone();
    let after = stored(results.swap_remove(won));
    assert_eq!((after.queued, after.cursor), (4, 5));
    assert_eq!(after.skipped.opted_out, 1);
    assert!(s.pending_recipients(&after, 10).await.unwrap().is_empty());
    assert_eq!(s.outbox_depth(ch).await.unwrap(), 4);
    let done = s.finish_if_done(c.id, plus(t2, 1)).await.unwrap();
    assert_eq!(done.status, CampaignStatus::Completed);
    assert_eq!(done.finished_at, Some(plus(t2, 1)));
    assert_eq!(s.get_campaign(a, c.id).await.unwrap(), done);
    assert!(!ids(&s.active_campaigns(plus(t2, 2)).await.unwrap()).contains(&c.id));

    // The list, by state, with totals, a page at a time both ways.
    assert_eq!(
        recipients_in(s, a, c.id, Some(RecipientState::Pending), false, None, 10).await,
        (vec![], 0)
    );
    assert_eq!(
        recipients_in(s, a, c.id, Some(RecipientState::Queued), true, None, 2).await,
        (vec![5, 4], 4)
    );
    assert_eq!(
        recipients_in(s, a, c.id, Some(RecipientState::Queued), true, Some(4), 2).await,
        (vec![2, 1], 4)
    );
    assert_eq!(
        recipients_in(s, a, c.id, Some(RecipientState::Queued), true, Some(1), 2).await,
        (vec![], 4)
    );
    assert_eq!(
        recipients_in(s, a, c.id, Some(RecipientState::Queued), false, Some(2), 10).await,
        (vec![4, 5], 4)
    );
    assert_eq!(
        recipients_in(s, a, c.id, None, true, Some(4), 10).await,
        (vec![3, 2, 1], 5)
    );
    assert_eq!(
        recipients_in(s, a, c.id, Some(RecipientState::Skipped), true, None, 10).await,
        (vec![3], 1)
    );
    assert_not_found(
        s.list_recipients(other, c.id, &RecipientFilter::default(), None, 10)
            .await,
        Entity::Campaign,
    );

    // The dispatcher hands the four over (with a message of no campaign beside them).
    let plain = send(s, a, ch, USER_A).await;
    let t3 = plus(t2, 2_000);
    let jobs = s.lease_outbox(t3, plus(t3, 60_000), 100).await.unwrap();
    let mut leased: Vec<MessageId> = jobs.iter().map(|j| j.message.id).collect();
    leased.sort();
    let mut expected: Vec<MessageId> = first_ids.iter().chain(&last_ids).copied().collect();
    expected.push(plain);
    expected.sort();
    assert_eq!(leased, expected, "each fed message is in the outbox once");
    s.complete_dispatch(
        jobs.iter()
            .map(|j| sent(j.message.id, t3, vec![]))
            .collect(),
    )
    .await
    .unwrap();
    assert_eq!(s.outbox_depth(ch).await.unwrap(), 0);

    let counters = s.campaign_counters(a, c.id, 0, i64::MAX).await.unwrap();
    assert_eq!(counters.iter().map(|r| r.counts.sent).sum::<i64>(), 4);
    assert_eq!(counters.iter().map(|r| r.counts.failed).sum::<i64>(), 0);
    assert!(counters.iter().all(|r| r.country == "GB"), "{counters:?}");
    assert!(
        counters
            .iter()
            .all(|r| r.bucket <= t3.as_millisecond() && t3.as_millisecond() < r.bucket + 1_800_000),
        "{counters:?}"
    );
    assert!(
        s.campaign_counters(a, c.id, 0, t0.as_millisecond() - 3_600_000)
            .await
            .unwrap()
            .is_empty()
    );
    assert_not_found(
        s.campaign_counters(other, c.id, 0, i64::MAX).await,
        Entity::Campaign,
    );
    assert_eq!(
        recipients_in(s, a, c.id, Some(RecipientState::Sent), false, None, 10).await,
        (vec![1, 2, 4, 5], 4)
    );
    assert_eq!(
        recipients_in(s, a, c.id, Some(RecipientState::Queued), false, None, 10).await,
        (vec![], 0)
    );
    let (all, _) = s
        .list_recipients(a, c.id, &RecipientFilter::default(), None, 10)
        .await
        .unwrap();
    assert_eq!(all[0].status, "sent");
    assert_eq!(all[0].sent_at, Some(t3));
    // Queued in a range: rows 1 and 2 at t1, rows 4 and 5 at t2.
    let queued_since = RecipientFilter {
        since: Some(t2),
        ..RecipientFilter::default()
    };
    let (views, total) = s
        .list_recipients(a, c.id, &queued_since, None, 10)
        .await
        .unwrap();
    assert_eq!((rows(&views), total), (vec![4, 5], 2));
    let queued_before = RecipientFilter {
        until: Some(t2),
        ..RecipientFilter::default()
    };
    let (views, total) = s
        .list_recipients(a, c.id, &queued_before, None, 10)
        .await
        .unwrap();
    assert_eq!((rows(&views), total), (vec![1, 2], 2));

    // A reply quoting row 1's message is counted on the campaign and on its recipient.
    let t4 = plus(t3, 5_000);
    let quoted = s
        .get_message(a, &MessageKey::Id(first_ids[0]))
        .await
        .unwrap();
    let mut reply = inbound(a, ch, &numbers[0], "Thanks!", t4);
    reply.context = Some(quoted.wamid);
    s.ingest_inbound(reply).await.unwrap();
    let counters = s.campaign_counters(a, c.id, 0, i64::MAX).await.unwrap();
    assert_eq!(counters.iter().map(|r| r.counts.replied).sum::<i64>(), 1);
    assert_eq!(counters.iter().map(|r| r.counts.sent).sum::<i64>(), 4);
    let replied = RecipientFilter {
        state: Some(RecipientState::Replied),
        ..RecipientFilter::default()
    };
    let (views, total) = s
        .list_recipients(a, c.id, &replied, None, 10)
        .await
        .unwrap();
    assert_eq!((rows(&views), total), (vec![1], 1));
    assert_eq!(views[0].replied_at, Some(t4));

    // What was fed stays fed: a completed campaign takes no feed.
    let again = feed(&done, plus(t3, 1), &[&rest[0]], Vec::new());
    assert_eq!(s.feed_campaign(again).await.unwrap(), Fed::Stale);
}

/// A marketing charge of 1,000 micro-units.
fn charge() -> Quote {
    Quote {
        category: PricingCategory::Marketing,
        market: "GB".into(),
        currency: Currency::usd(),
        price: 1_000,
    }
}

async fn top_up(s: &Arc<dyn Store>, a: AccountId, amount: i64) {
    s.credit_wallet(WalletCredit {
        account_id: a,
        pool: Pool::Main,
        kind: LedgerKind::TopUp,
        amount,
        reference: None,
        reason: None,
    })
    .await
    .unwrap();
}

async fn a_wallet_refusal_pauses_the_feed_before_the_refused_rows(b: Backend) {
    let s: &Arc<dyn Store> = &b.store;
    let (a, ch) = account_with_channel(s, "Acme").await;
    let t0 = records::now();
    // A prepaid wallet that covers one charge.
    s.update_wallet(
        a,
        WalletPatch {
            mode: Some(WalletMode::Prepaid),
            ..WalletPatch::default()
        },
    )
    .await
    .unwrap();
    top_up(s, a, 1_000).await;

    let c = s
        .create_campaign(draft(a, ch, "Diwali", CampaignKind::Broadcast, t0))
        .await
        .unwrap();
    s.add_recipients(a, c.id, recipients(&[GB_1, GB_2, GB_3, IN_1]), t0)
        .await
        .unwrap();
    let c = s
        .change_campaign(a, c.id, change(LAUNCH, plus(t0, 1)))
        .await
        .unwrap();

    // Rows 1, 2 and 4 are charged, row 3 is free: the wallet covers row 1 only.
    let pending = s.pending_recipients(&c, 10).await.unwrap();
    assert_eq!(pending.len(), 4);
    let messages: Vec<(u64, NewOutboundMessage)> = pending
        .iter()
        .map(|p| {
            let mut m = message_for(&c, p);
            if p.row != 3 {
                m.charge = Some(charge());
            }
            (p.row, m)
        })
        .collect();
    let ids: Vec<MessageId> = messages.iter().map(|(_, m)| m.id).collect();
    let fed = s
        .feed_campaign(CampaignFeed {
            campaign_id: c.id,
            at: plus(t0, 2),
            messages,
            skipped: Vec::new(),
            progress_every: 0,
            paced: (0, 0),
        })
        .await
        .unwrap();
    let Fed::Stored { campaign, refused } = fed else {
        panic!("the feed was stale");
    };
    assert_eq!(refused, vec![2, 4]);
    assert_eq!(campaign.status, CampaignStatus::Paused);
    assert_eq!(campaign.pause_reason, Some(PauseReason::Wallet));
    assert_eq!(campaign.queued, 2);
    assert_eq!(campaign.cursor, 1, "row 2 waits for the wallet");
    assert_eq!(s.get_campaign(a, c.id).await.unwrap(), *campaign);
    assert_eq!(s.outbox_depth(ch).await.unwrap(), 2);
    for (i, id) in ids.iter().enumerate() {
        let found = s.get_message(a, &MessageKey::Id(*id)).await;
        assert_eq!(found.is_ok(), i == 0 || i == 2, "message of row {}", i + 1);
    }
    assert_eq!(
        recipients_in(s, a, c.id, Some(RecipientState::Pending), false, None, 10).await,
        (vec![2, 4], 2)
    );
    assert_eq!(
        recipients_in(s, a, c.id, Some(RecipientState::Queued), false, None, 10).await,
        (vec![1, 3], 2)
    );

    // Topped up and resumed, the refused rows are what is left to feed.
    top_up(s, a, 2_000).await;
    let running = s
        .change_campaign(a, c.id, change(CampaignAction::Resume, plus(t0, 3)))
        .await
        .unwrap();
    let pending = s.pending_recipients(&running, 10).await.unwrap();
    assert_eq!(
        pending.iter().map(|p| p.row).collect::<Vec<_>>(),
        vec![2, 4]
    );
    let messages = pending
        .iter()
        .map(|p| {
            let mut m = message_for(&running, p);
            m.charge = Some(charge());
            (p.row, m)
        })
        .collect();
    let fed = stored(
        s.feed_campaign(CampaignFeed {
            campaign_id: c.id,
            at: plus(t0, 4),
            messages,
            skipped: Vec::new(),
            progress_every: 0,
            paced: (0, 0),
        })
        .await
        .unwrap(),
    );
    assert_eq!(fed.status, CampaignStatus::Running);
    assert_eq!((fed.queued, fed.cursor), (4, 4));
    assert_eq!(s.outbox_depth(ch).await.unwrap(), 4);
    let done = s.finish_if_done(c.id, plus(t0, 5)).await.unwrap();
    assert_eq!(done.status, CampaignStatus::Completed);

    // Handed over and delivered: the charges settle, and the campaign counts them.
    let t1 = plus(t0, 1_000);
    let t2 = plus(t1, 1_000);
    let jobs = s.lease_outbox(t1, plus(t1, 60_000), 100).await.unwrap();
    assert_eq!(jobs.len(), 4);
    s.complete_dispatch(
        jobs.iter()
            .map(|j| {
                let id = j.message.id;
                sent(id, t1, vec![status(id, MessageStatus::Delivered, t2)])
            })
            .collect(),
    )
    .await
    .unwrap();
    assert_eq!(s.apply_due_events(t2, 100).await.unwrap().len(), 4);
    let counters = s.campaign_counters(a, c.id, 0, i64::MAX).await.unwrap();
    let sum = |f: fn(&wagate_core::analytics::Counts) -> i64| {
        counters.iter().map(|r| f(&r.counts)).sum::<i64>()
    };
    assert_eq!(sum(|k| k.sent), 4);
    assert_eq!(sum(|k| k.delivered), 4);
    assert_eq!(sum(|k| k.charged), 3, "row 3 was free");
    assert_eq!(sum(|k| k.cost), 3_000);
    let filter = RecipientFilter {
        state: Some(RecipientState::Delivered),
        ..RecipientFilter::default()
    };
    let (views, total) = s.list_recipients(a, c.id, &filter, None, 10).await.unwrap();
    assert_eq!(total, 4);
    assert_eq!(
        views.iter().map(|v| (v.row, v.cost)).collect::<Vec<_>>(),
        vec![
            (1, Some(1_000)),
            (2, Some(1_000)),
            (3, None),
            (4, Some(1_000))
        ]
    );
    assert!(
        views
            .iter()
            .all(|v| v.status == "delivered" && v.delivered_at == Some(t2))
    );
    assert_eq!(
        recipients_in(s, a, c.id, Some(RecipientState::Sent), false, None, 10).await,
        (vec![1, 2, 3, 4], 4),
        "sent means sent at least"
    );
    assert_eq!(
        recipients_in(s, a, c.id, Some(RecipientState::Read), false, None, 10).await,
        (vec![], 0)
    );
}

fn lease(owner: &str, now: Timestamp) -> AudienceLease {
    AudienceLease {
        owner: owner.to_owned(),
        now,
        until: plus(now, 30_000),
    }
}

fn file_load() -> AudienceLoad {
    AudienceLoad {
        source: AudienceSource::File {
            blob_key: "campaigns/audience.csv".into(),
            format: "csv".into(),
            file_name: "audience.csv".into(),
            phone_column: Some("phone".into()),
            default_country_code: None,
        },
        rows_read: 0,
        after_card: None,
    }
}

fn numbered(row: u64, number: &str) -> (u64, NewRecipient) {
    (
        row,
        NewRecipient {
            wa_id: phone(number),
            data: Default::default(),
        },
    )
}

async fn audiences_load_under_a_lease_and_sum_by_country(b: Backend) {
    let s: &Arc<dyn Store> = &b.store;
    let (a, ch) = account_with_channel(s, "Acme").await;
    let (other, _) = account_with_channel(s, "Other").await;
    let t0 = records::now();
    let c = s
        .create_campaign(draft(a, ch, "Diwali", CampaignKind::Broadcast, t0))
        .await
        .unwrap();
    assert!(
        s.claim_audience_load(&lease("a", t0))
            .await
            .unwrap()
            .is_none(),
        "nothing is loading"
    );

    let loading = s
        .start_audience_load(a, c.id, file_load(), plus(t0, 1))
        .await
        .unwrap();
    assert_eq!(loading.audience_status, AudienceStatus::Loading);
    assert_eq!(loading.audience_load, Some(file_load()));
    assert_eq!(s.get_campaign(a, c.id).await.unwrap(), loading);

    // Worker A claims it; B finds nothing while A's lease holds, and cannot write.
    let claimed = s
        .claim_audience_load(&lease("a", plus(t0, 3)))
        .await
        .unwrap()
        .expect("the load is claimed");
    assert_eq!(claimed.id, c.id);
    assert_eq!(claimed.audience_status, AudienceStatus::Loading);
    assert!(
        s.claim_audience_load(&lease("b", plus(t0, 10_000)))
            .await
            .unwrap()
            .is_none()
    );
    // A second load is refused; while it loads, no recipient is added by hand and the
    // campaign is not launched. (Checked after the claims: on PostgreSQL a refused write's
    // row lock lasts until its connection's deferred rollback runs, which a claim's
    // `SKIP LOCKED` would skip.)
    assert_conflict(
        s.start_audience_load(a, c.id, file_load(), plus(t0, 2))
            .await,
        Conflict::CampaignState,
    );
    assert_not_found(
        s.start_audience_load(other, c.id, file_load(), plus(t0, 2))
            .await,
        Entity::Campaign,
    );
    assert_conflict(
        s.add_recipients(a, c.id, recipients(&[GB_3]), plus(t0, 2))
            .await,
        Conflict::CampaignState,
    );
    assert_conflict(
        s.change_campaign(a, c.id, change(LAUNCH, plus(t0, 2)))
            .await,
        Conflict::CampaignState,
    );
    let from_b = AudienceBatch {
        recipients: vec![numbered(2, GB_3)],
        refused: Vec::new(),
        rows_read: 2,
        after_card: None,
    };
    assert_conflict(
        s.audience_batch(c.id, &lease("b", plus(t0, 10_001)), from_b)
            .await,
        Conflict::ImportLeased,
    );
    assert_eq!(s.get_campaign(a, c.id).await.unwrap().recipients, 0);

    // A writes a batch: file rows 2, 3, 5 and 6 (6 repeats 2's number), 4 refused.
    let batch = AudienceBatch {
        recipients: vec![
            numbered(2, GB_1),
            numbered(3, IN_1),
            numbered(5, GB_2),
            numbered(6, GB_1),
        ],
        refused: vec![(
            RowError {
                row: 4,
                column: "phone".into(),
                reason: "not a phone number".into(),
            },
            SkipReason::InvalidNumber,
        )],
        rows_read: 6,
        after_card: None,
    };
    let after = s
        .audience_batch(c.id, &lease("a", plus(t0, 10_002)), batch)
        .await
        .unwrap();
    assert_eq!(after.recipients, 3);
    assert_eq!(after.skipped.invalid, 1);
    assert_eq!(after.skipped.duplicate, 1);
    assert_eq!(after.audience_load.as_ref().map(|l| l.rows_read), Some(6));
    assert_eq!(s.get_campaign(a, c.id).await.unwrap(), after);
    let errors = s.campaign_errors(a, c.id, 0, 10).await.unwrap();
    assert_eq!(errors.iter().map(|e| e.row).collect::<Vec<_>>(), vec![4, 6]);
    assert_eq!(errors[0].column, "phone");
    assert_eq!(errors[0].reason, "not a phone number");
    assert_eq!(
        s.campaign_errors(a, c.id, 4, 10)
            .await
            .unwrap()
            .iter()
            .map(|e| e.row)
            .collect::<Vec<_>>(),
        vec![6]
    );
    assert_eq!(s.campaign_errors(a, c.id, 0, 1).await.unwrap().len(), 1);
    assert_not_found(
        s.campaign_errors(other, c.id, 0, 10).await,
        Entity::Campaign,
    );
    let (listed, total) = s
        .list_recipients(a, c.id, &RecipientFilter::default(), None, 10)
        .await
        .unwrap();
    assert_eq!(total, 3);
    assert_eq!(rows(&listed), vec![1, 2, 3]);
    assert_eq!(
        listed.iter().map(|v| v.wa_id.clone()).collect::<Vec<_>>(),
        vec![phone(GB_1), phone(IN_1), phone(GB_2)]
    );

    // B cannot end A's load; A does: ready, the lease released, nothing left to claim.
    assert_conflict(
        s.finish_audience_load(c.id, &lease("b", plus(t0, 10_003)), None)
            .await,
        Conflict::ImportLeased,
    );
    let ready = s
        .finish_audience_load(c.id, &lease("a", plus(t0, 10_004)), None)
        .await
        .unwrap();
    assert_eq!(ready.audience_status, AudienceStatus::Ready);
    assert_eq!(ready.audience_load, None);
    assert_eq!(ready.audience_failure, None);
    assert_eq!(ready.recipients, 3);
    assert_eq!(s.get_campaign(a, c.id).await.unwrap(), ready);
    assert!(
        s.claim_audience_load(&lease("c", plus(t0, 99_000)))
            .await
            .unwrap()
            .is_none()
    );
    assert_conflict(
        s.audience_batch(
            c.id,
            &lease("a", plus(t0, 10_005)),
            AudienceBatch::default(),
        )
        .await,
        Conflict::ImportLeased,
    );

    // The summary: waiting recipients by country; GB_2's card opts out, IN_1's is blocked.
    let summary = s.audience_summary(a, c.id).await.unwrap();
    assert_eq!(
        summary,
        AudienceSummary {
            by_country: vec![("GB".into(), 2), ("IN".into(), 1)],
            opted_out: 0,
            blocked: 0,
        }
    );
    let mut out = ContactCard::new(a, phone(GB_2), t0);
    out.opt_in = Some(OptIn {
        opted_in: false,
        source: OptInSource::Console,
        at: t0,
    });
    s.create_card(out).await.unwrap();
    let mut blocked = ContactCard::new(a, phone(IN_1), t0);
    blocked.blocked_at = Some(t0);
    s.create_card(blocked).await.unwrap();
    // Cards that do not count: one opted in, one not in the audience, another account's.
    let mut opted_in = ContactCard::new(a, phone(GB_1), t0);
    opted_in.opt_in = Some(OptIn {
        opted_in: true,
        source: OptInSource::Api,
        at: t0,
    });
    s.create_card(opted_in).await.unwrap();
    let mut stranger = ContactCard::new(a, phone(GB_3), t0);
    stranger.opt_in = Some(OptIn {
        opted_in: false,
        source: OptInSource::Api,
        at: t0,
    });
    s.create_card(stranger).await.unwrap();
    let mut theirs = ContactCard::new(other, phone(GB_1), t0);
    theirs.opt_in = Some(OptIn {
        opted_in: false,
        source: OptInSource::Api,
        at: t0,
    });
    s.create_card(theirs).await.unwrap();
    let summary = s.audience_summary(a, c.id).await.unwrap();
    assert_eq!(
        summary,
        AudienceSummary {
            by_country: vec![("GB".into(), 2), ("IN".into(), 1)],
            opted_out: 1,
            blocked: 1,
        }
    );
    assert_not_found(s.audience_summary(other, c.id).await, Entity::Campaign);

    // Launched, with a subscriber to the account's campaign events.
    let sub = s
        .create_subscription(campaign_subscription(a, t0))
        .await
        .unwrap();
    let running = s
        .change_campaign(a, c.id, change(LAUNCH, plus(t0, 20_000)))
        .await
        .unwrap();
    assert_eq!(running.status, CampaignStatus::Running);
    // Row 1 fed: a third of the three recipients (the refused file rows are none of them).
    let pending = s.pending_recipients(&running, 1).await.unwrap();
    assert_eq!(pending.iter().map(|p| p.row).collect::<Vec<_>>(), vec![1]);
    let fed = stored(
        s.feed_campaign(CampaignFeed {
            campaign_id: c.id,
            at: plus(t0, 20_001),
            messages: vec![(1, message_for(&running, &pending[0]))],
            skipped: Vec::new(),
            progress_every: 10,
            paced: (0, 0),
        })
        .await
        .unwrap(),
    );
    assert_eq!((fed.queued, fed.cursor), (1, 1));
    // Row 3 skipped before row 2: the cursor stays before row 2, which still waits, and the
    // campaign runs on.
    let fed = stored(
        s.feed_campaign(CampaignFeed {
            campaign_id: c.id,
            at: plus(t0, 20_002),
            messages: Vec::new(),
            skipped: vec![(3, SkipReason::OptedOut)],
            progress_every: 0,
            paced: (0, 0),
        })
        .await
        .unwrap(),
    );
    assert_eq!(fed.skipped.opted_out, 1);
    assert_eq!(fed.cursor, 1, "row 2 still waits");
    let pending = s.pending_recipients(&fed, 10).await.unwrap();
    assert_eq!(pending.iter().map(|p| p.row).collect::<Vec<_>>(), vec![2]);
    let still = s.finish_if_done(c.id, plus(t0, 20_003)).await.unwrap();
    assert_eq!(still.status, CampaignStatus::Running, "row 2 waits");
    // Only waiting recipients are summed.
    assert_eq!(
        s.audience_summary(a, c.id).await.unwrap(),
        AudienceSummary {
            by_country: vec![("IN".into(), 1)],
            opted_out: 0,
            blocked: 1,
        }
    );
    // Row 2 skipped: the cursor passes every row, and the broadcast is done.
    let fed = stored(
        s.feed_campaign(CampaignFeed {
            campaign_id: c.id,
            at: plus(t0, 20_004),
            messages: Vec::new(),
            skipped: vec![(2, SkipReason::Blocked)],
            progress_every: 10,
            paced: (0, 0),
        })
        .await
        .unwrap(),
    );
    assert_eq!((fed.queued, fed.cursor), (1, 3));
    assert_eq!(
        (
            fed.skipped.opted_out,
            fed.skipped.blocked,
            fed.skipped.invalid
        ),
        (1, 1, 1)
    );
    assert!(s.pending_recipients(&fed, 10).await.unwrap().is_empty());
    assert_eq!(
        s.audience_summary(a, c.id).await.unwrap(),
        AudienceSummary::default()
    );
    let done = s.finish_if_done(c.id, plus(t0, 20_005)).await.unwrap();
    assert_eq!(done.status, CampaignStatus::Completed);

    // The subscriber got the campaign's life, and its progress over its recipients.
    let t = plus(t0, 30_000);
    let events: Vec<(String, Option<u64>)> = s
        .lease_deliveries(sub.id, t, plus(t, 60_000), 100)
        .await
        .unwrap()
        .into_iter()
        .map(|j| match j.event.data {
            EventData::Other {
                field: EventField::Campaigns,
                value,
            } => {
                assert_eq!(value["campaign"]["id"], c.id.to_string());
                (
                    value["event"].as_str().unwrap().to_owned(),
                    value["percent"].as_u64(),
                )
            }
            other => panic!("not a campaign event: {other:?}"),
        })
        .collect();
    assert_eq!(
        events,
        vec![
            ("started".to_owned(), None),
            ("progress".to_owned(), Some(33)),
            ("progress".to_owned(), Some(100)),
            ("completed".to_owned(), None),
        ]
    );
}

/// A subscription to the account's campaign events.
fn campaign_subscription(account: AccountId, now: Timestamp) -> Subscription {
    Subscription {
        id: SubscriptionId::generate(),
        account_id: account,
        channel_id: None,
        url: WebhookUrl::parse("https://example.com/hook").unwrap(),
        secret: WebhookSecret::parse("s3cret-key").unwrap(),
        verify_token: VerifyToken::parse("verify-me").unwrap(),
        fields: vec![EventField::Campaigns],
        format: PayloadFormat::CLOUD,
        batch_size: BatchSize::ONE,
        enabled: true,
        created_at: now,
        updated_at: now,
    }
}

async fn a_draft_to_launch_when_ready_is_active_once_its_load_ends(b: Backend) {
    let s: &Arc<dyn Store> = &b.store;
    let (a, ch) = account_with_channel(s, "Acme").await;
    let t0 = records::now();
    let mut marked = draft(a, ch, "Sheet", CampaignKind::Broadcast, t0);
    marked.launch_when_ready = true;
    let c = s.create_campaign(marked).await.unwrap();
    assert!(c.launch_when_ready);
    assert!(s.get_campaign(a, c.id).await.unwrap().launch_when_ready);
    // A plain draft is never the worker's, loaded or not.
    let plain = s
        .create_campaign(draft(a, ch, "Plain", CampaignKind::Broadcast, t0))
        .await
        .unwrap();
    assert!(!plain.launch_when_ready);
    s.add_recipients(a, plain.id, recipients(&[GB_1]), plus(t0, 1))
        .await
        .unwrap();
    let active = |at| async move { ids(&s.active_campaigns(at).await.unwrap()) };
    assert!(
        !active(plus(t0, 1)).await.contains(&c.id),
        "no audience yet"
    );
    assert!(!active(plus(t0, 1)).await.contains(&plain.id));

    s.start_audience_load(a, c.id, file_load(), plus(t0, 2))
        .await
        .unwrap();
    assert!(!active(plus(t0, 3)).await.contains(&c.id), "still loading");
    s.claim_audience_load(&lease("a", plus(t0, 3)))
        .await
        .unwrap()
        .expect("claimed");
    s.audience_batch(
        c.id,
        &lease("a", plus(t0, 4)),
        AudienceBatch {
            recipients: vec![numbered(2, GB_1)],
            refused: Vec::new(),
            rows_read: 2,
            after_card: None,
        },
    )
    .await
    .unwrap();
    s.finish_audience_load(c.id, &lease("a", plus(t0, 5)), None)
        .await
        .unwrap();
    assert!(
        active(plus(t0, 6)).await.contains(&c.id),
        "loaded: to launch"
    );

    // Launched, it is active as a running campaign; a worker's failure meant for the draft
    // is refused and changes nothing.
    let running = s
        .change_campaign(a, c.id, change(LAUNCH, plus(t0, 7)))
        .await
        .unwrap();
    assert_eq!(running.status, CampaignStatus::Running);
    let mut fail = change(CampaignAction::Fail, plus(t0, 8));
    fail.only_from = Some(CampaignStatus::Draft);
    assert_conflict(
        s.change_campaign(a, c.id, fail).await,
        Conflict::CampaignState,
    );
    assert_eq!(s.get_campaign(a, c.id).await.unwrap(), running);

    // A load that failed is handed over too (the worker fails the campaign with it).
    let mut failing = draft(a, ch, "Broken sheet", CampaignKind::Broadcast, t0);
    failing.launch_when_ready = true;
    let f = s.create_campaign(failing).await.unwrap();
    s.start_audience_load(a, f.id, file_load(), plus(t0, 9))
        .await
        .unwrap();
    s.claim_audience_load(&lease("a", plus(t0, 10)))
        .await
        .unwrap()
        .expect("claimed");
    let ended = s
        .finish_audience_load(f.id, &lease("a", plus(t0, 11)), Some("unreadable".into()))
        .await
        .unwrap();
    assert_eq!(ended.audience_status, AudienceStatus::Failed);
    assert!(active(plus(t0, 12)).await.contains(&f.id));
    let mut fail = change(CampaignAction::Fail, plus(t0, 13));
    fail.only_from = Some(CampaignStatus::Draft);
    fail.failure = Some("the audience did not load: unreadable".into());
    let failed = s.change_campaign(a, f.id, fail).await.unwrap();
    assert_eq!(failed.status, CampaignStatus::Failed);
    assert!(!active(plus(t0, 14)).await.contains(&f.id), "final");
}
