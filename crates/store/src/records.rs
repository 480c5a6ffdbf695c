//! Rows as columns. Both backends read and write these structs (`sqlx::FromRow` works for
//! either driver because every column type here decodes on both: UUID, TEXT, BIGINT, JSON),
//! so the mapping between rows and domain types is written once. Times are stored as Unix
//! milliseconds on both backends.

use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;
use wagate_core::Timestamp;
use wagate_core::account::Account;
use wagate_core::api_key::{ApiKey, KeyChannels};
use wagate_core::channel::{
    BusinessProfile, Channel, MessagingLimitTier, QualityRating, Throughput, Upstream,
};
use wagate_core::contact::Contact;
use wagate_core::error::ValidationError;
use wagate_core::ids::ContactId;
use wagate_core::ids::{AccountId, ApiKeyId, ChannelId, MessageId, PhoneNumberId, WabaId};
use wagate_core::message::{
    Bsuid, Content, Direction, Message, MessageError, MessageStatus, NewOutboundMessage, Recipient,
    Wamid,
};
use wagate_core::network::NewInboundMessage;
use wagate_core::phone::PhoneE164;
use wagate_core::policy::WindowPolicy;
use wagate_core::text::{AccountName, KeyName, VerifiedName};

use crate::StoreError;

/// The current time at the precision both backends store (milliseconds), so what a write
/// returns equals what a later read gives back.
pub fn now() -> Timestamp {
    Timestamp::from_millisecond(Timestamp::now().as_millisecond()).expect("now is in range")
}

pub fn millis(t: Timestamp) -> i64 {
    t.as_millisecond()
}

pub(crate) fn timestamp(what: &'static str, ms: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_millisecond(ms).map_err(|e| corrupt(what, e))
}

/// A stored user number (digits), if any.
fn stored_wa_id(v: Option<&str>) -> Result<Option<PhoneE164>, ValidationError> {
    v.map(PhoneE164::parse).transpose()
}

/// A stored business-scoped user id, if any.
fn stored_bsuid(v: Option<&str>) -> Result<Option<Bsuid>, ValidationError> {
    v.map(|b| Bsuid::parse_field("bsuid", b)).transpose()
}

pub(crate) fn corrupt(what: &'static str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        what,
        detail: e.to_string(),
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccountRecord {
    pub id: Uuid,
    pub name: String,
    pub created_at: i64,
    pub timezone: String,
}

impl TryFrom<AccountRecord> for Account {
    type Error = StoreError;
    fn try_from(r: AccountRecord) -> Result<Self, StoreError> {
        Ok(Account {
            id: AccountId::from_uuid(r.id),
            name: AccountName::parse(&r.name).map_err(|e| corrupt("account", e))?,
            created_at: timestamp("account", r.created_at)?,
            timezone: wagate_core::contact::card::Timezone::stored(r.timezone),
        })
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChannelRecord {
    pub id: Uuid,
    pub account_id: Uuid,
    pub phone_number_id: String,
    pub display_phone_number: String,
    pub waba_id: String,
    pub verified_name: String,
    pub upstream_kind: String,
    pub upstream: Json<Value>,
    pub throughput_mps: i64,
    pub quality_rating: String,
    pub messaging_limit_tier: String,
    pub profile: Json<Value>,
    pub created_at: i64,
    pub updated_at: i64,
    pub window_policy: String,
}

impl From<&Channel> for ChannelRecord {
    fn from(c: &Channel) -> Self {
        Self {
            id: c.id.as_uuid(),
            account_id: c.account_id.as_uuid(),
            phone_number_id: c.phone_number_id.to_string(),
            display_phone_number: c.display_phone_number.digits().to_owned(),
            waba_id: c.waba_id.to_string(),
            verified_name: c.verified_name.to_string(),
            upstream_kind: c.upstream.kind().as_str().to_owned(),
            upstream: Json(upstream_column(&c.upstream)),
            throughput_mps: i64::from(c.throughput.per_second()),
            quality_rating: c.quality_rating.as_str().to_owned(),
            messaging_limit_tier: c.messaging_limit_tier.as_str().to_owned(),
            profile: Json(serde_json::to_value(&c.profile).expect("profile serialises")),
            created_at: millis(c.created_at),
            updated_at: millis(c.updated_at),
            window_policy: c.window_policy.as_str().to_owned(),
        }
    }
}

/// The secrets of a cloud upstream, sealed in the row (see [`crate::sealing`]).
const UPSTREAM_SECRETS: &[&str] = &["access_token", "app_secret", "verify_token"];

/// The `upstream` column of a channel: its settings, with the secrets sealed.
pub fn upstream_column(upstream: &Upstream) -> Value {
    let mut v = serde_json::to_value(upstream).expect("upstream serialises");
    for key in UPSTREAM_SECRETS {
        if let Some(Value::String(s)) = v.get_mut(*key) {
            *s = crate::sealing::seal(s);
        }
    }
    v
}

/// The `upstream` column with its secrets opened.
fn open_upstream(mut v: Value) -> Result<Value, StoreError> {
    for key in UPSTREAM_SECRETS {
        if let Some(Value::String(s)) = v.get_mut(*key) {
            *s = crate::sealing::open("channel", s)?;
        }
    }
    Ok(v)
}

/// An `upstream` column sealed under the current data key, or `None` when it already is
/// (or holds no secret): what `reseal_secrets` writes back.
pub fn resealed_upstream(v: Value) -> Result<Option<Value>, StoreError> {
    let stale = UPSTREAM_SECRETS.iter().any(|key| {
        v.get(*key)
            .and_then(Value::as_str)
            .is_some_and(|s| !crate::sealing::is_current(s))
    });
    if !stale || !crate::sealing::active() {
        return Ok(None);
    }
    let mut v = open_upstream(v)?;
    for key in UPSTREAM_SECRETS {
        if let Some(Value::String(s)) = v.get_mut(*key) {
            *s = crate::sealing::seal(s);
        }
    }
    Ok(Some(v))
}

impl TryFrom<ChannelRecord> for Channel {
    type Error = StoreError;
    fn try_from(r: ChannelRecord) -> Result<Self, StoreError> {
        let bad = |e: &dyn std::fmt::Display| corrupt("channel", e);
        let upstream: Upstream =
            serde_json::from_value(open_upstream(r.upstream.0)?).map_err(|e| bad(&e))?;
        let throughput = u32::try_from(r.throughput_mps).map_err(|e| bad(&e))?;
        Ok(Channel {
            id: ChannelId::from_uuid(r.id),
            account_id: AccountId::from_uuid(r.account_id),
            phone_number_id: PhoneNumberId::parse(&r.phone_number_id).map_err(|e| bad(&e))?,
            display_phone_number: PhoneE164::parse(&r.display_phone_number).map_err(|e| bad(&e))?,
            waba_id: WabaId::parse(&r.waba_id).map_err(|e| bad(&e))?,
            verified_name: VerifiedName::parse(&r.verified_name).map_err(|e| bad(&e))?,
            upstream,
            throughput: Throughput::parse(throughput).map_err(|e| bad(&e))?,
            quality_rating: QualityRating::parse(&r.quality_rating).map_err(|e| bad(&e))?,
            messaging_limit_tier: MessagingLimitTier::parse(&r.messaging_limit_tier)
                .map_err(|e| bad(&e))?,
            profile: serde_json::from_value::<BusinessProfile>(r.profile.0).map_err(|e| bad(&e))?,
            created_at: timestamp("channel", r.created_at)?,
            updated_at: timestamp("channel", r.updated_at)?,
            window_policy: WindowPolicy::parse(&r.window_policy).map_err(|e| bad(&e))?,
        })
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApiKeyRecord {
    pub id: Uuid,
    pub account_id: Uuid,
    pub name: String,
    pub prefix: String,
    /// `NULL` for an account-wide key, else the channel ids it may use.
    pub channel_ids: Option<Json<Vec<Uuid>>>,
    pub admin: bool,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// How a key's channel scope is stored.
pub fn channel_ids_column(channels: &KeyChannels) -> Option<Json<Vec<Uuid>>> {
    channels
        .as_list()
        .map(|ids| Json(ids.iter().map(ChannelId::as_uuid).collect()))
}

impl TryFrom<ApiKeyRecord> for ApiKey {
    type Error = StoreError;
    fn try_from(r: ApiKeyRecord) -> Result<Self, StoreError> {
        Ok(ApiKey {
            id: ApiKeyId::from_uuid(r.id),
            account_id: AccountId::from_uuid(r.account_id),
            name: KeyName::parse(&r.name).map_err(|e| corrupt("api key", e))?,
            prefix: r.prefix,
            channels: match r.channel_ids {
                None => KeyChannels::All,
                Some(Json(ids)) => {
                    KeyChannels::Only(ids.into_iter().map(ChannelId::from_uuid).collect())
                }
            },
            admin: r.admin,
            created_at: timestamp("api key", r.created_at)?,
            revoked_at: r
                .revoked_at
                .map(|ms| timestamp("api key", ms))
                .transpose()?,
        })
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MessageRecord {
    pub id: Uuid,
    pub wamid: String,
    pub account_id: Uuid,
    pub channel_id: Uuid,
    pub direction: String,
    pub wa_id: Option<String>,
    pub bsuid: Option<String>,
    #[sqlx(rename = "type")]
    pub kind: String,
    pub content: Json<Value>,
    pub status: String,
    pub context_wamid: Option<String>,
    pub biz_opaque_callback_data: Option<String>,
    pub error: Option<Json<Value>>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    pub delivered_at: Option<i64>,
    pub read_at: Option<i64>,
    pub failed_at: Option<i64>,
    pub conversation: Option<Json<Value>>,
    pub pricing: Option<Json<Value>>,
    pub handovers: i64,
    pub profile_name: Option<String>,
    /// The channel's number for the message (see `sql::reports::take_numbers`): 0 until the
    /// statement storing it assigns one.
    pub number: i64,
    /// The campaign that sent it, if one did.
    pub campaign_id: Option<Uuid>,
}

impl MessageRecord {
    /// The row of a newly accepted outbound message.
    pub fn accepted(new: &NewOutboundMessage, now: Timestamp) -> Self {
        let (wa_id, bsuid) = match &new.recipient {
            Recipient::Phone { wa_id, .. } => (Some(wa_id.digits().to_owned()), None),
            Recipient::Bsuid(b) => (None, Some(b.as_str().to_owned())),
        };
        Self {
            id: new.id.as_uuid(),
            wamid: new.wamid.to_string(),
            account_id: new.account_id.as_uuid(),
            channel_id: new.channel_id.as_uuid(),
            direction: Direction::Outbound.as_str().to_owned(),
            wa_id,
            bsuid,
            kind: new.content.kind().as_str().to_owned(),
            content: Json(serde_json::to_value(&new.content).expect("content serialises")),
            status: MessageStatus::Accepted.as_str().to_owned(),
            context_wamid: new.context.as_ref().map(ToString::to_string),
            biz_opaque_callback_data: new.biz_opaque_callback_data.clone(),
            error: None,
            created_at: millis(now),
            sent_at: None,
            delivered_at: None,
            read_at: None,
            failed_at: None,
            conversation: None,
            pricing: None,
            handovers: 0,
            profile_name: None,
            number: 0,
            campaign_id: new.campaign_id.map(|c| c.as_uuid()),
        }
    }

    /// The row of an inbound message.
    pub fn inbound(new: &NewInboundMessage) -> Self {
        Self {
            id: new.id.as_uuid(),
            wamid: new.wamid.to_string(),
            account_id: new.account_id.as_uuid(),
            channel_id: new.channel_id.as_uuid(),
            direction: Direction::Inbound.as_str().to_owned(),
            wa_id: Some(new.wa_id.digits().to_owned()),
            bsuid: new.bsuid.as_ref().map(|b| b.as_str().to_owned()),
            kind: new.content.kind().as_str().to_owned(),
            content: Json(serde_json::to_value(&new.content).expect("content serialises")),
            status: MessageStatus::Received.as_str().to_owned(),
            context_wamid: new.context.as_ref().map(ToString::to_string),
            biz_opaque_callback_data: None,
            error: None,
            created_at: millis(new.at),
            sent_at: None,
            delivered_at: None,
            read_at: None,
            failed_at: None,
            conversation: None,
            pricing: None,
            handovers: 0,
            profile_name: new.profile_name.clone(),
            number: 0,
            campaign_id: None,
        }
    }

    /// Who the outbox orders by: the wa_id, else the BSUID.
    pub fn recipient_key(&self) -> String {
        self.wa_id
            .clone()
            .or_else(|| self.bsuid.clone())
            .unwrap_or_default()
    }
}

impl TryFrom<MessageRecord> for Message {
    type Error = StoreError;
    fn try_from(r: MessageRecord) -> Result<Self, StoreError> {
        let bad = |e: &dyn std::fmt::Display| corrupt("message", e);
        let at = |ms: Option<i64>| ms.map(|ms| timestamp("message", ms)).transpose();
        Ok(Message {
            id: MessageId::from_uuid(r.id),
            wamid: Wamid::parse_field("wamid", &r.wamid).map_err(|e| bad(&e))?,
            account_id: AccountId::from_uuid(r.account_id),
            channel_id: ChannelId::from_uuid(r.channel_id),
            direction: Direction::parse(&r.direction).map_err(|e| bad(&e))?,
            wa_id: stored_wa_id(r.wa_id.as_deref()).map_err(|e| bad(&e))?,
            bsuid: stored_bsuid(r.bsuid.as_deref()).map_err(|e| bad(&e))?,
            profile_name: r.profile_name,
            content: serde_json::from_value::<Content>(r.content.0).map_err(|e| bad(&e))?,
            status: MessageStatus::parse(&r.status).map_err(|e| bad(&e))?,
            context: r
                .context_wamid
                .as_deref()
                .map(|w| Wamid::parse_field("context", w))
                .transpose()
                .map_err(|e| bad(&e))?,
            biz_opaque_callback_data: r.biz_opaque_callback_data,
            error: r
                .error
                .map(|Json(v)| serde_json::from_value::<MessageError>(v))
                .transpose()
                .map_err(|e| bad(&e))?,
            created_at: timestamp("message", r.created_at)?,
            sent_at: at(r.sent_at)?,
            delivered_at: at(r.delivered_at)?,
            read_at: at(r.read_at)?,
            failed_at: at(r.failed_at)?,
            pricing: r
                .pricing
                .map(|Json(v)| serde_json::from_value(v))
                .transpose()
                .map_err(|e| bad(&e))?,
            conversation: r
                .conversation
                .map(|Json(v)| serde_json::from_value(v))
                .transpose()
                .map_err(|e| bad(&e))?,
            handovers: u32::try_from(r.handovers).map_err(|e| bad(&e))?,
            number: u64::try_from(r.number).map_err(|e| bad(&e))?,
            campaign_id: r.campaign_id.map(wagate_core::ids::CampaignId::from_uuid),
        })
    }
}

/// Column lists as macros, so queries can be built with `concat!` into the `&'static str`
/// sqlx 0.9 requires, and every query reads the same columns in the same order.
#[macro_export]
macro_rules! account_columns {
    () => {
        "id, name, created_at, timezone"
    };
}

#[macro_export]
macro_rules! channel_columns {
    () => {
        "id, account_id, phone_number_id, display_phone_number, waba_id, verified_name, \
         upstream_kind, upstream, throughput_mps, quality_rating, messaging_limit_tier, profile, \
         created_at, updated_at, window_policy"
    };
}

#[macro_export]
macro_rules! api_key_columns {
    () => {
        "id, account_id, name, prefix, channel_ids, admin, created_at, revoked_at"
    };
}

#[macro_export]
macro_rules! message_columns {
    () => {
        "id, wamid, account_id, channel_id, direction, wa_id, bsuid, type, content, status, \
         context_wamid, biz_opaque_callback_data, error, created_at, sent_at, delivered_at, \
         read_at, failed_at, conversation, pricing, handovers, profile_name, number, campaign_id"
    };
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ContactRecord {
    pub id: Uuid,
    pub account_id: Uuid,
    pub channel_id: Uuid,
    pub wa_id: Option<String>,
    pub bsuid: Option<String>,
    pub profile_name: Option<String>,
    pub first_message_at: Option<i64>,
    pub last_message_at: Option<i64>,
    pub last_inbound_at: Option<i64>,
    pub blocked_at: Option<i64>,
    pub marketing_opt_out_at: Option<i64>,
    pub created_at: i64,
}

impl TryFrom<ContactRecord> for Contact {
    type Error = StoreError;
    fn try_from(r: ContactRecord) -> Result<Self, StoreError> {
        let bad = |e: &dyn std::fmt::Display| corrupt("contact", e);
        let at = |ms: Option<i64>| ms.map(|ms| timestamp("contact", ms)).transpose();
        Ok(Contact {
            id: ContactId::from_uuid(r.id),
            account_id: AccountId::from_uuid(r.account_id),
            channel_id: ChannelId::from_uuid(r.channel_id),
            wa_id: stored_wa_id(r.wa_id.as_deref()).map_err(|e| bad(&e))?,
            bsuid: stored_bsuid(r.bsuid.as_deref()).map_err(|e| bad(&e))?,
            profile_name: r.profile_name,
            first_message_at: at(r.first_message_at)?,
            last_message_at: at(r.last_message_at)?,
            last_inbound_at: at(r.last_inbound_at)?,
            blocked_at: at(r.blocked_at)?,
            marketing_opt_out_at: at(r.marketing_opt_out_at)?,
            created_at: timestamp("contact", r.created_at)?,
        })
    }
}

#[macro_export]
macro_rules! contact_columns {
    () => {
        "id, account_id, channel_id, wa_id, bsuid, profile_name, first_message_at, \
         last_message_at, last_inbound_at, blocked_at, marketing_opt_out_at, created_at"
    };
}

/// The statuses a message may be in for `next` to be progress (for `UPDATE … WHERE status IN`).
pub fn predecessors_sql(next: MessageStatus) -> String {
    MessageStatus::ALL
        .iter()
        .filter(|s| s.can_become(next))
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The column holding the time a message reached `status`.
pub fn status_time_column(status: MessageStatus) -> Option<&'static str> {
    match status {
        MessageStatus::Sent => Some("sent_at"),
        MessageStatus::Delivered => Some("delivered_at"),
        MessageStatus::Read => Some("read_at"),
        MessageStatus::Failed => Some("failed_at"),
        MessageStatus::Accepted | MessageStatus::Received => None,
    }
}
