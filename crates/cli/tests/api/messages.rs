//! Sending on the Cloud plane and reading messages back on the management plane.

use futures::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_graph_error, assert_manage_error, spawn_app, spawn_apps};

/// How many messages the account has (every accepted message is stored before the answer).
async fn stored(app: &TestApp) -> u64 {
    let list: Value = app
        .get("/api/v1/messages?limit=100")
        .await
        .json()
        .await
        .unwrap();
    list["data"].as_array().unwrap().len() as u64
}

#[tokio::test]
async fn send_text_answers_like_meta_and_is_stored() {
    for app in spawn_apps().await {
        for prefix in ["/v23.0", ""] {
            let res = app
                .post_json(
                    &format!("{prefix}/{}/messages", app.phone_number_id),
                    &json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": "+1 (650) 555-1234",
                            "type": "text", "text": {"body": "Hello from wagate ✓", "preview_url": false},
                            "biz_opaque_callback_data": "order-7"}),
                )
                .await;
            assert_eq!(res.status(), 200);
            assert_eq!(
                res.headers().get("content-type").unwrap(),
                "application/json"
            );
            let body: Value = res.json().await.unwrap();
            let wamid = body["messages"][0]["id"].as_str().unwrap().to_owned();
            assert!(wamid.starts_with("wamid."), "{wamid}");
            assert_eq!(
                body,
                json!({"messaging_product": "whatsapp",
                       "contacts": [{"input": "+1 (650) 555-1234", "wa_id": "16505551234"}],
                       "messages": [{"id": wamid, "message_status": "accepted"}]})
            );

            let msg: Value = app
                .get(&format!("/api/v1/messages/{wamid}"))
                .await
                .json()
                .await
                .unwrap();
            assert!(
                ["accepted", "sent", "failed"].contains(&msg["status"].as_str().unwrap()),
                "{msg}"
            );
            assert_eq!(msg["direction"], "outbound");
            assert_eq!(msg["type"], "text");
            assert_eq!(
                msg["content"],
                json!({"body": "Hello from wagate ✓", "preview_url": false})
            );
            assert_eq!(msg["wa_id"], "16505551234");
            assert_eq!(msg["biz_opaque_callback_data"], "order-7");
            let by_id: Value = app
                .get(&format!("/api/v1/messages/{}", msg["id"].as_str().unwrap()))
                .await
                .json()
                .await
                .unwrap();
            assert_eq!(by_id["wamid"], msg["wamid"]);
            assert_eq!(by_id["content"], msg["content"]);
        }
        assert_eq!(
            stored(&app).await,
            2,
            "{}: each accepted message is stored",
            app.backend
        );
    }
}

#[tokio::test]
async fn concurrent_sends_are_all_accepted_and_queued() {
    for app in spawn_apps().await {
        let path = format!("/v23.0/{}/messages", app.phone_number_id);
        let bodies: Vec<Value> = (0..50)
            .map(|i| json!({"messaging_product": "whatsapp", "to": format!("1650555{i:04}"), "text": {"body": "hi"}}))
            .collect();
        let sends = bodies.iter().map(|b| app.post_json(&path, b));
        let mut ids = std::collections::HashSet::new();
        for res in join_all(sends).await {
            assert_eq!(res.status(), 200);
            let body: Value = res.json().await.unwrap();
            ids.insert(body["messages"][0]["id"].as_str().unwrap().to_owned());
        }
        assert_eq!(ids.len(), 50, "unique wamids");
        assert_eq!(stored(&app).await, 50);
    }
}

#[tokio::test]
async fn bad_sends_are_graph_errors_and_store_nothing() {
    let app = spawn_app().await;
    let path = format!("/v23.0/{}/messages", app.phone_number_id);
    let long = "x".repeat(4097);
    for body in [
        json!({"to": "+16505551234", "text": {"body": "hi"}}),
        json!({"messaging_product": "sms", "to": "+16505551234", "text": {"body": "hi"}}),
        json!({"messaging_product": "whatsapp", "text": {"body": "hi"}}),
        json!({"messaging_product": "whatsapp", "to": "not a phone", "text": {"body": "hi"}}),
        json!({"messaging_product": "whatsapp", "to": ["+16505551234"], "text": {"body": "hi"}}),
        json!({"messaging_product": "whatsapp", "to": "+16505551234"}),
        json!({"messaging_product": "whatsapp", "to": "+16505551234", "text": {"body": ""}}),
        json!({"messaging_product": "whatsapp", "to": "+16505551234", "text": {"body": long}}),
        json!({"messaging_product": "whatsapp", "to": "+16505551234", "text": {"body": "hi"}, "context": {"message_id": 5}}),
        json!({"messaging_product": "whatsapp", "to": "+16505551234", "text": {"body": "hi"}, "biz_opaque_callback_data": "x".repeat(600)}),
        json!({"messaging_product": "whatsapp", "recipient_type": "broadcast", "to": "+16505551234", "text": {"body": "hi"}}),
        json!(["not", "an", "object"]),
    ] {
        let res = app.post_json(&path, &body).await;
        assert_eq!(res.status(), 400);
        let err: Value = res.json().await.unwrap();
        let code = err["error"]["code"].as_u64().unwrap();
        assert!([100, 131008, 131009].contains(&code), "{err}");
        assert!(
            err["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with(&format!("(#{code}) ")),
            "{err}"
        );
        assert!(err["error"]["error_data"]["details"].is_string());
    }
    let res = app
        .post_raw(&path, "application/json", "{\"messaging_product\": ")
        .await;
    assert_graph_error(res, 400, 100).await;
    let res = app
        .with_key(Method::POST, &path, "wag_nope")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_graph_error(res, 401, 190).await;
    let res = app
        .post_json(
            "/v23.0/999999/messages",
            &json!({"messaging_product": "whatsapp", "to": "1", "text": {"body": "x"}}),
        )
        .await;
    let err = assert_graph_error(res, 400, 100).await;
    assert_eq!(err["error"]["error_subcode"], 33);
    assert_eq!(stored(&app).await, 0, "nothing stored for rejected sends");
}

#[tokio::test]
async fn accounts_cannot_send_from_or_read_each_other() {
    for app in spawn_apps().await {
        let (_, other_key) = app.other_account().await;
        let path = format!("/v23.0/{}/messages", app.phone_number_id);
        let send =
            json!({"messaging_product": "whatsapp", "to": "+16505551234", "text": {"body": "hi"}});
        let res = app
            .with_key(Method::POST, &path, &other_key)
            .json(&send)
            .send()
            .await
            .unwrap();
        let err = assert_graph_error(res, 400, 100).await;
        assert_eq!(err["error"]["error_subcode"], 33);
        assert_eq!(stored(&app).await, 0);

        let sent: Value = app.post_json(&path, &send).await.json().await.unwrap();
        let wamid = sent["messages"][0]["id"].as_str().unwrap();
        for key in [wamid, "wamid.SomethingElse", "garbage"] {
            let res = app
                .with_key(Method::GET, &format!("/api/v1/messages/{key}"), &other_key)
                .send()
                .await
                .unwrap();
            let body = assert_manage_error(res, 404, "message_not_found").await;
            assert_eq!(
                body["error"]["message"],
                format!("message `{key}` does not exist")
            );
        }
    }
}
