//! Phone-number settings (`/{phone_number_id}/settings`), conversational automation
//! (`/{phone_number_id}/conversational_automation`, read back through
//! `GET /{phone_number_id}?fields=conversational_automation`) and new numbers
//! (`POST /{waba_id}/phone_numbers`) on the Cloud plane: stored and answered back, merged per
//! key, bad input refused with Graph code 100 and nothing stored, another account's ids
//! unknown (100/33), and a new number unregistered and unverified until it goes through
//! request_code, verify_code and register, on every backend.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_graph_error, spawn_apps};

async fn ok(res: reqwest::Response) {
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"success": true}));
}

/// Graph's code 100 naming `field`, without a subcode.
async fn assert_bad(res: reqwest::Response, field: &str) {
    let body = assert_graph_error(res, 400, 100).await;
    assert!(body["error"].get("error_subcode").is_none(), "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains(field), "{field} named in {body}");
}

async fn assert_unknown(res: reqwest::Response) {
    let body = assert_graph_error(res, 400, 100).await;
    assert_eq!(body["error"]["error_subcode"], 33, "{body}");
}

async fn get_json(app: &TestApp, path: &str) -> Value {
    let res = app.get(path).await;
    assert_eq!(res.status(), 200, "{path}");
    res.json().await.unwrap()
}

async fn waba(app: &TestApp) -> String {
    let list = get_json(app, "/api/v1/channels").await;
    list["data"][0]["waba_id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn settings_are_stored_merged_per_key_and_checked() {
    for app in spawn_apps().await {
        let path = format!("/v23.0/{}/settings", app.phone_number_id);
        // Defaults before anything was written.
        let before = get_json(&app, &path).await;
        assert_eq!(before["calling"]["status"], "DISABLED", "{before}");
        assert_eq!(before["storage_configuration"]["status"], "DEFAULT");

        ok(app
            .post_json(
                &path,
                &json!({"calling": {"status": "ENABLED", "call_icon_visibility": "DEFAULT"},
                        "fallback_language": "en_US"}),
            )
            .await)
        .await;
        // Unversioned, as a form: only the named key changes.
        let res = app
            .post_raw(
                &format!("/{}/settings", app.phone_number_id),
                "application/x-www-form-urlencoded",
                "user_identity_change=%7B%22enable_identity_key_check%22%3Atrue%7D",
            )
            .await;
        ok(res).await;
        let after = get_json(&app, &path).await;
        assert_eq!(
            after["calling"],
            json!({"status": "ENABLED", "call_icon_visibility": "DEFAULT"})
        );
        assert_eq!(after["fallback_language"], "en_US");
        assert_eq!(
            after["user_identity_change"],
            json!({"enable_identity_key_check": true})
        );
        let narrowed = get_json(&app, &format!("{path}?fields=calling,fallback_language")).await;
        assert_eq!(
            narrowed.as_object().unwrap().keys().collect::<Vec<_>>(),
            ["calling", "fallback_language"]
        );

        // Bad input: code 100 naming the parameter, nothing stored.
        for (body, field) in [
            (json!({"colour": "red"}), "colour"),
            (json!({"calling": "on"}), "calling"),
            (json!({"calling": {"status": "ON"}}), "calling.status"),
            (
                json!({"user_identity_change": {"enable_identity_key_check": "yes"}}),
                "user_identity_change.enable_identity_key_check",
            ),
            (json!({"fallback_language": 7}), "fallback_language"),
            (json!({}), "settings"),
        ] {
            assert_bad(app.post_json(&path, &body).await, field).await;
        }
        assert_bad(app.get(&format!("{path}?fields=colour")).await, "fields").await;
        assert_eq!(get_json(&app, &path).await, after);

        // Another account: unknown both ways; its own number starts from the defaults.
        let (_, other_key) = app.other_account().await;
        for method in [Method::GET, Method::POST] {
            let res = app
                .with_key(method, &path, &other_key)
                .json(&json!({"fallback_language": "de"}))
                .send()
                .await
                .unwrap();
            assert_unknown(res).await;
        }
        let theirs = app.create_channel(&other_key, "Theirs").await;
        let theirs = theirs["phone_number_id"].as_str().unwrap();
        assert_unknown(app.get(&format!("/v23.0/{theirs}/settings")).await).await;
        assert_eq!(get_json(&app, &path).await, after);
        app.stop().await;
    }
}

#[tokio::test]
async fn conversational_automation_is_stored_and_read_back() {
    for app in spawn_apps().await {
        let path = format!("/v23.0/{}/conversational_automation", app.phone_number_id);
        let read = format!(
            "/v23.0/{}?fields=conversational_automation",
            app.phone_number_id
        );
        let initial = get_json(&app, &read).await;
        assert_eq!(
            initial["conversational_automation"],
            json!({"id": app.phone_number_id, "enable_welcome_message": false,
                   "prompts": [], "commands": []})
        );
        // pywa's shape: commands as a JSON string.
        ok(app
            .post_json(
                &path,
                &json!({"prompts": ["What do you sell?"],
                        "commands": "[{\"command_name\":\"help\",\"command_description\":\"Get help\"}]"}),
            )
            .await)
        .await;
        ok(app
            .post_json(&path, &json!({"enable_welcome_message": true}))
            .await)
        .await;
        let stored = json!({"id": app.phone_number_id, "enable_welcome_message": true,
                            "prompts": ["What do you sell?"],
                            "commands": [{"command_name": "help", "command_description": "Get help"}]});
        assert_eq!(
            get_json(&app, &read).await["conversational_automation"],
            stored
        );

        for (body, field) in [
            (json!({"prompts": ["a", "b", "c", "d", "e"]}), "prompts"),
            (json!({"prompts": ["x".repeat(81)]}), "prompts[0]"),
            (json!({"prompts": "nope"}), "prompts"),
            (
                json!({"commands": [{"command_name": "x".repeat(33), "command_description": "d"}]}),
                "commands[0].command_name",
            ),
            (
                json!({"commands": [{"command_name": "a", "command_description": "x".repeat(257)}]}),
                "commands[0].command_description",
            ),
            (
                json!({"commands": [{"command_name": "a"}]}),
                "commands[0].command_description",
            ),
            (
                json!({"enable_welcome_message": 3}),
                "enable_welcome_message",
            ),
            (json!({}), "conversational_automation"),
        ] {
            assert_bad(app.post_json(&path, &body).await, field).await;
        }
        let too_many: Vec<Value> = (0..31)
            .map(|i| json!({"command_name": format!("c{i}"), "command_description": "d"}))
            .collect();
        assert_bad(
            app.post_json(&path, &json!({"commands": too_many})).await,
            "commands",
        )
        .await;
        assert_eq!(
            get_json(&app, &read).await["conversational_automation"],
            stored
        );

        let (_, other_key) = app.other_account().await;
        let res = app
            .with_key(Method::POST, &path, &other_key)
            .json(&json!({"enable_welcome_message": false}))
            .send()
            .await
            .unwrap();
        assert_unknown(res).await;
        assert_eq!(
            get_json(&app, &read).await["conversational_automation"],
            stored
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn new_numbers_join_the_waba_unregistered_until_verified_and_registered() {
    for app in spawn_apps().await {
        let waba = waba(&app).await;
        let path = format!("/v23.0/{waba}/phone_numbers");
        let res = app
            .post_json(
                &path,
                &json!({"country_code": "1", "phone_number": "5550190001",
                        "verified_name": "Second Line"}),
            )
            .await;
        assert_eq!(res.status(), 200);
        let created: Value = res.json().await.unwrap();
        let pnid = created["id"].as_str().unwrap().to_owned();
        assert!(pnid.bytes().all(|b| b.is_ascii_digit()), "{created}");

        // Listed in the WABA, not registered nor verified.
        let list = get_json(&app, &format!("{path}?fields=id,display_phone_number,status,code_verification_status,verified_name")).await;
        let number = list["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["id"] == pnid.as_str())
            .cloned()
            .unwrap_or_else(|| panic!("{list}"));
        assert_eq!(number["display_phone_number"], "+15550190001");
        assert_eq!(number["verified_name"], "Second Line");
        assert_eq!(number["status"], "PENDING");
        assert_eq!(number["code_verification_status"], "NOT_VERIFIED");

        // It cannot send until request_code, verify_code and register.
        let send_path = format!("/v23.0/{pnid}/messages");
        let text = json!({"messaging_product": "whatsapp", "to": "16505550001",
                          "type": "text", "text": {"body": "hi"}});
        let send = || app.post_json(&send_path, &text);
        assert_graph_error(send().await, 400, 133010).await;
        ok(app
            .post_json(
                &format!("/v23.0/{pnid}/request_code"),
                &json!({"code_method": "SMS", "language": "en"}),
            )
            .await)
        .await;
        let code = get_json(&app, &format!("/sandbox/{pnid}/verification_code")).await;
        ok(app
            .post_json(
                &format!("/v23.0/{pnid}/verify_code"),
                &json!({"code": code["code"]}),
            )
            .await)
        .await;
        ok(app
            .post_json(
                &format!("/v23.0/{pnid}/register"),
                &json!({"messaging_product": "whatsapp", "pin": "123456"}),
            )
            .await)
        .await;
        assert_eq!(send().await.status(), 200);

        // The same number again, bad input: code 100 naming the problem.
        assert_bad(
            app.post_json(
                &path,
                &json!({"country_code": "1", "phone_number": "5550190001",
                        "verified_name": "Again"}),
            )
            .await,
            "+15550190001",
        )
        .await;
        for (body, field) in [
            (
                json!({"country_code": "1234", "phone_number": "5550190002", "verified_name": "X"}),
                "country_code",
            ),
            (
                json!({"country_code": "1", "phone_number": "555-CALL", "verified_name": "X"}),
                "phone_number",
            ),
            (
                json!({"country_code": "1", "phone_number": "5550190002", "verified_name": ""}),
                "verified_name",
            ),
            (
                json!({"country_code": "1", "phone_number": "5550190002"}),
                "verified_name",
            ),
        ] {
            let res = app.post_json(&path, &body).await;
            let err = assert_graph_error(res, 400, 100).await;
            assert!(
                err["error"]["message"].as_str().unwrap().contains(field),
                "{field}: {err}"
            );
        }

        // Another account's WABA is unknown.
        let (_, other_key) = app.other_account().await;
        let res = app
            .with_key(Method::POST, &path, &other_key)
            .json(&json!({"country_code": "1", "phone_number": "5550190003", "verified_name": "X"}))
            .send()
            .await
            .unwrap();
        assert_unknown(res).await;
        app.stop().await;
    }
}
