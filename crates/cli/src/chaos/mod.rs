//! `wagate chaos --quick|--full`: the fault suite. Each scenario starts this binary as a
//! `wagate serve` child on a fresh database, subscribes a receiver of its own to
//! `statuses`, sends texts through the simulated network (every user reads, so each
//! message makes `sent`, `delivered` and `read`) while a fault plays, and then counts:
//!
//! - **lost**: acknowledged sends (200) missing from `GET /api/v1/messages`, or without a
//!   final status there, once the scenario has recovered;
//! - **missing events**: acknowledged sends whose `read` event never reached the receiver;
//! - **duplicate hand-overs**: messages handed to the network more than once (`handovers`);
//! - **duplicate events**: an event id received again after the receiver had acknowledged
//!   it (at-least-once delivery allows it; counted apart from **retries**, arrivals after
//!   the receiver refused or timed out);
//! - **out of order**: a message's status acknowledged after a later one (sent < delivered
//!   < read);
//! - **recovery**: for a crash or a stop, from the fault until every message acknowledged
//!   before it had its final event; for a receiver fault, from the receiver healing until
//!   the next POST it acknowledged.
//!
//! The campaign scenarios ([`campaign`]) kill the server while a broadcast campaign runs
//! and count recipients left without a message handed over (lost) and second messages or
//! hand-overs (duplicates) instead; they deliver no webhooks (`-` in the event columns).
//!
//! The exit status is non-zero when a scenario breaks a threshold: 0 lost (messages and
//! events), 0 duplicate hand-overs, 0 out of order, recovery under 10 s.

mod campaign;
mod receiver;
mod server;

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use serde_json::{Value, json};

use self::campaign::CampaignScenario;
use self::receiver::Receiver;
use self::server::{Wagate, rss_bytes};
use crate::args::ChaosArgs;
use crate::bench::{VERIFY_TOKEN, user_number};

/// Recovery must take less than this.
const RECOVERY_LIMIT: Duration = Duration::from_secs(10);
/// Concurrent sending connections.
const CONNECTIONS: usize = 32;
/// Virtual users messages go to.
const USERS: u64 = 200;
/// wagate's webhook timeout in every scenario (`[webhooks] timeout_secs`).
const WEBHOOK_TIMEOUT_SECS: u64 = 2;

#[derive(Clone, Copy, Debug)]
enum Fault {
    /// SIGKILL the server this many times during the sends, restarting it at once.
    Kill(u32),
    /// SIGTERM once, half-way, then restart.
    Term,
    /// The receiver refuses every POST (503) for this long from the first send.
    Outage(Duration),
    /// The receiver's next 16 POSTs hang past wagate's timeout; then it answers at once.
    TimeoutBurst,
    /// Every POST takes this long to answer.
    Slow(Duration),
}

struct Scenario {
    name: String,
    /// `None` for a fresh SQLite file, or a PostgreSQL URL (a fresh schema is made in it).
    postgres: Option<String>,
    sends: u64,
    fault: Fault,
}

#[derive(Default)]
struct Report {
    name: String,
    acked: u64,
    lost: u64,
    missing_events: u64,
    dup_handovers: u64,
    dup_events: u64,
    retries: u64,
    out_of_order: u64,
    recovery: Option<Duration>,
    /// The deadline passed before recovery.
    unrecovered: bool,
    /// A SIGTERM did not end in a clean exit.
    unclean_exit: bool,
    peak_rss: u64,
    drained: Duration,
    notes: Vec<String>,
    /// No webhooks in this scenario: the event columns show `-`.
    no_events: bool,
    /// Other broken expectations (each one fails the scenario).
    problems: Vec<String>,
}

impl Report {
    fn failures(&self) -> Vec<String> {
        let mut f = Vec::new();
        if self.lost > 0 || self.missing_events > 0 {
            f.push(format!(
                "{} lost, {} events missing",
                self.lost, self.missing_events
            ));
        }
        if self.dup_handovers > 0 {
            f.push(format!("{} duplicate hand-overs", self.dup_handovers));
        }
        if self.out_of_order > 0 {
            f.push(format!("{} out of order", self.out_of_order));
        }
        if self.unclean_exit {
            f.push("no clean exit after SIGTERM".to_owned());
        }
        if self.unrecovered || self.recovery.is_some_and(|r| r >= RECOVERY_LIMIT) {
            f.push(format!("recovery {}", self.recovery_text()));
        }
        f.extend(self.problems.iter().cloned());
        f
    }

    fn recovery_text(&self) -> String {
        match (self.recovery, self.unrecovered) {
            (_, true) => "never (deadline)".to_owned(),
            (Some(r), _) => format!("{:.1} s", r.as_secs_f64()),
            (None, _) => "-".to_owned(),
        }
    }

    fn print(&self) {
        let events = |n: u64| {
            if self.no_events {
                "-".to_owned()
            } else {
                n.to_string()
            }
        };
        println!(
            "  {:<44} {:>6} {:>5} {:>7} {:>8} {:>8} {:>7} {:>6} {:>16} {:>8.0} {:>7.1}",
            self.name,
            self.acked,
            self.lost,
            events(self.missing_events),
            self.dup_handovers,
            events(self.dup_events),
            events(self.retries),
            events(self.out_of_order),
            self.recovery_text(),
            self.peak_rss as f64 / (1024.0 * 1024.0),
            self.drained.as_secs_f64(),
        );
        for n in &self.notes {
            println!("      {n}");
        }
        for p in &self.problems {
            println!("      PROBLEM: {p}");
        }
    }
}

fn header() {
    println!(
        "  {:<44} {:>6} {:>5} {:>7} {:>8} {:>8} {:>7} {:>6} {:>16} {:>8} {:>7}",
        "scenario",
        "acked",
        "lost",
        "ev.miss",
        "dup.hand",
        "dup.ev",
        "retries",
        "order",
        "recovery",
        "RSS MiB",
        "drain s"
    );
}

pub async fn run(args: ChaosArgs) -> anyhow::Result<()> {
    wagate_app::install_tls();
    let full = args.full;
    let postgres = (!args.database.is_empty()).then(|| args.database.clone());
    if let Some(url) = &postgres {
        ensure!(
            url.starts_with("postgres://") || url.starts_with("postgresql://"),
            "--database takes a postgres:// URL (SQLite always runs on a temporary file)"
        );
    }
    let kill_sends = if full { 20_000 } else { 2_000 };
    let kills = if full { 3 } else { 1 };
    let mut scenarios = vec![Scenario {
        name: format!("kill -9 x{kills} during {kill_sends} sends, SQLite"),
        postgres: None,
        sends: kill_sends,
        fault: Fault::Kill(kills),
    }];
    if let Some(url) = &postgres {
        scenarios.push(Scenario {
            name: format!("kill -9 x{kills} during {kill_sends} sends, PostgreSQL"),
            postgres: Some(url.clone()),
            sends: kill_sends,
            fault: Fault::Kill(kills),
        });
    }
    if full {
        scenarios.extend([
            Scenario {
                name: "receiver outage 30 s, 2000 sends".into(),
                postgres: None,
                sends: 2_000,
                fault: Fault::Outage(Duration::from_secs(30)),
            },
            Scenario {
                name: "receiver times out 16 POSTs, 200 sends".into(),
                postgres: None,
                sends: 200,
                fault: Fault::TimeoutBurst,
            },
            Scenario {
                name: "slow receiver (50 ms/POST), 2000 sends".into(),
                postgres: None,
                sends: 2_000,
                fault: Fault::Slow(Duration::from_millis(50)),
            },
            Scenario {
                name: "SIGTERM under load, 5000 sends".into(),
                postgres: None,
                sends: 5_000,
                fault: Fault::Term,
            },
        ]);
    }
    // The campaign crash: every recipient one message, however often a node dies.
    let (audience, campaign_kills) = if full { (100_000, 3) } else { (20_000, 1) };
    let mut campaigns = vec![CampaignScenario {
        name: format!("campaign {audience}, kill -9 x{campaign_kills}, SQLite"),
        postgres: None,
        recipients: audience,
        kills: campaign_kills,
        load_kill: full,
        nodes: 1,
    }];
    if let Some(url) = &postgres {
        campaigns.push(if full {
            CampaignScenario {
                name: format!("campaign {audience}, 2 nodes, kill -9 x{campaign_kills}, PG"),
                postgres: Some(url.clone()),
                recipients: audience,
                kills: campaign_kills,
                load_kill: true,
                nodes: 2,
            }
        } else {
            CampaignScenario {
                name: format!("campaign {audience}, kill -9 x{campaign_kills}, PostgreSQL"),
                postgres: Some(url.clone()),
                recipients: audience,
                kills: campaign_kills,
                load_kill: false,
                nodes: 1,
            }
        });
    }
    let deadline = Duration::from_secs(if full { 300 } else { 60 });
    println!(
        "wagate chaos ({}): {} scenario(s); thresholds: 0 lost, 0 duplicate hand-overs, 0 out of order, recovery < {} s",
        if full { "full" } else { "quick" },
        scenarios.len() + campaigns.len(),
        RECOVERY_LIMIT.as_secs()
    );
    header();
    let mut failed = Vec::new();
    let mut record = |name: &str, result: anyhow::Result<Report>| match result {
        Ok(report) => {
            report.print();
            for f in report.failures() {
                failed.push(format!("{}: {f}", report.name));
            }
        }
        Err(e) => {
            println!("  {name:<44} could not run: {e:#}");
            failed.push(format!("{name}: could not run"));
        }
    };
    for s in &scenarios {
        record(&s.name, run_scenario(s, deadline).await);
    }
    for s in &campaigns {
        record(&s.name, campaign::run(s).await);
    }
    if failed.is_empty() {
        println!("chaos: every threshold held");
        Ok(())
    } else {
        anyhow::bail!("thresholds broken: {}", failed.join("; "))
    }
}

/// A fresh schema in `url`, and the URL that selects it.
async fn fresh_schema(url: &str) -> anyhow::Result<(String, String)> {
    use sqlx::Connection;
    let schema = format!("wagate_chaos_{:016x}", rand_u64());
    let mut conn = sqlx::PgConnection::connect(url)
        .await
        .context("connecting to PostgreSQL")?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    let sep = if url.contains('?') { '&' } else { '?' };
    Ok((
        schema.clone(),
        format!("{url}{sep}options=-csearch_path%3D{schema}"),
    ))
}

async fn drop_schema(url: &str, schema: &str) {
    use sqlx::Connection;
    if let Ok(mut conn) = sqlx::PgConnection::connect(url).await {
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
            .execute(&mut conn)
            .await;
        let _ = conn.close().await;
    }
}

fn rand_u64() -> u64 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    (t.as_nanos() as u64) ^ (u64::from(std::process::id()) << 40)
}

async fn run_scenario(s: &Scenario, deadline: Duration) -> anyhow::Result<Report> {
    let dir = tempfile::tempdir()?;
    let config = dir.path().join("wagate.toml");
    std::fs::write(
        &config,
        format!(
            "[dispatch]\nunlimited_throughput = true\n[webhooks]\ntimeout_secs = {WEBHOOK_TIMEOUT_SECS}\n"
        ),
    )?;
    let schema = match &s.postgres {
        Some(url) => Some(fresh_schema(url).await?),
        None => None,
    };
    let result = scenario_on(
        s,
        dir.path(),
        config,
        schema.as_ref().map(|(_, u)| u.clone()),
        deadline,
    )
    .await;
    if let (Some(url), Some((name, _))) = (&s.postgres, &schema) {
        drop_schema(url, name).await;
    }
    result
}

struct Target {
    client: reqwest::Client,
    base: String,
    key: String,
    pnid: String,
}

/// Acknowledged sends, in the order their 200 came.
#[derive(Default)]
struct Acks {
    ids: Mutex<Vec<String>>,
    count: AtomicU64,
}

async fn scenario_on(
    s: &Scenario,
    dir: &std::path::Path,
    config: std::path::PathBuf,
    database: Option<String>,
    deadline: Duration,
) -> anyhow::Result<Report> {
    let mut wagate = Wagate::start(dir, config, database).await?;
    let (key, pnid) = wagate.credentials()?;
    let target = Arc::new(Target {
        client: reqwest::Client::builder()
            .pool_max_idle_per_host(CONNECTIONS)
            .timeout(Duration::from_secs(30))
            .build()?,
        base: wagate.base.clone(),
        key,
        pnid,
    });
    setup(&target).await?;
    let started = Instant::now();
    let receiver = Receiver::start(started).await?;
    subscribe(&target, &receiver.url).await?;

    // Peak RSS of whichever process is serving.
    let pid = Arc::new(AtomicU32::new(wagate.pid().unwrap_or(0)));
    let peak = Arc::new(AtomicU64::new(0));
    let sampling = Arc::new(AtomicBool::new(true));
    let sampler = {
        let (pid, peak, sampling) = (pid.clone(), peak.clone(), sampling.clone());
        tokio::spawn(async move {
            while sampling.load(Ordering::Relaxed) {
                if let Some(rss) = rss_bytes(pid.load(Ordering::Relaxed)) {
                    peak.fetch_max(rss, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };

    let mut report = Report {
        name: s.name.clone(),
        ..Report::default()
    };
    let faults = receiver.faults.clone();
    match s.fault {
        Fault::Outage(_) => faults.refuse.store(true, Ordering::SeqCst),
        Fault::TimeoutBurst => {
            faults
                .hang_ms
                .store((WEBHOOK_TIMEOUT_SECS + 1) * 1000, Ordering::SeqCst);
            faults.hang_next.store(16, Ordering::SeqCst);
        }
        Fault::Slow(d) => faults
            .delay_ms
            .store(d.as_millis() as u64, Ordering::SeqCst),
        Fault::Kill(_) | Fault::Term => {}
    }

    let acks = Arc::new(Acks::default());
    let sending = tokio::spawn(send_all(target.clone(), s.sends, acks.clone()));
    // (when, messages acknowledged by then) of each crash or stop.
    let mut stops: Vec<(Duration, usize)> = Vec::new();
    let times = match s.fault {
        Fault::Kill(n) => n,
        Fault::Term => 1,
        _ => 0,
    };
    {
        {
            for k in 1..=u64::from(times) {
                let at = s.sends * k / (u64::from(times) + 1);
                while acks.count.load(Ordering::SeqCst) < at && !sending.is_finished() {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                let when = started.elapsed();
                if matches!(s.fault, Fault::Term) {
                    let clean = wagate.term().await?;
                    report.unclean_exit |= !clean;
                } else {
                    wagate.kill9().await?;
                }
                let acked_then = acks.ids.lock().expect("acks").len();
                stops.push((when, acked_then));
                wagate.spawn().await?;
                pid.store(wagate.pid().unwrap_or(0), Ordering::Relaxed);
            }
        }
    }
    sending.await.context("the senders")?;
    let sends_done = started.elapsed();
    if let Fault::Outage(d) = s.fault {
        let until = d.saturating_sub(started.elapsed());
        tokio::time::sleep(until).await;
        faults.refuse.store(false, Ordering::SeqCst);
    }
    let healed = match s.fault {
        Fault::Outage(_) => Some(started.elapsed()),
        _ => None,
    };

    // Wait (bounded) until every acknowledged message's final event has arrived.
    let ids: Vec<String> = acks.ids.lock().expect("acks").clone();
    report.acked = ids.len() as u64;
    let until = Instant::now() + deadline;
    loop {
        let done = {
            let r = receiver.lock();
            ids.iter().all(|id| r.finals.contains_key(id))
        };
        if done || Instant::now() >= until {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    report.drained = started.elapsed().saturating_sub(sends_done);

    // The server's own account of every message.
    let listed = list_messages(&target).await?;
    for id in &ids {
        match listed.get(id) {
            Some((status, handovers)) => {
                if !matches!(status.as_str(), "delivered" | "read" | "failed") {
                    report.lost += 1;
                }
                if *handovers > 1 {
                    report.dup_handovers += 1;
                }
            }
            None => report.lost += 1,
        }
    }
    {
        let r = receiver.lock();
        report.missing_events = ids.iter().filter(|id| !r.finals.contains_key(*id)).count() as u64;
        report.dup_events = r.duplicates;
        report.retries = r.retries;
        report.out_of_order = r.out_of_order;
        // Recovery.
        match s.fault {
            Fault::Kill(_) | Fault::Term => {
                let mut worst = Duration::ZERO;
                for (when, count) in &stops {
                    let mut last = *when;
                    for id in &ids[..*count] {
                        match r.finals.get(id) {
                            Some(t) => last = last.max(*t),
                            None => report.unrecovered = true,
                        }
                    }
                    worst = worst.max(last.saturating_sub(*when));
                }
                report.recovery = Some(worst);
            }
            Fault::Outage(_) => {
                let h = healed.expect("healed");
                match r.acked_posts.iter().copied().find(|t| *t >= h) {
                    Some(t) => report.recovery = Some(t - h),
                    None => report.unrecovered = true,
                }
            }
            Fault::TimeoutBurst => {
                // Healthy from the arrival of the last POST it hung.
                match r.hung_posts.last().copied() {
                    Some(h) => {
                        match r.acked_posts.iter().copied().find(|t| *t >= h) {
                            Some(t) => report.recovery = Some(t - h),
                            None => report.unrecovered = true,
                        }
                        report.notes.push(format!(
                            "{} POSTs hung {} s each (wagate's timeout is {WEBHOOK_TIMEOUT_SECS} s)",
                            r.hung_posts.len(),
                            WEBHOOK_TIMEOUT_SECS + 1
                        ));
                    }
                    None => report.notes.push("no POST was hung".into()),
                }
            }
            Fault::Slow(d) => report.notes.push(format!(
                "{} statuses acknowledged at {} ms each",
                r.statuses,
                d.as_millis()
            )),
        }
    }
    sampling.store(false, Ordering::Relaxed);
    let _ = sampler.await;
    report.peak_rss = peak.load(Ordering::Relaxed);
    let _ = wagate.term().await;
    Ok(report)
}

/// Sends texts until `total` are acknowledged; failures (the server down) are retried with
/// the next text after a short pause.
async fn send_all(target: Arc<Target>, total: u64, acks: Arc<Acks>) {
    let next = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let (target, acks, next) = (target.clone(), acks.clone(), next.clone());
            tokio::spawn(async move {
                let url = format!("{}/v23.0/{}/messages", target.base, target.pnid);
                while acks.count.load(Ordering::SeqCst) < total {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let res = target
                        .client
                        .post(&url)
                        .bearer_auth(&target.key)
                        .json(&json!({"messaging_product": "whatsapp",
                            "to": user_number(i % USERS), "type": "text",
                            "text": {"body": format!("chaos {i}")}}))
                        .send()
                        .await;
                    let id = match res {
                        Ok(r) if r.status() == 200 => r
                            .json::<Value>()
                            .await
                            .ok()
                            .and_then(|b| b["messages"][0]["id"].as_str().map(str::to_owned)),
                        _ => None,
                    };
                    match id {
                        Some(id) => {
                            let mut ids = acks.ids.lock().expect("acks");
                            if acks.count.load(Ordering::SeqCst) < total {
                                ids.push(id);
                                acks.count.fetch_add(1, Ordering::SeqCst);
                            } else {
                                // Acknowledged past the goal: still a message to account for.
                                ids.push(id);
                            }
                        }
                        None => tokio::time::sleep(Duration::from_millis(20)).await,
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        let _ = t.await;
    }
}

/// Every outbound message: wamid → (status, hand-overs).
async fn list_messages(
    target: &Target,
) -> anyhow::Result<std::collections::HashMap<String, (String, u64)>> {
    let mut out = std::collections::HashMap::new();
    let mut after: Option<String> = None;
    loop {
        let mut url = format!(
            "{}/api/v1/messages?limit=100&direction=outbound",
            target.base
        );
        if let Some(a) = &after {
            url.push_str(&format!("&after={a}"));
        }
        let page: Value = target
            .client
            .get(&url)
            .bearer_auth(&target.key)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let data = page["data"].as_array().context("a page of messages")?;
        for m in data {
            if let Some(w) = m["wamid"].as_str() {
                out.insert(
                    w.to_owned(),
                    (
                        m["status"].as_str().unwrap_or("").to_owned(),
                        m["handovers"].as_u64().unwrap_or(0),
                    ),
                );
            }
        }
        after = page["next_after"].as_str().map(str::to_owned);
        if data.is_empty() || after.is_none() {
            return Ok(out);
        }
    }
}

/// No throughput limit nor pacing, immediate delivery, every user reads; every user says
/// hello first (opening the window).
async fn setup(target: &Target) -> anyhow::Result<()> {
    let Target {
        client,
        base,
        key,
        pnid,
    } = target;
    let channels: Value = client
        .get(format!("{base}/api/v1/channels"))
        .bearer_auth(key)
        .send()
        .await?
        .json()
        .await?;
    let channel = channels["data"][0]["id"].as_str().context("a channel")?;
    let res = client
        .patch(format!("{base}/api/v1/channels/{channel}"))
        .bearer_auth(key)
        .json(&json!({"upstream": {"kind": "sandbox", "sandbox": {
            "delivery_delay_ms": 0, "read_delay_ms": 0, "read_percent": 100,
            "enforce_throughput": false, "pair_burst": 1_000_000, "pair_interval_ms": 1}}}))
        .send()
        .await?;
    ensure!(
        res.status().is_success(),
        "configuring the sandbox: {}",
        res.text().await?
    );
    let inbound = format!("{base}/sandbox/{pnid}/inbound");
    for i in 0..USERS {
        let res = client
            .post(&inbound)
            .bearer_auth(key)
            .json(&json!({"from": user_number(i), "text": {"body": "hi"}}))
            .send()
            .await?;
        ensure!(res.status().is_success(), "a user could not say hello");
    }
    Ok(())
}

async fn subscribe(target: &Target, url: &str) -> anyhow::Result<()> {
    let res = target
        .client
        .post(format!("{}/api/v1/webhooks", target.base))
        .bearer_auth(&target.key)
        .json(&json!({"url": url, "secret": "chaos-app-secret",
            "verify_token": VERIFY_TOKEN, "fields": ["statuses"]}))
        .send()
        .await?;
    ensure!(
        res.status().is_success(),
        "subscribing the receiver: {}",
        res.text().await?
    );
    Ok(())
}
