//! Groups of a business number (Meta's Groups API) on sandbox channels: create, read,
//! update, delete, invite links, participants and join requests, and what the simulated
//! network's users do (join with a link, ask to join, leave, write in the group).
//!
//! Meta creates a group asynchronously: the create answers a `request_id`, and the group's
//! id and invite link come in a `group_lifecycle_update` webhook. wagate stores the group at
//! once and records that webhook in the same transaction, so the durable webhook engine
//! delivers it once its worker runs — as late as Meta's, never lost.
//!
//! A group belongs to the channel it was created on. Its id alone names it on
//! `/{group_id}`: another account's group, or one of a channel the key may not use, answers
//! "Group unknown" (131041), like one that never was. Every refusal stores nothing.
//!
//! # Layout
//! - this file: the business's side (the Cloud plane's endpoints).
//! - [`network`]: the users' side (the sandbox plane).
//! - [`messages`]: the rules of a message to a group.

pub mod messages;
pub mod network;

use wagate_core::channel::Channel;
use wagate_core::error::ErrorCode;
use wagate_core::group::events::GroupEvents;
use wagate_core::group::{
    Group, GroupId, GroupInfo, GroupPatch, InviteCode, JoinRequest, JoinRequestId,
    MAX_GROUPS_PER_NUMBER, MAX_PARTICIPANTS, NewGroup,
};
use wagate_core::phone::PhoneE164;
use wagate_store::{Entity, Page, StoreError};

use crate::error::{Error, Result};
use crate::{App, Principal};

/// Draws of a fresh id and invite code before giving up.
const DRAWS: usize = 3;

/// A request id as Meta's group calls answer them (and their webhooks repeat).
pub fn request_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// A participant's business-scoped user id (BSUID) as the number's WABA sees them, which
/// Meta lists with each participant's `wa_id` (and pywa requires).
pub fn participant_user_id(channel: &Channel, wa_id: &PhoneE164) -> String {
    wagate_upstream::sandbox::bsuid_for(&channel.waba_id, wa_id)
        .as_str()
        .to_owned()
}

/// Whether join requests are approved or rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Reject,
}

impl App {
    /// Creates a group on `channel` (a sandbox number) and records its
    /// `group_lifecycle_update`; answers the request id the webhook repeats.
    #[tracing::instrument(skip_all, fields(channel_id = %channel.id))]
    pub async fn create_group(
        &self,
        _p: &Principal,
        channel: &Channel,
        new: NewGroup,
    ) -> Result<(String, Group)> {
        let request = request_id();
        let at = self.now();
        for _ in 0..DRAWS {
            let group = Group {
                id: GroupId::generate(&channel.display_phone_number),
                account_id: channel.account_id,
                channel_id: channel.id,
                subject: new.subject.clone(),
                description: new.description.clone(),
                join_approval_mode: new.join_approval_mode,
                invite_code: InviteCode::generate(),
                suspended: false,
                created_at: at,
                updated_at: at,
            };
            let events = vec![GroupEvents { channel, at }.created(&group, &request)];
            match self
                .store
                .create_group(group, MAX_GROUPS_PER_NUMBER, events)
                .await
            {
                Ok(group) => return Ok((request, group)),
                Err(StoreError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::Failed(
            ErrorCode::Internal,
            "no free group id was found; try again".to_owned(),
        ))
    }

    /// The channel's groups in id order, each with its participants.
    pub async fn list_groups(
        &self,
        _p: &Principal,
        channel: &Channel,
        page: &Page<GroupId>,
    ) -> Result<Vec<GroupInfo>> {
        let groups = self
            .store
            .list_groups(channel.account_id, channel.id, page)
            .await?;
        let mut out = Vec::with_capacity(groups.len());
        for g in groups {
            // A group deleted since the page was read is left out.
            match self.store.get_group(channel.account_id, &g.id).await {
                Ok(info) => out.push(info),
                Err(StoreError::NotFound(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(out)
    }

    /// One of the caller's groups with its participants, and its channel.
    pub async fn get_group(&self, p: &Principal, id: &GroupId) -> Result<(GroupInfo, Channel)> {
        let info = self.store.get_group(p.account_id, id).await?;
        if !p.can_use(info.group.channel_id) {
            return Err(StoreError::NotFound(Entity::Group).into());
        }
        let channel = self
            .store
            .get_channel(p.account_id, info.group.channel_id)
            .await?;
        Ok((info, channel))
    }

    /// Changes the subject or description and records `group_settings_update`.
    #[tracing::instrument(skip_all, fields(group_id = %id))]
    pub async fn update_group(
        &self,
        p: &Principal,
        id: &GroupId,
        patch: GroupPatch,
    ) -> Result<String> {
        let (info, channel) = self.get_group(p, id).await?;
        let at = self.now();
        let request = request_id();
        let events = vec![
            GroupEvents {
                channel: &channel,
                at,
            }
            .settings(&info.group, &request, &patch),
        ];
        self.store
            .update_group(p.account_id, id, &patch, at, events)
            .await?;
        Ok(request)
    }

    /// Deletes the group (every participant leaves it) and records `group_lifecycle_update`.
    #[tracing::instrument(skip_all, fields(group_id = %id))]
    pub async fn delete_group(&self, p: &Principal, id: &GroupId) -> Result<String> {
        let (info, channel) = self.get_group(p, id).await?;
        let at = self.now();
        let request = request_id();
        let events = vec![
            GroupEvents {
                channel: &channel,
                at,
            }
            .deleted(&info.group, &request),
        ];
        self.store.delete_group(p.account_id, id, events).await?;
        Ok(request)
    }

    /// A new invite link; the old one stops working.
    #[tracing::instrument(skip_all, fields(group_id = %id))]
    pub async fn reset_group_invite(&self, p: &Principal, id: &GroupId) -> Result<Group> {
        self.get_group(p, id).await?;
        for _ in 0..DRAWS {
            match self
                .store
                .reset_group_invite(p.account_id, id, &InviteCode::generate(), self.now())
                .await
            {
                Err(StoreError::Conflict { .. }) => continue,
                other => return Ok(other?),
            }
        }
        Err(Error::Failed(
            ErrorCode::Internal,
            "no free invite code was found; try again".to_owned(),
        ))
    }

    /// Removes users (as the request named them, with their numbers), all or none, and
    /// records `group_participants_update`.
    #[tracing::instrument(skip_all, fields(group_id = %id))]
    pub async fn remove_group_participants(
        &self,
        p: &Principal,
        id: &GroupId,
        users: Vec<(String, PhoneE164)>,
    ) -> Result<String> {
        let (info, channel) = self.get_group(p, id).await?;
        let at = self.now();
        let request = request_id();
        let events = vec![
            GroupEvents {
                channel: &channel,
                at,
            }
            .removed(&info.group, &request, &users),
        ];
        let wa_ids: Vec<PhoneE164> = users.into_iter().map(|(_, w)| w).collect();
        self.store
            .remove_group_participants(p.account_id, id, &wa_ids, events)
            .await?;
        Ok(request)
    }

    /// The group's pending join requests, oldest first, and its channel.
    pub async fn list_join_requests(
        &self,
        p: &Principal,
        id: &GroupId,
    ) -> Result<(Vec<JoinRequest>, Channel)> {
        let (_, channel) = self.get_group(p, id).await?;
        Ok((
            self.store.list_join_requests(p.account_id, id).await?,
            channel,
        ))
    }

    /// Approves (the users join; `group_participants_update` with `group_participants_add`)
    /// or rejects pending join requests, all or none.
    #[tracing::instrument(skip_all, fields(group_id = %id))]
    pub async fn decide_join_requests(
        &self,
        p: &Principal,
        id: &GroupId,
        requests: &[JoinRequestId],
        decision: Decision,
    ) -> Result<Vec<JoinRequest>> {
        let (info, channel) = self.get_group(p, id).await?;
        let pending = self.store.list_join_requests(p.account_id, id).await?;
        let at = self.now();
        let events = GroupEvents {
            channel: &channel,
            at,
        };
        let events = match decision {
            Decision::Approve => requests
                .iter()
                .filter_map(|r| pending.iter().find(|q| q.id == *r))
                .map(|q| events.joined(&info.group, &q.wa_id, "join_request"))
                .collect(),
            Decision::Reject => Vec::new(),
        };
        Ok(self
            .store
            .decide_join_requests(
                p.account_id,
                id,
                requests,
                (decision == Decision::Approve).then_some(MAX_PARTICIPANTS),
                at,
                events,
            )
            .await?)
    }
}
