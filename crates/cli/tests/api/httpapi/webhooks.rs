//! §8 callbacks: a subscription in format `httpapi` (through `/api/v1/webhooks`: the seed
//! has no subscription call) receives the flat `inbox` payload for a user's message and a
//! `delivery` payload for each status of a sent one, one event per POST.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::{Instance, sent_ids, shape};
use crate::helpers::spawn_apps;
use crate::receiver::{Receiver, SECRET};

#[tokio::test]
async fn deliveries_and_inbox_messages_arrive_flat() {
    for app in spawn_apps().await {
        app.configure_sandbox(json!({})).await;
        let instance = Instance::of(&app).await;
        let receiver = Receiver::start().await;
        let res = app
            .post_json(
                "/api/v1/webhooks",
                &json!({"url": receiver.url, "secret": SECRET,
                    "verify_token": "not-the-receivers-token", "format": "httpapi"}),
            )
            .await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());

        app.inject(json!({"from": "919300000001", "type": "text", "text": {"body": "Hello"}}))
            .await;
        let body = instance
            .ok(
                "sendText",
                &[("phone", "919300000001"), ("message", "Hi there")],
            )
            .await;
        let id = sent_ids(&body).remove(0);
        app.wait_status(&id, &["read"]).await;
        let posts = receiver.wait(4).await;
        let mut statuses = BTreeSet::new();
        for post in &posts {
            let b: &Value = &post.body;
            assert_eq!(post.event_ids.split(',').count(), 1, "one event per POST");
            assert_eq!(b["instanceID"], app.channel_id().await.as_str(), "{b}");
            assert_eq!(b["phone"], "919300000001", "{b}");
            match b["reportType"].as_str().unwrap() {
                "inbox" => {
                    insta::allow_duplicates! {
                        insta::assert_json_snapshot!("httpapi_webhook_inbox", shape(b));
                    }
                    assert_eq!(
                        (b["type"].as_str(), b["value"].as_str()),
                        (Some("text"), Some("Hello"))
                    );
                    assert_eq!(b["waID"], "919300000001@s.whatsapp.net");
                }
                "delivery" => {
                    assert_eq!(b["messageID"], id.as_str(), "{b}");
                    statuses.insert((
                        b["status"].as_u64().unwrap(),
                        b["statusInfo"].as_str().unwrap().to_owned(),
                    ));
                    if b["status"] == 4 {
                        insta::allow_duplicates! {
                            insta::assert_json_snapshot!("httpapi_webhook_delivery", shape(b));
                        }
                    }
                }
                other => panic!("unexpected report {other}: {b}"),
            }
        }
        assert_eq!(
            statuses.into_iter().collect::<Vec<_>>(),
            [
                (1, "Sent".to_owned()),
                (3, "Delivered".to_owned()),
                (4, "Read".to_owned())
            ]
        );
    }
}
