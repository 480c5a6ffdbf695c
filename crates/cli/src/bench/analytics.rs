//! `wagate bench --analytics N`: analytics queries over N stored messages, over real HTTP.
//!
//! 1. Stores N messages of a year's traffic on the bench's channel, spread evenly until now:
//!    six in ten are template sends (eight templates: marketing, utility, authentication),
//!    two in ten free-form replies, two in ten received; six countries; 2 % failed, 95 %
//!    delivered, 58 % read; delivered templates charged. The rows are written by
//!    `INSERT … SELECT` from a generator, 500,000 per statement (the send path would take
//!    hours for ten million), and their half-hour counters — what each change would have
//!    added — by an aggregate statement over the same generator. The day sums are left to
//!    wagate: the first query builds them (timed apart). The account's time zone is set to
//!    Asia/Kolkata so days and months do not fall on UTC's.
//! 2. Checks the API's figures against a count of the messages table.
//! 3. Runs each query of [`QUERIES`] 50 times, one at a time: p50, p99 and the slowest, and
//!    the p99 over all of them.

use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use serde_json::{Value, json};
use sqlx::{Connection, Executor, Row};
use wagate_app::platform::database::Database;

/// Rows per generating statement.
const BATCH: u64 = 500_000;

/// The queries measured: a name and the path after `/api/v1/analytics/`, where `{year}`,
/// `{quarter}`, `{month}` and `{week}` are `start=…&end=…` of the last 365, 90, 30 and 7 days.
const QUERIES: &[(&str, &str)] = &[
    ("a year by month", "messages?{year}&granularity=month"),
    (
        "a year by month, category and country",
        "messages?{year}&granularity=month&dimensions=category,country",
    ),
    (
        "a year by month, one country",
        "messages?{year}&granularity=month&country=IN",
    ),
    ("90 days by day", "messages?{quarter}&granularity=day"),
    (
        "30 days by day and template",
        "messages?{month}&granularity=day&dimensions=template",
    ),
    (
        "7 days by half-hour",
        "messages?{week}&granularity=half_hour",
    ),
    (
        "costs: a year by month and country",
        "costs?{year}&granularity=month&dimensions=country",
    ),
    (
        "costs: 30 days by day and category",
        "costs?{month}&granularity=day&dimensions=category",
    ),
];

/// Country prefixes of the generated numbers, and their ISO codes.
const COUNTRIES: &[(&str, &str)] = &[
    ("1555", "US"),
    ("4477", "GB"),
    ("9198", "IN"),
    ("5511", "BR"),
    ("4915", "DE"),
    ("6281", "ID"),
];

#[derive(Clone, Copy, PartialEq)]
pub(super) enum Sql {
    Sqlite,
    Postgres,
}

/// `SELECT` of generated rows `[from, to)`: i, t (ms), kind (0 template, 1 text, 2
/// inbound), tpl (0..8), country (0..6), fate (0..100).
pub(super) fn generator(sql: Sql, from: u64, to: u64, start_ms: i64, step_ms: i64) -> String {
    let series = match sql {
        Sql::Sqlite => format!(
            "WITH RECURSIVE s(i) AS (SELECT {from} UNION ALL SELECT i + 1 FROM s WHERE i + 1 < {to})"
        ),
        Sql::Postgres => {
            format!("WITH s(i) AS (SELECT generate_series({from}::bigint, {to}::bigint - 1))")
        }
    };
    format!(
        "{series}, g AS (SELECT i, {start_ms} + i * {step_ms} AS t, \
         CASE WHEN i % 10 < 6 THEN 0 WHEN i % 10 < 8 THEN 1 ELSE 2 END AS kind, \
         (i / 10) % 8 AS tpl, (i / 7) % 6 AS ctry, (i / 3) % 100 AS fate FROM s)"
    )
}

/// SQL of a `CASE` over `expr` mapping 0.. to `values`.
fn case(expr: &str, values: &[&str]) -> String {
    let arms: String = values
        .iter()
        .enumerate()
        .map(|(n, v)| format!(" WHEN {n} THEN '{v}'"))
        .collect();
    format!("CASE {expr}{arms} END")
}

const CATEGORY: &str = "CASE WHEN kind = 2 OR kind = 1 THEN 'service' WHEN tpl < 4 THEN 'marketing' \
     WHEN tpl < 7 THEN 'utility' ELSE 'authentication' END";
const SENT: &str = "(kind < 2 AND fate >= 2)";
const DELIVERED: &str = "(kind < 2 AND fate >= 2 AND fate < 97)";
const READ: &str = "(kind < 2 AND fate >= 2 AND fate < 60)";
const FAILED: &str = "(kind < 2 AND fate < 2)";
/// Micro-dollars a delivered template costs by category.
const PRICE: &str = "CASE WHEN kind <> 0 OR NOT (fate >= 2 AND fate < 97) THEN 0 \
     WHEN tpl < 4 THEN 25000 WHEN tpl < 7 THEN 4000 ELSE 3000 END";

fn messages_insert(sql: Sql, gen_: &str, account: &str, channel: &str) -> String {
    let (id, wa_id) = match sql {
        Sql::Sqlite => (
            "unhex(printf('00000000000070008000%012x', i))",
            "printf('%07d', i % 1000000)",
        ),
        Sql::Postgres => (
            "('00000000-0000-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid",
            "lpad((i % 1000000)::text, 7, '0')",
        ),
    };
    let uuid = |hex: &str| uuid_literal(sql, hex);
    let prefix = case(
        "ctry",
        &COUNTRIES.iter().map(|(p, _)| *p).collect::<Vec<_>>(),
    );
    let at = |cond: &str| format!("CASE WHEN {cond} THEN t END");
    format!(
        "{gen_} INSERT INTO messages (id, wamid, account_id, channel_id, direction, wa_id, type, \
         content, status, created_at, sent_at, delivered_at, read_at, failed_at, number) \
         SELECT {id}, 'wamid.bench' || i, {account}, {channel}, \
         CASE WHEN kind = 2 THEN 'inbound' ELSE 'outbound' END, {prefix} || {wa_id}, \
         CASE WHEN kind = 0 THEN 'template' ELSE 'text' END, \
         CAST(CASE WHEN kind = 0 THEN '{{\"name\":\"promo_' || tpl || '\",\"language\":{{\"code\":\"en\"}}}}' \
         ELSE '{{\"body\":\"bench\"}}' END AS {json}), \
         CASE WHEN kind = 2 THEN 'received' WHEN fate < 2 THEN 'failed' WHEN fate < 60 THEN 'read' \
         WHEN fate < 97 THEN 'delivered' ELSE 'sent' END, \
         t, {sent}, {delivered}, {read}, {failed}, i + 1 FROM g",
        account = uuid(account),
        channel = uuid(channel),
        json = if sql == Sql::Postgres {
            "jsonb"
        } else {
            "TEXT"
        },
        sent = at(SENT),
        delivered = at(DELIVERED),
        read = at(READ),
        failed = at(FAILED),
    )
}

/// An id (hex from `hex()`, or a PostgreSQL uuid's text) as an SQL literal.
pub(super) fn uuid_literal(sql: Sql, hex: &str) -> String {
    match sql {
        Sql::Sqlite => format!("X'{hex}'"),
        Sql::Postgres => format!("'{hex}'::uuid"),
    }
}

/// The half-hour counters of the generated messages.
fn counters_insert(sql: Sql, gen_: &str, account: &str, channel: &str) -> String {
    let (table, at, unit, key) = (
        "message_counters",
        "bucket",
        1_800_000,
        "account_id, bucket, channel_id",
    );
    let uuid = |hex: &str| uuid_literal(sql, hex);
    let n = |cond: &str| format!("SUM(CASE WHEN {cond} THEN 1 ELSE 0 END)");
    let country = case(
        "ctry",
        &COUNTRIES.iter().map(|(_, c)| *c).collect::<Vec<_>>(),
    );
    format!(
        "{gen_} INSERT INTO {table} (channel_id, {at}, direction, category, country, \
         template, language, account_id, sent, delivered, read, failed, received, replied, \
         charged, cost) \
         SELECT {channel}, t - t % {unit}, \
         CASE WHEN kind = 2 THEN 'user_initiated' ELSE 'business_initiated' END, {CATEGORY}, \
         {country}, CASE WHEN kind = 0 THEN 'promo_' || tpl ELSE '' END, \
         CASE WHEN kind = 0 THEN 'en' ELSE '' END, {account}, \
         {sent}, {delivered}, {read}, {failed}, {received}, 0, {charged}, SUM({PRICE}) \
         FROM g GROUP BY 1, 2, 3, 4, 5, 6, 7 \
         ON CONFLICT ({key}, direction, category, country, template, language) \
         DO UPDATE SET sent = {table}.sent + excluded.sent, \
         delivered = {table}.delivered + excluded.delivered, \
         read = {table}.read + excluded.read, \
         failed = {table}.failed + excluded.failed, \
         received = {table}.received + excluded.received, \
         charged = {table}.charged + excluded.charged, \
         cost = {table}.cost + excluded.cost",
        account = uuid(account),
        channel = uuid(channel),
        sent = n(SENT),
        delivered = n(DELIVERED),
        read = n(READ),
        failed = n(FAILED),
        received = n("kind = 2"),
        charged = n(&format!("({PRICE}) > 0")),
    )
}

pub(super) enum Conn {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

impl Conn {
    pub(super) async fn open(db: &Database) -> anyhow::Result<Self> {
        Ok(match db {
            Database::Sqlite(path) => {
                let opts = sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(path)
                    .busy_timeout(Duration::from_secs(60));
                Self::Sqlite(sqlx::SqliteConnection::connect_with(&opts).await?)
            }
            Database::Postgres(url) => Self::Postgres(sqlx::PgConnection::connect(url).await?),
        })
    }

    pub(super) fn sql(&self) -> Sql {
        match self {
            Self::Sqlite(_) => Sql::Sqlite,
            Self::Postgres(_) => Sql::Postgres,
        }
    }

    pub(super) async fn execute(&mut self, text: String) -> anyhow::Result<()> {
        let q = sqlx::AssertSqlSafe(text);
        match self {
            Self::Sqlite(c) => c.execute(q).await.map(|_| ())?,
            Self::Postgres(c) => c.execute(q).await.map(|_| ())?,
        }
        Ok(())
    }

    /// The first row's text columns.
    pub(super) async fn strings(&mut self, text: &str) -> anyhow::Result<Vec<String>> {
        let q = || sqlx::AssertSqlSafe(text.to_owned());
        Ok(match self {
            Self::Sqlite(c) => {
                let row = c.fetch_one(q()).await?;
                (0..row.len()).map(|n| row.get::<String, _>(n)).collect()
            }
            Self::Postgres(c) => {
                let row = c.fetch_one(q()).await?;
                (0..row.len()).map(|n| row.get::<String, _>(n)).collect()
            }
        })
    }

    pub(super) async fn count(&mut self, text: &str) -> anyhow::Result<i64> {
        let q = || sqlx::AssertSqlSafe(text.to_owned());
        Ok(match self {
            Self::Sqlite(c) => c.fetch_one(q()).await?.get::<i64, _>(0),
            Self::Postgres(c) => c.fetch_one(q()).await?.get::<i64, _>(0),
        })
    }
}

/// `start=…&end=…` of the last `days` days, ending a minute from now.
fn range(end: wagate_core::Timestamp, days: i64) -> String {
    format!(
        "start={}&end={end}",
        end - wagate_core::clock::SignedDuration::from_hours(24 * days)
    )
}

pub async fn run(
    client: &reqwest::Client,
    base: &str,
    key: &str,
    db: &Database,
    messages: u64,
) -> anyhow::Result<()> {
    ensure!(
        messages > 0 && messages <= 1_000_000_000,
        "--analytics takes 1 to 1,000,000,000 messages"
    );
    let mut conn = Conn::open(db).await?;
    let sql = conn.sql();
    let ids = conn
        .strings(match sql {
            Sql::Sqlite => "SELECT hex(account_id), hex(id) FROM channels LIMIT 1",
            Sql::Postgres => "SELECT account_id::text, id::text FROM channels LIMIT 1",
        })
        .await
        .context("the bench's channel")?;
    let (account, channel) = (ids[0].clone(), ids[1].clone());
    let res = client
        .patch(format!("{base}/api/v1/account"))
        .bearer_auth(key)
        .json(&json!({"timezone": "Asia/Kolkata"}))
        .send()
        .await?;
    ensure!(
        res.status().is_success(),
        "setting the time zone: {}",
        res.status()
    );

    let now = wagate_core::Timestamp::now();
    let span_ms: i64 = 365 * 86_400_000;
    let start_ms = now.as_millisecond() - span_ms;
    let step_ms = (span_ms / messages as i64).max(1);
    println!(
        "wagate bench --analytics: {messages} messages over 365 days on {}, {} CPU cores",
        db.describe(),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let started = Instant::now();
    let mut from = 0;
    while from < messages {
        let to = (from + BATCH).min(messages);
        let gen_ = generator(sql, from, to, start_ms, step_ms);
        conn.execute("BEGIN".into()).await?;
        conn.execute(messages_insert(sql, &gen_, &account, &channel))
            .await?;
        conn.execute(counters_insert(sql, &gen_, &account, &channel))
            .await?;
        conn.execute("COMMIT".into()).await?;
        from = to;
        eprint!(
            "\r  stored {from} messages ({:.0} s)",
            started.elapsed().as_secs_f64()
        );
    }
    eprintln!();
    if sql == Sql::Postgres {
        conn.execute("ANALYZE".into()).await?;
    }
    println!(
        "  stored {messages} messages and their counters in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // The API's figures against a count of the messages table; the first query builds the
    // day sums.
    let end = wagate_core::Timestamp::now() + wagate_core::clock::SignedDuration::from_mins(1);
    let year = range(end, 366);
    let built = Instant::now();
    let got: Value = client
        .get(format!(
            "{base}/api/v1/analytics/messages?{year}&granularity=month"
        ))
        .bearer_auth(key)
        .send()
        .await?
        .json()
        .await?;
    println!(
        "  the first query built the day sums (Asia/Kolkata) from the half-hours in {:.1} s",
        built.elapsed().as_secs_f64()
    );
    let sum = |field: &str| -> i64 {
        got["data"]
            .as_array()
            .map(|a| a.iter().filter_map(|p| p[field].as_i64()).sum())
            .unwrap_or(0)
    };
    for (field, column) in [
        ("sent", "sent_at"),
        ("delivered", "delivered_at"),
        ("read", "read_at"),
        ("failed", "failed_at"),
    ] {
        let counted = conn
            .count(&format!(
                "SELECT COUNT(*) FROM messages WHERE {column} IS NOT NULL"
            ))
            .await?;
        ensure!(
            sum(field) == counted,
            "analytics say {} {field}, the messages table {counted}",
            sum(field)
        );
    }
    let received = conn
        .count("SELECT COUNT(*) FROM messages WHERE direction = 'inbound'")
        .await?;
    ensure!(sum("received") == received, "received: {got}");
    println!(
        "  the API's year equals a count of the messages table (sent, delivered, read, failed, received)"
    );

    // The queries.
    let ranges = [
        ("{year}", year),
        ("{quarter}", range(end, 90)),
        ("{month}", range(end, 30)),
        ("{week}", range(end, 7)),
    ];
    let mut all = Vec::new();
    for (name, path) in QUERIES {
        let mut path = (*path).to_owned();
        for (k, v) in &ranges {
            path = path.replace(k, v);
        }
        let url = format!("{base}/api/v1/analytics/{path}");
        let mut took = Vec::with_capacity(50);
        let mut points = 0;
        for _ in 0..50 {
            let t = Instant::now();
            let res = client.get(&url).bearer_auth(key).send().await?;
            ensure!(res.status().is_success(), "{name}: {}", res.status());
            let body: Value = res.json().await?;
            took.push(t.elapsed());
            points = body["data"].as_array().map_or(0, Vec::len);
        }
        took.sort();
        println!(
            "  {name:<40} p50 {:>6.1} ms   p99 {:>6.1} ms   max {:>6.1} ms   ({points} points)",
            ms(took[took.len() / 2]),
            ms(took[took.len() * 99 / 100]),
            ms(*took.last().unwrap_or(&Duration::ZERO)),
        );
        all.extend(took);
    }
    all.sort();
    println!(
        "  all queries: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        ms(all[all.len() / 2]),
        ms(all[all.len() * 99 / 100]),
        ms(*all.last().unwrap_or(&Duration::ZERO)),
    );
    Ok(())
}

pub(super) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
