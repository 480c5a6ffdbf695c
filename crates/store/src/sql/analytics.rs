//! Message analytics: the counters written with each change ([`count_changes`],
//! [`count_costs`]) and [`AnalyticsStore`], their reading, for every [`Backend`]. Rows of
//! one batch are summed in memory first, then added with one multi-row upsert per few
//! dozen rows.

use std::collections::BTreeMap;

use async_trait::async_trait;
use uuid::Uuid;
use wagate_core::Timestamp;
use wagate_core::analytics::{Counts, Dims, Metric, bucket, change, dims};
use wagate_core::ids::{AccountId, ChannelId};
use wagate_core::message::{Direction, Message};
use wagate_core::network::NewInboundMessage;

use super::dispatch::{get_message, push_values};
use crate::dispatch::MessageKey;
use super::{Backend, Conn, Dialect, query};
use crate::Result;

/// One counter row as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterRow {
    pub channel_id: ChannelId,
    /// The half-hour's start (Unix milliseconds).
    pub bucket: i64,
    pub dims: Dims,
    pub counts: Counts,
}

#[async_trait]
pub trait AnalyticsStore: Send + Sync {
    /// The account's counter rows with `since <= bucket < until`, of one channel or all.
    async fn message_counters(
        &self,
        account: AccountId,
        since: Timestamp,
        until: Timestamp,
        channel: Option<ChannelId>,
    ) -> Result<Vec<CounterRow>>;
}

#[derive(sqlx::FromRow)]
struct Record {
    channel_id: Uuid,
    bucket: i64,
    direction: String,
    category: String,
    country: String,
    template: String,
    language: String,
    sent: i64,
    delivered: i64,
    read: i64,
    failed: i64,
    received: i64,
    replied: i64,
    charged: i64,
    cost: i64,
}

#[async_trait]
impl<B: Backend> AnalyticsStore for B {
    async fn message_counters(
        &self,
        account: AccountId,
        since: Timestamp,
        until: Timestamp,
        channel: Option<ChannelId>,
    ) -> Result<Vec<CounterRow>> {
        self.read(move |c| {
            Box::pin(async move {
                let mut q = query(
                    "SELECT channel_id, bucket, direction, category, country, template, language, \
                     sent, delivered, read, failed, received, replied, charged, cost FROM message_counters \
                     WHERE account_id = $1 AND bucket >= $2 AND bucket < $3",
                )
                .bind(account.as_uuid())
                .bind(since.as_millisecond())
                .bind(until.as_millisecond());
                if let Some(ch) = channel {
                    q.push(" AND channel_id = ").push_bind(ch.as_uuid());
                }
                q.push(" ORDER BY bucket");
                Ok(c.fetch_all::<Record>(q)
                    .await?
                    .into_iter()
                    .map(|r| CounterRow {
                        channel_id: ChannelId::from_uuid(r.channel_id),
                        bucket: r.bucket,
                        dims: Dims {
                            direction: r.direction,
                            category: r.category,
                            country: r.country,
                            template: r.template,
                            language: r.language,
                        },
                        counts: Counts {
                            sent: r.sent,
                            delivered: r.delivered,
                            read: r.read,
                            failed: r.failed,
                            received: r.received,
                            replied: r.replied,
                            charged: r.charged,
                            cost: r.cost,
                        },
                    })
                    .collect())
            })
        })
        .await
    }
}

type Key = (Uuid, i64, Dims, Uuid);

fn chunk(dialect: Dialect) -> usize {
    match dialect {
        Dialect::Sqlite => 22,
        Dialect::Postgres => 400,
    }
}

/// Counts what each of `messages` just became (a status reached, or received).
pub async fn count_changes<'m, C: Conn>(
    c: &mut C,
    messages: impl IntoIterator<Item = &'m Message>,
) -> Result<()> {
    let mut rows: BTreeMap<Key, Counts> = BTreeMap::new();
    for m in messages {
        if let Some((metric, at)) = change(m) {
            let key = (
                m.channel_id.as_uuid(),
                bucket(at),
                dims(m),
                m.account_id.as_uuid(),
            );
            rows.entry(key).or_default().add(&Counts::of(metric));
        }
    }
    add(c, rows).await
}

/// Adds charges to the cost of their messages' rows, at the time each was charged.
pub async fn count_costs<C: Conn>(c: &mut C, charges: &[(&Message, i64, Timestamp)]) -> Result<()> {
    let mut rows: BTreeMap<Key, Counts> = BTreeMap::new();
    for (m, amount, at) in charges {
        let key = (
            m.channel_id.as_uuid(),
            bucket(*at),
            dims(m),
            m.account_id.as_uuid(),
        );
        let counts = rows.entry(key).or_default();
        counts.cost += amount;
        counts.charged += 1;
    }
    add(c, rows).await
}

/// Counts a reply on the row of the business message `inbound` quotes (when it quotes one
/// of the channel's), at the time of the reply.
pub async fn count_reply<C: Conn>(c: &mut C, inbound: &NewInboundMessage) -> Result<()> {
    let Some(quoted) = &inbound.context else {
        return Ok(());
    };
    let quoted = match get_message(c, inbound.account_id, &MessageKey::Wamid(quoted.clone())).await
    {
        Ok(m) => m,
        Err(crate::StoreError::NotFound(_)) => return Ok(()),
        Err(e) => return Err(e),
    };
    if quoted.channel_id != inbound.channel_id || quoted.direction != Direction::Outbound {
        return Ok(());
    }
    let key = (
        quoted.channel_id.as_uuid(),
        bucket(inbound.at),
        dims(&quoted),
        quoted.account_id.as_uuid(),
    );
    add(c, BTreeMap::from([(key, Counts::of(Metric::Replied))])).await
}

async fn add<C: Conn>(c: &mut C, rows: BTreeMap<Key, Counts>) -> Result<()> {
    let rows: Vec<(Key, Counts)> = rows.into_iter().collect();
    for part in rows.chunks(chunk(c.dialect())) {
        let mut q = query(
            "INSERT INTO message_counters (channel_id, bucket, direction, category, country, \
             template, language, account_id, sent, delivered, read, failed, received, replied, \
             charged, cost) ",
        );
        push_values(&mut q, part, |row, ((channel, b, d, account), n)| {
            row.bind(*channel)
                .bind(*b)
                .bind(d.direction.clone())
                .bind(d.category.clone())
                .bind(d.country.clone())
                .bind(d.template.clone())
                .bind(d.language.clone())
                .bind(*account)
                .bind(n.sent)
                .bind(n.delivered)
                .bind(n.read)
                .bind(n.failed)
                .bind(n.received)
                .bind(n.replied)
                .bind(n.charged)
                .bind(n.cost);
        });
        q.push(
            " ON CONFLICT (channel_id, bucket, direction, category, country, template, language) \
             DO UPDATE \
             SET sent = message_counters.sent + excluded.sent, \
             delivered = message_counters.delivered + excluded.delivered, \
             read = message_counters.read + excluded.read, \
             failed = message_counters.failed + excluded.failed, \
             received = message_counters.received + excluded.received, \
             replied = message_counters.replied + excluded.replied, \
             charged = message_counters.charged + excluded.charged, \
             cost = message_counters.cost + excluded.cost",
        );
        c.execute(q).await?;
    }
    Ok(())
}
