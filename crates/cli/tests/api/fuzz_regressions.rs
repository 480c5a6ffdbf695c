//! What the fuzzers found, one test each, so it stays fixed: schemathesis over `/api/v1`
//! (`conformance/fuzz/run.sh`) and the Cloud-plane fuzzer (`fuzz_cloud`).

use std::io::{Read, Write};
use std::net::TcpStream;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{assert_graph_error, assert_manage_error, spawn_app, spawn_apps};
use crate::receiver::{Receiver, SECRET, TOKEN};

/// serde's derive took a JSON array for a struct, by position: `["Acme"]` was a channel and
/// `[null, null]` a virtual user's settings. Objects only, at every depth; nothing stored.
#[tokio::test]
async fn an_array_is_not_an_object() {
    for app in spawn_apps().await {
        let before = app.channel_count().await;
        let res = app.post_json("/api/v1/channels", &json!(["Acme"])).await;
        let body = assert_manage_error(res, 400, "invalid_request").await;
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("invalid type: sequence"),
            "{body}"
        );
        let res = app
            .post_json(
                "/api/v1/channels",
                &json!({"verified_name": "Acme", "upstream": {"kind": "sandbox",
                        "sandbox": {"users": {"15550100001": [null, null]}}}}),
            )
            .await;
        let body = assert_manage_error(res, 400, "invalid_request").await;
        assert_eq!(
            body["error"]["field"], "upstream.sandbox.users.15550100001",
            "{body}"
        );
        let res = app
            .post_json("/api/v1/api-keys", &json!(["ci", null]))
            .await;
        assert_manage_error(res, 400, "invalid_request").await;
        assert_eq!(app.channel_count().await, before, "nothing stored");
    }
}

/// JSON has one number type: `35.0` is the integer 35 where an integer is wanted (Python's
/// `json` writes it so); `35.5` is still refused.
#[tokio::test]
async fn an_integral_float_is_an_integer() {
    for app in spawn_apps().await {
        let res = app
            .post_json(
                "/api/v1/channels",
                &json!({"verified_name": "Floats", "throughput_mps": 35.0}),
            )
            .await;
        assert_eq!(res.status(), 201);
        let channel: Value = res.json().await.unwrap();
        assert_eq!(channel["throughput_mps"], 35);
        let res = app
            .post_json(
                "/api/v1/channels",
                &json!({"verified_name": "Floats", "throughput_mps": 35.5}),
            )
            .await;
        let body = assert_manage_error(res, 400, "invalid_request").await;
        assert_eq!(body["error"]["field"], "throughput_mps");
    }
}

/// A replay of an empty or reversed range replays nothing (as a list filtered by it is
/// empty), instead of a 400 that no schema could announce; an unknown subscription is
/// still 404.
#[tokio::test]
async fn an_empty_replay_range_replays_nothing() {
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    let res = app
        .post_json(
            "/api/v1/webhooks",
            &json!({"url": receiver.url, "secret": SECRET, "verify_token": TOKEN}),
        )
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (since, until) in [
        ("2000-01-01T00:00:00Z", "2000-01-01T00:00:00Z"),
        ("2001-01-01T00:00:00Z", "2000-01-01T00:00:00Z"),
    ] {
        let res = app
            .post_json(
                &format!("/api/v1/webhooks/{id}/replay"),
                &json!({"only": "all", "since": since, "until": until}),
            )
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.json::<Value>().await.unwrap(), json!({"replayed": 0}));
    }
    let res = app
        .post_json(
            "/api/v1/webhooks/01a24a19-3950-74c4-ab92-1323512f0e84/replay",
            &json!({"only": "all", "since": "2000-01-01T00:00:00Z", "until": "2000-01-01T00:00:00Z"}),
        )
        .await;
    assert_manage_error(res, 404, "subscription_not_found").await;
}

/// Issue 16, defect 3: a body over the limit on the Cloud plane was `413 text/plain`, and
/// the connection was reused for the next request, which then failed. Now it is Graph's
/// error object with `Connection: close`, and nothing is stored.
#[tokio::test]
async fn an_oversized_cloud_body_is_a_graph_error_that_closes_the_connection() {
    let app = spawn_app().await;
    let path = format!("/v23.0/{}/messages", app.phone_number_id);
    let big = json!({"messaging_product": "whatsapp", "to": "+15551230001", "type": "text",
                     "text": {"body": "x".repeat(200 * 1024)}});
    let res = app
        .req(Method::POST, &path)
        .json(&big)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers().get("connection").map(|v| v.as_bytes()),
        Some(&b"close"[..])
    );
    let body = assert_graph_error(res, 400, 100).await;
    assert!(
        body["error"]["error_data"]["details"]
            .as_str()
            .unwrap()
            .contains("too large"),
        "{body}"
    );
    let messages: Value = app.get("/api/v1/messages").await.json().await.unwrap();
    assert_eq!(messages["data"], json!([]), "nothing stored");

    // On one raw keep-alive connection: the oversized request's answer says close, and the
    // server closes, so no client sends its next request into a dead connection.
    let addr = app.base_url.trim_start_matches("http://").to_owned();
    let key = app.api_key.clone();
    let body = serde_json::to_vec(&big).unwrap();
    let answer = tokio::task::spawn_blocking(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        write!(
            s,
            "POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            key,
            body.len()
        )
        .unwrap();
        let _ = s.write_all(&body);
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    })
    .await
    .unwrap();
    let head = answer.to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 400"), "{answer}");
    assert!(head.contains("content-type: application/json"), "{answer}");
    assert!(head.contains("connection: close"), "{answer}");
}
