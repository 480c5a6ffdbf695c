//! WhatsApp Flows on the Cloud plane (Meta's Flows API) over real HTTP, on SQLite and
//! PostgreSQL: the whole lifecycle (create, clone, read with `fields`, list with paging,
//! metadata update, Flow JSON upload and download, publish, deprecate, delete) with the
//! `flows` webhook's FLOW_STATUS_CHANGE; every lifecycle rule refused with Meta's code
//! (139001–139004) and nothing changed; bad input and other accounts' ids; validation
//! errors with their lines and columns; the public preview page and its expiry; messages
//! and templates naming flows checked against them; and a virtual user completing a flow,
//! whose `nfm_reply` reaches the webhook.

use reqwest::Method;
use serde_json::{Value, json};
use wagate_app::flows::FlowUrl;
use wagate_core::flow::FlowId;

use crate::helpers::{TestApp, assert_graph_error, spawn_apps};
use crate::receiver::{Receiver, SECRET, TOKEN};

/// A navigate flow: WELCOME → SIGN_UP (terminal, a required email, a dropdown).
const SIGN_UP: &str = r#"{
  "version": "6.0",
  "screens": [
    {
      "id": "WELCOME",
      "title": "Welcome",
      "layout": {
        "type": "SingleColumnLayout",
        "children": [
          {"type": "TextHeading", "text": "Join our club"},
          {"type": "Footer", "label": "Start",
           "on-click-action": {"name": "navigate", "next": {"type": "screen", "name": "SIGN_UP"}, "payload": {}}}
        ]
      }
    },
    {
      "id": "SIGN_UP",
      "title": "Your details",
      "terminal": true,
      "layout": {
        "type": "SingleColumnLayout",
        "children": [
          {"type": "TextInput", "name": "email", "label": "Email", "input-type": "email", "required": true},
          {"type": "Dropdown", "name": "size", "label": "T-shirt size",
           "data-source": [{"id": "s", "title": "Small"}, {"id": "l", "title": "Large"}]},
          {"type": "Footer", "label": "Sign up", "on-click-action": {"name": "complete", "payload": {}}}
        ]
      }
    }
  ]
}"#;

async fn waba_of(app: &TestApp, key: &str) -> String {
    let list: Value = app
        .with_key(Method::GET, "/api/v1/channels", key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    list["data"][0]["waba_id"].as_str().unwrap().to_owned()
}

async fn waba(app: &TestApp) -> String {
    waba_of(app, &app.api_key).await
}

async fn ok(res: reqwest::Response) -> Value {
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    body
}

async fn create(app: &TestApp, waba: &str, body: Value) -> Value {
    ok(app.post_json(&format!("/v23.0/{waba}/flows"), &body).await).await
}

async fn get(app: &TestApp, id: &str, fields: &str) -> Value {
    ok(app.get(&format!("/v23.0/{id}?fields={fields}")).await).await
}

async fn upload(app: &TestApp, id: &str, text: &str) -> reqwest::Response {
    let form = reqwest::multipart::Form::new()
        .text("name", "flow.json")
        .text("asset_type", "FLOW_JSON")
        .part(
            "file",
            reqwest::multipart::Part::bytes(text.as_bytes().to_vec())
                .file_name("flow.json")
                .mime_str("application/json")
                .unwrap(),
        );
    app.req(Method::POST, &format!("/v23.0/{id}/assets"))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

async fn count(app: &TestApp, path: &str) -> usize {
    let list: Value = app
        .get(&format!("{path}?limit=100"))
        .await
        .json()
        .await
        .unwrap();
    list["data"].as_array().unwrap().len()
}

async fn post(app: &TestApp, path: &str) -> reqwest::Response {
    app.req(Method::POST, path).send().await.unwrap()
}

/// Asserts Meta's flow lifecycle refusal `code`.
async fn refused(res: reqwest::Response, code: u64) -> Value {
    let body = assert_graph_error(res, 400, code).await;
    let details = body["error"]["error_data"]["details"].as_str().unwrap();
    assert!(details.starts_with("Flow can't be"), "{body}");
    body
}

async fn unknown(res: reqwest::Response) {
    let body = assert_graph_error(res, 400, 100).await;
    assert_eq!(body["error"]["error_subcode"], 33, "{body}");
}

async fn subscribe(app: &TestApp, fields: &[&str]) -> Receiver {
    let receiver = Receiver::start().await;
    let res = app
        .post_json(
            "/api/v1/webhooks",
            &json!({"url": receiver.url, "secret": SECRET, "verify_token": TOKEN,
                "batch_size": 10, "fields": fields}),
        )
        .await;
    assert_eq!(res.status(), 201, "{}", app.backend);
    receiver
}

/// Every `(field, value)` change the receiver got for `waba`, once `n` events arrived.
async fn changes(receiver: &Receiver, waba: &str, n: usize) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for post in receiver.wait_events(n).await {
        let entry = &post.body["entry"][0];
        assert_eq!(entry["id"], waba, "{}", post.body);
        for c in entry["changes"].as_array().unwrap() {
            out.push((c["field"].as_str().unwrap().to_owned(), c["value"].clone()));
        }
    }
    out
}

#[tokio::test]
async fn flows_live_from_draft_to_deprecated_with_metas_rules() {
    for app in spawn_apps().await {
        let waba = waba(&app).await;
        let receiver = subscribe(&app, &["flows"]).await;

        // Create: a draft with Meta's hello-world Flow JSON.
        let created = create(
            &app,
            &waba,
            json!({"name": "Club sign up", "categories": ["SIGN_UP", "OTHER"]}),
        )
        .await;
        assert_eq!(created["success"], true);
        assert!(created.get("validation_errors").is_none(), "{created}");
        let id = created["id"].as_str().unwrap().to_owned();
        assert!(id.len() >= 15 && id.bytes().all(|b| b.is_ascii_digit()));
        let flow = ok(app.get(&format!("/{id}")).await).await;
        assert_eq!(flow["name"], "Club sign up");
        assert_eq!(flow["status"], "DRAFT");
        assert_eq!(flow["categories"], json!(["SIGN_UP", "OTHER"]));
        assert_eq!(flow["validation_errors"], json!([]));
        assert_eq!(flow["json_version"], "6.0");
        assert_eq!(flow["whatsapp_business_account"]["id"], waba.as_str());
        assert_eq!(flow["health_status"]["can_send_message"], "AVAILABLE");
        assert!(flow.get("preview").is_none());
        assert_eq!(
            get(&app, &id, "name,status").await,
            json!({"id": id, "name": "Club sign up", "status": "DRAFT"})
        );

        // Metadata update (JSON or form), then the Flow JSON.
        ok(app
            .post_json(
                &format!("/v23.0/{id}"),
                &json!({"name": "Club sign-up", "categories": ["SIGN_UP"]}),
            )
            .await)
        .await;
        let res = app
            .req(Method::POST, &format!("/{id}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("endpoint_uri=https%3A%2F%2Fexample.com%2Fflow")
            .send()
            .await
            .unwrap();
        assert_eq!(ok(res).await, json!({"success": true}));
        let up = ok(upload(&app, &id, SIGN_UP).await).await;
        assert_eq!(up, json!({"success": true, "validation_errors": []}));
        let flow = get(&app, &id, "name,categories,endpoint_uri,status").await;
        assert_eq!(flow["name"], "Club sign-up");
        assert_eq!(flow["categories"], json!(["SIGN_UP"]));
        assert_eq!(flow["endpoint_uri"], "https://example.com/flow");

        // The asset's download URL serves the text as uploaded, to anyone.
        let assets = ok(app.get(&format!("/v23.0/{id}/assets")).await).await;
        let asset = &assets["data"][0];
        assert_eq!(asset["name"], "flow.json");
        assert_eq!(asset["asset_type"], "FLOW_JSON");
        let url = asset["download_url"].as_str().unwrap();
        assert!(url.starts_with(&app.base_url), "{url}");
        let res = app.client.get(url).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.text().await.unwrap(), SIGN_UP);

        // Publish: PUBLISHED, with Meta's webhook.
        assert_eq!(
            ok(post(&app, &format!("/v23.0/{id}/publish")).await).await,
            json!({"success": true})
        );
        assert_eq!(get(&app, &id, "status").await["status"], "PUBLISHED");

        // A published flow: no update, no new JSON, no delete, no second publish; nothing
        // changes.
        let before = get(
            &app,
            &id,
            "name,categories,status,endpoint_uri,validation_errors",
        )
        .await;
        refused(
            app.post_json(&format!("/v23.0/{id}"), &json!({"name": "Renamed"}))
                .await,
            139001,
        )
        .await;
        refused(upload(&app, &id, "{}").await, 139001).await;
        refused(
            app.req(Method::DELETE, &format!("/v23.0/{id}"))
                .send()
                .await
                .unwrap(),
            139004,
        )
        .await;
        refused(post(&app, &format!("/v23.0/{id}/publish")).await, 139002).await;
        assert_eq!(
            get(
                &app,
                &id,
                "name,categories,status,endpoint_uri,validation_errors"
            )
            .await,
            before
        );
        let res = app.client.get(url).send().await.unwrap();
        assert_eq!(res.text().await.unwrap(), SIGN_UP);

        // Deprecate once; a draft or a deprecated flow is not deprecated.
        ok(post(&app, &format!("/{id}/deprecate")).await).await;
        assert_eq!(get(&app, &id, "status").await["status"], "DEPRECATED");
        refused(post(&app, &format!("/{id}/deprecate")).await, 139003).await;
        let draft = create(
            &app,
            &waba,
            json!({"name": "Draft", "categories": ["SURVEY"]}),
        )
        .await;
        let draft = draft["id"].as_str().unwrap();
        refused(post(&app, &format!("/{draft}/deprecate")).await, 139003).await;

        // Clone: a new draft with the source's Flow JSON.
        let clone = create(
            &app,
            &waba,
            json!({"name": "Club sign-up v2", "categories": ["SIGN_UP"], "clone_flow_id": id}),
        )
        .await;
        let clone = clone["id"].as_str().unwrap();
        let assets = ok(app.get(&format!("/{clone}/assets")).await).await;
        let res = app
            .client
            .get(assets["data"][0]["download_url"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(res.text().await.unwrap(), SIGN_UP);
        assert_eq!(get(&app, clone, "status").await["status"], "DRAFT");

        // Create with a Flow JSON and publish at once.
        let direct = create(
            &app,
            &waba,
            json!({"name": "Direct", "categories": "[\"SURVEY\"]", "flow_json": SIGN_UP, "publish": true}),
        )
        .await;
        let direct = direct["id"].as_str().unwrap().to_owned();
        assert_eq!(get(&app, &direct, "status").await["status"], "PUBLISHED");

        // List: the WABA's five flows in pages of two, with Meta's default fields.
        let page: Value = ok(app.get(&format!("/v23.0/{waba}/flows?limit=2")).await).await;
        assert_eq!(page["data"].as_array().unwrap().len(), 2);
        let first = &page["data"][0];
        let mut keys: Vec<&str> = first
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort();
        assert_eq!(
            keys,
            ["categories", "id", "name", "status", "validation_errors"]
        );
        let mut seen: Vec<String> = Vec::new();
        let mut next = Some(format!("/v23.0/{waba}/flows?limit=2&fields=name"));
        while let Some(path) = next {
            let page = ok(app.get(&path).await).await;
            for f in page["data"].as_array().unwrap() {
                seen.push(f["id"].as_str().unwrap().to_owned());
            }
            next = page["paging"]["next"]
                .as_str()
                .map(|n| n.strip_prefix(&app.base_url).unwrap().to_owned());
        }
        let mut expected = vec![
            id.clone(),
            draft.to_owned(),
            clone.to_owned(),
            direct.clone(),
        ];
        expected.sort();
        assert_eq!(seen, expected);

        // Delete a draft: gone.
        assert_eq!(
            ok(app
                .req(Method::DELETE, &format!("/v23.0/{draft}"))
                .send()
                .await
                .unwrap())
            .await,
            json!({"success": true})
        );
        unknown(app.get(&format!("/v23.0/{draft}")).await).await;

        // The webhook: publish, deprecate and the direct publish, as Meta sends them.
        let got = changes(&receiver, &waba, 3).await;
        let flows: Vec<_> = got.iter().filter(|(f, _)| f == "flows").collect();
        assert_eq!(flows.len(), 3, "{got:?}");
        let status = |flow: &str| {
            flows
                .iter()
                .filter(|(_, v)| v["flow_id"] == flow)
                .map(|(_, v)| {
                    assert_eq!(v["event"], "FLOW_STATUS_CHANGE");
                    assert!(v["message"].as_str().unwrap().contains("changed status"));
                    (
                        v["old_status"].as_str().unwrap().to_owned(),
                        v["new_status"].as_str().unwrap().to_owned(),
                    )
                })
                .collect::<Vec<_>>()
        };
        let mut of_id = status(&id);
        of_id.sort();
        assert_eq!(
            of_id,
            [
                ("DRAFT".to_owned(), "PUBLISHED".to_owned()),
                ("PUBLISHED".to_owned(), "DEPRECATED".to_owned())
            ]
        );
        assert_eq!(
            status(&direct),
            [("DRAFT".to_owned(), "PUBLISHED".to_owned())]
        );
    }
}

#[tokio::test]
async fn flow_json_errors_name_lines_and_columns_and_block_publishing() {
    for app in spawn_apps().await {
        let waba = waba(&app).await;
        let id = create(&app, &waba, json!({"name": "F", "categories": ["OTHER"]})).await;
        let id = id["id"].as_str().unwrap().to_owned();

        // A syntax error: serde's position.
        let up = ok(upload(
            &app,
            &id,
            "{\n  \"version\": \"6.0\",\n  \"screens\": [,]\n}",
        )
        .await)
        .await;
        let e = &up["validation_errors"][0];
        assert_eq!(e["error_type"], "JSON_SYNTAX_ERROR", "{up}");
        assert_eq!(
            (e["line_start"].as_u64(), e["column_start"].as_u64()),
            (Some(3), Some(15))
        );

        // Semantic errors at their nodes: an unknown component, a navigate to a screen that
        // does not exist.
        let bad = SIGN_UP
            .replace("TextHeading", "Marquee")
            .replace("\"name\": \"SIGN_UP\"}", "\"name\": \"NOWHERE\"}");
        let up = ok(upload(&app, &id, &bad).await).await;
        let errors = up["validation_errors"].as_array().unwrap();
        let at = |kind: &str| {
            let e = errors
                .iter()
                .find(|e| e["error"] == kind)
                .unwrap_or_else(|| panic!("{kind} in {up}"));
            (
                e["line_start"].as_u64().unwrap(),
                e["column_start"].as_u64().unwrap(),
                e["line_end"].as_u64().unwrap(),
                e["column_end"].as_u64().unwrap(),
            )
        };
        assert_eq!(at("UNKNOWN_COMPONENT"), (10, 20, 10, 28));
        assert_eq!(at("UNKNOWN_SCREEN"), (12, 87, 12, 95));
        // Stored with the asset and answered by GET.
        let flow = get(&app, &id, "validation_errors").await;
        assert_eq!(flow["validation_errors"], up["validation_errors"]);

        // A duplicate screen id points at both.
        let dup = SIGN_UP.replace("\"id\": \"SIGN_UP\"", "\"id\": \"WELCOME\"");
        let up = ok(upload(&app, &id, &dup).await).await;
        let e = up["validation_errors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["error"] == "DUPLICATE_SCREEN_ID")
            .unwrap()
            .clone();
        assert_eq!(e["line_start"], 17);
        assert_eq!(e["pointers"][0]["line_start"], 5);
        assert_eq!(e["pointers"][0]["path"], "screens[0].id");

        // Publishing needs a valid Flow JSON: 139002, still a draft.
        refused(post(&app, &format!("/{id}/publish")).await, 139002).await;
        assert_eq!(get(&app, &id, "status").await["status"], "DRAFT");

        // A data-exchange flow without routing_model is invalid; with one (and no endpoint)
        // it is valid but cannot be published until its endpoint is set.
        let data = SIGN_UP.replacen(
            "\"version\": \"6.0\",",
            "\"version\": \"6.0\", \"data_api_version\": \"3.0\",",
            1,
        );
        let up = ok(upload(&app, &id, &data).await).await;
        assert_eq!(
            up["validation_errors"][0]["error"],
            "MISSING_REQUIRED_PROPERTY"
        );
        let routed = SIGN_UP.replacen(
            "\"version\": \"6.0\",",
            "\"version\": \"6.0\", \"data_api_version\": \"3.0\", \"routing_model\": {\"WELCOME\": [\"SIGN_UP\"], \"SIGN_UP\": []},",
            1,
        );
        let up = ok(upload(&app, &id, &routed).await).await;
        assert_eq!(up["validation_errors"], json!([]));
        let body = refused(post(&app, &format!("/{id}/publish")).await, 139002).await;
        assert!(
            body["error"]["error_data"]["details"]
                .as_str()
                .unwrap()
                .contains("endpoint_uri")
        );
        ok(app
            .post_json(
                &format!("/{id}"),
                &json!({"endpoint_uri": "https://example.com/x"}),
            )
            .await)
        .await;
        // With an endpoint it still needs a business key on a number of the WABA (and a
        // healthy endpoint: crates/cli/tests/api/business_encryption.rs).
        let body = refused(post(&app, &format!("/{id}/publish")).await, 139002).await;
        assert!(
            body["error"]["error_data"]["details"]
                .as_str()
                .unwrap()
                .contains("business public key"),
            "{body}"
        );
        let flow = get(&app, &id, "status,data_api_version").await;
        assert_eq!(
            (flow["status"].as_str(), flow["data_api_version"].as_str()),
            (Some("DRAFT"), Some("3.0"))
        );

        // A create with an invalid Flow JSON answers its errors; publish: true is refused and
        // stores nothing.
        let res = app
            .post_json(
                &format!("/{waba}/flows"),
                &json!({"name": "Broken", "categories": ["OTHER"], "flow_json": "{\"version\": \"1.0\"}"}),
            )
            .await;
        let created = ok(res).await;
        assert_eq!(
            created["validation_errors"][0]["error"],
            "UNSUPPORTED_VERSION"
        );
        refused(
            app.post_json(
                &format!("/{waba}/flows"),
                &json!({"name": "Broken 2", "categories": ["OTHER"], "flow_json": "{}", "publish": true}),
            )
            .await,
            139002,
        )
        .await;
        let list = ok(app.get(&format!("/{waba}/flows?fields=name")).await).await;
        let names: Vec<&str> = list["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap())
            .collect();
        assert!(!names.contains(&"Broken 2"), "{names:?}");
    }
}

#[tokio::test]
async fn bad_flow_requests_are_refused_and_store_nothing() {
    for app in spawn_apps().await {
        let waba = waba(&app).await;
        let path = format!("/v23.0/{waba}/flows");
        let raw = app.post_raw(&path, "application/json", "{\"name\": ").await;
        assert_graph_error(raw, 400, 100).await;
        for (body, field) in [
            (json!({"categories": ["OTHER"]}), "name"),
            (json!({"name": ["x"], "categories": ["OTHER"]}), "name"),
            (
                json!({"name": "x".repeat(201), "categories": ["OTHER"]}),
                "name",
            ),
            (json!({"name": "x"}), "categories"),
            (
                json!({"name": "x", "categories": ["DANCING"]}),
                "categories",
            ),
            (
                json!({"name": "x", "categories": "OTHER", "endpoint_uri": "not a url"}),
                "endpoint_uri",
            ),
            (
                json!({"name": "x", "categories": "OTHER", "publish": "perhaps"}),
                "publish",
            ),
        ] {
            let res = app.post_json(&path, &body).await;
            let status = res.status();
            let answer: Value = res.json().await.unwrap();
            assert_eq!(status, 400, "{body}: {answer}");
            assert!(
                answer["error"]["message"].as_str().unwrap().contains(field),
                "{field} in {answer}"
            );
        }
        assert_eq!(count(&app, &path).await, 0);
        // A number is taken as its text, as Graph does.
        ok(app
            .post_json(&path, &json!({"name": 7.5, "categories": ["OTHER"]}))
            .await)
        .await;
        assert_eq!(count(&app, &path).await, 1);

        // A name is unique in its WABA: Meta's code 100, nothing stored.
        let res = app
            .post_json(&path, &json!({"name": "7.5", "categories": ["OTHER"]}))
            .await;
        let body = assert_graph_error(res, 400, 100).await;
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("not unique"),
            "{body}"
        );
        assert_eq!(count(&app, &path).await, 1);

        // Clone of an unknown flow: 100, nothing stored.
        let res = app
            .post_json(
                &path,
                &json!({"name": "c", "categories": ["OTHER"], "clone_flow_id": "1234567890123456"}),
            )
            .await;
        assert_graph_error(res, 400, 100).await;
        assert_eq!(count(&app, &path).await, 1);

        // Unknown ids, and another account's flows and WABA: Graph's 100/33 everywhere.
        let (_, other_key) = app.other_account().await;
        app.create_channel(&other_key, "Other Co").await;
        let other_waba = waba_of(&app, &other_key).await;
        let theirs = app
            .with_key(
                Method::POST,
                &format!("/v23.0/{other_waba}/flows"),
                &other_key,
            )
            .json(&json!({"name": "Theirs", "categories": ["OTHER"]}))
            .send()
            .await
            .unwrap();
        let theirs: Value = ok(theirs).await;
        let theirs = theirs["id"].as_str().unwrap().to_owned();
        for id in [theirs.as_str(), "1234567890123456"] {
            unknown(app.get(&format!("/v23.0/{id}")).await).await;
            unknown(post(&app, &format!("/v23.0/{id}/publish")).await).await;
            unknown(post(&app, &format!("/v23.0/{id}/deprecate")).await).await;
            unknown(app.get(&format!("/v23.0/{id}/assets")).await).await;
            unknown(upload(&app, id, SIGN_UP).await).await;
            unknown(
                app.req(Method::DELETE, &format!("/v23.0/{id}"))
                    .send()
                    .await
                    .unwrap(),
            )
            .await;
            unknown(
                app.post_json(&format!("/v23.0/{id}"), &json!({"name": "mine"}))
                    .await,
            )
            .await;
        }
        unknown(app.get(&format!("/v23.0/{other_waba}/flows")).await).await;
        unknown(
            app.post_json(
                &format!("/v23.0/{other_waba}/flows"),
                &json!({"name": "x", "categories": ["OTHER"]}),
            )
            .await,
        )
        .await;
        let still = app
            .with_key(
                Method::GET,
                &format!("/v23.0/{theirs}?fields=name,status"),
                &other_key,
            )
            .send()
            .await
            .unwrap();
        assert_eq!(
            ok(still).await,
            json!({"id": theirs, "name": "Theirs", "status": "DRAFT"})
        );

        // Bad asset uploads and fields.
        let mine = create(
            &app,
            &waba,
            json!({"name": "Mine", "categories": ["OTHER"]}),
        )
        .await;
        let mine = mine["id"].as_str().unwrap();
        let form = reqwest::multipart::Form::new()
            .text("name", "flow.json")
            .text("asset_type", "IMAGE")
            .text("file", "{}");
        let res = app
            .req(Method::POST, &format!("/{mine}/assets"))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_graph_error(res, 400, 100).await;
        let form = reqwest::multipart::Form::new()
            .text("name", "flow.json")
            .text("asset_type", "FLOW_JSON");
        let res = app
            .req(Method::POST, &format!("/{mine}/assets"))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_graph_error(res, 400, 131008).await;
        assert_eq!(
            get(&app, mine, "validation_errors").await["validation_errors"],
            json!([])
        );
        assert_graph_error(app.get(&format!("/{mine}?fields=colour")).await, 400, 100).await;
        assert_graph_error(app.get(&format!("/{waba}/flows?limit=0")).await, 400, 100).await;
        assert_graph_error(
            app.post_json(&format!("/{mine}"), &json!({"categories": "NOPE"}))
                .await,
            400,
            100,
        )
        .await;
    }
}

#[tokio::test]
async fn previews_render_the_screens_publicly_until_they_expire() {
    for app in spawn_apps().await {
        let waba = waba(&app).await;
        let id = create(
            &app,
            &waba,
            json!({"name": "Club <sign up>", "categories": ["SIGN_UP"], "flow_json": SIGN_UP}),
        )
        .await;
        let id = id["id"].as_str().unwrap().to_owned();
        let flow = get(&app, &id, "preview.invalidate(false)").await;
        let url = flow["preview"]["preview_url"].as_str().unwrap().to_owned();
        let expires = flow["preview"]["expires_at"].as_str().unwrap();
        assert!(
            url.starts_with(&format!("{}/flows/{id}/preview?", app.base_url)),
            "{url}"
        );
        assert!(expires.ends_with("+0000"), "{expires}");
        // The same URL again without invalidation; a new one with it.
        assert_eq!(
            get(&app, &id, "preview").await["preview"]["preview_url"],
            url.as_str()
        );

        // No key needed; the screens, their inputs and options, escaped, no external assets.
        let res = app.client.get(&url).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "text/html; charset=utf-8");
        let html = res.text().await.unwrap();
        for part in [
            "<h1>Club &lt;sign up&gt;</h1>",
            "<h2>Welcome</h2>",
            "<h3>Join our club</h3>",
            "<h2>Your details</h2>",
            "<label for=\"email\">Email</label><input type=\"email\"",
            "<option value=\"s\">Small</option>",
            "<button type=\"button\">Sign up</button>",
        ] {
            assert!(html.contains(part), "{part} in {html}");
        }
        assert!(
            !html.contains("src=") && !html.contains("href=\"http"),
            "{html}"
        );

        // A tampered or expired URL is refused.
        let tampered = url.replace("signature=", "signature=00");
        let res = app.client.get(&tampered).send().await.unwrap();
        assert_eq!(res.status(), 404);
        let flow = app
            .app
            .get_flow(
                &wagate_app::Principal::operator(app.account_id.parse().unwrap()),
                &FlowId::parse(&id).unwrap(),
            )
            .await
            .unwrap();
        let past = app.app.now().as_second() - 1;
        let s = app.app.sign_flow_url(&flow, FlowUrl::Preview, past);
        let expired = format!(
            "{}/flows/{id}/preview?account={}&expires={past}&signature={}",
            app.base_url, s.account, s.signature
        );
        let res = app.client.get(&expired).send().await.unwrap();
        assert_eq!(res.status(), 404);
        // A preview URL does not open the asset, nor the other way round.
        let as_asset = url.replace("/preview?", "/flow.json?");
        assert_eq!(
            app.client.get(&as_asset).send().await.unwrap().status(),
            404
        );

        // invalidate(true): the URL given before stops working at once; the new one works,
        // and is what later reads without invalidation give within its period.
        let client = app.client.clone();
        let status = |u: String| {
            let client = client.clone();
            async move { client.get(&u).send().await.unwrap().status() }
        };
        assert_eq!(status(url.clone()).await, 200);
        let fresh = get(&app, &id, "preview.invalidate(true)").await["preview"]["preview_url"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_ne!(fresh, url);
        assert_eq!(status(url.clone()).await, 404);
        assert_eq!(status(fresh.clone()).await, 200);
        let again = get(&app, &id, "preview").await["preview"]["preview_url"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(status(again).await, 200);
        // In a list too.
        let list = ok(app
            .get(&format!(
                "/v23.0/{waba}/flows?fields=preview.invalidate(true)"
            ))
            .await)
        .await;
        let listed = list["data"][0]["preview"]["preview_url"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(status(fresh).await, 404);
        assert_eq!(status(listed).await, 200);
    }
}

#[tokio::test]
async fn flow_changes_are_audited_and_refusals_are_not() {
    for app in spawn_apps().await {
        let waba = waba(&app).await;
        let id = create(
            &app,
            &waba,
            json!({"name": "Audited", "categories": ["SIGN_UP"], "flow_json": SIGN_UP}),
        )
        .await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        ok(app
            .post_json(
                &format!("/v23.0/{id}"),
                &json!({"name": "Audited flow", "categories": ["OTHER"]}),
            )
            .await)
        .await;
        ok(upload(&app, &id, SIGN_UP).await).await;
        ok(post(&app, &format!("/v23.0/{id}/publish")).await).await;
        // Refused (a published flow is not deleted nor published again): not logged.
        refused(
            app.req(Method::DELETE, &format!("/v23.0/{id}"))
                .send()
                .await
                .unwrap(),
            139004,
        )
        .await;
        refused(post(&app, &format!("/v23.0/{id}/publish")).await, 139002).await;
        ok(post(&app, &format!("/v23.0/{id}/deprecate")).await).await;
        let draft = create(
            &app,
            &waba,
            json!({"name": "Scratch", "categories": ["OTHER"], "publish": false}),
        )
        .await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        ok(app
            .req(Method::DELETE, &format!("/v23.0/{draft}"))
            .send()
            .await
            .unwrap())
        .await;

        let page: Value = app.get("/api/v1/audit-log").await.json().await.unwrap();
        let flows: Vec<(String, String, String)> = page["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["target"]["type"] == "flow")
            .map(|e| {
                (
                    e["action"].as_str().unwrap().to_owned(),
                    e["target"]["id"].as_str().unwrap().to_owned(),
                    e["summary"].as_str().unwrap().to_owned(),
                )
            })
            .rev()
            .collect();
        let expected = [
            ("flow.create", &id, format!("Audited, WABA {waba}")),
            ("flow.update", &id, "changed: name, categories".to_owned()),
            (
                "flow.update",
                &id,
                "changed: flow_json (0 validation error(s))".to_owned(),
            ),
            ("flow.publish", &id, "DRAFT → PUBLISHED".to_owned()),
            ("flow.deprecate", &id, "→ DEPRECATED".to_owned()),
            ("flow.create", &draft, format!("Scratch, WABA {waba}")),
            ("flow.delete", &draft, "Scratch".to_owned()),
        ]
        .map(|(a, i, s)| (a.to_owned(), i.clone(), s));
        assert_eq!(flows, expected, "oldest first");
        let filtered: Value = app
            .get("/api/v1/audit-log?action=flow.publish")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(filtered["data"].as_array().unwrap().len(), 1, "{filtered}");
    }
}

fn flow_message(params: Value) -> Value {
    json!({"to": "16505551234", "type": "interactive", "interactive": {
        "type": "flow", "body": {"text": "Join"},
        "action": {"name": "flow", "parameters": params}}})
}

async fn send_status(app: &TestApp, body: Value) -> (u16, Value) {
    let mut body = body;
    body["messaging_product"] = json!("whatsapp");
    let res = app
        .post_json(&format!("/v23.0/{}/messages", app.phone_number_id), &body)
        .await;
    (res.status().as_u16(), res.json().await.unwrap())
}

#[tokio::test]
async fn flow_messages_and_templates_are_checked_against_the_flows() {
    for app in spawn_apps().await {
        app.configure_sandbox(json!({})).await;
        let waba = waba(&app).await;
        let id = create(
            &app,
            &waba,
            json!({"name": "Club", "categories": ["SIGN_UP"], "flow_json": SIGN_UP}),
        )
        .await;
        let id = id["id"].as_str().unwrap().to_owned();
        let base = |extra: Value| {
            let mut p = json!({"flow_message_version": "3", "flow_token": "tok", "flow_cta": "Join",
                "flow_id": id, "flow_action": "navigate", "flow_action_payload": {"screen": "WELCOME"}});
            for (k, v) in extra.as_object().unwrap() {
                p[k] = v.clone();
            }
            flow_message(p)
        };
        let refused = |(status, body): (u16, Value), field: &str| {
            assert_eq!(status, 400, "{body}");
            assert_eq!(body["error"]["code"], 131009, "{body}");
            assert!(
                body["error"]["error_data"]["details"]
                    .as_str()
                    .unwrap()
                    .contains(field)
                    || body["error"]["message"].as_str().unwrap().contains(field),
                "{field} in {body}"
            );
        };
        let before = app.messages("direction=outbound").await.len();

        // A draft: only with mode draft.
        refused(send_status(&app, base(json!({}))).await, "mode");
        let (status, body) = send_status(&app, base(json!({"mode": "draft"}))).await;
        assert_eq!(status, 200, "{body}");
        // Unknown flows, by id or name; a screen the flow does not have.
        refused(
            send_status(
                &app,
                base(json!({"flow_id": "1234567890123456", "mode": "draft"})),
            )
            .await,
            "flow_id",
        );
        let mut by_name = base(json!({"mode": "draft"}));
        let params = by_name["interactive"]["action"]["parameters"]
            .as_object_mut()
            .unwrap();
        params.remove("flow_id");
        params.insert("flow_name".into(), json!("Nope"));
        refused(send_status(&app, by_name.clone()).await, "flow_name");
        refused(
            send_status(
                &app,
                base(json!({"mode": "draft", "flow_action_payload": {"screen": "NOWHERE"}})),
            )
            .await,
            "screen",
        );

        // Published: sent by id or by name.
        ok(post(&app, &format!("/{id}/publish")).await).await;
        assert_eq!(send_status(&app, base(json!({}))).await.0, 200);
        by_name["interactive"]["action"]["parameters"]["flow_name"] = json!("Club");
        by_name["interactive"]["action"]["parameters"]["mode"] = json!("published");
        assert_eq!(send_status(&app, by_name).await.0, 200);

        // Templates: a FLOW button naming an unknown flow or screen is refused; a known one
        // is accepted.
        let template = |flow_id: &str, screen: &str| {
            json!({"name": format!("join_{}", screen.to_lowercase()), "language": "en_US", "category": "MARKETING",
            "components": [{"type": "BODY", "text": "Join our club"},
                {"type": "BUTTONS", "buttons": [{"type": "FLOW", "text": "Join", "flow_id": flow_id, "navigate_screen": screen, "flow_action": "navigate"}]}]})
        };
        let res = app
            .post_json(
                &format!("/v23.0/{waba}/message_templates"),
                &template("1234567890123456", "WELCOME"),
            )
            .await;
        assert_graph_error(res, 400, 131009).await;
        let res = app
            .post_json(
                &format!("/v23.0/{waba}/message_templates"),
                &template(&id, "NOWHERE"),
            )
            .await;
        assert_graph_error(res, 400, 131009).await;
        ok(app
            .post_json(
                &format!("/v23.0/{waba}/message_templates"),
                &template(&id, "WELCOME"),
            )
            .await)
        .await;

        // Deprecated: refused.
        ok(post(&app, &format!("/{id}/deprecate")).await).await;
        refused(send_status(&app, base(json!({}))).await, "flow_id");
        assert_eq!(app.messages("direction=outbound").await.len(), before + 3);
    }
}

#[tokio::test]
async fn a_virtual_user_completes_a_flow_and_the_reply_reaches_the_webhook() {
    for app in spawn_apps().await {
        app.configure_sandbox(json!({})).await;
        let waba = waba(&app).await;
        let receiver = subscribe(&app, &["messages"]).await;
        let id = create(&app, &waba, json!({"name": "Club", "categories": ["SIGN_UP"], "flow_json": SIGN_UP, "publish": true})).await;
        let id = id["id"].as_str().unwrap().to_owned();
        let wamid = app
            .send(flow_message(json!({"flow_message_version": "3", "flow_token": "tok-42", "flow_cta": "Join",
                "flow_id": id, "flow_action": "navigate", "flow_action_payload": {"screen": "WELCOME"}})))
            .await;
        let complete = format!("/sandbox/{}/flows/complete", app.phone_number_id);

        // The terminal screen's required email is missing: refused, nothing stored.
        let res = app
            .post_json(
                &complete,
                &json!({"wamid": wamid, "response_json": {"size": "l"}}),
            )
            .await;
        assert_eq!(res.status(), 400);
        let body: Value = res.json().await.unwrap();
        assert!(
            body["error"]["message"].as_str().unwrap().contains("email"),
            "{body}"
        );
        // Not a flow message, malformed bodies.
        let other = app
            .send(json!({"to": "16505551234", "type": "text", "text": {"body": "hi"}}))
            .await;
        let res = app
            .post_json(&complete, &json!({"wamid": other, "response_json": {}}))
            .await;
        assert_eq!(res.status(), 400);
        let res = app
            .post_json(&complete, &json!({"response_json": {}}))
            .await;
        assert_eq!(res.status(), 400);
        let res = app
            .post_json(&complete, &json!({"wamid": wamid, "response_json": [1]}))
            .await;
        assert_eq!(res.status(), 400);
        assert!(app.messages("direction=inbound").await.is_empty());

        // Completed: the nfm_reply with the flow token and the answers, replying to the flow
        // message.
        let res = app
            .post_json(
                &complete,
                &json!({"wamid": wamid, "response_json": {"email": "jo@example.com", "size": "l"}}),
            )
            .await;
        assert_eq!(res.status(), 201);
        let got = changes(&receiver, &waba, 1).await;
        let messages: Vec<_> = got
            .iter()
            .filter_map(|(f, v)| (f == "messages").then_some(v))
            .flat_map(|v| v["messages"].as_array().cloned().unwrap_or_default())
            .collect();
        let reply = messages
            .iter()
            .find(|m| m["type"] == "interactive")
            .unwrap_or_else(|| panic!("{got:?}"));
        assert_eq!(reply["from"], "16505551234");
        assert_eq!(reply["context"]["id"], wamid.as_str());
        let nfm = &reply["interactive"]["nfm_reply"];
        assert_eq!(reply["interactive"]["type"], "nfm_reply");
        assert_eq!(
            (nfm["name"].as_str(), nfm["body"].as_str()),
            (Some("flow"), Some("Sent"))
        );
        let response: Value = serde_json::from_str(nfm["response_json"].as_str().unwrap()).unwrap();
        assert_eq!(
            response,
            json!({"flow_token": "tok-42", "email": "jo@example.com", "size": "l"})
        );
    }
}

/// Runs an SDK script against `app` and its first WABA; its report.
async fn run_sdk(lib: &str, mut cmd: tokio::process::Command, app: &TestApp) -> Vec<Value> {
    let waba = waba(app).await;
    crate::sdk::for_app(&mut cmd, app).args(["--waba-id", &waba]);
    crate::sdk::run_script(lib, cmd).await
}

#[tokio::test]
#[ignore = "real client libraries (pywa, whatsapp-api-js, kapso, S3): `cargo test -- --include-ignored`, as CI runs"]
async fn pywa_flow_calls_round_trip() {
    let (python, _) = crate::sdk::install().await;
    for app in spawn_apps().await {
        app.configure_sandbox(json!({})).await;
        let mut cmd = tokio::process::Command::new(&python);
        cmd.arg(crate::sdk::conformance_dir().join("flows/pywa_flows.py"));
        let ops = run_sdk("pywa", cmd, &app).await;
        crate::sdk::judge(
            "pywa",
            &[
                "create_flow",
                "get_flow",
                "update_flow_metadata",
                "update_flow_json_invalid",
                "publish_invalid",
                "update_flow_json",
                "get_flow_assets",
                "get_flows",
                "publish_flow",
                "send_flow_button",
                "update_published_json",
                "delete_published",
                "deprecate_flow",
                "deprecate_again",
                "delete_flow",
            ],
            &ops,
        );
    }
}

#[tokio::test]
async fn a_cloud_wabas_flows_are_metas() {
    // `meta` plays Meta; `gateway` has a cloud channel on it (same number and WABA).
    let meta = crate::helpers::spawn_app().await;
    let gateway = crate::helpers::spawn_app().await;
    let waba = waba(&meta).await;
    let number: Value = meta.get("/api/v1/channels").await.json().await.unwrap();
    let number = &number["data"][0];
    let res = gateway
        .post_json(
            "/api/v1/channels",
            &json!({
                "verified_name": "Acme via Meta",
                "phone_number_id": meta.phone_number_id,
                "waba_id": waba,
                "display_phone_number": number["display_phone_number"],
                "upstream": {"kind": "cloud", "base_url": meta.base_url, "access_token": meta.api_key,
                             "app_secret": "flows-app-secret", "verify_token": "flows-verify"}
            }),
        )
        .await;
    assert_eq!(res.status(), 201);

    // Created, read, listed, given a Flow JSON, published and deprecated through the gateway:
    // each call answered by Meta, where the flow lives.
    let created = create(
        &gateway,
        &waba,
        json!({"name": "Via Meta", "categories": ["SURVEY"]}),
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(get(&meta, &id, "name,status").await["name"], "Via Meta");
    assert_eq!(
        get(&gateway, &id, "name,status").await,
        get(&meta, &id, "name,status").await
    );
    let listed = ok(gateway.get(&format!("/v23.0/{waba}/flows")).await).await;
    assert_eq!(listed["data"][0]["id"], id.as_str());
    let up = ok(upload(&gateway, &id, SIGN_UP).await).await;
    assert_eq!(up["validation_errors"], json!([]));
    ok(post(&gateway, &format!("/v23.0/{id}/publish")).await).await;
    assert_eq!(get(&meta, &id, "status").await["status"], "PUBLISHED");
    // Meta's refusals come back as Meta answered them.
    refused(
        gateway
            .req(Method::DELETE, &format!("/v23.0/{id}"))
            .send()
            .await
            .unwrap(),
        139004,
    )
    .await;
    ok(post(&gateway, &format!("/v23.0/{id}/deprecate")).await).await;
    assert_eq!(get(&meta, &id, "status").await["status"], "DEPRECATED");
    // Nothing of it is the gateway's own.
    let own: Value = gateway.get("/api/v1/channels").await.json().await.unwrap();
    let own_waba = own["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["upstream"]["kind"] == "sandbox")
        .unwrap()["waba_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let local = ok(gateway.get(&format!("/v23.0/{own_waba}/flows")).await).await;
    assert_eq!(local["data"], json!([]));
}
