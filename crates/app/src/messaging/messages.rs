//! Messages: accepting outbound messages (stored with their outbox entry before the caller
//! gets an id), reading them back, and listing them.

use wagate_core::channel::Channel;
use wagate_core::content::{MediaRef, MessageType};
use wagate_core::error::ErrorCode;
use wagate_core::error::ValidationError;
use wagate_core::ids::MessageId;
use wagate_core::media::MediaKind;
use wagate_core::message::{Content, Message, NewOutboundMessage, Recipient, Wamid};
use wagate_core::policy::WindowPolicy;
use wagate_store::{ContactKey, MessageFilter, MessageKey, Page};

use crate::App;
use crate::Principal;
use crate::error::{Error, Result};

/// Command: send `content` to `recipient` from a channel.
#[derive(Debug, Clone)]
pub struct SendMessage {
    pub recipient: Recipient,
    pub content: Content,
    pub context: Option<Wamid>,
    pub biz_opaque_callback_data: Option<String>,
}

impl App {
    /// Accepts an outbound message from `channel` (which the caller has already resolved
    /// for `p`). Returns once the message and its outbox entry are durable. Policy that
    /// Meta applies after acceptance (window, block) is applied by the dispatcher, so the
    /// message then fails with Meta's code, as on Meta.
    #[tracing::instrument(level = "debug", skip_all, fields(account_id = %p.account_id, channel_id = %channel.id))]
    pub async fn send_message(
        &self,
        p: &Principal,
        channel: &Channel,
        cmd: SendMessage,
    ) -> Result<Message> {
        self.check_can_send(channel).await?;
        if let Some(MediaRef::Id(id)) = cmd.content.media() {
            let kind = MediaKind::try_from(cmd.content.kind())
                .map_err(|_| ValidationError::new("type", "is not a media type"))?;
            let field = format!("{}.id", cmd.content.kind().as_str());
            self.check_media_ref(p, kind, &field, &id).await?;
        }
        self.check_flow_send(channel, &cmd.content).await?;
        let content = if cmd.content.kind() == MessageType::Template {
            self.fill_template_message(p, channel, cmd.content).await?
        } else {
            cmd.content
        };
        self.check_catalog_use(channel, &content).await?;
        let id = MessageId::generate();
        let recipient = match cmd.recipient {
            Recipient::Bsuid(bsuid) => {
                // A BSUID of a known contact carries its number along.
                let contact = self
                    .store
                    .find_contact(channel.id, &ContactKey::Bsuid(bsuid.clone()))
                    .await?;
                match contact.and_then(|c| c.wa_id) {
                    Some(wa_id) => Recipient::Phone {
                        input: bsuid.as_str().to_owned(),
                        wa_id,
                    },
                    None => Recipient::Bsuid(bsuid),
                }
            }
            other => other,
        };
        // A gateway-level block in the account's contact book: refused before anything is
        // stored. (A block on Meta's side, `block_users`, fails the message as Meta does.)
        if let Recipient::Phone { wa_id, .. } = &recipient
            && self.store.is_blocked(p.account_id, wa_id).await?
        {
            return Err(Error::Refused(
                ErrorCode::ContactBlocked,
                "this contact is blocked in your contact book; unblock it to message them",
            ));
        }
        if channel.window_policy == WindowPolicy::Reject && content.kind() != MessageType::Template
        {
            let key = match &recipient {
                Recipient::Phone { wa_id, .. } => ContactKey::WaId(wa_id.clone()),
                Recipient::Bsuid(b) => ContactKey::Bsuid(b.clone()),
            };
            let contact = self.store.find_contact(channel.id, &key).await?;
            if !contact.is_some_and(|c| c.recipient().window_open(self.now())) {
                return Err(Error::Refused(
                    ErrorCode::OutsideServiceWindow,
                    "the customer last wrote more than 24 hours ago (or never); send a template",
                ));
            }
        }
        let wamid = match &recipient {
            Recipient::Phone { wa_id, .. } => Wamid::for_message(id, wa_id),
            Recipient::Bsuid(_) => Wamid::for_message(id, &channel.display_phone_number),
        };
        let charge = self.quote_send(p, channel, &recipient, &content).await?;
        let new = NewOutboundMessage {
            charge,
            id,
            wamid,
            account_id: p.account_id,
            channel_id: channel.id,
            recipient,
            content,
            context: cmd.context,
            biz_opaque_callback_data: cmd.biz_opaque_callback_data,
            campaign_id: None,
        };
        let message = self.store.accept_outbound(new).await?;
        self.wake.notify_one();
        tracing::debug!(message_id = %message.id, channel_id = %channel.id, "message accepted");
        Ok(message)
    }

    /// One of the principal's messages, by our id or its wamid. Messages of channels outside
    /// a scoped key's reach answer "not found".
    pub async fn get_message(&self, p: &Principal, key: &MessageKey) -> Result<Message> {
        let message = self.store.get_message(p.account_id, key).await?;
        if !p.can_use(message.channel_id) {
            return Err(wagate_store::StoreError::NotFound(wagate_store::Entity::Message).into());
        }
        Ok(message)
    }

    /// Marks a user's message read (the Cloud API's `{"status": "read", "message_id": …}`):
    /// it must be an inbound message of `channel`; an outbound one, another channel's, or an
    /// unknown id is "not found", as on Meta. Returns the message.
    pub async fn mark_read(
        &self,
        p: &Principal,
        channel: &Channel,
        wamid: &Wamid,
    ) -> Result<Message> {
        let message = self
            .get_message(p, &MessageKey::Wamid(wamid.clone()))
            .await?;
        if message.channel_id != channel.id
            || message.direction != wagate_core::message::Direction::Inbound
        {
            return Err(wagate_store::StoreError::NotFound(wagate_store::Entity::Message).into());
        }
        Ok(message)
    }

    /// The principal's messages, newest first, narrowed by `filter`.
    pub async fn list_messages(
        &self,
        p: &Principal,
        mut filter: MessageFilter,
        page: &Page<MessageId>,
    ) -> Result<Vec<Message>> {
        filter.channels = p.channel_scope();
        Ok(self
            .store
            .list_messages(p.account_id, &filter, page)
            .await?)
    }
}
