//! Every webhook payload shape wagate sends, in one snapshot: an inbound message of every
//! type, every status (sent, delivered, read, failed), a template's status update and a
//! phone number's quality update, as a subscriber receives them. Values that differ from
//! run to run (ids, times, hashes, the number itself) are replaced by their name; the set
//! of distinct changes is sorted, so the snapshot is the same whatever order they came in.
//! A change to any payload shows up in review (`cargo insta review`).

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::helpers::spawn_app;
use crate::receiver::{Receiver, SECRET, TOKEN};
use crate::sdk_receivers::inbound_of_every_type;

/// Keys whose values change from run to run.
const VOLATILE: &[&str] = &[
    "id",
    "timestamp",
    "time",
    "sha256",
    "phone_number_id",
    "display_phone_number",
    "message_template_id",
    "expiration_timestamp",
    "user_id",
    "from_user_id",
    "url",
    "fbtrace_id",
];

/// Replaces volatile values by their key's name, and the business's own number (a reply's
/// `context.from`) by `[business_number]`.
fn redact(v: &mut Value, business: &str) {
    match v {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                if VOLATILE.contains(&key.as_str()) && !value.is_object() && !value.is_array() {
                    *value = Value::String(format!("[{key}]"));
                } else {
                    redact(value, business);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| redact(i, business)),
        Value::String(s) if s.as_str() == business => *v = json!("[business_number]"),
        _ => {}
    }
}

#[tokio::test]
async fn every_webhook_payload_shape() {
    let app = spawn_app().await;
    app.configure_sandbox(json!({
        "delivery_delay_ms": 0, "read_delay_ms": 0, "reply_delay_ms": 0,
        "read_percent": 100, "not_on_whatsapp": ["15550009999"]
    }))
    .await;
    let receiver = Receiver::start().await;
    let fields = [
        "messages",
        "statuses",
        "message_template_status_update",
        "phone_number_quality_update",
    ];
    let res = app
        .post_json(
            "/api/v1/webhooks",
            &json!({"url": receiver.url, "secret": SECRET, "verify_token": TOKEN,
                "fields": fields}),
        )
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());

    let user = "15550004242";
    app.inject(json!({"from": user, "type": "text", "text": {"body": "Olá! 😀"}}))
        .await;
    let sent = app
        .send(json!({"to": user, "type": "text", "text": {"body": "Thanks"}}))
        .await;
    for m in inbound_of_every_type(user, &sent) {
        app.inject(m).await;
    }
    app.simple_template("welcome", "en").await;
    app.send(json!({"to": "15550009999", "type": "template",
        "template": {"name": "welcome", "language": {"code": "en"}}}))
        .await;
    let res = app
        .post_json(
            &format!("/sandbox/{}/quality", app.phone_number_id),
            &json!({"quality_rating": "RED"}),
        )
        .await;
    assert_eq!(res.status(), 200);

    // Everything due is done and delivered (drain settles the deliverer's POSTs).
    app.app.drain().await.unwrap();
    let channels: Value = app.get("/api/v1/channels").await.json().await.unwrap();
    let business = channels["data"][0]["display_phone_number"]
        .as_str()
        .unwrap()
        .trim_start_matches('+')
        .to_owned();
    let mut shapes = BTreeSet::new();
    let mut fields_seen = BTreeSet::new();
    for post in receiver.posts() {
        for entry in post.body["entry"].as_array().unwrap() {
            for change in entry["changes"].as_array().unwrap() {
                fields_seen.insert(change["field"].as_str().unwrap().to_owned());
                let mut change = change.clone();
                redact(&mut change, &business);
                shapes.insert(serde_json::to_string(&change).unwrap());
            }
        }
    }
    assert_eq!(
        fields_seen,
        [
            "messages",
            "message_template_status_update",
            "phone_number_quality_update"
        ]
        .into_iter()
        .map(String::from)
        .collect(),
        "statuses are `messages` changes on Meta's wire"
    );
    let shapes: Vec<Value> = shapes
        .iter()
        .map(|s| serde_json::from_str(s).unwrap())
        .collect();
    // One inbound of each of the 14 kinds and four statuses at least.
    assert!(shapes.len() >= 18, "{} shapes", shapes.len());
    insta::assert_json_snapshot!(shapes);
    app.stop().await;
}
