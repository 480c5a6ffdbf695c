//! Messages through the simulated network over real HTTP: every type, the status lifecycle,
//! scripted replies, pacing of a burst, retries through an outage, mark-as-read and the list.

use serde_json::{Value, json};
use wagate_core::Timestamp;

use crate::helpers::{assert_graph_error, assert_manage_error, spawn_app, spawn_apps};

const USER: &str = "16505551234";

fn at(v: &Value) -> Timestamp {
    v.as_str()
        .unwrap_or_else(|| panic!("a time, got {v}"))
        .parse()
        .unwrap()
}

#[tokio::test]
async fn a_text_goes_sent_delivered_read_and_the_user_replies() {
    for app in spawn_apps().await {
        app.configure_sandbox(
            json!({"script": {"echo": true, "keywords": {"price": "How much?"}}}),
        )
        .await;
        let hello = app
            .inject(json!({"from": USER, "type": "text", "text": {"body": "hi"}, "profile": {"name": "Ana"}}))
            .await;
        assert_eq!(hello["status"], "received");
        assert_eq!(hello["profile_name"], "Ana");
        assert!(hello["bsuid"].as_str().unwrap().starts_with("US."));

        let wamid = app
            .send(json!({"to": USER, "type": "text", "text": {"body": "Our price list"}, "biz_opaque_callback_data": "t-1"}))
            .await;
        let m = app.wait_status(&wamid, &["read"]).await;
        let (sent, delivered, read) =
            (at(&m["sent_at"]), at(&m["delivered_at"]), at(&m["read_at"]));
        assert!(
            at(&m["created_at"]) <= sent && sent < delivered && delivered < read,
            "{m}"
        );
        assert_eq!(m["handovers"], 1);
        assert_eq!(
            m["pricing"],
            json!({"billable": false, "pricing_model": "PMP", "type": "free_customer_service", "category": "service"})
        );
        assert_eq!(m["conversation"]["origin"], "service");
        assert!(m["error"].is_null());

        // The echo and the keyword answer arrive as replies to our message.
        let replies = app
            .wait_messages(&format!("direction=inbound&contact=%2B{USER}"), 3)
            .await;
        let texts: Vec<&str> = replies
            .iter()
            .map(|r| r["content"]["body"].as_str().unwrap())
            .collect();
        assert!(texts.contains(&"Our price list"), "{texts:?}");
        assert!(texts.contains(&"How much?"), "{texts:?}");
        for r in replies.iter().filter(|r| r["content"]["body"] != "hi") {
            assert_eq!(r["context_message_id"], wamid.as_str());
            assert_eq!(r["profile_name"], "Ana", "the contact keeps its name");
        }
    }
}

#[tokio::test]
async fn every_message_type_is_accepted_and_delivered() {
    let app = spawn_app().await;
    app.configure_sandbox(json!({"read_percent": 0})).await;
    app.inject(json!({"from": USER, "text": {"body": "hello"}}))
        .await;
    let inbound = app.messages("direction=inbound").await;
    let their = inbound[0]["wamid"].as_str().unwrap().to_owned();
    app.approved_template(json!({"name": "order_update", "language": "en_US", "category": "UTILITY",
        "components": [{"type": "BODY", "text": "Hi {{1}}, your order has shipped.", "example": {"body_text": [["Ann"]]}},
                       {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "Stop updates"}]}]}))
        .await;
    // A flow message names a published flow of the WABA, and one of its screens.
    let channels: Value = app.get("/api/v1/channels").await.json().await.unwrap();
    let waba = channels["data"][0]["waba_id"].as_str().unwrap();
    let flow_json = wagate_core::flow::DEFAULT_FLOW_JSON.replace("WELCOME_SCREEN", "FIRST");
    let flow: Value = app
        .post_json(
            &format!("/v23.0/{waba}/flows"),
            &json!({"name": "Book", "categories": ["OTHER"], "flow_json": flow_json, "publish": true}),
        )
        .await
        .json()
        .await
        .unwrap();
    let flow_id = flow["id"].as_str().unwrap();
    let link = "https://example.com/a.jpg";
    let bodies = vec![
        json!({"type": "text", "text": {"body": "hi", "preview_url": true}}),
        json!({"type": "image", "image": {"link": link, "caption": "look"}}),
        json!({"type": "video", "video": {"link": "https://example.com/v.mp4"}}),
        json!({"type": "audio", "audio": {"link": "https://example.com/a.ogg"}}),
        json!({"type": "document", "document": {"link": "https://example.com/d.pdf", "filename": "d.pdf"}}),
        json!({"type": "sticker", "sticker": {"link": "https://example.com/s.webp"}}),
        json!({"type": "location", "location": {"latitude": "37.44", "longitude": -122.16, "name": "Philz"}}),
        json!({"type": "contacts", "contacts": "[{\"name\":{\"formatted_name\":\"Jane Doe\",\"first_name\":null},\"phones\":[]}]"}),
        json!({"type": "reaction", "reaction": {"message_id": their, "emoji": "👍"}}),
        json!({"type": "reaction", "reaction": {"message_id": their, "emoji": ""}}),
        json!({"type": "interactive", "interactive": {"type": "button", "body": {"text": "Pick"},
            "action": {"buttons": [{"type": "reply", "reply": {"id": "a", "title": "A"}}, {"type": "reply", "reply": {"id": "b", "title": "B"}}]}}}),
        json!({"type": "interactive", "interactive": {"type": "list", "body": {"text": "Menu"},
            "action": {"button": "Open", "sections": [{"title": "S", "rows": [{"id": "r1", "title": "Row"}]}]}}}),
        json!({"type": "interactive", "interactive": {"type": "cta_url", "body": {"text": "Visit"},
            "action": {"name": "cta_url", "parameters": {"display_text": "Go", "url": "https://example.com"}}}}),
        json!({"type": "interactive", "interactive": {"type": "location_request_message", "body": {"text": "Where?"},
            "action": {"name": "send_location"}}}),
        json!({"type": "interactive", "interactive": {"type": "product",
            "action": {"catalog_id": "1", "product_retailer_id": "sku"}}}),
        json!({"type": "interactive", "interactive": {"type": "product_list", "header": {"type": "text", "text": "H"}, "body": {"text": "B"},
            "action": {"catalog_id": "1", "sections": [{"title": "S", "product_items": [{"product_retailer_id": "sku"}]}]}}}),
        json!({"type": "interactive", "interactive": {"type": "catalog_message", "body": {"text": "Shop"},
            "action": {"name": "catalog_message", "parameters": {"thumbnail_product_retailer_id": "sku"}}}}),
        json!({"type": "interactive", "interactive": {"type": "flow", "body": {"text": "Book"},
            "action": {"name": "flow", "parameters": {"flow_message_version": "3", "flow_id": flow_id, "flow_cta": "Book",
                "flow_action": "navigate", "flow_action_payload": {"screen": "FIRST"}}}}}),
        json!({"type": "template", "template": {"name": "order_update", "language": {"code": "en_US", "policy": "deterministic"},
            "components": [{"type": "BODY", "parameters": [{"type": "text", "text": "Jo"}]},
                           {"type": "button", "sub_type": "QUICK_REPLY", "index": "0", "parameters": [{"type": "payload", "payload": "STOP"}]}]}}),
    ];
    let mut sent = Vec::new();
    for mut body in bodies {
        body["to"] = json!(USER);
        body["context"] = json!({"message_id": their});
        let kind = body["type"].as_str().unwrap().to_owned();
        sent.push((kind, app.send(body).await));
    }
    for (kind, wamid) in sent {
        let m = app.wait_status(&wamid, &["delivered", "failed"]).await;
        assert_eq!(m["status"], "delivered", "{kind}: {m}");
        assert_eq!(m["type"], kind.as_str());
        assert_eq!(m["context_message_id"], their.as_str());
    }
    // Stored normalised, as Meta documents the shape.
    let contacts = app.messages("type=contacts").await;
    assert_eq!(
        contacts[0]["content"],
        json!([{"name": {"formatted_name": "Jane Doe"}}])
    );
    let location = app.messages("type=location").await;
    assert_eq!(location[0]["content"]["latitude"], 37.44);
}

#[tokio::test]
async fn content_limits_answer_metas_codes_and_store_nothing() {
    let app = spawn_app().await;
    let path = format!("/v23.0/{}/messages", app.phone_number_id);
    let cases = [
        (
            json!({"type": "image", "image": {"caption": "no media"}}),
            131008,
        ),
        (
            json!({"type": "image", "image": {"id": "1479537139650973"}}),
            100,
        ),
        (
            json!({"type": "image", "image": {"link": "ftp://x/y.jpg"}}),
            131009,
        ),
        (
            json!({"type": "image", "image": {"link": "https://x/y.jpg", "caption": "c".repeat(1025)}}),
            131009,
        ),
        (
            json!({"type": "audio", "audio": {"link": "https://x/y.ogg", "caption": "no"}}),
            100,
        ),
        (
            json!({"type": "location", "location": {"latitude": 91, "longitude": 0}}),
            131009,
        ),
        (
            json!({"type": "contacts", "contacts": [{"name": {}}]}),
            131008,
        ),
        (
            json!({"type": "reaction", "reaction": {"message_id": "nope", "emoji": "x"}}),
            131009,
        ),
        (
            json!({"type": "interactive", "interactive": {"type": "button", "body": {"text": "x"}, "action": {"buttons": [
            {"type": "reply", "reply": {"id": "a", "title": "A title longer than twenty"}}]}}}),
            131009,
        ),
        (
            json!({"type": "interactive", "interactive": {"type": "button", "body": {"text": "x"}, "action": {"buttons": [
            {"type": "reply", "reply": {"id": "a", "title": "1"}}, {"type": "reply", "reply": {"id": "b", "title": "2"}},
            {"type": "reply", "reply": {"id": "c", "title": "3"}}, {"type": "reply", "reply": {"id": "d", "title": "4"}}]}}}),
            131009,
        ),
        (
            json!({"type": "interactive", "interactive": {"type": "list", "body": {"text": "x"}, "action": {"button": "B",
            "sections": [{"rows": (0..11).map(|i| json!({"id": format!("r{i}"), "title": "t"})).collect::<Vec<_>>()}]}}}),
            131009,
        ),
        (
            json!({"type": "interactive", "interactive": {"type": "cta_url", "body": {"text": "x"},
            "action": {"name": "cta_url", "parameters": {"display_text": "Go", "url": "not a url"}}}}),
            131009,
        ),
        (
            json!({"type": "interactive", "interactive": {"type": "location_request_message", "action": {"name": "send_location"}}}),
            131008,
        ),
        (
            json!({"type": "template", "template": {"name": "Bad Name", "language": {"code": "en"}}}),
            131009,
        ),
        (
            json!({"type": "template", "template": {"name": "ok", "language": {"code": "en", "policy": "fallback"}}}),
            100,
        ),
    ];
    for (mut body, code) in cases {
        body["messaging_product"] = json!("whatsapp");
        body["to"] = json!(USER);
        let res = app.post_json(&path, &body).await;
        let err = assert_graph_error(res, 400, code).await;
        assert!(
            err["error"]["error_data"]["details"]
                .as_str()
                .unwrap()
                .len()
                > 5,
            "{err}"
        );
    }
    assert!(app.messages("").await.is_empty(), "nothing stored");
}

#[tokio::test]
async fn a_burst_to_one_user_is_spread_out_in_order_and_never_failed() {
    for app in spawn_apps().await {
        // Meta allows a burst, then one message per interval; scaled down to keep the test short.
        app.configure_sandbox(json!({"pair_burst": 2, "pair_interval_ms": 150, "read_percent": 0}))
            .await;
        app.inject(json!({"from": USER, "text": {"body": "send me everything"}}))
            .await;
        let mut ids = Vec::new();
        for i in 0..7 {
            ids.push(
                app.send(json!({"to": USER, "text": {"body": format!("part {i}")}}))
                    .await,
            );
        }
        let mut sent_at = Vec::new();
        for id in &ids {
            let m = app.wait_status(id, &["delivered", "failed"]).await;
            assert_eq!(m["status"], "delivered", "{}: {m}", app.backend);
            assert_eq!(m["handovers"], 1);
            sent_at.push(at(&m["sent_at"]));
        }
        for w in sent_at.windows(2) {
            assert!(w[0] <= w[1], "order kept per recipient: {sent_at:?}");
        }
        // A burst of 2, then one per interval: message k leaves no sooner than
        // (k - 1) intervals after the first.
        let spread = sent_at[6].duration_since(sent_at[0]).as_millis();
        assert!(
            spread >= 5 * 150 - 5,
            "{}: spread over {spread} ms",
            app.backend
        );
    }
}

#[tokio::test]
async fn an_unreachable_network_is_retried_until_it_is_back() {
    let app = spawn_app().await;
    let back = Timestamp::from_millisecond(Timestamp::now().as_millisecond() + 700).unwrap();
    app.configure_sandbox(json!({"unreachable_until": back.to_string()}))
        .await;
    app.inject(json!({"from": USER, "text": {"body": "hi"}}))
        .await;
    let wamid = app
        .send(json!({"to": USER, "text": {"body": "are you there?"}}))
        .await;
    let m = app
        .wait_status(&wamid, &["delivered", "read", "failed"])
        .await;
    assert_ne!(m["status"], "failed", "{m}");
    assert!(
        at(&m["sent_at"]) >= back,
        "sent only once the network was back: {m}"
    );
    assert_eq!(m["handovers"], 1);
}

#[tokio::test]
async fn virtual_users_tap_buttons() {
    let app = spawn_app().await;
    app.configure_sandbox(json!({"script": {"tap_buttons": true}}))
        .await;
    app.inject(json!({"from": USER, "text": {"body": "menu?"}}))
        .await;
    let wamid = app
        .send(json!({"to": USER, "type": "interactive", "interactive": {"type": "button", "body": {"text": "Confirm?"},
            "action": {"buttons": [{"type": "reply", "reply": {"id": "yes-1", "title": "Yes"}}, {"type": "reply", "reply": {"id": "no", "title": "No"}}]}}}))
        .await;
    let replies = app
        .wait_messages("direction=inbound&type=interactive", 1)
        .await;
    assert_eq!(replies[0]["context_message_id"], wamid.as_str());
    assert_eq!(
        replies[0]["content"],
        json!({"type": "button_reply", "button_reply": {"id": "yes-1", "title": "Yes"}})
    );
}

#[tokio::test]
async fn mark_as_read_and_typing() {
    let app = spawn_app().await;
    let inbound = app
        .inject(json!({"from": USER, "text": {"body": "hi"}}))
        .await;
    let path = format!("/v23.0/{}/messages", app.phone_number_id);
    for body in [
        json!({"messaging_product": "whatsapp", "status": "read", "message_id": inbound["wamid"]}),
        json!({"messaging_product": "whatsapp", "status": "read", "message_id": inbound["wamid"], "typing_indicator": {"type": "text"}}),
    ] {
        let res = app.post_json(&path, &body).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.json::<Value>().await.unwrap(), json!({"success": true}));
    }
    let ours = app.send(json!({"to": USER, "text": {"body": "x"}})).await;
    for id in [
        ours.as_str(),
        "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI4MjZGRDA0OUE2OTQ3RkEyMzcA",
    ] {
        let res = app
            .post_json(
                &path,
                &json!({"messaging_product": "whatsapp", "status": "read", "message_id": id}),
            )
            .await;
        let err = assert_graph_error(res, 400, 100).await;
        assert_eq!(err["error"]["error_subcode"], 33);
    }
    let res = app
        .post_json(&path, &json!({"messaging_product": "whatsapp", "status": "read", "message_id": inbound["wamid"], "typing_indicator": {"type": "video"}}))
        .await;
    assert_graph_error(res, 400, 100).await;
}

#[tokio::test]
async fn the_message_list_filters_and_pages() {
    let app = spawn_app().await;
    app.configure_sandbox(json!({"not_on_whatsapp": ["15550000000"]}))
        .await;
    app.inject(json!({"from": USER, "text": {"body": "hi"}}))
        .await;
    for i in 0..3 {
        app.send(json!({"to": USER, "text": {"body": format!("m{i}")}}))
            .await;
    }
    app.simple_template("hello", "en").await;
    let lost = app
        .send(json!({"to": "15550000000", "type": "template", "template": {"name": "hello", "language": {"code": "en"}}}))
        .await;
    let failed = app.wait_status(&lost, &["failed"]).await;
    assert_eq!(failed["error"]["code"], 131026);

    assert_eq!(app.messages("").await.len(), 5);
    assert_eq!(app.messages("direction=outbound").await.len(), 4);
    assert_eq!(app.messages("type=template").await.len(), 1);
    assert_eq!(app.messages(&format!("contact={USER}")).await.len(), 4);
    assert_eq!(app.messages("status=failed").await.len(), 1);
    let channel = app.channel_id().await;
    assert_eq!(
        app.messages(&format!("channel_id={channel}&direction=inbound"))
            .await
            .len(),
        1
    );
    assert!(app.messages("since=2999-01-01T00:00:00Z").await.is_empty());
    assert_eq!(app.messages("until=2999-01-01T00:00:00Z").await.len(), 5);

    let first: Value = app
        .get("/api/v1/messages?limit=2")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["data"].as_array().unwrap().len(), 2);
    let next = first["next_after"].as_str().unwrap();
    let second: Value = app
        .get(&format!("/api/v1/messages?limit=10&after={next}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(second["data"].as_array().unwrap().len(), 3);
    assert!(second["next_after"].is_null());
    let newest = &first["data"][0]["created_at"];
    assert!(
        at(newest) >= at(&second["data"][0]["created_at"]),
        "newest first"
    );

    for (query, field) in [
        ("status=lost", "status"),
        ("direction=sideways", "direction"),
        ("type=hologram", "type"),
        ("since=yesterday", "since"),
        ("contact=abc", "contact"),
        ("channel_id=nope", "channel_id"),
        ("after=nope", "after"),
    ] {
        let res = app.get(&format!("/api/v1/messages?{query}")).await;
        let err = assert_manage_error(res, 400, "invalid_query").await;
        assert_eq!(err["error"]["field"], field, "{query}");
    }
}
