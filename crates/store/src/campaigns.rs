//! Campaigns ([`CampaignStore`]): the campaign rows, their recipients, the audience loads
//! that fill them, the feed that turns recipients into messages, and the counters of their
//! progress. The SQL is in [`crate::sql::campaigns`].
//!
//! Exactly once: [`CampaignStore::feed_campaign`] stores a batch's messages (through the
//! outbox, as any send) and marks their recipients in one transaction, on the condition
//! that none of those recipients has a message or a skip yet and that the campaign is still
//! running; otherwise nothing is written. So two workers (two nodes on one PostgreSQL, or a
//! worker restarted after `kill -9`) never give a recipient two messages, and the outbox
//! hands each message over once.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use uuid::Uuid;
use wagate_core::Timestamp;
use wagate_core::analytics::Counts;
use wagate_core::campaign::model::{
    AudienceLoad, AudienceStatus, Campaign, CampaignParams, CampaignTemplate, Estimate,
    NewRecipient, RecipientData, SkipCounts,
};
use wagate_core::campaign::{
    CampaignAction, CampaignKind, CampaignName, CampaignStatus, PauseReason, SkipReason,
};
use wagate_core::contact::import::RowError;
use wagate_core::ids::{AccountId, CampaignId, ChannelId, MessageId};
use wagate_core::message::{MessageStatus, NewOutboundMessage};
use wagate_core::phone::PhoneE164;

use crate::records::{corrupt, millis, timestamp};
use crate::{Page, Result};

/// Filters of the campaign list (within one account).
#[derive(Debug, Clone, Default)]
pub struct CampaignFilter {
    pub status: Option<CampaignStatus>,
    pub kind: Option<CampaignKind>,
    pub channel_id: Option<ChannelId>,
    /// Only these channels (a scoped key's reach).
    pub channels: Option<Vec<ChannelId>>,
}

/// What happens to a campaign, with what it carries.
#[derive(Debug, Clone)]
pub struct CampaignChange {
    pub action: CampaignAction,
    pub at: Timestamp,
    /// With `Launch { scheduled: true }`: when, and the zone it was given in.
    pub scheduled_at: Option<Timestamp>,
    pub timezone: Option<String>,
    /// With `Launch`: the estimate made.
    pub estimate: Option<Estimate>,
    /// With `Fail`: why.
    pub failure: Option<String>,
    /// With `Resume`: resume only a campaign paused for one of these reasons (the template
    /// approved again resumes campaigns it paused, not those the operator paused).
    pub resume_only: Option<Vec<PauseReason>>,
    /// Apply only to a campaign in this status (else `Conflict::CampaignState`): a worker's
    /// change that must not land on a campaign another node has moved on.
    pub only_from: Option<CampaignStatus>,
}

impl CampaignChange {
    pub fn new(action: CampaignAction, at: Timestamp) -> Self {
        Self {
            action,
            at,
            scheduled_at: None,
            timezone: None,
            estimate: None,
            failure: None,
            resume_only: None,
            only_from: None,
        }
    }
}

/// Who holds an audience load, and until when.
#[derive(Debug, Clone)]
pub struct AudienceLease {
    pub owner: String,
    pub now: Timestamp,
    pub until: Timestamp,
}

/// One batch of an audience load, in file order.
#[derive(Debug, Clone, Default)]
pub struct AudienceBatch {
    /// Each with its row in the file (what a refusal names).
    pub recipients: Vec<(u64, NewRecipient)>,
    /// Rows refused, with the reason counted among the skips.
    pub refused: Vec<(RowError, SkipReason)>,
    /// Where the load is once this batch is written.
    pub rows_read: u64,
    pub after_card: Option<Uuid>,
}

/// What adding recipients did: the rows stored, and those refused (a number already in the
/// audience is refused as a duplicate).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Added {
    pub added: Vec<u64>,
    pub duplicates: Vec<PhoneE164>,
}

/// A recipient waiting for its message, with what its contact card says.
#[derive(Debug, Clone)]
pub struct PendingRecipient {
    pub row: u64,
    pub wa_id: PhoneE164,
    pub data: RecipientData,
    /// The card's name and attributes (as text), when the account has a card for the number.
    pub card: Option<PendingCard>,
}

#[derive(Debug, Clone)]
pub struct PendingCard {
    pub name: Option<String>,
    pub attributes: std::collections::BTreeMap<String, String>,
    pub opted_out: bool,
    pub blocked: bool,
}

/// Command: turn recipients into messages (and skip others), in one transaction.
#[derive(Debug, Clone)]
pub struct CampaignFeed {
    pub campaign_id: CampaignId,
    pub at: Timestamp,
    /// Each recipient's row and its message.
    pub messages: Vec<(u64, NewOutboundMessage)>,
    pub skipped: Vec<(u64, SkipReason)>,
    /// Emit a `progress` event each time this many percent more are queued (0: never).
    pub progress_every: u8,
    /// The pacing slot the worker read (`Campaign::paced_until`) and the one after this
    /// feed: stale unless the campaign still has the first (another node fed meanwhile).
    pub paced: (i64, i64),
}

/// What a feed did.
#[derive(Debug, Clone, PartialEq)]
pub enum Fed {
    /// Stored: the campaign as it is now, and the rows the wallet refused (left waiting;
    /// the campaign is paused for its wallet when there are any).
    Stored {
        campaign: Box<Campaign>,
        refused: Vec<u64>,
    },
    /// The campaign is no longer running, or some recipient was fed meanwhile (by another
    /// worker): nothing was written.
    Stale,
}

/// One recipient as listed: its row, number, what was skipped or sent, and its message's
/// progress.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RecipientView {
    pub row: u64,
    #[schema(value_type = String)]
    pub wa_id: PhoneE164,
    /// `pending`, `skipped`, or the message's status (`accepted`, `sent`, `delivered`,
    /// `read`, `failed`).
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skip_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub message_id: Option<MessageId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wamid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub queued_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub sent_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub delivered_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub read_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub failed_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub replied_at: Option<Timestamp>,
    /// What the message was charged (micro-units, or messages for a quota wallet).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost: Option<i64>,
}

/// Which recipients a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RecipientState {
    Pending,
    Skipped,
    Queued,
    Sent,
    Delivered,
    Read,
    Failed,
    Replied,
}

impl RecipientState {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.to_ascii_uppercase().as_str() {
            "PENDING" => Self::Pending,
            "SKIPPED" => Self::Skipped,
            "QUEUED" => Self::Queued,
            "SENT" => Self::Sent,
            "DELIVERED" => Self::Delivered,
            "READ" => Self::Read,
            "FAILED" => Self::Failed,
            "REPLIED" => Self::Replied,
            _ => return None,
        })
    }
}

/// Filters and order of a recipient list.
#[derive(Debug, Clone, Default)]
pub struct RecipientFilter {
    /// `SENT` means sent at least (delivered and read ones too), as `DELIVERED` does;
    /// `READ`, `FAILED`, `REPLIED`, `PENDING`, `SKIPPED` and `QUEUED` are exact.
    pub state: Option<RecipientState>,
    /// Queued (turned into a message) in `[since, until)`.
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    /// Newest rows first.
    pub descending: bool,
}

/// One row of a campaign's counters: a half-hour, a category and a country.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignCounterRow {
    pub bucket: i64,
    pub category: String,
    pub country: String,
    pub counts: Counts,
}

/// Recipients that would be sent to, by country, for an estimate; and those a card skips.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AudienceSummary {
    /// Waiting recipients by the country of their number (`*` unknown).
    pub by_country: Vec<(String, u64)>,
    /// Waiting recipients whose card is opted out / blocked (counted in `by_country` too).
    pub opted_out: u64,
    pub blocked: u64,
}

#[async_trait]
pub trait CampaignStore: Send + Sync {
    /// A new draft; `Conflict::CampaignName` when the account has a campaign of that name
    /// (ignoring case); `NotFound(Channel)` unless the channel is the account's.
    async fn create_campaign(&self, campaign: Campaign) -> Result<Campaign>;
    /// Another account's campaign is `NotFound`.
    async fn get_campaign(&self, account: AccountId, id: CampaignId) -> Result<Campaign>;
    /// By name, ignoring case.
    async fn find_campaign(&self, account: AccountId, name: &str) -> Result<Option<Campaign>>;
    /// Newest first.
    async fn list_campaigns(
        &self,
        account: AccountId,
        filter: &CampaignFilter,
        page: &Page<CampaignId>,
    ) -> Result<Vec<Campaign>>;
    /// Applies `change` by the core's state machine ([`wagate_core::campaign::transition`]),
    /// under the campaign's row lock, with its `campaigns` webhook event in the same
    /// transaction. `Conflict::CampaignState` when the campaign cannot take it (nothing is
    /// written).
    async fn change_campaign(
        &self,
        account: AccountId,
        id: CampaignId,
        change: CampaignChange,
    ) -> Result<Campaign>;
    /// Adds recipients after the last row (a draft's numbers, an API campaign's sends);
    /// numbers already in the audience are refused as duplicates and counted skipped.
    /// `Conflict::CampaignState` unless the campaign is a draft, or an API campaign that is
    /// not final.
    async fn add_recipients(
        &self,
        account: AccountId,
        id: CampaignId,
        recipients: Vec<NewRecipient>,
        at: Timestamp,
    ) -> Result<Added>;
    /// Queues an audience load (a draft not loading already, else
    /// `Conflict::CampaignState`).
    async fn start_audience_load(
        &self,
        account: AccountId,
        id: CampaignId,
        load: AudienceLoad,
        at: Timestamp,
    ) -> Result<Campaign>;
    /// The oldest loading campaign whose lease is free, lapsed or `lease.owner`'s, leased
    /// to `lease.owner`.
    async fn claim_audience_load(&self, lease: &AudienceLease) -> Result<Option<Campaign>>;
    /// Writes a batch of the load with its progress; `Conflict::ImportLeased` when the
    /// lease is no longer `lease.owner`'s (nothing written).
    async fn audience_batch(
        &self,
        id: CampaignId,
        lease: &AudienceLease,
        batch: AudienceBatch,
    ) -> Result<Campaign>;
    /// Ends the load: ready, or failed with `failure`; the lease is released.
    async fn finish_audience_load(
        &self,
        id: CampaignId,
        lease: &AudienceLease,
        failure: Option<String>,
    ) -> Result<Campaign>;
    /// The waiting recipients by country, and how many of them a card opts out or blocks.
    async fn audience_summary(&self, account: AccountId, id: CampaignId)
    -> Result<AudienceSummary>;
    /// The rows an audience load refused, after row `after_row`.
    async fn campaign_errors(
        &self,
        account: AccountId,
        id: CampaignId,
        after_row: u64,
        limit: u32,
    ) -> Result<Vec<RowError>>;
    /// A page of recipients (after row `after` in the list's order), and the total that
    /// match.
    async fn list_recipients(
        &self,
        account: AccountId,
        id: CampaignId,
        filter: &RecipientFilter,
        after: Option<u64>,
        limit: u32,
    ) -> Result<(Vec<RecipientView>, u64)>;
    /// Campaigns a worker has to look at: running ones, scheduled ones due at `now`, those
    /// paused for their template (to resume on re-approval), and drafts to launch when ready
    /// whose load has ended (ready or failed).
    async fn active_campaigns(&self, now: Timestamp) -> Result<Vec<Campaign>>;
    /// Up to `limit` waiting recipients after the campaign's `fed_through`, in row order.
    async fn pending_recipients(
        &self,
        campaign: &Campaign,
        limit: u32,
    ) -> Result<Vec<PendingRecipient>>;
    /// See the module docs.
    async fn feed_campaign(&self, feed: CampaignFeed) -> Result<Fed>;
    /// Whether a running campaign has no waiting recipient left: then it completes (a
    /// broadcast), with its `completed` event. Returns the campaign as it is.
    async fn finish_if_done(&self, id: CampaignId, at: Timestamp) -> Result<Campaign>;
    /// The campaign's counters in `[since, until)` (half-hour starts, Unix ms).
    async fn campaign_counters(
        &self,
        account: AccountId,
        id: CampaignId,
        since: i64,
        until: i64,
    ) -> Result<Vec<CampaignCounterRow>>;
    /// Distinct users the channel started business-initiated (template) messages to since
    /// `since`: what the messaging-limit tier counts.
    async fn reached_users(&self, channel: ChannelId, since: Timestamp) -> Result<u64>;
}

/// The campaign columns, in [`CampaignRecord`] order.
#[macro_export]
macro_rules! campaign_columns {
    () => {
        "id, account_id, name, kind, channel_id, template_name, template_language, params, \
         status, pause_reason, failure, rate, allow_partial, scheduled_at, timezone, \
         audience_status, audience_load, audience_failure, recipients, queued, skipped, \
         fed_through, paced_until, estimate, created_at, updated_at, started_at, finished_at, \
         launch_when_ready"
    };
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CampaignRecord {
    pub id: Uuid,
    pub account_id: Uuid,
    pub name: String,
    pub kind: String,
    pub channel_id: Uuid,
    pub template_name: String,
    pub template_language: String,
    pub params: Json<CampaignParams>,
    pub status: String,
    pub pause_reason: Option<String>,
    pub failure: Option<String>,
    pub rate: Option<i64>,
    pub allow_partial: bool,
    pub scheduled_at: Option<i64>,
    pub timezone: Option<String>,
    pub audience_status: String,
    pub audience_load: Option<Json<AudienceLoad>>,
    pub audience_failure: Option<String>,
    pub recipients: i64,
    pub queued: i64,
    pub skipped: Json<SkipCounts>,
    pub fed_through: i64,
    pub paced_until: i64,
    pub estimate: Option<Json<Estimate>>,
    pub created_at: i64,
    pub updated_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub launch_when_ready: bool,
}

fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl From<&Campaign> for CampaignRecord {
    fn from(c: &Campaign) -> Self {
        Self {
            id: c.id.as_uuid(),
            account_id: c.account_id.as_uuid(),
            name: c.name.as_str().to_owned(),
            kind: c.kind.as_str().to_owned(),
            channel_id: c.channel_id.as_uuid(),
            template_name: c.template.name.clone(),
            template_language: c.template.language.clone(),
            params: Json(c.params.clone()),
            status: c.status.as_str().to_owned(),
            pause_reason: c.pause_reason.map(|r| r.as_str().to_owned()),
            failure: c.failure.clone(),
            rate: c.rate.map(i64::from),
            allow_partial: c.allow_partial,
            scheduled_at: c.scheduled_at.map(millis),
            timezone: c.timezone.clone(),
            audience_status: c.audience_status.as_str().to_owned(),
            audience_load: c.audience_load.clone().map(Json),
            audience_failure: c.audience_failure.clone(),
            recipients: count(c.recipients),
            queued: count(c.queued),
            skipped: Json(c.skipped),
            fed_through: count(c.cursor),
            paced_until: c.paced_until,
            estimate: c.estimate.clone().map(Json),
            created_at: millis(c.created_at),
            updated_at: millis(c.updated_at),
            started_at: c.started_at.map(millis),
            finished_at: c.finished_at.map(millis),
            launch_when_ready: c.launch_when_ready,
        }
    }
}

impl TryFrom<CampaignRecord> for Campaign {
    type Error = crate::StoreError;
    fn try_from(r: CampaignRecord) -> Result<Self> {
        const WHAT: &str = "campaign";
        let n = |v: i64| u64::try_from(v).map_err(|e| corrupt(WHAT, e));
        let at = |v: Option<i64>| v.map(|t| timestamp(WHAT, t)).transpose();
        Ok(Campaign {
            id: CampaignId::from_uuid(r.id),
            account_id: AccountId::from_uuid(r.account_id),
            name: CampaignName::parse(&r.name).map_err(|e| corrupt(WHAT, e))?,
            kind: CampaignKind::parse(&r.kind).ok_or_else(|| corrupt(WHAT, "kind"))?,
            channel_id: ChannelId::from_uuid(r.channel_id),
            template: CampaignTemplate {
                name: r.template_name,
                language: r.template_language,
            },
            params: r.params.0,
            status: CampaignStatus::parse(&r.status).ok_or_else(|| corrupt(WHAT, "status"))?,
            pause_reason: r
                .pause_reason
                .map(|p| PauseReason::parse(&p).ok_or_else(|| corrupt(WHAT, "pause_reason")))
                .transpose()?,
            failure: r.failure,
            rate: r
                .rate
                .map(|v| u32::try_from(v).map_err(|e| corrupt(WHAT, e)))
                .transpose()?,
            allow_partial: r.allow_partial,
            scheduled_at: at(r.scheduled_at)?,
            timezone: r.timezone,
            audience_status: AudienceStatus::parse(&r.audience_status)
                .ok_or_else(|| corrupt(WHAT, "audience_status"))?,
            audience_load: r.audience_load.map(|j| j.0),
            audience_failure: r.audience_failure,
            recipients: n(r.recipients)?,
            queued: n(r.queued)?,
            skipped: r.skipped.0,
            cursor: n(r.fed_through)?,
            paced_until: r.paced_until,
            estimate: r.estimate.map(|j| j.0),
            created_at: timestamp(WHAT, r.created_at)?,
            updated_at: timestamp(WHAT, r.updated_at)?,
            started_at: at(r.started_at)?,
            finished_at: at(r.finished_at)?,
            launch_when_ready: r.launch_when_ready,
        })
    }
}

/// The recipient list's row as read (with its message's columns).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RecipientRecord {
    pub row_number: i64,
    pub wa_id: String,
    pub skip: Option<String>,
    pub message_id: Option<Uuid>,
    pub replied_at: Option<i64>,
    pub wamid: Option<String>,
    pub status: Option<String>,
    pub created_at: Option<i64>,
    pub sent_at: Option<i64>,
    pub delivered_at: Option<i64>,
    pub read_at: Option<i64>,
    pub failed_at: Option<i64>,
    pub error: Option<Json<serde_json::Value>>,
    pub cost: Option<i64>,
}

impl TryFrom<RecipientRecord> for RecipientView {
    type Error = crate::StoreError;
    fn try_from(r: RecipientRecord) -> Result<Self> {
        const WHAT: &str = "campaign recipient";
        let at = |v: Option<i64>| v.map(|t| timestamp(WHAT, t)).transpose();
        let status = match (&r.skip, &r.status) {
            (Some(_), _) => "skipped".to_owned(),
            (None, Some(s)) => MessageStatus::parse(s)
                .map_err(|e| corrupt(WHAT, e))?
                .as_str()
                .to_owned(),
            (None, None) => "pending".to_owned(),
        };
        let error = r.error.map(|j| j.0);
        Ok(RecipientView {
            row: u64::try_from(r.row_number).map_err(|e| corrupt(WHAT, e))?,
            wa_id: PhoneE164::parse(&r.wa_id).map_err(|e| corrupt(WHAT, e))?,
            status,
            skip_reason: r.skip,
            message_id: r.message_id.map(MessageId::from_uuid),
            wamid: r.wamid,
            queued_at: at(r.created_at)?,
            sent_at: at(r.sent_at)?,
            delivered_at: at(r.delivered_at)?,
            read_at: at(r.read_at)?,
            failed_at: at(r.failed_at)?,
            error_code: error
                .as_ref()
                .and_then(|e| e.get("code"))
                .and_then(serde_json::Value::as_u64)
                .and_then(|c| u32::try_from(c).ok()),
            error_title: error
                .as_ref()
                .and_then(|e| e.get("title"))
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned),
            replied_at: at(r.replied_at)?,
            cost: r.cost,
        })
    }
}
