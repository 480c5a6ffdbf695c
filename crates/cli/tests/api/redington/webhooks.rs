//! §23 callbacks: a subscription in format `redington` (through `/api/v1/webhooks`, as the
//! seed has no subscription API) receives `message.sender.user` for a user's message and
//! `message.status.updated` for each status of a sent one, one event per POST in the
//! documented envelope, from wagate's durable engine (a refused POST comes again, its
//! `delivery_attempt` counting up).

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;

use serde_json::{Value, json};
use wagate_core::webhook::ascii;

use super::{Project, shape};
use crate::helpers::{TestApp, spawn_apps};
use crate::receiver::{Post, Receiver, SECRET};

async fn subscribe(app: &TestApp, receiver: &Receiver) {
    // The receiver's verify token is not this one: a `redington` subscription makes no
    // `hub.challenge` handshake (the provider's receivers know none).
    let res = app
        .post_json(
            "/api/v1/webhooks",
            &json!({"url": receiver.url, "secret": SECRET,
                "verify_token": "not-the-receivers-token", "format": "redington"}),
        )
        .await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["format"], "redington", "{body}");
}

/// A callback as a receiver written against §23 reads it.
fn parse(post: &Post) -> (String, Value) {
    let b = &post.body;
    assert_eq!(
        post.signature,
        ascii::signature(SECRET.as_bytes(), &post.raw),
        "signed like every wagate webhook"
    );
    assert_eq!(post.event_ids.split(',').count(), 1, "one event per POST");
    assert_eq!(b["id"].as_str().unwrap(), post.event_ids);
    let created = b["created_at"].as_str().unwrap();
    assert!(created.ends_with('Z') && created.len() == 24, "{created}");
    assert!(b["delivery_attempt"].is_string(), "{b}");
    let m = &b["data"]["message"];
    assert_eq!(m["type"], "message", "{b}");
    assert_eq!(b["project_id"], m["project_id"], "{b}");
    (b["topic"].as_str().unwrap().to_owned(), m.clone())
}

#[tokio::test]
async fn messages_and_statuses_arrive_in_the_seeds_envelope() {
    for app in spawn_apps().await {
        app.configure_sandbox(json!({})).await;
        let project = Project::of(&app).await;
        let receiver = Receiver::start().await;
        // The first POST is refused: it comes again as attempt 2.
        receiver.inbox.fail_first.store(1, Ordering::SeqCst);
        subscribe(&app, &receiver).await;

        app.inject(json!({"from": "910000000000", "type": "text",
            "text": {"body": "Hey"}, "profile": {"name": "Preet"}}))
            .await;
        let sent = project
            .ok(
                "/messages",
                &json!({"to": "910000000000", "type": "text", "text": {"body": "Hello Good Morning"}}),
            )
            .await;
        let wamid = sent["messages"][0]["id"].as_str().unwrap().to_owned();
        app.wait_status(&wamid, &["read"]).await;
        // One inbound message, and sent, delivered, read.
        let posts = receiver.wait(4).await;
        let mut statuses = BTreeSet::new();
        let mut attempts = Vec::new();
        for post in &posts {
            let (topic, m) = parse(post);
            attempts.push(post.body["delivery_attempt"].as_str().unwrap().to_owned());
            assert_eq!(post.body["project_id"], project.id.as_str());
            match topic.as_str() {
                "message.sender.user" => {
                    insta::allow_duplicates! {
                        insta::assert_json_snapshot!("redington_webhook_inbound", shape(&post.body), {
                            ".delivery_attempt" => "[attempt]",
                        });
                    }
                    assert_eq!(m["sender"], "USER");
                    assert_eq!(m["message_content"]["text"], "Hey");
                    assert_eq!(m["userName"], "Preet");
                    assert_eq!(m["phone_number"], "910000000000");
                    assert!(m["contact_id"].is_string(), "{m}");
                }
                "message.status.updated" => {
                    assert_eq!(m["messageId"], wamid.as_str());
                    assert_eq!(m["sender"], "API");
                    assert_eq!(m["message_content"]["text"], "Hello Good Morning");
                    statuses.insert(m["status"].as_str().unwrap().to_owned());
                    if m["status"] == "SENT" {
                        assert!(m["delivered_at"].is_null() && m["read_at"].is_null(), "{m}");
                    }
                    if m["status"] == "READ" {
                        insta::allow_duplicates! {
                            insta::assert_json_snapshot!("redington_webhook_status", shape(&post.body), {
                                ".delivery_attempt" => "[attempt]",
                            });
                        }
                        assert!(m["read_at"].as_i64().is_some(), "{m}");
                    }
                }
                other => panic!("unexpected topic {other}: {}", post.body),
            }
        }
        let expected: BTreeSet<String> = ["SENT", "DELIVERED", "READ"]
            .into_iter()
            .map(str::to_owned)
            .collect();
        assert_eq!(statuses, expected);
        assert_eq!(receiver.inbox.refused.load(Ordering::SeqCst), 1);
        assert!(attempts.contains(&"2".to_owned()), "{attempts:?}");
    }
}
