//! §4 upload media, §5 session messages, §6 template messages and §7 message details.

use reqwest::Method;
use serde_json::{Value, json};

use super::{Project, assert_error, shape};
use crate::helpers::spawn_apps;

/// §5.1's request, verbatim.
fn text_example() -> Value {
    json!({
      "to": "910000000000",
      "text": {
        "body": "Hello Good Morning"
      },
      "type": "text",
      "recipient_type": "individual"
    })
}

#[tokio::test]
async fn a_session_text_is_sent_creates_its_contact_and_shows_in_the_message_details() {
    for app in spawn_apps().await {
        app.configure_sandbox(json!({})).await;
        let project = Project::of(&app).await;
        // The user wrote first: the window is open, so the session message is delivered.
        app.inject(json!({"from": "910000000000", "type": "text", "text": {"body": "hi"}}))
            .await;
        let sent = project.ok("/messages", &text_example()).await;
        insta::allow_duplicates! {
            insta::assert_json_snapshot!("redington_text_send", shape(&sent));
        }
        assert_eq!(sent["contacts"][0]["wa_id"], "910000000000");
        let wamid = sent["messages"][0]["id"].as_str().unwrap().to_owned();
        let stored = app.wait_status(&wamid, &["delivered", "read"]).await;
        assert_eq!(stored["content"]["body"], "Hello Good Morning", "{stored}");

        let details = project.get(&format!("/messages/{wamid}")).await;
        assert_eq!(details.status(), 200);
        let details: Value = details.json().await.unwrap();
        insta::allow_duplicates! {
            insta::assert_json_snapshot!("redington_message_details", shape(&details), {
                ".status" => "[DELIVERED or READ]",
                ".read_at" => "[epoch ms or null]",
            });
        }
        assert_eq!(details["messageId"], wamid.as_str());
        assert_eq!(details["project_id"], project.id.as_str());
        assert_eq!(details["message_content"]["text"], "Hello Good Morning");
        assert_eq!(details["countryCode"], "91");
        assert!(
            details["sent_at"].as_i64().unwrap() > 1_700_000_000_000,
            "{details}"
        );
        // The contact the send created is the one the details name.
        let contact: Value = app
            .get("/api/v1/contacts?q=910000000000")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            details["contact_id"], contact["data"][0]["id"],
            "{details} {contact}"
        );
        // By wagate's id too.
        let by_id: Value = project
            .get(&format!("/messages/{}", details["id"].as_str().unwrap()))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(by_id["messageId"], wamid.as_str());
    }
}

#[tokio::test]
async fn bad_sends_get_the_seeds_codes_and_nothing_is_sent() {
    for app in spawn_apps().await {
        let project = Project::of(&app).await;
        let cases = [
            (
                json!({"to": "not a number", "type": "text", "text": {"body": "x"}}),
                602,
                "to",
            ),
            (
                json!({"to": "910000000000", "type": "fax", "fax": {}}),
                604,
                "type",
            ),
            (
                json!({"to": "910000000000", "type": "text", "text": {}}),
                601,
                "text.body",
            ),
            (
                json!({"to": "910000000000", "type": "text", "text": {"body": "x".repeat(4097)}}),
                603,
                "text.body",
            ),
        ];
        for (body, code, field) in cases {
            let res = project.post("/messages", &body).await;
            assert_error(res, 400, code, Some(field)).await;
        }
        let res = project
            .req(Method::POST, "/messages")
            .header("content-type", "application/json")
            .body("{\"to\": ")
            .send()
            .await
            .unwrap();
        assert_error(res, 400, 601, None).await;
        assert!(app.messages("direction=outbound").await.is_empty());
    }
}

#[tokio::test]
async fn the_project_password_and_the_project_are_checked() {
    for app in spawn_apps().await {
        let project = Project::of(&app).await;
        let body = text_example();
        // No password, a wrong one, another account's key.
        let res = app
            .client
            .post(project.url("/messages"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_error(res, 401, 401, None).await;
        let res = app
            .client
            .post(project.url("/messages"))
            .header("X-Project-API-Pwd", "wg_live_wrong")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_error(res, 401, 401, None).await;
        let (_, foreign) = app.other_account().await;
        let res = app
            .client
            .post(project.url("/messages"))
            .header("X-Project-API-Pwd", foreign)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_error(res, 404, 404, None).await;
        // A key limited to the project reaches no other project.
        let other = app.create_channel(&app.api_key, "Other project").await;
        let res = app
            .client
            .post(app.url(&format!(
                "/compat/redington/project-apis/v1/project/{}/messages",
                other["id"].as_str().unwrap()
            )))
            .header("X-Project-API-Pwd", &project.key)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_error(res, 404, 404, None).await;
        // The phone number id names the project as well as the channel id does.
        let by_pnid = app
            .client
            .get(app.url(&format!(
                "/compat/redington/project-apis/v1/project/{}/messages/wamid.unknown",
                app.phone_number_id
            )))
            .header("X-Project-API-Pwd", &project.key)
            .send()
            .await
            .unwrap();
        assert_error(by_pnid, 404, 404, None).await;
        // An unknown endpoint of the dialect answers in its format.
        let res = project.get("/nothing-here").await;
        assert_error(res, 404, 404, None).await;
        assert!(app.messages("direction=outbound").await.is_empty());
    }
}

fn pdf() -> Vec<u8> {
    b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec()
}

fn png() -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0".to_vec();
    b.extend(std::iter::repeat_n(0x5a, 200));
    b
}

impl Project<'_> {
    /// §4: uploads `bytes` as multipart `file`; answers the id.
    async fn upload(&self, bytes: Vec<u8>, name: &str, mime: &str) -> String {
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(name.to_owned())
            .mime_str(mime)
            .unwrap();
        let res = self
            .req(Method::POST, "/media")
            .multipart(reqwest::multipart::Form::new().part("file", part))
            .send()
            .await
            .unwrap();
        let status = res.status();
        let body: Value = res.json().await.unwrap();
        assert_eq!(status, 200, "{body}");
        assert_eq!(body.as_object().unwrap().len(), 1, "only the id: {body}");
        body["id"].as_str().unwrap().to_owned()
    }
}

/// The seed's fixtures for §6: `testmessage` (TEXT, URL button), `filetemplatecetas` and
/// `filetempcetas` (DOCUMENT header; §6.2.2 writes the second `fileTempcetas`) and
/// `cetasimagetemplate` (IMAGE header), each with one body parameter, approved.
async fn template_fixtures(app: &crate::helpers::TestApp) {
    app.approved_template(json!({"name": "testmessage", "language": "en_US",
        "category": "UTILITY", "components": [
            {"type": "BODY", "text": "Hello {{1}}, Thanks for contacting us",
             "example": {"body_text": [["Mohamed"]]}},
            {"type": "BUTTONS", "buttons": [
                {"type": "URL", "text": "Click Here", "url": "https://www.cetastech.com"}]}]}))
        .await;
    for (name, format) in [
        ("filetemplatecetas", "DOCUMENT"),
        ("filetempcetas", "DOCUMENT"),
        ("cetasimagetemplate", "IMAGE"),
    ] {
        app.approved_template(json!({"name": name, "language": "en_US",
            "category": "UTILITY", "components": [
                {"type": "HEADER", "format": format, "example": {"header_handle": ["4::aW"]}},
                {"type": "BODY", "text": "Hello {{1}}, your file is attached.",
                 "example": {"body_text": [["Brindha"]]}}]}))
            .await;
    }
}

#[tokio::test]
async fn the_seeds_media_and_template_examples_are_sent_as_documented() {
    for app in spawn_apps().await {
        app.configure_sandbox(json!({})).await;
        template_fixtures(&app).await;
        let project = Project::of(&app).await;
        app.inject(json!({"from": "910000000000", "type": "text", "text": {"body": "hi"}}))
            .await;
        let document_id = project
            .upload(pdf(), "SamplePDFFromAPI.pdf", "application/pdf")
            .await;
        let image_id = project.upload(png(), "FlowerImage.png", "image/png").await;
        // Each documented body, verbatim but for the ids the uploads answered (§5.2.2,
        // §5.3.2, §6.2.2, §6.3.2 say to use them).
        let examples = [
            (
                "§5.2.1 document by link",
                json!({
                  "to": "910000000000",
                  "type": "document",
                  "document": {
                    "link": "https://www.clickdimensions.com/links/TestPDFfile.pdf",
                    "filename": "wds"
                  }
                }),
            ),
            (
                "§5.2.2 document by id",
                json!({
                  "to": "910000000000",
                  "type": "document",
                  "document": {
                    "filename": "SamplePDFFromAPI.pdf",
                    "id": document_id
                  }
                }),
            ),
            (
                "§5.3.1 image by link",
                json!({
                  "to": "910000000000",
                  "type": "image",
                  "image": {
                    "link": "https://images.pexels.com/photos/616838/pexels-photo-616838.jpeg?auto=compress&cs=tinysrgb&w=1260&h=750&dpr=2",
                    "caption": "Your image caption here"
                  }
                }),
            ),
            (
                "§5.3.2 image by id",
                json!({
                  "to": "910000000000",
                  "type": "image",
                  "image": {
                    "filename": "FlowerImage.png",
                    "id": image_id
                  }
                }),
            ),
            (
                "§6.1 template TEXT",
                json!({
                  "to": "910000000000",
                  "type": "template",
                  "template": {
                    "name": "testmessage",
                    "language": {
                      "code": "en_US"
                    },
                    "components": [
                      {
                        "type": "body",
                        "parameters": [
                          {
                            "type": "text",
                            "text": "Brindha"
                          }
                        ]
                      }
                    ]
                  }
                }),
            ),
            (
                "§6.2.1 template DOCUMENT by link",
                json!({
                  "to": "910000000000",
                  "type": "template",
                  "template": {
                    "name": "filetemplatecetas",
                    "language": {
                      "code": "en_US"
                    },
                    "components": [
                      {
                        "type": "header",
                        "parameters": [
                          {
                            "type": "document",
                            "document": {
                              "link": "https://www.clickdimensions.com/links/TestPDFfile.pdf",
                              "filename": "qwerty"
                            }
                          }
                        ]
                      },
                      {
                        "type": "body",
                        "parameters": [
                          {
                            "type": "text",
                            "text": "Brindha"
                          }
                        ]
                      }
                    ]
                  }
                }),
            ),
            (
                "§6.2.2 template DOCUMENT by id",
                json!({
                  "to": "910000000000",
                  "type": "template",
                  "template": {
                    "name": "fileTempcetas",
                    "language": {
                      "code": "en_US"
                    },
                    "components": [
                      {
                        "type": "header",
                        "parameters": [
                          {
                            "type": "document",
                            "document": {
                              "filename": "SamplePDFFromAPI.pdf",
                              "id": document_id
                            }
                          }
                        ]
                      },
                      {
                        "type": "body",
                        "parameters": [
                          {
                            "type": "text",
                            "text": "Brindha"
                          }
                        ]
                      }
                    ]
                  }
                }),
            ),
            (
                "§6.3.1 template IMAGE by link",
                json!({
                  "to": "910000000000",
                  "type": "template",
                  "template": {
                    "name": "cetasimagetemplate",
                    "language": {
                      "code": "en_US"
                    },
                    "components": [
                      {
                        "type": "header",
                        "parameters": [
                          {
                            "type": "image",
                            "image": {
                              "link": "https://images.pexels.com/photos/616838/pexels-photo-616838.jpeg"
                            }
                          }
                        ]
                      },
                      {
                        "type": "body",
                        "parameters": [
                          {
                            "type": "text",
                            "text": "Brindha"
                          }
                        ]
                      }
                    ]
                  }
                }),
            ),
            (
                "§6.3.2 template IMAGE by id",
                json!({
                  "to": "910000000000",
                  "type": "template",
                  "template": {
                    "name": "cetasimagetemplate",
                    "language": {
                      "code": "en_US"
                    },
                    "components": [
                      {
                        "type": "header",
                        "parameters": [
                          {
                            "type": "image",
                            "image": {
                              "id": image_id
                            }
                          }
                        ]
                      },
                      {
                        "type": "body",
                        "parameters": [
                          {
                            "type": "text",
                            "text": "Brindha"
                          }
                        ]
                      }
                    ]
                  }
                }),
            ),
        ];
        for (what, body) in examples {
            let sent = project.ok("/messages", &body).await;
            insta::allow_duplicates! {
                insta::assert_json_snapshot!("redington_send_answer", shape(&sent));
            }
            let wamid = sent["messages"][0]["id"].as_str().unwrap().to_owned();
            let stored = app.wait_status(&wamid, &["delivered", "read"]).await;
            let details: Value = project
                .get(&format!("/messages/{wamid}"))
                .await
                .json()
                .await
                .unwrap();
            let kind = body["type"].as_str().unwrap();
            assert_eq!(stored["type"], kind, "{what}: {stored}");
            if kind == "template" {
                assert_eq!(details["is_HSM"], true, "{what}: {details}");
                let name = body["template"]["name"].as_str().unwrap().to_lowercase();
                assert_eq!(details["message_content"]["name"], name.as_str(), "{what}");
                assert!(
                    details["message_content"]["text"]
                        .as_str()
                        .unwrap()
                        .contains("Hello Brindha"),
                    "{what}: {details}"
                );
                let header = body["template"]["components"][0]["parameters"][0]["type"]
                    .as_str()
                    .map(str::to_ascii_uppercase);
                let expected = match header.as_deref() {
                    Some("DOCUMENT") => "DOCUMENT",
                    Some("IMAGE") => "IMAGE",
                    _ => "TEXT",
                };
                assert_eq!(details["message_type"], expected, "{what}: {details}");
            } else {
                assert_eq!(details["message_type"], kind.to_uppercase(), "{what}");
                assert_eq!(details["is_HSM"], false, "{what}");
            }
            // The price is the core's charge (inside the window session messages and
            // utility templates are free, as on Meta since July 2025).
            let charge = app
                .get(&format!(
                    "/api/v1/messages/{}/charge",
                    stored["id"].as_str().unwrap()
                ))
                .await;
            assert_price(&details, charge, what).await;
        }
        // A utility template outside a window is charged.
        let outside = json!({"to": "910000000001", "type": "template", "template": {
            "name": "testmessage", "language": {"code": "en_US"}, "components": [
                {"type": "body", "parameters": [{"type": "text", "text": "Brindha"}]}]}});
        let sent = project.ok("/messages", &outside).await;
        let wamid = sent["messages"][0]["id"].as_str().unwrap().to_owned();
        let stored = app.wait_status(&wamid, &["delivered", "read"]).await;
        let details: Value = project
            .get(&format!("/messages/{wamid}"))
            .await
            .json()
            .await
            .unwrap();
        assert!(
            details["message_price"].as_f64().unwrap() > 0.0,
            "{details}"
        );
        let charge = app
            .get(&format!(
                "/api/v1/messages/{}/charge",
                stored["id"].as_str().unwrap()
            ))
            .await;
        assert_price(&details, charge, "outside the window").await;
        // The image's file name (which WhatsApp images do not have) was not sent on.
        let images = app.messages("direction=outbound&type=image").await;
        assert!(
            images
                .iter()
                .all(|m| m["content"].get("filename").is_none()),
            "{images:?}"
        );
        // A template unknown in any case, and a wrong parameter count, are refused.
        let mut unknown = json!({"to": "910000000000", "type": "template", "template": {
            "name": "NoSuchTemplate", "language": {"code": "en_US"}}});
        let res = project.post("/messages", &unknown).await;
        let err = assert_error(res, 404, 404, None).await;
        assert_eq!(err["error"], "template_not_approved", "{err}");
        unknown["template"]["name"] = json!("TestMessage");
        let res = project.post("/messages", &unknown).await;
        assert_error(res, 400, 601, None).await;
    }
}

/// The details' `message_price` and `deductionType` say what the core charged.
async fn assert_price(details: &Value, charge: reqwest::Response, what: &str) {
    if charge.status() == 404 {
        assert_eq!(details["message_price"], 0, "{what}: {details}");
        assert_eq!(details["deductionType"], Value::Null, "{what}: {details}");
        return;
    }
    let charge: Value = charge.json().await.unwrap();
    let price = charge["price"].as_f64().unwrap() / 1_000_000.0;
    assert_eq!(
        details["message_price"].as_f64().unwrap(),
        price,
        "{what}: {charge}"
    );
    let deducted = if price > 0.0 {
        json!("WC")
    } else {
        Value::Null
    };
    assert_eq!(details["deductionType"], deducted, "{what}: {details}");
}

#[tokio::test]
async fn an_upload_without_a_file_or_of_an_unsupported_type_is_refused() {
    for app in spawn_apps().await {
        let project = Project::of(&app).await;
        let res = project
            .req(Method::POST, "/media")
            .multipart(reqwest::multipart::Form::new().text("name", "x"))
            .send()
            .await
            .unwrap();
        assert_error(res, 400, 601, Some("file")).await;
        let res = project
            .req(Method::POST, "/media")
            .json(&json!({"file": "x"}))
            .send()
            .await
            .unwrap();
        assert_error(res, 400, 601, None).await;
        let part = reqwest::multipart::Part::bytes(b"MZ\x90\0 not media".to_vec())
            .file_name("tool.exe")
            .mime_str("application/x-msdownload")
            .unwrap();
        let res = project
            .req(Method::POST, "/media")
            .multipart(reqwest::multipart::Form::new().part("file", part))
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let body: Value = res.json().await.unwrap();
        assert!(status == 415 || status == 400, "{status} {body}");
        assert_eq!(body["status"], "failure", "{body}");
    }
}

/// A project whose channel is a cloud number sends through Meta (here another wagate
/// standing in for Meta, as `cloud_upstream` does) and reads back Meta's statuses.
#[tokio::test]
async fn a_cloud_project_sends_through_meta() {
    use crate::cloud_upstream::{APP_SECRET, META_FIELDS, VERIFY_TOKEN, cloud_channel_on};
    let meta = crate::helpers::spawn_app().await;
    meta.configure_sandbox(json!({"read_percent": 100})).await;
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
        let project = Project::for_channel(&app, channel).await;
        // §5.1 with no window open: Meta takes it, then fails it with 131047, and the
        // details show it as §7's example does.
        let sent = project.ok("/messages", &text_example()).await;
        let wamid = sent["messages"][0]["id"].as_str().unwrap().to_owned();
        app.wait_status(&wamid, &["failed"]).await;
        let details: Value = project
            .get(&format!("/messages/{wamid}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(details["status"], "FAILED", "{details}");
        assert_eq!(details["failureResponse"]["code"], "131047", "{details}");
        assert!(
            details["failureResponse"]["reason"].is_string(),
            "{details}"
        );
        // The user writes; the same send now goes through and is read.
        meta.inject(json!({"from": "910000000000", "type": "text", "text": {"body": "hi"}}))
            .await;
        app.wait_messages("direction=inbound", 1).await;
        let sent = project.ok("/messages", &text_example()).await;
        let wamid = sent["messages"][0]["id"].as_str().unwrap().to_owned();
        let read = app.wait_status(&wamid, &["read"]).await;
        assert_eq!(read["handovers"], 1, "{read}");
        let details: Value = project
            .get(&format!("/messages/{wamid}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(details["status"], "READ", "{details}");
        assert_eq!(details["failureResponse"], Value::Null, "{details}");
    }
}
