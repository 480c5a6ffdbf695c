//! The Cloud plane's phone-number object and its Graph errors.

use reqwest::Method;
use serde_json::Value;

use crate::helpers::{assert_graph_error, spawn_app, spawn_apps};

#[tokio::test]
async fn phone_number_with_any_version_or_none() {
    for app in spawn_apps().await {
        for prefix in ["/v23.0", "/v15.0", "/v9", ""] {
            let res = app.get(&format!("{prefix}/{}", app.phone_number_id)).await;
            assert_eq!(res.status(), 200, "{prefix}");
            assert_eq!(
                res.headers().get("content-type").unwrap(),
                "application/json"
            );
            let body: Value = res.json().await.unwrap();
            assert_eq!(body["id"], app.phone_number_id.as_str());
            assert_eq!(body["verified_name"], "wagate Sandbox");
            assert_eq!(body["quality_rating"], "GREEN");
            assert_eq!(body["throughput"]["level"], "STANDARD");
            assert!(
                body["display_phone_number"]
                    .as_str()
                    .unwrap()
                    .starts_with("+1555010")
            );
        }
        let body: Value = app
            .get(&format!(
                "/v23.0/{}?fields=account_mode,whatsapp_business_manager_messaging_limit",
                app.phone_number_id
            ))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(body["account_mode"], "SANDBOX");
        assert_eq!(
            body["whatsapp_business_manager_messaging_limit"],
            "TIER_250"
        );
        assert!(
            body.get("verified_name").is_none(),
            "only the asked fields (and id)"
        );
    }
}

#[tokio::test]
async fn unknown_and_foreign_objects_are_graph_100_33() {
    for app in spawn_apps().await {
        let (_, other_key) = app.other_account().await;
        let theirs = app.create_channel(&other_key, "Theirs").await;
        let their_pnid = theirs["phone_number_id"].as_str().unwrap();
        for id in [their_pnid, "123456789", "abc"] {
            let res = app.get(&format!("/v23.0/{id}")).await;
            let body = assert_graph_error(res, 400, 100).await;
            assert_eq!(body["error"]["error_subcode"], 33);
            assert_eq!(body["error"]["type"], "GraphMethodException");
            let msg = body["error"]["message"].as_str().unwrap();
            assert!(
                msg.starts_with(&format!(
                    "Unsupported get request. Object with ID '{id}' does not exist"
                )),
                "{msg}"
            );
        }
        let ok = app
            .with_key(Method::GET, &format!("/v23.0/{their_pnid}"), &other_key)
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status(), 200, "the owner still sees it");
    }
}

#[tokio::test]
async fn bad_paths_and_fields_answer_in_graph_shape() {
    let app = spawn_app().await;
    let res = app
        .get(&format!("/version23/{}", app.phone_number_id))
        .await;
    assert_graph_error(res, 400, 100).await;
    let res = app
        .get(&format!("/v23.0/{}?fields=nonsense", app.phone_number_id))
        .await;
    let body = assert_graph_error(res, 400, 100).await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("nonexisting field (nonsense)")
    );
    let res = app.get("/v23.0/1/2/3/4").await;
    assert_graph_error(res, 400, 100).await;
}
