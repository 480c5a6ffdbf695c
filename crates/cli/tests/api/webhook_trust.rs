//! Webhook delivery under the faults that cost users trust (issue 16): a burst of timeouts
//! must not stall a subscription, one event type a receiver refuses must not hold back the
//! others, and webhook URLs cannot reach private networks unless the operator allows it.

use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::{Value, json};
use wagate_app::webhooks::WebhookConfig;

use crate::helpers::{TestApp, eventually, spawn_apps_with};
use crate::receiver::{Receiver, SECRET, TOKEN, events};

async fn subscribe(app: &TestApp, receiver: &Receiver, extra: Value) -> Value {
    let mut body = json!({"url": receiver.url, "secret": SECRET, "verify_token": TOKEN});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let res = app.post_json("/api/v1/webhooks", &body).await;
    assert_eq!(res.status(), 201, "{}", app.backend);
    res.json().await.unwrap()
}

async fn users_write(app: &TestApp, prefix: &str, n: usize) {
    for i in 0..n {
        app.inject(
            json!({"from": format!("{prefix}{i:02}"), "type": "text", "text": {"body": "hi"}}),
        )
        .await;
    }
}

/// Production pacing of a failing receiver (a 250 ms first rest, 1 s first retry, one
/// hour at most), with a 1 s POST timeout so a hanging receiver is seen quickly.
fn production_pacing(c: &mut wagate_app::config::Config) {
    c.webhooks = WebhookConfig {
        timeout_secs: 1,
        ..WebhookConfig::default()
    };
}

#[tokio::test]
async fn a_burst_of_timeouts_does_not_stall_the_subscription() {
    // The rest of a failing lane is allowed to grow to an hour, so only counting the burst
    // as one failure keeps the subscription going.
    for app in spawn_apps_with(|c| {
        production_pacing(c);
        c.webhooks.pause_max_ms = 3_600_000;
    })
    .await
    {
        let receiver = Receiver::start().await;
        subscribe(&app, &receiver, json!({"fields": ["messages"]})).await;
        // Its first 16 POSTs (all in flight at once) hang past the timeout; then it is
        // healthy. Before the fix the 16 failures counted as 16 and rested the lane for an
        // hour (250 ms × 2^15, capped).
        receiver.inbox.hang_ms.store(1_500, Ordering::SeqCst);
        receiver.inbox.hang_first.store(16, Ordering::SeqCst);
        let n = 40;
        users_write(&app, "165055520", n).await;
        let posts = receiver.wait_events(n).await;
        let got: std::collections::HashSet<_> = events(&posts).into_iter().collect();
        assert_eq!(got.len(), n, "{}: every event, within seconds", app.backend);
        assert_eq!(
            receiver.inbox.hang_first.load(Ordering::SeqCst),
            0,
            "16 POSTs hung past the timeout"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn one_refused_event_type_holds_back_nothing_else() {
    for app in spawn_apps_with(production_pacing).await {
        app.configure_sandbox(json!({})).await;
        let receiver = Receiver::start().await;
        // Batches of 5, so refused statuses share POSTs with messages at first.
        let sub = subscribe(&app, &receiver, json!({"batch_size": 5})).await;
        *receiver.inbox.refuse_containing.lock().unwrap() = Some("\"statuses\"".to_owned());
        let n = 8;
        users_write(&app, "165055530", n).await;
        for i in 0..n {
            app.send(
                json!({"to": format!("165055530{i:02}"), "type": "text", "text": {"body": "ok"}}),
            )
            .await;
        }
        // Every user's message arrives although every status POST is refused.
        let posts = receiver.wait_events(n).await;
        let inbound: std::collections::HashSet<String> = posts
            .iter()
            .flat_map(|p| p.body["entry"][0]["changes"].as_array().unwrap().clone())
            .filter_map(|c| c["value"]["messages"][0]["id"].as_str().map(str::to_owned))
            .collect();
        assert_eq!(inbound.len(), n, "{}: {inbound:?}", app.backend);
        assert!(
            posts
                .iter()
                .all(|p| !String::from_utf8_lossy(&p.raw).contains("\"statuses\"")),
            "statuses were refused"
        );
        // The statuses wait, retried, in the log.
        let id = sub["id"].as_str().unwrap();
        let res = app
            .get(&format!("/api/v1/webhooks/{id}/deliveries?status=pending"))
            .await;
        let pending: Value = res.json().await.unwrap();
        let pending = pending["data"].as_array().unwrap();
        assert!(!pending.is_empty());
        assert!(
            pending.iter().all(|d| d["field"] == "statuses"),
            "{pending:?}"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn a_receiver_back_from_an_outage_gets_its_backlog_at_once() {
    // A long outage backs each delivery off for minutes; once a probe gets through, the
    // whole backlog goes at once instead of at its backed-off times.
    for app in spawn_apps_with(|c| {
        c.webhooks = WebhookConfig {
            timeout_secs: 1,
            backoff_base_ms: 600_000,
            pause_base_ms: 20,
            pause_max_ms: 50,
            ..WebhookConfig::default()
        };
    })
    .await
    {
        let receiver = Receiver::start().await;
        subscribe(&app, &receiver, json!({"fields": ["messages"]})).await;
        receiver.inbox.failing.store(true, Ordering::SeqCst);
        let n = 6;
        users_write(&app, "165055540", n).await;
        // Wait until every delivery failed once: each is now due in 5 to 15 minutes. A poll,
        // not a drain: a failing receiver is probed one POST at a time, after pauses the
        // deliverer times on the real clock, so a drain returns while the lane is paused.
        eventually(
            "every delivery refused once",
            Duration::from_secs(10),
            || async {
                let refused = receiver.inbox.refused.load(Ordering::SeqCst);
                if refused >= n {
                    Ok(())
                } else {
                    Err(format!("{refused} refused"))
                }
            },
        )
        .await;
        receiver.inbox.failing.store(false, Ordering::SeqCst);
        // A new event is due at once: it is the probe that finds the receiver back.
        users_write(&app, "165055541", 1).await;
        let posts = receiver.wait_events(n + 1).await;
        let got: std::collections::HashSet<_> = events(&posts).into_iter().collect();
        assert_eq!(got.len(), n + 1, "{}", app.backend);
        app.stop().await;
    }
}

#[tokio::test]
async fn webhook_urls_cannot_reach_private_networks_by_default() {
    for app in spawn_apps_with(|c| c.outbound.allow_private_networks = false).await {
        let receiver = Receiver::start().await;
        for url in [
            "http://169.254.169.254/latest/meta-data/".to_owned(),
            "http://2852039166/latest/meta-data/".to_owned(),
            "http://[::ffff:169.254.169.254]/".to_owned(),
            "http://10.0.0.7:8080/hook".to_owned(),
            receiver.url.clone(),
        ] {
            let res = app
                .post_json(
                    "/api/v1/webhooks",
                    &json!({"url": url, "secret": SECRET, "verify_token": TOKEN}),
                )
                .await;
            let status = res.status().as_u16();
            let body: Value = res.json().await.unwrap();
            assert_eq!(status, 422, "{url}: {body}");
            assert_eq!(
                body["error"]["code"], "webhook_verification_failed",
                "{body}"
            );
            let message = body["error"]["message"].as_str().unwrap();
            assert!(
                message.contains("private networks") || message.contains("could not connect"),
                "{url}: {message}"
            );
            // Nothing an internal address answered is shown (it was never asked).
            assert!(!message.contains("HTTP "), "{message}");
        }
        assert!(
            receiver.posts().is_empty() && receiver.inbox.refused.load(Ordering::SeqCst) == 0,
            "the loopback receiver was never called"
        );
        let list: Value = app.get("/api/v1/webhooks").await.json().await.unwrap();
        assert_eq!(list["data"].as_array().unwrap().len(), 0, "nothing stored");
        app.stop().await;
    }
}
