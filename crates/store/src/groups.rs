//! Stored groups (Meta's Groups API): one row per group, owned by one phone number (channel)
//! of one account, with its participants and pending join requests. A group's id and its
//! invite code are unique across every account.
//!
//! Every write that Meta reports by webhook takes the events to record in its transaction,
//! and records them only when it changes something: a refused write stores nothing. Lists
//! are keyset-paged by group id. A deleted group is gone at once, with its participants and
//! requests: its id and invite link answer "unknown" from then on.

use async_trait::async_trait;
use wagate_core::Timestamp;
use wagate_core::group::{
    Group, GroupDescription, GroupId, GroupInfo, GroupPatch, GroupSubject, InviteCode,
    JoinApprovalMode, JoinRequest, JoinRequestId, Participant,
};
use wagate_core::ids::{AccountId, ChannelId};
use wagate_core::phone::PhoneE164;
use wagate_core::webhook::WebhookEvent;

use crate::error::StoreError;
use crate::{Page, Result};

/// Groups (see [`groups`](self)). Another account's group is `NotFound(Group)`, like one
/// that does not exist; a rule a write breaks is `StoreError::Group` with Meta's reason.
/// Part of [`Store`](crate::Store).
#[async_trait]
pub trait GroupStore: Send + Sync {
    /// Stores a new group and records `events`, unless its channel has `cap` groups already
    /// (`Group(CreateLimitReached)`). `Conflict(GeneratedId)` when its id or invite code
    /// exists (the caller draws again).
    async fn create_group(
        &self,
        group: Group,
        cap: u32,
        events: Vec<WebhookEvent>,
    ) -> Result<Group>;
    /// One of the account's groups, with its participants in joining order.
    async fn get_group(&self, account: AccountId, id: &GroupId) -> Result<GroupInfo>;
    /// Any account's group whose current invite code is `code`.
    async fn find_group_by_invite(&self, code: &InviteCode) -> Result<Group>;
    /// The channel's groups in id order; `page.after` continues after that id.
    async fn list_groups(
        &self,
        account: AccountId,
        channel: ChannelId,
        page: &Page<GroupId>,
    ) -> Result<Vec<Group>>;
    /// Applies `patch` (`updated_at` becomes `at`) and records `events`.
    async fn update_group(
        &self,
        account: AccountId,
        id: &GroupId,
        patch: &GroupPatch,
        at: Timestamp,
        events: Vec<WebhookEvent>,
    ) -> Result<Group>;
    /// Suspends the group or lifts its suspension; records `events` when that changes it.
    async fn set_group_suspended(
        &self,
        account: AccountId,
        id: &GroupId,
        suspended: bool,
        at: Timestamp,
        events: Vec<WebhookEvent>,
    ) -> Result<Group>;
    /// Gives the group a new invite code: the old one stops working.
    async fn reset_group_invite(
        &self,
        account: AccountId,
        id: &GroupId,
        code: &InviteCode,
        at: Timestamp,
    ) -> Result<Group>;
    /// Deletes the group, its participants and join requests, and records `events`.
    async fn delete_group(
        &self,
        account: AccountId,
        id: &GroupId,
        events: Vec<WebhookEvent>,
    ) -> Result<()>;
    /// `wa_id` joins the group (and any join request of theirs goes): `Ok(true)` and
    /// `events` recorded; `Ok(false)` when they are in already (nothing recorded);
    /// `Group(ParticipantOverlimit)` when the group has `cap` participants.
    async fn join_group(
        &self,
        id: &GroupId,
        wa_id: &PhoneE164,
        at: Timestamp,
        cap: usize,
        events: Vec<WebhookEvent>,
    ) -> Result<bool>;
    /// Removes every user of `wa_ids` from one of the account's groups, or none of them:
    /// `Group(NotAParticipant)` when one is not in it.
    async fn remove_group_participants(
        &self,
        account: AccountId,
        id: &GroupId,
        wa_ids: &[PhoneE164],
        events: Vec<WebhookEvent>,
    ) -> Result<()>;
    /// Stores a pending join request and records `events`; a user with a pending request
    /// gets theirs back (nothing recorded).
    async fn create_join_request(
        &self,
        id: &GroupId,
        request: JoinRequest,
        events: Vec<WebhookEvent>,
    ) -> Result<JoinRequest>;
    /// The group's pending join requests, oldest first.
    async fn list_join_requests(
        &self,
        account: AccountId,
        id: &GroupId,
    ) -> Result<Vec<JoinRequest>>;
    /// Approves (`approve_within: Some(cap)`: the users join, within `cap` participants) or
    /// rejects (`None`) pending requests, all or none: `Group(JoinRequestUnknown)` when one
    /// is not pending, `Group(ParticipantOverlimit)` when approving them would pass `cap`.
    /// Records `events`.
    async fn decide_join_requests(
        &self,
        account: AccountId,
        id: &GroupId,
        requests: &[JoinRequestId],
        approve_within: Option<usize>,
        at: Timestamp,
        events: Vec<WebhookEvent>,
    ) -> Result<Vec<JoinRequest>>;
}

/// The group columns, in [`GroupRecord`] order.
#[macro_export]
macro_rules! group_columns {
    () => {
        "id, account_id, channel_id, subject, description, join_approval_mode, invite_code, \
         suspended, created_at, updated_at"
    };
}

/// A stored group row, as both backends read it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GroupRecord {
    pub id: String,
    pub account_id: uuid::Uuid,
    pub channel_id: uuid::Uuid,
    pub subject: String,
    pub description: String,
    pub join_approval_mode: String,
    pub invite_code: String,
    pub suspended: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

fn corrupt(what: &'static str) -> impl Fn(String) -> StoreError {
    move |detail| StoreError::Corrupt { what, detail }
}

fn at(ms: i64) -> Result<Timestamp> {
    Timestamp::from_millisecond(ms).map_err(|e| corrupt("group")(format!("time: {e}")))
}

impl TryFrom<GroupRecord> for Group {
    type Error = StoreError;

    fn try_from(r: GroupRecord) -> Result<Self, StoreError> {
        let bad = corrupt("group");
        Ok(Self {
            id: GroupId::parse(&r.id).map_err(|e| bad(e.to_string()))?,
            account_id: AccountId::from_uuid(r.account_id),
            channel_id: ChannelId::from_uuid(r.channel_id),
            subject: GroupSubject::parse(&r.subject).map_err(|e| bad(e.to_string()))?,
            description: GroupDescription::parse(&r.description).map_err(|e| bad(e.to_string()))?,
            join_approval_mode: JoinApprovalMode::parse(&r.join_approval_mode)
                .map_err(|e| bad(e.to_string()))?,
            invite_code: InviteCode::parse(&r.invite_code).map_err(|e| bad(e.to_string()))?,
            suspended: r.suspended,
            created_at: at(r.created_at)?,
            updated_at: at(r.updated_at)?,
        })
    }
}

/// A stored participant row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ParticipantRecord {
    pub wa_id: String,
    pub joined_at: i64,
}

impl TryFrom<ParticipantRecord> for Participant {
    type Error = StoreError;

    fn try_from(r: ParticipantRecord) -> Result<Self, StoreError> {
        Ok(Self {
            wa_id: PhoneE164::parse_field("wa_id", &r.wa_id)
                .map_err(|e| corrupt("group participant")(e.to_string()))?,
            joined_at: at(r.joined_at)?,
        })
    }
}

/// A stored join request row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JoinRequestRecord {
    pub id: String,
    pub wa_id: String,
    pub created_at: i64,
}

impl TryFrom<JoinRequestRecord> for JoinRequest {
    type Error = StoreError;

    fn try_from(r: JoinRequestRecord) -> Result<Self, StoreError> {
        let bad = corrupt("group join request");
        Ok(Self {
            id: JoinRequestId::parse(&r.id).map_err(|e| bad(e.to_string()))?,
            wa_id: PhoneE164::parse_field("wa_id", &r.wa_id).map_err(|e| bad(e.to_string()))?,
            created_at: at(r.created_at)?,
        })
    }
}
