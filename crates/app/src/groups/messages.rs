//! The rules of a message to a group (`recipient_type: "group"`): Meta takes text, media
//! (image, video, audio, document, sticker) and templates; other types are refused with
//! "Unsupported message type" (131051). The group must be one of the sending number's,
//! not suspended (131207), and have someone besides the business in it (131020, "Bad
//! Group"). Checked before anything is stored.

use wagate_core::channel::Channel;
use wagate_core::content::{Content, MessageType};
use wagate_core::error::ErrorCode;
use wagate_core::group::{GroupId, GroupInfo};

use crate::App;
use crate::error::{Error, Result};

/// Whether a group takes messages of `kind`.
pub fn group_message_type(kind: MessageType) -> bool {
    matches!(
        kind,
        MessageType::Text
            | MessageType::Image
            | MessageType::Video
            | MessageType::Audio
            | MessageType::Document
            | MessageType::Sticker
            | MessageType::Template
    )
}

impl App {
    /// The group `content` may go to from `channel`, with its participants (the message's
    /// recipients), or why not.
    pub async fn check_group_send(
        &self,
        channel: &Channel,
        id: &GroupId,
        content: &Content,
    ) -> Result<GroupInfo> {
        if !group_message_type(content.kind()) {
            return Err(Error::Refused(
                ErrorCode::GroupMessageTypeUnsupported,
                "groups take text, media (image, video, audio, document, sticker) and \
                 template messages only",
            ));
        }
        let info = self.store.get_group(channel.account_id, id).await?;
        if info.group.channel_id != channel.id {
            return Err(wagate_store::StoreError::NotFound(wagate_store::Entity::Group).into());
        }
        if info.group.suspended {
            return Err(Error::Refused(
                ErrorCode::GroupSuspended,
                "the group is suspended for a policy violation",
            ));
        }
        if info.participants.is_empty() {
            return Err(Error::Refused(
                ErrorCode::GroupSingleMember,
                "nobody has joined the group yet: messages to single-member groups are refused",
            ));
        }
        Ok(info)
    }
}
