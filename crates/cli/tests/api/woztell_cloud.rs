//! The WOZTELL dialect on a **cloud channel**: one wagate stands in for Meta (its own
//! sandbox channel is "Meta's" number and WABA), and the gateway under test has a cloud
//! channel whose upstream is that wagate. Templates, flows, catalogs and conversation
//! analytics are then Meta's: listed from it, created, edited and deleted there through the
//! dialect, and never kept in the gateway. On SQLite and PostgreSQL.

use reqwest::{Method, Response};
use serde_json::{Value, json};
use wagate_core::ids::{AccountId, WabaId};
use wagate_store::TemplateFilter;

use crate::cloud_upstream::{APP_SECRET, VERIFY_TOKEN, cloud_channel_on};
use crate::helpers::{TestApp, spawn_app};
use crate::woztell::{apps, assert_error, file_server, ok, preferences_flow_json};

const BASE: &str = "/compat/woztell/v1.2/api";

async fn get(app: &TestApp, path_and_query: &str) -> Response {
    app.client
        .get(app.url(&format!("{BASE}{path_and_query}")))
        .send()
        .await
        .unwrap()
}

async fn send(app: &TestApp, method: Method, path: &str, body: &Value) -> Response {
    app.client
        .request(method, app.url(&format!("{BASE}{path}")))
        .json(body)
        .send()
        .await
        .unwrap()
}

/// Meta's view of an object (`GET /v23.0/{id}` on the wagate playing Meta).
async fn at_meta(meta: &TestApp, path: &str) -> (u16, Value) {
    let res = meta.get(&format!("/v23.0/{path}")).await;
    (res.status().as_u16(), res.json().await.unwrap_or_default())
}

/// The names of a template list's items.
fn names(list: &Value) -> Vec<String> {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_cloud_channel_is_answered_by_meta() {
    // Meta's side: an approved template, a flow, a catalog of two products linked to the
    // WABA, and one delivered business message (a conversation in Meta's analytics).
    let meta = spawn_app().await;
    let channels: Value = meta.get("/api/v1/channels").await.json().await.unwrap();
    let waba = channels["data"][0]["waba_id"].as_str().unwrap().to_owned();
    meta.simple_template("meta_update", "en_US").await;
    let res = meta
        .post_json(
            &format!("/v23.0/{waba}/flows"),
            &json!({"name": "Meta Flow", "categories": ["SIGN_UP"]}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let meta_flow = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = meta
        .post_json(
            "/api/v1/catalogs",
            &json!({"name": "meta_products", "waba_id": waba}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let catalog = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (sku, name) in [("sku-1", "Meta Product 1"), ("sku-2", "Meta Product 2")] {
        let res = meta
            .post_json(
                &format!("/v23.0/{catalog}/products"),
                &json!({"retailer_id": sku, "name": name, "price": 1099, "currency": "USD",
                    "image_url": "https://img.example/p.png"}),
            )
            .await;
        assert_eq!(res.status(), 200);
    }
    let wamid = meta
        .send(json!({"to": "447700900123", "type": "template",
            "template": {"name": "meta_update", "language": {"code": "en_US"}}}))
        .await;
    meta.wait_status(&wamid, &["delivered", "read"]).await;
    let files = file_server().await;

    for app in apps().await {
        let channel = cloud_channel_on(&app, &meta).await;
        // Its Meta app's id, for the upload handles of header samples.
        let res = app
            .patch_json(
                &format!("/api/v1/channels/{channel}"),
                &json!({"upstream": {"kind": "cloud", "base_url": meta.base_url,
                    "access_token": meta.api_key, "app_secret": APP_SECRET,
                    "verify_token": VERIFY_TOKEN, "app_id": "1234567890"}}),
            )
            .await;
        assert_eq!(res.status(), 200);
        let admin = app.api_key.clone();
        let backend = app.backend;
        let account: AccountId = app.account_id.parse().unwrap();
        let waba_id = WabaId::parse(&waba).unwrap();
        let kept = || async {
            app.app
                .store()
                .count_templates(account, &waba_id, &TemplateFilter::default())
                .await
                .unwrap()
        };

        // Templates: Meta's list, grouped by name, with the dialect's filters applied to it.
        let q = format!("/whatsapp-message-templates?accessToken={admin}&wabaId={waba}&first=100");
        let list = ok(get(&app, &q).await).await;
        let item = list["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["name"] == "meta_update")
            .cloned()
            .unwrap_or_else(|| panic!("{backend}: Meta's template listed: {list}"));
        assert_eq!(
            item["statuses"],
            json!([{"language": "en_US", "status": "APPROVED"}]),
            "{item}"
        );
        let approved =
            ok(get(&app, &format!("{q}&status=[\"APPROVED\"]&content=updated")).await).await;
        assert!(
            names(&approved).contains(&"meta_update".to_owned()),
            "{approved}"
        );
        let rejected = ok(get(&app, &format!("{q}&status=[\"REJECTED\"]")).await).await;
        assert!(
            !names(&rejected).contains(&"meta_update".to_owned()),
            "{rejected}"
        );
        let other = ok(get(&app, &format!("{q}&name_or_content=no_such_text")).await).await;
        assert_eq!(other["data"], json!([]), "{other}");

        // Create, with the header sample given as a URL: fetched, uploaded to Meta, created
        // at Meta; the gateway keeps no template.
        let name = format!("cloud_{backend}");
        let created = ok(send(
            &app,
            Method::PUT,
            "/whatsapp-message-template",
            &json!({"accessToken": admin, "wabaId": waba, "name": name, "language": "en_US",
                "category": "TRANSACTIONAL", "components": [
                    {"type": "BODY", "text": "Your order {{1}} is ready.",
                     "example": {"body_text": [["A-1"]]}},
                    {"type": "HEADER", "format": "IMAGE",
                     "example": {"header_handle": [format!("{files}/image.png")]}}]}),
        )
        .await)
        .await;
        let id = created["id"].as_str().unwrap().to_owned();
        let (status, t) = at_meta(&meta, &id).await;
        assert_eq!(status, 200, "{t}");
        assert_eq!(t["name"], name.as_str(), "{t}");
        assert_eq!(t["category"], "UTILITY", "{t}");
        let handle = t["components"][0]["example"]["header_handle"][0]
            .as_str()
            .unwrap_or_default();
        assert!(!handle.is_empty() && !handle.starts_with("http"), "{t}");
        assert_eq!(kept().await, 0, "{backend}: nothing kept in the gateway");
        // Meta's rules are answered at once, and nothing is created at Meta.
        let res = send(
            &app,
            Method::PUT,
            "/whatsapp-message-template",
            &json!({"accessToken": admin, "wabaId": waba, "name": format!("bad_{backend}"),
                "language": "en_US", "category": "UTILITY",
                "components": [{"type": "BODY", "text": "{{1}} only a variable"}]}),
        )
        .await;
        assert_error(res, 400, "INVALID_PARAMETER").await;
        let bad = ok(get(&app, &format!("{q}&name=bad_{backend}")).await).await;
        assert_eq!(bad["data"], json!([]), "{bad}");

        // Edit an approved template of Meta's: Meta has the new text, back in review; a
        // second edit is Meta's to refuse (a PENDING template cannot be edited).
        let edit_name = format!("edit_{backend}");
        let edit_id = meta
            .approved_template(json!({"name": edit_name, "language": "en_US",
                "category": "UTILITY", "components": [
                    {"type": "BODY", "text": "Your account was updated."}]}))
            .await;
        let edit = |text: &str, template_name: &str| {
            json!({"accessToken": admin, "wabaId": waba, "messageTemplateId": edit_id,
                "messageTemplateName": template_name, "messageTemplateLanguage": "en_US",
                "components": [{"type": "BODY", "text": text}]})
        };
        let res = send(
            &app,
            Method::PATCH,
            "/whatsapp-message-template",
            &edit("Renamed?", "someone_else"),
        )
        .await;
        assert_error(res, 400, "INVALID_PARAMETER").await;
        let done = ok(send(
            &app,
            Method::PATCH,
            "/whatsapp-message-template",
            &edit("Your account was updated today.", &edit_name),
        )
        .await)
        .await;
        assert_eq!(done, json!({"ok": 1, "success": true}));
        let (_, t) = at_meta(&meta, &edit_id).await;
        assert_eq!(t["status"], "PENDING", "{t}");
        assert_eq!(
            t["components"][0]["text"], "Your account was updated today.",
            "{t}"
        );
        let res = send(
            &app,
            Method::PATCH,
            "/whatsapp-message-template",
            &edit("Again.", &edit_name),
        )
        .await;
        let refused = assert_error(res, 400, "INVALID_PARAMETER").await;
        assert!(
            refused["error"]["message"]
                .as_str()
                .unwrap()
                .contains("Meta"),
            "{refused}"
        );
        let (_, t) = at_meta(&meta, &edit_id).await;
        assert_eq!(
            t["components"][0]["text"], "Your account was updated today.",
            "{t}"
        );
        let mut unknown = edit("x", &edit_name);
        unknown["messageTemplateId"] = json!("1234567890123");
        let res = send(&app, Method::PATCH, "/whatsapp-message-template", &unknown).await;
        assert_error(res, 404, "NOT_FOUND").await;

        // Delete by name: gone at Meta; a second delete finds nothing.
        let body = json!({"accessToken": admin, "wabaId": waba, "name": name});
        ok(send(&app, Method::DELETE, "/whatsapp-message-template", &body).await).await;
        let (status, _) = at_meta(&meta, &id).await;
        assert_ne!(status, 200, "deleted at Meta");
        let res = send(&app, Method::DELETE, "/whatsapp-message-template", &body).await;
        assert_error(res, 404, "NOT_FOUND").await;

        // Flows: Meta's list; one created, given its Flow JSON, read, published at Meta.
        let on = format!("accessToken={admin}&channelId={channel}");
        let flows = ok(get(&app, &format!("/flow?{on}&limit=100")).await).await;
        assert!(
            flows["data"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["value"] == meta_flow.as_str()
                    && f["label"] == "Meta Flow (DRAFT)"
                    && f["status"] == "draft"),
            "{flows}"
        );
        let flow_name = format!("Cloud Flow {backend}");
        let made = ok(send(
            &app,
            Method::PUT,
            "/create-flow",
            &json!({"accessToken": admin, "channelId": channel,
                "data": {"name": flow_name, "categories": ["SURVEY"]}}),
        )
        .await)
        .await;
        let flow = made["id"].as_str().unwrap().to_owned();
        let (status, f) = at_meta(&meta, &format!("{flow}?fields=name,categories,status")).await;
        assert_eq!(status, 200, "{f}");
        assert_eq!(f["name"], flow_name.as_str(), "{f}");
        assert_eq!(f["categories"], json!(["SURVEY"]), "{f}");
        let flows = ok(get(&app, &format!("/flow?{on}&limit=100")).await).await;
        assert!(
            flows["data"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["value"] == flow.as_str()),
            "{flows}"
        );
        let uploaded = ok(send(
            &app,
            Method::PATCH,
            "/flow-json",
            &json!({"accessToken": admin, "channelId": channel, "flowId": flow,
                "data": preferences_flow_json()}),
        )
        .await)
        .await;
        assert_eq!(
            uploaded,
            json!({"ok": 1, "success": true, "validation_errors": []})
        );
        let renamed = format!("Renamed Flow {backend}");
        let done = ok(send(
            &app,
            Method::PATCH,
            "/flow-metadata",
            &json!({"accessToken": admin, "channelId": channel, "flowId": flow,
                "data": {"name": renamed}}),
        )
        .await)
        .await;
        assert_eq!(done, json!({"ok": 1, "success": true}));
        let (_, f) = at_meta(&meta, &format!("{flow}?fields=name")).await;
        assert_eq!(f["name"], renamed.as_str(), "{f}");
        let preview = ok(get(&app, &format!("/flow-preview?{on}&flowId={flow}")).await).await;
        assert!(
            preview["data"]["preview_url"]
                .as_str()
                .is_some_and(|u| u.starts_with(&meta.base_url)),
            "Meta's preview: {preview}"
        );
        let detail = ok(get(&app, &format!("/flow-detail?{on}&flowId={flow}")).await).await;
        assert_eq!(detail["name"], renamed.as_str(), "{detail}");
        assert_eq!(
            detail["whatsapp_business_account"]["id"],
            waba.as_str(),
            "{detail}"
        );
        let payload =
            ok(get(&app, &format!("/flow-screen-payload?{on}&flowId={flow}")).await).await;
        assert!(
            !payload["payload"]["screens"].as_array().unwrap().is_empty(),
            "{payload}"
        );
        let step = json!({"accessToken": admin, "channelId": channel, "flowId": flow});
        ok(send(&app, Method::POST, "/publish-flow", &step).await).await;
        let (_, f) = at_meta(&meta, &format!("{flow}?fields=status")).await;
        assert_eq!(f["status"], "PUBLISHED", "{f}");
        let res = send(&app, Method::DELETE, "/flow", &step).await;
        assert_error(res, 409, "REFUSED").await;
        ok(send(&app, Method::POST, "/deprecate-flow", &step).await).await;
        let (_, f) = at_meta(&meta, &format!("{flow}?fields=status")).await;
        assert_eq!(f["status"], "DEPRECATED", "{f}");
        let res = get(&app, &format!("/flow-detail?{on}&flowId=913687770028833")).await;
        assert_error(res, 404, "NOT_FOUND").await;

        // Catalogs and products: Meta's, paged with Meta's cursors.
        let catalogs = ok(get(&app, &format!("/catalogs?{on}")).await).await;
        assert_eq!(
            catalogs["data"],
            json!([{"id": catalog, "name": "meta_products"}]),
            "{catalogs}"
        );
        let first =
            ok(get(&app, &format!("/products?{on}&catalogId={catalog}&limit=1")).await).await;
        assert_eq!(first["data"].as_array().unwrap().len(), 1, "{first}");
        assert_eq!(first["paging"]["hasNext"], true, "{first}");
        let after = first["paging"]["cursors"]["after"].as_str().unwrap();
        let second = ok(get(
            &app,
            &format!("/products?{on}&catalogId={catalog}&limit=1&after={after}"),
        )
        .await)
        .await;
        assert_eq!(second["paging"]["hasNext"], false, "{second}");
        let mut got: Vec<&str> = [&first, &second]
            .iter()
            .map(|p| p["data"][0]["name"].as_str().unwrap())
            .collect();
        got.sort_unstable();
        assert_eq!(got, ["Meta Product 1", "Meta Product 2"]);
        assert_eq!(first["data"][0]["price"], "$10.99", "{first}");
        let res = get(&app, &format!("/products?{on}&catalogId=1234577510532066")).await;
        assert_error(res, 404, "NOT_FOUND").await;

        // Conversation analytics: Meta's figures (its one delivered template; the gateway
        // sent nothing).
        let now = wagate_core::Timestamp::now().as_second();
        let got = ok(get(
            &app,
            &format!(
                "/conversation-analytics?{on}&from={}&to={}&granularity=DAILY\
                 &dimensions=[\"conversation_direction\"]",
                now - 86_400,
                now + 86_400
            ),
        )
        .await)
        .await;
        let points = got["conversationAnalytics"]["data_points"]
            .as_array()
            .unwrap();
        let total: i64 = points
            .iter()
            .map(|p| p["conversation"].as_i64().unwrap())
            .sum();
        assert_eq!(total, 1, "{got}");
        assert!(
            app.messages("").await.is_empty(),
            "the gateway sent nothing"
        );
        let res = get(
            &app,
            &format!("/conversation-analytics?{on}&from=1&to=2&granularity=WEEKLY"),
        )
        .await;
        assert_error(res, 400, "INVALID_PARAMETER").await;
        app.stop().await;
    }
}
