//! `wagate bench`: wagate measured on this machine, over real HTTP on loopback.
//!
//! It starts a server in this process on a temporary database (the embedded default unless
//! `--database` says otherwise), lifts the channel's throughput limit and the simulated
//! network's pair rate, lets `--users` virtual users message the business (so their service
//! windows are open), then runs two phases of `--seconds` each with `--connections`
//! concurrent keep-alive connections:
//! 1. `GET /api/v1/whoami`: an authenticated no-op, the server's own floor;
//! 2. `POST /v23.0/{phone_number_id}/messages` with a text to the users in turn.
//!
//! While sends run, the dispatcher hands messages to the simulated network and ingest
//! applies `delivered`; the delivered rate is measured from the first send to the last
//! delivery. Client and server share the machine's cores, as they would on one box.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use serde_json::json;
use tokio::net::TcpListener;
use wagate_app::config::Config;
use wagate_app::database::DatabaseSetting;
use wagate_app::dispatch::DispatchConfig;
use wagate_http::Server;

use crate::args::BenchArgs;

/// Latencies of one phase, in microseconds.
struct Phase {
    name: &'static str,
    ok: u64,
    errors: u64,
    elapsed: Duration,
    latencies: Vec<u32>,
}

impl Phase {
    fn rate(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64()
    }

    fn percentile(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return 0.0;
        }
        let i = ((self.latencies.len() - 1) as f64 * p).round() as usize;
        f64::from(self.latencies[i]) / 1000.0
    }

    fn print(&self) {
        println!(
            "  {:<40} {:>9.0} req/s   p50 {:>6.2} ms   p99 {:>6.2} ms   p999 {:>6.2} ms   ({} ok, {} errors)",
            self.name,
            self.rate(),
            self.percentile(0.50),
            self.percentile(0.99),
            self.percentile(0.999),
            self.ok,
            self.errors
        );
    }
}

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    ensure!(
        args.connections > 0 && args.users > 0,
        "--connections and --users must be positive"
    );
    let dir = tempfile::tempdir().context("creating a temporary data directory")?;
    let config = Config {
        data_dir: dir.path().join("data"),
        database: DatabaseSetting(args.database.clone()),
        database_max_connections: 16,
        log: "warn".to_owned(),
        dispatch: DispatchConfig {
            unlimited_throughput: true,
            enabled: std::env::var_os("WAGATE_BENCH_NO_DISPATCH").is_none(),
            batch_size: 2048,
            ..DispatchConfig::default()
        },
        ..Config::default()
    };
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let server = Server::build(config, listener).await?;
    let creds = server
        .credentials()
        .context("the bench needs a fresh database; point --database at an empty one")?
        .clone();
    let base = server.base_url().to_owned();
    let backend = server.database().describe();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.run(async {
        let _ = stop_rx.await;
    }));

    let key = creds.api_key.expose().to_owned();
    let pnid = creds.phone_number_id.to_string();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.connections)
        .build()?;
    setup(&client, &base, &key, &pnid, args.users).await?;

    println!(
        "wagate bench: {backend}, {} connections, {} s per phase, {} users, {} CPU cores",
        args.connections,
        args.seconds,
        args.users,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let duration = Duration::from_secs(args.seconds);
    let whoami = format!("{base}/api/v1/whoami");
    let noop = load(
        &client,
        args.connections,
        duration,
        "GET /api/v1/whoami (authenticated no-op)",
        {
            let key = key.clone();
            move |c: &reqwest::Client, _i: u64| c.get(&whoami).bearer_auth(&key)
        },
    )
    .await;
    noop.print();

    let delivered_before = delivered(&client, &base).await?;
    let store_before = StoreStats::read(&client, &base).await?;
    let send_started = Instant::now();
    let path = format!("{base}/v23.0/{pnid}/messages");
    let users = args.users as u64;
    let sends = load(
        &client,
        args.connections,
        duration,
        "POST /v23.0/{pnid}/messages (text)",
        {
            let key = key.clone();
            move |c: &reqwest::Client, i: u64| {
                c.post(&path).bearer_auth(&key).json(&json!({
                    "messaging_product": "whatsapp",
                    "to": user_number(i % users),
                    "type": "text",
                    "text": {"body": format!("bench message {i}")}
                }))
            }
        },
    )
    .await;
    sends.print();
    println!(
        "  sends reach {:.0} % of the no-op rate",
        100.0 * sends.rate() / noop.rate().max(1.0)
    );

    // Delivery: from the first send until every accepted message is delivered.
    let target = delivered_before + sends.ok;
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut done = delivered(&client, &base).await?;
    while done < target && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        done = delivered(&client, &base).await?;
    }
    let took = send_started.elapsed();
    let lag = took.saturating_sub(sends.elapsed);
    println!(
        "  delivered in the simulated network: {} of {} accepted, {:.0} msg/s (last delivery {:.1} s after the last send{})",
        done - delivered_before,
        sends.ok,
        (done - delivered_before) as f64 / took.as_secs_f64(),
        lag.as_secs_f64(),
        if done >= target && lag < Duration::from_secs(2) {
            ": dispatch kept up"
        } else {
            ""
        }
    );
    let store = StoreStats::read(&client, &base).await?.since(&store_before);
    if store.transactions > 0.0 {
        println!(
            "  store during sends and delivery: {:.0} write transactions, {:.1} writes each, {:.2} ms each ({:.2} ms of it in COMMIT)",
            store.transactions,
            store.jobs / store.transactions,
            store.busy_seconds * 1000.0 / store.transactions,
            store.commit_seconds * 1000.0 / store.transactions,
        );
    }
    let _ = stop_tx.send(());
    serving.await??;
    Ok(())
}

fn user_number(i: u64) -> String {
    format!("1555{:07}", i)
}

/// Opens the gate: no throughput limit, no pair pacing, immediate delivery, no reads; and
/// every user says hello.
async fn setup(
    client: &reqwest::Client,
    base: &str,
    key: &str,
    pnid: &str,
    users: usize,
) -> anyhow::Result<()> {
    let channels: serde_json::Value = client
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
            "delivery_delay_ms": 0, "read_percent": 0, "enforce_throughput": false,
            "pair_burst": 1_000_000, "pair_interval_ms": 1}}}))
        .send()
        .await?;
    ensure!(
        res.status().is_success(),
        "configuring the sandbox: {}",
        res.text().await?
    );
    let inbound = format!("{base}/sandbox/{pnid}/inbound");
    let hellos = (0..users).map(|i| {
        client
            .post(&inbound)
            .bearer_auth(key)
            .json(&json!({"from": user_number(i as u64), "text": {"body": "hi"}}))
            .send()
    });
    for chunk in futures::future::join_all(hellos).await {
        ensure!(chunk?.status().is_success(), "a user could not say hello");
    }
    Ok(())
}

/// `wagate_message_status_total{status="delivered"}` from `/metrics`.
async fn delivered(client: &reqwest::Client, base: &str) -> anyhow::Result<u64> {
    let text = client
        .get(format!("{base}/metrics"))
        .send()
        .await?
        .text()
        .await?;
    Ok(text
        .lines()
        .find(|l| l.starts_with("wagate_message_status_total{status=\"delivered\"}"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|n| n.parse::<f64>().ok())
        .map_or(0, |n| n as u64))
}

/// Runs `connections` loops for `duration`, each sending `request(i)` and timing it.
async fn load<F>(
    client: &reqwest::Client,
    connections: usize,
    duration: Duration,
    name: &'static str,
    request: F,
) -> Phase
where
    F: Fn(&reqwest::Client, u64) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    let request = Arc::new(request);
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let tasks: Vec<_> = (0..connections)
        .map(|n| {
            let client = client.clone();
            let request = request.clone();
            let stop = stop.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(65_536);
                let (mut ok, mut errors) = (0u64, 0u64);
                let mut i = n as u64;
                while !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    let res = request(&client, i).send().await;
                    let good = match res {
                        Ok(r) => {
                            let s = r.status().is_success();
                            let _ = r.bytes().await;
                            s
                        }
                        Err(_) => false,
                    };
                    if good {
                        ok += 1;
                        latencies.push(t.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
                    } else {
                        errors += 1;
                    }
                    i += connections as u64;
                }
                (ok, errors, latencies)
            })
        })
        .collect();
    tokio::time::sleep(duration).await;
    stop.store(true, Ordering::Relaxed);
    let mut phase = Phase {
        name,
        ok: 0,
        errors: 0,
        elapsed: Duration::ZERO,
        latencies: Vec::new(),
    };
    for t in tasks {
        if let Ok((ok, errors, lat)) = t.await {
            phase.ok += ok;
            phase.errors += errors;
            phase.latencies.extend(lat);
        }
    }
    phase.elapsed = started.elapsed();
    phase.latencies.sort_unstable();
    phase
}

/// The SQLite writer's counters from `/metrics` (all zero on PostgreSQL).
struct StoreStats {
    transactions: f64,
    jobs: f64,
    busy_seconds: f64,
    commit_seconds: f64,
}

impl StoreStats {
    async fn read(client: &reqwest::Client, base: &str) -> anyhow::Result<Self> {
        let metrics = client
            .get(format!("{base}/metrics"))
            .send()
            .await?
            .text()
            .await?;
        let series = |name: &str| {
            metrics
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.rsplit(' ').next())
                .and_then(|n| n.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        Ok(Self {
            transactions: series("wagate_store_write_batch_size_count"),
            jobs: series("wagate_store_write_batch_size_sum"),
            busy_seconds: series("wagate_store_write_seconds_sum"),
            commit_seconds: series("wagate_store_commit_seconds_sum"),
        })
    }

    fn since(&self, before: &Self) -> Self {
        Self {
            transactions: self.transactions - before.transactions,
            jobs: self.jobs - before.jobs,
            busy_seconds: self.busy_seconds - before.busy_seconds,
            commit_seconds: self.commit_seconds - before.commit_seconds,
        }
    }
}
