//! The `campaigns` worker's feed: waiting recipients become messages in the outbox.
//!
//! One step ([`App::run_campaigns_once`]) runs this node's audience loads
//! ([`super::audience`]), then looks at every active campaign:
//! - a draft to launch when ready whose audience load ended is launched (a refused launch,
//!   or a failed load, fails it with the reason);
//! - a scheduled one whose time came starts;
//! - a running one whose template is PAUSED (DISABLED, or gone) is paused with that reason,
//!   and resumes by itself when the template is APPROVED again;
//! - a running one is fed: up to what its pacing, its number's messaging tier and the
//!   outbox window allow, its next recipients are checked (a contact opted out or blocked,
//!   a parameter with no value: skipped and counted), their messages built and priced, and
//!   stored through the outbox with the recipients marked, in one transaction that is stale
//!   (and writes nothing) when another worker fed them first: exactly one message per
//!   recipient, whichever node feeds and however often a node dies;
//! - a broadcast with no waiting recipient left completes.
//!
//! Pacing: a campaign sends at its `rate` (else its channel's throughput; unpaced when the
//! dispatcher runs unthrottled). Its next free slot is kept on the campaign row and moved
//! by each feed, which is stale unless the slot is still the one read — so two nodes feeding
//! one campaign share its rate. A step may catch up at most [`CATCH_UP`] of slots.
//!
//! Fair share: a campaign feeds only while its channel's outbox holds less than about
//! [`AHEAD`] of its sending time, so a one-off API send queues behind at most that much of
//! the campaign, however large the campaign is.
//!
//! Messaging tier: a number may start conversations with so many unique users per rolling
//! 24 hours ([`tier_room`]); recipients beyond it wait, they do not fail. The users reached
//! are counted from the channel's template messages of the last 24 hours, at most every
//! [`REACH_TTL`] per channel.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use jiff::SignedDuration;
use wagate_core::Timestamp;
use wagate_core::billing::rates::{RateCard, quote};
use wagate_core::campaign::audience::values_for;
use wagate_core::campaign::model::{AudienceStatus, Campaign, send_body};
use wagate_core::campaign::{
    CampaignAction, CampaignKind, CampaignStatus, PauseReason, SkipReason, tier_room,
};
use wagate_core::channel::{Channel, Upstream};
use wagate_core::content::{Content, MessageType};
use wagate_core::ids::{ChannelId, MessageId};
use wagate_core::message::{NewOutboundMessage, Recipient, Wamid};
use wagate_core::pacing::micros;
use wagate_core::pricing::PricingCategory;
use wagate_core::template::{Template, TemplateStatus};
use wagate_store::{CampaignChange, CampaignFeed, Fed, PendingRecipient, StoreError};

use crate::error::{Error, Result};
use crate::{App, Principal};

/// Most recipients one feed takes.
pub const FEED_MAX: u32 = 1000;
/// How far behind its pacing a campaign may catch up in one step.
pub const CATCH_UP: Duration = Duration::from_secs(1);
/// How much sending time of a campaign the outbox may hold ahead of other sends.
pub const AHEAD: Duration = Duration::from_secs(1);
/// The outbox window of an unpaced campaign (the dispatcher unthrottled), in messages.
const AHEAD_UNPACED: u64 = 4 * FEED_MAX as u64;
/// How long a channel's count of users reached is reused.
pub const REACH_TTL: Duration = Duration::from_secs(5);
/// A `progress` event every this many percent.
const PROGRESS_EVERY: u8 = 10;

/// This node's campaign work: the audience load it runs, and the users each channel
/// reached lately.
#[derive(Default)]
pub(crate) struct CampaignRunner {
    pub(crate) loads: super::audience::LoadRunner,
    reach: Mutex<HashMap<ChannelId, (Timestamp, u64)>>,
}

/// What a feed step of one campaign did.
enum Step {
    Fed,
    Idle,
}

impl App {
    /// One step of the `campaigns` worker at `now` (see the module docs); true when it did
    /// something.
    pub async fn run_campaigns_once(&self, now: Timestamp) -> Result<bool> {
        let loaded = self.campaigns.loads.run_once(self, now).await?;
        let mut busy = loaded;
        for campaign in self.store.active_campaigns(now).await? {
            match self.campaign_step(campaign, now).await {
                Ok(Step::Fed) => busy = true,
                Ok(Step::Idle) => {}
                Err(e) => tracing::warn!(error = %e, "a campaign step failed"),
            }
        }
        Ok(busy)
    }

    async fn campaign_step(&self, campaign: Campaign, now: Timestamp) -> Result<Step> {
        if campaign.status == CampaignStatus::Draft {
            return self.launch_when_ready(campaign, now).await;
        }
        let channel = self
            .store
            .get_channel(campaign.account_id, campaign.channel_id)
            .await?;
        let p = Principal::operator(campaign.account_id);
        let template = self
            .find_template(
                &p,
                &channel.waba_id,
                &campaign.template.name,
                &campaign.template.language,
            )
            .await?;
        let sandbox = matches!(channel.upstream, Upstream::Sandbox(_));
        // What the template's state asks of the campaign.
        let verdict = match template.as_ref().map(|t| t.status) {
            Some(TemplateStatus::Approved) => None,
            None if !sandbox => None,
            Some(TemplateStatus::Paused) => Some(PauseReason::TemplatePaused),
            _ => Some(PauseReason::TemplateDisabled),
        };
        let change = |action| CampaignChange::new(action, now);
        match (campaign.status, verdict) {
            (CampaignStatus::Scheduled, _) => {
                self.store
                    .change_campaign(
                        campaign.account_id,
                        campaign.id,
                        change(CampaignAction::Due),
                    )
                    .await?;
                return Ok(Step::Fed);
            }
            (CampaignStatus::Paused, None) => {
                let mut c = change(CampaignAction::Resume);
                c.resume_only = Some(vec![
                    PauseReason::TemplatePaused,
                    PauseReason::TemplateDisabled,
                ]);
                self.store
                    .change_campaign(campaign.account_id, campaign.id, c)
                    .await?;
                return Ok(Step::Fed);
            }
            (CampaignStatus::Paused, Some(reason)) => {
                if campaign.pause_reason != Some(reason) {
                    self.store
                        .change_campaign(
                            campaign.account_id,
                            campaign.id,
                            change(CampaignAction::Pause(reason)),
                        )
                        .await?;
                }
                return Ok(Step::Idle);
            }
            (CampaignStatus::Running, Some(reason)) => {
                self.store
                    .change_campaign(
                        campaign.account_id,
                        campaign.id,
                        change(CampaignAction::Pause(reason)),
                    )
                    .await?;
                return Ok(Step::Fed);
            }
            (CampaignStatus::Running, None) => {}
            _ => return Ok(Step::Idle),
        }
        if let Err(e) = self.check_can_send(&channel).await {
            let mut c = change(CampaignAction::Fail);
            c.failure = Some(format!("the channel cannot send: {e}"));
            self.store
                .change_campaign(campaign.account_id, campaign.id, c)
                .await?;
            return Ok(Step::Fed);
        }
        self.feed(&campaign, &channel, template.as_ref(), now).await
    }

    /// A draft marked `launch_when_ready` whose audience load ended: launched as the
    /// account's operator, with every check a launch makes; a refused launch (or a load
    /// that failed) fails the campaign with the reason, and is not retried. A database
    /// failure leaves the draft as it is, for the next step.
    async fn launch_when_ready(&self, campaign: Campaign, now: Timestamp) -> Result<Step> {
        let p = Principal::operator(campaign.account_id);
        let refusal = match campaign.audience_status {
            AudienceStatus::Failed => format!(
                "the audience did not load: {}",
                campaign.audience_failure.as_deref().unwrap_or("unknown")
            ),
            _ => match self
                .launch_campaign(&p, campaign.id, super::Launch::default())
                .await
            {
                Ok(_) => return Ok(Step::Fed),
                // Another node launched it (or the operator cancelled it) first.
                Err(Error::Store(StoreError::Conflict { .. })) => return Ok(Step::Idle),
                Err(e @ Error::Store(_)) => return Err(e),
                Err(e) => format!("the launch was refused: {e}"),
            },
        };
        let mut c = CampaignChange::new(CampaignAction::Fail, now);
        c.failure = Some(refusal);
        c.only_from = Some(CampaignStatus::Draft);
        match self
            .store
            .change_campaign(campaign.account_id, campaign.id, c)
            .await
        {
            Ok(_) | Err(StoreError::Conflict { .. }) => Ok(Step::Fed),
            Err(e) => Err(e.into()),
        }
    }

    /// Feeds one running campaign (see the module docs).
    async fn feed(
        &self,
        campaign: &Campaign,
        channel: &Channel,
        template: Option<&Template>,
        now: Timestamp,
    ) -> Result<Step> {
        let now_us = micros(now);
        let unpaced = campaign.rate.is_none() && self.dispatcher.config().unlimited_throughput;
        let rate = u64::from(
            campaign
                .rate
                .unwrap_or_else(|| channel.throughput.per_second())
                .max(1),
        );
        let interval_us = i64::try_from(1_000_000 / rate).unwrap_or(1).max(1);
        let (allowed, start) = if unpaced {
            (u64::from(FEED_MAX), now_us)
        } else {
            let catch_up = i64::try_from(CATCH_UP.as_micros()).unwrap_or(i64::MAX);
            let start = campaign.paced_until.max(now_us - catch_up);
            if start > now_us {
                return Ok(Step::Idle);
            }
            (
                u64::try_from((now_us - start) / interval_us + 1).unwrap_or(0),
                start,
            )
        };
        let ahead = if unpaced {
            AHEAD_UNPACED
        } else {
            (rate * u64::try_from(AHEAD.as_millis()).unwrap_or(500) / 1000).max(10)
        };
        let depth = self.store.outbox_depth(channel.id).await?;
        let room = tier_room(
            channel.messaging_limit_tier,
            self.reached(channel, now).await?,
        );
        let limit = allowed
            .min(ahead.saturating_sub(depth))
            .min(room)
            .min(u64::from(FEED_MAX));
        if limit == 0 {
            return Ok(Step::Idle);
        }
        let pending = self
            .store
            .pending_recipients(campaign, u32::try_from(limit).unwrap_or(FEED_MAX))
            .await?;
        if pending.is_empty() {
            if campaign.kind == CampaignKind::Broadcast {
                let done = self.store.finish_if_done(campaign.id, now).await?;
                return Ok(if done.status == CampaignStatus::Completed {
                    Step::Fed
                } else {
                    Step::Idle
                });
            }
            return Ok(Step::Idle);
        }
        let card = self.rate_card(campaign.account_id).await?;
        let category = template
            .and_then(|t| PricingCategory::parse_template_category(t.category.as_str()).ok())
            .unwrap_or(PricingCategory::Marketing);
        let filler = template.map(crate::templates::Filler::new).transpose()?;
        let mut messages = Vec::with_capacity(pending.len());
        let mut skipped = Vec::new();
        for r in pending {
            let row = r.row;
            match build(campaign, filler.as_ref(), &card, category, r) {
                Ok(m) => messages.push((row, m)),
                Err(why) => skipped.push((row, why)),
            }
        }
        let sent = messages.len() as u64;
        let paced_until = if unpaced {
            campaign.paced_until
        } else {
            start + i64::try_from(sent).unwrap_or(0) * interval_us
        };
        let fed = self
            .store
            .feed_campaign(CampaignFeed {
                campaign_id: campaign.id,
                at: now,
                messages,
                skipped,
                progress_every: PROGRESS_EVERY,
                paced: (campaign.paced_until, paced_until),
            })
            .await?;
        if let Fed::Stored { .. } = fed {
            self.add_reached(channel.id, sent);
            self.wake.notify_one();
        }
        Ok(Step::Fed)
    }

    /// Users the channel reached with templates in the last 24 hours (cached).
    async fn reached(&self, channel: &Channel, now: Timestamp) -> Result<u64> {
        if tier_room(channel.messaging_limit_tier, 0) == u64::MAX {
            return Ok(0);
        }
        let ttl = SignedDuration::try_from(REACH_TTL).unwrap_or_default();
        if let Some((at, n)) = self.campaigns.reach.lock().expect("reach").get(&channel.id)
            && *at + ttl > now
        {
            return Ok(*n);
        }
        let n = self
            .store
            .reached_users(channel.id, now - SignedDuration::from_hours(24))
            .await?;
        self.campaigns
            .reach
            .lock()
            .expect("reach")
            .insert(channel.id, (now, n));
        Ok(n)
    }

    fn add_reached(&self, channel: ChannelId, n: u64) {
        if let Some((_, k)) = self
            .campaigns
            .reach
            .lock()
            .expect("reach")
            .get_mut(&channel)
        {
            *k += n;
        }
    }
}

/// One recipient's message, or why it is skipped.
fn build(
    campaign: &Campaign,
    template: Option<&crate::templates::Filler<'_>>,
    card: &RateCard,
    category: PricingCategory,
    r: PendingRecipient,
) -> std::result::Result<NewOutboundMessage, SkipReason> {
    if let Some(c) = &r.card {
        if c.blocked {
            return Err(SkipReason::Blocked);
        }
        if c.opted_out {
            return Err(SkipReason::OptedOut);
        }
    }
    let values = values_for(
        &campaign.params,
        &r.data,
        r.card.as_ref().map(|c| (&c.name, &c.attributes)),
    )?;
    let components = campaign
        .params
        .send_components(&values, r.data.media.as_ref());
    let body = send_body(&campaign.template, &r.wa_id, components);
    let content = Content::outbound(&body).map_err(|_| SkipReason::InvalidRow)?;
    let content = match template {
        Some(t) => {
            let rendered = t.fill(content.body()).map_err(|_| SkipReason::InvalidRow)?;
            content.with_rendered(rendered)
        }
        None => content,
    };
    let id = MessageId::generate();
    Ok(NewOutboundMessage {
        id,
        wamid: Wamid::for_message(id, &r.wa_id),
        account_id: campaign.account_id,
        channel_id: campaign.channel_id,
        charge: quote(
            card,
            Some(&r.wa_id),
            MessageType::Template,
            Some(category),
            false,
        ),
        recipient: Recipient::Phone {
            input: r.wa_id.digits().to_owned(),
            wa_id: r.wa_id,
        },
        content,
        context: None,
        biz_opaque_callback_data: None,
        campaign_id: Some(campaign.id),
    })
}
