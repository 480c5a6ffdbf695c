//! The deliverer: sends each pending delivery to its subscriber, signed, and records the
//! attempt.
//!
//! [`Deliverer::run_once`] looks for subscriptions with due deliveries and, for each one
//! that has room (at most `concurrency` POSTs in flight per subscription, and not resting
//! after a failure), leases deliveries and starts their POSTs in the background; it does not
//! wait for them, so a slow receiver never holds back another. The store leases only the
//! oldest pending delivery of each message, so one message's events reach a subscriber in
//! the order they happened, retries included. A lease outlives the POST timeout; if this
//! node dies mid-POST, the lease runs out and another step sends the delivery again (at
//! least once).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::Rng;
use tokio_util::task::TaskTracker;
use wagate_core::Timestamp;
use wagate_core::ids::{ChannelId, SubscriptionId};
use wagate_core::webhook::{ChannelRef, Subscription, ascii};
use wagate_store::records::now;
use wagate_store::{AttemptOutcome, DeliveryAttempt, DeliveryJob, Store};

use super::config::WebhookConfig;
use super::render::Renderers;
use super::verify::describe;

/// Largest body Meta sends; wagate never sends more.
pub const MAX_BODY: usize = 3 * 1024 * 1024;
/// How much of a body the delivery log keeps.
const EXCERPT: usize = 512;
/// Subscriptions looked at per step.
const SUBSCRIPTIONS_PER_STEP: u32 = 256;

/// What one step started.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// POSTs started.
    pub posts: usize,
    /// Deliveries they carry.
    pub deliveries: usize,
}

#[derive(Default)]
struct Lane {
    in_flight: u32,
    consecutive_failures: u32,
    resting_until: Option<Instant>,
}

pub struct Deliverer {
    store: Arc<dyn Store>,
    client: reqwest::Client,
    config: WebhookConfig,
    renderers: Renderers,
    lanes: Mutex<HashMap<SubscriptionId, Lane>>,
    tasks: TaskTracker,
}

impl Deliverer {
    pub fn new(store: Arc<dyn Store>, client: reqwest::Client, config: WebhookConfig) -> Self {
        Self {
            store,
            client,
            config,
            renderers: Renderers::default(),
            lanes: Mutex::new(HashMap::new()),
            tasks: TaskTracker::new(),
        }
    }

    pub fn config(&self) -> &WebhookConfig {
        &self.config
    }

    /// POSTs still running.
    pub fn in_flight(&self) -> usize {
        self.tasks.len()
    }

    /// Waits for every POST started so far to finish and be recorded.
    pub async fn settle(&self) {
        self.tasks.close();
        self.tasks.wait().await;
        self.tasks.reopen();
    }

    /// Starts POSTs for what is due at `now` (see the module docs).
    pub async fn run_once(self: &Arc<Self>, now: Timestamp) -> wagate_store::Result<Step> {
        let mut step = Step::default();
        for subscription in self
            .store
            .due_subscriptions(now, SUBSCRIPTIONS_PER_STEP)
            .await?
        {
            let room = self.room(subscription.id);
            if room == 0 {
                continue;
            }
            let batch = subscription.batch_size.get();
            let lease_until = Timestamp::from_millisecond(
                now.as_millisecond() + 1000 * (2 * self.config.timeout_secs as i64 + 5),
            )
            .unwrap_or(now);
            let jobs = self
                .store
                .lease_deliveries(subscription.id, now, lease_until, room * batch)
                .await?;
            if jobs.is_empty() {
                continue;
            }
            step.deliveries += jobs.len();
            let subscription = Arc::new(subscription);
            for post in group(jobs, batch as usize) {
                step.posts += 1;
                self.lane(subscription.id, |l| l.in_flight += 1);
                let this = self.clone();
                let subscription = subscription.clone();
                self.tasks.spawn(async move {
                    let ok = this.post(&subscription, post).await;
                    this.finished(subscription.id, ok);
                });
            }
        }
        Ok(step)
    }

    /// POSTs this subscription may start now.
    fn room(&self, id: SubscriptionId) -> u32 {
        let lanes = self.lanes.lock().expect("lanes lock");
        match lanes.get(&id) {
            None => self.config.concurrency,
            Some(l) if l.resting_until.is_some_and(|t| t > Instant::now()) => 0,
            // Probing after failures: one POST at a time until one succeeds.
            Some(l) if l.consecutive_failures > 0 => u32::from(l.in_flight == 0),
            Some(l) => self.config.concurrency.saturating_sub(l.in_flight),
        }
    }

    fn lane(&self, id: SubscriptionId, f: impl FnOnce(&mut Lane)) {
        f(self
            .lanes
            .lock()
            .expect("lanes lock")
            .entry(id)
            .or_default());
    }

    fn finished(&self, id: SubscriptionId, ok: bool) {
        let base = self.config.pause_base_ms;
        let max = self.config.backoff_max_ms;
        self.lane(id, |l| {
            l.in_flight = l.in_flight.saturating_sub(1);
            if ok {
                l.consecutive_failures = 0;
                l.resting_until = None;
            } else {
                l.consecutive_failures = l.consecutive_failures.saturating_add(1);
                let rest = base
                    .saturating_mul(2u64.saturating_pow(l.consecutive_failures.min(20) - 1))
                    .min(max);
                l.resting_until = Some(Instant::now() + Duration::from_millis(rest));
            }
        });
    }

    /// Sends one POST and records its outcome on every delivery it carries; true on 2xx.
    async fn post(&self, subscription: &Subscription, jobs: Vec<DeliveryJob>) -> bool {
        let started = Instant::now();
        let channel = match self.channel_of(subscription, &jobs).await {
            Ok(c) => c,
            Err(error) => {
                self.record(subscription, &jobs, None, 0, "", Err(error))
                    .await;
                return false;
            }
        };
        let Some(renderer) = self.renderers.get(subscription.format) else {
            let error = format!("no renderer for format {}", subscription.format.as_str());
            self.record(subscription, &jobs, None, 0, "", Err(error))
                .await;
            return false;
        };
        let events: Vec<_> = jobs.iter().map(|j| j.event.clone()).collect();
        let body = renderer.render(&channel, &events);
        let excerpt = String::from_utf8_lossy(&body[..body.len().min(EXCERPT)]).into_owned();
        if body.len() > MAX_BODY {
            let error = format!("payload of {} bytes is over the 3 MiB limit", body.len());
            self.record(subscription, &jobs, None, 0, &excerpt, Err(error))
                .await;
            return false;
        }
        let signature = ascii::signature(subscription.secret.expose().as_bytes(), &body);
        let ids: Vec<String> = jobs.iter().map(|j| j.event.id.to_string()).collect();
        let answer = self
            .client
            .post(subscription.url.as_str())
            .header("content-type", "application/json")
            .header("x-hub-signature-256", signature)
            .header("x-wagate-event-id", ids.join(","))
            .header("user-agent", "wagate-webhooks")
            .timeout(Duration::from_secs(self.config.timeout_secs))
            .body(body)
            .send()
            .await;
        let latency = u32::try_from(started.elapsed().as_millis()).unwrap_or(u32::MAX);
        let (code, result) = match answer {
            Ok(r) if r.status().is_success() => (Some(r.status().as_u16()), Ok(())),
            Ok(r) => (
                Some(r.status().as_u16()),
                Err(format!("HTTP {}", r.status().as_u16())),
            ),
            Err(e) => (None, Err(describe(&e))),
        };
        let ok = result.is_ok();
        self.record(subscription, &jobs, code, latency, &excerpt, result)
            .await;
        ok
    }

    async fn channel_of(
        &self,
        subscription: &Subscription,
        jobs: &[DeliveryJob],
    ) -> Result<ChannelRef, String> {
        let id: ChannelId = jobs
            .first()
            .and_then(|j| j.event.channel_id)
            .ok_or("the event names no channel")?;
        let c = self
            .store
            .get_channel(subscription.account_id, id)
            .await
            .map_err(|e| format!("channel {id}: {e}"))?;
        Ok(ChannelRef {
            waba_id: c.waba_id,
            phone_number_id: c.phone_number_id,
            display_phone_number: c.display_phone_number,
        })
    }

    async fn record(
        &self,
        subscription: &Subscription,
        jobs: &[DeliveryJob],
        status_code: Option<u16>,
        latency_ms: u32,
        excerpt: &str,
        result: Result<(), String>,
    ) {
        let at = now();
        let outcome_name = match &result {
            Ok(()) => "delivered",
            Err(_) => "failed",
        };
        metrics::counter!("wagate_webhook_posts_total", "outcome" => outcome_name).increment(1);
        let attempts: Vec<DeliveryAttempt> = jobs
            .iter()
            .map(|j| {
                let outcome = match &result {
                    Ok(()) => {
                        let age = (at.as_millisecond() - j.event.occurred_at.as_millisecond())
                            .max(0) as f64
                            / 1000.0;
                        metrics::histogram!("wagate_webhook_delivery_seconds").record(age);
                        metrics::counter!("wagate_webhook_deliveries_total", "outcome" => "delivered")
                            .increment(1);
                        AttemptOutcome::Delivered
                    }
                    Err(error) => self.after_failure(j, at, error.clone()),
                };
                DeliveryAttempt {
                    id: j.delivery.id,
                    at,
                    status_code,
                    latency_ms,
                    body_excerpt: excerpt.to_owned(),
                    outcome,
                }
            })
            .collect();
        if let Err(e) = self.store.complete_deliveries(attempts).await {
            // The leases run out and the deliveries go again: at least once.
            tracing::error!(error = %e, subscription = %subscription.id, "recording webhook attempts failed");
        }
    }

    fn after_failure(&self, job: &DeliveryJob, at: Timestamp, error: String) -> AttemptOutcome {
        let age_ms = at.as_millisecond() - job.delivery.created_at.as_millisecond();
        if age_ms >= (self.config.retry_horizon_secs as i64).saturating_mul(1000) {
            metrics::counter!("wagate_webhook_deliveries_total", "outcome" => "dead").increment(1);
            return AttemptOutcome::Dead { error };
        }
        metrics::counter!("wagate_webhook_deliveries_total", "outcome" => "retry").increment(1);
        let delay = backoff_ms(
            &self.config,
            job.delivery.attempts,
            rand::rng().random::<f64>(),
        );
        let next = Timestamp::from_millisecond(at.as_millisecond() + delay as i64).unwrap_or(at);
        AttemptOutcome::Retry { error, at: next }
    }
}

/// Delay before attempt `attempts + 2`, in ms: exponential from `backoff_base_ms` with
/// ±50 % jitter (`jitter` in 0..1), capped at `backoff_max_ms`.
pub fn backoff_ms(config: &WebhookConfig, attempts: u32, jitter: f64) -> u64 {
    let raw = config
        .backoff_base_ms
        .saturating_mul(2u64.saturating_pow(attempts.min(30)));
    let capped = raw.min(config.backoff_max_ms) as f64;
    (capped * (0.5 + jitter.clamp(0.0, 1.0))).round() as u64
}

/// Splits leased jobs into POSTs of at most `batch` events of one channel, keeping order.
fn group(jobs: Vec<DeliveryJob>, batch: usize) -> Vec<Vec<DeliveryJob>> {
    let mut posts: Vec<Vec<DeliveryJob>> = Vec::new();
    for job in jobs {
        match posts.last_mut() {
            Some(last)
                if last.len() < batch
                    && last.first().map(|j| j.event.channel_id) == Some(job.event.channel_id) =>
            {
                last.push(job);
            }
            _ => posts.push(vec![job]),
        }
    }
    posts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_exponentially_with_jitter_and_a_cap() {
        let c = WebhookConfig::default();
        assert_eq!(backoff_ms(&c, 0, 0.5), 1000);
        assert_eq!(backoff_ms(&c, 3, 0.5), 8000);
        assert_eq!(backoff_ms(&c, 3, 0.0), 4000);
        assert_eq!(backoff_ms(&c, 3, 1.0), 12000);
        assert_eq!(backoff_ms(&c, 40, 0.5), 3_600_000);
    }
}
