//! The dispatcher's pacing: one GCRA lane per channel (its throughput) and one per
//! recipient (Meta's pair rate). A message that does not fit now is booked at the earliest
//! time both lanes allow and deferred to then, so a burst is spread out, never failed. The
//! booking is remembered, so when the message comes back at its slot it goes at once.

use std::collections::{HashMap, HashSet};

use wagate_core::channel::{Channel, Upstream};
use wagate_core::ids::{ChannelId, MessageId};
use wagate_core::pacing::Gcra;

/// Meta's pair rate: bursts of 45, then one message per 6 s.
const META_PAIR_BURST: u32 = 45;
const META_PAIR_INTERVAL_US: i64 = 6_000_000;

#[derive(Debug, Default)]
pub struct Pacer {
    channels: HashMap<ChannelId, (u32, Gcra)>,
    pairs: HashMap<(ChannelId, String), Gcra>,
    booked: HashSet<MessageId>,
    steps: u64,
}

/// Whether a message may go now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    Now,
    /// Not before this time (µs since the epoch); booked.
    At(i64),
}

impl Pacer {
    /// Finds (and books) the slot of `message` to `recipient` on `channel`.
    pub fn slot(
        &mut self,
        channel: &Channel,
        message: MessageId,
        recipient: &str,
        now_us: i64,
        limits: (bool, bool),
    ) -> Slot {
        let (channel_limit, pair_limit) = limits;
        if self.booked.remove(&message) {
            return Slot::Now;
        }
        self.steps += 1;
        if self.steps.is_multiple_of(50_000) {
            self.pairs.retain(|_, g| !g.is_idle(now_us));
        }
        let rate = channel.throughput.per_second();
        let lane = self
            .channels
            .entry(channel.id)
            .or_insert_with(|| (rate, Gcra::per_second(rate)));
        if lane.0 != rate {
            *lane = (rate, Gcra::per_second(rate));
        }
        let (burst, interval_us) = match &channel.upstream {
            Upstream::Sandbox(s) => (
                s.pair_burst,
                i64::try_from(s.pair_interval_ms).unwrap_or(i64::MAX / 1000) * 1000,
            ),
            Upstream::Cloud(_) => (META_PAIR_BURST, META_PAIR_INTERVAL_US),
        };
        let pair = self
            .pairs
            .entry((channel.id, recipient.to_owned()))
            .or_insert_with(|| Gcra::new(interval_us, burst));
        let mut at = now_us;
        if channel_limit {
            at = at.max(lane.1.earliest(now_us));
        }
        if pair_limit {
            at = at.max(pair.earliest(now_us));
        }
        if channel_limit {
            lane.1.book(at);
        }
        if pair_limit {
            pair.book(at);
        }
        if at <= now_us {
            Slot::Now
        } else {
            self.booked.insert(message);
            Slot::At(at)
        }
    }
}
