//! The deliverer: sends each pending delivery to its subscriber, signed, and records the
//! attempt.
//!
//! [`Deliverer::run_once`] looks for subscriptions with due deliveries and leases some for
//! each one's [`Lane`] (ahead of need while the receiver is healthy; see [`super::lane`]),
//! then starts POSTs in the background up to each lane's concurrency. It does not wait for
//! them: a slow receiver never holds back another. When a POST ends its lane starts the
//! next one at once, before the attempt is recorded, so a fast receiver is kept busy.
//!
//! Order: the store leases only the oldest pending delivery of each message, and the next
//! one becomes leasable only once that attempt is recorded, so one message's events reach a
//! subscriber in the order they happened, retries included. A lease outlives every POST
//! started under it; if this node dies mid-POST, the lease runs out and another step sends
//! the delivery again (at least once).
//!
//! Leases are short (the POST timeout plus [`LEASE_MARGIN`]) and renewed while a delivery
//! waits in its lane, so what a dead node held is free again seconds after it died, however
//! far ahead it had leased.
//!
//! Bodies: each attempt renders its body again from the events (and, for formats that ask,
//! the messages and the users' files as stored then), so a retry or a replay sends what is
//! true at that moment; the signature covers the exact bytes sent, whatever their content
//! type. What a body holds beyond the files it carries is capped at [`MAX_BODY`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use rand::Rng;
use tokio::sync::oneshot;
use tokio_util::task::TaskTracker;
use wagate_core::Timestamp;
use wagate_core::ids::{ChannelId, DeliveryId, MediaId, MessageId, SubscriptionId};
use wagate_core::webhook::{ChannelRef, Subscription, WebhookEvent, ascii};
use wagate_store::{AttemptOutcome, DeliveryAttempt, DeliveryJob, MessageKey, Store};

use super::config::WebhookConfig;
use super::lane::{Lane, Queued};
use super::render::{MediaFile, MessageSnapshot, RenderContext, Rendered, Renderers, media_of};
use super::verify::describe;
use crate::media::BlobStore;

/// Largest body Meta sends; wagate never sends more, beyond the users' files a format
/// attaches (capped by `[webhooks] max_media_mb`).
pub const MAX_BODY: usize = 3 * 1024 * 1024;
/// How much of a body the delivery log keeps.
const EXCERPT: usize = 512;
/// Subscriptions looked at per step.
const SUBSCRIPTIONS_PER_STEP: u32 = 256;
/// How long a channel's ids are cached for rendering.
const CHANNEL_TTL: Duration = Duration::from_secs(60);
/// A lease lasts the POST timeout plus this: long enough for a POST started within
/// [`POST_WINDOW`] of the lease (or of its renewal) to end under it.
const LEASE_MARGIN: Duration = Duration::from_secs(3);
/// How long after a lease (or renewal) a queued delivery may still start its POST.
const POST_WINDOW: Duration = Duration::from_millis(1500);
/// Queued deliveries whose POST window closes within this are renewed by the step.
const RENEW_AHEAD: Duration = Duration::from_millis(1000);

/// What one step did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// Deliveries leased.
    pub leased: usize,
    /// POSTs started.
    pub posts: usize,
}

pub struct Deliverer {
    store: Arc<dyn Store>,
    clock: Arc<dyn wagate_core::clock::Clock>,
    client: reqwest::Client,
    config: WebhookConfig,
    renderers: Renderers,
    lanes: Mutex<HashMap<SubscriptionId, Lane>>,
    channels: Mutex<HashMap<ChannelId, (ChannelRef, Instant)>>,
    tasks: TaskTracker,
    stopping: AtomicBool,
    recording: Mutex<Recording>,
    /// `[outbound] allow_private_networks`: an IP-literal URL is checked before each POST
    /// (a host name is checked by the client's resolver as it connects).
    allow_private: bool,
    /// Where users' files are kept, for formats that attach them
    /// ([`Renderer::wants_media`](super::render::Renderer::wants_media)).
    blobs: RwLock<Option<Arc<dyn BlobStore>>>,
}

/// Attempts waiting to be written, and whether a caller is writing.
#[derive(Default)]
struct Recording {
    waiting: Vec<(Vec<DeliveryAttempt>, oneshot::Sender<()>)>,
    busy: bool,
}

impl Deliverer {
    pub fn new(
        store: Arc<dyn Store>,
        client: reqwest::Client,
        config: WebhookConfig,
        allow_private: bool,
        renderers: Renderers,
    ) -> Self {
        Self {
            clock: store.clock(),
            store,
            client,
            config,
            renderers,
            lanes: Mutex::new(HashMap::new()),
            channels: Mutex::new(HashMap::new()),
            tasks: TaskTracker::new(),
            stopping: AtomicBool::new(false),
            recording: Mutex::default(),
            allow_private,
            blobs: RwLock::new(None),
        }
    }

    /// Reads users' files from `blobs` (the App's media store) from now on.
    pub fn use_media(&self, blobs: Arc<dyn BlobStore>) {
        *self.blobs.write().expect("media store lock") = Some(blobs);
    }

    pub fn config(&self) -> &WebhookConfig {
        &self.config
    }

    /// POSTs (and their recording) still running.
    pub fn in_flight(&self) -> usize {
        self.tasks.len()
    }

    /// Waits until every POST started so far, and every POST they started in turn, has
    /// finished and been recorded.
    pub async fn settle(&self) {
        self.tasks.close();
        self.tasks.wait().await;
        self.tasks.reopen();
    }

    /// Stops starting POSTs, waits for those under way, and gives back what was leased
    /// ahead, so a restart (or another node) can send it at once.
    pub async fn shutdown(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        self.settle().await;
        let ids: Vec<DeliveryId> = self
            .lanes
            .lock()
            .expect("lanes lock")
            .values_mut()
            .flat_map(Lane::drain)
            .collect();
        self.give_back(ids).await;
    }

    /// Forgets a subscription's lane (it was changed or deleted) and gives back what it had
    /// leased ahead; the next step leases again under the new settings.
    pub async fn reset(&self, id: SubscriptionId) {
        let ids = match self.lanes.lock().expect("lanes lock").get_mut(&id) {
            Some(lane) => {
                lane.subscription = None;
                lane.drain()
            }
            None => Vec::new(),
        };
        self.give_back(ids).await;
    }

    /// Leases for lanes with room and starts POSTs (see the module docs).
    pub async fn run_once(self: &Arc<Self>, now: Timestamp) -> wagate_store::Result<Step> {
        let mut step = Step::default();
        if self.stopping.load(Ordering::SeqCst) {
            return Ok(step);
        }
        let concurrency = self.config.concurrency.max(1);
        for subscription in self
            .store
            .due_subscriptions(now, SUBSCRIPTIONS_PER_STEP)
            .await?
        {
            let id = subscription.id;
            let batch = self.batch_of(&subscription);
            let want = {
                let mut lanes = self.lanes.lock().expect("lanes lock");
                let lane = lanes.entry(id).or_default();
                lane.subscription = Some(Arc::new(subscription));
                lane.want(concurrency, batch, Instant::now())
            };
            if want == 0 {
                continue;
            }
            let (lease_until, post_by) = self.lease_times(now);
            let jobs = self
                .store
                .lease_deliveries(id, now, lease_until, want)
                .await?;
            step.leased += jobs.len();
            let mut lanes = self.lanes.lock().expect("lanes lock");
            let lane = lanes.entry(id).or_default();
            lane.queue.extend(jobs.into_iter().map(|job| Queued {
                job,
                held_until: lease_until,
                post_by,
            }));
        }
        self.renew(now).await?;
        let ids: Vec<SubscriptionId> = self
            .lanes
            .lock()
            .expect("lanes lock")
            .iter()
            .filter(|(_, l)| !l.queue.is_empty())
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            step.posts += self.pump(id);
        }
        Ok(step)
    }

    /// A lease taken at `now`: until when it holds, and until when a POST may start under it.
    fn lease_times(&self, now: Timestamp) -> (Timestamp, Instant) {
        let lease = Duration::from_secs(self.config.timeout_secs.max(1)) + LEASE_MARGIN;
        let until = Timestamp::from_millisecond(now.as_millisecond() + lease.as_millis() as i64)
            .unwrap_or(now);
        (until, Instant::now() + POST_WINDOW)
    }

    /// Renews the leases of queued deliveries whose POST window is closing; a delivery whose
    /// lease could not be renewed (it ran out and another node took it) leaves the lane.
    async fn renew(&self, now: Timestamp) -> wagate_store::Result<()> {
        let soon = Instant::now() + RENEW_AHEAD;
        let mut due: HashMap<Timestamp, Vec<DeliveryId>> = HashMap::new();
        for lane in self.lanes.lock().expect("lanes lock").values() {
            for q in lane.queue.iter().filter(|q| q.post_by <= soon) {
                due.entry(q.held_until).or_default().push(q.job.delivery.id);
            }
        }
        for (held, ids) in due {
            let (until, post_by) = self.lease_times(now);
            let renewed: std::collections::HashSet<DeliveryId> = self
                .store
                .renew_deliveries(ids.clone(), held, until)
                .await?
                .into_iter()
                .collect();
            let ids: std::collections::HashSet<DeliveryId> = ids.into_iter().collect();
            for lane in self.lanes.lock().expect("lanes lock").values_mut() {
                lane.queue.retain_mut(|q| {
                    let id = q.job.delivery.id;
                    if !ids.contains(&id) || q.held_until != held {
                        return true;
                    }
                    if renewed.contains(&id) {
                        q.held_until = until;
                        q.post_by = post_by;
                        true
                    } else {
                        false
                    }
                });
            }
        }
        Ok(())
    }

    /// Starts as many POSTs as the lane has room and deliveries for; returns how many.
    fn pump(self: &Arc<Self>, id: SubscriptionId) -> usize {
        let mut started = 0;
        let mut stale = Vec::new();
        loop {
            if self.stopping.load(Ordering::SeqCst) {
                break;
            }
            let (subscription, jobs, epoch) = {
                let mut lanes = self.lanes.lock().expect("lanes lock");
                let Some(lane) = lanes.get_mut(&id) else {
                    break;
                };
                let Some(subscription) = lane.subscription.clone() else {
                    break;
                };
                let now = Instant::now();
                if lane.room(self.config.concurrency.max(1), now) == 0 {
                    break;
                }
                let batch = self.batch_of(&subscription);
                let (jobs, epoch) = lane.next_post(batch, now, &mut stale);
                if jobs.is_empty() {
                    break;
                }
                (subscription, jobs, epoch)
            };
            started += 1;
            let this = self.clone();
            self.tasks.spawn(async move {
                let (ok, attempts) = this.post(&subscription, jobs).await;
                let finished = {
                    let mut lanes = this.lanes.lock().expect("lanes lock");
                    lanes
                        .get_mut(&subscription.id)
                        .map(|lane| {
                            lane.finished(
                                ok,
                                epoch,
                                this.config.pause_base_ms,
                                this.config.pause_max_ms,
                            )
                        })
                        .unwrap_or_default()
                };
                this.pump(subscription.id);
                this.give_back(finished.released).await;
                this.record(attempts).await;
                if finished.recovered {
                    this.expedite(subscription.id).await;
                }
            });
        }
        if !stale.is_empty() {
            let this = self.clone();
            self.tasks.spawn(async move { this.give_back(stale).await });
        }
        started
    }

    /// Records attempts. Concurrent callers' attempts reach the store together: the first
    /// caller writes everything waiting, again and again until nothing is, while the others
    /// wait for their turn to be written.
    async fn record(&self, attempts: Vec<DeliveryAttempt>) {
        let (done, written) = oneshot::channel();
        let lead = {
            let mut r = self.recording.lock().expect("recording lock");
            r.waiting.push((attempts, done));
            !std::mem::replace(&mut r.busy, true)
        };
        if lead {
            loop {
                let batch = {
                    let mut r = self.recording.lock().expect("recording lock");
                    if r.waiting.is_empty() {
                        r.busy = false;
                        break;
                    }
                    std::mem::take(&mut r.waiting)
                };
                let mut all = Vec::new();
                let mut waiters = Vec::with_capacity(batch.len());
                for (attempts, done) in batch {
                    all.extend(attempts);
                    waiters.push(done);
                }
                if let Err(e) = self.store.complete_deliveries(all).await {
                    // The leases run out and the deliveries go again: at least once.
                    tracing::error!(error.message = %e, "recording webhook attempts failed");
                }
                for done in waiters {
                    let _ = done.send(());
                }
            }
        }
        let _ = written.await;
    }

    /// The subscription's receiver is back after an outage: its deliveries waiting on a
    /// retry are due now instead of at their backed-off times.
    async fn expedite(&self, id: SubscriptionId) {
        match self.store.expedite_deliveries(id, self.clock.now()).await {
            Ok(n) if n > 0 => {
                tracing::info!(subscription_id = %id, deliveries = n, "webhook receiver recovered; retrying its backlog now");
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error.message = %e, "expediting webhook retries failed"),
        }
    }

    async fn give_back(&self, ids: Vec<DeliveryId>) {
        if ids.is_empty() {
            return;
        }
        if let Err(e) = self.store.release_deliveries(ids).await {
            // Their leases run out instead.
            tracing::warn!(error.message = %e, "giving back leased webhook deliveries failed");
        }
    }

    /// Sends one POST; returns whether it got a 2xx and the attempt to record on every
    /// delivery it carried.
    async fn post(
        &self,
        subscription: &Subscription,
        jobs: Vec<DeliveryJob>,
    ) -> (bool, Vec<DeliveryAttempt>) {
        let started = Instant::now();
        let Some(renderer) = self.renderers.get(&subscription.format) else {
            let error = format!("no renderer for format {}", subscription.format.as_str());
            return (false, self.attempts(&jobs, None, 0, "", Err(error)));
        };
        let events: Vec<_> = jobs.iter().map(|j| j.event.clone()).collect();
        // A POST holds one channel's events, or only account-wide ones (the lane groups them).
        let mut attached = 0;
        let Rendered { content_type, body } =
            if jobs.first().is_some_and(|j| j.event.channel_id.is_none()) {
                Rendered::json(renderer.render_account(subscription.account_id, &events))
            } else {
                let channel = match self.channel_of(subscription, &jobs).await {
                    Ok(c) => c,
                    Err(error) => return (false, self.attempts(&jobs, None, 0, "", Err(error))),
                };
                let messages = if renderer.wants_messages() {
                    self.snapshots(subscription, &events).await
                } else {
                    HashMap::new()
                };
                let media = if renderer.wants_media() {
                    self.media_files(subscription, &events).await
                } else {
                    HashMap::new()
                };
                attached = media.values().map(|f| f.bytes.len()).sum();
                let context = RenderContext {
                    attempt: jobs.first().map_or(1, |j| j.delivery.attempts + 1),
                    messages: &messages,
                    media: &media,
                };
                renderer.render_body(&channel, &events, &context)
            };
        // The files a body carries are capped on their own (`max_media_mb`).
        if body.len().saturating_sub(attached) > MAX_BODY {
            let error = format!(
                "payload of {} bytes is over the 3 MiB limit",
                body.len() - attached
            );
            return (false, self.attempts(&jobs, None, 0, "", Err(error)));
        }
        if let Err(why) =
            crate::platform::outbound::check(subscription.url.as_str(), self.allow_private)
        {
            return (false, self.attempts(&jobs, None, 0, "", Err(why)));
        }
        let signature = ascii::signature(subscription.secret.expose().as_bytes(), &body);
        let ids: Vec<String> = jobs.iter().map(|j| j.event.id.to_string()).collect();
        let answer = self
            .client
            .post(subscription.url.as_str())
            .header("content-type", content_type)
            .header("x-hub-signature-256", signature)
            .header("x-wagate-event-id", ids.join(","))
            .header("user-agent", "wagate-webhooks")
            .timeout(Duration::from_secs(self.config.timeout_secs))
            .body(body)
            .send()
            .await;
        let (code, result, excerpt) = match answer {
            Ok(r) => {
                let code = r.status().as_u16();
                let result = if r.status().is_success() {
                    Ok(())
                } else {
                    Err(format!("HTTP {code}"))
                };
                (Some(code), result, excerpt_of(r).await)
            }
            Err(e) => (None, Err(describe(&e)), String::new()),
        };
        let latency = u32::try_from(started.elapsed().as_millis()).unwrap_or(u32::MAX);
        let ok = result.is_ok();
        (ok, self.attempts(&jobs, code, latency, &excerpt, result))
    }

    /// The ids a payload names for the event's channel (cached for a minute).
    /// Most events one POST to `subscription` carries: its `batch_size`, within what its
    /// format allows.
    fn batch_of(&self, subscription: &Subscription) -> u32 {
        let max = self
            .renderers
            .get(&subscription.format)
            .map_or(u32::MAX, |r| r.max_events());
        subscription.batch_size.get().min(max).max(1)
    }

    /// The messages `events` are about, as stored now, with their contact cards and
    /// charges (for formats that show them). One that cannot be read is left out: its
    /// renderer shows what the event says.
    async fn snapshots(
        &self,
        subscription: &Subscription,
        events: &[WebhookEvent],
    ) -> HashMap<MessageId, MessageSnapshot> {
        let account = subscription.account_id;
        let mut out = HashMap::new();
        for id in events.iter().filter_map(|e| e.data.message_id()) {
            if out.contains_key(&id) {
                continue;
            }
            let Ok(message) = self.store.get_message(account, &MessageKey::Id(id)).await else {
                continue;
            };
            let contact_id = match &message.wa_id {
                Some(wa_id) => self
                    .store
                    .find_card(account, wa_id)
                    .await
                    .ok()
                    .flatten()
                    .map(|c| c.id),
                None => None,
            };
            let charge = self.store.message_charge(account, id).await.ok().flatten();
            out.insert(
                id,
                MessageSnapshot {
                    message,
                    contact_id,
                    charge,
                },
            );
        }
        out
    }

    /// The files users sent in `events` (see [`media_of`]), read from the media store now,
    /// up to `max_media_mb` each. One that is gone (deleted, expired, its bytes missing),
    /// larger, or cannot be read is left out: its renderer sends the media id instead.
    async fn media_files(
        &self,
        subscription: &Subscription,
        events: &[WebhookEvent],
    ) -> HashMap<MediaId, MediaFile> {
        use tokio::io::AsyncReadExt;
        let mut out = HashMap::new();
        let Some(blobs) = self.blobs.read().expect("media store lock").clone() else {
            return out;
        };
        let cap = self.config.max_media_mb.saturating_mul(1024 * 1024);
        let now = self.clock.now();
        for id in events.iter().filter_map(media_of) {
            if out.contains_key(&id) {
                continue;
            }
            let media = match self.store.get_media(subscription.account_id, &id).await {
                Ok(m) if m.expires_at > now && m.file_size <= cap => m,
                _ => continue,
            };
            let reader = match blobs.open(&media.storage_key).await {
                Ok(Some(r)) => r,
                Ok(None) => continue,
                Err(e) => {
                    tracing::warn!(media_id = %id, error.message = %e, "reading a webhook's media failed");
                    continue;
                }
            };
            let mut bytes = Vec::with_capacity(usize::try_from(media.file_size).unwrap_or(0));
            match reader
                .take(cap.saturating_add(1))
                .read_to_end(&mut bytes)
                .await
            {
                Ok(n) if n as u64 <= cap => {
                    out.insert(id, MediaFile { media, bytes });
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(media_id = %id, error.message = %e, "reading a webhook's media failed");
                }
            }
        }
        out
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
        if let Some((c, at)) = self.channels.lock().expect("channels lock").get(&id)
            && at.elapsed() < CHANNEL_TTL
        {
            return Ok(c.clone());
        }
        let c = self
            .store
            .get_channel(subscription.account_id, id)
            .await
            .map_err(|e| format!("channel {id}: {e}"))?;
        let c = ChannelRef {
            waba_id: c.waba_id,
            phone_number_id: c.phone_number_id,
            display_phone_number: c.display_phone_number,
        };
        self.channels
            .lock()
            .expect("channels lock")
            .insert(id, (c.clone(), Instant::now()));
        Ok(c)
    }

    /// One attempt per delivery of a POST, with the metrics of its outcome.
    fn attempts(
        &self,
        jobs: &[DeliveryJob],
        status_code: Option<u16>,
        latency_ms: u32,
        excerpt: &str,
        result: Result<(), String>,
    ) -> Vec<DeliveryAttempt> {
        let at = self.clock.now();
        let outcome_name = match &result {
            Ok(()) => "delivered",
            Err(_) => "failed",
        };
        metrics::counter!("wagate_webhook_posts_total", "outcome" => outcome_name).increment(1);
        jobs.iter()
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
            .collect()
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

/// The first [`EXCERPT`] bytes of an answer's body (cut at a character boundary).
async fn excerpt_of(mut answer: reqwest::Response) -> String {
    let mut bytes = Vec::new();
    while bytes.len() < EXCERPT {
        match answer.chunk().await {
            Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
            _ => break,
        }
    }
    bytes.truncate(EXCERPT);
    let text = String::from_utf8_lossy(&bytes);
    text.trim_end_matches('\u{FFFD}').to_owned()
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
