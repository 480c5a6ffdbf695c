//! A subscription's lane in the deliverer: the deliveries it leased ahead, the POSTs it has
//! in flight, and how it is doing. Pure bookkeeping, so its rules are unit-tested here:
//!
//! - **Healthy** (last POST succeeded): up to `concurrency` POSTs at once, and up to
//!   [`PREFETCH_POSTS`] POSTs' worth of deliveries leased ahead, so a fast receiver is never
//!   waiting on the store.
//! - **Failing**: after a failed POST the lane rests (`pause_base_ms`, doubling per
//!   consecutive failure up to `pause_max_ms`), gives back what it leased ahead, then probes
//!   with one POST at a time until one succeeds. A receiver that answers 5xx forever is
//!   probed, not hammered, and holds no leases while it rests.
//! - **One signal per burst**: POSTs that were already out when a failure was counted fail
//!   for the same reason (16 concurrent timeouts are one outage, not sixteen), so only a POST
//!   started after the last counted failure can lengthen the rest. A lane that comes back
//!   from a real outage (two or more counted failures in a row) says so, and the deliverer
//!   makes the subscription's waiting retries due at once.
//! - **Retries go alone**: a delivery that failed before is posted by itself, so one event a
//!   receiver refuses never takes other events down with it.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use wagate_core::Timestamp;
use wagate_core::ids::{ChannelId, DeliveryId};
use wagate_core::webhook::Subscription;
use wagate_store::DeliveryJob;

/// POSTs' worth of deliveries a healthy lane leases ahead.
pub const PREFETCH_POSTS: u32 = 16;

/// A leased delivery waiting for its POST.
pub struct Queued {
    pub job: DeliveryJob,
    /// The lease this node holds it under (renewals must name it, so a lease that ran out
    /// and went to another node is never taken back).
    pub held_until: Timestamp,
    /// Start the POST before this, or give the delivery back: a POST started later could
    /// outlive the lease and race another node's attempt.
    pub post_by: Instant,
}

#[derive(Default)]
pub struct Lane {
    pub subscription: Option<Arc<Subscription>>,
    pub queue: VecDeque<Queued>,
    pub in_flight: u32,
    pub consecutive_failures: u32,
    pub resting_until: Option<Instant>,
    /// Counted failures so far: a POST carries the value it started under, and only a POST
    /// started since the last counted failure counts (see the module docs).
    pub epoch: u64,
}

/// What a POST's end did to its lane.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Finished {
    /// Deliveries leased ahead, to be given back (the lane is resting).
    pub released: Vec<DeliveryId>,
    /// The lane came back from an outage: its subscription's waiting retries may go now.
    pub recovered: bool,
}

impl Lane {
    fn resting(&self, now: Instant) -> bool {
        self.resting_until.is_some_and(|t| t > now)
    }

    /// POSTs that may start now.
    pub fn room(&self, concurrency: u32, now: Instant) -> u32 {
        if self.resting(now) {
            0
        } else if self.consecutive_failures > 0 {
            u32::from(self.in_flight == 0)
        } else {
            concurrency.saturating_sub(self.in_flight)
        }
    }

    /// Deliveries to lease now: none while resting or probing with a POST out; a healthy
    /// lane tops its queue up once it is half empty.
    pub fn want(&self, concurrency: u32, batch: u32, now: Instant) -> u32 {
        let queued = self.queue.len() as u32;
        if self.resting(now) {
            return 0;
        }
        if self.consecutive_failures > 0 {
            return if self.in_flight == 0 && queued == 0 {
                batch
            } else {
                0
            };
        }
        let capacity = concurrency.max(1) * batch * PREFETCH_POSTS;
        if queued > capacity / 2 {
            0
        } else {
            capacity - queued
        }
    }

    /// Takes the next POST's deliveries: up to `batch`, all of one channel, in lease order;
    /// a retry goes alone. Deliveries whose `post_by` passed are dropped into `stale` (to be
    /// given back). Returns the jobs and the epoch the POST starts under.
    pub fn next_post(
        &mut self,
        batch: u32,
        now: Instant,
        stale: &mut Vec<DeliveryId>,
    ) -> (Vec<DeliveryJob>, u64) {
        let mut post: Vec<DeliveryJob> = Vec::new();
        let mut channel: Option<Option<ChannelId>> = None;
        while post.len() < batch as usize {
            let Some(front) = self.queue.front() else {
                break;
            };
            if front.post_by <= now {
                let q = self.queue.pop_front().expect("front exists");
                stale.push(q.job.delivery.id);
                continue;
            }
            let of = front.job.event.channel_id;
            let retry = front.job.delivery.attempts > 0;
            if channel.is_some_and(|c| c != of) || (retry && !post.is_empty()) {
                break;
            }
            channel = Some(of);
            post.push(self.queue.pop_front().expect("front exists").job);
            if retry {
                break;
            }
        }
        if !post.is_empty() {
            self.in_flight += 1;
        }
        (post, self.epoch)
    }

    /// A POST started under `epoch` ended. A counted failure starts (or lengthens) the rest
    /// and empties the queue; a failure of a POST that was out before the last counted one
    /// changes nothing (the same outage).
    pub fn finished(&mut self, ok: bool, epoch: u64, pause_base_ms: u64, max_ms: u64) -> Finished {
        self.in_flight = self.in_flight.saturating_sub(1);
        if ok {
            let recovered = self.consecutive_failures >= 2;
            self.consecutive_failures = 0;
            self.resting_until = None;
            return Finished {
                released: Vec::new(),
                recovered,
            };
        }
        if epoch != self.epoch {
            return Finished::default();
        }
        self.epoch += 1;
        self.consecutive_failures = self.consecutive_failures.saturating_add(1);
        let rest = pause_base_ms
            .saturating_mul(2u64.saturating_pow(self.consecutive_failures.min(20) - 1))
            .min(max_ms);
        self.resting_until = Some(Instant::now() + Duration::from_millis(rest));
        Finished {
            released: self.drain(),
            recovered: false,
        }
    }

    /// Empties the queue; the ids are to be given back.
    pub fn drain(&mut self) -> Vec<DeliveryId> {
        self.queue.drain(..).map(|q| q.job.delivery.id).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wagate_core::ids::{AccountId, EventId, SubscriptionId};
    use wagate_core::webhook::{DeliveryState, EventData, EventField, WebhookEvent};
    use wagate_store::Delivery;

    fn job(attempts: u32) -> Queued {
        let at = Timestamp::now();
        let event = WebhookEvent {
            id: EventId::generate(),
            account_id: AccountId::generate(),
            channel_id: Some(ChannelId::generate()),
            occurred_at: at,
            data: EventData::Other {
                field: EventField::MessageTemplateStatusUpdate,
                value: serde_json::json!({}),
            },
        };
        Queued {
            job: DeliveryJob {
                delivery: Delivery {
                    id: DeliveryId::generate(),
                    subscription_id: SubscriptionId::generate(),
                    event_id: event.id,
                    message_id: None,
                    field: EventField::MessageTemplateStatusUpdate,
                    state: DeliveryState::Pending,
                    attempts,
                    created_at: at,
                    next_attempt_at: Some(at),
                    last_attempt_at: None,
                    last_status_code: None,
                    last_error: None,
                    last_latency_ms: None,
                    delivered_at: None,
                    body_excerpt: None,
                },
                event,
            },
            held_until: at,
            post_by: Instant::now() + Duration::from_secs(60),
        }
    }

    #[test]
    fn a_healthy_lane_uses_its_concurrency_and_leases_ahead() {
        let lane = Lane::default();
        let now = Instant::now();
        assert_eq!(lane.room(4, now), 4);
        assert_eq!(lane.want(4, 1, now), 4 * PREFETCH_POSTS);
        assert_eq!(lane.want(4, 10, now), 40 * PREFETCH_POSTS);
    }

    #[test]
    fn a_failure_rests_the_lane_then_it_probes_one_post_at_a_time() {
        let mut lane = Lane {
            in_flight: 2,
            ..Lane::default()
        };
        assert!(lane.finished(false, 0, 1000, 60_000).released.is_empty());
        let now = Instant::now();
        assert_eq!(lane.room(4, now), 0, "resting");
        assert_eq!(lane.want(4, 1, now), 0, "no leases while resting");
        let later = now + Duration::from_secs(2);
        assert_eq!(lane.room(4, later), 0, "one POST is still out");
        lane.finished(true, 0, 1000, 60_000);
        assert_eq!(lane.room(4, later), 4, "recovered");

        let mut lane = Lane {
            in_flight: 1,
            ..Lane::default()
        };
        lane.finished(false, 0, 10, 60_000);
        let later = Instant::now() + Duration::from_secs(1);
        assert_eq!(lane.room(4, later), 1, "probing");
        assert_eq!(lane.want(4, 3, later), 3, "one POST's worth");
        lane.in_flight += 1;
        lane.finished(false, lane.epoch, 10, 60_000);
        let rest = lane.resting_until.unwrap() - Instant::now();
        assert!(
            rest > Duration::from_millis(15),
            "the rest doubles: {rest:?}"
        );
    }

    #[test]
    fn concurrent_failures_of_one_burst_count_once() {
        // 16 POSTs out at once all time out: one outage, one base rest (not 250 ms × 2^15).
        let mut lane = Lane {
            in_flight: 16,
            ..Lane::default()
        };
        let epoch = lane.epoch;
        for _ in 0..16 {
            lane.finished(false, epoch, 250, 3_600_000);
        }
        assert_eq!(lane.consecutive_failures, 1);
        assert_eq!(lane.in_flight, 0);
        let rest = lane.resting_until.unwrap() - Instant::now();
        assert!(rest <= Duration::from_millis(250), "{rest:?}");
        // The probe after the rest succeeds: the lane is healthy at once.
        let after = Instant::now() + Duration::from_millis(300);
        assert_eq!(lane.room(16, after), 1);
        lane.in_flight = 1;
        let f = lane.finished(true, lane.epoch, 250, 3_600_000);
        assert!(
            !f.recovered,
            "one counted failure is a hiccup, not an outage"
        );
        assert_eq!(lane.room(16, after), 16);
    }

    #[test]
    fn a_lane_back_from_an_outage_says_so() {
        let mut lane = Lane::default();
        for _ in 0..3 {
            lane.in_flight = 1;
            lane.finished(false, lane.epoch, 1, 10);
        }
        assert_eq!(lane.consecutive_failures, 3);
        let rest = lane.resting_until.unwrap() - Instant::now();
        assert!(rest <= Duration::from_millis(10), "capped: {rest:?}");
        lane.in_flight = 1;
        assert!(lane.finished(true, lane.epoch, 1, 10).recovered);
        assert_eq!(lane.consecutive_failures, 0);
    }

    #[test]
    fn a_retry_is_posted_alone() {
        let mut lane = Lane::default();
        lane.queue.extend([job(0), job(2), job(0), job(0)]);
        // Put all four on one channel so only the retry rule splits them.
        let channel = lane.queue[0].job.event.channel_id;
        for q in &mut lane.queue {
            q.job.event.channel_id = channel;
        }
        let mut stale = Vec::new();
        let now = Instant::now();
        let sizes: Vec<(usize, u32)> = std::iter::from_fn(|| {
            let (post, _) = lane.next_post(10, now, &mut stale);
            (!post.is_empty()).then(|| (post.len(), post[0].delivery.attempts))
        })
        .collect();
        assert_eq!(sizes, vec![(1, 0), (1, 2), (2, 0)]);
        assert!(stale.is_empty());
    }
}
