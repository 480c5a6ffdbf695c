//! The load generator: `connections` keep-alive loops sending requests for a while, each
//! timed.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Latencies of one phase, in microseconds.
pub struct Phase {
    pub name: &'static str,
    pub ok: u64,
    pub errors: u64,
    pub elapsed: Duration,
    pub latencies: Vec<u32>,
}

impl Phase {
    pub fn rate(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64()
    }

    pub fn percentile(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return 0.0;
        }
        let i = ((self.latencies.len() - 1) as f64 * p).round() as usize;
        f64::from(self.latencies[i]) / 1000.0
    }

    pub fn print(&self) {
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

/// Runs `connections` loops for `duration`, each sending `request(i)` and timing it.
pub async fn load<F>(
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
