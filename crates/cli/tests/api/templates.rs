//! Templates on the Cloud plane: create (Meta's lint and its subcodes), list with filters,
//! paging and summary, read by id, delete; other accounts' WABAs and templates unknown.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_graph_error, spawn_apps};

async fn waba_id(app: &TestApp) -> String {
    let list: Value = app.get("/api/v1/channels").await.json().await.unwrap();
    list["data"][0]["waba_id"].as_str().unwrap().to_owned()
}

fn order_update(name: &str, language: &str) -> Value {
    json!({
        "name": name, "language": language, "category": "UTILITY",
        "components": [
            {"type": "HEADER", "format": "TEXT", "text": "Order {{1}}", "example": {"header_text": ["860198"]}},
            {"type": "BODY", "text": "Hi {{1}}, your order {{2}} has shipped and arrives soon.",
             "example": {"body_text": [["Pablo", "860198"]]}},
            {"type": "FOOTER", "text": "Lucky Shrub"},
            {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "Stop updates"}]}
        ]
    })
}

#[tokio::test]
async fn templates_are_created_listed_read_and_deleted_like_meta() {
    for app in spawn_apps().await {
        let waba = waba_id(&app).await;
        let path = format!("/v23.0/{waba}/message_templates");
        let res = app
            .post_json(&path, &order_update("order_update", "en_US"))
            .await;
        assert_eq!(res.status(), 200, "{}", app.backend);
        let created: Value = res.json().await.unwrap();
        assert_eq!(created["status"], "PENDING");
        assert_eq!(created["category"], "UTILITY");
        let id = created["id"].as_str().unwrap().to_owned();
        assert!(id.chars().all(|c| c.is_ascii_digit()), "{id}");
        app.post_json(&path, &order_update("order_update", "pt_BR"))
            .await
            .error_for_status()
            .unwrap();

        // Read by id (the same GET path as a phone number).
        let t: Value = app.get(&format!("/v23.0/{id}")).await.json().await.unwrap();
        assert_eq!(t["name"], "order_update");
        assert_eq!(t["language"], "en_US");
        assert_eq!(t["parameter_format"], "POSITIONAL");
        assert_eq!(t["components"][1]["type"], "BODY");
        assert_eq!(t["components"][1]["example"]["body_text"][0][1], "860198");

        // `fields=` narrows a read (the id always comes); an unknown field is refused.
        let narrow: Value = app
            .get(&format!("/v23.0/{id}?fields=name,status"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            narrow,
            json!({"name": "order_update", "status": "PENDING", "id": id})
        );
        let listed: Value = app
            .get(&format!("{path}?fields=language"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(listed["data"][0], json!({"language": "en_US", "id": id}));
        assert_graph_error(app.get(&format!("/v23.0/{id}?fields=nope")).await, 400, 100).await;

        // The list: filters, summary, paging.
        let list: Value = app
            .get(&format!(
                "{path}?summary=total_count,message_template_limit&limit=1"
            ))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list["data"].as_array().unwrap().len(), 1);
        assert_eq!(list["summary"]["total_count"], 2);
        assert_eq!(list["summary"]["message_template_limit"], 250);
        let after = list["paging"]["cursors"]["after"].as_str().unwrap();
        assert!(list["paging"]["next"].as_str().unwrap().contains("after="));
        let rest: Value = app
            .get(&format!("{path}?limit=1&after={after}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(rest["data"][0]["language"], "pt_BR");
        assert!(rest["paging"].get("next").is_none(), "{rest}");
        let filtered: Value = app
            .get(&format!(
                "{path}?language=pt_BR&status=PENDING,APPROVED&content=shipped"
            ))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(filtered["data"].as_array().unwrap().len(), 1, "{filtered}");
        let none: Value = app
            .get(&format!("{path}?status=APPROVED"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(none["data"], json!([]));

        // Delete one language by id, then every language by name.
        let res = app
            .req(
                reqwest::Method::DELETE,
                &format!("{path}?name=order_update&hsm_id={id}"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.json::<Value>().await.unwrap(), json!({"success": true}));
        assert_graph_error(app.get(&format!("/v23.0/{id}")).await, 400, 100).await;
        let res = app
            .req(
                reqwest::Method::DELETE,
                &format!("{path}?name=order_update"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let res = app
            .req(
                reqwest::Method::DELETE,
                &format!("{path}?name=order_update"),
            )
            .send()
            .await
            .unwrap();
        assert_graph_error(res, 400, 100).await;
        // A deleted name is blocked for 30 days.
        let res = app
            .post_json(&path, &order_update("order_update", "en_US"))
            .await;
        let err = assert_graph_error(res, 400, 100).await;
        assert_eq!(err["error"]["error_subcode"], 2388023, "{err}");
        app.stop().await;
    }
}

#[tokio::test]
async fn bad_templates_get_metas_subcodes_and_nothing_is_stored() {
    for app in spawn_apps().await {
        let waba = waba_id(&app).await;
        let path = format!("/v23.0/{waba}/message_templates");
        let mut starts = order_update("starts_with_variable", "en_US");
        starts["components"][1] = json!({"type": "BODY", "text": "{{1}} your order has shipped today, thanks",
            "example": {"body_text": [["Pablo"]]}});
        let mut long = order_update("long_body", "en_US");
        long["components"][1]["text"] = json!(format!("Hi {{{{1}}}}, {} ok", "a".repeat(1100)));
        let mut footer = order_update("footer_var", "en_US");
        footer["components"][2]["text"] = json!("Bye {{1}}");
        let cases = [
            (starts, Some(2388299u64)),
            (long, Some(2388040)),
            (footer, Some(2388073)),
            (order_update("Bad Name", "en_US"), None),
            (order_update("bad_language", "xx_YY"), None),
        ];
        for (body, subcode) in cases {
            let res = app.post_json(&path, &body).await;
            let err = assert_graph_error(res, 400, 100).await;
            assert_eq!(
                err["error"].get("error_subcode").and_then(Value::as_u64),
                subcode,
                "{}: {err}",
                body["name"]
            );
            if subcode.is_some() {
                assert!(err["error"]["error_user_msg"].is_string(), "{err}");
            }
        }
        let res = app
            .post_raw(&path, "application/json", b"{\"name\": ".to_vec())
            .await;
        assert_graph_error(res, 400, 100).await;
        let list: Value = app
            .get(&format!("{path}?summary=total_count"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list["summary"]["total_count"], 0, "nothing stored");
        // Bad list and delete parameters: Graph errors naming the parameter.
        for query in [
            "status=BOGUS",
            "language=xx_YY",
            "limit=0",
            "limit=many",
            "after=not-a-cursor",
        ] {
            let res = app.get(&format!("{path}?{query}")).await;
            let err = assert_graph_error(res, 400, 100).await;
            let param = query.split('=').next().unwrap();
            assert!(
                err["error"]["message"].as_str().unwrap().contains(param),
                "{query}: {err}"
            );
        }
        for query in ["", "?name=Bad%20Name", "?name=ok&hsm_id=abc"] {
            let res = app
                .req(reqwest::Method::DELETE, &format!("{path}{query}"))
                .send()
                .await
                .unwrap();
            assert_graph_error(res, 400, 100).await;
        }

        // Another account: its WABA and its templates do not exist for us.
        app.post_json(&path, &order_update("mine", "en_US"))
            .await
            .error_for_status()
            .unwrap();
        let (_, other_key) = app.other_account().await;
        let res = app
            .with_key(reqwest::Method::GET, &path, &other_key)
            .send()
            .await
            .unwrap();
        let err = assert_graph_error(res, 400, 100).await;
        assert_eq!(err["error"]["error_subcode"], 33);
        let res = app
            .with_key(reqwest::Method::POST, &path, &other_key)
            .json(&order_update("theirs", "en_US"))
            .send()
            .await
            .unwrap();
        assert_graph_error(res, 400, 100).await;
        app.stop().await;
    }
}

/// Runs the sandbox's review once, now, with no delay; answers the template.
async fn review_now(app: &TestApp, id: &str) -> Value {
    let config = wagate_app::templates::TemplatesConfig {
        review_delay_ms: 0,
        ..Default::default()
    };
    wagate_app::templates::review::TemplateReviewer::new(app.app.store().clone(), config)
        .run_once(wagate_core::Timestamp::now())
        .await
        .unwrap();
    app.get(&format!("/v23.0/{id}")).await.json().await.unwrap()
}

/// The template once the sandbox's review is due: the workers are driven a second on (past
/// the tests' 50 ms review delay), so it is reviewed, and its webhooks delivered, by then.
async fn reviewed(app: &TestApp, id: &str) -> Value {
    app.app
        .drain_at(crate::helpers::from_now(Duration::from_secs(1)))
        .await
        .unwrap();
    let t: Value = app.get(&format!("/v23.0/{id}")).await.json().await.unwrap();
    assert_ne!(
        t["status"], "PENDING",
        "template {id} was never reviewed: {t}"
    );
    t
}

#[tokio::test]
async fn the_sandbox_reviews_templates_by_its_rules_and_tells_subscribers() {
    let apps = crate::helpers::spawn_apps_with(|c| c.templates.review_delay_ms = 50).await;
    for app in apps {
        let receiver = crate::receiver::Receiver::start().await;
        let res = app
            .post_json(
                "/api/v1/webhooks",
                &json!({"url": receiver.url, "secret": crate::receiver::SECRET,
                    "verify_token": crate::receiver::TOKEN,
                    "fields": ["message_template_status_update"]}),
            )
            .await;
        assert_eq!(res.status(), 201);
        let waba = waba_id(&app).await;
        let path = format!("/v23.0/{waba}/message_templates");
        let mut promo = order_update("weekend_news", "en_US");
        promo["components"][1]["text"] =
            json!("Hi {{1}}, our big sale is on: 20% off order {{2}} and more this weekend.");
        let mut adjacent = order_update("adjacent_vars", "en_US");
        adjacent["components"][1]["text"] =
            json!("Hi {{1}}{{2}}, your order has shipped and arrives very soon.");
        let mut cases = Vec::new();
        for (body, status, reason) in [
            (order_update("order_update", "en_US"), "APPROVED", None),
            (promo, "REJECTED", Some("INCORRECT_CATEGORY")),
            (adjacent, "REJECTED", Some("INVALID_FORMAT")),
        ] {
            let created: Value = app.post_json(&path, &body).await.json().await.unwrap();
            cases.push((created["id"].as_str().unwrap().to_owned(), status, reason));
        }
        for (id, status, reason) in &cases {
            let t = reviewed(&app, id).await;
            assert_eq!(t["status"], *status, "{}: {t}", app.backend);
            assert_eq!(t["rejected_reason"].as_str(), *reason, "{t}");
        }
        let approved = reviewed(&app, &cases[0].0).await;
        assert_eq!(approved["quality_score"]["score"], "UNKNOWN");

        // One status update per template, as Meta sends it: no metadata, entry time, ids.
        let posts = receiver.wait(3).await;
        for (id, status, reason) in &cases {
            let post = posts
                .iter()
                .find(|p| {
                    p.body["entry"][0]["changes"][0]["value"]["message_template_id"].as_u64()
                        == id.parse::<u64>().ok()
                })
                .unwrap_or_else(|| panic!("no update for {id}"));
            let entry = &post.body["entry"][0];
            assert_eq!(entry["id"], waba.as_str());
            assert!(entry["time"].is_i64(), "{entry}");
            let change = &entry["changes"][0];
            assert_eq!(change["field"], "message_template_status_update");
            assert_eq!(change["value"]["event"], *status);
            assert_eq!(change["value"]["reason"], reason.unwrap_or("NONE"));
            assert!(change["value"].get("metadata").is_none());
        }
        app.stop().await;
    }
}

#[tokio::test]
async fn templates_are_edited_within_metas_rules_and_reviewed_again() {
    // Reviewed by hand (`review_now`), so nothing is reviewed between two requests.
    for app in spawn_apps().await {
        let waba = waba_id(&app).await;
        let path = format!("/v23.0/{waba}/message_templates");
        let created: Value = app
            .post_json(&path, &order_update("order_update", "en_US"))
            .await
            .json()
            .await
            .unwrap();
        let id = created["id"].as_str().unwrap().to_owned();
        let edit = format!("/v23.0/{id}");
        // Pending: not editable yet.
        let res = app
            .post_json(&edit, &json!({"message_send_ttl_seconds": 3600}))
            .await;
        assert_graph_error(res, 400, 100).await;
        assert_eq!(review_now(&app, &id).await["status"], "APPROVED");

        // Only category, components and the TTL can change; an approved category stays.
        let res = app.post_json(&edit, &json!({"name": "renamed"})).await;
        assert_graph_error(res, 400, 100).await;
        let res = app
            .post_json(&edit, &json!({"category": "MARKETING"}))
            .await;
        assert_graph_error(res, 400, 100).await;
        // The edit is linted whole.
        let res = app
            .post_json(
                &edit,
                &json!({"components": [{"type": "BODY", "text": "{{1}} shipped your order today, thanks"}]}),
            )
            .await;
        let err = assert_graph_error(res, 400, 100).await;
        assert!(err["error"]["error_subcode"].is_u64(), "{err}");

        let new_body = json!([{"type": "BODY", "text": "Hello {{1}}, order {{2}} is on its way to you now.",
            "example": {"body_text": [["Ana", "42"]]}}]);
        let res = app.post_json(&edit, &json!({"components": new_body})).await;
        assert_eq!(
            res.json::<Value>().await.unwrap(),
            json!({"success": true, "id": id, "name": "order_update", "category": "UTILITY"})
        );
        let t: Value = app.get(&edit).await.json().await.unwrap();
        assert_eq!(t["status"], "PENDING", "back to review");
        assert_eq!(t["components"].as_array().unwrap().len(), 1);
        assert_eq!(review_now(&app, &id).await["status"], "APPROVED");
        // An approved template: once per 24 hours.
        let res = app
            .post_json(&edit, &json!({"message_send_ttl_seconds": 3600}))
            .await;
        assert_graph_error(res, 400, 4).await;

        // Read through its WABA; another WABA id or an unknown id does not exist.
        let t: Value = app.get(&format!("{path}/{id}")).await.json().await.unwrap();
        assert_eq!(t["id"], id.as_str());
        let res = app.get(&format!("{path}/123456789012345")).await;
        assert_graph_error(res, 400, 100).await;
        let res = app
            .post_json("/v23.0/123456789012345", &json!({"category": "UTILITY"}))
            .await;
        assert_graph_error(res, 400, 100).await;
        let (_, other_key) = app.other_account().await;
        let res = app
            .with_key(reqwest::Method::POST, &edit, &other_key)
            .json(&json!({"message_send_ttl_seconds": 3600}))
            .send()
            .await
            .unwrap();
        assert_graph_error(res, 400, 100).await;
        app.stop().await;
    }
}
