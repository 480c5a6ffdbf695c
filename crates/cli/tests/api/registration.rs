//! Phone numbers on the Cloud plane: `GET /{waba_id}/phone_numbers` and `GET /{pnid}` with
//! every field, and the registration lifecycle of sandbox numbers — request_code and
//! verify_code (right, wrong, expired), register with and without a two-step PIN, the
//! 10-per-72-hours limit (133016), deregister (sends refused with 133010) and register again,
//! display-name review — with Meta's codes, bad inputs and other accounts' ids. Time-bound
//! rules are checked by calling the service with a later `now` instead of waiting. The last
//! test drives the same calls through unmodified pywa.

use reqwest::Method;
use serde_json::{Value, json};
use tokio::process::Command;
use wagate_app::Principal;
use wagate_app::channels::registration::{CodeRequest, Register};
use wagate_core::Timestamp;
use wagate_core::channel::Channel;
use wagate_core::error::ErrorCode;
use wagate_core::ids::{AccountId, PhoneNumberId};
use wagate_core::registration::{
    CodeLanguage, CodeMethod, CodeVerificationStatus, NameReview, TwoStepPin, VerificationCode,
};

use crate::helpers::{TestApp, assert_graph_error, assert_manage_error, spawn_app, spawn_apps};
use crate::sdk::{conformance_dir, pywa_python};

const TO: &str = "+15551230001";

/// Every field of a phone number (the HTTP module's list).
const ALL_FIELDS: &[&str] = &[
    "id",
    "verified_name",
    "display_phone_number",
    "quality_rating",
    "quality_score",
    "code_verification_status",
    "name_status",
    "new_name_status",
    "status",
    "platform_type",
    "throughput",
    "account_mode",
    "is_official_business_account",
    "is_pin_enabled",
    "is_preverified_number",
    "is_on_biz_app",
    "search_visibility",
    "health_status",
    "certificate",
    "new_certificate",
    "last_onboarded_time",
    "webhook_configuration",
    "conversational_automation",
    "country_code",
    "country_dial_code",
    "whatsapp_business_manager_messaging_limit",
    "messaging_limit_tier",
    "eligibility_for_api_business_global_search",
];

impl TestApp {
    fn operator(&self) -> Principal {
        Principal::operator(self.account_id.parse::<AccountId>().unwrap())
    }

    /// The first channel, as the services see it.
    async fn first_channel(&self) -> Channel {
        self.app
            .channel_by_phone_number_id(
                &self.operator(),
                &PhoneNumberId::parse(&self.phone_number_id).unwrap(),
            )
            .await
            .unwrap()
    }

    /// `POST /v23.0/{pnid}/{edge}` with `query` and an optional JSON body.
    async fn edge(&self, edge: &str, query: &str, body: Option<Value>) -> reqwest::Response {
        let path = format!("/v23.0/{}/{edge}?{query}", self.phone_number_id);
        let req = self.req(Method::POST, &path);
        match body {
            Some(b) => req.json(&b),
            None => req,
        }
        .send()
        .await
        .unwrap()
    }

    async fn fields(&self, fields: &str) -> Value {
        let res = self
            .get(&format!("/v23.0/{}?fields={fields}", self.phone_number_id))
            .await;
        assert_eq!(res.status(), 200);
        res.json().await.unwrap()
    }

    async fn pending_code(&self) -> String {
        let res = self
            .get(&format!(
                "/sandbox/{}/verification_code",
                self.phone_number_id
            ))
            .await;
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        body["code"].as_str().unwrap().to_owned()
    }

    async fn register(&self, pin: &str) -> reqwest::Response {
        self.edge(
            "register",
            "",
            Some(json!({"messaging_product": "whatsapp", "pin": pin})),
        )
        .await
    }

    async fn first_waba(&self) -> String {
        let list: Value = self.get("/api/v1/channels").await.json().await.unwrap();
        list["data"][0]["waba_id"].as_str().unwrap().to_owned()
    }
}

async fn ok(res: reqwest::Response) {
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"success": true}));
}

fn later(t: Timestamp, seconds: i64) -> Timestamp {
    Timestamp::from_millisecond(t.as_millisecond() + seconds * 1000).unwrap()
}

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    k.sort();
    k
}

#[tokio::test]
async fn phone_numbers_are_listed_per_waba_with_fields_and_paging() {
    for app in spawn_apps().await {
        let waba = app.first_waba().await;
        let mut pnids = vec![app.phone_number_id.clone()];
        for (name, mps) in [("Second", 80), ("Third", 200)] {
            let res = app
                .post_json(
                    "/api/v1/channels",
                    &json!({"verified_name": name, "waba_id": waba, "throughput_mps": mps}),
                )
                .await;
            assert_eq!(res.status(), 201);
            let ch: Value = res.json().await.unwrap();
            pnids.push(ch["phone_number_id"].as_str().unwrap().to_owned());
        }
        // A number of another WABA of the account is not listed.
        app.create_channel(&app.api_key, "Elsewhere").await;

        let res = app.get(&format!("/v23.0/{waba}/phone_numbers")).await;
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        let data = body["data"].as_array().unwrap();
        let ids: Vec<&str> = data.iter().map(|n| n["id"].as_str().unwrap()).collect();
        assert_eq!(ids, pnids, "the WABA's numbers in creation order");
        assert_eq!(
            keys(&data[0]),
            [
                "code_verification_status",
                "display_phone_number",
                "id",
                "platform_type",
                "quality_rating",
                "throughput",
                "verified_name"
            ],
            "Meta's default fields"
        );
        assert_eq!(data[0]["code_verification_status"], "VERIFIED");
        assert_eq!(data[0]["platform_type"], "CLOUD_API");
        assert_eq!(data[1]["verified_name"], "Second");
        assert_eq!(data[1]["throughput"], json!({"level": "STANDARD"}));
        assert_eq!(data[2]["throughput"], json!({"level": "HIGH"}));
        assert_eq!(body["paging"]["cursors"]["before"], pnids[0].as_str());
        assert_eq!(body["paging"]["cursors"]["after"], pnids[2].as_str());
        assert!(body["paging"].get("next").is_none());

        // Pages of two, by the `next` link and by cursors.
        let first: Value = app
            .get(&format!(
                "/v23.0/{waba}/phone_numbers?limit=2&fields=id,status,throughput{{level}}"
            ))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(first["data"].as_array().unwrap().len(), 2);
        assert_eq!(keys(&first["data"][0]), ["id", "status", "throughput"]);
        assert_eq!(first["data"][0]["status"], "CONNECTED");
        assert_eq!(first["paging"]["cursors"]["after"], pnids[1].as_str());
        assert!(first["paging"].get("previous").is_none());
        let next = first["paging"]["next"].as_str().unwrap();
        assert!(next.starts_with(&app.base_url), "{next}");
        let second: Value = app
            .client
            .get(next)
            .bearer_auth(&app.api_key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let ids: Vec<&str> = second["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, [pnids[2].as_str()]);
        assert_eq!(
            keys(&second["data"][0]),
            ["id", "status", "throughput"],
            "the fields travel in the link"
        );
        assert!(second["paging"].get("next").is_none());
        assert!(second["paging"]["previous"].is_string());
        let before: Value = app
            .get(&format!(
                "/v23.0/{waba}/phone_numbers?limit=5&before={}",
                pnids[2]
            ))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(before["data"].as_array().unwrap().len(), 2);
        assert_eq!(before["data"][0]["id"], pnids[0].as_str());

        // Bad parameters: Graph 100 naming them.
        for query in [
            "fields=id,colour",
            "limit=0",
            "limit=201",
            "limit=ten",
            "after=abc",
            "after=123456789",
            "before=123456789",
        ] {
            let res = app
                .get(&format!("/v23.0/{waba}/phone_numbers?{query}"))
                .await;
            let body = assert_graph_error(res, 400, 100).await;
            assert!(
                body["error"].get("error_subcode").is_none(),
                "{query}: {body}"
            );
        }

        // Another account's WABA, and ids that are no WABA: 100/33.
        let (_, other_key) = app.other_account().await;
        let theirs = app.create_channel(&other_key, "Theirs").await;
        for id in [theirs["waba_id"].as_str().unwrap(), "123456789", "abc"] {
            let res = app.get(&format!("/v23.0/{id}/phone_numbers")).await;
            let body = assert_graph_error(res, 400, 100).await;
            assert_eq!(body["error"]["error_subcode"], 33, "{id}");
        }
        // Their key sees their number only.
        let res = app
            .with_key(
                Method::GET,
                &format!("/{}/phone_numbers", theirs["waba_id"].as_str().unwrap()),
                &other_key,
            )
            .send()
            .await
            .unwrap();
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["data"][0]["id"], theirs["phone_number_id"]);
    }
}

#[tokio::test]
async fn every_field_of_a_phone_number() {
    for app in spawn_apps().await {
        let body = app.fields(&ALL_FIELDS.join(",")).await;
        let mut want: Vec<String> = ALL_FIELDS
            .iter()
            .filter(|f| **f != "new_certificate")
            .map(|f| (*f).to_owned())
            .collect();
        want.sort();
        assert_eq!(
            keys(&body),
            want,
            "every field but new_certificate (no new name yet)"
        );
        let pnid = app.phone_number_id.as_str();
        assert_eq!(body["id"], pnid);
        assert_eq!(body["verified_name"], "wagate Sandbox");
        assert_eq!(body["quality_rating"], "GREEN");
        assert_eq!(body["quality_score"], json!({"score": "GREEN"}));
        assert_eq!(body["code_verification_status"], "VERIFIED");
        assert_eq!(body["name_status"], "APPROVED");
        assert_eq!(body["new_name_status"], "NONE");
        assert_eq!(body["status"], "CONNECTED");
        assert_eq!(body["platform_type"], "CLOUD_API");
        assert_eq!(body["throughput"], json!({"level": "STANDARD"}));
        assert_eq!(body["account_mode"], "SANDBOX");
        assert_eq!(body["is_official_business_account"], false);
        assert_eq!(body["is_pin_enabled"], false);
        assert_eq!(body["is_preverified_number"], false);
        assert_eq!(body["is_on_biz_app"], false);
        assert_eq!(body["search_visibility"], "VISIBLE");
        assert_eq!(body["health_status"]["can_send_message"], "AVAILABLE");
        assert_eq!(body["health_status"]["entities"][0]["id"], pnid);
        assert!(body["certificate"].as_str().unwrap().len() > 20);
        let onboarded = body["last_onboarded_time"].as_str().unwrap();
        assert!(
            onboarded.len() == 24 && onboarded.ends_with("+0000"),
            "{onboarded}"
        );
        assert_eq!(body["webhook_configuration"], json!({}));
        assert_eq!(body["conversational_automation"]["id"], pnid);
        assert_eq!(body["country_code"], "US");
        assert_eq!(body["country_dial_code"], "1");
        assert_eq!(
            body["whatsapp_business_manager_messaging_limit"],
            "TIER_250"
        );
        assert_eq!(body["messaging_limit_tier"], "TIER_250");
        assert_eq!(
            body["eligibility_for_api_business_global_search"],
            "NON_ELIGIBLE"
        );

        // Nested selection, and Meta's defaults for the single read too.
        let body = app
            .fields("health_status{can_send_message},throughput{level}")
            .await;
        assert_eq!(
            body,
            json!({"id": pnid, "health_status": {"can_send_message": "AVAILABLE"},
                   "throughput": {"level": "STANDARD"}})
        );
        let body: Value = app.get(&format!("/{pnid}")).await.json().await.unwrap();
        assert_eq!(keys(&body).len(), 7, "{body}");
        let res = app.get(&format!("/v23.0/{pnid}?fields=id,colour")).await;
        let body = assert_graph_error(res, 400, 100).await;
        assert_eq!(
            body["error"]["message"],
            "(#100) Tried accessing nonexisting field (colour) on node type (WhatsAppBusinessPhoneNumber)"
        );
    }
}

#[tokio::test]
async fn codes_are_requested_verified_and_expire() {
    for app in spawn_apps().await {
        ok(app
            .edge("request_code", "code_method=SMS&language=en", None)
            .await)
        .await;
        let body = app.fields("code_verification_status").await;
        assert_eq!(body["code_verification_status"], "NOT_VERIFIED");
        let sandbox: Value = app
            .get(&format!(
                "/sandbox/{}/verification_code",
                app.phone_number_id
            ))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(sandbox["code_method"], "SMS");
        assert_eq!(sandbox["language"], "en");
        assert_eq!(sandbox["attempts_left"], 5);
        let code = sandbox["code"].as_str().unwrap().to_owned();
        assert_eq!(
            code,
            VerificationCode::sandbox(&PhoneNumberId::parse(&app.phone_number_id).unwrap(), 1)
                .as_str(),
            "the documented deterministic code"
        );

        // A second code within a minute: 136024.
        let res = app
            .edge("request_code", "code_method=VOICE&language=en_US", None)
            .await;
        let body = assert_graph_error(res, 400, 136024).await;
        assert_eq!(body["error"]["message"], "(#136024) Request code error");
        assert!(
            body["error"]["error_data"]["details"]
                .as_str()
                .unwrap()
                .contains("less than a minute ago")
        );

        // A wrong code: 136025, counted; registering meanwhile: 133006.
        let wrong = if code == "000000" { "111111" } else { "000000" };
        let res = app
            .edge("verify_code", &format!("code={wrong}"), None)
            .await;
        let body = assert_graph_error(res, 400, 136025).await;
        assert_eq!(body["error"]["message"], "(#136025) Verify code error");
        assert_eq!(
            body["error"]["error_data"]["details"],
            "the verification code is incorrect (4 attempts left)"
        );
        let res = app.register("123456").await;
        assert_graph_error(res, 400, 133006).await;

        // The right code, in a JSON body this time.
        ok(app
            .edge("verify_code", "", Some(json!({"code": code})))
            .await)
        .await;
        let body = app.fields("code_verification_status").await;
        assert_eq!(body["code_verification_status"], "VERIFIED");
        let res = app
            .get(&format!(
                "/sandbox/{}/verification_code",
                app.phone_number_id
            ))
            .await;
        assert_manage_error(res, 404, "verification_code_not_found").await;
        let res = app.edge("verify_code", &format!("code={code}"), None).await;
        let body = assert_graph_error(res, 400, 136025).await;
        assert!(
            body["error"]["error_data"]["details"]
                .as_str()
                .unwrap()
                .contains("no verification code was requested")
        );

        // Expiry, with the service's clock moved on: a code older than 10 minutes.
        let (p, channel) = (app.operator(), app.first_channel().await);
        let t0 = later(Timestamp::now(), 61);
        let request = CodeRequest {
            method: CodeMethod::Sms,
            language: CodeLanguage::parse("en").unwrap(),
        };
        app.app
            .request_verification_code(&p, &channel, request, t0)
            .await
            .unwrap();
        let code = VerificationCode::parse(&app.pending_code().await).unwrap();
        let err = app
            .app
            .verify_phone_number(&p, &channel, &code, later(t0, 600))
            .await
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::VerificationCodeIncorrect);
        assert!(err.to_string().contains("expired"), "{err}");
        let number = app
            .app
            .phone_number(&p, channel.clone(), false, later(t0, 600))
            .await
            .unwrap();
        assert_eq!(
            number.registration.code_verification_status(later(t0, 600)),
            CodeVerificationStatus::Expired
        );
        app.app
            .verify_phone_number(&p, &channel, &code, later(t0, 599))
            .await
            .expect("still valid a second earlier");

        // Bad inputs: Graph 100 naming the parameter, nothing changes.
        for (edge, query) in [
            ("request_code", "language=en"),
            ("request_code", "code_method=FAX&language=en"),
            ("request_code", "code_method=SMS"),
            ("request_code", "code_method=SMS&language=english"),
            ("verify_code", ""),
            ("verify_code", "code=12ab56"),
            ("verify_code", "code=1234567"),
        ] {
            let res = app.edge(edge, query, None).await;
            let body = assert_graph_error(res, 400, 100).await;
            assert!(
                body["error"]["message"]
                    .as_str()
                    .unwrap()
                    .starts_with("(#100) "),
                "{edge}?{query}: {body}"
            );
        }
        let res = app
            .req(
                Method::POST,
                &format!("/v23.0/{}/verify_code", app.phone_number_id),
            )
            .header("content-type", "application/json")
            .body("{\"code\":")
            .send()
            .await
            .unwrap();
        assert_graph_error(res, 400, 100).await;
    }
}

#[tokio::test]
async fn register_with_and_without_a_two_step_pin() {
    for app in spawn_apps().await {
        // No PIN yet: the one given becomes the two-step PIN.
        ok(app.register("123456").await).await;
        assert_eq!(app.fields("is_pin_enabled").await["is_pin_enabled"], true);
        let res = app.register("654321").await;
        let body = assert_graph_error(res, 400, 133005).await;
        assert_eq!(
            body["error"]["message"],
            "(#133005) Two step verification PIN Mismatch"
        );
        ok(app.register("123456").await).await;

        // POST /{pnid} {"pin"} changes it.
        let path = format!("/v23.0/{}", app.phone_number_id);
        ok(app.post_json(&path, &json!({"pin": "111111"})).await).await;
        assert_graph_error(app.register("123456").await, 400, 133005).await;
        ok(app
            .edge(
                "register",
                "",
                Some(json!({"messaging_product": "whatsapp", "pin": "111111",
                             "data_localization_region": "IN"})),
            )
            .await)
        .await;

        // Bad inputs: 100, and not counted against the limit.
        for body in [
            json!({"messaging_product": "whatsapp"}),
            json!({"messaging_product": "whatsapp", "pin": "12ab56"}),
            json!({"messaging_product": "whatsapp", "pin": "12345"}),
            json!({"messaging_product": "sms", "pin": "111111"}),
            json!({"messaging_product": "whatsapp", "pin": "111111", "data_localization_region": "india"}),
            json!({"messaging_product": "whatsapp", "pin": ["111111"]}),
        ] {
            let res = app.edge("register", "", Some(body.clone())).await;
            let err = assert_graph_error(res, 400, 100).await;
            assert!(err["error"].get("error_subcode").is_none(), "{body}: {err}");
        }
        for body in [json!({"pin": "12ab56"}), json!({}), json!({"pin": ""})] {
            let res = app.post_json(&path, &body).await;
            assert_graph_error(res, 400, 100).await;
        }
        assert_eq!(
            app.fields("is_pin_enabled").await["is_pin_enabled"],
            true,
            "still the PIN set above"
        );
    }
}

#[tokio::test]
async fn ten_register_calls_per_72_hours_then_133016() {
    for app in spawn_apps().await {
        for i in 0..10 {
            let res = app.register("123456").await;
            assert_eq!(res.status(), 200, "call {i}");
        }
        let res = app.register("123456").await;
        let body = assert_graph_error(res, 400, 133016).await;
        // The same body on every backend.
        insta::allow_duplicates! {
            insta::assert_json_snapshot!(body, {".error.fbtrace_id" => "[fbtrace_id]", ".error.error_data.details" => "[details]"}, @r#"
            {
              "error": {
                "code": 133016,
                "error_data": {
                  "details": "[details]",
                  "messaging_product": "whatsapp"
                },
                "fbtrace_id": "[fbtrace_id]",
                "message": "(#133016) Account register deregister rate limit exceeded",
                "type": "OAuthException"
              }
            }
            "#);
        }
        assert!(
            body["error"]["error_data"]["details"]
                .as_str()
                .unwrap()
                .contains("registration is blocked until")
        );
        // Blocked for 72 hours, whatever the PIN.
        assert_graph_error(app.register("123456").await, 400, 133016).await;
        let (p, channel) = (app.operator(), app.first_channel().await);
        let register = || Register {
            pin: TwoStepPin::parse("123456").unwrap(),
            data_localization_region: None,
        };
        let err = app
            .app
            .register_phone_number(&p, &channel, register(), later(Timestamp::now(), 71 * 3600))
            .await
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::RegistrationRateLimited);
        app.app
            .register_phone_number(
                &p,
                &channel,
                register(),
                later(Timestamp::now(), 72 * 3600 + 60),
            )
            .await
            .expect("the block ends after 72 hours");
    }
}

#[tokio::test]
async fn deregistered_numbers_cannot_send_until_registered_again() {
    for app in spawn_apps().await {
        let before = app.messages("").await.len();
        ok(app.edge("deregister", "", None).await).await;
        let body = app
            .fields("status,platform_type,health_status,search_visibility")
            .await;
        assert_eq!(body["status"], "PENDING");
        assert_eq!(body["platform_type"], "NOT_APPLICABLE");
        assert_eq!(body["search_visibility"], "NON_VISIBLE");
        assert_eq!(body["health_status"]["can_send_message"], "BLOCKED");
        assert_eq!(
            body["health_status"]["entities"][0]["errors"][0]["error_code"],
            133010
        );

        let res = app
            .post_json(
                &format!("/v23.0/{}/messages", app.phone_number_id),
                &json!({"messaging_product": "whatsapp", "to": TO, "type": "text",
                        "text": {"body": "hello"}}),
            )
            .await;
        let body = assert_graph_error(res, 400, 133010).await;
        // The same body on every backend.
        insta::allow_duplicates! {
            insta::assert_json_snapshot!(body, {".error.fbtrace_id" => "[fbtrace_id]"}, @r#"
            {
              "error": {
                "code": 133010,
                "error_data": {
                  "details": "this phone number is deregistered: register it (POST /{phone_number_id}/register) before sending from it",
                  "messaging_product": "whatsapp"
                },
                "fbtrace_id": "[fbtrace_id]",
                "message": "(#133010) Phone number Not Registered",
                "type": "OAuthException"
              }
            }
            "#);
        }
        assert_eq!(app.messages("").await.len(), before, "nothing stored");

        // Deregistering again is allowed; registering again lets it send.
        ok(app.edge("deregister", "", None).await).await;
        ok(app.register("123456").await).await;
        let body = app.fields("status,platform_type").await;
        assert_eq!(body["status"], "CONNECTED");
        assert_eq!(body["platform_type"], "CLOUD_API");
        let wamid = app
            .send(json!({"to": TO, "type": "text", "text": {"body": "back"}}))
            .await;
        assert!(wamid.starts_with("wamid."));
    }
}

#[tokio::test]
async fn display_names_are_reviewed_by_the_sandbox() {
    for app in spawn_apps().await {
        let path = format!("/v23.0/{}", app.phone_number_id);
        ok(app
            .post_json(
                &path,
                &json!({"messaging_product": "whatsapp", "new_display_name": "Acme Shoes"}),
            )
            .await)
        .await;
        let body = app
            .fields("verified_name,name_status,new_name_status,new_certificate")
            .await;
        assert_eq!(body["new_name_status"], "PENDING_REVIEW");
        assert_eq!(body["name_status"], "APPROVED");
        assert_eq!(body["verified_name"], "wagate Sandbox");
        assert!(body.get("new_certificate").is_none());

        // 30 seconds on, the next read decides: approved, and it is the verified name.
        let (p, channel) = (app.operator(), app.first_channel().await);
        let number = app
            .app
            .phone_number(&p, channel, false, later(Timestamp::now(), 31))
            .await
            .unwrap();
        assert_eq!(number.channel.verified_name.as_str(), "Acme Shoes");
        assert_eq!(
            number.registration.name_change.as_ref().unwrap().review,
            NameReview::Approved
        );
        let body = app
            .fields("verified_name,new_name_status,new_certificate")
            .await;
        assert_eq!(body["verified_name"], "Acme Shoes");
        assert_eq!(body["new_name_status"], "APPROVED");
        assert!(body["new_certificate"].is_string());
        let channels: Value = app.get("/api/v1/channels").await.json().await.unwrap();
        assert_eq!(channels["data"][0]["verified_name"], "Acme Shoes");

        // A name claiming to be WhatsApp is declined; the verified name stays.
        ok(app
            .post_json(&path, &json!({"new_display_name": "WhatsApp Help Desk"}))
            .await)
        .await;
        let channel = app.first_channel().await;
        let number = app
            .app
            .phone_number(&p, channel, false, later(Timestamp::now(), 31))
            .await
            .unwrap();
        assert_eq!(number.channel.verified_name.as_str(), "Acme Shoes");
        assert_eq!(
            app.fields("new_name_status").await["new_name_status"],
            "DECLINED"
        );

        // Bad names; and POST to ids that are no phone number still reach templates.
        for name in [json!(""), json!("x".repeat(257)), json!(["Acme"])] {
            let res = app
                .post_json(&path, &json!({"new_display_name": name}))
                .await;
            assert_graph_error(res, 400, 100).await;
        }
        let res = app
            .post_json("/v23.0/123456789", &json!({"category": "UTILITY"}))
            .await;
        let body = assert_graph_error(res, 400, 100).await;
        assert_eq!(body["error"]["error_subcode"], 33);
    }
}

#[tokio::test]
async fn another_accounts_numbers_and_cloud_numbers() {
    for app in spawn_apps().await {
        let (_, other_key) = app.other_account().await;
        let theirs = app.create_channel(&other_key, "Theirs").await;
        let pnid = theirs["phone_number_id"].as_str().unwrap();
        for (path, body) in [
            ("request_code?code_method=SMS&language=en", None),
            ("verify_code?code=123456", None),
            (
                "register",
                Some(json!({"messaging_product": "whatsapp", "pin": "123456"})),
            ),
            ("deregister", None),
            ("", Some(json!({"pin": "123456"}))),
        ] {
            for id in [pnid, "123456789"] {
                let url = if path.is_empty() {
                    format!("/v23.0/{id}")
                } else {
                    format!("/v23.0/{id}/{path}")
                };
                let req = app.req(Method::POST, &url);
                let req = match &body {
                    Some(b) => req.json(b),
                    None => req,
                };
                let res = req.send().await.unwrap();
                let err = assert_graph_error(res, 400, 100).await;
                assert_eq!(err["error"]["error_subcode"], 33, "{url}: {err}");
            }
        }
        let res = app.get(&format!("/sandbox/{pnid}/verification_code")).await;
        assert_manage_error(res, 404, "channel_not_found").await;
        // Their number still sends: our calls changed nothing.
        let res = app
            .with_key(
                Method::GET,
                &format!("/v23.0/{pnid}?fields=status"),
                &other_key,
            )
            .send()
            .await
            .unwrap();
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["status"], "CONNECTED");

        // A cloud number is registered at Meta: the call goes to Meta (here unreachable),
        // never to wagate's own registration (see cloud_upstream.rs for a reachable Meta).
        let res = app
            .post_json(
                "/api/v1/channels",
                &json!({"verified_name": "Live", "phone_number_id": "777000111222333",
                        "waba_id": "777000111222000", "display_phone_number": "+447700900123",
                        "upstream": {"kind": "cloud", "access_token": "EAAG-test",
                                     "base_url": "http://127.0.0.1:9"}}),
            )
            .await;
        assert_eq!(res.status(), 201);
        for (path, body) in [
            (
                "/v23.0/777000111222333/register",
                json!({"messaging_product": "whatsapp", "pin": "123456"}),
            ),
            (
                "/v23.0/777000111222333/request_code",
                json!({"code_method": "SMS", "language": "en"}),
            ),
        ] {
            let res = app.post_json(path, &body).await;
            let body = assert_graph_error(res, 503, 2).await;
            assert!(
                body["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("could not be reached"),
                "{body}"
            );
        }
        assert_eq!(
            app.get("/v23.0/777000111222333/verification_code")
                .await
                .status(),
            503
        );
        // An id alone that wagate does not know may be Meta's, but with Meta unreachable
        // wagate's "unknown object" stands, not an outage.
        let res = app.get("/v23.0/123456789012345").await;
        assert_graph_error(res, 400, 100).await;
    }
}
/// pywa's phone-number and registration calls, unmodified, against a sandbox number.
/// Only the SQLite server is used: the point is the library's wire format, not storage.
#[tokio::test]
#[ignore = "real client libraries (pywa, whatsapp-api-js, kapso, S3): `cargo test -- --include-ignored`, as CI runs"]
async fn pywa_reads_verifies_registers_and_deregisters_numbers() {
    let python = pywa_python().await;
    let app = spawn_app().await;
    let waba = app.first_waba().await;
    // A second number in the WABA, so the list has two pages of one.
    let res = app
        .post_json(
            "/api/v1/channels",
            &json!({"verified_name": "pywa Second", "waba_id": waba}),
        )
        .await;
    assert_eq!(res.status(), 201);

    let mut cmd = Command::new(&python);
    cmd.arg(conformance_dir().join("registration/pywa_registration.py"))
        .args(["--waba-id", &waba])
        .args(["--to", TO]);
    crate::sdk::for_app(&mut cmd, &app);
    let ops = crate::sdk::run_script("pywa", cmd).await;
    let expected = [
        "get_number",
        "list_numbers",
        "request_code",
        "read_code",
        "verify_wrong_code",
        "verify_code",
        "register",
        "register_wrong_pin",
        "update_display_name",
        "deregister",
        "send_deregistered",
        "register_again_and_send",
        "register_limit",
    ];
    let mut problems = Vec::new();
    for op in expected {
        match ops.iter().find(|o| o["op"] == op) {
            Some(o) if o["ok"] == true => {}
            other => problems.push(format!("{op}: {other:?}")),
        }
    }
    match ops.iter().find(|o| o["op"] == "list_numbers") {
        Some(o) if o["detail"]["pages"] == 2 => {}
        other => problems.push(format!(
            "list_numbers: two pages of one expected: {other:?}"
        )),
    }
    assert!(
        problems.is_empty(),
        "{}\n\nthe script's report:\n{}",
        problems.join("\n"),
        ops.iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
    app.stop().await;
}
