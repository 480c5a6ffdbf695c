//! `wagate bench --campaign N`: a broadcast to N recipients, and pacing, over real HTTP.
//!
//! 1. **Scale**: generates a CSV of N rows (seed 001's layout: Country, Mobile, var1),
//!    creates a broadcast on an approved MARKETING template with `var1` as its parameter,
//!    uploads the file, waits for the audience to load, launches, and waits until every
//!    recipient's message is `delivered` (the simulated network delivers at once). It
//!    reports the load, the dispatch and the whole, in recipients per second, and the
//!    process's peak resident memory (server and bench share the process).
//! 2. **Pacing**: for each of 80 and 1,000 messages per second, a campaign set to that rate
//!    with enough recipients for the window: after a few seconds of warm-up, the messages
//!    handed over in `--pacing-seconds` (default 60) are counted from the campaign's own
//!    figures and compared with the rate.

use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use serde_json::{Value, json};

use super::{Target, approved_template, channel, open_gate};

const TEMPLATE: &str = "bench_broadcast";
/// Seconds a paced campaign runs before the window opens.
const WARM_UP: Duration = Duration::from_secs(5);

/// The process's resident memory now (KiB), from `/proc/self/status`.
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Numbers of the `batch`-th audience: distinct across batches.
fn number(batch: u64, i: u64) -> String {
    format!("4478{batch:02}{i:07}")
}

fn generate(path: &std::path::Path, batch: u64, rows: u64) -> anyhow::Result<u64> {
    let mut w = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    writeln!(w, "Country,Mobile,var1")?;
    for i in 0..rows {
        let n = number(batch, i);
        writeln!(w, "44,{},Customer {i}", &n[2..])?;
    }
    w.flush()?;
    Ok(std::fs::metadata(path)?.len())
}

struct Api<'a> {
    target: &'a Target,
}

impl Api<'_> {
    async fn call(&self, req: reqwest::RequestBuilder) -> anyhow::Result<Value> {
        let res = req.bearer_auth(&self.target.key).send().await?;
        let status = res.status();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        ensure!(status.is_success(), "{status}: {body}");
        Ok(body)
    }

    async fn get(&self, path: &str) -> anyhow::Result<Value> {
        self.call(
            self.target
                .client
                .get(format!("{}{path}", self.target.base)),
        )
        .await
    }

    async fn post(&self, path: &str, body: &Value) -> anyhow::Result<Value> {
        self.call(
            self.target
                .client
                .post(format!("{}{path}", self.target.base))
                .json(body),
        )
        .await
    }

    async fn create(&self, channel: &str, name: &str, rate: Option<u32>) -> anyhow::Result<String> {
        let c = self
            .post(
                "/api/v1/campaigns",
                &json!({"name": name, "kind": "broadcast", "channel_id": channel,
                        "template": {"name": TEMPLATE, "language": "en"},
                        "params": {"body": [{"from": "column", "name": "var1", "fallback": "there"}]},
                        "rate": rate}),
            )
            .await?;
        Ok(c["id"].as_str().context("the campaign's id")?.to_owned())
    }

    /// Uploads a generated audience of `rows` and waits for it to load.
    async fn audience(&self, id: &str, batch: u64, rows: u64) -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let csv = dir.path().join("audience.csv");
        let path = csv.clone();
        let size = tokio::task::spawn_blocking(move || generate(&path, batch, rows)).await??;
        let file = tokio::fs::File::open(&csv).await?;
        let part = reqwest::multipart::Part::stream_with_length(reqwest::Body::from(file), size)
            .file_name("audience.csv")
            .mime_str("text/csv")?;
        self.call(
            self.target
                .client
                .post(format!(
                    "{}/api/v1/campaigns/{id}/audience",
                    self.target.base
                ))
                .multipart(reqwest::multipart::Form::new().part("file", part)),
        )
        .await?;
        loop {
            let c = self.get(&format!("/api/v1/campaigns/{id}")).await?;
            match c["audience"]["status"].as_str() {
                Some("ready") => {
                    ensure!(
                        c["counts"]["recipients"].as_u64() == Some(rows),
                        "the audience loaded {} of {rows} rows: {c}",
                        c["counts"]["recipients"]
                    );
                    return Ok(());
                }
                Some("failed") => bail!("the audience failed to load: {c}"),
                _ => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
    }
}

pub async fn run(target: &Target, rows: u64, pacing_seconds: u64) -> anyhow::Result<()> {
    ensure!(
        (1..=9_999_999).contains(&rows),
        "--campaign takes 1 to 9,999,999 recipients"
    );
    open_gate(target, 0).await?;
    approved_template(
        target,
        json!({"name": TEMPLATE, "language": "en", "category": "MARKETING",
               "components": [{"type": "BODY", "text": "Hi {{1}}, this week only: 20% off everything.",
                   "example": {"body_text": [["Asha"]]}}]}),
    )
    .await?;
    let channel = channel(target).await?;
    let channel = channel["id"].as_str().context("a channel")?.to_owned();
    let api = Api { target };
    // An unthrottled number: no messaging tier holds recipients back.
    api.call(
        target
            .client
            .patch(format!("{}/api/v1/channels/{channel}", target.base))
            .json(&json!({"messaging_limit_tier": "TIER_UNLIMITED"})),
    )
    .await?;
    println!(
        "wagate bench --campaign: {rows} recipients from a CSV, {} CPU cores",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );

    // 1. Scale.
    let id = api.create(&channel, "bench scale", None).await?;
    let started = Instant::now();
    let mut peak = rss_kib();
    api.audience(&id, 0, rows).await?;
    let loaded = started.elapsed();
    peak = peak.max(rss_kib());
    api.post(&format!("/api/v1/campaigns/{id}/launch"), &json!({}))
        .await?;
    let launched = Instant::now();
    let mut last = (Instant::now(), 0u64);
    let done = loop {
        peak = peak.max(rss_kib());
        let c = api.get(&format!("/api/v1/campaigns/{id}")).await?;
        let delivered = c["counts"]["delivered"].as_u64().unwrap_or(0);
        if c["status"] == "completed" && delivered >= rows {
            break c;
        }
        ensure!(
            c["status"] == "running" || c["status"] == "completed",
            "the campaign stopped: {c}"
        );
        if delivered != last.1 {
            last = (Instant::now(), delivered);
        } else if last.0.elapsed() > Duration::from_secs(60) {
            bail!("no progress for a minute: {c}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let dispatched = launched.elapsed();
    let total = started.elapsed();
    let secs = |d: Duration| d.as_secs_f64().max(0.001);
    println!(
        "  audience: {rows} rows loaded in {:.1} s ({:.0} rows/s)",
        secs(loaded),
        rows as f64 / secs(loaded)
    );
    println!(
        "  dispatch: {} delivered in {:.1} s ({:.0} msg/s)",
        done["counts"]["delivered"],
        secs(dispatched),
        rows as f64 / secs(dispatched)
    );
    println!(
        "  whole: {:.1} s from upload to the last delivery (goal < 300 s for 1,000,000); peak RSS {:.0} MiB (goal < 512)",
        secs(total),
        peak as f64 / 1024.0
    );

    // 2. Pacing.
    for (batch, rate) in [(1u64, 80u32), (2, 1000)] {
        let window = Duration::from_secs(pacing_seconds.max(1));
        let n = u64::from(rate) * (window + WARM_UP).as_secs() + u64::from(rate) * 5;
        let id = api
            .create(&channel, &format!("bench pacing {rate}"), Some(rate))
            .await?;
        api.audience(&id, batch, n).await?;
        api.post(&format!("/api/v1/campaigns/{id}/launch"), &json!({}))
            .await?;
        tokio::time::sleep(WARM_UP).await;
        let sent = |c: &Value| c["counts"]["sent"].as_u64().unwrap_or(0);
        let first = api.get(&format!("/api/v1/campaigns/{id}")).await?;
        let t0 = Instant::now();
        tokio::time::sleep(window).await;
        let second = api.get(&format!("/api/v1/campaigns/{id}")).await?;
        let took = t0.elapsed();
        let measured = (sent(&second) - sent(&first)) as f64 / secs(took);
        let off = 100.0 * (measured - f64::from(rate)) / f64::from(rate);
        println!(
            "  pacing at {rate} msg/s: {measured:.1} msg/s over {:.0} s ({off:+.2} %, goal ±2 %)",
            secs(took)
        );
        api.post(&format!("/api/v1/campaigns/{id}/cancel"), &json!({}))
            .await?;
    }
    Ok(())
}
