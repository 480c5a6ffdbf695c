//! Policy over real HTTP: the 24-hour window, numbers not on WhatsApp, the block list, and
//! the simulated network's inbound endpoint refusing bad input.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{assert_graph_error, assert_manage_error, spawn_app, spawn_apps};

const USER: &str = "4915112345678";

#[tokio::test]
async fn free_form_needs_the_window_templates_do_not() {
    for app in spawn_apps().await {
        app.configure_sandbox(json!({})).await;
        let text = app
            .send(json!({"to": USER, "text": {"body": "hello?"}}))
            .await;
        let m = app.wait_status(&text, &["failed"]).await;
        assert_eq!(m["error"]["code"], 131047);
        assert_eq!(m["error"]["title"], "Re-engagement message");
        assert!(m["sent_at"].is_null() && m["failed_at"].is_string());
        assert_eq!(m["handovers"], 0, "never handed to the network");

        app.simple_template("welcome", "de").await;
        let template = app
            .send(json!({"to": USER, "type": "template", "template": {"name": "welcome", "language": {"code": "de"}}}))
            .await;
        app.wait_status(&template, &["delivered", "read"]).await;

        // The user answers: the window opens and free-form goes through.
        app.inject(json!({"from": USER, "text": {"body": "Hallo"}}))
            .await;
        let text = app
            .send(json!({"to": USER, "text": {"body": "Willkommen"}}))
            .await;
        app.wait_status(&text, &["delivered", "read"]).await;
    }
}

#[tokio::test]
async fn an_old_message_does_not_open_the_window() {
    let app = spawn_app().await;
    app.configure_sandbox(json!({})).await;
    let two_days_ago = wagate_core::Timestamp::now().as_second() - 48 * 3600;
    app.inject(
        json!({"from": USER, "timestamp": two_days_ago.to_string(), "text": {"body": "old"}}),
    )
    .await;
    let text = app
        .send(json!({"to": USER, "text": {"body": "late reply"}}))
        .await;
    let m = app.wait_status(&text, &["failed", "delivered"]).await;
    assert_eq!(m["error"]["code"], 131047, "{m}");
}

#[tokio::test]
async fn numbers_not_on_whatsapp_fail_with_131026() {
    let app = spawn_app().await;
    app.configure_sandbox(json!({"users": {"15550001111": {"on_whatsapp": false}}}))
        .await;
    app.simple_template("hi", "en").await;
    let id = app
        .send(json!({"to": "+1 555 000 1111", "type": "template", "template": {"name": "hi", "language": {"code": "en"}}}))
        .await;
    let m = app.wait_status(&id, &["failed"]).await;
    assert_eq!(m["error"]["code"], 131026);
    assert_eq!(m["handovers"], 0);
}

#[tokio::test]
async fn blocked_users_cannot_be_messaged() {
    for app in spawn_apps().await {
        app.configure_sandbox(json!({})).await;
        let path = format!("/v23.0/{}/block_users", app.phone_number_id);
        let stranger = "+16505550000";
        let res = app
            .post_json(
                &path,
                &json!({"messaging_product": "whatsapp", "block_users": [{"user": stranger}]}),
            )
            .await;
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["block_users"]["added_users"], json!([]));
        assert_eq!(
            body["block_users"]["failed_users"][0]["errors"][0]["code"],
            139100
        );

        app.inject(json!({"from": USER, "text": {"body": "spam spam"}}))
            .await;
        let res = app
            .post_json(&path, &json!({"messaging_product": "whatsapp", "block_users": [{"user": format!("+{USER}")}]}))
            .await;
        let body: Value = res.json().await.unwrap();
        assert_eq!(
            body,
            json!({"messaging_product": "whatsapp", "block_users": {"added_users": [{"input": format!("+{USER}"), "wa_id": USER}]}})
        );
        let listed: Value = app.get(&path).await.json().await.unwrap();
        assert_eq!(
            listed["data"],
            json!([{"messaging_product": "whatsapp", "input": USER, "wa_id": USER}])
        );

        let id = app
            .send(json!({"to": USER, "text": {"body": "still there?"}}))
            .await;
        let m = app.wait_status(&id, &["failed", "delivered"]).await;
        assert_eq!(m["error"]["code"], 131026, "{m}");

        let res = app
            .req(Method::DELETE, &path)
            .json(&json!({"messaging_product": "whatsapp", "block_users": [{"user": USER}]}))
            .send()
            .await
            .unwrap();
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["block_users"]["removed_users"][0]["wa_id"], USER);
        let listed: Value = app.get(&path).await.json().await.unwrap();
        assert_eq!(listed["data"], json!([]));
        let id = app
            .send(json!({"to": USER, "text": {"body": "welcome back"}}))
            .await;
        app.wait_status(&id, &["delivered", "read"]).await;

        let res = app
            .post_json(
                &path,
                &json!({"messaging_product": "whatsapp", "block_users": [{"user": "nope"}]}),
            )
            .await;
        assert_graph_error(res, 400, 100).await;
    }
}

#[tokio::test]
async fn another_accounts_channel_and_block_list_are_unknown() {
    let app = spawn_app().await;
    let (_, other) = app.other_account().await;
    for (method, path) in [
        (
            Method::POST,
            format!("/sandbox/{}/inbound", app.phone_number_id),
        ),
        (
            Method::GET,
            format!("/v23.0/{}/block_users", app.phone_number_id),
        ),
    ] {
        let res = app
            .with_key(method.clone(), &path, &other)
            .json(&json!({"from": USER, "text": {"body": "x"}}))
            .send()
            .await
            .unwrap();
        assert!(
            res.status() == 404 || res.status() == 400,
            "{path}: {}",
            res.status()
        );
    }
    assert!(app.messages("").await.is_empty());
}

#[tokio::test]
async fn bad_inbound_injections_are_refused_and_store_nothing() {
    let app = spawn_app().await;
    let path = format!("/sandbox/{}/inbound", app.phone_number_id);
    for (body, field) in [
        (json!({"text": {"body": "who am I"}}), "from"),
        (
            json!({"from": "not a number", "text": {"body": "x"}}),
            "from",
        ),
        (json!({"from": USER, "type": "text"}), "text"),
        (
            json!({"from": USER, "type": "text", "text": {"body": 5}}),
            "text.body",
        ),
        (json!({"from": USER, "type": "carrier_pigeon"}), "type"),
        (
            json!({"from": USER, "type": "location", "location": {"latitude": "north"}}),
            "location.latitude",
        ),
        (
            json!({"from": USER, "timestamp": "yesterday", "text": {"body": "x"}}),
            "timestamp",
        ),
        (
            json!({"from": USER, "timestamp": (wagate_core::Timestamp::now().as_second() + 3600).to_string(), "text": {"body": "x"}}),
            "timestamp",
        ),
        (
            json!({"from": USER, "id": "not-a-wamid", "text": {"body": "x"}}),
            "id",
        ),
    ] {
        let res = app.post_json(&path, &body).await;
        assert_eq!(res.status(), 400, "{body}");
        let err: Value = res.json().await.unwrap();
        assert_eq!(err["error"]["field"], field, "{body}");
        let code = err["error"]["code"].as_str().unwrap();
        assert!(
            [
                "invalid_request",
                "missing_parameter",
                "invalid_parameter_value"
            ]
            .contains(&code),
            "{err}"
        );
    }
    let res = app.post_raw(&path, "application/json", "{\"from\": ").await;
    assert_manage_error(res, 400, "malformed_json").await;
    assert!(app.messages("").await.is_empty());

    // A repeated id is refused, the first one kept.
    let id = "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI4MjZGRDA0OUE2OTQ3RkEyMzcA";
    app.inject(json!({"from": USER, "id": id, "text": {"body": "once"}}))
        .await;
    let res = app
        .post_json(
            &path,
            &json!({"from": USER, "id": id, "text": {"body": "twice"}}),
        )
        .await;
    let err = assert_manage_error(res, 400, "invalid_request").await;
    assert_eq!(err["error"]["field"], "id", "{err}");
    assert_eq!(app.messages("").await.len(), 1);
}

#[tokio::test]
async fn a_channel_can_refuse_free_form_outside_the_window_at_the_api() {
    for app in spawn_apps().await {
        app.configure_sandbox(json!({})).await;
        let id = app.channel_id().await;
        let res = app
            .patch_json(
                &format!("/api/v1/channels/{id}"),
                &json!({"window_policy": "reject"}),
            )
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(
            res.json::<Value>().await.unwrap()["window_policy"],
            "reject"
        );
        let path = format!("/v23.0/{}/messages", app.phone_number_id);
        let text = json!({"messaging_product": "whatsapp", "to": USER, "text": {"body": "hi"}});
        let err = assert_graph_error(app.post_json(&path, &text).await, 400, 131047).await;
        assert!(
            err["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("(#131047) ")
        );
        assert!(app.messages("").await.is_empty(), "nothing stored");

        // Templates are always allowed; after the user writes, free-form is too.
        app.simple_template("hi", "en").await;
        app.send(json!({"to": USER, "type": "template", "template": {"name": "hi", "language": {"code": "en"}}}))
            .await;
        app.inject(json!({"from": USER, "text": {"body": "hello"}}))
            .await;
        let id = app
            .send(json!({"to": USER, "text": {"body": "welcome"}}))
            .await;
        app.wait_status(&id, &["delivered", "read"]).await;

        let res = app
            .patch_json(
                &format!("/api/v1/channels/{}", app.channel_id().await),
                &json!({"window_policy": "maybe"}),
            )
            .await;
        let err = assert_manage_error(res, 400, "invalid_request").await;
        assert_eq!(err["error"]["field"], "window_policy");
    }
}

#[tokio::test]
async fn bad_sandbox_settings_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let id = app.channel_id().await;
    let path = format!("/api/v1/channels/{id}");
    let before: Value = app.get(&path).await.json().await.unwrap();
    for (settings, field) in [
        (
            json!({"read_percent": 101}),
            "upstream.sandbox.read_percent",
        ),
        (json!({"pair_burst": 0}), "upstream.sandbox.pair_burst"),
        (
            json!({"delivery_delay_ms": 90_000_000u64}),
            "upstream.sandbox.delivery_delay_ms",
        ),
        (
            json!({"not_on_whatsapp": ["not a number"]}),
            "upstream.sandbox.not_on_whatsapp",
        ),
        (
            json!({"users": {"15551112222": {"read_percent": 300}}}),
            "upstream.sandbox.users.15551112222.read_percent",
        ),
    ] {
        let res = app
            .patch_json(
                &path,
                &json!({"upstream": {"kind": "sandbox", "sandbox": settings}}),
            )
            .await;
        let err = assert_manage_error(res, 400, "invalid_request").await;
        assert_eq!(err["error"]["field"], field);
    }
    for settings in [
        json!({"bogus": 1}),
        json!({"read_percent": "all"}),
        json!("fast"),
    ] {
        let res = app
            .patch_json(
                &path,
                &json!({"upstream": {"kind": "sandbox", "sandbox": settings}}),
            )
            .await;
        assert_eq!(res.status(), 400, "{settings}");
    }
    let res = app
        .patch_json(
            &path,
            &json!({"upstream": {"kind": "cloud", "access_token": "EAAG", "sandbox": {}}}),
        )
        .await;
    assert_manage_error(res, 400, "invalid_request").await;
    let after: Value = app.get(&path).await.json().await.unwrap();
    assert_eq!(after["upstream"], before["upstream"], "nothing changed");
}
