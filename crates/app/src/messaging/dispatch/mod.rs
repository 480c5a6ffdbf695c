//! The dispatcher: drains the outbox and hands messages to their channel's upstream.
//!
//! One step ([`Dispatcher::run_once`]) frees expired leases (the reaper), leases a batch of
//! due entries (only the oldest of each recipient, so order per recipient holds), applies
//! policy (window, block), paces each message to its channel's throughput and its
//! recipient's pair rate, hands the ones whose slot is now to the upstream, and records every
//! outcome in one transaction: `sent` with what the network will report later, `failed`
//! with Meta's error, or back to the outbox for a later slot or a retry with backoff.
//!
//! Crash safety: a lease is short (`lease_secs`, 5 s) and renewed while its step runs, so
//! entries held by a dead dispatcher go out seconds after a restart (or on another node);
//! the `sent` transition removes the outbox entry in the same transaction that counts the
//! hand-over, so a message is never recorded as handed over twice.
//!
//! Media links: on a sandbox channel with `fetch_media_links`, the network needs the bytes
//! to deliver, so the hand-over step first downloads and checks every media link of the
//! message (`media`); a failure fails the message with 131053 (permanent, as on Meta).
//! A cloud upstream gets links as they are (Meta fetches them).
//!
//! Cloud channels (`cloud`): before a hand-over, the message is put in Meta's terms (a
//! reply's `context` becomes Meta's id of the message replied to). Meta answers with its
//! own id for the message, recorded with the `sent` transition; until that commits, the id
//! is listed as in flight ([`Dispatcher::in_flight`]) so a status Meta reports at once
//! waits for it instead of being taken for another sender's message. Hand-overs of a step
//! run concurrently (`handover_concurrency`), and a step stops starting hand-overs after
//! [`STEP_BUDGET`]; its leases are renewed while it runs, so a slow Graph API never
//! outlives them.
//!
//! # Layout
//! - `config`: [`DispatchConfig`].
//! - `pacing`: throughput and pair-rate lanes. `retry`: backoff.
//! - `media`: the media links of a message, fetched and checked.
//! - `header_media`: the media objects of template and interactive headers, at any depth.
//! - `cloud`: a message put in Meta's terms.

mod cloud;
pub mod config;
mod header_media;
mod media;
mod pacing;
mod retry;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use futures::StreamExt;

use jiff::SignedDuration;
use wagate_core::Timestamp;
use wagate_core::channel::{Channel, Upstream as ChannelUpstream};
use wagate_core::failure::Failure;
use wagate_core::ids::{ChannelId, MessageId};
use wagate_core::pacing::micros;
use wagate_core::policy;
use wagate_core::pricing;
use wagate_store::{DispatchOutcome, OutboxJob, Store};
use wagate_upstream::cloud::{CloudClient, CloudUpstream};
use wagate_upstream::{Handover, Upstream};

use crate::media::blob::BlobStore;

/// How long a step keeps starting hand-overs; what is left waits for the next step. Leases
/// are renewed meanwhile, so a slow Graph API delays a step without losing its leases.
const STEP_BUDGET: Duration = Duration::from_secs(5);

use crate::media::fetch::{FetchConfig, MediaFetcher};

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
    cloud: CloudUpstream,
    cloud_client: CloudClient,
    /// Media bytes, for files a cloud hand-over uploads to Meta (set with the media service).
    blobs: RwLock<Option<Arc<dyn BlobStore>>>,
    uploaded: cloud::UploadedMedia,
    config: DispatchConfig,
    /// Meta's ids of hand-overs whose `sent` is not committed yet (see the module docs).
    in_flight: Mutex<HashMap<String, MessageId>>,
    pacer: Mutex<Pacer>,
    /// Downloads media links for the sandbox (see the module docs). The app's media service
    /// hands over its own (`[media.fetch]`) once it is set up, hence the lock; until then a
    /// fetcher with the default settings.
    fetcher: RwLock<MediaFetcher>,
}

impl Dispatcher {
    pub fn new(
        store: Arc<dyn Store>,
        sandbox: Arc<dyn Upstream>,
        cloud_client: CloudClient,
        config: DispatchConfig,
    ) -> Self {
        Self {
            store,
            sandbox,
            cloud: CloudUpstream::new(cloud_client.clone()),
            cloud_client,
            blobs: RwLock::new(None),
            uploaded: cloud::UploadedMedia::default(),
            config,
            in_flight: Mutex::new(HashMap::new()),
            pacer: Mutex::new(Pacer::default()),
            fetcher: RwLock::new(
                MediaFetcher::new(FetchConfig::default())
                    .expect("the default media fetcher builds"),
            ),
        }
    }

    /// Fetches media links with `fetcher`, and reads media bytes (to upload them to Meta)
    /// from `blobs`, from now on.
    pub fn use_media(&self, fetcher: MediaFetcher, blobs: Arc<dyn BlobStore>) {
        *self.fetcher.write().expect("media fetcher lock") = fetcher;
        *self.blobs.write().expect("media store lock") = Some(blobs);
    }

    pub fn config(&self) -> &DispatchConfig {
        &self.config
    }

    /// Our message Meta knows as `upstream_id`, if its hand-over is being recorded now.
    pub fn in_flight(&self, upstream_id: &str) -> Option<MessageId> {
        self.in_flight
            .lock()
            .expect("in-flight lock")
            .get(upstream_id)
            .copied()
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
        let leased: Vec<MessageId> = jobs.iter().map(|j| j.message.id).collect();
        let started = Instant::now();
        let mut channels: HashMap<ChannelId, Option<Channel>> = HashMap::new();
        let mut work = Vec::with_capacity(jobs.len());
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
            work.push((channel, job));
        }
        let deadline = started + STEP_BUDGET;
        let handing = futures::stream::iter(work.into_iter().map(|(channel, job)| async move {
            match channel {
                Some(channel) => self.dispatch(&channel, job, now, deadline).await,
                None => DispatchOutcome::Failed {
                    message_id: job.message.id,
                    at: now,
                    error: Failure::Unknown.with_details("The channel no longer exists."),
                },
            }
        }))
        .buffered(self.config.handover_concurrency.max(1))
        .collect::<Vec<DispatchOutcome>>();
        let outcomes = tokio::select! {
            outcomes = handing => outcomes,
            never = self.keep_leases(leased, now, lease, started) => match never {},
        };
        let handed_ids: Vec<String> = outcomes
            .iter()
            .filter_map(|o| match o {
                DispatchOutcome::Sent {
                    upstream_id: Some(u),
                    ..
                } => Some(u.clone()),
                _ => None,
            })
            .collect();
        for outcome in &outcomes {
            match outcome {
                DispatchOutcome::Sent { .. } => report.sent += 1,
                DispatchOutcome::Failed { .. } => report.failed += 1,
                DispatchOutcome::Retry {
                    attempted: true, ..
                } => report.retried += 1,
                DispatchOutcome::Retry { .. } => report.deferred += 1,
            }
        }
        let done = self.store.complete_dispatch(outcomes).await;
        if !handed_ids.is_empty() {
            let mut in_flight = self.in_flight.lock().expect("in-flight lock");
            for id in &handed_ids {
                in_flight.remove(id);
            }
        }
        done?;
        metrics_for(&report);
        Ok(report)
    }

    /// Renews the step's leases every third of `lease_secs` for as long as the step runs
    /// (the caller drops this future when the step is done). Time is the step's `now`
    /// plus what has passed since it `started`, so tests that drive time stay consistent.
    async fn keep_leases(
        &self,
        mut ids: Vec<MessageId>,
        now: Timestamp,
        mut held: Timestamp,
        started: Instant,
    ) -> std::convert::Infallible {
        let lease = Duration::from_secs(self.config.lease_secs.max(1));
        loop {
            tokio::time::sleep(lease / 3).await;
            let elapsed = SignedDuration::try_from(started.elapsed()).unwrap_or_default();
            let until = now + elapsed + SignedDuration::try_from(lease).unwrap_or_default();
            match self.store.renew_outbox(ids.clone(), held, until).await {
                Ok(renewed) => {
                    if renewed.len() < ids.len() {
                        tracing::warn!(
                            lost = ids.len() - renewed.len(),
                            "outbox leases ran out before their step ended"
                        );
                    }
                    ids = renewed;
                    held = until;
                }
                // Tried again at the next tick; the lease still has two thirds to run.
                Err(error) => tracing::warn!(%error, "renewing outbox leases failed"),
            }
        }
    }

    /// One leased entry: policy, pacing, the hand-over. Its span names the message, the
    /// channel and the attempt, as every span and event on the send path does.
    #[tracing::instrument(level = "debug", skip_all, fields(
        message_id = %job.message.id, channel_id = %channel.id, attempt = job.attempts + 1
    ))]
    async fn dispatch(
        &self,
        channel: &Channel,
        job: OutboxJob,
        now: Timestamp,
        deadline: Instant,
    ) -> DispatchOutcome {
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
        if Instant::now() > deadline {
            // Half the lease is gone (a slow upstream): the rest waits for the next step.
            return DispatchOutcome::Retry {
                message_id: message.id,
                available_at: now,
                attempted: false,
                error: None,
            };
        }
        let handover = match &channel.upstream {
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
                self.sandbox.hand_over(channel, message, now).await
            }
            ChannelUpstream::Cloud(settings) => {
                let parts = cloud::CloudParts {
                    store: self.store.as_ref(),
                    client: &self.cloud_client,
                    blobs: self.blobs.read().expect("media store lock").clone(),
                    uploaded: &self.uploaded,
                };
                match cloud::prepare(&parts, channel, settings, message).await {
                    Ok(m) => {
                        let handover = self.cloud.hand_over(channel, &m, now).await;
                        if let Handover::Accepted {
                            upstream_id: Some(u),
                            ..
                        } = &handover
                        {
                            self.in_flight
                                .lock()
                                .expect("in-flight lock")
                                .insert(u.clone(), message.id);
                        }
                        handover
                    }
                    Err(refused) => refused,
                }
            }
        };
        match handover {
            Handover::Accepted {
                followups,
                upstream_id,
            } => {
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
                    upstream_id,
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
