//! The campaign crash scenario: `kill -9` at any moment of a broadcast campaign, restart at
//! once, and every recipient still gets exactly one message handed to the upstream, none
//! skipped — on SQLite, and on PostgreSQL with one node or with two nodes running the same
//! campaign while one of them is killed again and again.
//!
//! It starts this binary as `wagate serve` (one child, or two on one PostgreSQL database
//! sharing their media directory and keys, as nodes of one database must), gives the
//! sandbox channel fast delivery, a throughput of [`THROUGHPUT`] messages per second (so the
//! campaign is paced by its channel, and two nodes share its pacing slot) and no messaging
//! tier limit; creates an approved template, a broadcast with a fixed parameter, uploads an
//! audience of N distinct numbers as a CSV (loaded by the `campaigns` worker in batches),
//! launches it, and SIGKILLs a node at random moments spread over the run (the only one;
//! with two, the second, which shares the feeding with the first), restarting it at once
//! each time; with `load_kill`, also once while the audience loads (the node holding the
//! load). Once the campaign is `completed` and no message waits for its hand-over, it reads
//! everything back through the API (the campaign, its recipients page by page, every
//! outbound message page by page) and counts:
//!
//! - **lost**: numbers of the file without a recipient, a recipient `PENDING` or `SKIPPED`
//!   or without a `message_id`, a recipient whose message is not in `GET /api/v1/messages`,
//!   or whose message was never handed over (`handovers` 0, status not `sent`, `delivered`
//!   or `read`);
//! - **duplicates** (the `dup.hand` column): a second message to one number, a message no
//!   recipient names, two recipients naming one message, a message handed over twice
//!   (`handovers` > 1);
//! - **recovery**: from each kill until the campaign's `sent` count moves past the first
//!   figures read after the kill (with one node, once it answers again; with two, the
//!   survivor answers and keeps sending, so it shows that nothing waited on the dead one).
//!   A kill during the audience load is reported apart: the load resumes when its lease
//!   lapses (30 s);
//! - **drain s**: from the launch to the last hand-over; the notes add the audience's load
//!   time, the rate, the kills and the longest spell without a hand-over while it ran.
//!
//! The campaign's own figures (`recipients`, `queued`, `skipped`) must agree with the rows;
//! a disagreement is reported and fails the scenario. This proves the feed's claim (see
//! `wagate_app::campaigns::runner`): one transaction stores a batch's messages through the
//! outbox with its recipients marked, stale when another worker fed them first, so neither
//! a crash between a message and its mark nor two nodes feeding one campaign can send a
//! recipient twice or pass one over.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use super::server::{Wagate, rss_bytes};
use super::{Report, drop_schema, fresh_schema, rand_u64};

/// The channel's throughput (the campaign's pace), messages per second.
const THROUGHPUT: u32 = 1000;
/// Page size of the lists read back.
const PAGE: u32 = 1000;
/// How long the campaign may go without its figures moving before the scenario gives up.
const STALL_LIMIT: Duration = Duration::from_secs(120);

pub(super) struct CampaignScenario {
    pub name: String,
    /// `None` for a fresh SQLite file, or a PostgreSQL URL (a fresh schema is made in it).
    pub postgres: Option<String>,
    /// Recipients (distinct numbers in the audience file).
    pub recipients: u64,
    /// SIGKILLs while the campaign runs.
    pub kills: u32,
    /// One more SIGKILL while the audience loads.
    pub load_kill: bool,
    /// `wagate serve` children on the database (2: PostgreSQL only); the last is the one
    /// killed.
    pub nodes: usize,
}

/// A small xorshift: random kill moments, reproducible from the seed in the report.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The number of recipient `i` (digits): distinct, apart from the other scenarios' users.
fn number(i: u64) -> String {
    format!("1556{i:07}")
}

pub(super) async fn run(s: &CampaignScenario) -> anyhow::Result<Report> {
    ensure!(
        s.nodes == 1 || s.postgres.is_some(),
        "two nodes share a PostgreSQL database"
    );
    let dir = tempfile::tempdir()?;
    let media = dir.path().join("media");
    std::fs::create_dir_all(&media)?;
    let config = dir.path().join("wagate.toml");
    // Template review approves at once; the nodes share where media (the audience file)
    // is kept and the key its URLs are signed with.
    std::fs::write(
        &config,
        format!(
            "[templates]\nreview_delay_ms = 0\napprove_all = true\n\
             [media]\ndir = {:?}\nurl_key = \"chaos-campaign-{:016x}\"\n",
            media.display().to_string(),
            rand_u64()
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
    )
    .await;
    if let (Some(url), Some((name, _))) = (&s.postgres, &schema) {
        drop_schema(url, name).await;
    }
    result
}

/// The API of the node that is never killed (the only one, with one node: calls retry
/// while it restarts).
struct Api {
    client: reqwest::Client,
    base: String,
    key: String,
}

impl Api {
    /// GET, retried for up to a minute while the node is down (or answers 5xx).
    async fn get(&self, path: &str) -> anyhow::Result<Value> {
        let until = Instant::now() + Duration::from_secs(60);
        loop {
            let res = self
                .client
                .get(format!("{}{path}", self.base))
                .bearer_auth(&self.key)
                .send()
                .await;
            match res {
                Ok(r) if r.status().is_success() => return Ok(r.json().await?),
                Ok(r) if r.status().is_client_error() => {
                    bail!("GET {path}: {} {}", r.status(), r.text().await?)
                }
                Ok(_) | Err(_) if Instant::now() < until => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Ok(r) => bail!("GET {path}: {} {}", r.status(), r.text().await?),
                Err(e) => return Err(e).with_context(|| format!("GET {path}")),
            }
        }
    }

    /// A single attempt (the caller polls).
    async fn try_get(&self, path: &str) -> Option<Value> {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.key)
            .send()
            .await
            .ok()?;
        if !r.status().is_success() {
            return None;
        }
        r.json().await.ok()
    }

    async fn send(
        &self,
        req: reqwest::RequestBuilder,
        what: &str,
        expect: u16,
    ) -> anyhow::Result<Value> {
        let res = req
            .bearer_auth(&self.key)
            .send()
            .await
            .with_context(|| what.to_owned())?;
        let status = res.status().as_u16();
        let text = res.text().await?;
        ensure!(status == expect, "{what}: {status} {text}");
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// Stops the background loops (RSS sampling, polling) when the scenario ends, however it
/// ends.
struct StopOnDrop(Vec<Arc<AtomicBool>>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        for f in &self.0 {
            f.store(false, Ordering::Relaxed);
        }
    }
}

/// The campaign's figures at one moment, from `started`.
#[derive(Clone, Copy, Debug, Default)]
struct Sample {
    at: Duration,
    queued: u64,
    sent: u64,
}

fn sample(c: &Value, at: Duration) -> Sample {
    Sample {
        at,
        queued: c["counts"]["queued"].as_u64().unwrap_or(0),
        sent: c["counts"]["sent"].as_u64().unwrap_or(0),
    }
}

async fn scenario_on(
    s: &CampaignScenario,
    dir: &std::path::Path,
    config: std::path::PathBuf,
    database: Option<String>,
) -> anyhow::Result<Report> {
    let mut report = Report {
        name: s.name.clone(),
        acked: s.recipients,
        no_events: true,
        ..Report::default()
    };
    let seed = rand_u64() | 1;
    let mut rng = Rng(seed);

    // The nodes: the first bootstraps the database; the others get its keys.
    let first = dir.join("node1");
    std::fs::create_dir_all(&first)?;
    let mut nodes = vec![Wagate::start(&first, config.clone(), database.clone()).await?];
    let (key, _) = nodes[0].credentials()?;
    for i in 2..=s.nodes {
        let d = dir.join(format!("node{i}"));
        std::fs::create_dir_all(d.join("data"))?;
        for k in ["secrets.key", "media.key"] {
            let from = nodes[0].data.join(k);
            if from.exists() {
                std::fs::copy(&from, d.join("data").join(k))?;
            }
        }
        nodes.push(Wagate::start(&d, config.clone(), database.clone()).await?);
    }
    let victim = nodes.len() - 1;
    let api = Arc::new(Api {
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(120))
            .build()?,
        base: nodes[0].base.clone(),
        key,
    });

    // Peak RSS of the nodes.
    let pids: Arc<Vec<AtomicU32>> = Arc::new(
        nodes
            .iter()
            .map(|n| AtomicU32::new(n.pid().unwrap_or(0)))
            .collect(),
    );
    let peak = Arc::new(AtomicU64::new(0));
    let sampling = Arc::new(AtomicBool::new(true));
    let polling = Arc::new(AtomicBool::new(true));
    let _stop = StopOnDrop(vec![sampling.clone(), polling.clone()]);
    let sampler = {
        let (pids, peak, sampling) = (pids.clone(), peak.clone(), sampling.clone());
        tokio::spawn(async move {
            while sampling.load(Ordering::Relaxed) {
                for p in pids.iter() {
                    if let Some(rss) = rss_bytes(p.load(Ordering::Relaxed)) {
                        peak.fetch_max(rss, Ordering::Relaxed);
                    }
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };

    let (channel, waba) = setup(&api).await?;
    let template = approved_template(&api, &waba).await?;
    let created = api
        .send(
            api.client.post(api.url("/api/v1/campaigns")).json(&json!({
                "name": "chaos", "kind": "broadcast", "channel_id": channel,
                "template": {"name": template, "language": "en_US"},
                "params": {"body": [{"from": "fixed", "value": "chaos"}]}
            })),
            "creating the campaign",
            201,
        )
        .await?;
    let id = created["id"].as_str().context("a campaign id")?.to_owned();
    let path = format!("/api/v1/campaigns/{id}");

    // The audience: N distinct numbers.
    let mut csv = String::with_capacity(usize::try_from(s.recipients).unwrap_or(0) * 14 + 8);
    csv.push_str("phone\n");
    for i in 0..s.recipients {
        csv.push('+');
        csv.push_str(&number(i));
        csv.push('\n');
    }
    let started = Instant::now();
    let form = Form::new().part(
        "file",
        Part::bytes(csv.into_bytes())
            .file_name("audience.csv")
            .mime_str("text/csv")?,
    );
    api.send(
        api.client
            .post(api.url(&format!("{path}/audience")))
            .multipart(form),
        "uploading the audience",
        202,
    )
    .await?;

    // The load, with a kill at a random point of it.
    let mut load_kill: Option<(Duration, u64)> = None;
    let load_target = (s.recipients as f64 * (0.1 + 0.4 * rng.unit())) as u64;
    let load_deadline = Instant::now() + Duration::from_secs(300);
    let audience = loop {
        let c = api.get(&path).await?;
        let status = c["audience"]["status"].as_str().unwrap_or("").to_owned();
        if status == "ready" || status == "failed" {
            break c;
        }
        if s.load_kill && load_kill.is_none() {
            let read = c["audience"]["rows_read"].as_u64().unwrap_or(0);
            if read >= load_target {
                tokio::time::sleep(Duration::from_millis(rng.next() % 100)).await;
                // The node holding the load (with one node, the only one).
                let holder = match &database {
                    Some(url) if nodes.len() > 1 => {
                        lease_holder(url, &id, &nodes).await.unwrap_or(victim)
                    }
                    _ => victim,
                };
                let when = started.elapsed();
                nodes[holder].kill9().await?;
                nodes[holder].spawn().await?;
                pids[holder].store(nodes[holder].pid().unwrap_or(0), Ordering::Relaxed);
                load_kill = Some((when, read));
                report.notes.push(format!(
                    "kill -9 of node {} during the audience load at {read} rows read ({:.1} s)",
                    holder + 1,
                    when.as_secs_f64()
                ));
            }
        }
        ensure!(
            Instant::now() < load_deadline,
            "the audience did not load in 300 s: {c}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let loaded = started.elapsed();
    ensure!(
        audience["audience"]["status"] == "ready",
        "the audience load failed: {audience}"
    );
    if s.load_kill && load_kill.is_none() {
        report
            .notes
            .push("the audience loaded before the load's kill was due".into());
    }
    let load_note = match load_kill {
        Some((when, _)) => format!(
            "; it resumed after the kill once its lease lapsed ({:.1} s after the kill)",
            loaded.saturating_sub(when).as_secs_f64()
        ),
        None => String::new(),
    };
    report.notes.push(format!(
        "audience of {} loaded in {:.1} s{load_note}",
        audience["counts"]["recipients"],
        loaded.as_secs_f64()
    ));
    if audience["counts"]["recipients"].as_u64() != Some(s.recipients) {
        report.problems.push(format!(
            "the audience holds {} recipients, not {}",
            audience["counts"]["recipients"], s.recipients
        ));
    }

    // Launch, and poll the figures while the kills play.
    let launched = api
        .send(
            api.client.post(api.url(&format!("{path}/launch"))),
            "launching",
            200,
        )
        .await?;
    ensure!(launched["status"] == "running", "launched: {launched}");
    let launch_at = started.elapsed();
    let samples: Arc<Mutex<Vec<Sample>>> = Arc::new(Mutex::new(Vec::new()));
    let last_status: Arc<Mutex<String>> = Arc::new(Mutex::new("running".into()));
    let poller = {
        let (api, samples, last_status, polling, path) = (
            api.clone(),
            samples.clone(),
            last_status.clone(),
            polling.clone(),
            path.clone(),
        );
        tokio::spawn(async move {
            while polling.load(Ordering::Relaxed) {
                if let Some(c) = api.try_get(&path).await {
                    let at = started.elapsed();
                    samples.lock().expect("samples").push(sample(&c, at));
                    *last_status.lock().expect("status") =
                        c["status"].as_str().unwrap_or("").to_owned();
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let latest = |samples: &Mutex<Vec<Sample>>| {
        samples
            .lock()
            .expect("samples")
            .last()
            .copied()
            .unwrap_or_default()
    };

    // The kills, spread over the run: kill k when about (k - 1/2 + u) / (K + 1) of the
    // recipients are queued, u uniform in [0, 1), plus up to 250 ms.
    let mut kills: Vec<Duration> = Vec::new();
    let mut kill_notes = Vec::new();
    for k in 1..=s.kills {
        let f = (f64::from(k) - 0.5 + rng.unit()) / f64::from(s.kills + 1);
        let target = (s.recipients as f64 * f) as u64;
        loop {
            let now = latest(&samples);
            let status = last_status.lock().expect("status").clone();
            if now.queued >= target || status != "running" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        if *last_status.lock().expect("status") != "running" {
            kill_notes.push(format!("kill {k} not made: the campaign had ended"));
            break;
        }
        tokio::time::sleep(Duration::from_millis(rng.next() % 250)).await;
        let at = latest(&samples);
        let when = started.elapsed();
        nodes[victim].kill9().await?;
        nodes[victim].spawn().await?;
        pids[victim].store(nodes[victim].pid().unwrap_or(0), Ordering::Relaxed);
        kills.push(when);
        kill_notes.push(format!(
            "{:.1} s (~{} queued, ~{} sent; listening again after {:.2} s)",
            when.saturating_sub(launch_at).as_secs_f64(),
            at.queued,
            at.sent,
            started.elapsed().saturating_sub(when).as_secs_f64()
        ));
    }

    // Until completed (or stalled, or far slower than its pace).
    let deadline = Instant::now() + Duration::from_secs(60 + s.recipients / 100);
    let mut last_move = (Instant::now(), Sample::default());
    loop {
        let status = last_status.lock().expect("status").clone();
        let now = latest(&samples);
        if status == "completed" {
            break;
        }
        if !matches!(status.as_str(), "running" | "") {
            bail!("the campaign went {status}");
        }
        if Instant::now() > deadline {
            bail!(
                "the campaign was not completed in time: {} queued, {} sent",
                now.queued,
                now.sent
            );
        }
        if now.queued != last_move.1.queued || now.sent != last_move.1.sent {
            last_move = (Instant::now(), now);
        } else if last_move.0.elapsed() > STALL_LIMIT {
            bail!(
                "the campaign stalled at {} queued, {} sent",
                now.queued,
                now.sent
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    polling.store(false, Ordering::Relaxed);
    let _ = poller.await;
    let completed = started.elapsed();
    // Every message handed over (bounded).
    let until = Instant::now() + Duration::from_secs(120);
    loop {
        let waiting = api
            .get("/api/v1/messages?direction=outbound&status=accepted&limit=1")
            .await?;
        if waiting["total"].as_u64() == Some(0) || Instant::now() >= until {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let handed = started.elapsed();
    report.drained = handed.saturating_sub(launch_at);
    let run = completed.saturating_sub(launch_at);
    report.notes.push(format!(
        "ran {:.1} s from launch to completed ({:.0} recipients/s), last hand-over {:.1} s \
         after launch; seed {seed:#x}",
        run.as_secs_f64(),
        s.recipients as f64 / run.as_secs_f64().max(0.001),
        report.drained.as_secs_f64()
    ));
    if !kill_notes.is_empty() {
        report.notes.push(format!(
            "kill -9 of node {} after launch at {}",
            victim + 1,
            kill_notes.join(", ")
        ));
    }

    // Recovery and stalls, from the samples.
    {
        let samples = samples.lock().expect("samples");
        let mut worst = Duration::ZERO;
        for when in &kills {
            // The first figures after the kill, then the first that moved past them.
            let mut after = samples.iter().filter(|x| x.at > *when);
            let Some(first) = after.next() else {
                report.unrecovered = true;
                continue;
            };
            match after.find(|x| x.sent > first.sent) {
                Some(x) => worst = worst.max(x.at.saturating_sub(*when)),
                None if first.sent >= s.recipients => {
                    worst = worst.max(first.at.saturating_sub(*when));
                }
                None => report.unrecovered = true,
            }
        }
        if !kills.is_empty() {
            report.recovery = Some(worst);
        }
        // (length, from) of the longest spell.
        let mut stall = (Duration::ZERO, Duration::ZERO);
        let mut since = samples.first().copied().unwrap_or_default();
        for x in samples.iter() {
            if x.sent > since.sent {
                let spell = x.at.saturating_sub(since.at);
                if spell > stall.0 {
                    stall = (spell, since.at);
                }
                since = *x;
            }
        }
        report.notes.push(format!(
            "longest spell without a hand-over while running: {:.1} s, from {:.1} s after launch",
            stall.0.as_secs_f64(),
            stall.1.saturating_sub(launch_at).as_secs_f64()
        ));
    }

    verify(&api, &path, s.recipients, &mut report).await?;

    sampling.store(false, Ordering::Relaxed);
    let _ = sampler.await;
    report.peak_rss = peak.load(Ordering::Relaxed);
    for n in &mut nodes {
        let _ = n.term().await;
    }
    Ok(report)
}

/// The node whose process holds the campaign's audience load (its lease owner names the
/// pid), if any.
async fn lease_holder(url: &str, campaign: &str, nodes: &[Wagate]) -> Option<usize> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url).await.ok()?;
    let owner: Option<String> =
        sqlx::query_scalar("SELECT lease_owner FROM campaigns WHERE CAST(id AS TEXT) = $1")
            .bind(campaign)
            .fetch_optional(&mut conn)
            .await
            .ok()
            .flatten()
            .flatten();
    let _ = conn.close().await;
    let pid: u32 = owner?.split('-').nth(1)?.parse().ok()?;
    nodes.iter().position(|n| n.pid() == Some(pid))
}

/// Reads every recipient and every outbound message back and counts what was lost and
/// what came twice (see the module docs).
async fn verify(api: &Api, path: &str, n: u64, report: &mut Report) -> anyhow::Result<()> {
    let c = api.get(path).await?;
    let counts = &c["counts"];
    for (k, want) in [
        ("recipients", n),
        ("queued", n),
        ("skipped", 0),
        ("pending", 0),
    ] {
        if counts[k].as_u64() != Some(want) {
            report
                .problems
                .push(format!("the campaign counts {} {k}, not {want}", counts[k]));
        }
    }
    for state in ["PENDING", "SKIPPED"] {
        let v = api
            .get(&format!("{path}/recipients?status={state}&limit=1"))
            .await?;
        if v["total"].as_u64() != Some(0) {
            report
                .problems
                .push(format!("{} recipients {state}", v["total"]));
        }
    }

    // Every recipient row: number → message id.
    let mut rows: HashMap<String, Vec<Option<String>>> = HashMap::new();
    let mut total_rows = 0u64;
    let mut after: Option<u64> = None;
    loop {
        let mut q = format!("{path}/recipients?limit={PAGE}&fields=row,wa_id,message_id,status");
        if let Some(a) = after {
            q.push_str(&format!("&after={a}"));
        }
        let page = api.get(&q).await?;
        let data = page["data"].as_array().context("a page of recipients")?;
        for r in data {
            total_rows += 1;
            let wa = r["wa_id"].as_str().unwrap_or("").trim_start_matches('+');
            rows.entry(wa.to_owned())
                .or_default()
                .push(r["message_id"].as_str().map(str::to_owned));
        }
        after = page["next_after"].as_u64();
        if data.is_empty() || after.is_none() {
            break;
        }
    }

    // Every outbound message: id → (number, status, hand-overs).
    let mut messages: HashMap<String, (String, String, u64)> = HashMap::new();
    let mut after: Option<String> = None;
    loop {
        let mut q = format!("/api/v1/messages?direction=outbound&limit={PAGE}&total=false");
        if let Some(a) = &after {
            q.push_str(&format!("&after={a}"));
        }
        let page = api.get(&q).await?;
        let data = page["data"].as_array().context("a page of messages")?;
        for m in data {
            let id = m["id"].as_str().unwrap_or("").to_owned();
            messages.insert(
                id,
                (
                    m["wa_id"].as_str().unwrap_or("").to_owned(),
                    m["status"].as_str().unwrap_or("").to_owned(),
                    m["handovers"].as_u64().unwrap_or(0),
                ),
            );
        }
        after = page["next_after"].as_str().map(str::to_owned);
        if data.is_empty() || after.is_none() {
            break;
        }
    }

    // Lost: per number of the file.
    let mut lost = 0u64;
    let mut why: HashMap<&str, u64> = HashMap::new();
    let mut named: HashMap<&str, u64> = HashMap::new();
    for i in 0..n {
        let num = number(i);
        let reason = match rows.get(&num).map(Vec::as_slice) {
            None | Some([]) => Some("no recipient"),
            Some(list) => {
                let ids: Vec<&str> = list.iter().filter_map(|m| m.as_deref()).collect();
                for id in &ids {
                    *named.entry(id).or_default() += 1;
                }
                let handed = ids.iter().any(|id| {
                    messages.get(*id).is_some_and(|(_, st, h)| {
                        *h >= 1 && matches!(st.as_str(), "sent" | "delivered" | "read")
                    })
                });
                if ids.is_empty() {
                    Some("no message")
                } else if !ids.iter().any(|id| messages.contains_key(*id)) {
                    Some("its message is not listed")
                } else if !handed {
                    Some("never handed over")
                } else {
                    None
                }
            }
        };
        if let Some(r) = reason {
            lost += 1;
            *why.entry(r).or_default() += 1;
        }
    }
    // Duplicates: a second message to a number, a message no recipient names, a message
    // two recipients name, a second hand-over.
    let mut per_number: HashMap<&str, u64> = HashMap::new();
    for (wa, _, _) in messages.values() {
        *per_number.entry(wa.as_str()).or_default() += 1;
    }
    let second_messages: u64 = per_number.values().map(|k| k.saturating_sub(1)).sum();
    let unnamed = messages
        .keys()
        .filter(|id| !named.contains_key(id.as_str()))
        .count() as u64;
    let named_twice: u64 = named.values().map(|k| k.saturating_sub(1)).sum();
    let rehanded = messages.values().filter(|(_, _, h)| *h > 1).count() as u64;
    let strangers = rows.keys().filter(|wa| !is_ours(wa, n)).count() as u64;
    let extra_rows = total_rows.saturating_sub(rows.len() as u64);
    report.lost = lost;
    report.dup_handovers = second_messages.max(unnamed) + named_twice + rehanded;
    let distinct: HashSet<&str> = named.keys().copied().collect();
    report.notes.push(format!(
        "read back {total_rows} recipients, {} outbound messages, {} distinct message ids \
         named; 2nd messages to a number {second_messages}, messages no recipient names \
         {unnamed}, ids named twice {named_twice}, hand-overs > 1 {rehanded}",
        messages.len(),
        distinct.len()
    ));
    if !why.is_empty() {
        let mut w: Vec<String> = why.iter().map(|(k, v)| format!("{v} {k}")).collect();
        w.sort();
        report.notes.push(format!("lost: {}", w.join(", ")));
    }
    if distinct.len() as u64 != n {
        report.problems.push(format!(
            "{} distinct message ids named by the recipients, not {n}",
            distinct.len()
        ));
    }
    if strangers > 0 || extra_rows > 0 {
        report.problems.push(format!(
            "{strangers} recipients not in the file, {extra_rows} numbers on two rows"
        ));
    }
    Ok(())
}

fn is_ours(wa: &str, n: u64) -> bool {
    wa.strip_prefix("1556")
        .filter(|d| d.len() == 7)
        .and_then(|d| d.parse::<u64>().ok())
        .is_some_and(|i| i < n)
}

/// Fast delivery (every user reads), throughput [`THROUGHPUT`], no tier limit; the first
/// channel's id and WABA.
async fn setup(api: &Api) -> anyhow::Result<(String, String)> {
    let channels = api.get("/api/v1/channels").await?;
    let channel = channels["data"][0]["id"]
        .as_str()
        .context("a channel")?
        .to_owned();
    let waba = channels["data"][0]["waba_id"]
        .as_str()
        .context("a WABA")?
        .to_owned();
    api.send(
        api.client
            .patch(api.url(&format!("/api/v1/channels/{channel}")))
            .json(&json!({
                "throughput_mps": THROUGHPUT,
                "messaging_limit_tier": "TIER_UNLIMITED",
                "upstream": {"kind": "sandbox", "sandbox": {
                    "delivery_delay_ms": 0, "read_delay_ms": 0, "read_percent": 100,
                    "enforce_throughput": false, "pair_burst": 1_000_000,
                    "pair_interval_ms": 1}}})),
        "configuring the channel",
        200,
    )
    .await?;
    Ok((channel, waba))
}

/// A UTILITY template with one body variable, approved by the sandbox's review; its name.
async fn approved_template(api: &Api, waba: &str) -> anyhow::Result<String> {
    let name = "chaos_campaign";
    let created = api
        .send(
            api.client
                .post(api.url(&format!("/v23.0/{waba}/message_templates")))
                .json(&json!({
                    "name": name, "language": "en_US", "category": "UTILITY",
                    "components": [{"type": "BODY",
                        "text": "Hello {{1}}, your chaos test is on its way.",
                        "example": {"body_text": [["Pat"]]}}]})),
            "creating the template",
            200,
        )
        .await?;
    let id = created["id"].as_str().context("a template id")?.to_owned();
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        let t = api.get(&format!("/v23.0/{id}")).await?;
        match t["status"].as_str() {
            Some("APPROVED") => return Ok(name.to_owned()),
            Some("PENDING") | None if Instant::now() < until => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            _ => bail!("the template was not approved: {t}"),
        }
    }
}
