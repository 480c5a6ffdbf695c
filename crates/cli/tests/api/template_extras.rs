//! Template operations beyond create/list/get/edit/delete, as pywa calls them: Marketing
//! Messages Lite sends, unpause, the AUTHENTICATION upsert, archive/unarchive, compare and
//! migrate — each with bad input and another account's ids.

use reqwest::Method;
use serde_json::{Value, json};
use wagate_app::templates::TemplatesConfig;
use wagate_app::templates::review::TemplateReviewer;

use crate::helpers::{TestApp, assert_graph_error, spawn_apps};

const USER: &str = "15550003333";

async fn waba_id(app: &TestApp) -> String {
    let list: Value = app.get("/api/v1/channels").await.json().await.unwrap();
    list["data"][0]["waba_id"].as_str().unwrap().to_owned()
}

fn marketing(name: &str) -> Value {
    json!({"name": name, "language": "en_US", "category": "MARKETING",
        "components": [{"type": "BODY", "text": "Our spring range is in, come and take a look."}]})
}

fn template_send(name: &str) -> Value {
    json!({"messaging_product": "whatsapp", "to": USER, "type": "template",
        "template": {"name": name, "language": {"code": "en_US"}}})
}

fn auth_upsert() -> Value {
    json!({"name": "login_code", "languages": ["en_US", "es"], "category": "AUTHENTICATION",
    "components": [
        {"type": "BODY", "add_security_recommendation": true},
        {"type": "FOOTER", "code_expiration_minutes": 5},
        {"type": "BUTTONS", "buttons": [{"type": "OTP", "otp_type": "COPY_CODE", "text": "Copy"}]}
    ]})
}

/// Has the sandbox approve every pending template now.
async fn approve_all(app: &TestApp) {
    let approve = TemplatesConfig {
        approve_all: true,
        review_delay_ms: 0,
        ..TemplatesConfig::default()
    };
    TemplateReviewer::new(app.app.store().clone(), approve)
        .run_once(wagate_core::Timestamp::now())
        .await
        .unwrap();
}

async fn status(app: &TestApp, id: &str) -> Value {
    let t: Value = app.get(&format!("/v23.0/{id}")).await.json().await.unwrap();
    t["status"].clone()
}

async fn ok_json(res: reqwest::Response) -> Value {
    let code = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(code, 200, "{body}");
    body
}

#[tokio::test]
async fn marketing_messages_send_marketing_templates_only() {
    for app in spawn_apps().await {
        app.configure_sandbox(json!({})).await;
        app.approved_template(marketing("spring_range")).await;
        app.simple_template("account_note", "en_US").await;
        let path = format!("/v23.0/{}/marketing_messages", app.phone_number_id);
        let mut body = template_send("spring_range");
        body["message_activity_sharing"] = json!(true);
        let sent = ok_json(app.post_json(&path, &body).await).await;
        assert_eq!(sent["contacts"][0]["wa_id"], USER, "{}", app.backend);
        let wamid = sent["messages"][0]["id"].as_str().unwrap();
        assert!(wamid.starts_with("wamid."), "{sent}");
        app.wait_status(wamid, &["sent", "delivered", "read"]).await;

        // A UTILITY template, a text message, a bad flag: Graph 100.
        let err = assert_graph_error(
            app.post_json(&path, &template_send("account_note")).await,
            400,
            100,
        )
        .await;
        assert!(
            err["error"]["message"]
                .as_str()
                .unwrap()
                .contains("MARKETING"),
            "{err}"
        );
        let text = json!({"messaging_product": "whatsapp", "to": USER, "type": "text",
            "text": {"body": "hi"}});
        assert_graph_error(app.post_json(&path, &text).await, 400, 100).await;
        body["message_activity_sharing"] = json!("yes");
        assert_graph_error(app.post_json(&path, &body).await, 400, 100).await;
        // An unknown template is the send's own 132001.
        assert_graph_error(
            app.post_json(&path, &template_send("nope")).await,
            404,
            132001,
        )
        .await;

        // Another account cannot send from this number.
        let (_, other) = app.other_account().await;
        let res = app
            .with_key(Method::POST, &path, &other)
            .json(&template_send("spring_range"))
            .send()
            .await
            .unwrap();
        assert_graph_error(res, 400, 100).await;
    }
}

#[tokio::test]
async fn unpause_approves_a_paused_template_again() {
    for app in spawn_apps().await {
        let id = app.approved_template(marketing("spring_range")).await;
        let unpause = format!("/v23.0/{id}/unpause");
        let not_paused = ok_json(app.post_json(&unpause, &json!({})).await).await;
        assert_eq!(not_paused["success"], false, "{}", app.backend);
        assert!(not_paused["reason"].as_str().unwrap().contains("APPROVED"));

        let rated = app
            .post_json(
                &format!("/sandbox/templates/{id}/quality"),
                &json!({"score": "RED"}),
            )
            .await;
        assert_eq!(rated.status(), 200);
        assert_eq!(status(&app, &id).await, "PAUSED");
        let done = ok_json(app.post_json(&unpause, &json!({})).await).await;
        assert_eq!(done, json!({"success": true}));
        assert_eq!(status(&app, &id).await, "APPROVED");

        assert_graph_error(
            app.post_json("/v23.0/123456789012345/unpause", &json!({}))
                .await,
            400,
            100,
        )
        .await;
        let (_, other) = app.other_account().await;
        let res = app
            .with_key(Method::POST, &unpause, &other)
            .send()
            .await
            .unwrap();
        assert_graph_error(res, 400, 100).await;
    }
}

#[tokio::test]
async fn upsert_creates_then_edits_authentication_templates_per_language() {
    for app in spawn_apps().await {
        let waba = waba_id(&app).await;
        let path = format!("/v23.0/{waba}/upsert_message_templates");
        let created = ok_json(app.post_json(&path, &auth_upsert()).await).await;
        let data = created["data"].as_array().unwrap();
        assert_eq!(data.len(), 2, "{}: {created}", app.backend);
        assert_eq!(data[0]["language"], "en_US");
        assert_eq!(data[1]["language"], "es");
        for d in data {
            assert_eq!(d["status"], "PENDING");
            assert_eq!(d["category"], "AUTHENTICATION");
        }
        approve_all(&app).await;
        let mut again = auth_upsert();
        again["components"][1]["code_expiration_minutes"] = json!(10);
        let updated = ok_json(app.post_json(&path, &again).await).await;
        assert_eq!(updated["data"][0]["id"], data[0]["id"], "the same template");
        assert_eq!(updated["data"][1]["id"], data[1]["id"]);
        let id = data[0]["id"].as_str().unwrap();
        let t: Value = app.get(&format!("/v23.0/{id}")).await.json().await.unwrap();
        assert_eq!(t["components"][1]["code_expiration_minutes"], 10, "{t}");

        // Not AUTHENTICATION, no languages, a bad language, a bad component: 100.
        for patch in [
            json!({"category": "UTILITY"}),
            json!({"languages": []}),
            json!({"languages": ["xx_YY"]}),
            json!({"components": [{"type": "BODY", "text": "Buy now"}]}),
        ] {
            let mut body = auth_upsert();
            for (k, v) in patch.as_object().unwrap() {
                body[k] = v.clone();
            }
            let res = app.post_json(&path, &body).await;
            assert_eq!(res.status(), 400, "{patch}");
            let e: Value = res.json().await.unwrap();
            assert!(e["error"]["code"].is_u64(), "{e}");
        }
        let (_, other) = app.other_account().await;
        let res = app
            .with_key(Method::POST, &path, &other)
            .json(&auth_upsert())
            .send()
            .await
            .unwrap();
        assert_graph_error(res, 400, 100).await;
    }
}

#[tokio::test]
async fn archived_templates_cannot_be_sent_until_unarchived() {
    for app in spawn_apps().await {
        app.configure_sandbox(json!({})).await;
        let waba = waba_id(&app).await;
        let id = app.approved_template(marketing("spring_range")).await;
        let archive = format!("/{waba}/message_templates/archive");
        let unarchive = format!("/v23.0/{waba}/message_templates/unarchive");
        let hsm = json!({"hsm_ids": format!("{id},999999999999999")});
        let done = ok_json(app.post_json(&archive, &hsm).await).await;
        assert_eq!(done["archived_templates"], json!([id]), "{}", app.backend);
        assert!(
            done["failed_templates"]["999999999999999"].is_string(),
            "{done}"
        );
        assert_eq!(status(&app, &id).await, "ARCHIVED");
        // The literal segment does not hide a template read in the WABA.
        let read = app
            .get(&format!("/v23.0/{waba}/message_templates/{id}"))
            .await;
        assert_eq!(read.status(), 200);

        let messages = format!("/v23.0/{}/messages", app.phone_number_id);
        assert_graph_error(
            app.post_json(&messages, &template_send("spring_range"))
                .await,
            404,
            132001,
        )
        .await;
        let again = ok_json(app.post_json(&archive, &hsm).await).await;
        assert_eq!(again["archived_templates"], json!([]));
        assert!(again["failed_templates"][&id].is_string(), "{again}");

        let back = ok_json(app.post_json(&unarchive, &json!({"hsm_ids": [id]})).await).await;
        assert_eq!(back["unarchived_templates"], json!([id]));
        assert_eq!(back["failed_templates"], json!({}));
        assert_eq!(status(&app, &id).await, "APPROVED");
        app.send(template_send("spring_range")).await;

        // Missing is Meta's 131008; empty is 100.
        assert_graph_error(app.post_json(&archive, &json!({})).await, 400, 131008).await;
        assert_graph_error(
            app.post_json(&archive, &json!({"hsm_ids": ""})).await,
            400,
            100,
        )
        .await;
        let (_, other) = app.other_account().await;
        let res = app
            .with_key(Method::POST, &archive, &other)
            .json(&hsm)
            .send()
            .await
            .unwrap();
        assert_graph_error(res, 400, 100).await;
    }
}

#[tokio::test]
async fn compare_counts_each_templates_sends_in_the_window() {
    for app in spawn_apps().await {
        app.configure_sandbox(json!({})).await;
        let a = app.approved_template(marketing("spring_range")).await;
        let b = app.simple_template("account_note", "en_US").await;
        app.send(template_send("spring_range")).await;
        app.send(template_send("spring_range")).await;
        let now = wagate_core::Timestamp::now().as_second();
        let path = |start: i64, end: i64| {
            format!(
                "/v23.0/{a}/compare?template_ids={b}&start={start}&end={end}",
                start = start,
                end = end
            )
        };
        let r = ok_json(app.get(&path(now - 3600, now + 60)).await).await;
        let metrics = r["data"].as_array().unwrap();
        assert_eq!(metrics[0]["metric"], "BLOCK_RATE", "{}", app.backend);
        assert_eq!(metrics[0]["order_by_relative_metric"], json!([a, b]));
        assert_eq!(metrics[1]["metric"], "MESSAGE_SENDS");
        assert_eq!(
            metrics[1]["number_values"],
            json!([{"key": a, "value": 2}, {"key": b, "value": 0}])
        );
        assert_eq!(metrics[2]["metric"], "TOP_BLOCK_REASON");
        // A window before the sends.
        let r = ok_json(app.get(&path(now - 7200, now - 3600)).await).await;
        assert_eq!(r["data"][1]["number_values"][0]["value"], 0);

        // No other template (131008, missing), a bad window, an unknown id: 100.
        assert_graph_error(
            app.get(&format!("/v23.0/{a}/compare?start=1&end=2")).await,
            400,
            131008,
        )
        .await;
        assert_graph_error(app.get(&path(now, now - 10)).await, 400, 100).await;
        assert_graph_error(
            app.get(&format!(
                "/v23.0/{a}/compare?template_ids={b}&start=x&end=2"
            ))
            .await,
            400,
            100,
        )
        .await;
        assert_graph_error(
            app.get(&format!(
                "/v23.0/{a}/compare?template_ids=123456789012345&start=1&end=2"
            ))
            .await,
            400,
            100,
        )
        .await;
        let (_, other) = app.other_account().await;
        let res = app
            .with_key(Method::GET, &path(now - 3600, now), &other)
            .send()
            .await
            .unwrap();
        assert_graph_error(res, 400, 100).await;
    }
}

#[tokio::test]
async fn migrate_copies_approved_templates_into_another_waba_of_the_account() {
    for app in spawn_apps().await {
        let source = waba_id(&app).await;
        let id = app.approved_template(marketing("spring_range")).await;
        let second = app.create_channel(&app.api_key, "Second Shop").await;
        let dest = second["waba_id"].as_str().unwrap().to_owned();
        assert_ne!(source, dest);
        let path = format!("/v23.0/{dest}/migrate_message_templates?source_waba_id={source}");
        let r = ok_json(app.post_json(&path, &json!({})).await).await;
        let migrated = r["migrated_templates"].as_array().unwrap();
        assert_eq!(migrated.len(), 1, "{}: {r}", app.backend);
        assert_ne!(migrated[0], id.as_str(), "a new template");
        assert_eq!(r["failed_templates"], json!([]));
        let list: Value = app
            .get(&format!("/v23.0/{dest}/message_templates"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list["data"][0]["name"], "spring_range");
        assert_eq!(list["data"][0]["status"], "PENDING");

        // Again: the name is taken in the destination. Page 1 is empty.
        let r = ok_json(app.post_json(&path, &json!({})).await).await;
        assert_eq!(r["migrated_templates"], json!([]));
        assert_eq!(r["failed_templates"][0]["id"], id.as_str(), "{r}");
        let r = ok_json(
            app.post_json(&format!("{path}&page_number=1"), &json!({}))
                .await,
        )
        .await;
        assert_eq!(r["migrated_templates"], json!([]));
        assert_eq!(r["failed_templates"], json!([]));

        // The same WABA, a bad page: 100; no source: 131008.
        for (bad, code) in [
            (
                format!("/v23.0/{source}/migrate_message_templates?source_waba_id={source}"),
                100,
            ),
            (format!("{path}&page_number=-1"), 100),
            (format!("/v23.0/{dest}/migrate_message_templates"), 131008),
        ] {
            assert_graph_error(app.post_json(&bad, &json!({})).await, 400, code).await;
        }
        // Another account's WABA, as source or as destination.
        let (_, other) = app.other_account().await;
        let theirs = app.create_channel(&other, "Their Shop").await;
        let their_waba = theirs["waba_id"].as_str().unwrap();
        assert_graph_error(
            app.post_json(
                &format!("/v23.0/{dest}/migrate_message_templates?source_waba_id={their_waba}"),
                &json!({}),
            )
            .await,
            400,
            100,
        )
        .await;
        let res = app
            .with_key(Method::POST, &path, &other)
            .send()
            .await
            .unwrap();
        assert_graph_error(res, 400, 100).await;
    }
}
