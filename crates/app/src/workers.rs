//! The background loops: each calls its worker's `run_once` until shutdown. A loop that
//! found work goes again at once; an idle one sleeps briefly or until woken (a send wakes
//! the dispatcher, so a new message leaves without waiting for the next tick).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use wagate_store::records::now;

use crate::App;

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

impl App {
    /// Starts the dispatcher and ingest loops on `tracker`; they stop when `stop` is cancelled.
    pub fn spawn_workers(&self, tracker: &TaskTracker, stop: CancellationToken) {
        if self.deliverer.config().enabled {
            let deliverer = self.deliverer.clone();
            let token = stop.clone();
            tracker.spawn(async move {
                loop {
                    let idle = match deliverer.run_once(now()).await {
                        Ok(step) => step.leased == 0 && step.posts == 0,
                        Err(e) => {
                            tracing::error!(error = %e, "webhook step failed");
                            sleep_or_stop(&token, None, ON_ERROR).await;
                            continue;
                        }
                    };
                    if idle && !sleep_or_stop(&token, None, WEBHOOK_IDLE).await {
                        break;
                    }
                    if token.is_cancelled() {
                        break;
                    }
                }
                // POSTs under way finish (or time out) and are recorded before shutdown;
                // what was leased ahead is given back.
                deliverer.shutdown().await;
            });
        }
        // Idempotency keys past their 24 hours, on every node (deleting is idempotent).
        let keys = self.idempotency_collector();
        let token = stop.clone();
        tracker.spawn(async move {
            loop {
                let idle = match keys.run_once(now()).await {
                    Ok(n) => n == 0,
                    Err(e) => {
                        tracing::error!(error = %e, "idempotency key collection failed");
                        true
                    }
                };
                if idle && !sleep_or_stop(&token, None, IDEMPOTENCY_GC_IDLE).await {
                    break;
                }
                if token.is_cancelled() {
                    break;
                }
            }
        });
        if !self.dispatcher.config().enabled {
            tracing::info!("dispatch disabled on this node");
            return;
        }
        let dispatcher = self.dispatcher.clone();
        let wake = self.wake.clone();
        let token = stop.clone();
        tracker.spawn(async move {
            loop {
                let idle = match dispatcher.run_once(now()).await {
                    Ok(r) => r.leased == 0 || r.sent + r.failed + r.retried == 0,
                    Err(e) => {
                        tracing::error!(error = %e, "dispatcher step failed");
                        sleep_or_stop(&token, None, ON_ERROR).await;
                        continue;
                    }
                };
                if idle && !sleep_or_stop(&token, Some(&wake), IDLE).await {
                    break;
                }
                if token.is_cancelled() {
                    break;
                }
            }
        });
        // The sandbox's template review, on the nodes that run the simulated network.
        let reviewer =
            crate::template_review::TemplateReviewer::new(self.store.clone(), self.templates);
        let token = stop.clone();
        tracker.spawn(async move {
            loop {
                if let Err(e) = reviewer.run_once(now()).await {
                    tracing::error!(error = %e, "template review step failed");
                }
                if !sleep_or_stop(&token, None, REVIEW_IDLE).await {
                    break;
                }
            }
        });
        // Deleted and expired media, and the bytes no id refers to any more.
        let collector = self.media_collector();
        let app = self.clone();
        let token = stop.clone();
        tracker.spawn(async move {
            loop {
                let at = now();
                // Abandoned resumable uploads (24 h) and their parts too.
                if let Err(e) = app.collect_upload_sessions(at).await {
                    tracing::error!(error = %e, "upload session collection failed");
                }
                let idle = match collector.run_once(at).await {
                    Ok(n) => n == 0,
                    Err(e) => {
                        tracing::error!(error = %e, "media collection step failed");
                        true
                    }
                };
                if idle && !sleep_or_stop(&token, None, MEDIA_GC_IDLE).await {
                    break;
                }
                if token.is_cancelled() {
                    break;
                }
            }
        });
        let ingest = self.ingest.clone();
        tracker.spawn(async move {
            loop {
                let idle = match ingest.run_once(now()).await {
                    Ok(r) => r.total() == 0,
                    Err(e) => {
                        tracing::error!(error = %e, "ingest step failed");
                        sleep_or_stop(&stop, None, ON_ERROR).await;
                        continue;
                    }
                };
                if idle {
                    let wait = match ingest.next_due().await {
                        Ok(Some(at)) => {
                            let ms = at.as_millisecond() - now().as_millisecond();
                            Duration::from_millis(ms.clamp(1, 50) as u64)
                        }
                        _ => IDLE,
                    };
                    if !sleep_or_stop(&stop, None, wait).await {
                        break;
                    }
                }
                if stop.is_cancelled() {
                    break;
                }
            }
        });
    }
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
