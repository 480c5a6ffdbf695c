//! The inbox's statements, and [`InboxStore`] for every [`Backend`] (see [`crate::inbox`]).

use async_trait::async_trait;
use wagate_core::Timestamp;
use wagate_core::contact::Contact;
use wagate_core::ids::{AccountId, ChannelId};
use wagate_core::phone::PhoneE164;

use super::{Backend, Conn, query};
use crate::inbox::{Conversation, InboxCursor, InboxStore, UNREAD_CAP};
use crate::records::{ContactRecord, millis, timestamp};
use crate::{Result, contact_columns};

#[derive(sqlx::FromRow)]
struct Row {
    #[sqlx(flatten)]
    contact: ContactRecord,
    console_read_at: Option<i64>,
    unread: i64,
    last_direction: Option<String>,
    last_content: Option<sqlx::types::Json<serde_json::Value>>,
}

#[async_trait]
impl<B: Backend> InboxStore for B {
    async fn inbox_conversations(
        &self,
        account: AccountId,
        channel: ChannelId,
        after: Option<InboxCursor>,
        limit: u32,
    ) -> Result<Vec<Conversation>> {
        // The unread count reads one contact's messages (messages_by_channel_contact), and
        // stops at the cap; the rows come from contacts_by_activity.
        let sql = format!(
            "SELECT {cols}, console_read_at, \
               (SELECT COUNT(*) FROM (SELECT 1 FROM messages AS m \
                  WHERE m.channel_id = contacts.channel_id AND m.wa_id = contacts.wa_id \
                    AND m.direction = 'inbound' \
                    AND m.created_at > COALESCE(contacts.console_read_at, 0) \
                  LIMIT {UNREAD_CAP}) AS u) AS unread, \
               (SELECT m.direction FROM messages AS m \
                  WHERE m.channel_id = contacts.channel_id AND m.wa_id = contacts.wa_id \
                  ORDER BY m.id DESC LIMIT 1) AS last_direction, \
               (SELECT m.content FROM messages AS m \
                  WHERE m.channel_id = contacts.channel_id AND m.wa_id = contacts.wa_id \
                  ORDER BY m.id DESC LIMIT 1) AS last_content \
             FROM contacts \
             WHERE channel_id = $1 AND account_id = $2 AND last_message_at IS NOT NULL \
               AND ($3 IS NULL OR last_message_at < $3 \
                    OR (last_message_at = $3 AND id < $4)) \
             ORDER BY last_message_at DESC, id DESC LIMIT $5",
            cols = contact_columns!(),
        );
        let rows = self
            .read(move |c| {
                Box::pin(async move {
                    c.fetch_all::<Row>(
                        query(sql)
                            .bind(channel.as_uuid())
                            .bind(account.as_uuid())
                            .bind(after.map(|a| millis(a.last_message_at)))
                            .bind(after.map(|a| a.id.as_uuid()))
                            .bind(i64::from(limit.clamp(1, 200))),
                    )
                    .await
                })
            })
            .await?;
        rows.into_iter()
            .map(|r| {
                Ok(Conversation {
                    contact: Contact::try_from(r.contact)?,
                    read_at: r
                        .console_read_at
                        .map(|ms| timestamp("contact", ms))
                        .transpose()?,
                    unread: r.unread,
                    last: last_message(r.last_direction, r.last_content)?,
                })
            })
            .collect()
    }

    async fn mark_conversation_read(
        &self,
        account: AccountId,
        channel: ChannelId,
        wa_id: &PhoneE164,
        at: Timestamp,
    ) -> Result<bool> {
        let wa_id = wa_id.digits().to_owned();
        self.write(move |c| {
            Box::pin(async move {
                let n = c
                    .execute(
                        query(
                            "UPDATE contacts SET console_read_at = $1 \
                             WHERE channel_id = $2 AND account_id = $3 AND wa_id = $4",
                        )
                        .bind(millis(at))
                        .bind(channel.as_uuid())
                        .bind(account.as_uuid())
                        .bind(wa_id),
                    )
                    .await?;
                Ok(n > 0)
            })
        })
        .await
    }
}

/// The newest message's direction and content, as the list statement read them.
fn last_message(
    direction: Option<String>,
    content: Option<sqlx::types::Json<serde_json::Value>>,
) -> Result<
    Option<(
        wagate_core::message::Direction,
        wagate_core::content::Content,
    )>,
> {
    let (Some(direction), Some(content)) = (direction, content) else {
        return Ok(None);
    };
    let corrupt = |detail: String| crate::StoreError::Corrupt {
        what: "message",
        detail,
    };
    let direction = wagate_core::message::Direction::parse(&direction)
        .map_err(|e| corrupt(format!("direction: {e}")))?;
    let content =
        serde_json::from_value(content.0).map_err(|e| corrupt(format!("content: {e}")))?;
    Ok(Some((direction, content)))
}
