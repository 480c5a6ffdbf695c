//! Message analytics: the counters written with each change and charge ([`count_changes`],
//! [`count_reply`]) and [`AnalyticsStore`], their reading, for every
//! [`Backend`]. Rows of one batch are summed in memory first, then added with one
//! multi-row upsert per few dozen rows, to the half-hour rows and to their sums by UTC day.
//! A query sums in SQL, by time and the dimensions asked for.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use uuid::Uuid;
use wagate_core::Timestamp;
use wagate_core::analytics::{Counts, Dims, Granularity, Metric, bucket, change, dims};
use wagate_core::ids::{AccountId, ChannelId};
use wagate_core::message::{Direction, Message};
use wagate_core::network::NewInboundMessage;

use super::dispatch::{get_message, push_values};
use super::{Backend, Conn, Dialect, Query, query};
use crate::Result;
use crate::dispatch::MessageKey;

/// Which rows a counter query reads: half-hours, or their sums by UTC day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grain {
    HalfHour,
    Day,
}

/// Values rows must have (each `None` takes every value).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CounterFilter {
    pub direction: Option<String>,
    pub category: Option<String>,
    pub country: Option<String>,
    pub template: Option<String>,
    pub language: Option<String>,
}

/// The dimensions rows are summed by, beside their time (the others are summed over; their
/// values read empty). `template` groups by the template and its language.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CounterGroup {
    pub channel: bool,
    pub direction: bool,
    pub category: bool,
    pub country: bool,
    pub template: bool,
}

/// Command: the account's counters in `ranges`, summed by time and `group`.
#[derive(Debug, Clone)]
pub struct CounterQuery {
    pub account: AccountId,
    pub grain: Grain,
    /// `[since, until)` in Unix milliseconds: half-hour starts, or UTC day starts.
    pub ranges: Vec<(i64, i64)>,
    /// Only these channels (`None`: all of the account's).
    pub channels: Option<Vec<ChannelId>>,
    pub filter: CounterFilter,
    pub group: CounterGroup,
    /// With a few periods: their starts (Unix ms, ascending); rows are then summed by the
    /// period they fall in (the latest start at or before their time), not by their time.
    pub periods: Option<Vec<i64>>,
}

/// One row of sums as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterRow {
    /// The half-hour's or the UTC day's start (Unix milliseconds).
    pub at: i64,
    /// With `group.channel`.
    pub channel_id: Option<ChannelId>,
    /// The grouped dimensions' values; the others empty.
    pub dims: Dims,
    pub counts: Counts,
}

#[async_trait]
pub trait AnalyticsStore: Send + Sync {
    /// Sums of the account's counters per time and the query's group, in time order.
    async fn message_counters(&self, q: &CounterQuery) -> Result<Vec<CounterRow>>;

    /// Makes the account's day sums follow `zone` (an IANA name): built from its half-hour
    /// rows the first time and whenever the account's zone changed since (seconds for a year
    /// of millions of messages, in one write transaction); nothing when they do already.
    async fn ensure_day_counters(&self, account: AccountId, zone: &str) -> Result<()>;
}

#[derive(sqlx::FromRow)]
struct Record {
    at: i64,
    channel_id: Option<Uuid>,
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

impl From<Record> for CounterRow {
    fn from(r: Record) -> Self {
        Self {
            at: r.at,
            channel_id: r.channel_id.map(ChannelId::from_uuid),
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
        }
    }
}

/// The `SELECT` of `q`.
fn counters_select(dialect: Dialect, q: &CounterQuery) -> Query {
    let (table, at) = match q.grain {
        Grain::HalfHour => ("message_counters", "bucket"),
        Grain::Day => ("message_counters_daily", "day"),
    };
    let g = q.group;
    let pick = |on: bool, column: &str| {
        if on {
            column.to_owned()
        } else {
            format!("'' AS {column}")
        }
    };
    let channel = match (g.channel, dialect) {
        (true, _) => "channel_id",
        (false, Dialect::Sqlite) => "NULL AS channel_id",
        (false, Dialect::Postgres) => "NULL::uuid AS channel_id",
    };
    let sums: String = COUNTS
        .iter()
        .map(|c| format!(", CAST(SUM({c}) AS BIGINT) AS {c}"))
        .collect();
    // One branch per range, so each is one index range (an `OR` of ranges may scan the
    // account's every row).
    // The time rows are summed by: theirs, or their period's start.
    let time = match q.periods.as_deref() {
        Some([first, rest @ ..]) if !rest.is_empty() => {
            let arms: String = rest
                .iter()
                .rev()
                .map(|start| format!(" WHEN at >= {start} THEN {start}"))
                .collect();
            format!("CASE{arms} ELSE {first} END")
        }
        // Not a bare number: `GROUP BY 5` would mean the fifth column.
        Some([only]) => format!("CAST({only} AS BIGINT)"),
        _ => "at".to_owned(),
    };
    let mut sql = query(format!(
        "SELECT {time} AS at, {channel}, {}, {}, {}, {}, {}{sums} FROM (",
        pick(g.direction, "direction"),
        pick(g.category, "category"),
        pick(g.country, "country"),
        pick(g.template, "template"),
        pick(g.template, "language"),
    ));
    let ranges = if q.ranges.is_empty() {
        vec![(0, 0)]
    } else {
        q.ranges.clone()
    };
    for (n, (since, until)) in ranges.iter().enumerate() {
        if n > 0 {
            sql.push(" UNION ALL ");
        }
        sql.push(&format!(
            "SELECT {at} AS at, channel_id, direction, category, country, template, language, \
             {} FROM {table} WHERE account_id = ",
            COUNTS.join(", ")
        ))
        .push_bind(q.account.as_uuid())
        .push(&format!(" AND {at} >= "))
        .push_bind(*since)
        .push(&format!(" AND {at} < "))
        .push_bind(*until);
        if let Some(channels) = &q.channels {
            sql.push(" AND channel_id IN (");
            if channels.is_empty() {
                sql.push("NULL");
            }
            for (n, ch) in channels.iter().enumerate() {
                if n > 0 {
                    sql.push(", ");
                }
                sql.push_bind(ch.as_uuid());
            }
            sql.push(")");
        }
        let f = &q.filter;
        for (column, value) in [
            ("direction", &f.direction),
            ("category", &f.category),
            ("country", &f.country),
            ("template", &f.template),
            ("language", &f.language),
        ] {
            if let Some(v) = value {
                sql.push(&format!(" AND {column} = ")).push_bind(v.clone());
            }
        }
    }
    sql.push(") AS r");
    let mut by = vec![time.as_str()];
    for (on, column) in [
        (g.channel, "channel_id"),
        (g.direction, "direction"),
        (g.category, "category"),
        (g.country, "country"),
        (g.template, "template"),
        (g.template, "language"),
    ] {
        if on {
            by.push(column);
        }
    }
    sql.push(&format!(" GROUP BY {} ORDER BY at", by.join(", ")));
    sql
}

#[async_trait]
impl<B: Backend> AnalyticsStore for B {
    async fn message_counters(&self, q: &CounterQuery) -> Result<Vec<CounterRow>> {
        let q = q.clone();
        self.read(move |c| {
            Box::pin(async move {
                let select = counters_select(c.dialect(), &q);
                Ok(c.fetch_all::<Record>(select)
                    .await?
                    .into_iter()
                    .map(CounterRow::from)
                    .collect())
            })
        })
        .await
    }

    async fn ensure_day_counters(&self, account: AccountId, zone: &str) -> Result<()> {
        let kept = self
            .read(move |c| {
                Box::pin(async move {
                    Ok(c.scalar::<Option<String>>(
                        query("SELECT counters_timezone FROM accounts WHERE id = $1")
                            .bind(account.as_uuid()),
                    )
                    .await?
                    .flatten())
                })
            })
            .await?;
        if kept.as_deref() == Some(zone) {
            return Ok(());
        }
        let zone = zone.to_owned();
        self.write(move |c| Box::pin(async move { ensure_day_counters(c, account, &zone).await }))
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
    charges: &[Charged<'_>],
) -> Result<()> {
    let mut rows: BTreeMap<Key, Counts> = BTreeMap::new();
    let mut of_campaigns: Vec<&Message> = Vec::new();
    for m in messages {
        if m.campaign_id.is_some() {
            of_campaigns.push(m);
        }
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
    // Charges add to the cost of their messages' rows, at the time each was charged.
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
    add(c, rows).await?;
    super::campaigns::count_campaigns(c, of_campaigns, charges).await
}

/// A message charged: the amount taken and when.
pub type Charged<'m> = (&'m Message, i64, Timestamp);

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
    add(c, BTreeMap::from([(key, Counts::of(Metric::Replied))])).await?;
    super::campaigns::count_campaign_reply(c, &quoted, inbound).await
}

async fn add<C: Conn>(c: &mut C, rows: BTreeMap<Key, Counts>) -> Result<()> {
    // The day sums of each account, in the zone they are kept in (none before they are
    // first built: see `ensure_day_counters`). `FOR SHARE` on PostgreSQL so a rebuild,
    // which takes the account `FOR UPDATE`, never misses a change or sees one in the old
    // zone.
    let accounts: BTreeSet<Uuid> = rows.keys().map(|k| k.3).collect();
    let mut zones = BTreeMap::new();
    for account in accounts {
        let zone = c
            .scalar::<Option<String>>(
                query(format!(
                    "SELECT counters_timezone FROM accounts WHERE id = $1{}",
                    c.dialect().for_share()
                ))
                .bind(account),
            )
            .await?
            .flatten()
            .map(|z| jiff::tz::TimeZone::get(&z).unwrap_or(jiff::tz::TimeZone::UTC));
        if let Some(zone) = zone {
            zones.insert(account, zone);
        }
    }
    let mut days: BTreeMap<Key, Counts> = BTreeMap::new();
    for ((channel, b, d, account), n) in &rows {
        if let Some(zone) = zones.get(account) {
            days.entry((*channel, local_day(*b, zone), d.clone(), *account))
                .or_default()
                .add(n);
        }
    }
    upsert(
        c,
        "message_counters",
        "bucket",
        &["account_id", "bucket", "channel_id"],
        rows,
    )
    .await?;
    upsert(
        c,
        "message_counters_daily",
        "day",
        &["account_id", "day", "channel_id"],
        days,
    )
    .await
}

/// The local midnight (Unix ms) of the day the half-hour `bucket` starts in, in `zone`.
fn local_day(bucket: i64, zone: &jiff::tz::TimeZone) -> i64 {
    Granularity::Day.period(bucket, zone).0.as_millisecond()
}

/// Builds the account's day sums in `zone` from its half-hour rows, unless they are in
/// `zone` already, in one transaction that holds the account (see [`add`]).
pub async fn ensure_day_counters<C: Conn>(c: &mut C, account: AccountId, zone: &str) -> Result<()> {
    let kept = c
        .scalar::<Option<String>>(
            query(format!(
                "SELECT counters_timezone FROM accounts WHERE id = $1{}",
                c.dialect().for_update()
            ))
            .bind(account.as_uuid()),
        )
        .await?
        .flatten();
    if kept.as_deref() == Some(zone) {
        return Ok(());
    }
    let tz = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    c.execute(
        query("DELETE FROM message_counters_daily WHERE account_id = $1").bind(account.as_uuid()),
    )
    .await?;
    // Thirty days of half-hours at a time, summed by local day in memory.
    let span = c
        .fetch_optional::<Span>(
            query(
                "SELECT MIN(bucket) AS first, MAX(bucket) AS last FROM message_counters \
                 WHERE account_id = $1",
            )
            .bind(account.as_uuid()),
        )
        .await?;
    if let Some(Span {
        first: Some(first),
        last: Some(last),
    }) = span
    {
        let window = 30 * 86_400_000;
        let mut since = first;
        while since <= last {
            // Every half-hour row as it is: grouped by all it is keyed by.
            let rows = CounterQuery {
                account,
                grain: Grain::HalfHour,
                ranges: vec![(since, since + window)],
                channels: None,
                filter: CounterFilter::default(),
                group: CounterGroup {
                    channel: true,
                    direction: true,
                    category: true,
                    country: true,
                    template: true,
                },
                periods: None,
            };
            let select = counters_select(c.dialect(), &rows);
            let mut days: BTreeMap<Key, Counts> = BTreeMap::new();
            for r in c.fetch_all::<Record>(select).await? {
                let r = CounterRow::from(r);
                let channel = r.channel_id.map(|c| c.as_uuid()).unwrap_or_default();
                days.entry((channel, local_day(r.at, &tz), r.dims, account.as_uuid()))
                    .or_default()
                    .add(&r.counts);
            }
            upsert(
                c,
                "message_counters_daily",
                "day",
                &["account_id", "day", "channel_id"],
                days,
            )
            .await?;
            since += window;
        }
    }
    c.execute(
        query("UPDATE accounts SET counters_timezone = $1 WHERE id = $2")
            .bind(zone.to_owned())
            .bind(account.as_uuid()),
    )
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct Span {
    first: Option<i64>,
    last: Option<i64>,
}

/// Adds `rows` to `table`, whose time column is `at` and whose key starts with `key`
/// (then the dimensions).
async fn upsert<C: Conn>(
    c: &mut C,
    table: &str,
    at: &str,
    key: &[&str],
    rows: BTreeMap<Key, Counts>,
) -> Result<()> {
    let rows: Vec<(Key, Counts)> = rows.into_iter().collect();
    let sums: String = COUNTS
        .iter()
        .map(|n| format!(", {n} = {table}.{n} + excluded.{n}"))
        .collect::<String>()
        .trim_start_matches(", ")
        .to_owned();
    for part in rows.chunks(chunk(c.dialect())) {
        let mut q = query(format!(
            "INSERT INTO {table} (channel_id, {at}, direction, category, country, template, \
             language, account_id, {}) ",
            COUNTS.join(", ")
        ));
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
        q.push(&format!(
            " ON CONFLICT ({}, direction, category, country, template, language) DO UPDATE SET {sums}",
            key.join(", ")
        ));
        c.execute(q).await?;
    }
    Ok(())
}

/// The counted columns, in [`Counts`]' order.
const COUNTS: [&str; 8] = [
    "sent",
    "delivered",
    "read",
    "failed",
    "received",
    "replied",
    "charged",
    "cost",
];
