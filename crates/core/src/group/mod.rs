//! Groups of a business number (Meta's Groups API): invite-only groups of at most
//! [`MAX_PARTICIPANTS`] WhatsApp users and the business, which created them. Nobody is added
//! by the business: users join with the group's invite link, or ask to join when the group
//! needs approval; the business can remove them, reset the link (the old one stops working)
//! and delete the group.
//!
//! - [`GroupId`]: Meta's opaque group id, base64 text (`Y2FwaV9ncm91cDo…`).
//! - [`GroupSubject`] (1 to 128 characters), [`GroupDescription`] (at most 2048).
//! - [`JoinApprovalMode`]: `auto_approve` (the default) or `approval_required`.
//! - [`InviteCode`]: the code of `https://chat.whatsapp.com/{code}`.
//! - [`Group`], [`Participant`], [`JoinRequest`]: what is stored.
//! - [`events`]: the `group_*` webhook values.

pub mod events;

use std::fmt;

use base64::Engine;
use rand::Rng;

use crate::Timestamp;
use crate::error::ValidationError;
use crate::ids::{AccountId, ChannelId};
use crate::phone::PhoneE164;
use crate::text::bounded;

/// Meta's cap on a group's participants (the business not counted).
pub const MAX_PARTICIPANTS: usize = 8;
/// Meta's cap on the groups one business number has (not deleted).
pub const MAX_GROUPS_PER_NUMBER: u32 = 10_000;
/// Meta's cap on the participants one removal names.
pub const MAX_REMOVALS: usize = MAX_PARTICIPANTS;
/// Where invite links point.
pub const INVITE_LINK_PREFIX: &str = "https://chat.whatsapp.com/";

/// Characters of a generated invite code (WhatsApp's are 22 letters and digits).
const CODE_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

fn random_text(len: usize, alphabet: &[u8]) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| alphabet[rng.random_range(0..alphabet.len())] as char)
        .collect()
}

/// A group's id as Meta writes it: base64 of `capi_group:{business number}:{id}`, which
/// clients treat as opaque text. Parsing accepts any 8 to 128 base64 (or base64url)
/// characters, so an id of another shape is "unknown", never a crash.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupId(String);

impl GroupId {
    /// A fresh id for a group of `business` (the number's digits).
    pub fn generate(business: &PhoneE164) -> Self {
        let n = random_text(18, b"0123456789");
        let raw = format!("capi_group:{}:{n}", business.digits());
        Self(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw))
    }

    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        let ok = (8..=128).contains(&s.len())
            && s.bytes().all(|b| {
                b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_' | b'=')
            });
        if !ok {
            return Err(ValidationError::new("group_id", "is not a group id"));
        }
        Ok(Self(s.to_owned()))
    }

    /// Whether `s` has the shape of a group id Meta gives (`capi_group:` in base64), so that
    /// `/{object_id}` routes can tell a group from a phone number or template id.
    pub fn looks_like(s: &str) -> bool {
        s.starts_with("Y2FwaV9ncm91cD") && Self::parse(s).is_ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for GroupId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A group's subject (its name): trimmed, 1 to 128 characters, one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupSubject(String);

impl GroupSubject {
    pub const MAX_CHARS: usize = 128;

    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        if s.trim().is_empty() {
            return Err(ValidationError::missing("subject", "is required"));
        }
        bounded("subject", s, 1, Self::MAX_CHARS, false)
            .map(Self)
            .map_err(|e| ValidationError::out_of_range(e.field, e.message))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A group's description: trimmed, at most 2048 characters, newlines allowed; may be empty
/// (no description).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDescription(String);

impl GroupDescription {
    pub const MAX_CHARS: usize = 2048;

    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        if s.trim().is_empty() {
            return Ok(Self(String::new()));
        }
        bounded("description", s, 1, Self::MAX_CHARS, true)
            .map(Self)
            .map_err(|e| ValidationError::out_of_range(e.field, e.message))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Whether users who open the invite link join at once or ask to join.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JoinApprovalMode {
    #[default]
    AutoApprove,
    ApprovalRequired,
}

impl JoinApprovalMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AutoApprove => "auto_approve",
            Self::ApprovalRequired => "approval_required",
        }
    }

    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        match s {
            "auto_approve" => Ok(Self::AutoApprove),
            "approval_required" => Ok(Self::ApprovalRequired),
            _ => Err(ValidationError::new(
                "join_approval_mode",
                "must be auto_approve or approval_required",
            )),
        }
    }
}

/// The code of a group's invite link: 22 letters and digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InviteCode(String);

impl InviteCode {
    pub const LEN: usize = 22;

    pub fn generate() -> Self {
        Self(random_text(Self::LEN, CODE_ALPHABET))
    }

    /// A code, or a link `https://chat.whatsapp.com/{code}` (with or without the scheme).
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        let s = s.trim();
        let code = s
            .strip_prefix(INVITE_LINK_PREFIX)
            .or_else(|| s.strip_prefix("chat.whatsapp.com/"))
            .unwrap_or(s);
        if code.len() != Self::LEN || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(ValidationError::new(
                "invite_link",
                "is not a group invite link (https://chat.whatsapp.com/ and a 22-character code)",
            ));
        }
        Ok(Self(code.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn link(&self) -> String {
        format!("{INVITE_LINK_PREFIX}{}", self.0)
    }
}

/// A group of one business number.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub id: GroupId,
    pub account_id: AccountId,
    pub channel_id: ChannelId,
    pub subject: GroupSubject,
    pub description: GroupDescription,
    pub join_approval_mode: JoinApprovalMode,
    pub invite_code: InviteCode,
    /// Meta's policy enforcement: a suspended group takes no messages.
    pub suspended: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A WhatsApp user in a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participant {
    pub wa_id: PhoneE164,
    pub joined_at: Timestamp,
}

/// A user's request to join a group that needs approval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinRequest {
    pub id: JoinRequestId,
    pub wa_id: PhoneE164,
    pub created_at: Timestamp,
}

/// A join request's id: digits, as Meta's.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JoinRequestId(String);

impl JoinRequestId {
    pub fn generate() -> Self {
        Self(
            random_text(16, b"0123456789")
                .trim_start_matches('0')
                .to_owned()
                + "1",
        )
    }

    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        if s.is_empty() || s.len() > 20 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ValidationError::new(
                "join_requests",
                "is not a join request id",
            ));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A group with its participants, as a read answers it.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupInfo {
    pub group: Group,
    pub participants: Vec<Participant>,
}

/// A create: what the client asked for.
#[derive(Debug, Clone)]
pub struct NewGroup {
    pub subject: GroupSubject,
    pub description: GroupDescription,
    pub join_approval_mode: JoinApprovalMode,
}

/// An update: the fields to change (at least one).
#[derive(Debug, Clone, Default)]
pub struct GroupPatch {
    pub subject: Option<GroupSubject>,
    pub description: Option<GroupDescription>,
}

impl GroupPatch {
    pub fn is_empty(&self) -> bool {
        self.subject.is_none() && self.description.is_none()
    }
}

/// Why a group operation is refused, as Meta answers each (Groups API error codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupRefusal {
    /// 131211: the number has [`MAX_GROUPS_PER_NUMBER`] groups.
    CreateLimitReached,
    /// 131204: the group has [`MAX_PARTICIPANTS`] participants.
    ParticipantOverlimit,
    /// 131212: a user to remove is not in the group.
    NotAParticipant,
    /// The invite link is not the group's current one (reset, or never was).
    InviteLinkInvalid,
    /// A join request that is not pending (approved, rejected, revoked, never made).
    JoinRequestUnknown,
}

impl GroupRefusal {
    pub fn code(self) -> crate::error::ErrorCode {
        use crate::error::ErrorCode;
        match self {
            Self::CreateLimitReached => ErrorCode::GroupCreateLimitReached,
            Self::ParticipantOverlimit => ErrorCode::GroupParticipantOverlimit,
            Self::NotAParticipant => ErrorCode::GroupParticipantNotFound,
            Self::InviteLinkInvalid => ErrorCode::GroupInviteLinkInvalid,
            Self::JoinRequestUnknown => ErrorCode::JoinRequestNotFound,
        }
    }

    /// What the API user reads.
    pub fn message(self) -> &'static str {
        match self {
            Self::CreateLimitReached => {
                "the phone number has 10000 groups, Meta's limit; delete one to create another"
            }
            Self::ParticipantOverlimit => "the group has 8 participants, Meta's limit",
            Self::NotAParticipant => {
                "a user in `participants` is not in the group; nobody was removed"
            }
            Self::InviteLinkInvalid => {
                "the invite link is not a group's current link of this phone number (reset, \
                 deleted, or never was)"
            }
            Self::JoinRequestUnknown => {
                "a join request in `join_requests` is not pending; none was decided"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ValidationKind;

    #[test]
    fn group_ids_are_metas_shape() {
        let wa = PhoneE164::parse_field("to", "15550001234").unwrap();
        let id = GroupId::generate(&wa);
        assert!(GroupId::looks_like(id.as_str()), "{id}");
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(id.as_str())
            .unwrap();
        assert!(
            String::from_utf8(raw)
                .unwrap()
                .starts_with("capi_group:15550001234:")
        );
        assert!(GroupId::parse("short").is_err());
        assert!(GroupId::parse("has spaces in it").is_err());
        assert!(!GroupId::looks_like("106540352242922"));
    }

    #[test]
    fn subject_and_description_limits() {
        assert_eq!(GroupSubject::parse(" Hi ").unwrap().as_str(), "Hi");
        assert_eq!(
            GroupSubject::parse("").unwrap_err().kind,
            ValidationKind::Missing
        );
        assert!(GroupSubject::parse(&"x".repeat(128)).is_ok());
        assert_eq!(
            GroupSubject::parse(&"x".repeat(129)).unwrap_err().kind,
            ValidationKind::OutOfRange
        );
        assert!(GroupDescription::parse(&"é".repeat(2048)).is_ok());
        assert_eq!(
            GroupDescription::parse(&"x".repeat(2049)).unwrap_err().kind,
            ValidationKind::OutOfRange
        );
        assert!(GroupDescription::parse("").unwrap().is_empty());
    }

    #[test]
    fn invite_links_and_codes() {
        let code = InviteCode::generate();
        assert_eq!(InviteCode::parse(&code.link()).unwrap(), code);
        assert_eq!(InviteCode::parse(code.as_str()).unwrap(), code);
        assert!(InviteCode::parse("https://chat.whatsapp.com/short").is_err());
        assert!(InviteCode::parse("https://evil.example/AAAAAAAAAAAAAAAAAAAAAA").is_err());
    }

    #[test]
    fn join_approval_modes() {
        for m in [
            JoinApprovalMode::AutoApprove,
            JoinApprovalMode::ApprovalRequired,
        ] {
            assert_eq!(JoinApprovalMode::parse(m.as_str()).unwrap(), m);
        }
        assert!(JoinApprovalMode::parse("maybe").is_err());
        assert!(JoinRequestId::parse(JoinRequestId::generate().as_str()).is_ok());
    }
}
