//! Template messages checked at send time as Meta does (132000, 132001, 132005, 132012,
//! 132015, 132016, 132018), the filled text kept with the message, the template's category
//! driving pricing and the marketing opt-out, and the management plane's preview.

use reqwest::Method;
use serde_json::{Value, json};
use wagate_core::ids::{AccountId, TemplateId};
use wagate_core::template::TemplateStatus;

use crate::helpers::{TestApp, assert_graph_error, assert_manage_error, spawn_apps};

const USER: &str = "15550002222";

fn order_update() -> Value {
    json!({"name": "order_update", "language": "en_US", "category": "UTILITY",
    "components": [
        {"type": "HEADER", "format": "TEXT", "text": "Order {{1}}", "example": {"header_text": ["#1"]}},
        {"type": "BODY", "text": "Hi {{1}}, your total is {{2}} and it ships {{3}} from our shop.",
         "example": {"body_text": [["Ann", "$5", "today"]]}},
        {"type": "FOOTER", "text": "Lucky Shrub"},
        {"type": "BUTTONS", "buttons": [
            {"type": "URL", "text": "Track", "url": "https://shop.example/t/{{1}}", "example": ["https://shop.example/t/42"]},
            {"type": "QUICK_REPLY", "text": "Stop updates"}]}
    ]})
}

fn order_components() -> Value {
    json!([
        {"type": "header", "parameters": [{"type": "text", "text": "#42"}]},
        {"type": "body", "parameters": [
            {"type": "text", "text": "Jessica"},
            {"type": "currency", "currency": {"fallback_value": "$12.50", "code": "USD", "amount_1000": 12500}},
            {"type": "date_time", "date_time": {"fallback_value": "May 1"}}]},
        {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "ORDER-42"}]}
    ])
}

fn template_send(name: &str, language: &str, components: Value) -> Value {
    json!({"messaging_product": "whatsapp", "to": USER, "type": "template",
        "template": {"name": name, "language": {"code": language}, "components": components}})
}

impl TestApp {
    fn messages_path(&self) -> String {
        format!("/v23.0/{}/messages", self.phone_number_id)
    }

    /// Sets a template's status straight in the store (what quality ratings do).
    async fn set_template_status(&self, id: &str, status: TemplateStatus) {
        let store = self.app.store();
        let account: AccountId = self.account_id.parse().unwrap();
        let mut t = store
            .get_template(account, &TemplateId::parse(id).unwrap())
            .await
            .unwrap();
        t.status = status;
        store.update_template(t, Vec::new()).await.unwrap();
    }
}

#[tokio::test]
async fn approved_templates_are_filled_and_the_user_sees_the_text() {
    for app in spawn_apps().await {
        app.configure_sandbox(json!({})).await;
        let id = app.approved_template(order_update()).await;
        let wamid = app
            .send(template_send("order_update", "en_US", order_components()))
            .await;
        let m = app.wait_status(&wamid, &["delivered", "read"]).await;
        assert_eq!(
            m["preview"], "Hi Jessica, your total is $12.50 and it ships May 1 from our shop.",
            "{}",
            app.backend
        );
        let r = &m["rendered"];
        assert_eq!(r["template_id"], id.as_str());
        assert_eq!(r["category"], "UTILITY");
        assert_eq!(r["header"], "Order #42");
        assert_eq!(r["footer"], "Lucky Shrub");
        assert_eq!(
            r["buttons"],
            json!(["Track: https://shop.example/t/ORDER-42", "Stop updates"])
        );
        // The request as sent stays the message's content.
        assert_eq!(m["content"]["name"], "order_update");
        assert_eq!(m["content"]["components"][2]["index"], 0);
        // A utility template outside the window is billed as utility.
        assert_eq!(m["pricing"]["category"], "utility");
        assert_eq!(m["pricing"]["billable"], true);
    }
}

#[tokio::test]
async fn sends_that_do_not_fit_the_template_get_metas_codes_and_store_nothing() {
    for app in spawn_apps().await {
        let id = app.approved_template(order_update()).await;
        let path = app.messages_path();
        let good = order_components();
        let mut short = good.clone();
        short[1]["parameters"].as_array_mut().unwrap().pop();
        let mut video = good.clone();
        video[2] = json!({"type": "button", "sub_type": "quick_reply", "index": 0,
            "parameters": [{"type": "payload", "payload": "x"}]});
        let mut long = good.clone();
        long[0]["parameters"][0]["text"] = json!("x".repeat(60));
        let mut newline = good.clone();
        newline[1]["parameters"][0]["text"] = json!("Jessica\nand Tom");
        let cases = [
            (template_send("order_update", "en_US", short), 400, 132000),
            (template_send("order_update", "en_US", video), 400, 132012),
            (template_send("order_update", "en_US", long), 400, 132005),
            (template_send("order_update", "en_US", newline), 400, 132018),
            (
                template_send("order_update", "de", good.clone()),
                404,
                132001,
            ),
            (
                template_send("no_such_template", "en_US", json!([])),
                404,
                132001,
            ),
        ];
        for (body, status, code) in cases {
            let err = assert_graph_error(app.post_json(&path, &body).await, status, code).await;
            let message = err["error"]["message"].as_str().unwrap();
            assert!(message.starts_with(&format!("(#{code}) ")), "{err}");
            let details = err["error"]["error_data"]["details"].as_str().unwrap();
            assert!(!details.is_empty(), "{err}");
        }
        let short_err = {
            let mut short = order_components();
            short[1]["parameters"].as_array_mut().unwrap().pop();
            let res = app
                .post_json(&path, &template_send("order_update", "en_US", short))
                .await;
            assert_graph_error(res, 400, 132000).await
        };
        assert_eq!(
            short_err["error"]["message"],
            "(#132000) Number of parameters does not match the expected number of params"
        );
        assert_eq!(
            short_err["error"]["error_data"]["details"],
            "body: number of parameters (2) does not match the expected number of params (3)"
        );
        let missing = app
            .post_json(
                &path,
                &template_send("no_such_template", "en_US", json!([])),
            )
            .await;
        let missing = assert_graph_error(missing, 404, 132001).await;
        assert_eq!(
            missing["error"]["error_data"]["details"],
            "template name (no_such_template) does not exist in en_US"
        );
        // Header media by id waits for the media store.
        assert!(app.messages("").await.is_empty(), "nothing stored");

        // Not approved (yet), paused, disabled.
        app.set_template_status(&id, TemplateStatus::Paused).await;
        let send = template_send("order_update", "en_US", good.clone());
        assert_graph_error(app.post_json(&path, &send).await, 400, 132015).await;
        app.set_template_status(&id, TemplateStatus::Disabled).await;
        let err = assert_graph_error(app.post_json(&path, &send).await, 400, 132016).await;
        assert_eq!(err["error"]["message"], "(#132016) Template is Disabled");
        app.set_template_status(&id, TemplateStatus::Rejected).await;
        assert_graph_error(app.post_json(&path, &send).await, 404, 132001).await;
        assert!(app.messages("").await.is_empty(), "nothing stored");
    }
}

#[tokio::test]
async fn pending_and_other_accounts_templates_cannot_be_sent() {
    let app = crate::helpers::spawn_app().await;
    let path = app.messages_path();
    let list: Value = app.get("/api/v1/channels").await.json().await.unwrap();
    let waba = list["data"][0]["waba_id"].as_str().unwrap().to_owned();
    let pending = json!({"name": "later", "language": "en", "category": "UTILITY",
        "components": [{"type": "BODY", "text": "Your account was updated as you asked."}]});
    let res = app
        .post_json(&format!("/v23.0/{waba}/message_templates"), &pending)
        .await;
    assert_eq!(res.status(), 200);
    let err = assert_graph_error(
        app.post_json(&path, &template_send("later", "en", json!([])))
            .await,
        404,
        132001,
    )
    .await;
    assert_eq!(
        err["error"]["error_data"]["details"],
        "template later (en) is PENDING, not APPROVED"
    );

    // Another account's approved template of the same shape is not ours to send.
    let (_, other_key) = app.other_account().await;
    let channel = app.create_channel(&other_key, "Other Shop").await;
    let other_waba = channel["waba_id"].as_str().unwrap();
    let secret = json!({"name": "secret_offer", "language": "en", "category": "UTILITY",
        "components": [{"type": "BODY", "text": "Your account was updated as you asked."}]});
    let res = app
        .with_key(
            Method::POST,
            &format!("/v23.0/{other_waba}/message_templates"),
            &other_key,
        )
        .json(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    app.simple_template("mine", "en").await; // the reviewer approves every pending template
    assert_graph_error(
        app.post_json(&path, &template_send("secret_offer", "en", json!([])))
            .await,
        404,
        132001,
    )
    .await;
    assert!(app.messages("").await.is_empty(), "nothing stored");
}

#[tokio::test]
async fn marketing_templates_do_not_reach_users_who_sent_stop() {
    for app in spawn_apps().await {
        app.configure_sandbox(json!({})).await;
        app.approved_template(json!({"name": "spring_sale", "language": "en", "category": "MARKETING",
            "components": [{"type": "BODY", "text": "Our spring collection is here, have a look."}]}))
            .await;
        app.simple_template("account_update", "en").await;
        app.inject(json!({"from": USER, "text": {"body": "STOP"}}))
            .await;
        let marketing = app
            .send(template_send("spring_sale", "en", json!([])))
            .await;
        let m = app.wait_status(&marketing, &["failed", "delivered"]).await;
        assert_eq!(m["status"], "failed", "{}: {m}", app.backend);
        assert_eq!(m["error"]["code"], 131050);
        assert_eq!(m["handovers"], 0);
        let utility = app
            .send(template_send("account_update", "en", json!([])))
            .await;
        let m = app.wait_status(&utility, &["delivered", "read"]).await;
        // Inside the window opened by the STOP message: a free utility template.
        assert_eq!(m["pricing"]["category"], "utility");
        assert_eq!(m["pricing"]["type"], "free_customer_service");

        app.inject(json!({"from": USER, "text": {"body": "START"}}))
            .await;
        let again = app
            .send(template_send("spring_sale", "en", json!([])))
            .await;
        let m = app.wait_status(&again, &["delivered", "read"]).await;
        assert_eq!(m["pricing"]["category"], "marketing");
        assert_eq!(m["pricing"]["billable"], true);
    }
}

#[tokio::test]
async fn previews_fill_any_template_through_the_same_check() {
    for app in spawn_apps().await {
        let list: Value = app.get("/api/v1/channels").await.json().await.unwrap();
        let waba = list["data"][0]["waba_id"].as_str().unwrap().to_owned();
        let created: Value = app
            .post_json(&format!("/v23.0/{waba}/message_templates"), &order_update())
            .await
            .json()
            .await
            .unwrap();
        let id = created["id"].as_str().unwrap();
        let path = format!("/api/v1/templates/{id}/preview");
        let res = app
            .post_json(&path, &json!({"components": order_components()}))
            .await;
        assert_eq!(res.status(), 200);
        let p: Value = res.json().await.unwrap();
        assert_eq!(p["status"], "PENDING", "a pending template previews");
        assert_eq!(
            (&p["name"], &p["language"]),
            (&json!("order_update"), &json!("en_US"))
        );
        assert_eq!(
            p["rendered"]["body"],
            "Hi Jessica, your total is $12.50 and it ships May 1 from our shop."
        );
        assert_eq!(p["rendered"]["header"], "Order #42");

        let mut short = order_components();
        short[1]["parameters"].as_array_mut().unwrap().pop();
        let err = assert_manage_error(
            app.post_json(&path, &json!({"components": short})).await,
            400,
            "template_param_count_mismatch",
        )
        .await;
        assert_eq!(
            err["error"]["message"],
            "body: number of parameters (2) does not match the expected number of params (3)"
        );
        let mut wrong = order_components();
        wrong[1]["parameters"][1] = json!({"type": "currency", "currency": {"code": "USD"}});
        assert_manage_error(
            app.post_json(&path, &json!({"components": wrong})).await,
            400,
            "template_param_format_mismatch",
        )
        .await;
        // Shape errors name the field; bad JSON and unknown keys are refused.
        let err = assert_manage_error(
            app.post_json(&path, &json!({"components": [{"type": "footer"}]}))
                .await,
            400,
            "invalid_request",
        )
        .await;
        assert_eq!(err["error"]["field"], "components[0].type");
        assert_manage_error(
            app.post_json(&path, &json!({"parameters": []})).await,
            400,
            "invalid_request",
        )
        .await;
        let res = app
            .post_raw(&path, "application/json", "{\"components\": [")
            .await;
        assert_manage_error(res, 400, "malformed_json").await;
        // Unknown and other accounts' templates are not found.
        assert_manage_error(
            app.post_json("/api/v1/templates/999999999/preview", &json!({}))
                .await,
            404,
            "template_not_found",
        )
        .await;
        let (_, other_key) = app.other_account().await;
        let res = app
            .with_key(Method::POST, &path, &other_key)
            .json(&json!({"components": order_components()}))
            .send()
            .await
            .unwrap();
        assert_manage_error(res, 404, "template_not_found").await;
    }
}
