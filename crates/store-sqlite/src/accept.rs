//! Accepting outbound messages in bulk. Sends are the hottest write: instead of one writer
//! job (a savepoint and three statements) per message, concurrent accepts are gathered and
//! written by one job with multi-row `INSERT`s, still inside the writer's group-commit
//! transaction, still answered only after `COMMIT`. A batch that fails fails every message
//! in it, and nothing of it is stored.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};
use wagate_core::message::{Message, NewOutboundMessage};
use wagate_store::records::now;
use wagate_store::sql::dispatch::insert_batch;
use wagate_store::{Result, StoreError};

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
                .write(move |conn| Box::pin(async move { insert_batch(conn, news, now()).await }))
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
