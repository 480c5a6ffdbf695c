//! A real webhook receiver for tests: an axum server that answers Meta's verification GET
//! and records every POST it acknowledges. It can refuse the first N POSTs, refuse all of
//! them for a while, answer slowly, or be stopped and started again on the same port.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::helpers::eventually;

pub const SECRET: &str = "receiver-app-secret";
pub const TOKEN: &str = "my-verify-token";

/// One POST the receiver acknowledged.
#[derive(Debug, Clone)]
pub struct Post {
    pub raw: Vec<u8>,
    /// The body as JSON (`Null` for a `multipart/form-data` one: see [`Post::form`]).
    pub body: Value,
    pub content_type: String,
    pub signature: String,
    /// `X-Wagate-Event-Id`: the ids of the events in the body, comma-separated.
    pub event_ids: String,
}

#[derive(Default)]
pub struct Inbox {
    pub posts: Mutex<Vec<Post>>,
    /// POSTs to refuse with 500 before acknowledging any.
    pub fail_first: AtomicUsize,
    /// Refuse every POST with 500 while set.
    pub failing: AtomicBool,
    /// Milliseconds to wait before answering a POST.
    pub delay_ms: AtomicU64,
    pub refused: AtomicUsize,
    /// POSTs to hold for `hang_ms` (past wagate's timeout) before answering any promptly.
    pub hang_first: AtomicUsize,
    pub hang_ms: AtomicU64,
    /// Refuse with 500 every POST whose body contains this (one event type, say).
    pub refuse_containing: Mutex<Option<String>>,
}

pub struct Receiver {
    pub url: String,
    pub addr: SocketAddr,
    pub inbox: Arc<Inbox>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Receiver {
    pub async fn start() -> Receiver {
        Self::serve(
            TcpListener::bind("127.0.0.1:0").await.unwrap(),
            Arc::default(),
        )
    }

    fn serve(listener: TcpListener, inbox: Arc<Inbox>) -> Receiver {
        let app = Router::new()
            .route("/hook", get(challenge).post(notify))
            .with_state(inbox.clone());
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
        Receiver {
            url: format!("http://{addr}/hook"),
            addr,
            inbox,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Stops listening (connections are refused) and waits until it has.
    pub async fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap();
        }
    }

    /// Listens again on the same address, keeping what was received.
    pub async fn restart(&mut self) {
        self.stop().await;
        let listener = TcpListener::bind(self.addr).await.unwrap();
        let inbox = self.inbox.clone();
        *self = Self::serve(listener, inbox);
    }

    pub fn posts(&self) -> Vec<Post> {
        self.inbox.posts.lock().unwrap().clone()
    }

    /// Waits until `n` POSTs were acknowledged (20 s at most). The POSTs arrive on the
    /// receiver's own task, which no drain of a server covers (and the sender may be another
    /// process).
    pub async fn wait(&self, n: usize) -> Vec<Post> {
        let what = format!("{n} POSTs at the receiver");
        eventually(&what, Duration::from_secs(20), || async {
            let posts = self.posts();
            if posts.len() >= n {
                Ok(posts)
            } else {
                Err(format!("{} POSTs", posts.len()))
            }
        })
        .await
    }

    /// Waits until the acknowledged POSTs carried `n` events in all (20 s at most).
    pub async fn wait_events(&self, n: usize) -> Vec<Post> {
        let what = format!("{n} events at the receiver");
        eventually(&what, Duration::from_secs(20), || async {
            let posts = self.posts();
            let got = events(&posts).len();
            if got >= n {
                Ok(posts)
            } else {
                Err(format!("{got} events"))
            }
        })
        .await
    }
}

/// The event ids of `posts`, in the order they arrived.
pub fn events(posts: &[Post]) -> Vec<String> {
    posts
        .iter()
        .flat_map(|p| p.event_ids.split(',').map(str::to_owned))
        .collect()
}

async fn challenge(Query(q): Query<HashMap<String, String>>) -> (StatusCode, String) {
    if q.get("hub.mode").map(String::as_str) == Some("subscribe")
        && q.get("hub.verify_token").map(String::as_str) == Some(TOKEN)
    {
        (
            StatusCode::OK,
            q.get("hub.challenge").cloned().unwrap_or_default(),
        )
    } else {
        (StatusCode::FORBIDDEN, "bad verify token".to_owned())
    }
}

/// What a refusing receiver answers.
pub const REFUSAL: &str = "down for maintenance";

async fn notify(
    State(inbox): State<Arc<Inbox>>,
    headers: HeaderMap,
    raw: Bytes,
) -> (StatusCode, &'static str) {
    let delay = inbox.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let hang = inbox
        .hang_first
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    if hang {
        tokio::time::sleep(Duration::from_millis(inbox.hang_ms.load(Ordering::SeqCst))).await;
        inbox.refused.fetch_add(1, Ordering::SeqCst);
        return (StatusCode::SERVICE_UNAVAILABLE, REFUSAL);
    }
    let refuse = inbox.refuse_containing.lock().unwrap().clone();
    if let Some(needle) = refuse
        && String::from_utf8_lossy(&raw).contains(&needle)
    {
        inbox.refused.fetch_add(1, Ordering::SeqCst);
        return (StatusCode::INTERNAL_SERVER_ERROR, REFUSAL);
    }
    let left = inbox.fail_first.load(Ordering::SeqCst);
    if left > 0 || inbox.failing.load(Ordering::SeqCst) {
        inbox
            .fail_first
            .store(left.saturating_sub(1), Ordering::SeqCst);
        inbox.refused.fetch_add(1, Ordering::SeqCst);
        return (StatusCode::INTERNAL_SERVER_ERROR, REFUSAL);
    }
    let header = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let content_type = header("content-type");
    let body = if content_type.starts_with("multipart/form-data") {
        Value::Null
    } else {
        serde_json::from_slice(&raw).expect("the body is JSON")
    };
    inbox.posts.lock().unwrap().push(Post {
        raw: raw.to_vec(),
        body,
        content_type,
        signature: header("x-hub-signature-256"),
        event_ids: header("x-wagate-event-id"),
    });
    (StatusCode::OK, "")
}

/// One part of a `multipart/form-data` POST.
#[derive(Debug, Clone)]
pub struct FormPart {
    pub name: String,
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

impl Post {
    /// The parts of a `multipart/form-data` body, parsed as a server would (axum's parser).
    pub async fn form(&self) -> Vec<FormPart> {
        use axum::extract::FromRequest;
        let request = axum::http::Request::builder()
            .method("POST")
            .header("content-type", &self.content_type)
            .body(axum::body::Body::from(self.raw.clone()))
            .unwrap();
        let mut form = axum::extract::Multipart::from_request(request, &())
            .await
            .expect("a multipart/form-data body");
        let mut parts = Vec::new();
        while let Some(field) = form.next_field().await.expect("a well-formed part") {
            parts.push(FormPart {
                name: field.name().unwrap_or_default().to_owned(),
                file_name: field.file_name().map(str::to_owned),
                content_type: field.content_type().map(str::to_owned),
                bytes: field.bytes().await.expect("the part's bytes").to_vec(),
            });
        }
        parts
    }
}
