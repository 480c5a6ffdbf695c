//! Messages: what a business sends and receives, and the status each outbound message moves
//! through. The message is stored together with its outbox entry before the API answers, so
//! an accepted message is never lost.

use std::fmt;

use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::error::ValidationError;
use crate::ids::{AccountId, ChannelId, MessageId};
use crate::phone::PhoneE164;
use crate::pricing::{Conversation, Pricing};

/// Meta-style message id (`wamid.` + base64), derived from our [`MessageId`] so it is unique
/// and can be traced back to it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI4MjZGRDA0OUE2OTQ3RkEyMzcA")]
pub struct Wamid(String);

impl Wamid {
    pub const MAX_LEN: usize = 256;

    /// The wamid of our message `id` to `wa_id`, laid out as Meta's are: a tag, the user's
    /// number, then a hex id, base64-encoded.
    pub fn for_message(id: MessageId, wa_id: &PhoneE164) -> Self {
        let digits = wa_id.digits().as_bytes();
        let hex = hex::encode_upper(id.as_uuid().as_bytes());
        let mut raw = Vec::with_capacity(8 + digits.len() + hex.len());
        raw.extend_from_slice(&[0x1c, 0x18, digits.len() as u8]);
        raw.extend_from_slice(digits);
        raw.extend_from_slice(&[0x15, 0x02, 0x00, 0x11, 0x18, hex.len() as u8]);
        raw.extend_from_slice(hex.as_bytes());
        raw.push(0x00);
        Self(format!(
            "wamid.{}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        ))
    }

    /// Any id of Meta's shape: `wamid.` then base64 characters.
    pub fn parse_field(field: &str, s: &str) -> Result<Self, ValidationError> {
        let s = s.trim();
        let body = s.strip_prefix("wamid.").unwrap_or("");
        let ok = !body.is_empty()
            && s.len() <= Self::MAX_LEN
            && body.bytes().all(|b| {
                b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_')
            });
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(ValidationError::new(
                field,
                "must be a message id like wamid.HBgL…",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Wamid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Wamid {
    type Error = ValidationError;
    fn try_from(s: String) -> Result<Self, ValidationError> {
        Self::parse_field("message_id", &s)
    }
}

impl From<Wamid> for String {
    fn from(w: Wamid) -> String {
        w.0
    }
}

/// A business-scoped user id (BSUID), Meta's 2026 alternative to phone numbers:
/// a country code, a dot and digits, like `US.13491208655302741918`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Bsuid(String);

impl Bsuid {
    pub fn parse_field(field: &str, s: &str) -> Result<Self, ValidationError> {
        let s = s.trim();
        let ok = match s.split_once('.') {
            Some((cc, id)) => {
                cc.len() == 2
                    && cc.bytes().all(|b| b.is_ascii_uppercase())
                    && (1..=64).contains(&id.len())
                    && id.bytes().all(|b| b.is_ascii_alphanumeric())
            }
            None => false,
        };
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(ValidationError::new(
                field,
                "must be a business-scoped user id like US.13491208655302741918",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Bsuid {
    type Error = ValidationError;
    fn try_from(s: String) -> Result<Self, ValidationError> {
        Self::parse_field("recipient", &s)
    }
}

impl From<Bsuid> for String {
    fn from(b: Bsuid) -> String {
        b.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Outbound,
    Inbound,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Outbound => "outbound",
            Direction::Inbound => "inbound",
        }
    }

    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        match s {
            "outbound" => Ok(Self::Outbound),
            "inbound" => Ok(Self::Inbound),
            _ => Err(ValidationError::new(
                "direction",
                "must be `outbound` or `inbound`",
            )),
        }
    }
}

/// Where an outbound message is in its life. Statuses only move forward: a late `delivered`
/// after `read` changes nothing, and `failed` is final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MessageStatus {
    /// Stored and queued; the API answered with its id.
    Accepted,
    /// Handed to WhatsApp.
    Sent,
    /// On the user's phone.
    Delivered,
    /// Seen by the user.
    Read,
    /// Will not be delivered; see the error.
    Failed,
    /// An inbound message: a user sent it to the business.
    Received,
}

impl MessageStatus {
    pub const ALL: &'static [MessageStatus] = &[
        Self::Accepted,
        Self::Sent,
        Self::Delivered,
        Self::Read,
        Self::Failed,
        Self::Received,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Read => "read",
            Self::Failed => "failed",
            Self::Received => "received",
        }
    }

    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        Self::ALL
            .iter()
            .copied()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| {
                ValidationError::new(
                    "status",
                    "must be accepted, sent, delivered, read, failed or received",
                )
            })
    }

    /// Whether moving from `self` to `next` is progress. `failed` can follow anything that is
    /// not yet delivered; nothing follows `failed`. Inbound messages (`received`) never move.
    pub fn can_become(self, next: MessageStatus) -> bool {
        use MessageStatus::*;
        match (self, next) {
            (Failed | Received, _) | (_, Received) => false,
            (Accepted | Sent, Failed) => true,
            (_, Failed) => false,
            (a, b) => b.rank() > a.rank(),
        }
    }

    fn rank(self) -> u8 {
        match self {
            Self::Accepted => 0,
            Self::Sent => 1,
            Self::Delivered => 2,
            Self::Read => 3,
            Self::Failed | Self::Received => 4,
        }
    }
}

/// Who a message goes to: a phone number (`to`) or a BSUID (`recipient`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    Phone {
        /// What the client sent, echoed as `contacts[0].input`.
        input: String,
        wa_id: PhoneE164,
    },
    Bsuid(Bsuid),
}

/// What a message carries (see [`crate::content`]).
pub use crate::content::Content;

/// Most bytes of `biz_opaque_callback_data`.
pub const CALLBACK_DATA_MAX_BYTES: usize = 512;

/// A send's `biz_opaque_callback_data`: any text of at most [`CALLBACK_DATA_MAX_BYTES`]
/// bytes, handed back on the message's status webhooks. Every surface parses it here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackData(String);

impl CallbackData {
    pub fn parse(s: &str) -> Result<Self, crate::error::ValidationError> {
        if s.len() > CALLBACK_DATA_MAX_BYTES {
            return Err(crate::error::ValidationError::out_of_range(
                "biz_opaque_callback_data",
                format!("must be at most {CALLBACK_DATA_MAX_BYTES} bytes"),
            ));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Command: accept an outbound message.
#[derive(Debug, Clone)]
pub struct NewOutboundMessage {
    pub id: MessageId,
    pub wamid: Wamid,
    pub account_id: AccountId,
    pub channel_id: ChannelId,
    pub recipient: Recipient,
    pub content: Content,
    pub context: Option<Wamid>,
    pub biz_opaque_callback_data: Option<String>,
    /// What the send costs, when it is billable: held from the account's wallet in the
    /// transaction that accepts it (refused, nothing stored, when the wallet cannot cover it).
    pub charge: Option<crate::billing::rates::Quote>,
    /// The campaign sending it (its progress is counted on the campaign too).
    pub campaign_id: Option<crate::ids::CampaignId>,
}

/// Why a message failed, as Meta reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageError {
    pub code: u32,
    pub title: String,
    pub details: String,
}

/// A stored message.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub id: MessageId,
    pub wamid: Wamid,
    pub account_id: AccountId,
    pub channel_id: ChannelId,
    pub direction: Direction,
    /// The user's number (digits), when known.
    pub wa_id: Option<PhoneE164>,
    pub bsuid: Option<Bsuid>,
    /// The user's WhatsApp profile name (inbound messages).
    pub profile_name: Option<String>,
    pub content: Content,
    pub status: MessageStatus,
    pub context: Option<Wamid>,
    pub biz_opaque_callback_data: Option<String>,
    pub error: Option<MessageError>,
    pub created_at: Timestamp,
    pub sent_at: Option<Timestamp>,
    pub delivered_at: Option<Timestamp>,
    pub read_at: Option<Timestamp>,
    pub failed_at: Option<Timestamp>,
    pub pricing: Option<Pricing>,
    pub conversation: Option<Conversation>,
    /// How many times the message was handed to the upstream (never more than one).
    pub handovers: u32,
    /// The message's place among its channel's messages, inbound and outbound: 1, 2, 3… in
    /// the order they were stored, gap-free and never reused (1MSG's `messageNumber`).
    pub number: u64,
    /// The campaign that sent it, if one did.
    pub campaign_id: Option<crate::ids::CampaignId>,
}

/// One step of a message's status history (1MSG's `hookInfo`): the status it moved to,
/// when, and what it carried then (the error of a failure; the pricing and conversation
/// known at that time).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusChange {
    pub status: MessageStatus,
    pub at: Timestamp,
    pub error: Option<MessageError>,
    pub pricing: Option<Pricing>,
    pub conversation: Option<Conversation>,
}

impl StatusChange {
    /// Where `status` sits in a history of changes at the same instant.
    pub fn rank(status: MessageStatus) -> usize {
        MessageStatus::ALL
            .iter()
            .position(|s| *s == status)
            .unwrap_or(usize::MAX)
    }
}

impl Message {
    /// The recipient as the outbox orders by (wa_id, else BSUID).
    pub fn recipient_key(&self) -> String {
        self.wa_id
            .as_ref()
            .map(|w| w.digits().to_owned())
            .or_else(|| self.bsuid.as_ref().map(|b| b.as_str().to_owned()))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wamids_look_like_metas_and_are_unique() {
        let to = PhoneE164::parse("+16505551234").unwrap();
        let a = Wamid::for_message(MessageId::generate(), &to);
        let b = Wamid::for_message(MessageId::generate(), &to);
        assert_ne!(a, b);
        assert!(a.as_str().starts_with("wamid.HBgL"), "{a}");
        assert_eq!(Wamid::parse_field("x", a.as_str()).unwrap(), a);
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(&a.as_str()[6..])
            .unwrap();
        assert!(decoded.windows(11).any(|w| w == b"16505551234"));
    }

    #[test]
    fn wamid_parsing() {
        assert!(
            Wamid::parse_field(
                "m",
                "wamid.HBgLMTY0NjcwNDM1OTUVAgARGBI4MjZGRDA0OUE2OTQ3RkEyMzcA"
            )
            .is_ok()
        );
        for bad in [
            "",
            "wamid.",
            "HBgL",
            "wamid.has space",
            &format!("wamid.{}", "A".repeat(300)),
        ] {
            assert!(Wamid::parse_field("m", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bsuids() {
        assert!(Bsuid::parse_field("r", "US.13491208655302741918").is_ok());
        for bad in ["US13491208655302741918", "us.1", "USA.1", "US.", "US.12 3"] {
            assert!(Bsuid::parse_field("r", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn statuses_never_regress() {
        use MessageStatus::*;
        assert!(Accepted.can_become(Sent));
        assert!(Sent.can_become(Read), "a missed delivered is fine");
        assert!(!Read.can_become(Delivered));
        assert!(!Delivered.can_become(Delivered));
        assert!(Sent.can_become(Failed));
        assert!(!Delivered.can_become(Failed));
        for s in MessageStatus::ALL {
            assert!(!Failed.can_become(*s));
            assert_eq!(MessageStatus::parse(s.as_str()).unwrap(), *s);
        }
    }
}

#[cfg(test)]
mod callback_data_tests {
    use super::*;

    #[test]
    fn callback_data_is_at_most_512_bytes() {
        assert_eq!(CallbackData::parse("order-7").unwrap().as_str(), "order-7");
        assert!(CallbackData::parse(&"x".repeat(CALLBACK_DATA_MAX_BYTES)).is_ok());
        let err = CallbackData::parse(&"é".repeat(257)).unwrap_err();
        assert_eq!(err.field, "biz_opaque_callback_data");
    }
}
