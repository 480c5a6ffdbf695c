//! When to try a transiently failed message again.

use wagate_core::failure::Failure;

use super::config::DispatchConfig;

/// Delay before attempt number `attempts + 1`, in ms: exponential from `backoff_base_ms`
/// with ±50 % jitter (`jitter` in 0..1), capped at `backoff_max_ms`. For Meta's pair-rate
/// error the base follows Meta's advice of 4^X seconds.
pub fn backoff_ms(
    config: &DispatchConfig,
    failure: Option<Failure>,
    attempts: u32,
    jitter: f64,
) -> u64 {
    let exp = attempts.min(20);
    let raw = match failure {
        Some(Failure::PairRateLimit) => 1000u64.saturating_mul(4u64.saturating_pow(exp)),
        _ => config
            .backoff_base_ms
            .saturating_mul(2u64.saturating_pow(exp)),
    };
    let capped = raw.min(config.backoff_max_ms) as f64;
    (capped * (0.5 + jitter.clamp(0.0, 1.0))).round() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_exponentially_with_jitter_and_a_cap() {
        let c = DispatchConfig::default();
        assert_eq!(backoff_ms(&c, None, 0, 0.5), 1000);
        assert_eq!(backoff_ms(&c, None, 3, 0.5), 8000);
        assert_eq!(backoff_ms(&c, None, 3, 0.0), 4000);
        assert_eq!(backoff_ms(&c, None, 3, 1.0), 12000);
        assert_eq!(backoff_ms(&c, None, 30, 0.5), 300_000);
        assert_eq!(backoff_ms(&c, Some(Failure::PairRateLimit), 2, 0.5), 16_000);
    }
}
