//! Admin keys and the audit log through real HTTP, on every backend.

use reqwest::Method;
use serde_json::{Value, json};
use wagate_app::Principal;
use wagate_core::text::KeyName;

use crate::helpers::{TestApp, assert_manage_error, spawn_apps};

async fn keys(app: &TestApp) -> Vec<Value> {
    let body: Value = app.get("/api/v1/api-keys").await.json().await.unwrap();
    body["data"].as_array().unwrap().clone()
}

async fn create_key(app: &TestApp, key: &str, body: Value) -> reqwest::Response {
    app.with_key(Method::POST, "/api/v1/api-keys", key)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn audit(app: &TestApp, key: &str, query: &str) -> Value {
    let res = app
        .with_key(Method::GET, &format!("/api/v1/audit-log{query}"), key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "audit-log{query}");
    res.json().await.unwrap()
}

fn actions(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn only_admin_keys_mint_admin_keys() {
    for app in spawn_apps().await {
        let listed = keys(&app).await;
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0]["name"], "admin (first start)");
        assert_eq!(listed[0]["admin"], true, "first start's key is admin");

        // The admin key makes an ordinary account-wide key…
        let res = create_key(&app, &app.api_key, json!({"name": "ops"})).await;
        assert_eq!(res.status(), 201);
        let ops: Value = res.json().await.unwrap();
        assert_eq!(ops["admin"], false);
        let ops_key = ops["key"].as_str().unwrap().to_owned();

        // …which cannot mint an admin key, nor read the audit log; nothing is stored.
        let res = create_key(&app, &ops_key, json!({"name": "sneaky", "admin": true})).await;
        assert_manage_error(res, 403, "forbidden").await;
        assert_eq!(keys(&app).await.len(), 2);
        let res = app
            .with_key(Method::GET, "/api/v1/audit-log", &ops_key)
            .send()
            .await
            .unwrap();
        assert_manage_error(res, 403, "forbidden").await;
        // It cannot revoke the admin key either.
        let admin_id = keys(&app).await[0]["id"].as_str().unwrap().to_owned();
        let res = app
            .with_key(
                Method::DELETE,
                &format!("/api/v1/api-keys/{admin_id}"),
                &ops_key,
            )
            .send()
            .await
            .unwrap();
        assert_manage_error(res, 403, "forbidden").await;

        // An admin key is account-wide by definition.
        let channel = app.create_channel(&app.api_key, "Scoped").await;
        let res = create_key(
            &app,
            &app.api_key,
            json!({"name": "x", "admin": true, "channel_ids": [channel["id"]]}),
        )
        .await;
        let body = assert_manage_error(res, 400, "invalid_request").await;
        assert_eq!(body["error"]["field"], "channel_ids");
        // A channel-scoped key is refused the audit log too.
        let res = create_key(
            &app,
            &app.api_key,
            json!({"name": "s", "channel_ids": [channel["id"]]}),
        )
        .await;
        let scoped: Value = res.json().await.unwrap();
        let res = app
            .with_key(
                Method::GET,
                "/api/v1/audit-log",
                scoped["key"].as_str().unwrap(),
            )
            .send()
            .await
            .unwrap();
        assert_manage_error(res, 403, "forbidden").await;

        // The admin key mints an admin key, which works as one.
        let res = create_key(
            &app,
            &app.api_key,
            json!({"name": "second admin", "admin": true}),
        )
        .await;
        assert_eq!(res.status(), 201);
        let second: Value = res.json().await.unwrap();
        assert_eq!(second["admin"], true);
        assert_eq!(second["channel_ids"], Value::Null);
        let page = audit(&app, second["key"].as_str().unwrap(), "").await;
        assert!(!page["data"].as_array().unwrap().is_empty());
    }
}

#[tokio::test]
async fn management_actions_are_logged_for_admins_of_their_account_only() {
    for app in spawn_apps().await {
        let admin_id = keys(&app).await[0]["id"].as_str().unwrap().to_owned();

        let channel = app.create_channel(&app.api_key, "Audited").await;
        let id = channel["id"].as_str().unwrap();
        let res = app
            .patch_json(
                &format!("/api/v1/channels/{id}"),
                &json!({"verified_name": "Audited Two", "throughput_mps": 50}),
            )
            .await;
        assert_eq!(res.status(), 200);
        let res = app
            .post_json(
                "/api/v1/channels",
                &json!({"verified_name": "Live", "phone_number_id": "106540352242922",
                        "waba_id": "102290129340398", "display_phone_number": "+1 415 555 2671",
                        "upstream": {"kind": "cloud", "access_token": "EAAG-very-secret", "app_secret": "shh-secret"}}),
            )
            .await;
        assert_eq!(res.status(), 201);
        let res = create_key(&app, &app.api_key, json!({"name": "ops"})).await;
        let ops: Value = res.json().await.unwrap();
        let ops_key = ops["key"].as_str().unwrap().to_owned();
        let ops_id = ops["id"].as_str().unwrap().to_owned();
        // The ops key acts too: its entries name it.
        let res = app
            .with_key(Method::POST, "/api/v1/channels", &ops_key)
            .json(&json!({"verified_name": "By ops"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        let res = app
            .req(Method::DELETE, &format!("/api/v1/api-keys/{ops_id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        // Revoking again changes nothing and logs nothing.
        app.req(Method::DELETE, &format!("/api/v1/api-keys/{ops_id}"))
            .send()
            .await
            .unwrap();
        // A refused change is not logged.
        let res = app
            .patch_json(
                &format!("/api/v1/channels/{id}"),
                &json!({"throughput_mps": 0}),
            )
            .await;
        assert_eq!(res.status(), 400);

        let page = audit(&app, &app.api_key, "").await;
        assert_eq!(
            actions(&page),
            [
                "api_key.revoke",
                "channel.create",
                "api_key.create",
                "channel.create",
                "channel.update",
                "channel.create"
            ],
            "newest first"
        );
        let entries = page["data"].as_array().unwrap();
        let update = &entries[4];
        assert_eq!(update["key_id"], admin_id.as_str());
        assert_eq!(update["target"], json!({"type": "channel", "id": id}));
        assert_eq!(update["summary"], "changed: verified_name, throughput_mps");
        assert_eq!(entries[1]["key_id"], ops_id.as_str());
        assert_eq!(entries[0]["target"]["id"], ops_id.as_str());
        let text = page.to_string();
        for secret in ["EAAG-very-secret", "shh-secret", ops_key.as_str()] {
            assert!(!text.contains(secret), "{secret} in the audit log: {text}");
        }
        let at = entries[3]["at"].as_str().unwrap().to_owned();

        // Filters.
        let page = audit(&app, &app.api_key, "?action=channel.create").await;
        assert_eq!(actions(&page), ["channel.create"; 3]);
        let page = audit(&app, &app.api_key, &format!("?key_id={ops_id}")).await;
        assert_eq!(actions(&page), ["channel.create"]);
        let page = audit(&app, &app.api_key, &format!("?until={at}")).await;
        // Compared as times: RFC 3339 text drops trailing zeros of the fraction, so
        // `…:00.1Z` sorts after `…:00.123Z` as a string.
        let time = |s: &str| s.parse::<wagate_core::Timestamp>().unwrap();
        let until = time(&at);
        assert!(
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .all(|e| time(e["at"].as_str().unwrap()) < until)
        );
        let page = audit(&app, &app.api_key, &format!("?since={at}")).await;
        assert!(page["data"].as_array().unwrap().len() >= 4);
        let page = audit(&app, &app.api_key, "?since=2999-01-01T00:00:00Z").await;
        assert!(page["data"].as_array().unwrap().is_empty());

        // Cursor paging walks every entry once, newest first.
        let mut seen = Vec::new();
        let mut after = String::new();
        loop {
            let page = audit(&app, &app.api_key, &format!("?limit=4{after}")).await;
            seen.extend(actions(&page));
            match page["next_after"].as_str() {
                Some(next) => after = format!("&after={next}"),
                None => break,
            }
        }
        assert_eq!(seen.len(), 6);
        assert_eq!(seen[0], "api_key.revoke");

        // Bad filters are the management plane's 400s.
        for (query, field) in [
            ("?action=channel.explode", "action"),
            ("?key_id=nope", "key_id"),
            ("?since=yesterday", "since"),
            ("?limit=0", "limit"),
            ("?after=nope", "after"),
        ] {
            let res = app.get(&format!("/api/v1/audit-log{query}")).await;
            let body = assert_manage_error(res, 400, "invalid_query").await;
            assert_eq!(body["error"]["field"], field, "{query}");
        }

        // Another account's admin sees its own entries only: here the operator's key
        // creation (no key id), none of the first account's.
        let (other_id, _) = app.other_account().await;
        let (_, other_admin) = app
            .app
            .create_admin_api_key(
                &Principal::operator(other_id.parse().unwrap()),
                KeyName::parse("other admin").unwrap(),
            )
            .await
            .unwrap();
        let page = audit(&app, other_admin.expose(), "").await;
        assert_eq!(actions(&page), ["api_key.create", "api_key.create"]);
        assert!(
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .all(|e| e["key_id"].is_null())
        );
        assert!(!page.to_string().contains(id));
    }
}
