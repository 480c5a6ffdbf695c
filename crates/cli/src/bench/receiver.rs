//! A local webhook receiver for the bench: answers the verification GET, acknowledges
//! every POST at once and counts the events it carried (`X-Wagate-Event-Id`).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use tokio::net::TcpListener;

pub const VERIFY_TOKEN: &str = "bench-verify-token";

#[derive(Default)]
pub struct Counts {
    pub posts: AtomicU64,
    pub events: AtomicU64,
    /// Microseconds from `started` to the last POST.
    pub last_us: AtomicU64,
}

pub struct Receiver {
    pub url: String,
    pub counts: Arc<Counts>,
}

#[derive(Clone)]
struct Shared {
    counts: Arc<Counts>,
    started: Instant,
}

impl Receiver {
    /// Listens on a free loopback port; `started` is the origin of `last_us`.
    pub async fn start(started: Instant) -> anyhow::Result<Receiver> {
        let counts = Arc::new(Counts::default());
        let app = Router::new()
            .route("/hook", get(challenge).post(notify))
            .with_state(Shared {
                counts: counts.clone(),
                started,
            });
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/hook", listener.local_addr()?);
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(Receiver { url, counts })
    }

    pub fn events(&self) -> u64 {
        self.counts.events.load(Ordering::Relaxed)
    }
}

async fn challenge(Query(q): Query<HashMap<String, String>>) -> (StatusCode, String) {
    match (q.get("hub.verify_token"), q.get("hub.challenge")) {
        (Some(t), Some(c)) if t == VERIFY_TOKEN => (StatusCode::OK, c.clone()),
        _ => (StatusCode::FORBIDDEN, String::new()),
    }
}

async fn notify(State(s): State<Shared>, headers: HeaderMap, _body: Bytes) -> StatusCode {
    let events = headers
        .get("x-wagate-event-id")
        .and_then(|v| v.to_str().ok())
        .map_or(0, |ids| ids.split(',').count() as u64);
    s.counts.posts.fetch_add(1, Ordering::Relaxed);
    s.counts.events.fetch_add(events, Ordering::Relaxed);
    s.counts
        .last_us
        .fetch_max(s.started.elapsed().as_micros() as u64, Ordering::Relaxed);
    StatusCode::OK
}
