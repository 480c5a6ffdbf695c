//! Rate pacing with the generic cell-rate algorithm (GCRA): a rate of one event per
//! `interval` with bursts of up to `burst` events, kept as a single "theoretical arrival
//! time". It is what Meta's limits look like (80 messages/s per number; one message per 6 s
//! per user with bursts of 45), and it tells not only *whether* an event fits now but the
//! earliest time it will, so a burst can be spread out instead of failed.
//!
//! Times are microseconds since the Unix epoch, so every step is exact integer arithmetic.

use crate::Timestamp;

/// Microseconds since the Unix epoch.
pub fn micros(t: Timestamp) -> i64 {
    t.as_microsecond()
}

/// One paced lane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gcra {
    /// Microseconds between events at the sustained rate.
    interval_us: i64,
    /// How far ahead of the sustained rate a burst may run.
    tolerance_us: i64,
    /// Theoretical arrival time of the next event.
    tat_us: i64,
}

impl Gcra {
    /// `burst` events at once, then one per `interval_us`.
    pub fn new(interval_us: i64, burst: u32) -> Self {
        let interval_us = interval_us.max(1);
        Self {
            interval_us,
            tolerance_us: interval_us * i64::from(burst.max(1) - 1),
            tat_us: i64::MIN / 2,
        }
    }

    /// `per_second` events per second, bursting one second's worth.
    pub fn per_second(per_second: u32) -> Self {
        let per_second = per_second.max(1);
        Self::new(1_000_000 / i64::from(per_second), per_second)
    }

    /// The earliest time (µs) at or after `now_us` an event fits.
    pub fn earliest(&self, now_us: i64) -> i64 {
        now_us.max(self.tat_us - self.tolerance_us)
    }

    /// Books an event at `at_us` (which must be at or after [`Gcra::earliest`]).
    pub fn book(&mut self, at_us: i64) {
        self.tat_us = self.tat_us.max(at_us) + self.interval_us;
    }

    /// Takes a slot now if one is free; otherwise says how many µs until one is.
    pub fn try_take(&mut self, now_us: i64) -> Result<(), i64> {
        let at = self.earliest(now_us);
        if at > now_us {
            return Err(at - now_us);
        }
        self.book(now_us);
        Ok(())
    }

    /// Whether this lane has been idle long enough to be forgotten (its state equals a fresh one).
    pub fn is_idle(&self, now_us: i64) -> bool {
        self.tat_us <= now_us
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_then_sustained_rate() {
        let mut pair = Gcra::new(6_000_000, 3);
        let t0 = 1_000_000_000;
        assert_eq!(pair.try_take(t0), Ok(()));
        assert_eq!(pair.try_take(t0), Ok(()));
        assert_eq!(pair.try_take(t0), Ok(()));
        assert_eq!(pair.try_take(t0), Err(6_000_000), "the burst is spent");
        assert_eq!(pair.try_take(t0 + 6_000_000), Ok(()));
        assert!(pair.try_take(t0 + 6_000_001).is_err());
    }

    #[test]
    fn booking_ahead_spreads_a_queue() {
        let mut lane = Gcra::per_second(4);
        let now = 0;
        let slots: Vec<i64> = (0..6)
            .map(|_| {
                let at = lane.earliest(now);
                lane.book(at);
                at
            })
            .collect();
        assert_eq!(slots, vec![0, 0, 0, 0, 250_000, 500_000]);
        assert!(!lane.is_idle(now));
        assert!(lane.is_idle(10_000_000));
    }
}
