//! The newer interactive types over real HTTP: a voice call button, a call permission
//! request, a contact info request, an address request and a media carousel are accepted and
//! delivered by the simulated network (whose scripted users read them without tapping
//! anything); a bad body of each is refused with Meta's code and nothing is stored.

use serde_json::{Value, json};

use crate::helpers::{assert_graph_error, spawn_app};

const USER: &str = "16505551234";

fn interactive(i: Value) -> Value {
    json!({"to": USER, "type": "interactive", "interactive": i})
}

fn card(index: usize, image: &str) -> Value {
    json!({"card_index": index, "type": "cta_url",
        "header": {"type": "image", "image": {"link": format!("https://example.com/{image}")}},
        "body": {"text": format!("Card {index}")},
        "action": {"buttons": [{"type": "quick_reply",
            "quick_reply": {"id": format!("more-{index}"), "title": "More"}}]}})
}

/// One good body of each new type, with the body text its preview shows.
fn good() -> Vec<(Value, &'static str)> {
    vec![
        (
            interactive(json!({"type": "voice_call", "body": {"text": "Call us"},
                "action": {"name": "voice_call", "parameters": {"display_text": "Call now", "ttl_minutes": 60.0}}})),
            "Call us",
        ),
        (
            interactive(
                json!({"type": "call_permission_request", "body": {"text": "May we call you?"},
                "action": {"name": "call_permission_request"}}),
            ),
            "May we call you?",
        ),
        (
            interactive(
                json!({"type": "request_contact_info", "body": {"text": "Share your number?"},
                "action": {"name": "request_contact_info"}}),
            ),
            "Share your number?",
        ),
        (
            interactive(
                json!({"type": "address_message", "body": {"text": "Where should we ship?"},
                "action": {"name": "address_message", "parameters": {"country": "IN", "values": {"name": "Ana"}}}}),
            ),
            "Where should we ship?",
        ),
        (
            interactive(json!({"type": "carousel", "body": {"text": "Swipe"},
                "action": {"cards": [card(0, "a.png"), card(1, "b.jpg")]}})),
            "Swipe",
        ),
    ]
}

/// One bad body of each new type and the Graph code it earns.
fn bad() -> Vec<(Value, u64)> {
    vec![
        (
            interactive(json!({"type": "voice_call", "body": {"text": "Call us"},
                "action": {"name": "voice_call", "parameters": {"ttl_minutes": 43_201}}})),
            131_009,
        ),
        (
            interactive(json!({"type": "call_permission_request",
                "action": {"name": "call_permission_request"}})),
            131_008,
        ),
        (
            interactive(
                json!({"type": "request_contact_info", "body": {"text": "Share?"},
                "action": {"name": "send_location"}}),
            ),
            100,
        ),
        (
            interactive(
                json!({"type": "address_message", "body": {"text": "Where?"},
                "action": {"name": "address_message", "parameters": {}}}),
            ),
            131_008,
        ),
        (
            interactive(json!({"type": "carousel", "body": {"text": "Swipe"},
                "action": {"cards": [card(0, "a.png")]}})),
            131_009,
        ),
    ]
}

#[tokio::test]
async fn the_newer_interactive_types_are_delivered_and_bad_ones_refused() {
    let app = spawn_app().await;
    app.configure_sandbox(
        json!({"read_percent": 0, "script": {"tap_buttons": true, "echo": true}}),
    )
    .await;
    app.inject(json!({"from": USER, "text": {"body": "hello"}}))
        .await;

    for (body, preview) in good() {
        let wamid = app.send(body.clone()).await;
        let m = app.wait_status(&wamid, &["delivered", "read"]).await;
        assert_eq!(m["type"], "interactive", "{m}");
        assert_eq!(
            m["content"]["type"], body["interactive"]["type"],
            "stored as sent: {m}"
        );
        assert!(m["error"].is_null(), "{m}");
        assert_eq!(m["preview"], preview, "{m}");
    }
    let voice = app.messages("direction=outbound").await;
    let stored = voice
        .iter()
        .find(|m| m["content"]["type"] == "voice_call")
        .unwrap();
    assert_eq!(
        stored["content"]["action"]["parameters"]["ttl_minutes"], 60,
        "a whole float is stored as an integer"
    );

    let path = format!("/v23.0/{}/messages", app.phone_number_id);
    for (mut body, code) in bad() {
        body["messaging_product"] = json!("whatsapp");
        let res = app.post_json(&path, &body).await;
        let err = assert_graph_error(res, 400, code).await;
        assert!(
            err["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("interactive.")),
            "{err}"
        );
    }
    assert_eq!(
        app.messages("direction=outbound").await.len(),
        good().len(),
        "nothing stored for the refused bodies"
    );
}
