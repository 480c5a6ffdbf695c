//! Rate limits per API key and per account: two token buckets every authenticated request
//! draws one token from (the key's, then its account's), checked right after
//! authentication. A bucket holds up to `burst` tokens and refills at `per_sec` tokens a
//! second; an empty bucket refuses with the seconds until its next token (`Retry-After`).
//!
//! # Concurrency model
//! Buckets live in memory, per node (N nodes allow N× the configured rate), in a fixed
//! number of shards, each a `Mutex<HashMap>`: a check locks one shard per bucket for a few
//! arithmetic operations, so requests of different keys rarely meet. Tokens are counted in
//! thousandths, so refills need no floating point.
//!
//! # Eviction
//! A bucket left alone long enough to be full again is the same as no bucket, so each shard,
//! at most once per `idle_evict_secs`, drops the buckets idle that long (and full). The map
//! holds at most the keys and accounts active in the last interval or two, never every key
//! ever seen.
//!
//! # Time
//! A [`Clock`] gives monotonic milliseconds: [`SystemClock`] in production, [`ManualClock`]
//! in tests, which drive refills without sleeping.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use wagate_core::ids::{AccountId, ApiKeyId};

use crate::Principal;

/// `[rate_limits]`: token buckets per key and per account.
///
/// On by default, at rates no single client of one node reaches in normal use: the README's
/// benchmark peaks near 5,100 requests a second with one key, half the per-key default, so
/// `wagate bench` is never throttled; a runaway client or a leaked key is.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitConfig {
    /// Enforce the limits at all.
    pub enabled: bool,
    /// Requests per second one API key may make, on average.
    pub key_per_sec: u32,
    /// Requests one API key may make at once after a quiet spell.
    pub key_burst: u32,
    /// Requests per second all of an account's keys together may make, on average.
    pub account_per_sec: u32,
    /// Requests all of an account's keys together may make at once.
    pub account_burst: u32,
    /// Seconds after which an idle, full bucket is dropped from memory.
    pub idle_evict_secs: u64,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            key_per_sec: 10_000,
            key_burst: 20_000,
            account_per_sec: 20_000,
            account_burst: 40_000,
            idle_evict_secs: 300,
        }
    }
}

/// Which bucket ran dry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limited {
    /// The key's own bucket (Graph code 4 on the Cloud plane).
    Key { retry_after_secs: u64 },
    /// The account's bucket, shared by its keys (Graph code 80007 on the Cloud plane).
    Account { retry_after_secs: u64 },
}

impl Limited {
    pub fn retry_after_secs(self) -> u64 {
        match self {
            Limited::Key { retry_after_secs } | Limited::Account { retry_after_secs } => {
                retry_after_secs
            }
        }
    }
}

/// Monotonic milliseconds.
pub trait Clock: Send + Sync + 'static {
    fn now_ms(&self) -> u64;
}

/// The process's monotonic clock.
#[derive(Debug)]
pub struct SystemClock(Instant);

impl Default for SystemClock {
    fn default() -> Self {
        Self(Instant::now())
    }
}

impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.0.elapsed().as_millis()).unwrap_or(u64::MAX)
    }
}

/// A clock that moves only when told (tests).
#[derive(Debug, Default)]
pub struct ManualClock(AtomicU64);

impl ManualClock {
    pub fn advance_ms(&self, ms: u64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// Thousandths of a token.
const MILLI: u64 = 1000;
const SHARDS: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum BucketKey {
    Key(ApiKeyId),
    Account(AccountId),
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    /// Thousandths of a token.
    tokens: u64,
    /// When `tokens` was last brought up to date.
    at_ms: u64,
}

#[derive(Debug, Clone, Copy)]
struct Rate {
    per_sec: u64,
    burst_milli: u64,
}

impl Rate {
    fn new(per_sec: u32, burst: u32) -> Self {
        Self {
            per_sec: u64::from(per_sec.max(1)),
            burst_milli: u64::from(burst.max(1)) * MILLI,
        }
    }

    /// Brings `b` up to `now`: `per_sec` tokens a second is `per_sec` thousandths a ms.
    fn refill(self, b: &mut Bucket, now: u64) {
        let elapsed = now.saturating_sub(b.at_ms);
        b.tokens = b
            .tokens
            .saturating_add(elapsed.saturating_mul(self.per_sec))
            .min(self.burst_milli);
        b.at_ms = now;
    }

    /// Whole seconds until `b` holds one token (at least 1).
    fn retry_after_secs(self, b: &Bucket) -> u64 {
        let missing = MILLI.saturating_sub(b.tokens);
        let ms = missing.div_ceil(self.per_sec);
        ms.div_ceil(1000).max(1)
    }
}

#[derive(Default)]
struct Shard {
    buckets: HashMap<BucketKey, Bucket>,
    swept_at_ms: u64,
}

/// The buckets of one node. Cheap to share (`Arc`).
pub struct RateLimiter {
    config: RateLimitConfig,
    key: Rate,
    account: Rate,
    shards: Vec<Mutex<Shard>>,
    hasher: RandomState,
    /// Swappable so a running server's tests can drive time ([`RateLimiter::use_clock`]);
    /// read once per check, uncontended.
    clock: RwLock<Arc<dyn Clock>>,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl RateLimiter {
    pub fn new(config: RateLimitConfig) -> Self {
        Self {
            config,
            key: Rate::new(config.key_per_sec, config.key_burst),
            account: Rate::new(config.account_per_sec, config.account_burst),
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            hasher: RandomState::new(),
            clock: RwLock::new(Arc::new(SystemClock::default())),
        }
    }

    pub fn config(&self) -> RateLimitConfig {
        self.config
    }

    /// Replaces the clock (tests: a [`ManualClock`]). Buckets keep their tokens; their times
    /// restart at the new clock's now.
    pub fn use_clock(&self, clock: Arc<dyn Clock>) {
        let now = clock.now_ms();
        for shard in &self.shards {
            let mut shard = shard.lock().unwrap_or_else(|e| e.into_inner());
            for b in shard.buckets.values_mut() {
                b.at_ms = now;
            }
            shard.swept_at_ms = now;
        }
        *self.clock.write().unwrap_or_else(|e| e.into_inner()) = clock;
    }

    /// Takes one token from the principal's key bucket and one from its account's; refuses,
    /// taking none, when either is empty. The operator (no key) is never limited.
    pub fn check(&self, p: &Principal) -> Result<(), Limited> {
        if !self.config.enabled {
            return Ok(());
        }
        let Some(key_id) = p.key_id else {
            return Ok(());
        };
        let now = self.now_ms();
        if let Err(retry_after_secs) = self.take(BucketKey::Key(key_id), self.key, now) {
            return Err(Limited::Key { retry_after_secs });
        }
        if let Err(retry_after_secs) =
            self.take(BucketKey::Account(p.account_id), self.account, now)
        {
            self.give_back(BucketKey::Key(key_id), self.key);
            return Err(Limited::Account { retry_after_secs });
        }
        Ok(())
    }

    /// How many buckets are held (metrics and tests).
    pub fn buckets(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(|e| e.into_inner()).buckets.len())
            .sum()
    }

    fn shard(&self, key: &BucketKey) -> &Mutex<Shard> {
        let i = (self.hasher.hash_one(key) as usize) % SHARDS;
        &self.shards[i]
    }

    fn take(&self, key: BucketKey, rate: Rate, now: u64) -> Result<(), u64> {
        let mut shard = self.shard(&key).lock().unwrap_or_else(|e| e.into_inner());
        self.sweep(&mut shard, now);
        let b = shard.buckets.entry(key).or_insert(Bucket {
            tokens: rate.burst_milli,
            at_ms: now,
        });
        rate.refill(b, now);
        if b.tokens >= MILLI {
            b.tokens -= MILLI;
            Ok(())
        } else {
            Err(rate.retry_after_secs(b))
        }
    }

    fn give_back(&self, key: BucketKey, rate: Rate) {
        let mut shard = self.shard(&key).lock().unwrap_or_else(|e| e.into_inner());
        if let Some(b) = shard.buckets.get_mut(&key) {
            b.tokens = (b.tokens + MILLI).min(rate.burst_milli);
        }
    }

    /// Drops buckets idle for `idle_evict_secs` (by then full: a new one is the same), at
    /// most once per that interval per shard.
    fn sweep(&self, shard: &mut Shard, now: u64) {
        let idle_ms = self.idle_ms();
        if now.saturating_sub(shard.swept_at_ms) < idle_ms {
            return;
        }
        self.sweep_now(shard, now);
    }

    fn idle_ms(&self) -> u64 {
        self.config.idle_evict_secs.saturating_mul(1000).max(1)
    }

    /// Drops every idle, full bucket now (the shards do it themselves as they are used).
    pub fn evict_idle(&self) {
        let now = self.now_ms();
        for shard in &self.shards {
            self.sweep_now(&mut shard.lock().unwrap_or_else(|e| e.into_inner()), now);
        }
    }

    fn now_ms(&self) -> u64 {
        self.clock
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .now_ms()
    }

    fn sweep_now(&self, shard: &mut Shard, now: u64) {
        let idle_ms = self.idle_ms();
        shard.swept_at_ms = now;
        let (key, account) = (self.key, self.account);
        shard.buckets.retain(|k, b| {
            let rate = match k {
                BucketKey::Key(_) => key,
                BucketKey::Account(_) => account,
            };
            let mut b2 = *b;
            rate.refill(&mut b2, now);
            now.saturating_sub(b.at_ms) < idle_ms || b2.tokens < rate.burst_milli
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wagate_core::api_key::KeyChannels;

    fn principal(account: AccountId) -> Principal {
        Principal {
            account_id: account,
            key_id: Some(ApiKeyId::generate()),
            channels: KeyChannels::All,
            admin: false,
            signed_by: None,
        }
    }

    fn limiter(config: RateLimitConfig) -> (RateLimiter, Arc<ManualClock>) {
        let l = RateLimiter::new(config);
        let clock = Arc::new(ManualClock::default());
        l.use_clock(clock.clone());
        (l, clock)
    }

    fn config(key: (u32, u32), account: (u32, u32)) -> RateLimitConfig {
        RateLimitConfig {
            enabled: true,
            key_per_sec: key.0,
            key_burst: key.1,
            account_per_sec: account.0,
            account_burst: account.1,
            idle_evict_secs: 60,
        }
    }

    #[test]
    fn burst_then_refill_at_the_rate() {
        let (l, clock) = limiter(config((2, 3), (100, 100)));
        let p = principal(AccountId::generate());
        for _ in 0..3 {
            l.check(&p).unwrap();
        }
        assert_eq!(
            l.check(&p),
            Err(Limited::Key {
                retry_after_secs: 1
            })
        );
        clock.advance_ms(499);
        assert!(l.check(&p).is_err(), "half a token short of one");
        clock.advance_ms(1);
        l.check(&p).unwrap();
        assert!(l.check(&p).is_err());
        clock.advance_ms(10_000);
        for _ in 0..3 {
            l.check(&p).unwrap();
        }
        assert!(l.check(&p).is_err(), "refill stops at the burst");
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        let (l, _) = limiter(config((1, 1), (100, 100)));
        let p = principal(AccountId::generate());
        l.check(&p).unwrap();
        assert_eq!(l.check(&p).unwrap_err().retry_after_secs(), 1);
        let slow = RateLimiter::new(RateLimitConfig {
            key_per_sec: 1,
            ..config((1, 1), (100, 100))
        });
        slow.check(&p).unwrap();
        assert_eq!(slow.check(&p).unwrap_err().retry_after_secs(), 1);
    }

    #[test]
    fn the_account_bucket_is_shared_and_refunds_the_key() {
        let (l, _) = limiter(config((100, 5), (100, 3)));
        let account = AccountId::generate();
        let (a, b) = (principal(account), principal(account));
        l.check(&a).unwrap();
        l.check(&a).unwrap();
        l.check(&b).unwrap();
        assert!(matches!(l.check(&b), Err(Limited::Account { .. })));
        assert!(matches!(l.check(&a), Err(Limited::Account { .. })));
        // Another account is not touched.
        l.check(&principal(AccountId::generate())).unwrap();
    }

    #[test]
    fn idle_buckets_are_evicted() {
        let (l, clock) = limiter(config((10, 10), (10, 10)));
        for _ in 0..50 {
            l.check(&principal(AccountId::generate())).unwrap();
        }
        assert_eq!(l.buckets(), 100);
        clock.advance_ms(61_000);
        let busy = principal(AccountId::generate());
        l.check(&busy).unwrap();
        l.evict_idle();
        assert_eq!(l.buckets(), 2, "only the busy key and its account stay");
        // Shards also sweep themselves on use, once per interval.
        clock.advance_ms(61_000);
        for _ in 0..64 {
            l.check(&principal(AccountId::generate())).unwrap();
        }
        assert!(l.buckets() <= 128, "{} buckets", l.buckets());
    }

    #[test]
    fn off_and_operator_are_never_limited() {
        let (l, _) = limiter(RateLimitConfig {
            enabled: false,
            ..config((1, 1), (1, 1))
        });
        let p = principal(AccountId::generate());
        for _ in 0..10 {
            l.check(&p).unwrap();
        }
        let (l, _) = limiter(config((1, 1), (1, 1)));
        let op = Principal::operator(AccountId::generate());
        for _ in 0..10 {
            l.check(&op).unwrap();
        }
        assert_eq!(l.buckets(), 0);
    }
}
