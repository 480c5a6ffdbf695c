//! The console's inbox: a channel's conversations by last activity with their unread counts,
//! opening one (which marks it read), and a cheap fingerprint of the channel's recent
//! messages that a live view polls to learn that something arrived or changed status.

use std::hash::{Hash, Hasher};

use wagate_core::channel::Channel;
use wagate_core::content::{Content, MessageType};
use wagate_core::error::ErrorCode;
use wagate_core::message::{Message, Recipient, Wamid};
use wagate_core::phone::PhoneE164;
use wagate_store::{ContactKey, Conversation, InboxCursor, MessageFilter, Page};

use crate::App;
use crate::Principal;
use crate::error::{Error, Result};
use crate::messaging::messages::SendMessage;

/// How many of a channel's newest messages the live fingerprint covers: a status change of
/// an older message does not wake a live view.
pub const LIVE_WINDOW: u32 = 50;

impl App {
    /// `channel`'s conversations (resolved for `p`), most recent activity first.
    pub async fn inbox(
        &self,
        p: &Principal,
        channel: &Channel,
        after: Option<InboxCursor>,
        limit: u32,
    ) -> Result<Vec<Conversation>> {
        Ok(self
            .store
            .inbox_conversations(p.account_id, channel.id, after, limit)
            .await?)
    }

    /// The conversation with `wa_id`, newest message first (a page of them), marked read
    /// now. A contact the channel never heard from has no conversation yet: its thread is
    /// the messages sent to it, if any.
    pub async fn open_conversation(
        &self,
        p: &Principal,
        channel: &Channel,
        wa_id: &PhoneE164,
        limit: u32,
    ) -> Result<Vec<Message>> {
        self.store
            .mark_conversation_read(p.account_id, channel.id, wa_id, self.now())
            .await?;
        self.conversation(p, channel, wa_id, limit).await
    }

    /// The newest `limit` messages with `wa_id` on `channel`, newest first.
    pub async fn conversation(
        &self,
        p: &Principal,
        channel: &Channel,
        wa_id: &PhoneE164,
        limit: u32,
    ) -> Result<Vec<Message>> {
        let filter = MessageFilter {
            channel_id: Some(channel.id),
            wa_id: Some(wa_id.digits().to_owned()),
            ..MessageFilter::default()
        };
        self.list_messages(p, filter, &Page::first(limit)).await
    }

    /// A fingerprint of `channel`'s newest messages and their statuses: it changes when a
    /// message arrives or one of them changes status. One indexed read of at most
    /// [`LIVE_WINDOW`] rows, so every open live view may poll it every second, on any node.
    pub async fn inbox_fingerprint(&self, p: &Principal, channel: &Channel) -> Result<u64> {
        let filter = MessageFilter {
            channel_id: Some(channel.id),
            ..MessageFilter::default()
        };
        let messages = self
            .list_messages(p, filter, &Page::first(LIVE_WINDOW))
            .await?;
        let mut h = std::collections::hash_map::DefaultHasher::new();
        for m in &messages {
            m.id.to_string().hash(&mut h);
            m.status.as_str().hash(&mut h);
        }
        Ok(h.finish())
    }

    /// The contact `wa_id` of `channel` (resolved for `p`), if it ever wrote.
    pub async fn inbox_contact(
        &self,
        _p: &Principal,
        channel: &Channel,
        wa_id: &PhoneE164,
    ) -> Result<Option<wagate_core::contact::Contact>> {
        Ok(self
            .store
            .find_contact(channel.id, &ContactKey::WaId(wa_id.clone()))
            .await?)
    }

    /// An agent's answer in the conversation with `wa_id`, sent like a Cloud API send. Only
    /// a template may leave once the customer's 24-hour window has closed (or never opened),
    /// whatever the channel's window policy: the console offers nothing else then.
    pub async fn reply(
        &self,
        p: &Principal,
        channel: &Channel,
        wa_id: &PhoneE164,
        content: Content,
        context: Option<Wamid>,
    ) -> Result<Message> {
        if content.kind() != MessageType::Template {
            let contact = self
                .store
                .find_contact(channel.id, &ContactKey::WaId(wa_id.clone()))
                .await?;
            if !contact.is_some_and(|c| c.recipient().window_open(self.now())) {
                return Err(Error::Refused(
                    ErrorCode::OutsideServiceWindow,
                    "the customer last wrote more than 24 hours ago (or never); send a template",
                ));
            }
        }
        let cmd = SendMessage {
            recipient: Recipient::Phone {
                input: wa_id.digits().to_owned(),
                wa_id: wa_id.clone(),
            },
            content,
            context,
            biz_opaque_callback_data: None,
        };
        self.send_message(p, channel, cmd).await
    }
}
