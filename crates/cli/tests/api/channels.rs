//! `/api/v1/channels`: create, get, list, update; bad input; other accounts' ids.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{assert_manage_error, spawn_app, spawn_apps};

#[tokio::test]
async fn create_get_list_update() {
    for app in spawn_apps().await {
        let res = app
            .post_json(
                "/api/v1/channels",
                &json!({
                    "verified_name": "Acme Shop",
                    "display_phone_number": "+1 555-010-7777",
                    "throughput_mps": 200,
                    "quality_rating": "YELLOW",
                    "messaging_limit_tier": "TIER_10K",
                    "profile": {"about": "We ship", "email": "hi@acme.example", "vertical": "RETAIL",
                                "websites": ["https://acme.example"]}
                }),
            )
            .await;
        assert_eq!(res.status(), 201);
        let ch: Value = res.json().await.unwrap();
        assert_eq!(ch["verified_name"], "Acme Shop");
        assert_eq!(ch["display_phone_number"], "+15550107777");
        assert_eq!(ch["upstream"]["kind"], "sandbox");
        assert_eq!(
            ch["upstream"]["sandbox"]["pair_burst"], 45,
            "default sandbox settings"
        );
        assert_eq!(ch["throughput_mps"], 200);
        assert_eq!(ch["quality_rating"], "YELLOW");
        assert_eq!(ch["messaging_limit_tier"], "TIER_10K");
        assert_eq!(ch["profile"]["websites"], json!(["https://acme.example"]));
        assert_eq!(ch["account_id"], app.account_id.as_str());
        assert!(
            ch["phone_number_id"]
                .as_str()
                .unwrap()
                .bytes()
                .all(|b| b.is_ascii_digit())
        );
        let id = ch["id"].as_str().unwrap();

        let got: Value = app
            .get(&format!("/api/v1/channels/{id}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(got, ch);

        // Paging: bootstrap channel first, then this one.
        let page: Value = app
            .get("/api/v1/channels?limit=1")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(page["data"].as_array().unwrap().len(), 1);
        let after = page["next_after"].as_str().unwrap();
        let next: Value = app
            .get(&format!("/api/v1/channels?limit=1&after={after}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(next["data"][0]["id"], id);
        assert_eq!(next["next_after"], Value::Null);

        let res = app
            .patch_json(
                &format!("/api/v1/channels/{id}"),
                &json!({"throughput_mps": 80, "profile": {"about": null, "address": "1 Main St"}}),
            )
            .await;
        assert_eq!(res.status(), 200);
        let updated: Value = res.json().await.unwrap();
        assert_eq!(updated["throughput_mps"], 80);
        assert_eq!(updated["profile"]["about"], Value::Null);
        assert_eq!(updated["profile"]["address"], "1 Main St");
        assert_eq!(
            updated["profile"]["email"], "hi@acme.example",
            "untouched fields kept"
        );
        assert_eq!(updated["verified_name"], "Acme Shop");
    }
}

#[tokio::test]
async fn cloud_channels_need_meta_ids_and_never_show_secrets() {
    for app in spawn_apps().await {
        let res = app
            .post_json("/api/v1/channels", &json!({"verified_name": "Live", "upstream": {"kind": "cloud", "access_token": "EAAG-secret"}}))
            .await;
        let body = assert_manage_error(res, 400, "invalid_request").await;
        assert_eq!(body["error"]["field"], "phone_number_id");

        let res = app
            .post_json(
                "/api/v1/channels",
                &json!({"verified_name": "Live", "phone_number_id": "106540352242922", "waba_id": "102290129340398",
                        "display_phone_number": "+1 415 555 2671",
                        "upstream": {"kind": "cloud", "access_token": "EAAG-secret", "app_secret": "shh"}}),
            )
            .await;
        assert_eq!(res.status(), 201);
        let text = res.text().await.unwrap();
        assert!(
            !text.contains("EAAG-secret") && !text.contains("shh"),
            "secrets leaked: {text}"
        );
        let ch: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(ch["upstream"]["kind"], "cloud");
        assert_eq!(ch["upstream"]["access_token_set"], true);
        assert_eq!(ch["upstream"]["app_secret_set"], true);
        assert_eq!(ch["upstream"]["verify_token_set"], false);
        assert_eq!(ch["upstream"]["base_url"], "https://graph.facebook.com");

        // The same Meta number twice is a conflict.
        let res = app
            .post_json(
                "/api/v1/channels",
                &json!({"verified_name": "Again", "phone_number_id": "106540352242922", "waba_id": "1",
                        "display_phone_number": "+14155552671", "upstream": {"kind": "cloud", "access_token": "t"}}),
            )
            .await;
        assert_manage_error(res, 409, "phone_number_id_taken").await;
        assert_eq!(app.channel_count().await, 2);
    }
}

#[tokio::test]
async fn bad_input_is_refused_and_nothing_is_stored() {
    let app = spawn_app().await;
    let long = |n: usize| "x".repeat(n);
    let cases: Vec<(Value, &str)> = vec![
        (json!({}), "verified_name"),
        (json!({"verified_name": 5}), "verified_name"),
        (json!({"verified_name": ""}), "verified_name"),
        (json!({"verified_name": long(257)}), "verified_name"),
        (
            json!({"verified_name": "a", "throughput_mps": 0}),
            "throughput_mps",
        ),
        (
            json!({"verified_name": "a", "throughput_mps": 1001}),
            "throughput_mps",
        ),
        (
            json!({"verified_name": "a", "throughput_mps": "fast"}),
            "throughput_mps",
        ),
        (
            json!({"verified_name": "a", "throughput_mps": -1}),
            "throughput_mps",
        ),
        (
            json!({"verified_name": "a", "quality_rating": "green"}),
            "quality_rating",
        ),
        (
            json!({"verified_name": "a", "messaging_limit_tier": "TIER_1"}),
            "messaging_limit_tier",
        ),
        (
            json!({"verified_name": "a", "display_phone_number": "not a number"}),
            "display_phone_number",
        ),
        (
            json!({"verified_name": "a", "phone_number_id": "12ab"}),
            "phone_number_id",
        ),
        (
            json!({"verified_name": "a", "upstream": {"kind": "carrier-pigeon"}}),
            "upstream.kind",
        ),
        (
            json!({"verified_name": "a", "upstream": {"kind": "sandbox", "access_token": "t"}}),
            "upstream",
        ),
        (
            json!({"verified_name": "a", "profile": {"about": long(140)}}),
            "profile.about",
        ),
        (
            json!({"verified_name": "a", "profile": {"description": long(513)}}),
            "profile.description",
        ),
        (
            json!({"verified_name": "a", "profile": {"email": "nope"}}),
            "profile.email",
        ),
        (
            json!({"verified_name": "a", "profile": {"websites": ["https://a.example", "https://b.example", "https://c.example"]}}),
            "profile.websites",
        ),
        (
            json!({"verified_name": "a", "profile": {"websites": ["ftp://a.example"]}}),
            "profile.websites",
        ),
        (
            json!({"verified_name": "a", "profile": {"vertical": "SPACESHIPS"}}),
            "profile.vertical",
        ),
        (
            json!({"verified_name": "a", "verifed_name": "typo"}),
            "verifed_name",
        ),
    ];
    for (body, field) in cases {
        let res = app.post_json("/api/v1/channels", &body).await;
        let err = assert_manage_error(res, 400, "invalid_request").await;
        let got = err["error"]["field"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let message = err["error"]["message"].as_str().unwrap();
        assert!(
            got == field || message.contains(field),
            "{body}: expected field {field}, got {err}"
        );
    }

    let res = app
        .post_raw(
            "/api/v1/channels",
            "application/json",
            "{\"verified_name\": ",
        )
        .await;
    assert_manage_error(res, 400, "malformed_json").await;
    let res = app
        .post_raw("/api/v1/channels", "application/json", "[1,2]")
        .await;
    assert_manage_error(res, 400, "invalid_request").await;
    let res = app
        .post_raw(
            "/api/v1/channels",
            "text/plain",
            "{\"verified_name\":\"a\"}",
        )
        .await;
    assert_manage_error(res, 415, "unsupported_media_type").await;
    let res = app
        .req(Method::POST, "/api/v1/channels")
        .body("{\"verified_name\":\"a\"}")
        .send()
        .await
        .unwrap();
    assert_manage_error(res, 415, "unsupported_media_type").await;
    let huge = format!("{{\"verified_name\":\"{}\"}}", "x".repeat(100 * 1024));
    let res = app
        .post_raw("/api/v1/channels", "application/json", huge)
        .await;
    assert_manage_error(res, 413, "payload_too_large").await;

    // Updates: same parsing, plus "nothing to change".
    let all: Value = app.get("/api/v1/channels").await.json().await.unwrap();
    let id = all["data"][0]["id"].as_str().unwrap().to_owned();
    let before = all["data"][0].clone();
    for (body, field) in [
        (json!({}), "body"),
        (json!({"throughput_mps": 5000}), "throughput_mps"),
        (json!({"phone_number_id": "1"}), "phone_number_id"),
        (json!({"profile": {"about": ""}}), "profile.about"),
    ] {
        let res = app
            .patch_json(&format!("/api/v1/channels/{id}"), &body)
            .await;
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
    let res = app.get("/api/v1/channels?limit=0").await;
    assert_manage_error(res, 400, "invalid_query").await;
    let res = app.get("/api/v1/channels?limit=abc").await;
    assert_manage_error(res, 400, "invalid_query").await;
    let res = app.get("/api/v1/channels?after=zzz").await;
    assert_manage_error(res, 400, "invalid_query").await;

    assert_eq!(app.channel_count().await, 1, "nothing stored");
    let after: Value = app
        .get(&format!("/api/v1/channels/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(after, before, "nothing changed");
}

#[tokio::test]
async fn other_accounts_ids_answer_like_unknown_ids() {
    for app in spawn_apps().await {
        let (_, other_key) = app.other_account().await;
        let theirs = app.create_channel(&other_key, "Theirs").await;
        let their_id = theirs["id"].as_str().unwrap();
        let unknown = uuid::Uuid::now_v7().to_string();

        for id in [their_id, unknown.as_str(), "not-a-uuid"] {
            let res = app.get(&format!("/api/v1/channels/{id}")).await;
            let body = assert_manage_error(res, 404, "channel_not_found").await;
            assert_eq!(
                body["error"]["message"],
                format!("channel `{id}` does not exist")
            );
            let res = app
                .patch_json(
                    &format!("/api/v1/channels/{id}"),
                    &json!({"verified_name": "Mine now"}),
                )
                .await;
            assert_manage_error(res, 404, "channel_not_found").await;
        }
        let list: Value = app.get("/api/v1/channels").await.json().await.unwrap();
        assert!(
            list["data"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["id"] != their_id)
        );
        let still: Value = app
            .with_key(
                Method::GET,
                &format!("/api/v1/channels/{their_id}"),
                &other_key,
            )
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            still["verified_name"], "Theirs",
            "the other account's channel is untouched"
        );
    }
}
