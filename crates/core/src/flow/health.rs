//! Flow endpoint health, as Meta monitors it: every call the WhatsApp client (here: wagate,
//! for the sandbox's virtual users and the publish health check) makes to a flow's
//! data-exchange endpoint is recorded with its outcome and latency, and four metrics over
//! sliding windows raise and clear Meta's `flows` webhook alerts:
//!
//! | event | value | window | thresholds | breached when |
//! |---|---|---|---|---|
//! | `ENDPOINT_ERROR_RATE` | % of calls the endpoint failed | 30 min | 5, 10, 50 | value ≥ threshold |
//! | `ENDPOINT_LATENCY` | p90 latency (ms) of answered calls | 30 min | 1000, 5000, 7000 | value ≥ threshold |
//! | `ENDPOINT_AVAILABILITY` | % of calls answered at all | 10 min | 90 | value < threshold |
//! | `CLIENT_ERROR_RATE` | % of calls the client could not use | 60 min | 5, 10, 50 | value ≥ threshold |
//!
//! The thresholds and windows are Meta's (its "Flows Webhooks" page). Each metric has a
//! level: the highest threshold it has reached. When a new call moves the level up, an
//! alert with `alert_state: ACTIVATED` names the threshold reached; when it moves down, one
//! with `DEACTIVATED` names the threshold recovered from. A window with fewer than
//! [`MIN_REQUESTS`] calls holds the level as it is (Meta publishes no minimum for alerts;
//! without one a single failed call would be a 100 % error rate).
//!
//! A published data-exchange flow whose metrics deteriorate is first `THROTTLED`, then, if
//! they deteriorate further, `BLOCKED`; when they recover it moves back one step at a time,
//! `BLOCKED` → `THROTTLED` → `PUBLISHED` (Meta's "Flow Health and Monitoring"). Meta does not
//! publish which metric values throttle or block; wagate's rule ([`target_status`]): an error
//! rate (endpoint or client) at its top threshold (50 %) or p90 latency at its top (7 s)
//! blocks; an error rate at 10 %, p90 latency at 5 s, or an availability alert throttles.
//! Each evaluation moves the status one step toward that target.
//!
//! Everything here is pure: the store runs [`evaluate`] in the transaction that records the
//! call.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::Timestamp;
use crate::flow::{FlowStatus, StatusChange};

/// Fewer calls than this in a metric's window leave its alert level unchanged.
pub const MIN_REQUESTS: usize = 5;

/// The longest window of any metric: calls older than this are not needed any more.
pub const RETENTION_SECS: i64 = 60 * 60;

/// Why a call failed, by Meta's error type names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorType {
    /// No whole answer within the time limit (endpoint side; not answered).
    Timeout,
    /// No connection, or it broke (endpoint side; not answered).
    NoHttpResponse,
    /// An HTTP status other than 200 (endpoint side).
    UnexpectedHttpStatusCode,
    /// A 200 whose body does not decrypt under the request's key (endpoint side).
    ResponseDecryptionError,
    /// A body that decrypts but is not a valid answer (endpoint side).
    InvalidResponse,
    /// The phone number has no business public key: the client cannot encrypt (client side).
    PublicKeyMissing,
    /// The endpoint named a screen the Flow JSON does not have (client side).
    InvalidScreenTransition,
}

impl ErrorType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Timeout => "TIMEOUT",
            Self::NoHttpResponse => "NO_HTTP_RESPONSE",
            Self::UnexpectedHttpStatusCode => "UNEXPECTED_HTTP_STATUS_CODE",
            Self::ResponseDecryptionError => "RESPONSE_DECRYPTION_ERROR",
            Self::InvalidResponse => "INVALID_RESPONSE",
            Self::PublicKeyMissing => "PUBLIC_KEY_MISSING",
            Self::InvalidScreenTransition => "INVALID_SCREEN_TRANSITION",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Timeout,
            Self::NoHttpResponse,
            Self::UnexpectedHttpStatusCode,
            Self::ResponseDecryptionError,
            Self::InvalidResponse,
            Self::PublicKeyMissing,
            Self::InvalidScreenTransition,
        ]
        .into_iter()
        .find(|t| t.as_str() == s)
    }

    /// The client's own failure (counted in `CLIENT_ERROR_RATE`), not the endpoint's.
    pub fn is_client_side(self) -> bool {
        matches!(self, Self::PublicKeyMissing | Self::InvalidScreenTransition)
    }

    /// The endpoint gave no HTTP answer at all (counts against availability).
    pub fn is_unanswered(self) -> bool {
        matches!(self, Self::Timeout | Self::NoHttpResponse)
    }
}

/// One call to a flow's endpoint (or one the client could not make).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndpointCall {
    pub at: Timestamp,
    /// From sending the request to reading the answer (0 when nothing was sent).
    pub latency_ms: u32,
    /// `None`: the call succeeded.
    pub error: Option<ErrorType>,
}

impl EndpointCall {
    fn answered(&self) -> bool {
        !self.error.is_some_and(ErrorType::is_unanswered)
    }

    fn client_side(&self) -> bool {
        self.error.is_some_and(ErrorType::is_client_side)
    }
}

/// What Meta monitors (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Metric {
    EndpointErrorRate,
    EndpointLatency,
    EndpointAvailability,
    ClientErrorRate,
}

impl Metric {
    pub const ALL: [Metric; 4] = [
        Self::EndpointErrorRate,
        Self::EndpointLatency,
        Self::EndpointAvailability,
        Self::ClientErrorRate,
    ];

    /// The webhook's `event`.
    pub fn event(self) -> &'static str {
        match self {
            Self::EndpointErrorRate => "ENDPOINT_ERROR_RATE",
            Self::EndpointLatency => "ENDPOINT_LATENCY",
            Self::EndpointAvailability => "ENDPOINT_AVAILABILITY",
            Self::ClientErrorRate => "CLIENT_ERROR_RATE",
        }
    }

    /// Meta's detection period.
    pub fn window_secs(self) -> i64 {
        match self {
            Self::EndpointErrorRate | Self::EndpointLatency => 30 * 60,
            Self::EndpointAvailability => 10 * 60,
            Self::ClientErrorRate => 60 * 60,
        }
    }

    /// Meta's thresholds, from the mildest to the worst.
    pub fn thresholds(self) -> &'static [u32] {
        match self {
            Self::EndpointErrorRate | Self::ClientErrorRate => &[5, 10, 50],
            Self::EndpointLatency => &[1000, 5000, 7000],
            Self::EndpointAvailability => &[90],
        }
    }

    fn breached(self, value: f64, threshold: u32) -> bool {
        match self {
            Self::EndpointAvailability => value < f64::from(threshold),
            _ => value >= f64::from(threshold),
        }
    }
}

/// Each metric's active threshold (absent: no alert active), as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AlertLevels(BTreeMap<Metric, u32>);

impl AlertLevels {
    pub fn get(&self, m: Metric) -> Option<u32> {
        self.0.get(&m).copied()
    }

    fn set(&mut self, m: Metric, level: Option<u32>) {
        match level {
            Some(t) => self.0.insert(m, t),
            None => self.0.remove(&m),
        };
    }
}

/// The numbers behind one metric over its window.
#[derive(Debug, Clone, PartialEq)]
pub struct Measure {
    pub metric: Metric,
    pub requests: usize,
    /// The rate (%), the p90 latency (ms) or the availability (%).
    pub value: f64,
    pub p50_latency: u32,
    /// Per error type counted by this metric: (type, count).
    pub errors: Vec<(ErrorType, usize)>,
}

/// A raised or cleared alert.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    pub measure: Measure,
    pub activated: bool,
    /// The threshold reached (activated) or recovered from (deactivated).
    pub threshold: u32,
}

/// What one evaluation decided.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Evaluation {
    pub levels: AlertLevels,
    pub alerts: Vec<Alert>,
    /// A status change of a published (throttled, blocked) flow.
    pub status: Option<StatusChange>,
}

/// The calls within the `window_secs` before `now`.
fn within(calls: &[EndpointCall], now: Timestamp, window_secs: i64) -> Vec<EndpointCall> {
    let from = now.as_millisecond() - window_secs * 1000;
    calls
        .iter()
        .filter(|c| c.at.as_millisecond() > from && c.at <= now)
        .copied()
        .collect()
}

/// Nearest-rank percentile of `values` (sorted here), `q` in 0..=100.
fn percentile(values: &mut [u32], q: usize) -> u32 {
    if values.is_empty() {
        return 0;
    }
    values.sort_unstable();
    let rank = (q * values.len()).div_ceil(100).max(1);
    values[rank - 1]
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// `metric` over its window ending `now`; `None` when it holds fewer than [`MIN_REQUESTS`].
pub fn measure(calls: &[EndpointCall], metric: Metric, now: Timestamp) -> Option<Measure> {
    let mut calls = within(calls, now, metric.window_secs());
    if metric != Metric::ClientErrorRate {
        // The endpoint's metrics count the requests it was sent.
        calls.retain(|c| !c.client_side());
    }
    if calls.len() < MIN_REQUESTS {
        return None;
    }
    let n = calls.len();
    let pct = |k: usize| round2(k as f64 * 100.0 / n as f64);
    let counted: Vec<ErrorType> = calls
        .iter()
        .filter_map(|c| c.error)
        .filter(|e| match metric {
            Metric::EndpointErrorRate => !e.is_client_side(),
            Metric::ClientErrorRate => e.is_client_side(),
            _ => false,
        })
        .collect();
    let mut errors: BTreeMap<ErrorType, usize> = BTreeMap::new();
    for e in &counted {
        *errors.entry(*e).or_default() += 1;
    }
    let mut latencies: Vec<u32> = calls
        .iter()
        .filter(|c| c.answered())
        .map(|c| c.latency_ms)
        .collect();
    let p50 = percentile(&mut latencies, 50);
    let value = match metric {
        Metric::EndpointErrorRate | Metric::ClientErrorRate => pct(counted.len()),
        Metric::EndpointLatency => f64::from(percentile(&mut latencies, 90)),
        Metric::EndpointAvailability => pct(calls.iter().filter(|c| c.answered()).count()),
    };
    Some(Measure {
        metric,
        requests: n,
        value,
        p50_latency: p50,
        errors: errors.into_iter().collect(),
    })
}

/// The highest threshold `m` breaches.
fn level(m: &Measure) -> Option<u32> {
    m.metric
        .thresholds()
        .iter()
        .copied()
        .filter(|t| m.metric.breached(m.value, *t))
        .max()
}

/// The status the alert levels call for (see the module docs), for a flow that is
/// published, throttled or blocked.
pub fn target_status(levels: &AlertLevels) -> FlowStatus {
    let at_least = |m: Metric, t: u32| levels.get(m).is_some_and(|l| l >= t);
    if at_least(Metric::EndpointErrorRate, 50)
        || at_least(Metric::ClientErrorRate, 50)
        || at_least(Metric::EndpointLatency, 7000)
    {
        FlowStatus::Blocked
    } else if at_least(Metric::EndpointErrorRate, 10)
        || at_least(Metric::ClientErrorRate, 10)
        || at_least(Metric::EndpointLatency, 5000)
        || levels.get(Metric::EndpointAvailability).is_some()
    {
        FlowStatus::Throttled
    } else {
        FlowStatus::Published
    }
}

fn severity(s: FlowStatus) -> u8 {
    match s {
        FlowStatus::Blocked => 2,
        FlowStatus::Throttled => 1,
        _ => 0,
    }
}

/// One step from `current` toward `target` (published → throttled → blocked and back).
fn step(current: FlowStatus, target: FlowStatus) -> FlowStatus {
    match severity(target).cmp(&severity(current)) {
        std::cmp::Ordering::Greater => match current {
            FlowStatus::Published => FlowStatus::Throttled,
            _ => FlowStatus::Blocked,
        },
        std::cmp::Ordering::Less => match current {
            FlowStatus::Blocked => FlowStatus::Throttled,
            _ => FlowStatus::Published,
        },
        std::cmp::Ordering::Equal => current,
    }
}

/// Re-evaluates a flow whose calls within [`RETENTION_SECS`] are `calls` (the new one
/// included), whose levels were `levels` and whose status is `status`, at `now`.
pub fn evaluate(
    calls: &[EndpointCall],
    levels: &AlertLevels,
    status: FlowStatus,
    now: Timestamp,
) -> Evaluation {
    let mut next = levels.clone();
    let mut alerts = Vec::new();
    for metric in Metric::ALL {
        let Some(m) = measure(calls, metric, now) else {
            continue;
        };
        let old = levels.get(metric);
        let new = level(&m);
        if old == new {
            continue;
        }
        let rank = |t: Option<u32>| t.map_or(0, |t| 1 + t as u64);
        let activated = match metric {
            Metric::EndpointAvailability => new.is_some(),
            _ => rank(new) > rank(old),
        };
        let threshold = if activated { new } else { old };
        next.set(metric, new);
        alerts.push(Alert {
            measure: m,
            activated,
            threshold: threshold.unwrap_or_default(),
        });
    }
    let status_change = match status {
        FlowStatus::Published | FlowStatus::Throttled | FlowStatus::Blocked => {
            let new = step(status, target_status(&next));
            (new != status).then_some(StatusChange { old: status, new })
        }
        _ => None,
    };
    Evaluation {
        levels: next,
        alerts,
        status: status_change,
    }
}

/// Meta's `flows` webhook value of an alert about `flow_id`.
pub fn alert_value(flow_id: &str, alert: &Alert) -> Value {
    let m = &alert.measure;
    let state = if alert.activated {
        "ACTIVATED"
    } else {
        "DEACTIVATED"
    };
    let reached = if alert.activated {
        "has reached"
    } else {
        "has gone below"
    };
    let errors = |m: &Measure| -> Vec<Value> {
        let total: usize = m.errors.iter().map(|(_, n)| n).sum();
        m.errors
            .iter()
            .map(|(t, n)| {
                json!({
                    "error_type": t.as_str(),
                    "error_rate": round2(*n as f64 * 100.0 / total.max(1) as f64),
                    "error_count": n,
                })
            })
            .collect()
    };
    match m.metric {
        Metric::EndpointErrorRate | Metric::ClientErrorRate => {
            let (who, minutes) = match m.metric {
                Metric::ClientErrorRate => ("client", 60),
                _ => ("endpoint", 30),
            };
            json!({
                "event": m.metric.event(),
                "message": format!(
                    "The flow {who} request error rate {reached} the {}% threshold in the last \
                     {minutes} minutes. A higher error rate will make it harder for users to \
                     complete the flow, resulting in drop-offs.",
                    alert.threshold
                ),
                "flow_id": flow_id,
                "error_rate": m.value,
                "threshold": alert.threshold,
                "alert_state": state,
                "errors": errors(m),
            })
        }
        Metric::EndpointLatency => json!({
            "event": m.metric.event(),
            "message": format!(
                "Flow endpoint latency {reached} the p90 threshold of {} ms in the last 30 \
                 minutes. High latency will increase the loading time between screens in the \
                 flow, impacting user experience.",
                alert.threshold
            ),
            "flow_id": flow_id,
            "p90_latency": m.value as u64,
            "p50_latency": m.p50_latency,
            "requests_count": m.requests,
            "threshold": alert.threshold,
            "alert_state": state,
        }),
        Metric::EndpointAvailability => json!({
            "event": m.metric.event(),
            "message": if alert.activated {
                format!(
                    "The flow endpoint availability has breached the {}% threshold in the last \
                     10 minutes. Users will be unable to open or use the flow.",
                    alert.threshold
                )
            } else {
                format!(
                    "The flow endpoint availability has recovered above the {}% threshold in \
                     the last 10 minutes.",
                    alert.threshold
                )
            },
            "flow_id": flow_id,
            "alert_state": state,
            "availability": m.value,
            "threshold": alert.threshold,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: i64) -> Timestamp {
        Timestamp::from_second(1_770_000_000 + secs).unwrap()
    }

    fn call(secs: i64, latency_ms: u32, error: Option<ErrorType>) -> EndpointCall {
        EndpointCall {
            at: t(secs),
            latency_ms,
            error,
        }
    }

    fn ok(secs: i64) -> EndpointCall {
        call(secs, 100, None)
    }

    #[test]
    fn too_few_calls_hold_the_levels() {
        let calls: Vec<_> = (0..4)
            .map(|i| call(i, 10, Some(ErrorType::UnexpectedHttpStatusCode)))
            .collect();
        let e = evaluate(&calls, &AlertLevels::default(), FlowStatus::Published, t(4));
        assert_eq!(e, Evaluation::default());
    }

    #[test]
    fn error_rate_activates_at_the_highest_threshold_reached_and_deactivates() {
        // 1 failure in 10 calls: 10 %.
        let mut calls: Vec<_> = (0..9).map(ok).collect();
        calls.push(call(9, 50, Some(ErrorType::Timeout)));
        let e = evaluate(
            &calls,
            &AlertLevels::default(),
            FlowStatus::Published,
            t(10),
        );
        let rate = &e.alerts[0];
        assert_eq!(rate.measure.metric, Metric::EndpointErrorRate);
        assert!(rate.activated);
        assert_eq!(rate.threshold, 10);
        assert_eq!(rate.measure.value, 10.0);
        assert_eq!(rate.measure.errors, [(ErrorType::Timeout, 1)]);
        assert_eq!(e.levels.get(Metric::EndpointErrorRate), Some(10));
        // A timeout is also an unanswered call: 90 % availability is not below 90.
        assert_eq!(e.levels.get(Metric::EndpointAvailability), None);
        // Throttled first.
        assert_eq!(
            e.status,
            Some(StatusChange {
                old: FlowStatus::Published,
                new: FlowStatus::Throttled
            })
        );
        // 31 minutes on, the failure left the 30-minute window; five good calls.
        let later: Vec<_> = calls
            .iter()
            .copied()
            .chain((0..5).map(|i| ok(31 * 60 + i)))
            .collect();
        let e2 = evaluate(&later, &e.levels, FlowStatus::Throttled, t(31 * 60 + 5));
        let cleared = e2
            .alerts
            .iter()
            .find(|a| a.measure.metric == Metric::EndpointErrorRate)
            .unwrap();
        assert!(!cleared.activated);
        assert_eq!(cleared.threshold, 10, "the threshold recovered from");
        assert_eq!(e2.levels, AlertLevels::default());
        assert_eq!(
            e2.status,
            Some(StatusChange {
                old: FlowStatus::Throttled,
                new: FlowStatus::Published
            })
        );
        let v = alert_value("123", cleared);
        assert_eq!(v["alert_state"], "DEACTIVATED");
        assert_eq!(v["event"], "ENDPOINT_ERROR_RATE");
    }

    #[test]
    fn sustained_failure_throttles_then_blocks_and_recovery_steps_back() {
        let calls: Vec<_> = (0..5)
            .map(|i| call(i, 10, Some(ErrorType::UnexpectedHttpStatusCode)))
            .collect();
        let e = evaluate(&calls, &AlertLevels::default(), FlowStatus::Published, t(5));
        assert_eq!(e.levels.get(Metric::EndpointErrorRate), Some(50));
        assert_eq!(e.status.unwrap().new, FlowStatus::Throttled);
        let v = alert_value("42", &e.alerts[0]);
        assert_eq!(v["threshold"], 50);
        assert_eq!(v["error_rate"], 100.0);
        assert_eq!(v["alert_state"], "ACTIVATED");
        assert_eq!(
            v["errors"],
            json!([{"error_type": "UNEXPECTED_HTTP_STATUS_CODE", "error_rate": 100.0, "error_count": 5}])
        );
        // The next evaluation with the same levels: no new alert, one more step.
        let e2 = evaluate(&calls, &e.levels, FlowStatus::Throttled, t(6));
        assert!(e2.alerts.is_empty());
        assert_eq!(e2.status.unwrap().new, FlowStatus::Blocked);
        let e3 = evaluate(&calls, &e2.levels, FlowStatus::Blocked, t(7));
        assert_eq!(e3.status, None, "blocked is as far as it goes");
        // All good later: blocked → throttled → published.
        let good: Vec<_> = (0..5).map(|i| ok(3600 + i)).collect();
        let r1 = evaluate(&good, &e3.levels, FlowStatus::Blocked, t(3605));
        assert_eq!(r1.status.unwrap().new, FlowStatus::Throttled);
        let r2 = evaluate(&good, &r1.levels, FlowStatus::Throttled, t(3606));
        assert_eq!(r2.status.unwrap().new, FlowStatus::Published);
        // A draft or deprecated flow gets alerts but never a status change.
        let d = evaluate(&calls, &AlertLevels::default(), FlowStatus::Draft, t(5));
        assert!(!d.alerts.is_empty());
        assert_eq!(d.status, None);
    }

    #[test]
    fn latency_is_the_p90_of_answered_calls() {
        let calls: Vec<_> = (0..10)
            .map(|i| call(i, if i < 8 { 200 } else { 8000 }, None))
            .collect();
        let m = measure(&calls, Metric::EndpointLatency, t(10)).unwrap();
        assert_eq!(m.value, 8000.0);
        assert_eq!(m.p50_latency, 200);
        let e = evaluate(
            &calls,
            &AlertLevels::default(),
            FlowStatus::Published,
            t(10),
        );
        let a = &e.alerts[0];
        assert_eq!(
            (a.measure.metric, a.threshold),
            (Metric::EndpointLatency, 7000)
        );
        let v = alert_value("1", a);
        assert_eq!(v["p90_latency"], 8000);
        assert_eq!(v["p50_latency"], 200);
        assert_eq!(v["requests_count"], 10);
        assert_eq!(target_status(&e.levels), FlowStatus::Blocked);
    }

    #[test]
    fn availability_counts_unanswered_calls_over_ten_minutes() {
        let mut calls: Vec<_> = (0..8).map(ok).collect();
        calls.push(call(8, 10_000, Some(ErrorType::Timeout)));
        calls.push(call(9, 0, Some(ErrorType::NoHttpResponse)));
        let e = evaluate(
            &calls,
            &AlertLevels::default(),
            FlowStatus::Published,
            t(10),
        );
        let a = e
            .alerts
            .iter()
            .find(|a| a.measure.metric == Metric::EndpointAvailability)
            .unwrap();
        assert!(a.activated);
        assert_eq!(a.threshold, 90);
        assert_eq!(a.measure.value, 80.0);
        assert_eq!(alert_value("1", a)["availability"], 80.0);
        // Eleven minutes later the window holds only what came after.
        let later: Vec<_> = calls
            .iter()
            .copied()
            .chain((0..5).map(|i| ok(700 + i)))
            .collect();
        let e2 = evaluate(&later, &e.levels, FlowStatus::Throttled, t(705));
        let a2 = e2
            .alerts
            .iter()
            .find(|a| a.measure.metric == Metric::EndpointAvailability)
            .unwrap();
        assert!(!a2.activated);
        assert_eq!(a2.threshold, 90);
    }

    #[test]
    fn client_errors_count_apart_from_the_endpoint_s() {
        let mut calls: Vec<_> = (0..9).map(ok).collect();
        calls.push(call(9, 0, Some(ErrorType::PublicKeyMissing)));
        let e = evaluate(
            &calls,
            &AlertLevels::default(),
            FlowStatus::Published,
            t(10),
        );
        assert_eq!(e.alerts.len(), 1);
        assert_eq!(e.alerts[0].measure.metric, Metric::ClientErrorRate);
        assert_eq!(e.alerts[0].threshold, 10);
        let v = alert_value("1", &e.alerts[0]);
        assert_eq!(v["event"], "CLIENT_ERROR_RATE");
        assert_eq!(v["errors"][0]["error_type"], "PUBLIC_KEY_MISSING");
    }

    #[test]
    fn levels_and_error_types_round_trip() {
        let mut l = AlertLevels::default();
        l.set(Metric::EndpointLatency, Some(5000));
        let s = serde_json::to_string(&l).unwrap();
        assert_eq!(s, r#"{"ENDPOINT_LATENCY":5000}"#);
        assert_eq!(serde_json::from_str::<AlertLevels>(&s).unwrap(), l);
        for t in [ErrorType::Timeout, ErrorType::InvalidScreenTransition] {
            assert_eq!(ErrorType::parse(t.as_str()), Some(t));
        }
        assert_eq!(percentile(&mut [], 90), 0);
        assert_eq!(percentile(&mut [5, 1, 3], 50), 3);
    }
}
