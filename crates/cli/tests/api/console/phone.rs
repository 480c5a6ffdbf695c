//! The console's phone section over HTTP (see `crates/http/src/console/phone.rs`): chatting
//! as a virtual user of a sandbox channel (text, an image, a tapped button, STOP), the
//! conversation from the user's side, and bad input.

use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use super::session::{Session, sign_in};
use crate::helpers::{TestApp, spawn_apps};

const USER: &str = "15550003333";

async fn form(s: &Session, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    s.htmx(Method::POST, path)
        .form(fields)
        .send()
        .await
        .unwrap()
}

async fn inbound(app: &TestApp) -> Vec<Value> {
    app.messages("direction=inbound").await
}

/// A 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

#[tokio::test]
async fn the_phone_writes_taps_sends_images_and_stops_as_the_user() {
    for app in spawn_apps().await {
        app.configure_sandbox(json!({})).await;
        let ch = app.channel_id().await;
        let s = sign_in(&app, &app.api_key).await;
        let page = s
            .page(&format!("/console/phone?channel={ch}&user={USER}"))
            .await;
        assert!(page.contains("id=\"phone-messages\""), "{}", app.backend);
        assert!(page.contains(&format!("data-live=\"/console/inbox/events?channel={ch}\"")));

        // Empty text: a clear message, nothing injected.
        let res = form(
            &s,
            "/console/phone/send",
            &[("channel", &ch), ("user", USER), ("text", " ")],
        )
        .await;
        assert_eq!(res.status(), 400);
        assert!(res.text().await.unwrap().contains("write a message first"));
        assert!(inbound(&app).await.is_empty());

        let res = form(
            &s,
            "/console/phone/send",
            &[
                ("channel", &ch),
                ("user", USER),
                ("text", "hi, is the shop open?"),
            ],
        )
        .await;
        assert_eq!(res.status(), 200);
        assert!(res.text().await.unwrap().contains("hi, is the shop open?"));
        let got = inbound(&app).await;
        assert_eq!(got.len(), 1);
        assert_eq!(got[0]["wa_id"], USER);
        assert_eq!(got[0]["content"]["body"], "hi, is the shop open?");

        // The business asks with buttons; the phone shows them and a tap answers.
        let wamid = app
            .send(json!({"to": USER, "type": "interactive", "interactive": {
                "type": "button", "body": {"text": "Open now. Want a table?"},
                "action": {"buttons": [
                    {"type": "reply", "reply": {"id": "yes", "title": "Yes please"}},
                    {"type": "reply", "reply": {"id": "no", "title": "No thanks"}}]}}}))
            .await;
        let messages = s
            .page(&format!("/console/phone/messages?channel={ch}&user={USER}"))
            .await;
        assert!(messages.contains("Open now. Want a table?"));
        assert!(messages.contains(">Yes please</button>"), "{messages}");
        assert!(messages.contains("data-from=\"business\""));
        let res = form(
            &s,
            "/console/phone/send",
            &[
                ("channel", &ch),
                ("user", USER),
                ("action", "button"),
                ("reply_id", "yes"),
                ("title", "Yes please"),
                ("context", &wamid),
            ],
        )
        .await;
        assert_eq!(res.status(), 200);
        let got = inbound(&app).await;
        assert_eq!(got[0]["type"], "interactive");
        assert_eq!(got[0]["content"]["button_reply"]["id"], "yes");
        assert_eq!(got[0]["context_message_id"], wamid.as_str());
        // The inbox renders the answer readably, quoting the question.
        let thread = s
            .page(&format!("/console/inbox/thread?channel={ch}&c={USER}"))
            .await;
        assert!(thread.contains("↩ Yes please"), "{thread}");

        // An image from the phone.
        let upload = Form::new()
            .text("channel", ch.clone())
            .text("user", USER)
            .part(
                "file",
                Part::bytes(PNG.to_vec())
                    .file_name("dot.png")
                    .mime_str("image/png")
                    .unwrap(),
            );
        let res = s
            .htmx(Method::POST, "/console/phone/image")
            .multipart(upload)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{}", app.backend);
        let got = inbound(&app).await;
        assert_eq!(got[0]["type"], "image");
        let media_id = got[0]["content"]["id"].as_str().unwrap();
        let bytes = s
            .get(&format!("/console/inbox/media/{media_id}"))
            .await
            .bytes()
            .await
            .unwrap();
        assert_eq!(&bytes[..], PNG, "the same bytes come back");

        // Not an image: refused, nothing injected.
        let upload = Form::new()
            .text("channel", ch.clone())
            .text("user", USER)
            .part(
                "file",
                Part::bytes(b"hello".to_vec())
                    .file_name("a.txt")
                    .mime_str("text/plain")
                    .unwrap(),
            );
        let res = s
            .htmx(Method::POST, "/console/phone/image")
            .multipart(upload)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
        assert_eq!(inbound(&app).await.len(), 3);

        // STOP opts the user out of marketing, as a typed STOP does.
        let res = form(
            &s,
            "/console/phone/send",
            &[("channel", &ch), ("user", USER), ("action", "stop")],
        )
        .await;
        assert_eq!(res.status(), 200);
        let got = inbound(&app).await;
        assert_eq!(got[0]["content"]["body"], "STOP");
        let contact = app
            .app
            .inbox_contact(
                &wagate_app::Principal::operator(app.account_id.parse().unwrap()),
                &app.app
                    .get_channel(
                        &wagate_app::Principal::operator(app.account_id.parse().unwrap()),
                        ch.parse().unwrap(),
                    )
                    .await
                    .unwrap(),
                &wagate_core::phone::PhoneE164::parse(USER).unwrap(),
            )
            .await
            .unwrap()
            .unwrap();
        assert!(contact.marketing_opt_out_at.is_some(), "STOP recorded");

        // Unknown actions are refused.
        let res = form(
            &s,
            "/console/phone/send",
            &[("channel", &ch), ("user", USER), ("action", "dance")],
        )
        .await;
        assert_eq!(res.status(), 400);
        assert_eq!(inbound(&app).await.len(), 4);
    }
}
