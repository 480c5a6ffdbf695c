//! The users' side of sandbox groups: a virtual user opens an invite link (and joins, or
//! asks to join a group that needs approval), leaves, or the network suspends a group.

use wagate_core::channel::Channel;
use wagate_core::group::events::GroupEvents;
use wagate_core::group::{
    Group, GroupId, GroupRefusal, InviteCode, JoinApprovalMode, JoinRequest, JoinRequestId,
    MAX_PARTICIPANTS,
};
use wagate_core::phone::PhoneE164;
use wagate_store::{Entity, StoreError};

use crate::error::Result;
use crate::{App, Principal};

/// What opening an invite link did.
#[derive(Debug, Clone)]
pub enum Joined {
    /// The user is in the group now (`group_participants_add` recorded).
    Joined(Group),
    /// The user was in the group already: nothing changed.
    AlreadyIn(Group),
    /// The group needs approval: the user's pending request.
    Requested(Group, JoinRequest),
}

impl App {
    /// `wa_id` opens `code`, an invite link of one of `channel`'s groups. A link of no
    /// group, of a group of another number, or one that was reset, is refused.
    #[tracing::instrument(skip_all, fields(channel_id = %channel.id))]
    pub async fn join_group_by_invite(
        &self,
        _p: &Principal,
        channel: &Channel,
        code: &InviteCode,
        wa_id: &PhoneE164,
    ) -> Result<Joined> {
        let invalid = || StoreError::Group(GroupRefusal::InviteLinkInvalid);
        let group = match self.store.find_group_by_invite(code).await {
            Ok(g) if g.channel_id == channel.id => g,
            Ok(_) | Err(StoreError::NotFound(_)) => return Err(invalid().into()),
            Err(e) => return Err(e.into()),
        };
        let at = self.now();
        let events = GroupEvents { channel, at };
        match group.join_approval_mode {
            JoinApprovalMode::AutoApprove => {
                let joined = self
                    .store
                    .join_group(
                        &group.id,
                        wa_id,
                        at,
                        MAX_PARTICIPANTS,
                        vec![events.joined(&group, wa_id, "invite_link")],
                    )
                    .await?;
                Ok(if joined {
                    Joined::Joined(group)
                } else {
                    Joined::AlreadyIn(group)
                })
            }
            JoinApprovalMode::ApprovalRequired => {
                let info = self.store.get_group(group.account_id, &group.id).await?;
                if info.participants.iter().any(|p| p.wa_id == *wa_id) {
                    return Ok(Joined::AlreadyIn(group));
                }
                let request = JoinRequest {
                    id: JoinRequestId::generate(),
                    wa_id: wa_id.clone(),
                    created_at: at,
                };
                let event = events.join_requested(&group, &request);
                let request = self
                    .store
                    .create_join_request(&group.id, request, vec![event])
                    .await?;
                Ok(Joined::Requested(group, request))
            }
        }
    }

    /// `wa_id` leaves one of `channel`'s groups (`group_participants_remove`, initiated by
    /// the participant).
    #[tracing::instrument(skip_all, fields(channel_id = %channel.id, group_id = %id))]
    pub async fn leave_group(
        &self,
        _p: &Principal,
        channel: &Channel,
        id: &GroupId,
        wa_id: &PhoneE164,
    ) -> Result<()> {
        let group = self.channel_group(channel, id).await?;
        let events = vec![
            GroupEvents {
                channel,
                at: self.now(),
            }
            .left(&group, wa_id),
        ];
        Ok(self
            .store
            .remove_group_participants(channel.account_id, id, std::slice::from_ref(wa_id), events)
            .await?)
    }

    /// The network suspends one of `channel`'s groups for a policy violation, or lifts the
    /// suspension (`group_status_update`).
    #[tracing::instrument(skip_all, fields(channel_id = %channel.id, group_id = %id))]
    pub async fn suspend_group(
        &self,
        _p: &Principal,
        channel: &Channel,
        id: &GroupId,
        suspended: bool,
    ) -> Result<Group> {
        let group = self.channel_group(channel, id).await?;
        let at = self.now();
        let events = vec![GroupEvents { channel, at }.status(&group, suspended)];
        Ok(self
            .store
            .set_group_suspended(channel.account_id, id, suspended, at, events)
            .await?)
    }

    /// One of `channel`'s groups; any other is unknown.
    pub(crate) async fn channel_group(&self, channel: &Channel, id: &GroupId) -> Result<Group> {
        let info = self.store.get_group(channel.account_id, id).await?;
        if info.group.channel_id != channel.id {
            return Err(StoreError::NotFound(Entity::Group).into());
        }
        Ok(info.group)
    }
}

impl App {
    /// A participant writes `text` in one of `channel`'s groups: a `messages` webhook whose
    /// message carries the `group_id`, as Meta reports messages written in a group. A user
    /// who is not in the group, or a suspended group, is refused. Like group sends, it is
    /// reported by webhook only, not a row of the message log. Answers the message's id.
    #[tracing::instrument(skip_all, fields(channel_id = %channel.id, group_id = %id))]
    pub async fn group_inbound(
        &self,
        channel: &Channel,
        id: &GroupId,
        from: &PhoneE164,
        text: &str,
    ) -> Result<wagate_core::message::Wamid> {
        use serde_json::json;
        use wagate_core::ids::{EventId, MessageId};
        use wagate_core::webhook::{EventData, EventField, WebhookEvent};

        let info = self.store.get_group(channel.account_id, id).await?;
        if info.group.channel_id != channel.id {
            return Err(StoreError::NotFound(Entity::Group).into());
        }
        if !info.participants.iter().any(|p| p.wa_id == *from) {
            return Err(StoreError::Group(GroupRefusal::NotAParticipant).into());
        }
        if info.group.suspended {
            return Err(crate::error::Error::Refused(
                wagate_core::error::ErrorCode::GroupSuspended,
                "the group is suspended for a policy violation",
            ));
        }
        let wamid = wagate_core::message::Wamid::for_message(MessageId::generate(), from);
        let at = self.now();
        let value = json!({
            "messaging_product": "whatsapp",
            "metadata": {
                "display_phone_number": channel.display_phone_number.digits(),
                "phone_number_id": channel.phone_number_id.as_str(),
            },
            "contacts": [{
                "profile": {"name": wagate_upstream::sandbox::default_name(from)},
                "wa_id": from.digits(),
                "user_id": super::participant_user_id(channel, from),
            }],
            "messages": [{
                "from": from.digits(),
                "id": wamid.as_str(),
                "timestamp": at.as_second().to_string(),
                "type": "text",
                "text": {"body": text},
                "group_id": id.as_str(),
            }],
        });
        self.store
            .record_events(vec![WebhookEvent {
                id: EventId::generate(),
                account_id: channel.account_id,
                channel_id: Some(channel.id),
                occurred_at: at,
                data: EventData::Other {
                    field: EventField::Messages,
                    value,
                },
            }])
            .await?;
        Ok(wamid)
    }
}
