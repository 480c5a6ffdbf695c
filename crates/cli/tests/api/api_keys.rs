//! `/api/v1/api-keys`: shown once, hashed at rest, revocable, scoped to one account.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{assert_manage_error, spawn_app, spawn_apps};

#[tokio::test]
async fn create_list_get_revoke() {
    for app in spawn_apps().await {
        let res = app
            .post_json("/api/v1/api-keys", &json!({"name": "ci"}))
            .await;
        assert_eq!(res.status(), 201);
        let created: Value = res.json().await.unwrap();
        let secret = created["key"].as_str().unwrap().to_owned();
        assert!(secret.starts_with("wag_") && secret.len() >= 36, "{secret}");
        assert_eq!(created["status"], "active");
        assert_eq!(created["channel_ids"], Value::Null);
        assert!(secret.starts_with(created["prefix"].as_str().unwrap()));
        let id = created["id"].as_str().unwrap().to_owned();

        let list_text = app.get("/api/v1/api-keys").await.text().await.unwrap();
        assert!(
            !list_text.contains(&secret),
            "the secret is shown once only"
        );
        let list: Value = serde_json::from_str(&list_text).unwrap();
        let names: Vec<&str> = list["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, vec!["admin (first start)", "ci"]);

        let got: Value = app
            .get(&format!("/api/v1/api-keys/{id}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(got["name"], "ci");
        assert!(got.get("key").is_none());

        let revoked: Value = app
            .req(Method::DELETE, &format!("/api/v1/api-keys/{id}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(revoked["status"], "revoked");
        let again: Value = app
            .req(Method::DELETE, &format!("/api/v1/api-keys/{id}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            again["revoked_at"], revoked["revoked_at"],
            "revoking twice keeps the first time"
        );
        let res = app
            .with_key(Method::GET, "/api/v1/account", &secret)
            .send()
            .await
            .unwrap();
        assert_manage_error(res, 401, "invalid_api_key").await;
    }
}

#[tokio::test]
async fn bad_input_and_foreign_ids() {
    for app in spawn_apps().await {
        let (_, other_key) = app.other_account().await;
        let theirs = app.create_channel(&other_key, "Theirs").await;
        let their_channel = theirs["id"].as_str().unwrap();
        let their_key: Value = app
            .with_key(Method::POST, "/api/v1/api-keys", &other_key)
            .json(&json!({"name": "theirs"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let their_key_id = their_key["id"].as_str().unwrap();

        for (body, field) in [
            (json!({}), "name"),
            (json!({"name": ""}), "name"),
            (json!({"name": "x".repeat(101)}), "name"),
            (json!({"name": 7}), "name"),
            (json!({"name": "k", "channel_ids": []}), "channel_ids"),
            (
                json!({"name": "k", "channel_ids": ["nope"]}),
                "channel_ids[0]",
            ),
            (json!({"name": "k", "channel_ids": "all"}), "channel_ids"),
            (json!({"name": "k", "scopes": ["admin"]}), "scopes"),
        ] {
            let res = app.post_json("/api/v1/api-keys", &body).await;
            let err = assert_manage_error(res, 400, "invalid_request").await;
            let got = err["error"]["field"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            assert!(
                got == field || err["error"]["message"].as_str().unwrap().contains(field),
                "{body}: {err}"
            );
        }
        // A scope naming another account's channel: not found, and no key stored.
        let res = app
            .post_json(
                "/api/v1/api-keys",
                &json!({"name": "sneaky", "channel_ids": [their_channel]}),
            )
            .await;
        let err = assert_manage_error(res, 404, "channel_not_found").await;
        assert_eq!(err["error"]["field"], "channel_ids");
        let list: Value = app.get("/api/v1/api-keys").await.json().await.unwrap();
        assert_eq!(
            list["data"].as_array().unwrap().len(),
            1,
            "{}: nothing stored",
            app.backend
        );

        // Another account's key id answers like an unknown one, and stays active.
        for id in [their_key_id, &uuid::Uuid::now_v7().to_string(), "garbage"] {
            let res = app
                .req(Method::DELETE, &format!("/api/v1/api-keys/{id}"))
                .send()
                .await
                .unwrap();
            let body = assert_manage_error(res, 404, "api_key_not_found").await;
            assert_eq!(
                body["error"]["message"],
                format!("API key `{id}` does not exist")
            );
            let res = app.get(&format!("/api/v1/api-keys/{id}")).await;
            assert_manage_error(res, 404, "api_key_not_found").await;
        }
        let res = app
            .with_key(
                Method::GET,
                "/api/v1/account",
                their_key["key"].as_str().unwrap(),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
}

#[tokio::test]
async fn unknown_routes_and_methods() {
    let app = spawn_app().await;
    let res = app.get("/api/v1/nothing-here").await;
    assert_manage_error(res, 404, "route_not_found").await;
    let res = app
        .req(Method::PUT, "/api/v1/api-keys")
        .send()
        .await
        .unwrap();
    assert_manage_error(res, 405, "method_not_allowed").await;
}
