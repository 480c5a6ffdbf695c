//! Accepting outbound messages in bulk. Sends are the hottest write: instead of one writer
//! job (a savepoint and three statements) per message, concurrent accepts are gathered and
//! written by one job with multi-row `INSERT`s, still inside the writer's group-commit
//! transaction, still answered only after `COMMIT`. A batch that fails fails every message
//! in it, and nothing of it is stored.

use std::collections::HashSet;
use std::sync::Arc;

use sqlx::{QueryBuilder, Sqlite, SqliteConnection};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;
use wagate_core::message::{Message, NewOutboundMessage};
use wagate_store::records::{MessageRecord, now};
use wagate_store::{Entity, Result, StoreError, message_columns};

use crate::writer::Writer;

/// Most messages per multi-row insert (22 columns each, well under SQLite's 32,766 variables).
const MAX_ROWS: usize = 512;

type Reply = oneshot::Sender<Result<Message>>;

pub struct Acceptor {
    queue: mpsc::Sender<(NewOutboundMessage, Reply)>,
}

impl Acceptor {
    pub fn start(writer: Arc<Writer>) -> Self {
        let (queue, rx) = mpsc::channel(8192);
        tokio::spawn(gather(writer, rx));
        Self { queue }
    }

    pub async fn accept(&self, new: NewOutboundMessage) -> Result<Message> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send((new, reply))
            .await
            .map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }
}

/// Takes whatever is waiting (up to `MAX_ROWS`) and hands it to the writer as one job. One
/// batch is in flight at a time, so the next one gathers while this one commits: the busier
/// the server, the bigger the batches.
async fn gather(writer: Arc<Writer>, mut rx: mpsc::Receiver<(NewOutboundMessage, Reply)>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_ROWS {
            match rx.try_recv() {
                Ok(item) => batch.push(item),
                Err(_) => break,
            }
        }
        {
            let (news, replies): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
            let result = writer
                .write(move |conn| Box::pin(async move { insert_batch(conn, news).await }))
                .await;
            match result {
                Ok(outcomes) => {
                    for (reply, outcome) in replies.into_iter().zip(outcomes) {
                        let _ = reply.send(outcome);
                    }
                }
                Err(e) => {
                    let text = e.to_string();
                    for reply in replies {
                        let _ = reply.send(Err(StoreError::database(std::io::Error::other(
                            text.clone(),
                        ))));
                    }
                }
            }
        }
    }
}

/// Inserts the messages whose channel belongs to their account, with their outbox entries.
async fn insert_batch(
    conn: &mut SqliteConnection,
    news: Vec<NewOutboundMessage>,
) -> Result<Vec<Result<Message>>> {
    let mut owned: HashSet<(Uuid, Uuid)> = HashSet::new();
    let pairs: HashSet<(Uuid, Uuid)> = news
        .iter()
        .map(|n| (n.account_id.as_uuid(), n.channel_id.as_uuid()))
        .collect();
    for (account, channel) in pairs {
        let hit =
            sqlx::query_scalar::<_, i64>("SELECT 1 FROM channels WHERE account_id = ? AND id = ?")
                .bind(account)
                .bind(channel)
                .fetch_optional(&mut *conn)
                .await
                .map_err(StoreError::database)?;
        if hit.is_some() {
            owned.insert((account, channel));
        }
    }
    let at = now();
    let records: Vec<Option<MessageRecord>> = news
        .iter()
        .map(|n| {
            owned
                .contains(&(n.account_id.as_uuid(), n.channel_id.as_uuid()))
                .then(|| MessageRecord::accepted(n, at))
        })
        .collect();
    let rows: Vec<&MessageRecord> = records.iter().flatten().collect();
    if !rows.is_empty() {
        let mut q: QueryBuilder<Sqlite> =
            QueryBuilder::new(concat!("INSERT INTO messages (", message_columns!(), ") "));
        q.push_values(rows.iter(), |mut b, r| {
            b.push_bind(r.id)
                .push_bind(r.wamid.clone())
                .push_bind(r.account_id)
                .push_bind(r.channel_id)
                .push_bind(r.direction.clone())
                .push_bind(r.wa_id.clone())
                .push_bind(r.bsuid.clone())
                .push_bind(r.kind.clone())
                .push_bind(r.content.clone())
                .push_bind(r.status.clone())
                .push_bind(r.context_wamid.clone())
                .push_bind(r.biz_opaque_callback_data.clone())
                .push_bind(r.error.clone())
                .push_bind(r.created_at)
                .push_bind(r.sent_at)
                .push_bind(r.delivered_at)
                .push_bind(r.read_at)
                .push_bind(r.failed_at)
                .push_bind(r.conversation.clone())
                .push_bind(r.pricing.clone())
                .push_bind(r.handovers)
                .push_bind(r.profile_name.clone());
        });
        q.build()
            .execute(&mut *conn)
            .await
            .map_err(StoreError::database)?;
        let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(
            "INSERT INTO outbox (message_id, channel_id, recipient_key, available_at) ",
        );
        q.push_values(rows.iter(), |mut b, r| {
            b.push_bind(r.id)
                .push_bind(r.channel_id)
                .push_bind(r.recipient_key())
                .push_bind(r.created_at);
        });
        q.build()
            .execute(&mut *conn)
            .await
            .map_err(StoreError::database)?;
    }
    Ok(records
        .into_iter()
        .map(|r| match r {
            Some(r) => Message::try_from(r),
            None => Err(StoreError::NotFound(Entity::Channel)),
        })
        .collect())
}
