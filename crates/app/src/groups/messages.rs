//! The rules of a message to a group (`recipient_type: "group"`): Meta takes text, media
//! (image, video, audio, document, sticker) and templates; other types are refused with
//! "Unsupported message type" (131051). The group must be one of the sending number's,
//! not suspended (131207), and have someone besides the business in it (131020, "Bad
//! Group"). Checked before anything is stored.
//!
//! The sandbox hands a group message over when it is accepted and reports its statuses as
//! webhook events; it is not a row of the message log (nor billed, nor in the outbox), as
//! one message to many users fits none of the log's one-recipient columns.

use serde_json::{Map, Value, json};
use wagate_core::channel::Channel;
use wagate_core::content::{Content, MessageType};
use wagate_core::error::ErrorCode;
use wagate_core::group::{GroupId, GroupInfo};
use wagate_core::ids::{EventId, MessageId};
use wagate_core::message::Wamid;
use wagate_core::phone::PhoneE164;
use wagate_core::webhook::{EventData, EventField, WebhookEvent};

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

/// A message to a group, as parsed from a send.
#[derive(Debug, Clone)]
pub struct GroupSend {
    pub group_id: GroupId,
    pub content: Content,
    pub biz_opaque_callback_data: Option<String>,
}

impl App {
    /// Sends `send` from `channel` (a sandbox number) to one of its groups: refused, with
    /// nothing stored, unless [`App::check_group_send`] passes. The simulated network hands
    /// it over at once: one `sent` status for the group, then one `delivered` status per
    /// participant (`recipient_participant_id`), as Meta reports group messages. Answers the
    /// message's id.
    #[tracing::instrument(skip_all, fields(channel_id = %channel.id, group_id = %send.group_id))]
    pub async fn send_group_message(&self, channel: &Channel, send: GroupSend) -> Result<Wamid> {
        let info = self
            .check_group_send(channel, &send.group_id, &send.content)
            .await?;
        let wamid = Wamid::for_message(MessageId::generate(), &channel.display_phone_number);
        let at = self.now();
        let status = |status: &str, participant: Option<&PhoneE164>| {
            let mut item = Map::new();
            item.insert("id".into(), wamid.as_str().into());
            item.insert("status".into(), status.into());
            item.insert("timestamp".into(), at.as_second().to_string().into());
            item.insert("recipient_id".into(), send.group_id.as_str().into());
            item.insert("recipient_type".into(), "group".into());
            if let Some(p) = participant {
                item.insert("recipient_participant_id".into(), p.digits().into());
            }
            if let Some(data) = &send.biz_opaque_callback_data {
                item.insert("biz_opaque_callback_data".into(), data.as_str().into());
            }
            let mut value = Map::new();
            value.insert("messaging_product".into(), "whatsapp".into());
            value.insert(
                "metadata".into(),
                json!({
                    "display_phone_number": channel.display_phone_number.digits(),
                    "phone_number_id": channel.phone_number_id.as_str(),
                }),
            );
            if let Some(p) = participant {
                value.insert("contacts".into(), json!([{"wa_id": p.digits()}]));
            }
            value.insert("statuses".into(), json!([item]));
            WebhookEvent {
                id: EventId::generate(),
                account_id: channel.account_id,
                channel_id: Some(channel.id),
                occurred_at: at,
                data: EventData::Other {
                    field: EventField::Statuses,
                    value: Value::Object(value),
                },
            }
        };
        let mut events = vec![status("sent", None)];
        events.extend(
            info.participants
                .iter()
                .map(|p| status("delivered", Some(&p.wa_id))),
        );
        self.store.record_events(events).await?;
        Ok(wamid)
    }
}
