//! The fault suite's webhook receiver: answers the verification GET, and for each POST
//! records every event (`X-Wagate-Event-Id`) and status it carries, while playing a fault
//! the scenario sets: refusing (503), hanging its next POSTs past wagate's timeout, or
//! answering slowly.
//!
//! What it keeps is what the report needs: how often each event arrived and whether an
//! earlier arrival was refused (a retry) or acknowledged (a duplicate), each message's
//! statuses in the order they were acknowledged, when each message's final status came,
//! and when acknowledged POSTs arrived.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use serde_json::Value;
use tokio::net::TcpListener;

use crate::bench::VERIFY_TOKEN;

/// The faults the receiver plays, switched by the scenario while it runs.
#[derive(Default)]
pub struct Faults {
    /// Answer every POST 503.
    pub refuse: AtomicBool,
    /// POSTs still to hang (each for `hang_ms`, past wagate's timeout).
    pub hang_next: AtomicU64,
    pub hang_ms: AtomicU64,
    /// Milliseconds every POST takes to answer.
    pub delay_ms: AtomicU64,
}

#[derive(Default)]
struct Event {
    arrivals: u32,
    /// An earlier arrival was refused or hung: a later one is a retry.
    failed_before: bool,
    /// An earlier arrival was acknowledged: a later one is a duplicate.
    acked_before: bool,
}

#[derive(Default)]
pub struct Record {
    events: HashMap<String, Event>,
    /// Per message: the highest status rank acknowledged so far.
    rank: HashMap<String, u8>,
    /// Messages whose statuses arrived out of order.
    pub out_of_order: u64,
    /// Per message: when its final (`read`) status was acknowledged, from `started`.
    pub finals: HashMap<String, Duration>,
    /// Arrivals of an event whose previous arrival was acknowledged.
    pub duplicates: u64,
    /// Arrivals of an event whose previous arrival failed.
    pub retries: u64,
    /// When each acknowledged POST arrived, from `started`, in order.
    pub acked_posts: Vec<Duration>,
    /// When each hung POST arrived.
    pub hung_posts: Vec<Duration>,
    /// Statuses acknowledged.
    pub statuses: u64,
}

pub struct Receiver {
    pub url: String,
    pub faults: Arc<Faults>,
    pub record: Arc<Mutex<Record>>,
}

#[derive(Clone)]
struct Shared {
    faults: Arc<Faults>,
    record: Arc<Mutex<Record>>,
    started: Instant,
}

/// The order wagate promises per message.
fn rank(status: &str) -> u8 {
    match status {
        "sent" => 1,
        "delivered" => 2,
        "read" => 3,
        _ => 4,
    }
}

impl Receiver {
    pub async fn start(started: Instant) -> anyhow::Result<Self> {
        let faults = Arc::new(Faults::default());
        let record = Arc::new(Mutex::new(Record::default()));
        let app = Router::new()
            .route("/hook", get(challenge).post(notify))
            .with_state(Shared {
                faults: faults.clone(),
                record: record.clone(),
                started,
            });
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/hook", listener.local_addr()?);
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(Self {
            url,
            faults,
            record,
        })
    }

    pub fn lock(&self) -> std::sync::MutexGuard<'_, Record> {
        self.record.lock().expect("receiver record")
    }
}

async fn challenge(Query(q): Query<HashMap<String, String>>) -> (StatusCode, String) {
    match (q.get("hub.verify_token"), q.get("hub.challenge")) {
        (Some(t), Some(c)) if t == VERIFY_TOKEN => (StatusCode::OK, c.clone()),
        _ => (StatusCode::FORBIDDEN, String::new()),
    }
}

/// `(message id, status)` of every status in a payload, in order.
fn statuses(body: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in body["entry"].as_array().into_iter().flatten() {
        for change in entry["changes"].as_array().into_iter().flatten() {
            for s in change["value"]["statuses"].as_array().into_iter().flatten() {
                if let (Some(id), Some(st)) = (s["id"].as_str(), s["status"].as_str()) {
                    out.push((id.to_owned(), st.to_owned()));
                }
            }
        }
    }
    out
}

async fn notify(
    State(s): State<Shared>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> StatusCode {
    let at = s.started.elapsed();
    let ids: Vec<String> = headers
        .get("x-wagate-event-id")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(',').map(|id| id.trim().to_owned()).collect())
        .unwrap_or_default();
    let hang = s
        .faults
        .hang_next
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    let refuse = s.faults.refuse.load(Ordering::SeqCst);
    let failing = hang || refuse;
    {
        let mut r = s.record.lock().expect("receiver record");
        // Whether this POST brings an event not acknowledged before (duplicates of
        // acknowledged events do not count towards order).
        let mut fresh = ids.is_empty();
        for id in &ids {
            let (failed_before, acked_before) = {
                let e = r.events.entry(id.clone()).or_default();
                e.arrivals += 1;
                let was = (e.failed_before, e.acked_before);
                if failing {
                    e.failed_before = true;
                } else {
                    e.acked_before = true;
                }
                if e.arrivals == 1 { (false, false) } else { was }
            };
            fresh |= !acked_before;
            if acked_before {
                r.duplicates += 1;
            } else if failed_before {
                r.retries += 1;
            }
        }
        if hang {
            r.hung_posts.push(at);
        }
        if !failing {
            r.acked_posts.push(at);
            let parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            for (id, status) in statuses(&parsed) {
                r.statuses += 1;
                let k = rank(&status);
                let was = r.rank.get(&id).copied().unwrap_or(0);
                if k < was && fresh {
                    r.out_of_order += 1;
                }
                if k > was {
                    r.rank.insert(id.clone(), k);
                }
                if status == "read" || status == "failed" {
                    r.finals.entry(id).or_insert(at);
                }
            }
        }
    }
    if hang {
        let ms = s.faults.hang_ms.load(Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(ms)).await;
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    if refuse {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    let delay = s.faults.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    StatusCode::OK
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn post(r: &Receiver, event: &str, wamid: &str, status: &str) -> u16 {
        wagate_app::install_tls();
        let body = serde_json::json!({"entry": [{"changes": [{"value": {"statuses": [
            {"id": wamid, "status": status}]}}]}]});
        reqwest::Client::new()
            .post(&r.url)
            .header("x-wagate-event-id", event)
            .json(&body)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    #[tokio::test]
    async fn retries_duplicates_order_and_finals_are_told_apart() {
        let r = Receiver::start(Instant::now()).await.unwrap();
        r.faults.refuse.store(true, Ordering::SeqCst);
        assert_eq!(post(&r, "e1", "m1", "sent").await, 503);
        r.faults.refuse.store(false, Ordering::SeqCst);
        // A retry after a refusal, then a duplicate of an acknowledged event.
        assert_eq!(post(&r, "e1", "m1", "sent").await, 200);
        assert_eq!(post(&r, "e1", "m1", "sent").await, 200);
        assert_eq!(post(&r, "e2", "m1", "read").await, 200);
        // m2: `delivered` after `read` is out of order; a duplicate `sent` of m1 is not.
        assert_eq!(post(&r, "e3", "m2", "read").await, 200);
        assert_eq!(post(&r, "e4", "m2", "delivered").await, 200);
        assert_eq!(post(&r, "e1", "m1", "sent").await, 200);
        // A hung POST counts as a failure: its next arrival is a retry.
        r.faults.hang_ms.store(1, Ordering::SeqCst);
        r.faults.hang_next.store(1, Ordering::SeqCst);
        assert_eq!(post(&r, "e5", "m3", "sent").await, 503);
        assert_eq!(post(&r, "e5", "m3", "sent").await, 200);
        let rec = r.lock();
        assert_eq!((rec.retries, rec.duplicates, rec.out_of_order), (2, 2, 1));
        assert!(rec.finals.contains_key("m1") && rec.finals.contains_key("m2"));
        assert!(!rec.finals.contains_key("m3"));
        assert_eq!(rec.hung_posts.len(), 1);
        assert_eq!(rec.acked_posts.len(), 7);
    }
}
