//! Webhooks over real HTTP: a real receiver (an axum server in the test) verified like Meta,
//! signed ASCII-escaped payloads, per-message order, retries of a failing receiver, the
//! delivery log, replay and bad input.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use wagate_core::webhook::ascii;

use crate::helpers::{TestApp, assert_manage_error, spawn_apps};

const SECRET: &str = "receiver-app-secret";
const TOKEN: &str = "my-verify-token";

/// One POST the receiver acknowledged.
#[derive(Debug, Clone)]
struct Post {
    raw: Vec<u8>,
    body: Value,
    signature: String,
    event_ids: String,
}

#[derive(Default)]
struct Inbox {
    posts: Mutex<Vec<Post>>,
    /// POSTs to refuse with 500 before acknowledging any.
    fail_first: AtomicUsize,
    refused: AtomicUsize,
}

struct Receiver {
    url: String,
    inbox: Arc<Inbox>,
}

impl Receiver {
    async fn start() -> Receiver {
        let inbox = Arc::new(Inbox::default());
        let app = Router::new()
            .route("/hook", get(challenge).post(notify))
            .with_state(inbox.clone());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { url, inbox }
    }

    fn posts(&self) -> Vec<Post> {
        self.inbox.posts.lock().unwrap().clone()
    }

    /// Waits until `n` POSTs were acknowledged.
    async fn wait(&self, n: usize) -> Vec<Post> {
        for _ in 0..500 {
            let posts = self.posts();
            if posts.len() >= n {
                return posts;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the receiver got {} of {n} POSTs", self.posts().len());
    }
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

async fn notify(State(inbox): State<Arc<Inbox>>, headers: HeaderMap, raw: Bytes) -> StatusCode {
    let left = inbox.fail_first.load(Ordering::SeqCst);
    if left > 0 {
        inbox.fail_first.store(left - 1, Ordering::SeqCst);
        inbox.refused.fetch_add(1, Ordering::SeqCst);
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    let header = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    inbox.posts.lock().unwrap().push(Post {
        raw: raw.to_vec(),
        body: serde_json::from_slice(&raw).expect("the body is JSON"),
        signature: header("x-hub-signature-256"),
        event_ids: header("x-wagate-event-id"),
    });
    StatusCode::OK
}

async fn subscribe(app: &TestApp, receiver: &Receiver) -> Value {
    let res = app
        .post_json(
            "/api/v1/webhooks",
            &json!({"url": receiver.url, "secret": SECRET, "verify_token": TOKEN}),
        )
        .await;
    assert_eq!(res.status(), 201, "{}", app.backend);
    res.json().await.unwrap()
}

/// What one POST reports: ("message", wamid, type) or ("status", wamid, status).
fn summary(p: &Post) -> (String, String, String) {
    let value = &p.body["entry"][0]["changes"][0]["value"];
    if let Some(m) = value["messages"].get(0) {
        return (
            "message".into(),
            m["id"].as_str().unwrap().into(),
            m["type"].as_str().unwrap().into(),
        );
    }
    let s = &value["statuses"][0];
    (
        "status".into(),
        s["id"].as_str().unwrap().into(),
        s["status"].as_str().unwrap().into(),
    )
}

#[tokio::test]
async fn events_reach_a_verified_subscriber_signed_and_in_order() {
    for app in spawn_apps().await {
        app.configure_sandbox(json!({})).await;
        let receiver = Receiver::start().await;

        // A wrong verify token: the receiver answers 403, nothing is stored.
        let res = app
            .post_json(
                "/api/v1/webhooks",
                &json!({"url": receiver.url, "secret": SECRET, "verify_token": "wrong-token"}),
            )
            .await;
        let err = assert_manage_error(res, 422, "webhook_verification_failed").await;
        assert!(
            err["error"]["message"].as_str().unwrap().contains("403"),
            "{err}"
        );
        let list: Value = app.get("/api/v1/webhooks").await.json().await.unwrap();
        assert_eq!(list["data"], json!([]));

        let sub = subscribe(&app, &receiver).await;
        assert_eq!(sub["fields"], json!(["messages", "statuses"]));
        assert!(
            sub.get("secret").is_none() && sub.get("verify_token").is_none(),
            "{sub}"
        );

        // A user writes (with characters outside ASCII), the business answers.
        app.inject(json!({"from": "15550001111", "type": "text", "text": {"body": "olá 😀"}}))
            .await;
        let inbound = receiver.wait(1).await;
        let first = &inbound[0];
        assert!(first.raw.is_ascii(), "bodies are ASCII-escaped");
        assert_eq!(
            first.signature,
            ascii::signature(SECRET.as_bytes(), &first.raw),
            "signed over the exact bytes sent"
        );
        assert!(!first.event_ids.is_empty());
        let value = &first.body["entry"][0]["changes"][0]["value"];
        assert_eq!(first.body["object"], "whatsapp_business_account");
        assert_eq!(
            value["metadata"]["phone_number_id"],
            app.phone_number_id.as_str()
        );
        assert_eq!(value["messages"][0]["text"]["body"], "olá 😀");
        assert_eq!(value["contacts"][0]["wa_id"], "15550001111");
        assert!(value["contacts"][0]["user_id"].is_string(), "{value}");

        let wamid = app
            .send(json!({"to": "15550001111", "type": "text", "text": {"body": "hello"}}))
            .await;
        let posts = receiver.wait(4).await;
        let statuses: Vec<_> = posts[1..].iter().map(summary).collect();
        assert_eq!(
            statuses,
            ["sent", "delivered", "read"]
                .iter()
                .map(|s| ("status".to_owned(), wamid.clone(), (*s).to_owned()))
                .collect::<Vec<_>>(),
            "{}",
            app.backend
        );
        let sent = &posts[1].body["entry"][0]["changes"][0]["value"]["statuses"][0];
        assert_eq!(sent["recipient_id"], "15550001111");
        assert!(sent["pricing"]["category"].is_string(), "{sent}");

        // The log: four deliveries, delivered at the first attempt, newest first.
        let id = sub["id"].as_str().unwrap();
        let log: Value = app
            .get(&format!("/api/v1/webhooks/{id}/deliveries"))
            .await
            .json()
            .await
            .unwrap();
        let rows = log["data"].as_array().unwrap();
        assert_eq!(rows.len(), 4, "{log}");
        assert!(rows.iter().all(|d| d["status"] == "delivered"
            && d["attempts"] == 1
            && d["last_status_code"] == 200));
        assert_eq!(rows[3]["field"], "messages");
        let per_message: Value = app
            .get(&format!("/api/v1/messages/{wamid}/deliveries"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            per_message["deliveries"].as_array().unwrap().len(),
            3,
            "{per_message}"
        );

        // Replay one delivery: the receiver gets the same event again.
        let delivery = rows[0]["id"].as_str().unwrap();
        let res = app
            .post_json(
                &format!("/api/v1/webhooks/{id}/deliveries/{delivery}/replay"),
                &json!({}),
            )
            .await;
        assert_eq!(res.status(), 200);
        let again = receiver.wait(5).await;
        assert_eq!(
            again[4].event_ids, again[3].event_ids,
            "the same event, again"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn a_failing_receiver_gets_everything_in_order_once_it_recovers() {
    for app in spawn_apps().await {
        app.configure_sandbox(json!({})).await;
        let receiver = Receiver::start().await;
        subscribe(&app, &receiver).await;
        receiver.inbox.fail_first.store(6, Ordering::SeqCst);
        let users = ["15550002001", "15550002002", "15550002003"];
        for u in users {
            app.inject(json!({"from": u, "type": "text", "text": {"body": "hi"}}))
                .await;
        }
        let mut wamids = Vec::new();
        for u in users {
            wamids.push(
                app.send(json!({"to": u, "type": "text", "text": {"body": "hello"}}))
                    .await,
            );
        }
        let posts = receiver.wait(12).await;
        assert!(receiver.inbox.refused.load(Ordering::SeqCst) >= 6);
        let summaries: Vec<_> = posts.iter().map(summary).collect();
        for wamid in &wamids {
            let order: Vec<&str> = summaries
                .iter()
                .filter(|(_, id, _)| id == wamid)
                .map(|(_, _, s)| s.as_str())
                .collect();
            assert_eq!(
                order,
                ["sent", "delivered", "read"],
                "{}: {summaries:?}",
                app.backend
            );
        }
        let inbound = summaries.iter().filter(|(k, _, _)| k == "message").count();
        assert_eq!(inbound, 3, "each user's message once");
        assert_eq!(posts.len(), 12, "nothing delivered twice");
        app.stop().await;
    }
}

#[tokio::test]
async fn bad_subscriptions_are_refused_and_nothing_is_stored() {
    for app in spawn_apps().await {
        let receiver = Receiver::start().await;
        let base = json!({"url": receiver.url, "secret": SECRET, "verify_token": TOKEN});
        let cases = [
            ("url", json!("ftp://example.com/hook")),
            ("url", json!("https://")),
            (
                "url",
                json!(format!("https://example.com/{}", "a".repeat(2100))),
            ),
            ("secret", json!("short")),
            ("verify_token", json!("")),
            ("fields", json!(["messages", "nope"])),
            ("batch_size", json!(0)),
            ("batch_size", json!(101)),
            ("format", json!("xml")),
        ];
        for (field, value) in cases {
            let mut body = base.clone();
            body[field] = value.clone();
            let res = app.post_json("/api/v1/webhooks", &body).await;
            assert_eq!(res.status(), 400, "{field} = {value}");
            let err: Value = res.json().await.unwrap();
            assert_eq!(err["error"]["field"], field, "{err}");
        }
        let res = app
            .post_json("/api/v1/webhooks", &json!({"url": receiver.url}))
            .await;
        assert_eq!(res.status(), 400);
        let mut typed = base.clone();
        typed["batch_size"] = json!("ten");
        assert_eq!(
            app.post_json("/api/v1/webhooks", &typed).await.status(),
            400
        );
        let res = app
            .post_raw(
                "/api/v1/webhooks",
                "application/json",
                b"{not json".to_vec(),
            )
            .await;
        assert_eq!(res.status(), 400);
        let list: Value = app.get("/api/v1/webhooks").await.json().await.unwrap();
        assert_eq!(list["data"], json!([]), "nothing stored");

        // Unknown and other accounts' subscriptions are not found.
        let sub = subscribe(&app, &receiver).await;
        let id = sub["id"].as_str().unwrap();
        let unknown = "0190f4a0-0000-7000-8000-000000000000";
        assert_manage_error(
            app.get(&format!("/api/v1/webhooks/{unknown}")).await,
            404,
            "subscription_not_found",
        )
        .await;
        let (_, other_key) = app.other_account().await;
        let res = app
            .with_key(
                reqwest::Method::GET,
                &format!("/api/v1/webhooks/{id}"),
                &other_key,
            )
            .send()
            .await
            .unwrap();
        assert_manage_error(res, 404, "subscription_not_found").await;
        let res = app
            .with_key(
                reqwest::Method::POST,
                &format!("/api/v1/webhooks/{id}/replay"),
                &other_key,
            )
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_manage_error(res, 404, "subscription_not_found").await;
        let res = app
            .post_json(
                &format!("/api/v1/webhooks/{id}/replay"),
                &json!({"only": "all"}),
            )
            .await;
        assert_manage_error(res, 400, "invalid_request").await;
        app.stop().await;
    }
}
