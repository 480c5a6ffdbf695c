//! A subscription's lane in the deliverer: the deliveries it leased ahead, the POSTs it has
//! in flight, and how it is doing. Pure bookkeeping, so its rules are unit-tested here:
//!
//! - **Healthy** (last POST succeeded): up to `concurrency` POSTs at once, and up to
//!   [`PREFETCH_POSTS`] POSTs' worth of deliveries leased ahead, so a fast receiver is never
//!   waiting on the store.
//! - **Failing**: after a failed POST the lane rests (`pause_base_ms`, doubling per
//!   consecutive failure up to the cap), gives back what it leased ahead, then probes with
//!   one POST at a time until one succeeds. A receiver that answers 5xx forever is probed,
//!   not hammered, and holds no leases while it rests.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use wagate_core::ids::{ChannelId, DeliveryId};
use wagate_core::webhook::Subscription;
use wagate_store::DeliveryJob;

/// POSTs' worth of deliveries a healthy lane leases ahead.
pub const PREFETCH_POSTS: u32 = 16;

/// A leased delivery waiting for its POST.
pub struct Queued {
    pub job: DeliveryJob,
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

    /// Takes the next POST's deliveries: up to `batch`, all of one channel, in lease order.
    /// Deliveries whose `post_by` passed are dropped into `stale` (to be given back).
    pub fn next_post(
        &mut self,
        batch: u32,
        now: Instant,
        stale: &mut Vec<DeliveryId>,
    ) -> Vec<DeliveryJob> {
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
            if channel.is_some_and(|c| c != of) {
                break;
            }
            channel = Some(of);
            post.push(self.queue.pop_front().expect("front exists").job);
        }
        if !post.is_empty() {
            self.in_flight += 1;
        }
        post
    }

    /// A POST ended. A failure starts (or lengthens) the rest and empties the queue: the
    /// returned deliveries are to be given back.
    pub fn finished(&mut self, ok: bool, pause_base_ms: u64, max_ms: u64) -> Vec<DeliveryId> {
        self.in_flight = self.in_flight.saturating_sub(1);
        if ok {
            self.consecutive_failures = 0;
            self.resting_until = None;
            return Vec::new();
        }
        self.consecutive_failures = self.consecutive_failures.saturating_add(1);
        let rest = pause_base_ms
            .saturating_mul(2u64.saturating_pow(self.consecutive_failures.min(20) - 1))
            .min(max_ms);
        self.resting_until = Some(Instant::now() + Duration::from_millis(rest));
        self.drain()
    }

    /// Empties the queue; the ids are to be given back.
    pub fn drain(&mut self) -> Vec<DeliveryId> {
        self.queue.drain(..).map(|q| q.job.delivery.id).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(lane.finished(false, 1000, 60_000).is_empty());
        let now = Instant::now();
        assert_eq!(lane.room(4, now), 0, "resting");
        assert_eq!(lane.want(4, 1, now), 0, "no leases while resting");
        let later = now + Duration::from_secs(2);
        assert_eq!(lane.room(4, later), 0, "one POST is still out");
        lane.finished(true, 1000, 60_000);
        assert_eq!(lane.room(4, later), 4, "recovered");

        let mut lane = Lane {
            in_flight: 1,
            ..Lane::default()
        };
        lane.finished(false, 10, 60_000);
        let later = Instant::now() + Duration::from_secs(1);
        assert_eq!(lane.room(4, later), 1, "probing");
        assert_eq!(lane.want(4, 3, later), 3, "one POST's worth");
        lane.finished(false, 10, 60_000);
        let rest = lane.resting_until.unwrap() - Instant::now();
        assert!(
            rest > Duration::from_millis(15),
            "the rest doubles: {rest:?}"
        );
    }
}
