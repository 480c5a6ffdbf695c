//! Wall-clock time, injected once. Everything that stamps or compares a time (the stores,
//! the services, the workers) asks the one [`Clock`] the process was built with, so a test
//! can hold time still or move it ([`ManualClock`]) instead of waiting for it.
//!
//! Times are at millisecond precision, what both stores keep, so a value a write returns
//! equals what a later read gives back.

use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};

pub use jiff::SignedDuration;
use jiff::Timestamp;

pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// Now, at millisecond precision.
    fn now(&self) -> Timestamp;
}

/// The system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        millis(Timestamp::now().as_millisecond())
    }
}

/// A clock that moves only when told (tests, simulations).
#[derive(Debug)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn at(t: Timestamp) -> Self {
        Self(AtomicI64::new(t.as_millisecond()))
    }

    /// Starts at the system's now.
    pub fn starting_now() -> Self {
        Self::at(SystemClock.now())
    }

    pub fn set(&self, t: Timestamp) {
        self.0.store(t.as_millisecond(), Ordering::SeqCst);
    }

    pub fn advance(&self, by: SignedDuration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        millis(self.0.load(Ordering::SeqCst))
    }
}

fn millis(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).expect("now is in range")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_time_is_whole_milliseconds() {
        let t = SystemClock.now();
        assert_eq!(t.subsec_nanosecond() % 1_000_000, 0);
    }

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let start = Timestamp::from_second(1_800_000_000).unwrap();
        let c = ManualClock::at(start);
        assert_eq!(c.now(), start);
        c.advance(SignedDuration::from_secs(90));
        assert_eq!(c.now().as_second(), start.as_second() + 90);
        c.set(start);
        assert_eq!(c.now(), start);
    }
}
