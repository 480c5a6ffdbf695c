//! The background workers, and the one loop that runs each of them.
//!
//! A [`Worker`] is one kind of background work written as a step: [`Worker::step`] does what
//! is due at `now` and says whether it found anything. On a server, [`App::spawn_workers`]
//! runs every worker in the same loop ([`run`]): a busy step goes again at once, an idle one
//! waits ([`Worker::idle_wait`], or until woken: a send wakes the dispatcher), an error is
//! logged and the step is tried again after a second (or its idle wait, if longer). In tests, [`App::drain`] runs every
//! worker's step until a whole round finds nothing, so a test drives time instead of
//! sleeping and hoping, and "nothing happened" checks drain first, then assert.
//!
//! Each worker's steps are serialised by its own lock, held by its loop and by `drain`
//! alike, so `drain` never returns while a loop's step is half done; the webhook deliverer's
//! POSTs, which outlive its step, are settled ([`Worker::settle`]) before `drain` looks
//! again.
//!
//! The workers: `dispatch` (the outbox to the upstreams), `ingest` (the simulated network's
//! due reports), `webhooks` (deliveries to subscribers), `template-review` (the sandbox's
//! review of pending templates), `contact-imports` (queued CSV and XLSX imports), `campaigns` (audience loads, and recipients fed to the outbox, paced), `media-gc` (deleted and expired media, abandoned upload
//! sessions) and `idempotency-gc` (keys past their 24 hours).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use wagate_core::Timestamp;

use crate::App;
use crate::media::MediaCollector;
use crate::messaging::dispatch::Dispatcher;
use crate::messaging::ingest::Ingest;
use crate::platform::idempotency::IdempotencyCollector;
use crate::templates::review::TemplateReviewer;
use crate::webhooks::deliver::Deliverer;

const IDLE: Duration = Duration::from_millis(50);
const ON_ERROR: Duration = Duration::from_secs(1);
/// Webhook steps are cheap reads when idle; a short pause keeps event-to-POST latency low.
const WEBHOOK_IDLE: Duration = Duration::from_millis(10);
/// Template review looks for due templates this often.
const REVIEW_IDLE: Duration = Duration::from_millis(100);
/// How often the media collector looks for deleted and expired media when it found none.
const MEDIA_GC_IDLE: Duration = Duration::from_secs(60);
/// How often expired idempotency keys are looked for when none were found.
const IDEMPOTENCY_GC_IDLE: Duration = Duration::from_secs(60);
/// How often queued contact imports are looked for when none was found.
const IMPORT_IDLE: Duration = Duration::from_millis(500);
/// How often campaigns are looked at when none was fed: a paced campaign's next slot is
/// rarely further.
const CAMPAIGN_IDLE: Duration = Duration::from_millis(20);
/// Rounds [`App::drain`] runs before it says the workers never went idle.
const DRAIN_ROUNDS: usize = 1000;

/// One kind of background work, as a step.
#[async_trait]
pub trait Worker: Send + Sync {
    /// Its name in logs and errors.
    fn name(&self) -> &'static str;
    /// Does what is due at `now`; true when it found work (the loop goes again at once).
    async fn step(&self, now: Timestamp) -> anyhow::Result<bool>;
    /// How long an idle loop waits before the next step.
    async fn idle_wait(&self) -> Duration;
    /// What wakes an idle loop early, if anything.
    fn wake(&self) -> Option<Arc<Notify>> {
        None
    }
    /// Waits for what its steps started in the background.
    async fn settle(&self) {}
    /// Called once when its loop stops.
    async fn shutdown(&self) {}
}

/// Per-worker locks shared by the loops and [`App::drain`] (by worker name).
#[derive(Default)]
pub(crate) struct StepLocks(Mutex<HashMap<&'static str, Arc<tokio::sync::Mutex<()>>>>);

impl StepLocks {
    fn of(&self, name: &'static str) -> Arc<tokio::sync::Mutex<()>> {
        self.0
            .lock()
            .expect("step locks")
            .entry(name)
            .or_default()
            .clone()
    }
}

impl App {
    /// The workers this node runs, by its settings: webhook delivery when enabled, the
    /// collectors always, and dispatch, ingest and template review unless dispatch is off
    /// (a node that only accepts).
    pub fn workers(&self) -> Vec<Arc<dyn Worker>> {
        let mut workers: Vec<Arc<dyn Worker>> = Vec::new();
        if self.dispatcher.config().enabled {
            workers.push(Arc::new(DispatchWorker {
                dispatcher: self.dispatcher.clone(),
                wake: self.wake.clone(),
            }));
            workers.push(Arc::new(IngestWorker(
                self.ingest.clone(),
                self.clock.clone(),
            )));
            workers.push(Arc::new(ReviewWorker(TemplateReviewer::new(
                self.store.clone(),
                self.templates,
            ))));
        }
        if self.deliverer.config().enabled {
            workers.push(Arc::new(WebhookWorker(self.deliverer.clone())));
        }
        workers.push(Arc::new(MediaWorker {
            app: self.clone(),
            collector: self.media_collector(),
        }));
        workers.push(Arc::new(IdempotencyWorker(self.idempotency_collector())));
        workers.push(Arc::new(ImportWorker(self.clone())));
        if self.dispatcher.config().enabled {
            workers.push(Arc::new(CampaignWorker(self.clone())));
        }
        workers
    }

    /// Starts every worker's loop on `tracker`; they stop when `stop` is cancelled.
    pub fn spawn_workers(&self, tracker: &TaskTracker, stop: CancellationToken) {
        if !self.dispatcher.config().enabled {
            tracing::info!("dispatch disabled on this node");
        }
        for worker in self.workers() {
            let lock = self.step_locks.of(worker.name());
            tracker.spawn(run(worker, lock, stop.clone(), self.clock.clone()));
        }
    }

    /// Runs every worker's step, each at the time it runs, until a whole round finds
    /// nothing due; returns how many rounds that took. See the module docs.
    pub async fn drain(&self) -> anyhow::Result<usize> {
        self.drain_steps(None).await
    }

    /// [`App::drain`] with every step at `at` (a test that drives time forward).
    pub async fn drain_at(&self, at: Timestamp) -> anyhow::Result<usize> {
        self.drain_steps(Some(at)).await
    }

    /// Each step at `at`, or at the current time when it starts: a step of a server's own
    /// loop that ran just before (under the same lock) may have made work due at its own,
    /// later, time, which a round started earlier must still see.
    async fn drain_steps(&self, at: Option<Timestamp>) -> anyhow::Result<usize> {
        let workers: Vec<_> = self
            .workers()
            .into_iter()
            .map(|w| (self.step_locks.of(w.name()), w))
            .collect();
        for round in 1..=DRAIN_ROUNDS {
            let mut busy = false;
            for (lock, worker) in &workers {
                let _step = lock.lock().await;
                let found = worker
                    .step(at.unwrap_or_else(|| self.now()))
                    .await
                    .map_err(|e| e.context(format!("the {} step", worker.name())))?;
                worker.settle().await;
                busy |= found;
            }
            if !busy {
                return Ok(round);
            }
        }
        anyhow::bail!("the workers were still busy after {DRAIN_ROUNDS} rounds")
    }
}

/// The loop of one worker, until `stop`.
async fn run(
    worker: Arc<dyn Worker>,
    lock: Arc<tokio::sync::Mutex<()>>,
    stop: CancellationToken,
    clock: Arc<dyn wagate_core::clock::Clock>,
) {
    let wake = worker.wake();
    loop {
        let step = {
            let _step = lock.lock().await;
            worker.step(clock.now()).await
        };
        let wait = match step {
            Ok(true) => None,
            Ok(false) => Some(worker.idle_wait().await),
            Err(e) => {
                tracing::error!(
                    worker = worker.name(),
                    error.message = format!("{e:#}"),
                    "worker step failed"
                );
                Some(worker.idle_wait().await.max(ON_ERROR))
            }
        };
        if let Some(wait) = wait
            && !sleep_or_stop(&stop, wake.as_ref(), wait).await
        {
            break;
        }
        if stop.is_cancelled() {
            break;
        }
    }
    worker.shutdown().await;
}

/// Sleeps for `d` (or until woken); false when `stop` was cancelled meanwhile.
async fn sleep_or_stop(stop: &CancellationToken, wake: Option<&Arc<Notify>>, d: Duration) -> bool {
    let woken = async {
        match wake {
            Some(w) => w.notified().await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = stop.cancelled() => false,
        _ = tokio::time::sleep(d) => true,
        _ = woken => true,
    }
}

struct DispatchWorker {
    dispatcher: Arc<Dispatcher>,
    /// Notified when a message is accepted, so it leaves without waiting for the next tick.
    wake: Arc<Notify>,
}

#[async_trait]
impl Worker for DispatchWorker {
    fn name(&self) -> &'static str {
        "dispatch"
    }

    async fn step(&self, now: Timestamp) -> anyhow::Result<bool> {
        let r = self.dispatcher.run_once(now).await?;
        // Entries leased only to be deferred to a later slot are not progress.
        Ok(r.leased > 0 && r.sent + r.failed + r.retried > 0)
    }

    async fn idle_wait(&self) -> Duration {
        IDLE
    }

    fn wake(&self) -> Option<Arc<Notify>> {
        Some(self.wake.clone())
    }
}

struct IngestWorker(Arc<Ingest>, Arc<dyn wagate_core::clock::Clock>);

#[async_trait]
impl Worker for IngestWorker {
    fn name(&self) -> &'static str {
        "ingest"
    }

    async fn step(&self, now: Timestamp) -> anyhow::Result<bool> {
        Ok(self.0.run_once(now).await?.total() > 0)
    }

    /// Until the next report is due, between 1 and 50 ms.
    async fn idle_wait(&self) -> Duration {
        match self.0.next_due().await {
            Ok(Some(at)) => {
                let ms = at.as_millisecond() - self.1.now().as_millisecond();
                Duration::from_millis(ms.clamp(1, 50) as u64)
            }
            _ => IDLE,
        }
    }
}

struct WebhookWorker(Arc<Deliverer>);

#[async_trait]
impl Worker for WebhookWorker {
    fn name(&self) -> &'static str {
        "webhooks"
    }

    async fn step(&self, now: Timestamp) -> anyhow::Result<bool> {
        let step = self.0.run_once(now).await?;
        Ok(step.leased > 0 || step.posts > 0)
    }

    async fn idle_wait(&self) -> Duration {
        WEBHOOK_IDLE
    }

    /// Every POST started so far has finished and been recorded.
    async fn settle(&self) {
        self.0.settle().await;
    }

    /// POSTs under way finish (or time out) and are recorded; what was leased ahead is
    /// given back.
    async fn shutdown(&self) {
        self.0.shutdown().await;
    }
}

struct ReviewWorker(TemplateReviewer);

#[async_trait]
impl Worker for ReviewWorker {
    fn name(&self) -> &'static str {
        "template-review"
    }

    async fn step(&self, now: Timestamp) -> anyhow::Result<bool> {
        Ok(self.0.run_once(now).await? > 0)
    }

    async fn idle_wait(&self) -> Duration {
        REVIEW_IDLE
    }
}

struct MediaWorker {
    app: App,
    collector: MediaCollector,
}

#[async_trait]
impl Worker for MediaWorker {
    fn name(&self) -> &'static str {
        "media-gc"
    }

    async fn step(&self, now: Timestamp) -> anyhow::Result<bool> {
        // Abandoned resumable uploads (24 h) and their parts too.
        let sessions = self.app.collect_upload_sessions(now).await?;
        let media = self.collector.run_once(now).await?;
        Ok(sessions + media > 0)
    }

    async fn idle_wait(&self) -> Duration {
        MEDIA_GC_IDLE
    }
}

struct ImportWorker(App);

#[async_trait]
impl Worker for ImportWorker {
    fn name(&self) -> &'static str {
        "contact-imports"
    }

    async fn step(&self, now: Timestamp) -> anyhow::Result<bool> {
        Ok(self.0.run_imports_once(now).await?)
    }

    async fn idle_wait(&self) -> Duration {
        IMPORT_IDLE
    }
}

struct CampaignWorker(App);

#[async_trait]
impl Worker for CampaignWorker {
    fn name(&self) -> &'static str {
        "campaigns"
    }

    async fn step(&self, now: Timestamp) -> anyhow::Result<bool> {
        Ok(self.0.run_campaigns_once(now).await?)
    }

    async fn idle_wait(&self) -> Duration {
        CAMPAIGN_IDLE
    }
}

struct IdempotencyWorker(IdempotencyCollector);

#[async_trait]
impl Worker for IdempotencyWorker {
    fn name(&self) -> &'static str {
        "idempotency-gc"
    }

    async fn step(&self, now: Timestamp) -> anyhow::Result<bool> {
        Ok(self.0.run_once(now).await? > 0)
    }

    async fn idle_wait(&self) -> Duration {
        IDEMPOTENCY_GC_IDLE
    }
}
