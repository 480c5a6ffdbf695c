//! §8 callbacks: a subscription in format `httpapi` (through `/api/v1/webhooks`: the seed
//! has no subscription call) receives the flat `inbox` payload for a user's message and a
//! `delivery` payload for each status of a sent one, one event per POST; a file a user
//! sends comes as the seed's multipart form (`json` + `file1`).

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;
use std::time::Duration;

use base64::Engine as _;
use serde_json::{Value, json};
use wagate_core::webhook::ascii;

use super::{Instance, sent_ids, shape};
use crate::helpers::{TestApp, eventually, spawn_apps, spawn_apps_with};
use crate::receiver::{Post, Receiver, SECRET};

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

/// A PNG: the signature, an IHDR chunk, then `len` bytes of filler.
fn png(len: usize) -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0".to_vec();
    b.extend((0..len).map(|i| (i % 251) as u8));
    b
}

fn pdf() -> Vec<u8> {
    b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec()
}

fn data_uri(mime: &str, bytes: &[u8]) -> String {
    format!(
        "data:{mime};base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// A user sends a file; answers its media id.
async fn user_sends(app: &TestApp, kind: &str, media: Value) -> String {
    let sent = app
        .inject(json!({"from": "919300000001", "type": kind, kind: media}))
        .await;
    sent["content"]["id"].as_str().unwrap().to_owned()
}

/// A multipart POST's `json` field (parsed) and `file1` part, checked for the seed's shape:
/// exactly those two parts, `json` a plain field, `file1` a file; signed over the bytes sent.
async fn form_of(post: &Post) -> (Value, crate::receiver::FormPart) {
    assert!(
        post.content_type
            .starts_with("multipart/form-data; boundary="),
        "{}",
        post.content_type
    );
    assert_eq!(
        post.signature,
        ascii::signature(SECRET.as_bytes(), &post.raw)
    );
    let mut parts = post.form().await;
    assert_eq!(
        parts.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
        ["json", "file1"]
    );
    let file = parts.pop().unwrap();
    let json = parts.pop().unwrap();
    assert_eq!((json.file_name, json.content_type), (None, None));
    (serde_json::from_slice(&json.bytes).unwrap(), file)
}

#[tokio::test]
async fn files_users_send_arrive_as_multipart_with_the_bytes() {
    for app in spawn_apps().await {
        app.configure_sandbox(json!({})).await;
        let receiver = Receiver::start().await;
        let res = app
            .post_json(
                "/api/v1/webhooks",
                &json!({"url": receiver.url, "secret": SECRET,
                    "verify_token": "not-the-receivers-token", "format": "httpapi"}),
            )
            .await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        let sub: Value = res.json().await.unwrap();
        let sub = sub["id"].as_str().unwrap().to_owned();
        let instance = app.channel_id().await;

        // An image; the receiver refuses its first POST, so the form comes on the retry.
        receiver.inbox.fail_first.store(1, Ordering::SeqCst);
        let image = png(3000);
        let image_id = user_sends(
            &app,
            "image",
            json!({"data": data_uri("image/png", &image), "caption": "Hi this is test"}),
        )
        .await;
        let posts = receiver.wait(1).await;
        assert_eq!(receiver.inbox.refused.load(Ordering::SeqCst), 1);
        let (b, file) = form_of(&posts[0]).await;
        let mut redacted = shape(&b);
        redacted["value"]["id"] = json!("[media id]");
        insta::allow_duplicates! {
            insta::assert_json_snapshot!("httpapi_webhook_inbox_image", redacted);
        }
        assert_eq!(
            (&b["reportType"], &b["type"], &b["instanceID"], &b["phone"]),
            (
                &json!("inbox"),
                &json!("image"),
                &json!(instance.as_str()),
                &json!("919300000001")
            )
        );
        assert_eq!(
            b["value"],
            json!({"caption": "Hi this is test", "type": "image/png", "id": image_id})
        );
        assert_eq!(file.file_name.as_deref(), Some(&*format!("{image_id}.png")));
        assert_eq!(file.content_type.as_deref(), Some("image/png"));
        assert!(file.bytes == image, "file1 holds the image's bytes");

        // A document keeps the name the user gave it.
        let doc_id = user_sends(
            &app,
            "document",
            json!({"data": data_uri("application/pdf", &pdf()), "filename": "report.pdf"}),
        )
        .await;
        let posts = receiver.wait(2).await;
        let (b, file) = form_of(&posts[1]).await;
        assert_eq!(
            (&b["type"], &b["value"]["id"]),
            (&json!("document"), &json!(doc_id))
        );
        assert_eq!(file.file_name.as_deref(), Some("report.pdf"));
        assert_eq!(file.content_type.as_deref(), Some("application/pdf"));
        assert_eq!(file.bytes, pdf());

        // Text stays JSON.
        app.inject(json!({"from": "919300000001", "type": "text", "text": {"body": "Hello"}}))
            .await;
        let posts = receiver.wait(3).await;
        assert_eq!(posts[2].content_type, "application/json");
        assert_eq!(
            (&posts[2].body["type"], &posts[2].body["value"]),
            (&json!("text"), &json!("Hello"))
        );

        // A file gone by the time its POST goes (deleted while the receiver was down): the
        // JSON inbox payload alone, naming the media id.
        receiver.inbox.failing.store(true, Ordering::SeqCst);
        let gone = user_sends(
            &app,
            "image",
            json!({"data": data_uri("image/png", &png(10))}),
        )
        .await;
        eventually("its POST refused", Duration::from_secs(20), || async {
            match receiver.inbox.refused.load(Ordering::SeqCst) {
                n if n >= 2 => Ok(()),
                n => Err(format!("{n} refused")),
            }
        })
        .await;
        let res = app
            .req(reqwest::Method::DELETE, &format!("/v23.0/{gone}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        // A failing lane has one POST out at a time, so the second refusal from now on is
        // of an attempt rendered after the deletion (the first may have read the file before).
        let refused = receiver.inbox.refused.load(Ordering::SeqCst);
        eventually(
            "two more refused POSTs",
            Duration::from_secs(20),
            || async {
                match receiver.inbox.refused.load(Ordering::SeqCst) {
                    n if n >= refused + 2 => Ok(()),
                    n => Err(format!("{n} refused")),
                }
            },
        )
        .await;
        receiver.inbox.failing.store(false, Ordering::SeqCst);
        let posts = receiver.wait(4).await;
        assert_eq!(posts[3].content_type, "application/json");
        assert_eq!(
            (&posts[3].body["type"], &posts[3].body["value"]["id"]),
            (&json!("image"), &json!(gone))
        );

        // Replaying the image's delivery sends the form again, bytes included.
        app.app.drain().await.unwrap();
        let log: Value = app
            .get(&format!("/api/v1/webhooks/{sub}/deliveries?limit=100"))
            .await
            .json()
            .await
            .unwrap();
        let delivery = log["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["event_id"] == posts[0].event_ids.as_str())
            .expect("the image's delivery in the log");
        assert_eq!(
            (&delivery["status"], &delivery["attempts"]),
            (&json!("delivered"), &json!(2))
        );
        let id = delivery["id"].as_str().unwrap();
        let res = app
            .post_json(
                &format!("/api/v1/webhooks/{sub}/deliveries/{id}/replay"),
                &json!({}),
            )
            .await;
        assert_eq!(res.status(), 200);
        let posts = receiver.wait(5).await;
        assert_eq!(posts[4].event_ids, posts[0].event_ids);
        let (_, file) = form_of(&posts[4]).await;
        assert!(file.bytes == image, "the replay attaches the image again");
    }
}

#[tokio::test]
async fn a_file_over_max_media_mb_is_named_by_its_media_id() {
    for app in spawn_apps_with(|c| c.webhooks.max_media_mb = 0).await {
        app.configure_sandbox(json!({})).await;
        let receiver = Receiver::start().await;
        let res = app
            .post_json(
                "/api/v1/webhooks",
                &json!({"url": receiver.url, "secret": SECRET,
                    "verify_token": "not-the-receivers-token", "format": "httpapi"}),
            )
            .await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        let id = user_sends(
            &app,
            "image",
            json!({"data": data_uri("image/png", &png(10))}),
        )
        .await;
        let posts = receiver.wait(1).await;
        assert_eq!(posts[0].content_type, "application/json");
        assert_eq!(
            posts[0].signature,
            ascii::signature(SECRET.as_bytes(), &posts[0].raw)
        );
        assert_eq!(
            posts[0].body["value"],
            json!({"caption": "", "type": "image/png", "id": id})
        );
    }
}
