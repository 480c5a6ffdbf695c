//! Authentication on both planes: missing, unknown, malformed and revoked keys; scopes.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{assert_graph_error, assert_manage_error, spawn_apps};

#[tokio::test]
async fn bad_keys_get_401_in_each_planes_format() {
    for app in spawn_apps().await {
        // Management plane: the envelope with a snake_case code.
        let res = app
            .client
            .get(app.url("/api/v1/channels"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers().get("www-authenticate").unwrap(), "Bearer");
        assert_manage_error(res, 401, "missing_api_key").await;
        for bad in ["wag_unknown", "x".repeat(600).as_str()] {
            let res = app
                .with_key(Method::GET, "/api/v1/channels", bad)
                .send()
                .await
                .unwrap();
            assert_manage_error(res, 401, "invalid_api_key").await;
        }
        let res = app
            .client
            .get(app.url("/api/v1/channels"))
            .header("authorization", "Basic dXNlcjpwYXNz")
            .send()
            .await
            .unwrap();
        assert_manage_error(res, 401, "invalid_api_key").await;

        // Cloud plane: Graph's error 190, as JSON.
        let path = format!("/v23.0/{}", app.phone_number_id);
        let res = app.client.get(app.url(&path)).send().await.unwrap();
        assert_graph_error(res, 401, 190).await;
        let res = app
            .with_key(Method::GET, &path, "wag_unknown")
            .send()
            .await
            .unwrap();
        let body = assert_graph_error(res, 401, 190).await;
        assert_eq!(body["error"]["type"], "OAuthException");
        assert_eq!(
            body["error"]["message"],
            "Invalid OAuth access token - Cannot parse access token"
        );
    }
}

#[tokio::test]
async fn keys_work_from_header_or_query_and_stop_when_revoked() {
    for app in spawn_apps().await {
        let res = app
            .client
            .get(app.url(&format!("/api/v1/account?access_token={}", app.api_key)))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let me: Value = res.json().await.unwrap();
        assert_eq!(me["id"], app.account_id.as_str());
        assert_eq!(me["api_key_channel_ids"], Value::Null);

        let created: Value = app
            .post_json("/api/v1/api-keys", &json!({"name": "short-lived"}))
            .await
            .json()
            .await
            .unwrap();
        let key = created["key"].as_str().unwrap();
        let id = created["id"].as_str().unwrap();
        let res = app
            .with_key(Method::GET, "/api/v1/channels", key)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{}", app.backend);
        let res = app
            .req(Method::DELETE, &format!("/api/v1/api-keys/{id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let res = app
            .with_key(Method::GET, "/api/v1/channels", key)
            .send()
            .await
            .unwrap();
        assert_manage_error(res, 401, "invalid_api_key").await;
        let res = app
            .with_key(Method::GET, &format!("/v23.0/{}", app.phone_number_id), key)
            .send()
            .await
            .unwrap();
        assert_graph_error(res, 401, 190).await;
    }
}

#[tokio::test]
async fn channel_scoped_keys_see_only_their_channels_and_cannot_manage() {
    for app in spawn_apps().await {
        let extra = app.create_channel(&app.api_key, "Second").await;
        let extra_id = extra["id"].as_str().unwrap();
        let created: Value = app
            .post_json(
                "/api/v1/api-keys",
                &json!({"name": "scoped", "channel_ids": [extra_id]}),
            )
            .await
            .json()
            .await
            .unwrap();
        let scoped = created["key"].as_str().unwrap();
        assert_eq!(created["channel_ids"], json!([extra_id]));

        let list: Value = app
            .with_key(Method::GET, "/api/v1/channels", scoped)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let ids: Vec<&str> = list["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, vec![extra_id]);

        // The bootstrap channel is outside the scope: it answers like an unknown id.
        let all: Value = app.get("/api/v1/channels").await.json().await.unwrap();
        let first = all["data"][0]["id"].as_str().unwrap();
        let res = app
            .with_key(Method::GET, &format!("/api/v1/channels/{first}"), scoped)
            .send()
            .await
            .unwrap();
        assert_manage_error(res, 404, "channel_not_found").await;
        let res = app
            .with_key(
                Method::GET,
                &format!("/v23.0/{}", app.phone_number_id),
                scoped,
            )
            .send()
            .await
            .unwrap();
        let body = assert_graph_error(res, 400, 100).await;
        assert_eq!(body["error"]["error_subcode"], 33);

        // Managing keys and creating channels needs an account-wide key.
        let res = app
            .with_key(Method::GET, "/api/v1/api-keys", scoped)
            .send()
            .await
            .unwrap();
        assert_manage_error(res, 403, "forbidden").await;
        let res = app
            .with_key(Method::POST, "/api/v1/channels", scoped)
            .json(&json!({"verified_name": "Nope"}))
            .send()
            .await
            .unwrap();
        assert_manage_error(res, 403, "forbidden").await;
        assert_eq!(app.channel_count().await, 2, "nothing created");

        // Nor can it reconfigure its own channel (say, point its upstream elsewhere).
        let before: Value = app
            .get(&format!("/api/v1/channels/{extra_id}"))
            .await
            .json()
            .await
            .unwrap();
        for patch in [
            json!({"upstream": {"kind": "cloud", "base_url": "http://127.0.0.1:9", "access_token": "EAAG-stolen",
                                "app_secret": "s", "verify_token": "t"}}),
            json!({"verified_name": "Renamed"}),
            json!({"throughput_mps": 1}),
        ] {
            let res = app
                .with_key(
                    Method::PATCH,
                    &format!("/api/v1/channels/{extra_id}"),
                    scoped,
                )
                .json(&patch)
                .send()
                .await
                .unwrap();
            assert_manage_error(res, 403, "forbidden").await;
        }
        let after: Value = app
            .get(&format!("/api/v1/channels/{extra_id}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(before, after, "nothing changed");
    }
}

/// A body over the limit on the Cloud plane is answered in Graph's shape and closes the
/// connection, so the client's next request goes on a fresh one and succeeds.
#[tokio::test]
async fn an_oversized_cloud_body_is_a_graph_error_and_the_next_request_works() {
    let app = crate::helpers::spawn_app().await;
    let path = format!("/v23.0/{}/messages", app.phone_number_id);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .build()
        .unwrap();
    for _ in 0..5 {
        let res = client
            .post(app.url(&path))
            .bearer_auth(&app.api_key)
            .header("content-type", "application/json")
            .body(format!(
                r#"{{"messaging_product":"whatsapp","to":"15550001111","type":"text","text":{{"body":"{}"}}}}"#,
                "x".repeat(2 * 1024 * 1024)
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers()["connection"], "close");
        assert_eq!(res.headers()["content-type"], "application/json");
        let body = assert_graph_error(res, 400, 100).await;
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("too large"),
            "{body}"
        );
        let res = client
            .get(app.url(&format!("/v23.0/{}", app.phone_number_id)))
            .bearer_auth(&app.api_key)
            .send()
            .await
            .expect("the next request on this client is answered");
        assert_eq!(res.status(), 200);
    }
}

/// A refused request whose body was never read answers `Connection: close`, so a client
/// does not send its next request on a connection the server is about to drop; one whose
/// body was read, or that had none, keeps the connection.
#[tokio::test]
async fn refused_bodies_close_the_connection_cleanly() {
    let app = crate::helpers::spawn_app().await;
    let path = format!("/v23.0/{}/messages", app.phone_number_id);
    let res = app
        .client
        .post(app.url(&path))
        .bearer_auth("wrong")
        .json(&json!({"messaging_product": "whatsapp", "to": "15550001111", "text": {"body": "x".repeat(50_000)}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["connection"], "close");
    assert_graph_error(res, 401, 190).await;
    let res = app
        .client
        .get(app.url("/api/v1/channels"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.headers().get("connection").is_none(), "no body: kept");
    // The same client goes on working.
    let ok = app.get("/api/v1/channels").await;
    assert_eq!(ok.status(), 200);
}
