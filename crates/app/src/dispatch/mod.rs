//! The dispatcher: drains the outbox and hands messages to their channel's upstream.
//!
//! One step ([`Dispatcher::run_once`]) frees expired leases (the reaper), leases a batch of
//! due entries (only the oldest of each recipient, so order per recipient holds), applies
//! policy (window, block), paces each message to its channel's throughput and its
//! recipient's pair rate, hands the ones whose slot is now to the upstream, and records every
//! outcome in one transaction: `sent` with what the network will report later, `failed`
//! with Meta's error, or back to the outbox for a later slot or a retry with backoff.
//!
//! Crash safety: a lease expires, so entries held by a dead dispatcher go out after restart;
//! the `sent` transition removes the outbox entry in the same transaction that counts the
//! hand-over, so a message is never recorded as handed over twice.
//!
//! Media links: on a sandbox channel with `fetch_media_links`, the network needs the bytes
//! to deliver, so the hand-over step first downloads and checks every media link of the
//! message (`media`); a failure fails the message with 131053 (permanent, as on Meta).
//! A cloud upstream would pass links on unread.
//!
//! # Layout
//! - `config`: [`DispatchConfig`].
//! - `pacing`: throughput and pair-rate lanes. `retry`: backoff.
//! - `media`: the media links of a message, fetched and checked.

pub mod config;
mod media;
mod pacing;
mod retry;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use jiff::SignedDuration;
use wagate_core::Timestamp;
use wagate_core::channel::{Channel, Upstream as ChannelUpstream};
use wagate_core::failure::Failure;
use wagate_core::ids::ChannelId;
use wagate_core::pacing::micros;
use wagate_core::policy;
use wagate_core::pricing;
use wagate_store::{DispatchOutcome, OutboxJob, Store};
use wagate_upstream::{Handover, Upstream};

use crate::media_fetch::{FetchConfig, MediaFetcher};

pub use config::DispatchConfig;
use pacing::{Pacer, Slot};

/// What one step did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DispatchReport {
    pub reaped: u64,
    pub leased: usize,
    pub sent: usize,
    pub failed: usize,
    pub retried: usize,
    pub deferred: usize,
}

pub struct Dispatcher {
    store: Arc<dyn Store>,
    sandbox: Arc<dyn Upstream>,
    config: DispatchConfig,
    pacer: Mutex<Pacer>,
    /// Downloads media links for the sandbox (see the module docs). The app's media service
    /// hands over its own (`[media.fetch]`) once it is set up, hence the lock; until then a
    /// fetcher with the default settings.
    fetcher: RwLock<MediaFetcher>,
}

impl Dispatcher {
    pub fn new(store: Arc<dyn Store>, sandbox: Arc<dyn Upstream>, config: DispatchConfig) -> Self {
        Self {
            store,
            sandbox,
            config,
            pacer: Mutex::new(Pacer::default()),
            fetcher: RwLock::new(
                MediaFetcher::new(FetchConfig::default())
                    .expect("the default media fetcher builds"),
            ),
        }
    }

    /// Fetches media links with `fetcher` from now on.
    pub fn use_media_fetcher(&self, fetcher: MediaFetcher) {
        *self.fetcher.write().expect("media fetcher lock") = fetcher;
    }

    pub fn config(&self) -> &DispatchConfig {
        &self.config
    }

    /// One step at `now`. See the module docs.
    pub async fn run_once(&self, now: Timestamp) -> wagate_store::Result<DispatchReport> {
        let mut report = DispatchReport {
            reaped: self.store.release_expired_leases(now).await?,
            ..Default::default()
        };
        if report.reaped > 0 {
            tracing::warn!(count = report.reaped, "reaped expired outbox leases");
        }
        let lease = now + SignedDuration::from_secs(self.config.lease_secs as i64);
        let jobs = self
            .store
            .lease_outbox(now, lease, self.config.batch_size)
            .await?;
        report.leased = jobs.len();
        if jobs.is_empty() {
            return Ok(report);
        }
        let mut channels: HashMap<ChannelId, Option<Channel>> = HashMap::new();
        let mut outcomes = Vec::with_capacity(jobs.len());
        for job in jobs {
            let channel = match channels.get(&job.message.channel_id) {
                Some(c) => c.clone(),
                None => {
                    let c = self
                        .store
                        .get_channel(job.message.account_id, job.message.channel_id)
                        .await
                        .ok();
                    channels.insert(job.message.channel_id, c.clone());
                    c
                }
            };
            let outcome = match channel {
                Some(channel) => self.dispatch(&channel, job, now).await,
                None => DispatchOutcome::Failed {
                    message_id: job.message.id,
                    at: now,
                    error: Failure::Unknown.with_details("The channel no longer exists."),
                },
            };
            match &outcome {
                DispatchOutcome::Sent { .. } => report.sent += 1,
                DispatchOutcome::Failed { .. } => report.failed += 1,
                DispatchOutcome::Retry {
                    attempted: true, ..
                } => report.retried += 1,
                DispatchOutcome::Retry { .. } => report.deferred += 1,
            }
            outcomes.push(outcome);
        }
        self.store.complete_dispatch(outcomes).await?;
        metrics_for(&report);
        Ok(report)
    }

    async fn dispatch(&self, channel: &Channel, job: OutboxJob, now: Timestamp) -> DispatchOutcome {
        let message = &job.message;
        let kind = message.content.kind();
        let category = message.content.template_category();
        if let Err(violation) = policy::check(kind, category, &job.recipient, now) {
            return DispatchOutcome::Failed {
                message_id: message.id,
                at: now,
                error: violation.failure().with_details(violation.details()),
            };
        }
        let now_us = micros(now);
        let limits = (!self.config.unlimited_throughput, self.config.pair_pacing);
        let slot = self.pacer.lock().expect("pacer").slot(
            channel,
            message.id,
            &message.recipient_key(),
            now_us,
            limits,
        );
        if let Slot::At(at_us) = slot {
            return DispatchOutcome::Retry {
                message_id: message.id,
                available_at: Timestamp::from_microsecond(at_us).unwrap_or(now),
                attempted: false,
                error: None,
            };
        }
        let upstream: &dyn Upstream = match &channel.upstream {
            ChannelUpstream::Sandbox(settings) => {
                if settings.fetch_media_links {
                    let fetcher = self.fetcher.read().expect("media fetcher lock").clone();
                    if let Err(error) = media::fetch_links(&fetcher, &message.content).await {
                        tracing::debug!(message_id = %message.id, details = %error.details,
                            "a media link could not be fetched");
                        return DispatchOutcome::Failed {
                            message_id: message.id,
                            at: now,
                            error,
                        };
                    }
                }
                self.sandbox.as_ref()
            }
            ChannelUpstream::Cloud(_) => {
                return DispatchOutcome::Failed {
                    message_id: message.id,
                    at: now,
                    error: Failure::ServiceUnavailable.with_details(
                        "Sending through a cloud upstream is not available in this wagate build.",
                    ),
                };
            }
        };
        match upstream.hand_over(channel, message, now).await {
            Handover::Accepted { followups } => {
                let window_open = job.recipient.window_open(now);
                let pricing = pricing::classify(kind, category, window_open);
                let conversation = pricing
                    .as_ref()
                    .map(|p| pricing::conversation(message.id, p, now));
                DispatchOutcome::Sent {
                    message_id: message.id,
                    at: now,
                    pricing,
                    conversation,
                    followups,
                }
            }
            Handover::Refused {
                error,
                transient: false,
            } => DispatchOutcome::Failed {
                message_id: message.id,
                at: now,
                error,
            },
            Handover::Refused {
                error,
                transient: true,
            } => {
                let delay = retry::backoff_ms(
                    &self.config,
                    Failure::from_code(error.code),
                    job.attempts,
                    rand::random::<f64>(),
                );
                let next = now + SignedDuration::from_millis(delay as i64);
                let horizon = message.created_at
                    + SignedDuration::from_secs(self.config.retry_horizon_secs as i64);
                if next > horizon {
                    DispatchOutcome::Failed {
                        message_id: message.id,
                        at: now,
                        error,
                    }
                } else {
                    DispatchOutcome::Retry {
                        message_id: message.id,
                        available_at: next,
                        attempted: true,
                        error: Some(error),
                    }
                }
            }
        }
    }
}

fn metrics_for(report: &DispatchReport) {
    metrics::counter!("wagate_dispatch_total", "outcome" => "sent").increment(report.sent as u64);
    metrics::counter!("wagate_dispatch_total", "outcome" => "failed")
        .increment(report.failed as u64);
    metrics::counter!("wagate_dispatch_total", "outcome" => "retried")
        .increment(report.retried as u64);
    metrics::counter!("wagate_dispatch_total", "outcome" => "deferred")
        .increment(report.deferred as u64);
}
