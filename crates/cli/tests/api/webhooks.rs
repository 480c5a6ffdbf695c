//! Webhooks over real HTTP: a real receiver (an axum server in the test) verified like Meta,
//! signed ASCII-escaped payloads, per-message order, retries of a failing receiver, the
//! delivery log, replay and bad input.

use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::{Value, json};
use wagate_core::webhook::ascii;

use crate::helpers::{TestApp, assert_manage_error, eventually, spawn_apps};
use crate::receiver::{Post, Receiver, SECRET, TOKEN, events};

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
        // (The attempt is recorded just after the receiver answers: once drain returns,
        // every POST started has been recorded.)
        let id = sub["id"].as_str().unwrap();
        app.app.drain().await.unwrap();
        let rows = deliveries(&app, &sub, "").await;
        let log = json!(rows);
        assert_eq!(rows.len(), 4, "{log}");
        assert!(rows.iter().all(|d| d["status"] == "delivered"
            && d["attempts"] == 1
            && d["last_status_code"] == 200
            && d["body_excerpt"].is_null()));
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
            ("format", json!("XML")),
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

/// `n` users each write once; returns nothing (the events are what matters).
async fn users_write(app: &TestApp, prefix: &str, n: usize) {
    for i in 0..n {
        app.inject(
            json!({"from": format!("{prefix}{i:03}"), "type": "text", "text": {"body": "hi"}}),
        )
        .await;
    }
}

async fn deliveries(app: &TestApp, sub: &Value, query: &str) -> Vec<Value> {
    let id = sub["id"].as_str().unwrap();
    let log: Value = app
        .get(&format!(
            "/api/v1/webhooks/{id}/deliveries?limit=100&{query}"
        ))
        .await
        .json()
        .await
        .unwrap();
    log["data"].as_array().unwrap().clone()
}

/// The `wagate_webhook_queue_depth` gauge of one subscription, as `/metrics` shows it.
async fn queue_depth(app: &TestApp, sub: &Value) -> Option<f64> {
    let text = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let needle = format!(
        "wagate_webhook_queue_depth{{subscription=\"{}\"}} ",
        sub["id"].as_str().unwrap()
    );
    text.lines()
        .find_map(|l| l.strip_prefix(&needle))
        .map(|v| v.parse().unwrap())
}

#[tokio::test]
async fn a_receiver_down_for_a_while_gets_everything_after() {
    for app in spawn_apps().await {
        let mut one = Receiver::start().await;
        let mut batched = Receiver::start().await;
        let single = subscribe(&app, &one).await;
        let res = app
            .post_json(
                "/api/v1/webhooks",
                &json!({"url": batched.url, "secret": SECRET, "verify_token": TOKEN, "batch_size": 5}),
            )
            .await;
        assert_eq!(res.status(), 201);
        let batch_sub: Value = res.json().await.unwrap();
        one.stop().await;
        batched.stop().await;

        let n = 12;
        users_write(&app, "1555000300", n).await;
        // Nobody listens: every delivery is pending with the connection error, and the
        // queue depth shows them. Once drain returns, each subscription's due deliveries
        // have been tried (and their attempts recorded).
        app.app.drain().await.unwrap();
        for sub in [&single, &batch_sub] {
            let tried = deliveries(&app, sub, "status=pending").await;
            assert_eq!(tried.len(), n, "{}", app.backend);
            let failed = tried
                .iter()
                .find(|d| d["attempts"].as_u64() >= Some(1))
                .unwrap();
            assert!(failed["last_status_code"].is_null(), "{failed}");
            assert!(
                failed["last_error"].as_str().unwrap().contains("connect"),
                "{failed}"
            );
            assert!(failed["next_attempt_at"].is_string(), "{failed}");
            assert_eq!(queue_depth(&app, sub).await, Some(n as f64));
        }

        one.restart().await;
        batched.restart().await;
        let posts = one.wait_events(n).await;
        let got = events(&posts);
        let unique: std::collections::HashSet<_> = got.iter().collect();
        assert_eq!(unique.len(), n, "{}: every event", app.backend);
        assert_eq!(posts.len(), n, "one event per POST by default");

        // The batched subscription gets the same events in fewer POSTs of at most 5.
        let posts = batched.wait_events(n).await;
        assert_eq!(events(&posts).len(), n, "nothing twice");
        for p in &posts {
            let changes = p.body["entry"][0]["changes"].as_array().unwrap();
            assert!((1..=5).contains(&changes.len()));
            assert_eq!(changes.len(), p.event_ids.split(',').count());
            assert_eq!(
                p.signature,
                ascii::signature(SECRET.as_bytes(), &p.raw),
                "a batch is signed as sent"
            );
        }
        assert!(posts.len() < n, "{} POSTs for {n} events", posts.len());
        // The last attempts are recorded once drain returns; the gauge is read at scrape.
        app.app.drain().await.unwrap();
        for sub in [&single, &batch_sub] {
            assert_eq!(queue_depth(&app, sub).await, Some(0.0), "the queue emptied");
        }
        app.stop().await;
    }
}

#[tokio::test]
async fn a_slow_receiver_does_not_hold_back_a_fast_one() {
    for app in crate::helpers::spawn_apps_with(|c| c.webhooks.concurrency = 4).await {
        app.configure_sandbox(json!({})).await;
        let slow = Receiver::start().await;
        let fast = Receiver::start().await;
        slow.inbox.delay_ms.store(1500, Ordering::SeqCst);
        let slow_sub = subscribe(&app, &slow).await;
        subscribe(&app, &fast).await;

        let n = 10;
        users_write(&app, "1555000400", n).await;
        let wamid = app
            .send(json!({"to": "1555000400000", "type": "text", "text": {"body": "hello"}}))
            .await;
        // The fast receiver has all the inbound messages and the three statuses while the
        // slow one has at most its concurrency (4) in hand; sending was not held back either.
        fast.wait(n + 3).await;
        assert!(slow.posts().len() <= 4, "{}", slow.posts().len());
        assert_eq!(app.message(&wamid).await["status"], "read");
        let in_flight = deliveries(&app, &slow_sub, "status=pending").await;
        assert!(in_flight.len() >= n + 3 - 4, "{}", in_flight.len());
        // In time the slow one gets everything too.
        slow.wait(n + 3).await;
        app.stop().await;
    }
}

#[tokio::test]
async fn dead_letters_after_the_horizon_and_replays_bring_them_back() {
    let apps = crate::helpers::spawn_apps_with(|c| c.webhooks.retry_horizon_secs = 1).await;
    for app in apps {
        let receiver = Receiver::start().await;
        let sub = subscribe(&app, &receiver).await;
        let id = sub["id"].as_str().unwrap().to_owned();
        receiver.inbox.failing.store(true, Ordering::SeqCst);
        let n = 3;
        users_write(&app, "1555000500", n).await;
        // A poll, not a drain: the horizon is judged on the real clock when an attempt
        // ends, so a second must really pass while the server's loop keeps retrying.
        let dead = eventually(
            "every delivery dead after the horizon",
            Duration::from_secs(6),
            || async {
                let dead = deliveries(&app, &sub, "status=dead").await;
                if dead.len() == n {
                    Ok(dead)
                } else {
                    Err(json!(dead))
                }
            },
        )
        .await;
        assert_eq!(dead.len(), n, "{}: dead after the horizon", app.backend);
        // While the receiver fails, it is probed one POST at a time, so some deliveries may
        // reach the horizon after a single attempt; the first one was retried.
        assert!(
            dead.iter().any(|d| d["attempts"].as_u64().unwrap() >= 2),
            "retried first: {dead:?}"
        );
        for d in &dead {
            assert_eq!(d["last_status_code"], 500);
            assert_eq!(d["last_error"], "HTTP 500");
            assert_eq!(
                d["body_excerpt"],
                crate::receiver::REFUSAL,
                "what it answered"
            );
            assert!(d["next_attempt_at"].is_null(), "{d}");
        }
        let refused = receiver.inbox.refused.load(Ordering::SeqCst);
        // Everything due is done, and nothing more came.
        app.app.drain().await.unwrap();
        assert_eq!(
            receiver.inbox.refused.load(Ordering::SeqCst),
            refused,
            "dead letters are not tried again"
        );

        // The receiver is fixed; every dead letter is replayed.
        receiver.inbox.failing.store(false, Ordering::SeqCst);
        let res = app
            .post_json(&format!("/api/v1/webhooks/{id}/replay"), &json!({}))
            .await;
        assert_eq!(res.status(), 200);
        let replayed: Value = res.json().await.unwrap();
        assert_eq!(replayed["replayed"], n);
        let posts = receiver.wait(n).await;
        let ids: std::collections::HashSet<_> =
            dead.iter().map(|d| d["event_id"].clone()).collect();
        let got: std::collections::HashSet<_> =
            events(&posts).into_iter().map(Value::from).collect();
        assert_eq!(got, ids, "the dead letters, once each");
        // Recorded just after the receiver answered: once drain returns, they are.
        app.app.drain().await.unwrap();
        assert_eq!(deliveries(&app, &sub, "status=delivered").await.len(), n);
        assert!(deliveries(&app, &sub, "status=dead").await.is_empty());

        // Nothing dead is left: a second replay queues nothing.
        let again: Value = app
            .post_json(&format!("/api/v1/webhooks/{id}/replay"), &json!({}))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(again["replayed"], 0);
        // A time range replays delivered events too.
        let range: Value = app
            .post_json(
                &format!("/api/v1/webhooks/{id}/replay"),
                &json!({"only": "all", "since": "2000-01-01T00:00:00Z", "until": "2100-01-01T00:00:00Z"}),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(range["replayed"], n);
        receiver.wait(2 * n).await;
        app.stop().await;
    }
}

#[tokio::test]
async fn changing_the_url_verifies_the_new_receiver_first() {
    for app in spawn_apps().await {
        let receiver = Receiver::start().await;
        let sub = subscribe(&app, &receiver).await;
        let id = sub["id"].as_str().unwrap();
        let mut gone = Receiver::start().await;
        gone.stop().await;
        let res = app
            .patch_json(&format!("/api/v1/webhooks/{id}"), &json!({"url": gone.url}))
            .await;
        assert_manage_error(res, 422, "webhook_verification_failed").await;
        let res = app
            .patch_json(
                &format!("/api/v1/webhooks/{id}"),
                &json!({"verify_token": "not-what-it-expects"}),
            )
            .await;
        assert_manage_error(res, 422, "webhook_verification_failed").await;
        let now: Value = app
            .get(&format!("/api/v1/webhooks/{id}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(now["url"], receiver.url.as_str(), "unchanged");

        let other = Receiver::start().await;
        let res = app
            .patch_json(
                &format!("/api/v1/webhooks/{id}"),
                &json!({"url": other.url, "fields": ["messages"], "enabled": true}),
            )
            .await;
        assert_eq!(res.status(), 200);
        let updated: Value = res.json().await.unwrap();
        assert_eq!(updated["url"], other.url.as_str());
        assert_eq!(updated["fields"], json!(["messages"]));
        users_write(&app, "1555000600", 1).await;
        other.wait(1).await;
        assert!(receiver.posts().is_empty(), "the old URL gets nothing");

        // Disabled: events are not queued for it.
        let res = app
            .patch_json(
                &format!("/api/v1/webhooks/{id}"),
                &json!({"enabled": false}),
            )
            .await;
        assert_eq!(res.status(), 200);
        users_write(&app, "1555000601", 1).await;
        app.app.drain().await.unwrap();
        assert_eq!(other.posts().len(), 1);
        app.stop().await;
    }
}

/// A dialect's callback shape: a renderer registered under its own format name.
struct Summary;

impl wagate_app::webhooks::render::Renderer for Summary {
    fn render(
        &self,
        channel: &wagate_core::webhook::ChannelRef,
        events: &[wagate_core::webhook::WebhookEvent],
    ) -> Vec<u8> {
        serde_json::to_vec(&json!({
            "phone_number_id": channel.phone_number_id.as_str(),
            "events": events.len(),
        }))
        .unwrap()
    }
}

#[tokio::test]
async fn a_registered_payload_format_is_delivered_in_its_own_shape() {
    for app in spawn_apps().await {
        app.configure_sandbox(json!({})).await;
        let receiver = Receiver::start().await;
        let body = |format: &str| json!({"url": receiver.url, "secret": SECRET, "verify_token": TOKEN, "format": format});

        // Unknown and malformed names are refused, naming what is registered; nothing stored.
        let res = app.post_json("/api/v1/webhooks", &body("summary")).await;
        let err = assert_manage_error(res, 404, "payload_format_not_found").await;
        assert!(
            err["error"]["message"]
                .as_str()
                .unwrap()
                .contains("`cloud`"),
            "{err}"
        );
        let res = app.post_json("/api/v1/webhooks", &body("Not A Name")).await;
        assert_manage_error(res, 400, "invalid_request").await;
        let list: Value = app.get("/api/v1/webhooks").await.json().await.unwrap();
        assert_eq!(list["data"], json!([]));

        app.app.register_payload_format(
            wagate_core::webhook::PayloadFormat::parse("summary").unwrap(),
            std::sync::Arc::new(Summary),
        );
        let res = app.post_json("/api/v1/webhooks", &body("summary")).await;
        assert_eq!(res.status(), 201, "{}", app.backend);
        let sub: Value = res.json().await.unwrap();
        assert_eq!(sub["format"], "summary");

        app.inject(json!({"from": "15550001111", "type": "text", "text": {"body": "hi"}}))
            .await;
        let posts = receiver.wait(1).await;
        assert_eq!(
            posts[0].body,
            json!({"phone_number_id": app.phone_number_id, "events": 1}),
            "{}",
            app.backend
        );
        assert_eq!(
            posts[0].signature,
            ascii::signature(SECRET.as_bytes(), &posts[0].raw),
            "a dialect's payload is signed like Meta's"
        );

        // Switched back to Meta's envelope by PATCH; an unknown format is refused there too.
        let path = format!("/api/v1/webhooks/{}", sub["id"].as_str().unwrap());
        let res = app.patch_json(&path, &json!({"format": "nope"})).await;
        assert_manage_error(res, 404, "payload_format_not_found").await;
        let res = app.patch_json(&path, &json!({"format": "cloud"})).await;
        assert_eq!(res.status(), 200);
        app.inject(json!({"from": "15550001111", "type": "text", "text": {"body": "again"}}))
            .await;
        let posts = receiver.wait(2).await;
        assert_eq!(posts[1].body["object"], "whatsapp_business_account");
    }
}
