//! The Message Central "WhatsApp Now" dialect (seed 001) at `/compat/messagecentral`, over
//! real HTTP on SQLite and PostgreSQL: the token, chat messages, a broadcast to one number
//! and a template's status, each from the seed's own curl (its query verbatim but for the
//! sender number, the fixture every migrating customer has), answers snapshotted and
//! effects checked in wagate.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::{Method, Response};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_apps};

const BASE: &str = "/compat/messagecentral";

/// A customer: the account id, a key, its token and the sender (the channel's number).
struct Customer {
    token: String,
    sender: String,
}

async fn token_for(app: &TestApp, customer: &str, key: &str) -> Response {
    app.client
        .get(app.url(&format!(
            "{BASE}/auth/v1/authentication/token?customerId={customer}&key={}&scope=NEW&country=91&email=test@messagecentral.com",
            STANDARD.encode(key)
        )))
        .header("accept", "*/*")
        .send()
        .await
        .unwrap()
}

async fn customer(app: &TestApp) -> Customer {
    let res = token_for(app, &app.account_id, &app.api_key).await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], 200, "{body}");
    let token = body["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("eyJhbGciOiJIUzUxMiJ9."), "{token}");
    let channels: Value = app.get("/api/v1/channels").await.json().await.unwrap();
    Customer {
        token,
        sender: channels["data"][0]["display_phone_number"]
            .as_str()
            .unwrap()
            .to_owned(),
    }
}

impl Customer {
    async fn call(&self, app: &TestApp, method: Method, path_and_query: &str) -> Response {
        app.client
            .request(method, app.url(&format!("{BASE}{path_and_query}")))
            .header("authToken", &self.token)
            .send()
            .await
            .unwrap()
    }
}

/// Asserts the seed's envelope for an error: `responseCode` and the HTTP status.
async fn assert_envelope(res: Response, status: u16, code: u16) -> Value {
    let got = res.status().as_u16();
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        (got, body["responseCode"].as_u64()),
        (status, Some(code as u64)),
        "{body}"
    );
    assert!(body["message"].is_string(), "{body}");
    assert!(body["data"]["detail"].is_string(), "{body}");
    body
}

fn shape(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(id) = v.pointer_mut("/data/transactionId") {
        *id = json!("[wamid]");
    }
    for key in ["id", "requestId"] {
        if let Some(x) = v.get_mut(key) {
            *x = json!(format!("[{key}]"));
        }
        if let Some(x) = v.pointer_mut(&format!("/data/{key}")) {
            *x = json!(format!("[{key}]"));
        }
    }
    v
}

#[tokio::test]
async fn tokens_stand_for_a_key_until_it_is_revoked() {
    for app in spawn_apps().await {
        let c = customer(&app).await;
        // The token opens the other calls; a forged or missing one is 800.
        let res = c
            .call(
                &app,
                Method::GET,
                &format!(
                    "/verification/v3/template?phoneNumber={}&templateName=nope",
                    c.sender
                ),
            )
            .await;
        assert_envelope(res, 404, 816).await;
        let mut forged = c.token.clone();
        forged.pop();
        forged.push(if c.token.ends_with('A') { 'B' } else { 'A' });
        let res = app
            .client
            .post(app.url(&format!("{BASE}/verification/v3/send?type=CHAT")))
            .header("authToken", forged)
            .send()
            .await
            .unwrap();
        assert_envelope(res, 401, 800).await;
        let res = app
            .client
            .post(app.url(&format!("{BASE}/verification/v3/send?type=CHAT")))
            .send()
            .await
            .unwrap();
        assert_envelope(res, 401, 800).await;
        // Wrong key, wrong customer, another account's key with this customer id.
        assert_envelope(
            token_for(&app, &app.account_id, "wag_wrong").await,
            401,
            800,
        )
        .await;
        let (other_account, other_key) = app.other_account().await;
        assert_envelope(token_for(&app, &app.account_id, &other_key).await, 401, 800).await;
        assert_envelope(
            token_for(&app, &other_account, &app.api_key).await,
            401,
            800,
        )
        .await;
        // A key's tokens die with it.
        let key: Value = app
            .post_json("/api/v1/api-keys", &json!({"name": "mc"}))
            .await
            .json()
            .await
            .unwrap();
        let res = token_for(&app, &app.account_id, key["key"].as_str().unwrap()).await;
        let token: Value = res.json().await.unwrap();
        let doomed = Customer {
            token: token["token"].as_str().unwrap().to_owned(),
            sender: c.sender.clone(),
        };
        let path = format!(
            "/verification/v3/template?phoneNumber={}&templateName=nope",
            c.sender
        );
        assert_envelope(doomed.call(&app, Method::GET, &path).await, 404, 816).await;
        let res = app
            .req(
                Method::DELETE,
                &format!("/api/v1/api-keys/{}", key["id"].as_str().unwrap()),
            )
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success());
        assert_envelope(doomed.call(&app, Method::GET, &path).await, 401, 800).await;
    }
}

#[tokio::test]
async fn a_chat_message_is_sent_as_the_seeds_curl_does() {
    for app in spawn_apps().await {
        app.configure_sandbox(json!({})).await;
        let c = customer(&app).await;
        app.inject(json!({"from": "917715836906", "type": "text", "text": {"body": "hi"}}))
            .await;
        // The seed's curl, with this number as the sender.
        let res = c
            .call(
                &app,
                Method::POST,
                &format!("/verification/v3/send?countryCode=91&flowType=WHATSAPP&mobileNumber=7715836906&senderId={}&type=CHAT&message=Welcome%20to%20Message%20Central", c.sender),
            )
            .await;
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        insta::allow_duplicates! {
            insta::assert_json_snapshot!("messagecentral_chat", shape(&body));
        }
        assert_eq!(body["data"]["mobileNumber"], "917715836906");
        assert_eq!(body["data"]["responseCode"], "200");
        let wamid = body["data"]["transactionId"].as_str().unwrap();
        let m = app.wait_status(wamid, &["delivered", "read"]).await;
        assert_eq!(m["content"]["body"], "Welcome to Message Central", "{m}");

        // With an image: the message is its caption.
        let png = {
            let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0".to_vec();
            b.extend(std::iter::repeat_n(0x5a, 100));
            b
        };
        let part = reqwest::multipart::Part::bytes(png)
            .file_name("offer.png")
            .mime_str("image/png")
            .unwrap();
        let res = app
            .client
            .post(app.url(&format!("{BASE}/verification/v3/send?countryCode=91&flowType=WHATSAPP&mobileNumber=7715836906&senderId={}&type=CHAT&message=Our%20offer", c.sender)))
            .header("authToken", &c.token)
            .multipart(reqwest::multipart::Form::new().part("file", part))
            .send()
            .await
            .unwrap();
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["responseCode"], 200, "{body}");
        let m = app
            .wait_status(
                body["data"]["transactionId"].as_str().unwrap(),
                &["delivered", "read"],
            )
            .await;
        assert_eq!(
            (m["type"].as_str(), m["content"]["caption"].as_str()),
            (Some("image"), Some("Our offer")),
            "{m}"
        );

        // 829, 830, 801, and a flowType other than WHATSAPP; nothing more is sent.
        let before = app.messages("direction=outbound").await.len();
        let q = |rest: &str| {
            format!(
                "/verification/v3/send?flowType=WHATSAPP&type=CHAT&senderId={}{rest}",
                c.sender
            )
        };
        for (path, status, code) in [
            (q("&countryCode=91&message=x"), 400, 829),
            (q("&countryCode=91&mobileNumber=7715836906"), 400, 830),
            ("/verification/v3/send?flowType=WHATSAPP&type=CHAT&senderId=15550000000&countryCode=91&mobileNumber=7715836906&message=x".to_owned(), 404, 801),
            ("/verification/v3/send?flowType=WHATSAPP&type=CHAT&countryCode=91&mobileNumber=7715836906&message=x".to_owned(), 400, 801),
            (q("&countryCode=91&mobileNumber=abc&message=x"), 400, 829),
            (q("&countryCode=91&mobileNumber=7715836906&message=x").replace("WHATSAPP", "SMS"), 400, 800),
        ] {
            assert_envelope(c.call(&app, Method::POST, &path).await, status, code).await;
        }
        assert_eq!(app.messages("direction=outbound").await.len(), before);
    }
}

#[tokio::test]
async fn a_broadcast_to_one_number_fills_the_template_and_its_status_is_checked() {
    for app in spawn_apps().await {
        app.configure_sandbox(json!({})).await;
        let c = customer(&app).await;
        // The fixture: two body values and two URL buttons with a dynamic suffix each.
        let id = app
            .approved_template(json!({"name": "demo_template", "language": "en_US",
                "category": "MARKETING", "components": [
                {"type": "BODY", "text": "Hello {{1}}, your coupon is {{2}} today.",
                 "example": {"body_text": [["Kunal", "MSG1"]]}},
                {"type": "BUTTONS", "buttons": [
                    {"type": "URL", "text": "Track", "url": "https://example.com/t/{{1}}",
                     "example": ["https://example.com/t/1"]},
                    {"type": "URL", "text": "Verify", "url": "https://example.com/v/{{1}}",
                     "example": ["https://example.com/v/1"]}]}]}))
            .await;
        let res = c
            .call(
                &app,
                Method::POST,
                &format!("/verification/v3/send?flowType=WHATSAPP&type=BROADCAST&mobileNumber=7715836906&countryCode=91&senderId={}&langId=en_US&templateName=demo_template&variables=Kunal%2C%20MSG3545&ctaVariables=234%2C%20ver453", c.sender),
            )
            .await;
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        assert_eq!(
            body,
            json!({"responseCode": 200, "message": "SUCCESS", "data": null})
        );
        let sent = app
            .wait_messages("direction=outbound&type=template", 1)
            .await;
        let m = app
            .wait_status(sent[0]["wamid"].as_str().unwrap(), &["delivered", "read"])
            .await;
        let text = m["preview"].as_str().unwrap_or_default().to_owned();
        let template = &m["content"];
        assert_eq!(m["wa_id"], "917715836906", "{m}");
        assert_eq!(template["name"], "demo_template", "{m} {text}");
        let components = template["components"].to_string();
        for value in ["Kunal", "MSG3545", "234", "ver453"] {
            assert!(components.contains(value), "{value} in {components}");
        }

        // 804 for a wrong count of either kind, 802 for an unknown template; nothing sent.
        let q = |rest: &str| {
            format!(
                "/verification/v3/send?flowType=WHATSAPP&type=BROADCAST&mobileNumber=7715836906&countryCode=91&senderId={}&langId=en_US{rest}",
                c.sender
            )
        };
        for (path, status, code) in [
            (
                q("&templateName=demo_template&variables=Kunal&ctaVariables=1%2C2"),
                400,
                804,
            ),
            (
                q("&templateName=demo_template&variables=Kunal%2CX&ctaVariables=1"),
                400,
                804,
            ),
            (
                q("&templateName=demo_template&variables=Kunal%2CX&ctaVariables=1%2C2%2C3"),
                400,
                804,
            ),
            (
                q("&templateName=no_such_template&variables=Kunal"),
                404,
                802,
            ),
            (q("&variables=Kunal"), 400, 802),
        ] {
            assert_envelope(c.call(&app, Method::POST, &path).await, status, code).await;
        }
        assert_eq!(app.messages("direction=outbound").await.len(), 1);

        // Check Template Status: a GET with the parameters as form data, as the seed's curl.
        let form = reqwest::multipart::Form::new()
            .text("phoneNumber", c.sender.clone())
            .text("templateId", id.clone())
            .text("templateName", "demo_template");
        let res = app
            .client
            .get(app.url(&format!("{BASE}/verification/v3/template")))
            .header("authToken", &c.token)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let status: Value = res.json().await.unwrap();
        insta::allow_duplicates! {
            insta::assert_json_snapshot!("messagecentral_template_status", shape(&status));
        }
        assert_eq!(
            (status["id"].as_str(), status["status"].as_str()),
            (Some(id.as_str()), Some("APPROVED"))
        );
        // 817 without name and id, 816 for a name that is not the id's, 800 for an unknown id.
        let path = |rest: &str| format!("/verification/v3/template?phoneNumber={}{rest}", c.sender);
        for (p, status, code) in [
            (path(""), 400, 817),
            (
                path(&format!("&templateId={id}&templateName=other_name")),
                404,
                816,
            ),
            (
                path("&templateId=1021907252855200&templateName=demo_template"),
                404,
                800,
            ),
            (
                "/verification/v3/template?templateName=demo_template".to_owned(),
                400,
                801,
            ),
        ] {
            assert_envelope(c.call(&app, Method::GET, &p).await, status, code).await;
        }
    }
}

/// `POST /verification/v3/template` with `fields` as multipart form data (and a file).
async fn create_template(
    app: &TestApp,
    c: &Customer,
    fields: &[(&str, &str)],
    file: Option<(&str, Vec<u8>, &str)>,
) -> Response {
    let mut form = reqwest::multipart::Form::new();
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    if let Some((name, bytes, mime)) = file {
        form = form.part(
            "file",
            reqwest::multipart::Part::bytes(bytes)
                .file_name(name.to_owned())
                .mime_str(mime)
                .unwrap(),
        );
    }
    app.client
        .post(app.url(&format!("{BASE}/verification/v3/template")))
        .header("authToken", &c.token)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

fn png() -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0".to_vec();
    b.extend(std::iter::repeat_n(0x5a, 100));
    b
}

#[tokio::test]
async fn templates_are_created_from_the_seeds_form_fields() {
    for app in spawn_apps().await {
        let c = customer(&app).await;
        let waba: Value = app.get("/api/v1/channels").await.json().await.unwrap();
        let waba = waba["data"][0]["waba_id"].as_str().unwrap().to_owned();
        let count = || async {
            let list: Value = app
                .get(&format!("/v23.0/{waba}/message_templates?limit=100"))
                .await
                .json()
                .await
                .unwrap();
            list["data"].as_array().unwrap().len()
        };
        // The seed's "Template without Media" curl (its quoting repaired).
        let buttons = r#"[{"type":"PHONE_NUMBER","text":"Contact Us","value":"917750844671"},{"type":"URL","text":"Visit Us","value":"https://console.messagecentral.com"}]"#;
        let base = [
            ("phoneNumber", c.sender.as_str()),
            ("name", "template_without_media"),
            ("language", "en_US"),
            ("category", "MARKETING"),
            ("headerFormat", "TEXT"),
            ("header", "Congratulations"),
            (
                "body",
                "Hello Your account recharge of ₹100 is successful. Please use our services and enjoy!",
            ),
            ("buttons", buttons),
            ("footer", "Type \"STOP\" to unsubscribe"),
        ];
        let res = create_template(&app, &c, &base, None).await;
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        insta::allow_duplicates! {
            insta::assert_json_snapshot!("messagecentral_template_create", body, {
                ".data.data.id" => "[graph id]",
            });
        }
        let id = body["data"]["data"]["id"].as_str().unwrap();
        let stored: Value = app.get(&format!("/v23.0/{id}")).await.json().await.unwrap();
        assert_eq!(stored["name"], "template_without_media", "{stored}");
        let components = stored["components"].to_string();
        for part in [
            "Congratulations",
            "+917750844671",
            "https://console.messagecentral.com",
            "STOP",
        ] {
            assert!(components.contains(part), "{part} in {components}");
        }

        // With media (the consistent reading: IMAGE, a sample file, its own name), and a
        // name the provider normalises.
        let res = create_template(
            &app,
            &c,
            &[
                ("phoneNumber", &c.sender),
                ("name", "Abhishek786"),
                ("language", "en_US"),
                ("category", "MARKETING"),
                ("headerFormat", "IMAGE"),
                (
                    "body",
                    "Hello {{1}}, get 50% discount by applying the coupon {{2}} today",
                ),
                ("bodyValue", "Kunal MSGCTL50"),
                ("footer", "Type 'STOP' to unsubscribe"),
            ],
            Some(("Media (9).png", png(), "image/png")),
        )
        .await;
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["responseCode"], 200, "{body}");
        assert_eq!(body["data"]["data"]["name"], "abhishek_786", "{body}");
        let id = body["data"]["data"]["id"].as_str().unwrap();
        let stored: Value = app.get(&format!("/v23.0/{id}")).await.json().await.unwrap();
        let header = &stored["components"][0];
        assert_eq!(header["format"], "IMAGE", "{stored}");
        assert!(
            header["example"]["header_handle"][0].is_string(),
            "{stored}"
        );
        assert_eq!(
            stored["components"][1]["example"]["body_text"][0],
            json!(["Kunal", "MSGCTL50"])
        );
        let created = count().await;
        assert_eq!(created, 2);

        // Each documented refusal, with nothing stored.
        let with = |changes: &[(&'static str, &'static str)], drop: &[&str]| {
            let mut f: Vec<(&str, String)> = base
                .iter()
                .filter(|(k, _)| !drop.contains(k))
                .map(|(k, v)| (*k, v.to_string()))
                .collect();
            for (k, v) in changes {
                f.retain(|(fk, _)| fk != k);
                f.push((k, v.to_string()));
            }
            f
        };
        // (fields, with a file, HTTP status, the seed's code)
        type Case<'a> = (Vec<(&'a str, String)>, bool, u16, u16);
        let cases: Vec<Case<'_>> = vec![
            (with(&[("name", "other_one")], &["body"]), false, 400, 810),
            (
                with(&[("name", "other_one"), ("headerFormat", "AUDIO")], &[]),
                false,
                400,
                811,
            ),
            (with(&[("name", "other_one")], &[]), true, 400, 812),
            (with(&[("name", "other_one")], &["header"]), false, 400, 813),
            (
                with(
                    &[("name", "other_one"), ("headerFormat", "IMAGE")],
                    &["header"],
                ),
                false,
                400,
                814,
            ),
            (
                with(&[("name", "other_one"), ("headerFormat", "IMAGE")], &[]),
                true,
                400,
                815,
            ),
            (
                with(
                    &[("name", "other_one"), ("body", "Hi {{1}}, welcome aboard")],
                    &[],
                ),
                false,
                400,
                826,
            ),
            (
                with(
                    &[
                        ("name", "other_one"),
                        ("body", "Hi {{1}}, welcome aboard"),
                        ("bodyValue", "A B"),
                    ],
                    &[],
                ),
                false,
                400,
                827,
            ),
            (
                with(
                    &[("name", "other_one"), ("phoneNumber", "15550000000")],
                    &[],
                ),
                false,
                404,
                801,
            ),
            (
                with(&[("name", "other_one"), ("category", "PROMO")], &[]),
                false,
                400,
                800,
            ),
        ];
        for (fields, file, status, code) in cases {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let file = file.then(|| ("x.png", png(), "image/png"));
            let res = create_template(&app, &c, &fields, file).await;
            assert_envelope(res, status, code).await;
        }
        assert_eq!(count().await, created);
    }
}

/// The seed's Example 2 template: three body variables and one dynamic CTA (words after
/// `{{3}}`, which Meta requires: the seed's sample ends with it).
async fn example_2_template(app: &TestApp) {
    app.approved_template(json!({"name": "template_without_media_1", "language": "en_US",
        "category": "MARKETING", "components": [
        {"type": "BODY",
         "text": "Hello {{1}}, get 50% discount by applying the coupon {{2}} latest by {{3}}. Hurry!",
         "example": {"body_text": [["Kunal", "MSG3453", "21st Jan"]]}},
        {"type": "BUTTONS", "buttons": [
            {"type": "URL", "text": "Claim", "url": "https://www.messagecentral.com/{{1}}",
             "example": ["https://www.messagecentral.com/v123"]}]}]}))
        .await;
}

/// The seed's bulk curl (its query verbatim but for the sender) with `sheet` as `file`.
async fn bulk(app: &TestApp, c: &Customer, query_rest: &str, sheet: Vec<u8>) -> Response {
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(sheet)
            .file_name("Test_WA_API.xlsx")
            .mime_str("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            .unwrap(),
    );
    app.client
        .post(app.url(&format!(
            "{BASE}/verification/v3/send?flowType=WHATSAPP&senderId={}&type=BROADCAST{query_rest}",
            c.sender
        )))
        .header("authToken", &c.token)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

fn row(cells: &[&str]) -> Vec<Value> {
    cells.iter().map(|c| json!(c)).collect()
}

const EXAMPLE_2_HEADER: &[&str] = &[
    "Country", "Mobile", "ctaVar1", "ctaVar2", "var1", "var2", "var3",
];

async fn campaign_count(app: &TestApp) -> usize {
    let list: Value = app.get("/api/v1/campaigns").await.json().await.unwrap();
    list["data"].as_array().unwrap().len()
}

#[tokio::test]
async fn a_bulk_broadcast_sheet_becomes_a_campaign_that_launches_when_loaded() {
    for app in spawn_apps().await {
        app.configure_sandbox(json!({})).await;
        let c = customer(&app).await;
        example_2_template(&app).await;
        // The seed's Example 2 row, a second one typed as numbers, and a number that is
        // not one (skipped, reported among the campaign's errors).
        let mut second = row(&["", "", "", "", "Asha", "MSG77", "1st Feb"]);
        second[0] = json!(91);
        second[1] = json!(7_890_987_653_u64);
        second[2] = json!("v456");
        let sheet = crate::contact_imports::xlsx(&[
            row(EXAMPLE_2_HEADER),
            row(&[
                "91",
                "7890987652",
                "v123",
                "",
                "Kunal",
                "MSG3453",
                "21st Jan",
            ]),
            second,
            row(&["91", "12", "v0", "", "Bad", "Number", "Row"]),
        ]);
        let res = bulk(&app, &c, "&templateName=template_without_media_1", sheet).await;
        assert_eq!(res.status(), 200, "{}", app.backend);
        let location = res.headers()["location"].to_str().unwrap().to_owned();
        let body: Value = res.json().await.unwrap();
        assert_eq!(
            body,
            json!({"responseCode": 200, "message": "SUCCESS", "data": null})
        );
        let campaign: Value = app.get(&location).await.json().await.unwrap();
        assert_eq!(campaign["status"], "draft", "{campaign}");
        assert_eq!(campaign["launch_when_ready"], true, "{campaign}");
        assert_eq!(campaign["template"]["name"], "template_without_media_1");

        // The worker loads the sheet, launches the campaign and feeds it; the network
        // delivers.
        app.app
            .drain_at(crate::helpers::from_now(std::time::Duration::from_secs(3)))
            .await
            .unwrap();
        let campaign: Value = app.get(&location).await.json().await.unwrap();
        assert_eq!(campaign["status"], "completed", "{campaign}");
        assert_eq!(campaign["counts"]["recipients"], 2, "{campaign}");
        let errors: Value = app
            .get(&format!("{location}/errors"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(errors["data"][0]["row"], 4, "{errors}");
        let sent = app
            .wait_messages("direction=outbound&type=template", 2)
            .await;
        let mut seen: Vec<(String, String)> = Vec::new();
        for m in &sent {
            let m = app
                .wait_status(m["wamid"].as_str().unwrap(), &["delivered", "read"])
                .await;
            seen.push((
                m["wa_id"].as_str().unwrap().to_owned(),
                m["content"]["components"].to_string(),
            ));
        }
        seen.sort();
        assert_eq!(seen[0].0, "917890987652");
        assert_eq!(seen[1].0, "917890987653");
        for (i, values) in [
            ["Kunal", "MSG3453", "21st Jan", "v123"],
            ["Asha", "MSG77", "1st Feb", "v456"],
        ]
        .iter()
        .enumerate()
        {
            for v in values {
                assert!(seen[i].1.contains(v), "{v} in {}", seen[i].1);
            }
        }
    }
}

#[tokio::test]
async fn a_bad_sheet_is_refused_with_the_row_and_nothing_is_stored() {
    for app in spawn_apps().await {
        app.configure_sandbox(json!({})).await;
        let c = customer(&app).await;
        example_2_template(&app).await;
        let good = row(&[
            "91",
            "7890987652",
            "v123",
            "",
            "Kunal",
            "MSG3453",
            "21st Jan",
        ]);
        let q = "&templateName=template_without_media_1&langId=en_US";
        // Example 1's layout (two variables) for a three-variable template; a fourth var
        // column; a row without its third value; a header only; not a sheet; a template
        // that does not exist.
        let short = crate::contact_imports::xlsx(&[
            row(&EXAMPLE_2_HEADER[..6]),
            row(&["91", "7890987652", "", "", "Kunal", "MSG3453"]),
        ]);
        let mut long_header = row(EXAMPLE_2_HEADER);
        long_header.push(json!("var4"));
        let long = crate::contact_imports::xlsx(&[long_header, good.clone()]);
        let gap = crate::contact_imports::xlsx(&[
            row(EXAMPLE_2_HEADER),
            good.clone(),
            row(&["91", "7890987653", "v9", "", "Asha", "MSG77", ""]),
        ]);
        let empty = crate::contact_imports::xlsx(&[row(EXAMPLE_2_HEADER)]);
        let cases: Vec<(&str, Vec<u8>, u16, u16, &str)> = vec![
            (q, short, 400, 804, "var3"),
            (q, long, 400, 804, "var4"),
            (q, gap, 400, 804, "row 3"),
            (q, empty, 400, 803, "no row"),
            (q, b"PK\x03\x04 not a zip".to_vec(), 400, 803, ""),
            (
                q,
                b"Country,Mobile\n91,7890987652\n".to_vec(),
                400,
                804,
                "row 1",
            ),
            (
                "&templateName=no_such_template",
                crate::contact_imports::xlsx(&[row(EXAMPLE_2_HEADER), good.clone()]),
                404,
                802,
                "",
            ),
        ];
        for (query, sheet, status, code, names) in cases {
            let body = assert_envelope(bulk(&app, &c, query, sheet).await, status, code).await;
            let detail = body["data"]["detail"].as_str().unwrap();
            assert!(detail.contains(names), "{names} in {detail}");
        }
        // Neither a file nor a number: the contact list is missing.
        assert_envelope(
            c.call(
                &app,
                Method::POST,
                &format!(
                    "/verification/v3/send?flowType=WHATSAPP&senderId={}&type=BROADCAST&templateName=template_without_media_1",
                    c.sender
                ),
            )
            .await,
            400,
            803,
        )
        .await;
        assert_eq!(campaign_count(&app).await, 0, "nothing stored");

        // A prepaid wallet with nothing in it: 805, nothing stored.
        let res = app
            .patch_json("/api/v1/wallet", &json!({"mode": "prepaid"}))
            .await;
        assert_eq!(res.status(), 200);
        let sheet = crate::contact_imports::xlsx(&[row(EXAMPLE_2_HEADER), good.clone()]);
        assert_envelope(bulk(&app, &c, q, sheet).await, 402, 805).await;
        assert_eq!(campaign_count(&app).await, 0, "nothing stored");
        // A broadcast to one number: the wallet refuses the send itself.
        let res = c
            .call(
                &app,
                Method::POST,
                &format!("/verification/v3/send?flowType=WHATSAPP&type=BROADCAST&mobileNumber=7890987652&countryCode=91&senderId={}&templateName=template_without_media_1&variables=Kunal%2CMSG1%2C21st%20Jan&ctaVariables=v1", c.sender),
            )
            .await;
        let status = res.status().as_u16();
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["responseCode"], 805, "{status} {body}");
        assert!((400..500).contains(&status), "{status}");
        app.app
            .drain_at(crate::helpers::from_now(std::time::Duration::from_secs(3)))
            .await
            .unwrap();
        assert_eq!(app.messages("direction=outbound").await.len(), 0);
    }
}

#[tokio::test]
async fn a_launch_refused_once_the_sheet_has_loaded_fails_the_campaign_with_the_reason() {
    for app in spawn_apps().await {
        app.configure_sandbox(json!({})).await;
        let c = customer(&app).await;
        example_2_template(&app).await;
        let sheet = crate::contact_imports::xlsx(&[
            row(EXAMPLE_2_HEADER),
            row(&[
                "91",
                "7890987652",
                "v123",
                "",
                "Kunal",
                "MSG3453",
                "21st Jan",
            ]),
        ]);
        let res = bulk(&app, &c, "&templateName=template_without_media_1", sheet).await;
        assert_eq!(res.status(), 200);
        let location = res.headers()["location"].to_str().unwrap().to_owned();
        // Between the answer and the load's end the wallet stops covering it.
        let res = app
            .patch_json("/api/v1/wallet", &json!({"mode": "prepaid"}))
            .await;
        assert_eq!(res.status(), 200);
        app.app
            .drain_at(crate::helpers::from_now(std::time::Duration::from_secs(3)))
            .await
            .unwrap();
        let campaign: Value = app.get(&location).await.json().await.unwrap();
        assert_eq!(campaign["status"], "failed", "{campaign}");
        let failure = campaign["failure"].as_str().unwrap();
        assert!(failure.contains("wallet"), "{failure}");
        assert_eq!(app.messages("direction=outbound").await.len(), 0);
    }
}

/// A sender whose channel is a cloud number sends through Meta (here another wagate standing
/// in for Meta, as `cloud_upstream` does): a chat outside the window is taken and then
/// failed by Meta with 131047; once the user writes, it is delivered and read; a broadcast
/// of Meta's approved template goes through too.
#[tokio::test]
async fn a_cloud_sender_sends_through_meta() {
    use crate::cloud_upstream::{APP_SECRET, META_FIELDS, VERIFY_TOKEN, cloud_channel_on};
    let meta = crate::helpers::spawn_app().await;
    meta.configure_sandbox(json!({"read_percent": 100})).await;
    meta.approved_template(json!({"name": "demo_template", "language": "en_US",
        "category": "MARKETING", "components": [
        {"type": "BODY", "text": "Hello {{1}}, your coupon is {{2}} today.",
         "example": {"body_text": [["Kunal", "MSG1"]]}}]}))
        .await;
    for app in spawn_apps().await {
        let channel = cloud_channel_on(&app, &meta).await;
        let res = meta
            .post_json(
                "/api/v1/webhooks",
                &json!({"url": app.url("/webhooks/meta"), "secret": APP_SECRET,
                        "verify_token": VERIFY_TOKEN, "fields": META_FIELDS}),
            )
            .await;
        assert_eq!(res.status(), 201);
        let mut c = customer(&app).await;
        let ch: Value = app
            .get(&format!("/api/v1/channels/{channel}"))
            .await
            .json()
            .await
            .unwrap();
        c.sender = ch["display_phone_number"].as_str().unwrap().to_owned();
        let chat = format!(
            "/verification/v3/send?countryCode=91&flowType=WHATSAPP&mobileNumber=7715836906&senderId={}&type=CHAT&message=Welcome%20to%20Message%20Central",
            c.sender
        );
        let body: Value = c
            .call(&app, Method::POST, &chat)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(body["responseCode"], 200, "{body}");
        let m = app
            .wait_status(body["data"]["transactionId"].as_str().unwrap(), &["failed"])
            .await;
        assert_eq!(m["channel_id"], channel.as_str(), "{m}");
        assert_eq!(m["error"]["code"], 131047, "{m}");

        meta.inject(json!({"from": "917715836906", "type": "text", "text": {"body": "hi"}}))
            .await;
        app.wait_messages("direction=inbound", 1).await;
        let body: Value = c
            .call(&app, Method::POST, &chat)
            .await
            .json()
            .await
            .unwrap();
        let m = app
            .wait_status(body["data"]["transactionId"].as_str().unwrap(), &["read"])
            .await;
        assert_eq!(m["handovers"], 1, "{m}");

        let res = c
            .call(
                &app,
                Method::POST,
                &format!("/verification/v3/send?flowType=WHATSAPP&type=BROADCAST&mobileNumber=7715836906&countryCode=91&senderId={}&langId=en_US&templateName=demo_template&variables=Kunal%2C%20MSG3545", c.sender),
            )
            .await;
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["responseCode"], 200, "{body}");
        let sent = app
            .wait_messages("direction=outbound&type=template", 1)
            .await;
        let m = app
            .wait_status(sent[0]["wamid"].as_str().unwrap(), &["read"])
            .await;
        assert!(
            m["content"]["components"].to_string().contains("MSG3545"),
            "{m}"
        );
        // A template created here is created at Meta, which reviews it.
        let res = create_template(
            &app,
            &c,
            &[
                ("phoneNumber", c.sender.as_str()),
                ("name", &format!("Cloud{}", app.backend)),
                ("language", "en_US"),
                ("category", "UTILITY"),
                ("headerFormat", "TEXT"),
                ("header", "Order update"),
                ("body", "Your order {{1}} is ready."),
                ("bodyValue", "A-17"),
            ],
            None,
        )
        .await;
        let created: Value = res.json().await.unwrap();
        assert_eq!(created["responseCode"], 200, "{created}");
        let id = created["data"]["data"]["id"].as_str().unwrap();
        let at_meta: Value = meta
            .get(&format!("/v23.0/{id}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            at_meta["name"].as_str(),
            Some(format!("cloud{}", app.backend).as_str()),
            "{at_meta}"
        );
        // The template's status is Meta's.
        let res = c
            .call(
                &app,
                Method::GET,
                &format!(
                    "/verification/v3/template?phoneNumber={}&templateName=Demo_Template",
                    c.sender
                ),
            )
            .await;
        let status: Value = res.json().await.unwrap();
        assert_eq!(
            (status["name"].as_str(), status["status"].as_str()),
            (Some("demo_template"), Some("APPROVED")),
            "{status}"
        );
    }
}
