//! Messages: accepting outbound messages (stored with their outbox entry before the caller
//! gets an id) and reading them back.

use wagate_core::channel::Channel;
use wagate_core::ids::MessageId;
use wagate_core::message::{Message, NewOutboundMessage, OutboundContent, Recipient, Wamid};
use wagate_store::MessageKey;

use crate::App;
use crate::error::Result;
use crate::principal::Principal;

/// Command: send `content` to `recipient` from a channel.
#[derive(Debug, Clone)]
pub struct SendMessage {
    pub recipient: Recipient,
    pub content: OutboundContent,
    pub context: Option<Wamid>,
    pub biz_opaque_callback_data: Option<String>,
}

impl App {
    /// Accepts an outbound message from `channel` (which the caller has already resolved
    /// for `p`). Returns once the message and its outbox entry are durable.
    pub async fn send_message(
        &self,
        p: &Principal,
        channel: &Channel,
        cmd: SendMessage,
    ) -> Result<Message> {
        let id = MessageId::generate();
        let wamid = match &cmd.recipient {
            Recipient::Phone { wa_id, .. } => Wamid::for_message(id, wa_id),
            Recipient::Bsuid(_) => Wamid::for_message(id, &channel.display_phone_number),
        };
        let new = NewOutboundMessage {
            id,
            wamid,
            account_id: p.account_id,
            channel_id: channel.id,
            recipient: cmd.recipient,
            content: cmd.content,
            context: cmd.context,
            biz_opaque_callback_data: cmd.biz_opaque_callback_data,
        };
        let message = self.store.accept_outbound(new).await?;
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
}
