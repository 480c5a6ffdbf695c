//! The console's webhooks section over HTTP (see `crates/http/src/console/webhooks.rs`):
//! subscribing through the form (verified like the API), the delivery log and its filters,
//! a failed delivery's attempt, replay of one delivery and of a range, pause and delete,
//! bad input and another account's ids.

use std::sync::atomic::Ordering;
use std::time::Duration;

use reqwest::header::LOCATION;
use serde_json::{Value, json};

use super::session::{Session, sign_in};
use crate::helpers::{TestApp, eventually, spawn_apps_with};
use crate::receiver::{REFUSAL, Receiver, SECRET, TOKEN};

async fn subscriptions(app: &TestApp) -> Vec<Value> {
    let list: Value = app.get("/api/v1/webhooks").await.json().await.unwrap();
    list["data"].as_array().unwrap().clone()
}

async fn deliveries(app: &TestApp, sub: &str, query: &str) -> Vec<Value> {
    let log: Value = app
        .get(&format!(
            "/api/v1/webhooks/{sub}/deliveries?limit=100&{query}"
        ))
        .await
        .json()
        .await
        .unwrap();
    log["data"].as_array().unwrap().clone()
}

/// Subscribes `url` through the console's form; returns the subscription id.
async fn subscribe(s: &Session, url: &str) -> String {
    let res = s
        .post_form(
            "/console/webhooks",
            &[
                ("url", url),
                ("secret", SECRET),
                ("verify_token", TOKEN),
                ("channel", ""),
                ("format", "cloud"),
                ("batch_size", "1"),
                ("fields", "messages"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let to = res.headers()[LOCATION].to_str().unwrap().to_owned();
    to.strip_prefix("/console/webhooks/").unwrap().to_owned()
}

#[tokio::test]
async fn a_failed_delivery_is_seen_and_replayed() {
    let apps = spawn_apps_with(|c| c.webhooks.retry_horizon_secs = 1).await;
    for app in apps {
        let receiver = Receiver::start().await;
        let s = sign_in(&app, &app.api_key).await;
        let id = subscribe(&s, &receiver.url).await;
        let api = subscriptions(&app).await;
        assert_eq!(api.len(), 1, "{}", app.backend);
        assert_eq!(api[0]["fields"], json!(["messages"]));
        let list = s.page("/console/webhooks").await;
        assert!(list.contains(&receiver.url) && list.contains("active"));

        // The receiver refuses; a user's message is dead-lettered after the horizon.
        receiver.inbox.failing.store(true, Ordering::SeqCst);
        app.inject(json!({"from": "15550002222", "type": "text", "text": {"body": "hello"}}))
            .await;
        let dead = eventually("the delivery dead", Duration::from_secs(8), || async {
            let dead = deliveries(&app, &id, "status=dead").await;
            if dead.len() == 1 {
                Ok(dead)
            } else {
                Err(json!(dead))
            }
        })
        .await;
        let did = dead[0]["id"].as_str().unwrap().to_owned();
        let attempts = dead[0]["attempts"].as_u64().unwrap();

        // The log: filtered by status, with the attempt's answer.
        let html = s.page(&format!("/console/webhooks/{id}?status=dead")).await;
        assert!(html.contains(&format!("data-delivery=\"{did}\" data-status=\"dead\"")));
        assert!(html.contains("HTTP 500"), "{html}");
        assert!(html.contains(REFUSAL), "the receiver's answer");
        assert!(html.contains(&format!("{attempts} attempt")));
        let html = s
            .page(&format!("/console/webhooks/{id}?status=delivered"))
            .await;
        assert!(html.contains("No deliveries."));
        // Every attempt: the receiver's answer each time, the last one dead.
        let html = s
            .page(&format!("/console/webhooks/{id}/deliveries/{did}"))
            .await;
        assert_eq!(
            html.matches("<tr data-outcome=").count() as u64,
            attempts,
            "{html}"
        );
        assert_eq!(html.matches("data-outcome=\"dead\"").count(), 1);
        assert_eq!(html.matches(REFUSAL).count() as u64, attempts);
        assert!(html.contains("HTTP 500 in "));
        // Time range: today has it, a day long past does not.
        let html = s
            .page(&format!("/console/webhooks/{id}?until=2020-01-01"))
            .await;
        assert!(html.contains("No deliveries."));
        let html = s
            .page(&format!("/console/webhooks/{id}?since=2020-01-01"))
            .await;
        assert!(html.contains(&did));
        // Bad filters: a clear message.
        let res = s.get(&format!("/console/webhooks/{id}?status=lost")).await;
        assert_eq!(res.status(), 400);
        assert!(
            res.text()
                .await
                .unwrap()
                .contains("status must be pending, delivered or dead")
        );

        // Replayed once the receiver is back: it really gets it, and the log says so.
        receiver.inbox.failing.store(false, Ordering::SeqCst);
        let res = s
            .post_form(
                &format!("/console/webhooks/{id}/deliveries/{did}/replay"),
                &[],
            )
            .await;
        assert_eq!(res.status(), 303);
        assert_eq!(
            res.headers()[LOCATION],
            format!("/console/webhooks/{id}?replayed=1").as_str()
        );
        let posts = receiver.wait(1).await;
        assert!(String::from_utf8_lossy(&posts[0].raw).contains("hello"));
        app.app.drain().await.unwrap();
        let html = s
            .page(&format!("/console/webhooks/{id}?status=delivered"))
            .await;
        assert!(html.contains(&format!(
            "data-delivery=\"{did}\" data-status=\"delivered\""
        )));
        assert!(html.contains("HTTP 200"));
        assert!(
            html.contains(&format!("{} attempts", attempts + 1)),
            "one more attempt"
        );
        let html = s
            .page(&format!("/console/webhooks/{id}/deliveries/{did}"))
            .await;
        assert_eq!(
            html.matches("<tr data-outcome=").count() as u64,
            attempts + 1
        );
        assert!(html.contains("data-outcome=\"delivered\""));
        assert!(html.contains("data-testid=\"delivery-status\">delivered<"));

        // A range replay of every delivery of today sends it again.
        let res = s
            .post_form(
                &format!("/console/webhooks/{id}/replay"),
                &[
                    ("only", "all"),
                    ("since", "2020-01-01"),
                    ("until", "2099-01-01"),
                ],
            )
            .await;
        assert_eq!(res.status(), 303);
        assert!(
            res.headers()[LOCATION]
                .to_str()
                .unwrap()
                .ends_with("replayed=1")
        );
        receiver.wait(2).await;
        // "all" without a range: refused, nothing queued.
        let res = s
            .post_form(
                &format!("/console/webhooks/{id}/replay"),
                &[("only", "all")],
            )
            .await;
        assert_eq!(res.status(), 400);
        assert!(res.text().await.unwrap().contains("since is required"));

        // Pause, resume, then delete.
        let res = s
            .post_form(&format!("/console/webhooks/{id}/pause"), &[])
            .await;
        assert_eq!(res.status(), 303);
        assert_eq!(subscriptions(&app).await[0]["enabled"], false);
        assert!(
            s.page(&format!("/console/webhooks/{id}"))
                .await
                .contains("paused")
        );
        let res = s
            .post_form(&format!("/console/webhooks/{id}/resume"), &[])
            .await;
        assert_eq!(res.status(), 303);
        assert_eq!(subscriptions(&app).await[0]["enabled"], true);

        // Another account's person sees none of it.
        let (_, other_key) = app.other_account().await;
        let other = sign_in(&app, &other_key).await;
        assert_eq!(
            other.get(&format!("/console/webhooks/{id}")).await.status(),
            404
        );
        let res = other
            .post_form(
                &format!("/console/webhooks/{id}/deliveries/{did}/replay"),
                &[],
            )
            .await;
        assert_eq!(res.status(), 404);
        assert_eq!(
            other
                .get(&format!("/console/webhooks/{id}/deliveries/{did}"))
                .await
                .status(),
            404
        );
        assert_eq!(
            other
                .post_form(&format!("/console/webhooks/{id}/delete"), &[])
                .await
                .status(),
            404
        );
        assert_eq!(s.get("/console/webhooks/not-an-id").await.status(), 404);
        let res = s
            .post_form(
                &format!(
                    "/console/webhooks/{id}/deliveries/0195f0e0-0000-7000-8000-000000000000/replay"
                ),
                &[],
            )
            .await;
        assert_eq!(res.status(), 404);
        assert_eq!(
            s.get(&format!(
                "/console/webhooks/{id}/deliveries/0195f0e0-0000-7000-8000-000000000000"
            ))
            .await
            .status(),
            404
        );

        let res = s
            .post_form(&format!("/console/webhooks/{id}/delete"), &[])
            .await;
        assert_eq!(res.status(), 303);
        assert!(subscriptions(&app).await.is_empty());
    }
}

#[tokio::test]
async fn a_bad_subscription_form_stores_nothing() {
    for app in spawn_apps_with(|_| {}).await {
        let receiver = Receiver::start().await;
        let s = sign_in(&app, &app.api_key).await;
        let cases: [(&[(&str, &str)], &str); 4] = [
            (
                &[
                    ("url", "not a url"),
                    ("secret", SECRET),
                    ("verify_token", TOKEN),
                    ("fields", "messages"),
                ],
                "url",
            ),
            (
                &[
                    ("url", &receiver.url),
                    ("secret", "short"),
                    ("verify_token", TOKEN),
                    ("fields", "messages"),
                ],
                "secret",
            ),
            (
                &[
                    ("url", &receiver.url),
                    ("secret", SECRET),
                    ("verify_token", TOKEN),
                ],
                "choose at least one event",
            ),
            (
                // The receiver does not echo a wrong token: verification fails.
                &[
                    ("url", &receiver.url),
                    ("secret", SECRET),
                    ("verify_token", "wrong-token"),
                    ("fields", "messages"),
                ],
                "403",
            ),
        ];
        for (form, says) in cases {
            let res = s.post_form("/console/webhooks", form).await;
            assert_eq!(res.status(), 422, "{}: {form:?}", app.backend);
            let html = res.text().await.unwrap();
            let error = html
                .split("id=\"create-error\">")
                .nth(1)
                .expect("the form's error")
                .split('<')
                .next()
                .unwrap()
                .to_owned();
            assert!(error.contains(says), "{form:?}: {error}");
            // The form keeps what was typed (never the secret).
            assert!(!html.contains(&format!("value=\"{SECRET}\"")));
        }
        assert!(subscriptions(&app).await.is_empty(), "nothing stored");
        // A channel of another account: 404, nothing stored.
        let (_, other_key) = app.other_account().await;
        let other_channel = app.create_channel(&other_key, "Theirs").await;
        let res = s
            .post_form(
                "/console/webhooks",
                &[
                    ("url", &receiver.url),
                    ("secret", SECRET),
                    ("verify_token", TOKEN),
                    ("channel", other_channel["id"].as_str().unwrap()),
                    ("fields", "messages"),
                ],
            )
            .await;
        assert_eq!(res.status(), 422);
        assert!(subscriptions(&app).await.is_empty());
    }
}

/// The browser story: a failed delivery replayed from the log (the receiver refuses until
/// the story starts, then accepts), and the numbers and settings pages.
#[tokio::test]
#[ignore = "a browser story: drives Debian's chromium with Playwright (installs it first)"]
async fn story_webhooks() {
    let app = spawn_apps_with(|c| c.webhooks.retry_horizon_secs = 1)
        .await
        .remove(0);
    let receiver = Receiver::start().await;
    let res = app
        .post_json(
            "/api/v1/webhooks",
            &json!({"url": receiver.url, "secret": SECRET, "verify_token": TOKEN}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let sub: Value = res.json().await.unwrap();
    let id = sub["id"].as_str().unwrap().to_owned();
    receiver.inbox.failing.store(true, Ordering::SeqCst);
    app.inject(json!({"from": "15550003333", "type": "text", "text": {"body": "story"}}))
        .await;
    let dead = eventually("the delivery dead", Duration::from_secs(8), || async {
        let dead = deliveries(&app, &id, "status=dead").await;
        if dead.len() == 1 {
            Ok(dead)
        } else {
            Err(json!(dead))
        }
    })
    .await;
    let did = dead[0]["id"].as_str().unwrap().to_owned();
    // Told to accept: only a replay brings the dead letter back.
    receiver.inbox.failing.store(false, Ordering::SeqCst);
    let res = app
        .post_json(
            "/api/v1/wallet/top-ups",
            &json!({"amount": 25_000_000, "reference": "story top-up"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    super::browser::run_story(
        &app,
        "webhooks",
        &app.api_key,
        json!({"receiver_url": receiver.url, "delivery_id": did, "refusal": REFUSAL}),
    )
    .await;
    let posts = receiver.wait(1).await;
    assert!(String::from_utf8_lossy(&posts[0].raw).contains("story"));
    app.app.drain().await.unwrap();
    let delivered = deliveries(&app, &id, "status=delivered").await;
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0]["id"], did.as_str());
}
