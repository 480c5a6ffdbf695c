//! Probes, metrics, OpenAPI and the offline docs UI.

use serde_json::Value;

use crate::helpers::spawn_app;

#[tokio::test]
async fn health_readiness_and_metrics() {
    let app = spawn_app().await;
    let health: Value = app
        .client
        .get(app.url("/healthz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
    let ready: Value = app
        .client
        .get(app.url("/readyz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        ready,
        serde_json::json!({"status": "ready", "database": "sqlite"})
    );

    app.get("/api/v1/channels").await;
    let res = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert!(
        res.headers()
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = res.text().await.unwrap();
    assert!(
        text.contains(
            "wagate_http_requests_total{method=\"GET\",route=\"/api/v1/channels\",status=\"200\"}"
        ),
        "{text}"
    );
    assert!(text.contains("wagate_http_request_duration_seconds_bucket"));
    assert!(
        text.contains("wagate_store_write_batch_size_bucket"),
        "group-commit batches are measured"
    );
}

#[tokio::test]
async fn readiness_fails_when_the_database_is_gone() {
    let app = spawn_app().await;
    app.app.store().close().await;
    let res = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 503);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_ready");
}

#[tokio::test]
async fn graceful_stop_closes_the_store() {
    let app = spawn_app().await;
    let store = app.app.store().clone();
    assert!(app.get("/api/v1/account").await.status().is_success());
    app.stop().await;
    assert!(
        store.ping().await.is_err(),
        "the store is closed after stop"
    );
}

#[tokio::test]
async fn openapi_document_and_offline_docs() {
    let app = spawn_app().await;
    let doc: Value = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/v1/channels",
        "/api/v1/channels/{id}",
        "/api/v1/api-keys",
        "/api/v1/api-keys/{id}",
        "/api/v1/account",
        "/readyz",
    ] {
        assert!(paths.contains_key(p), "{p} missing from openapi.json");
    }
    assert!(
        doc["paths"]["/api/v1/channels"]["post"]["description"]
            .as_str()
            .unwrap_or_default()
            .contains("Needs an account-wide key")
            || doc["paths"]["/api/v1/channels"]["post"]["summary"]
                .as_str()
                .unwrap_or_default()
                .contains("Add a WhatsApp number")
    );
    insta::assert_json_snapshot!("openapi", doc);

    let res = app.client.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("swagger"), "docs page served");
    for line in html
        .lines()
        .filter(|l| l.contains("<script") || l.contains("<link"))
    {
        assert!(
            !line.contains("http://") && !line.contains("https://"),
            "docs load from the network: {line}"
        );
    }
    let init = app
        .client
        .get(app.url("/docs/swagger-initializer.js"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(init.contains("/openapi.json"));
    let bundle = app
        .client
        .get(app.url("/docs/swagger-ui-bundle.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        bundle.status(),
        200,
        "the UI's JavaScript is served by wagate itself"
    );
}
