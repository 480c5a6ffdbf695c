//! `wagate bench --console N`: the console's pages over real HTTP, with N messages stored in
//! N / 10 conversations (the figure: `--console 1000000`, 100,000 conversations).
//!
//! 1. Stores the conversations (the per-channel `contacts` rows the inbox lists, each with
//!    its last activity and last inbound message) and their messages (ten each, the last
//!    ones most recent, a tenth received), spread over the last 30 days, with their
//!    half-hour analytics counters, by `INSERT … SELECT` from a generator as
//!    `--analytics` does (the send path would take hours).
//! 2. Signs in to the console like a browser (the sign-in form, its token and cookie).
//! 3. Requests each page of [`PAGES`] 50 times, one at a time: p50, p99 and the slowest; the
//!    goal is every page under 100 ms.

use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use wagate_app::platform::database::Database;

use super::analytics::{Conn, Sql, generator, ms, uuid_literal};

/// Rows per generating statement.
const BATCH: u64 = 250_000;
/// Messages per conversation.
const PER_CONVERSATION: u64 = 10;

/// The pages measured: a name and the path, where `{channel}` is the bench's channel id and
/// `{wa_id}` the most recently active conversation's user.
const PAGES: &[(&str, &str)] = &[
    ("overview", "/console"),
    (
        "inbox: conversation list",
        "/console/inbox?channel={channel}",
    ),
    (
        "inbox: a conversation",
        "/console/inbox?channel={channel}&c={wa_id}",
    ),
    ("contacts", "/console/contacts"),
    ("templates", "/console/templates"),
    ("campaigns", "/console/campaigns"),
    ("numbers & money", "/console/numbers?channel={channel}"),
    ("webhooks", "/console/webhooks"),
];

/// The generated user number of conversation `expr` (a SQL expression).
fn wa_id(sql: Sql, expr: &str) -> String {
    match sql {
        Sql::Sqlite => format!("'1555' || printf('%07d', {expr})"),
        Sql::Postgres => format!("'1555' || lpad(({expr})::text, 7, '0')"),
    }
}

fn id(sql: Sql, expr: &str, tag: &str) -> String {
    match sql {
        Sql::Sqlite => format!("unhex(printf('00000000000070008{tag}%012x', {expr}))"),
        Sql::Postgres => {
            format!("('00000000-0000-7000-8{tag}-' || lpad(to_hex({expr}), 12, '0'))::uuid")
        }
    }
}

/// Messages `[from, to)`: message i belongs to conversation i % conversations; kind 2
/// (received) for a tenth, text otherwise; the later the message, the more recent.
fn messages_insert(
    sql: Sql,
    gen_: &str,
    account: &str,
    channel: &str,
    conversations: u64,
) -> String {
    let json = if sql == Sql::Postgres {
        "jsonb"
    } else {
        "TEXT"
    };
    format!(
        "{gen_} INSERT INTO messages (id, wamid, account_id, channel_id, direction, wa_id, type, \
         content, status, created_at, sent_at, delivered_at, read_at, failed_at, number) \
         SELECT {id}, 'wamid.console' || i, {account}, {channel}, \
         CASE WHEN i % 10 = 9 THEN 'inbound' ELSE 'outbound' END, {wa}, 'text', \
         CAST('{{\"type\":\"text\",\"text\":{{\"body\":\"Hello from the bench\"}}}}' AS {json}), \
         CASE WHEN i % 10 = 9 THEN 'received' WHEN fate < 2 THEN 'failed' WHEN fate < 60 THEN 'read' \
         ELSE 'delivered' END, t, \
         CASE WHEN i % 10 <> 9 AND fate >= 2 THEN t END, \
         CASE WHEN i % 10 <> 9 AND fate >= 2 THEN t END, \
         CASE WHEN i % 10 <> 9 AND fate >= 2 AND fate < 60 THEN t END, \
         CASE WHEN i % 10 <> 9 AND fate < 2 THEN t END, i + 1 FROM g",
        id = id(sql, "i", "000"),
        account = uuid_literal(sql, account),
        channel = uuid_literal(sql, channel),
        wa = wa_id(sql, &format!("i % {conversations}")),
    )
}

/// What the generated rows are of.
struct Seed<'a> {
    sql: Sql,
    account: &'a str,
    channel: &'a str,
    conversations: u64,
    start_ms: i64,
    step_ms: i64,
}

/// The conversations `[from, to)`: user u's last message is message
/// `(PER_CONVERSATION - 1) * conversations + u`, at `start + that * step`.
fn contacts_insert(seed: &Seed<'_>, from: u64, to: u64) -> String {
    let Seed {
        sql,
        conversations,
        start_ms,
        step_ms,
        ..
    } = *seed;
    let gen_ = generator(sql, from, to, 0, 0);
    let last = format!("({} * {conversations} + i)", PER_CONVERSATION - 1);
    format!(
        "{gen_} INSERT INTO contacts (id, account_id, channel_id, wa_id, profile_name, \
         first_message_at, last_message_at, last_inbound_at, created_at) \
         SELECT {id}, {account}, {channel}, {wa}, 'User ' || i, {start_ms} + i * {step_ms}, \
         {start_ms} + {last} * {step_ms}, \
         CASE WHEN i % 3 = 0 THEN {start_ms} + {last} * {step_ms} END, {start_ms} + i * {step_ms} \
         FROM g",
        id = id(sql, "i", "100"),
        account = uuid_literal(sql, seed.account),
        channel = uuid_literal(sql, seed.channel),
        wa = wa_id(sql, "i"),
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
        (PER_CONVERSATION..=100_000_000).contains(&messages),
        "--console takes 10 to 100,000,000 messages"
    );
    // A page that fails says why (the server logs its cause at error level).
    let _ = tracing_subscriber::fmt()
        .with_env_filter("error")
        .try_init();
    let conversations = messages / PER_CONVERSATION;
    let messages = conversations * PER_CONVERSATION;
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
    let channel_id = conn
        .strings(match sql {
            Sql::Sqlite => {
                "SELECT lower(substr(hex(id),1,8) || '-' || substr(hex(id),9,4) || '-' || \
                 substr(hex(id),13,4) || '-' || substr(hex(id),17,4) || '-' || substr(hex(id),21)) \
                 FROM channels LIMIT 1"
            }
            Sql::Postgres => "SELECT id::text FROM channels LIMIT 1",
        })
        .await?
        .remove(0);

    let now = wagate_core::Timestamp::now();
    let span_ms: i64 = 30 * 86_400_000;
    let start_ms = now.as_millisecond() - span_ms;
    let step_ms = (span_ms / messages as i64).max(1);
    println!(
        "wagate bench --console: {messages} messages in {conversations} conversations on {}, {} CPU cores",
        db.describe(),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let seed = Seed {
        sql,
        account: &account,
        channel: &channel,
        conversations,
        start_ms,
        step_ms,
    };
    let started = Instant::now();
    let mut from = 0;
    while from < conversations {
        let to = (from + BATCH).min(conversations);
        conn.execute(contacts_insert(&seed, from, to)).await?;
        from = to;
    }
    let mut from = 0;
    while from < messages {
        let to = (from + BATCH).min(messages);
        let gen_ = generator(sql, from, to, start_ms, step_ms);
        conn.execute(messages_insert(
            sql,
            &gen_,
            &account,
            &channel,
            conversations,
        ))
        .await?;
        from = to;
        eprint!(
            "\r  stored {from} messages ({:.0} s)",
            started.elapsed().as_secs_f64()
        );
    }
    eprintln!();
    conn.execute("ANALYZE".into()).await?;
    let stored = conn.count("SELECT COUNT(*) FROM messages").await?;
    let listed = conn.count("SELECT COUNT(*) FROM contacts").await?;
    ensure!(
        stored as u64 >= messages && listed as u64 >= conversations,
        "stored {stored} messages and {listed} conversations"
    );
    println!(
        "  stored {stored} messages in {listed} conversations in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let session = sign_in(base, key).await?;
    let newest = format!("1555{:07}", conversations - 1);
    let mut all = Vec::new();
    for (name, path) in PAGES {
        let path = path
            .replace("{channel}", &channel_id)
            .replace("{wa_id}", &newest);
        let url = format!("{base}{path}");
        let mut took = Vec::with_capacity(50);
        let mut bytes = 0;
        for _ in 0..50 {
            let t = Instant::now();
            let res = client
                .get(&url)
                .header(reqwest::header::COOKIE, &session)
                .send()
                .await?;
            ensure!(res.status() == 200, "{name} ({path}): {}", res.status());
            bytes = res.bytes().await?.len();
            took.push(t.elapsed());
        }
        took.sort();
        println!(
            "  {name:<28} p50 {:>6.1} ms   p99 {:>6.1} ms   max {:>6.1} ms   ({} KB)",
            ms(took[took.len() / 2]),
            ms(took[took.len() * 99 / 100]),
            ms(*took.last().unwrap_or(&Duration::ZERO)),
            bytes / 1024,
        );
        all.extend(took);
    }
    all.sort();
    let p99 = all[all.len() * 99 / 100];
    println!(
        "  all pages: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (goal: under 100 ms) {}",
        ms(all[all.len() / 2]),
        ms(p99),
        ms(*all.last().unwrap_or(&Duration::ZERO)),
        if p99 < Duration::from_millis(100) {
            "met"
        } else {
            "NOT met"
        }
    );
    Ok(())
}

/// Signs in as a browser does; the session cookie (`name=value`).
async fn sign_in(base: &str, key: &str) -> anyhow::Result<String> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let form = client.get(format!("{base}/console/sign-in")).send().await?;
    let cookie = |res: &reqwest::Response, name: &str| {
        res.headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&format!("{name}=")))
            .and_then(|v| v.split(';').next())
            .map(str::to_owned)
    };
    let token_cookie = cookie(&form, "wagate_console_signin").context("sign-in cookie")?;
    let html = form.text().await?;
    let token = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .context("the sign-in form's token")?
        .to_owned();
    let res = client
        .post(format!("{base}/console/sign-in"))
        .header(reqwest::header::COOKIE, token_cookie)
        .form(&[("api_key", key), ("csrf", token.as_str())])
        .send()
        .await?;
    ensure!(res.status() == 303, "sign-in: {}", res.status());
    cookie(&res, "wagate_console").context("the session cookie")
}
