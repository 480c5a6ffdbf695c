//! `wagate bench --charging`: what charging costs the send path, in one run.
//!
//! The business sends an approved MARKETING template (Meta charges marketing messages
//! everywhere, windows open or not) to the virtual users, in `--rounds` rounds of two
//! phases of `--seconds` each:
//! - **off**: the account's rate card prices nothing, so a send is quoted no charge — no
//!   hold at accept, nothing to settle on delivery;
//! - **on**: the shipped card: each send holds its price from the (postpaid) wallet in the
//!   transaction that accepts it, and delivery turns the hold into a charge, with its ledger
//!   entries and cost counters.
//!
//! Everything else is the same code: the template's lookup and rendering, the outbox,
//! dispatch, delivery. Off and on alternate so neither runs only on the larger database.
//! The loss is the drop of the accept rate and of the delivered rate from off to on.

use std::time::Duration;

use anyhow::{Context, ensure};
use serde_json::{Value, json};

use super::{Target, sends_of};

const TEMPLATE: &str = "bench_offer";

pub async fn run(target: &Target, rounds: u32) -> anyhow::Result<()> {
    ensure!(rounds > 0, "--rounds must be positive");
    let Target {
        client, base, key, ..
    } = target;
    super::approved_template(
        target,
        json!({"name": TEMPLATE, "language": "en", "category": "MARKETING",
            "components": [{"type": "BODY", "text": "This week only: 20% off everything."}]}),
    )
    .await?;
    println!(
        "wagate bench --charging: a MARKETING template to {} users, {} connections, {} s per phase, {rounds} rounds",
        target.users,
        target.connections,
        target.duration.as_secs()
    );

    let free = json!({"currency": "USD", "source": "wagate bench: charging off",
        "effective": "now", "markets": {"*": {}}});
    let (mut off, mut on) = (Vec::new(), Vec::new());
    let mut offset = 0;
    for round in 1..=rounds {
        for charging in [false, true] {
            let res = if charging {
                client
                    .delete(format!("{base}/api/v1/rates"))
                    .bearer_auth(key)
                    .send()
                    .await?
            } else {
                client
                    .put(format!("{base}/api/v1/rates"))
                    .bearer_auth(key)
                    .json(&free)
                    .send()
                    .await?
            };
            ensure!(
                res.status().is_success(),
                "setting the rate card: {}",
                res.status()
            );
            // The card is cached for 5 s per node.
            tokio::time::sleep(Duration::from_secs(6)).await;
            let charges_before = charges(target).await?;
            let name = if charging {
                "template sends, charging on"
            } else {
                "template sends, charging off"
            };
            println!("  round {round}:");
            let (phase, delivered) = sends_of(target, name, offset, Some(TEMPLATE)).await?;
            offset += phase.ok;
            let charged = charges(target).await? - charges_before;
            if charging {
                ensure!(charged > 0, "charging on, yet nothing was charged");
                on.push((phase.rate(), delivered));
            } else {
                ensure!(charged == 0, "charging off, yet {charged} charges");
                off.push((phase.rate(), delivered));
            }
            println!("    {charged} charges in the ledger");
        }
    }
    let mean =
        |v: &[(f64, f64)], f: fn(&(f64, f64)) -> f64| v.iter().map(f).sum::<f64>() / v.len() as f64;
    let (off_acc, on_acc) = (mean(&off, |p| p.0), mean(&on, |p| p.0));
    let (off_del, on_del) = (mean(&off, |p| p.1), mean(&on, |p| p.1));
    println!(
        "  accepted: off {off_acc:.0} msg/s, on {on_acc:.0} msg/s: {:.1} % lost to charging",
        100.0 * (1.0 - on_acc / off_acc.max(1.0))
    );
    println!(
        "  delivered: off {off_del:.0} msg/s, on {on_del:.0} msg/s: {:.1} % lost to charging",
        100.0 * (1.0 - on_del / off_del.max(1.0))
    );
    Ok(())
}

/// Messages charged so far (today and tomorrow), by the cost analytics.
async fn charges(target: &Target) -> anyhow::Result<u64> {
    let now = wagate_core::Timestamp::now();
    let day = wagate_core::clock::SignedDuration::from_hours(24);
    let w: Value = target
        .client
        .get(format!(
            "{}/api/v1/analytics/costs?start={}&end={}",
            target.base,
            now - day,
            now + day
        ))
        .bearer_auth(&target.key)
        .send()
        .await?
        .json()
        .await?;
    w["total_charged"]
        .as_u64()
        .with_context(|| format!("the cost analytics: {w}"))
}
