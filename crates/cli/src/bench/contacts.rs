//! `wagate bench --contacts N`: the contact book at scale, over real HTTP.
//!
//! 1. Generates a CSV of N rows (phone, name, tags from 20 tags — each row one or two —,
//!    two attributes) in a temporary file and creates the tags.
//! 2. Uploads it to `POST /api/v1/contacts/imports` and polls the import until it is
//!    completed: rows/s from upload to completion, and the process's resident memory
//!    (server and bench share the process) sampled while it runs.
//! 3. Lists with a tag filter (`GET /api/v1/contacts?tag=…&limit=50`, the first page and
//!    the next, over every tag), one request at a time: p50, p99 and the slowest.
//! 4. Exports every contact as CSV (`GET /api/v1/contacts/export`): rows/s.

use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use serde_json::{Value, json};

/// Tags the generated rows carry.
const TAGS: u64 = 20;

/// The process's resident memory now, and its peak so far (KiB), from `/proc/self/status`.
fn memory() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn generate(path: &std::path::Path, rows: u64) -> anyhow::Result<u64> {
    let f = std::fs::File::create(path)?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
    writeln!(w, "phone,name,tags,city,plan")?;
    for i in 0..rows {
        let first = i % TAGS;
        let tags = if i % 3 == 0 {
            format!("\"tag{first},tag{}\"", (first + 7) % TAGS)
        } else {
            format!("tag{first}")
        };
        writeln!(
            w,
            "+4477{i:08},Contact {i},{tags},City {},plan{}",
            i % 50,
            i % 3
        )?;
    }
    w.flush()?;
    Ok(std::fs::metadata(path)?.len())
}

pub async fn run(client: &reqwest::Client, base: &str, key: &str, rows: u64) -> anyhow::Result<()> {
    ensure!(
        rows > 0 && rows <= 99_999_999,
        "--contacts takes 1 to 99,999,999 rows"
    );
    let dir = tempfile::tempdir()?;
    let csv = dir.path().join("contacts.csv");
    let (path, n) = (csv.clone(), rows);
    let size = tokio::task::spawn_blocking(move || generate(&path, n)).await??;
    println!(
        "wagate bench --contacts: {rows} rows, {:.1} MiB of CSV, {} CPU cores",
        size as f64 / (1024.0 * 1024.0),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    for t in 0..TAGS {
        let res = client
            .post(format!("{base}/api/v1/tags"))
            .bearer_auth(key)
            .json(&json!({"name": format!("tag{t}")}))
            .send()
            .await?;
        ensure!(
            res.status().is_success(),
            "creating a tag: {}",
            res.status()
        );
    }

    // Import.
    let (rss_before, _) = memory();
    let started = Instant::now();
    let file = tokio::fs::File::open(&csv).await?;
    let part = reqwest::multipart::Part::stream_with_length(reqwest::Body::from(file), size)
        .file_name("contacts.csv")
        .mime_str("text/csv")?;
    let res = client
        .post(format!("{base}/api/v1/contacts/imports"))
        .bearer_auth(key)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await?;
    ensure!(
        res.status().as_u16() == 202,
        "import upload: {}",
        res.status()
    );
    let id = res.json::<Value>().await?["id"]
        .as_str()
        .context("the import's id")?
        .to_owned();
    let uploaded = started.elapsed();
    let mut peak = rss_before;
    let import = loop {
        peak = peak.max(memory().0);
        let i: Value = client
            .get(format!("{base}/api/v1/contacts/imports/{id}"))
            .bearer_auth(key)
            .send()
            .await?
            .json()
            .await?;
        match i["status"].as_str() {
            Some("completed") => break i,
            Some("failed") => bail!("the import failed: {}", i["failure"]),
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    };
    let took = started.elapsed();
    ensure!(
        import["created"].as_u64() == Some(rows),
        "the import created {} of {rows} contacts",
        import["created"]
    );
    println!(
        "  import (CSV over the API)           {:>9.0} rows/s   {:.1} s ({:.1} s upload), {} created, {} refused",
        rows as f64 / took.as_secs_f64(),
        took.as_secs_f64(),
        uploaded.as_secs_f64(),
        import["created"],
        import["failed"],
    );
    let (_, hwm) = memory();
    println!(
        "    resident memory: {:.0} MiB before, {:.0} MiB at most while importing (process peak {:.0} MiB)",
        rss_before as f64 / 1024.0,
        peak as f64 / 1024.0,
        hwm as f64 / 1024.0
    );

    // Tag-filtered lists, one at a time.
    let mut latencies = Vec::new();
    for round in 0..10 {
        for t in 0..TAGS {
            let mut after: Option<String> = None;
            for _page in 0..2 {
                let mut url = format!("{base}/api/v1/contacts?tag=tag{t}&limit=50");
                if let Some(a) = &after {
                    url.push_str(&format!("&after={a}"));
                }
                let start = Instant::now();
                let page: Value = client
                    .get(url)
                    .bearer_auth(key)
                    .send()
                    .await?
                    .json()
                    .await?;
                latencies.push(start.elapsed());
                ensure!(
                    page["data"].as_array().is_some_and(|d| !d.is_empty()),
                    "a tag page came back empty (round {round}): {page}"
                );
                after = page["next_after"].as_str().map(str::to_owned);
            }
        }
    }
    latencies.sort();
    let pick = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
    println!(
        "  GET /api/v1/contacts?tag=…&limit=50  {} requests   p50 {:.1} ms   p99 {:.1} ms   max {:.1} ms (with the total)",
        latencies.len(),
        pick(0.5).as_secs_f64() * 1000.0,
        pick(0.99).as_secs_f64() * 1000.0,
        latencies.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0),
    );

    // Export.
    let started = Instant::now();
    let mut res = client
        .get(format!("{base}/api/v1/contacts/export"))
        .bearer_auth(key)
        .send()
        .await?;
    ensure!(res.status().is_success(), "export: {}", res.status());
    let (mut bytes, mut lines) = (0u64, 0u64);
    while let Some(chunk) = res.chunk().await? {
        bytes += chunk.len() as u64;
        lines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
    }
    let took = started.elapsed();
    ensure!(
        lines == rows + 1,
        "the export has {lines} lines for {rows} contacts"
    );
    println!(
        "  GET /api/v1/contacts/export (CSV)   {:>9.0} rows/s   {:.1} s, {:.1} MiB",
        rows as f64 / took.as_secs_f64(),
        took.as_secs_f64(),
        bytes as f64 / (1024.0 * 1024.0)
    );
    Ok(())
}
