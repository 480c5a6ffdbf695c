//! `wagate bench`: wagate measured on this machine, over real HTTP on loopback. (`--contacts N`
//! measures the contact book instead: see [`contacts`]; `--analytics N` analytics queries
//! over N stored messages: see [`analytics`]; `--charging` template sends with and without
//! charging: see [`charging`]; `--campaign N` a broadcast to N recipients and campaign
//! pacing: see [`campaign`]; `--console N` the console's pages over N stored messages: see
//! [`console`].)
//!
//! It starts a server in this process on a temporary database (the embedded default unless
//! `--database` says otherwise), lifts the channel's throughput limit and the simulated
//! network's pair rate, lets `--users` virtual users message the business (so their service
//! windows are open), then runs three phases of `--seconds` each with `--connections`
//! concurrent keep-alive connections:
//! 1. `GET /api/v1/whoami`: an authenticated no-op, the server's own floor;
//! 2. `POST /v23.0/{phone_number_id}/messages` with a text to the users in turn;
//! 3. the same sends with a webhook subscriber: a receiver in this process, subscribed to
//!    `statuses`, while every user reads what they get (`sent`, `delivered` and `read`:
//!    three events per message).
//!
//! While sends run, the dispatcher hands messages to the simulated network and ingest
//! applies `delivered`; the delivered rate is measured from the first send to the last
//! delivery, and the webhook rate from the first send to the last event received. The
//! event-to-delivery latency comes from wagate's own histogram
//! (`wagate_webhook_delivery_seconds`). Client, server and receiver share the machine's
//! cores, as they would on one box.

mod analytics;
mod campaign;
mod charging;
mod console;
mod contacts;
mod load;
mod metrics;
mod receiver;

use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use serde_json::json;
use tokio::net::TcpListener;
use wagate_app::config::Config;
use wagate_app::messaging::dispatch::DispatchConfig;
use wagate_app::platform::database::DatabaseSetting;
use wagate_http::Server;

use self::load::{Phase, load};
use self::metrics::{Scrape, StoreStats, quantile};
use self::receiver::Receiver;
pub(crate) use self::receiver::VERIFY_TOKEN;
use crate::args::BenchArgs;

/// How long the bench waits for deliveries and events after a phase's sends.
const DRAIN: Duration = Duration::from_secs(120);

struct Target {
    client: reqwest::Client,
    base: String,
    key: String,
    pnid: String,
    users: u64,
    connections: usize,
    duration: Duration,
}

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    ensure!(
        args.connections > 0 && args.users > 0,
        "--connections and --users must be positive"
    );
    let dir = tempfile::tempdir().context("creating a temporary data directory")?;
    let dispatch = std::env::var_os("WAGATE_BENCH_NO_DISPATCH").is_none();
    let config = Config {
        data_dir: dir.path().join("data"),
        database: DatabaseSetting(args.database.clone()),
        database_max_connections: 16,
        log: "warn".to_owned(),
        dispatch: DispatchConfig {
            unlimited_throughput: true,
            enabled: dispatch,
            batch_size: 2048,
            ..DispatchConfig::default()
        },
        // The charging bench's template is approved as soon as it is created.
        templates: wagate_app::templates::TemplatesConfig {
            approve_all: true,
            review_delay_ms: 0,
            ..Default::default()
        },
        // The bench's webhook receiver listens on loopback.
        outbound: wagate_app::platform::outbound::OutboundConfig {
            allow_private_networks: true,
            ..Default::default()
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
    let database = server.database().clone();
    let serving = tokio::spawn(server.run(async {
        let _ = stop_rx.await;
    }));

    let target = Target {
        client: reqwest::Client::builder()
            .pool_max_idle_per_host(args.connections)
            .build()?,
        base,
        key: creds.api_key.expose().to_owned(),
        pnid: creds.phone_number_id.to_string(),
        users: args.users as u64,
        connections: args.connections,
        duration: Duration::from_secs(args.seconds),
    };
    if let Some(messages) = args.analytics {
        let result = analytics::run(
            &target.client,
            &target.base,
            &target.key,
            &database,
            messages,
        )
        .await;
        let _ = stop_tx.send(());
        serving.await??;
        return result;
    }
    if let Some(messages) = args.console {
        let result = console::run(
            &target.client,
            &target.base,
            &target.key,
            &database,
            messages,
        )
        .await;
        let _ = stop_tx.send(());
        serving.await??;
        return result;
    }
    if let Some(rows) = args.contacts {
        let result = contacts::run(&target.client, &target.base, &target.key, rows).await;
        let _ = stop_tx.send(());
        serving.await??;
        return result;
    }
    if let Some(rows) = args.campaign {
        let result = campaign::run(&target, rows, args.pacing_seconds).await;
        let _ = stop_tx.send(());
        serving.await??;
        return result;
    }
    setup(&target).await?;
    if args.charging {
        let result = charging::run(&target, args.rounds).await;
        let _ = stop_tx.send(());
        serving.await??;
        return result;
    }

    println!(
        "wagate bench: {backend}, {} connections, {} s per phase, {} users, {} CPU cores",
        args.connections,
        args.seconds,
        args.users,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let whoami = format!("{}/api/v1/whoami", target.base);
    let key = target.key.clone();
    let noop = load(
        &target.client,
        args.connections,
        target.duration,
        "GET /api/v1/whoami (authenticated no-op)",
        move |c: &reqwest::Client, _i: u64| c.get(&whoami).bearer_auth(&key),
    )
    .await;
    noop.print();

    let sends = sends_phase(&target, "POST /v23.0/{pnid}/messages (text)", 0).await?;
    println!(
        "    sends reach {:.0} % of the no-op rate",
        100.0 * sends.rate() / noop.rate().max(1.0)
    );
    if dispatch {
        webhooks_phase(&target, args.webhook_batch, sends.ok).await?;
    }
    let _ = stop_tx.send(());
    serving.await??;
    Ok(())
}

/// Sends for the phase's duration, then waits for their delivery; prints both.
async fn sends_phase(target: &Target, name: &'static str, offset: u64) -> anyhow::Result<Phase> {
    Ok(sends_of(target, name, offset, None).await?.0)
}

/// [`sends_phase`] of texts, or with `template` of that template (no parameters, `en`).
async fn sends_of(
    target: &Target,
    name: &'static str,
    offset: u64,
    template: Option<&'static str>,
) -> anyhow::Result<(Phase, f64)> {
    let before = Scrape::read(&target.client, &target.base).await?;
    let started = Instant::now();
    let path = format!("{}/v23.0/{}/messages", target.base, target.pnid);
    let (key, users) = (target.key.clone(), target.users);
    let sends = load(
        &target.client,
        target.connections,
        target.duration,
        name,
        move |c: &reqwest::Client, i: u64| {
            let i = i + offset;
            let to = user_number(i % users);
            c.post(&path).bearer_auth(&key).json(&match template {
                None => json!({
                    "messaging_product": "whatsapp", "to": to, "type": "text",
                    "text": {"body": format!("bench message {i}")}
                }),
                Some(name) => json!({
                    "messaging_product": "whatsapp", "to": to, "type": "template",
                    "template": {"name": name, "language": {"code": "en"}}
                }),
            })
        },
    )
    .await;
    sends.print();
    if std::env::var_os("WAGATE_BENCH_NO_DISPATCH").is_some() {
        return Ok((sends, 0.0));
    }
    // Delivery: from the first send until every accepted message is delivered.
    let goal = before.delivered() + sends.ok;
    let deadline = Instant::now() + DRAIN;
    let mut now = Scrape::read(&target.client, &target.base).await?;
    while now.delivered() < goal && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        now = Scrape::read(&target.client, &target.base).await?;
    }
    let took = started.elapsed();
    let lag = took.saturating_sub(sends.elapsed);
    let done = now.delivered() - before.delivered();
    println!(
        "    delivered in the simulated network: {done} of {} accepted, {:.0} msg/s (last delivery {:.1} s after the last send{})",
        sends.ok,
        done as f64 / took.as_secs_f64(),
        lag.as_secs_f64(),
        if done >= sends.ok && lag < Duration::from_secs(2) {
            ": dispatch kept up"
        } else {
            ""
        }
    );
    StoreStats::of(&now).since(&StoreStats::of(&before)).print();
    Ok((sends, done as f64 / took.as_secs_f64()))
}

/// Subscribes a local receiver to `statuses`, then runs the sends again; every user reads
/// at once, so each message makes three events (sent, delivered, read), as a business's
/// traffic does.
async fn webhooks_phase(target: &Target, batch: u32, offset: u64) -> anyhow::Result<()> {
    open_gate(target, 100).await?;
    let started = Instant::now();
    let receiver = Receiver::start(started).await?;
    let res = target
        .client
        .post(format!("{}/api/v1/webhooks", target.base))
        .bearer_auth(&target.key)
        .json(&json!({"url": receiver.url, "secret": "bench-app-secret",
            "verify_token": VERIFY_TOKEN, "fields": ["statuses"], "batch_size": batch}))
        .send()
        .await?;
    ensure!(
        res.status().is_success(),
        "subscribing the bench receiver: {}",
        res.text().await?
    );
    let before = Scrape::read(&target.client, &target.base).await?;
    let sends = sends_phase(
        target,
        "POST /v23.0/{pnid}/messages, webhook subscriber",
        offset,
    )
    .await?;
    // Three events per accepted message: sent, delivered and read.
    let goal = 3 * sends.ok;
    let deadline = Instant::now() + DRAIN;
    while receiver.events() < goal && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let after = Scrape::read(&target.client, &target.base).await?;
    let last = Duration::from_micros(
        receiver
            .counts
            .last_us
            .load(std::sync::atomic::Ordering::Relaxed),
    );
    let events = receiver.events();
    let posts = receiver
        .counts
        .posts
        .load(std::sync::atomic::Ordering::Relaxed);
    let age = "wagate_webhook_delivery_seconds";
    let (b, a) = (before.buckets(age), after.buckets(age));
    let ms = |q: f64| quantile(&b, &a, q).map_or(f64::NAN, |s| s * 1000.0);
    println!(
        "    webhooks: {events} of {goal} events in {posts} POSTs (batch_size {batch}), {:.0} events/s, event-to-delivery p50 {:.1} ms, p99 {:.1} ms (last event {:.1} s after the last send)",
        events as f64 / last.as_secs_f64().max(0.001),
        ms(0.5),
        ms(0.99),
        last.saturating_sub(sends.elapsed).as_secs_f64(),
    );
    Ok(())
}

pub(crate) fn user_number(i: u64) -> String {
    format!("1555{:07}", i)
}

/// The bench's channel, as the management API shows it.
async fn channel(target: &Target) -> anyhow::Result<serde_json::Value> {
    let channels: serde_json::Value = target
        .client
        .get(format!("{}/api/v1/channels", target.base))
        .bearer_auth(&target.key)
        .send()
        .await?
        .json()
        .await?;
    Ok(channels["data"][0].clone())
}

/// Creates a template from Meta's create `body` on the channel's WABA and waits for the
/// sandbox to approve it (the bench approves everything at once).
async fn approved_template(target: &Target, body: serde_json::Value) -> anyhow::Result<()> {
    let Target {
        client, base, key, ..
    } = target;
    let channel = channel(target).await?;
    let waba = channel["waba_id"].as_str().context("the channel's WABA")?;
    let created: serde_json::Value = client
        .post(format!("{base}/v23.0/{waba}/message_templates"))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await?
        .json()
        .await?;
    let id = created["id"]
        .as_str()
        .with_context(|| format!("creating the template: {created}"))?;
    let mut status = String::new();
    for _ in 0..100 {
        let t: serde_json::Value = client
            .get(format!("{base}/v23.0/{id}"))
            .bearer_auth(key)
            .send()
            .await?
            .json()
            .await?;
        status = t["status"].as_str().unwrap_or_default().to_owned();
        if status == "APPROVED" {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("the template is {status}")
}

/// Opens the gate: no throughput limit, no pair pacing, immediate delivery, reads by
/// `read_percent` % of users at once.
async fn open_gate(target: &Target, read_percent: u8) -> anyhow::Result<()> {
    let Target {
        client, base, key, ..
    } = target;
    let channel = channel(target).await?;
    let channel = channel["id"].as_str().context("a channel")?;
    let res = client
        .patch(format!("{base}/api/v1/channels/{channel}"))
        .bearer_auth(key)
        .json(&json!({"upstream": {"kind": "sandbox", "sandbox": {
            "delivery_delay_ms": 0, "read_delay_ms": 0, "read_percent": read_percent,
            "enforce_throughput": false, "pair_burst": 1_000_000, "pair_interval_ms": 1}}}))
        .send()
        .await?;
    ensure!(
        res.status().is_success(),
        "configuring the sandbox: {}",
        res.text().await?
    );
    Ok(())
}

/// Opens the gate without reads, and every user says hello.
async fn setup(target: &Target) -> anyhow::Result<()> {
    let Target {
        client,
        base,
        key,
        pnid,
        users,
        ..
    } = target;
    open_gate(target, 0).await?;
    let inbound = format!("{base}/sandbox/{pnid}/inbound");
    let hellos = (0..*users).map(|i| {
        client
            .post(&inbound)
            .bearer_auth(key)
            .json(&json!({"from": user_number(i), "text": {"body": "hi"}}))
            .send()
    });
    for chunk in futures::future::join_all(hellos).await {
        ensure!(chunk?.status().is_success(), "a user could not say hello");
    }
    Ok(())
}
