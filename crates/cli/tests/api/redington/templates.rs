//! §8 submit, §9 list, §10 get and §11 delete templates; and [`seed_fixtures`], the
//! templates the seed's send examples name, created through §8 as a migrating user has them.

use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use wagate_app::templates::TemplatesConfig;
use wagate_app::templates::review::TemplateReviewer;

use super::{Project, assert_error, shape};
use crate::helpers::{TestApp, spawn_apps, spawn_apps_with};

/// The project's URLs with an account-wide key: templates belong to the WABA, so submitting
/// and deleting them needs one (a key limited to the project may list and read).
pub fn wide<'a>(project: &Project<'a>) -> Project<'a> {
    Project {
        app: project.app,
        id: project.id.clone(),
        key: project.app.api_key.clone(),
    }
}

fn png() -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0".to_vec();
    b.extend(std::iter::repeat_n(0x5a, 64));
    b
}

fn pdf() -> Vec<u8> {
    b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec()
}

/// Uploads `bytes` through §4; the media id.
pub async fn upload(project: &Project<'_>, bytes: Vec<u8>, name: &str, mime: &str) -> String {
    let form = Form::new().part(
        "file",
        Part::bytes(bytes)
            .file_name(name.to_owned())
            .mime_str(mime)
            .unwrap(),
    );
    let res = project
        .req(Method::POST, "/media")
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

/// The sandbox reviews every pending template now, approving them all.
pub async fn approve_all(app: &TestApp) {
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

/// The templates the seed's examples assume (`shared/reference/seeds.md`, "000"), submitted
/// through §8 and approved: `testmessage` (a URL button), `filetemplatecetas` and
/// `filetempcetas` (DOCUMENT headers; §6.2.2's `fileTempcetas` matches the second
/// case-insensitively) and `cetasimagetemplate` (an IMAGE header), all `en_US` with one body
/// parameter. Returns their ids, in that order.
pub async fn seed_fixtures(project: &Project<'_>) -> Vec<String> {
    let wide = wide(project);
    let pdf = upload(project, pdf(), "sample.pdf", "application/pdf").await;
    let png = upload(project, png(), "sample.png", "image/png").await;
    let document = |name: &str| {
        json!({
          "name": name, "label": name, "type": "FILE", "category": "UTILITY",
          "language": "English (US)",
          "text": "Hello {{1}}, please find your document from Cetas Information Technology attached.",
          "sample_text": "Hello [Suja], please find your document from Cetas Information Technology attached.",
          "sample_media": pdf,
        })
    };
    let bodies = [
        json!({
          "name": "testmessage", "label": "testmessage", "type": "TEXT", "category": "UTILITY",
          "language": "English (US)",
          "text": "Hello {{1}}, Thanks for contacting us",
          "sample_text": "Hello [Mohamed Sujaludeen], Thanks for contacting us",
          "message_action_type": "CTA",
          "call_to_action": [
            {"type": "URL", "button_value": "https://www.cetastech.com", "button_title": "Click Here"}
          ],
        }),
        document("filetemplatecetas"),
        document("filetempcetas"),
        json!({
          "name": "cetasimagetemplate", "label": "cetasimagetemplate", "type": "IMAGE",
          "category": "UTILITY", "language": "English (US)",
          "text": "Hello {{1}}, Welcome to Cetas Information Technology Private Limited.",
          "sample_text": "Hello [Suja], Welcome to Cetas Information Technology Private Limited.",
          "sample_media": png,
        }),
    ];
    let mut ids = Vec::new();
    for body in &bodies {
        let created = wide.ok("/wa_template", body).await;
        ids.push(created["id"].as_str().unwrap().to_owned());
    }
    approve_all(project.app).await;
    for id in &ids {
        let t: Value = project
            .get(&format!("/wa_template/{id}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(t["status"], "APPROVED", "{t}");
    }
    ids
}

/// §8 Sample 1, verbatim.
fn sample_1() -> Value {
    json!({
      "name": "packagedelivered",
      "text": "Hello {{1}}, Your Package Delivered to your address, Thank you {{2}}",
      "type": "TEXT",
      "label": "Package Delivery",
      "category": "UTILITY",
      "language": "English (US)",
      "sample_text": "Hello [Brindha], Your Package Delivered to your address, Thank you [Mam]",
      "header_text": "Package Delivery",
      "footer_text": "from cetas infotech",
      "message_action_type": "All"
    })
}

/// Sample 1 as WhatsApp takes it: its body ends with `{{2}}`, which WhatsApp refuses
/// (2388299, a variable at the end), so words follow it here.
fn sample_1_amended() -> Value {
    let mut b = sample_1();
    b["text"] = json!(
        "Hello {{1}}, Your Package Delivered to your address, Thank you {{2}} for choosing us."
    );
    b["sample_text"] = json!(
        "Hello [Brindha], Your Package Delivered to your address, Thank you [Mam] for choosing us."
    );
    b
}

/// §8 Sample 2, verbatim.
fn sample_2() -> Value {
    json!({
      "name": "temp_name_1",
      "text": "test",
      "type": "FILE",
      "label": "test label",
      "category": "MARKETING",
      "language": "Afrikaans",
      "sample_text": "test",
      "quick_replies": [
        "Yes",
        "No"
      ],
      "call_to_action": null,
      "message_action_type": "QuickReplies"
    })
}

/// §8 Sample 3, its two blocks joined and its trailing comma dropped.
fn sample_3() -> Value {
    json!({
      "name": "temp_name_1",
      "text": "test",
      "type": "FILE",
      "label": "test label",
      "category": "AUTHENTICATION",
      "language": "Afrikaans",
      "sample_text": "test",
      "quick_replies": null,
      "call_to_action": [
        {
          "type": "Phone Number",
          "button_title": "Call Now",
          "button_value": "910000000000"
        },
        {
          "type": "URL",
          "button_title": "Go to",
          "button_value": "https://www.sss.com/{{1}}"
        }
      ],
      "message_action_type": "CTA"
    })
}

async fn waba(app: &TestApp) -> String {
    let list: Value = app.get("/api/v1/channels").await.json().await.unwrap();
    list["data"][0]["waba_id"].as_str().unwrap().to_owned()
}

/// The WABA's templates on the Cloud plane.
async fn cloud_templates(app: &TestApp) -> Vec<Value> {
    let waba = waba(app).await;
    let list: Value = app
        .get(&format!("/v23.0/{waba}/message_templates?limit=200"))
        .await
        .json()
        .await
        .unwrap();
    list["data"].as_array().unwrap().clone()
}

#[tokio::test]
async fn sample_1_is_submitted_pending_and_listed_approved_after_review() {
    for app in spawn_apps().await {
        let project = Project::of(&app).await;
        // Verbatim, Sample 1's body ends with a variable: WhatsApp refuses that (2388299),
        // and so does wagate, with the reason and nothing stored.
        let res = wide(&project).post("/wa_template", &sample_1()).await;
        let e = assert_error(res, 400, 601, Some("text")).await;
        assert!(
            e["message"].as_str().unwrap().contains("ends with {{2}}"),
            "{e}"
        );
        assert!(cloud_templates(&app).await.is_empty(), "nothing stored");

        let created = wide(&project).ok("/wa_template", &sample_1_amended()).await;
        insta::allow_duplicates! {
            insta::assert_json_snapshot!("redington_template_submit", shape(&created));
        }
        assert_eq!(created["status"], "PENDING");
        assert_eq!(created["label"], "Package Delivery");
        assert_eq!(created["language"], "English (US)");
        assert_eq!(created["total_parameters"], 2);
        assert_eq!(created["project_id"], project.id.as_str());
        assert_eq!(created["sample_text"], sample_1_amended()["sample_text"]);
        assert_eq!(created["text"], sample_1_amended()["text"]);
        // The template really exists, as Meta's components.
        let id = created["id"].as_str().unwrap();
        let meta: Value = app.get(&format!("/v23.0/{id}")).await.json().await.unwrap();
        assert_eq!(meta["name"], "packagedelivered");
        assert_eq!(meta["language"], "en_US");
        assert_eq!(meta["category"], "UTILITY");
        assert_eq!(
            meta["components"],
            json!([
                {"type": "HEADER", "format": "TEXT", "text": "Package Delivery"},
                {"type": "BODY", "text": "Hello {{1}}, Your Package Delivered to your address, Thank you {{2}} for choosing us.",
                 "example": {"body_text": [["Brindha", "Mam"]]}},
                {"type": "FOOTER", "text": "from cetas infotech"}
            ]),
            "{meta}"
        );

        approve_all(&app).await;
        let list = project.get("/wa_template").await;
        assert_eq!(list.status(), 200);
        let list: Value = list.json().await.unwrap();
        assert_eq!(list["size"], 1, "{list}");
        assert_eq!(list["count"], 1, "{list}");
        let listed = &list["template"][0];
        assert_eq!(listed["status"], "APPROVED", "{listed}");
        assert_eq!(listed["rejected_reason"], "NONE");
        // Lists and gets answer the name as the label (WhatsApp keeps no label).
        assert_eq!(listed["label"], "packagedelivered");
        let got: Value = project
            .get(&format!("/wa_template/{id}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(&got, listed);
        insta::allow_duplicates! {
            insta::assert_json_snapshot!("redington_template_get", shape(&got));
        }
    }
}

#[tokio::test]
async fn sample_2_needs_its_header_sample_and_sample_3_gets_metas_reason() {
    for app in spawn_apps().await {
        let project = Project::of(&app).await;
        let wide = wide(&project);
        // As documented, Sample 2 has no sample for its FILE header: refused, as Meta does.
        let res = wide.post("/wa_template", &sample_2()).await;
        let e = assert_error(res, 400, 601, Some("sample_media")).await;
        assert!(e["message"].as_str().unwrap().contains("sample"), "{e}");
        // Sample 3: an AUTHENTICATION template with phone and URL buttons, refused with
        // Meta's reason before anything else (its FILE header has no sample either).
        let res = wide.post("/wa_template", &sample_3()).await;
        let e = assert_error(res, 400, 604, Some("type")).await;
        let message = e["message"].as_str().unwrap();
        assert!(message.contains("AUTHENTICATION"), "{e}");
        insta::allow_duplicates! {
            insta::assert_json_snapshot!("redington_template_sample_3", shape(&e), {
                ".request_id" => "[request id]",
            });
        }
        assert!(cloud_templates(&app).await.is_empty(), "nothing stored");

        // Sample 2 with its sample (the document uploaded through §4).
        let media = upload(&project, pdf(), "brochure.pdf", "application/pdf").await;
        let mut body = sample_2();
        body["sample_media"] = json!(media);
        let created = wide.ok("/wa_template", &body).await;
        insta::allow_duplicates! {
            insta::assert_json_snapshot!("redington_template_sample_2", shape(&created));
        }
        assert_eq!(created["type"], "FILE");
        assert_eq!(created["language"], "Afrikaans");
        assert_eq!(created["quick_replies"], json!(["Yes", "No"]));
        assert_eq!(created["message_action_type"], "QuickReplies");
        assert_eq!(created["text"], "test | [Yes] | [No]");
        let stored = cloud_templates(&app).await;
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0]["language"], "af");
        assert_eq!(stored[0]["components"][0]["format"], "DOCUMENT");
        let handle = stored[0]["components"][0]["example"]["header_handle"][0]
            .as_str()
            .unwrap();
        assert!(handle.starts_with("4::"), "{handle}");
        assert_eq!(
            stored[0]["components"][2]["buttons"],
            json!([{"type": "QUICK_REPLY", "text": "Yes"}, {"type": "QUICK_REPLY", "text": "No"}])
        );
        // Sample 3 again, now that the name exists: still Meta's reason first.
        let res = wide.post("/wa_template", &sample_3()).await;
        assert_error(res, 400, 604, Some("type")).await;
        // The same name and language again: Meta's "already exists".
        let res = wide.post("/wa_template", &body).await;
        let e = assert_error(res, 400, 601, None).await;
        assert!(e["message"].as_str().unwrap().contains("exist"), "{e}");
        assert_eq!(cloud_templates(&app).await.len(), 1);
        // A sample by id that does not exist.
        let mut other = sample_2();
        other["name"] = json!("temp_name_2");
        other["sample_media"] = json!("1234567890");
        let res = wide.post("/wa_template", &other).await;
        assert_error(res, 404, 404, Some("sample_media")).await;
        assert_eq!(cloud_templates(&app).await.len(), 1);
    }
}

#[tokio::test]
async fn sample_3_with_a_dynamic_url_in_a_utility_template_is_taken() {
    for app in spawn_apps().await {
        let project = Project::of(&app).await;
        let mut body = sample_3();
        body["name"] = json!("temp_name_1_cta");
        body["category"] = json!("TRANSACTIONAL");
        body["type"] = json!("TEXT");
        let created = wide(&project).ok("/wa_template", &body).await;
        assert_eq!(created["category"], "UTILITY");
        assert_eq!(created["message_action_type"], "CTA");
        assert_eq!(
            created["call_to_action"],
            json!([
                {"type": "Phone Number", "button_value": "910000000000", "button_title": "Call Now"},
                {"type": "URL", "button_value": "https://www.sss.com/{{1}}", "button_title": "Go to"}
            ])
        );
        assert_eq!(
            created["text"],
            "test | [Call Now,910000000000] | [Go to,https://www.sss.com/{{1}}]"
        );
        let stored = cloud_templates(&app).await;
        assert_eq!(
            stored[0]["components"][1]["buttons"][1],
            json!({"type": "URL", "text": "Go to", "url": "https://www.sss.com/{{1}}",
                   "example": ["https://www.sss.com/1"]})
        );
    }
}

#[tokio::test]
async fn the_seed_fixtures_are_created_through_the_dialect_and_listed_as_documented() {
    for app in spawn_apps().await {
        let project = Project::of(&app).await;
        let ids = seed_fixtures(&project).await;
        let list: Value = project.get("/wa_template").await.json().await.unwrap();
        assert_eq!(list["size"], 4);
        assert_eq!(list["count"], 4);
        let testmessage = &list["template"][0];
        assert_eq!(testmessage["id"], ids[0].as_str());
        // §9's first entry, field for field (ids, owner and times are wagate's).
        insta::allow_duplicates! {
            insta::assert_json_snapshot!("redington_template_testmessage", shape(testmessage));
        }
        assert_eq!(
            testmessage["text"],
            "Hello {{1}}, Thanks for contacting us | [Click Here,https://www.cetastech.com]"
        );
        assert_eq!(
            testmessage["sample_text"],
            "Hello [Mohamed Sujaludeen], Thanks for contacting us"
        );
        let types: Vec<&str> = list["template"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["type"].as_str().unwrap())
            .collect();
        assert_eq!(types, ["TEXT", "FILE", "FILE", "IMAGE"]);
        // §6.2.2's mixed-case name sends the lower-case fixture.
        let sent = project
            .ok(
                "/messages",
                &json!({
                  "to": "910000000000", "type": "template",
                  "template": {"name": "fileTempcetas", "language": {"code": "en_US"},
                    "components": [
                      {"type": "header", "parameters": [{"type": "document", "document": {"id": upload(&project, pdf(), "x.pdf", "application/pdf").await, "filename": "x.pdf"}}]},
                      {"type": "body", "parameters": [{"type": "text", "text": "Brindha"}]}
                    ]}
                }),
            )
            .await;
        assert!(sent["messages"][0]["id"].is_string(), "{sent}");
    }
}

#[tokio::test]
async fn the_list_pages_by_template_ids_both_ways() {
    for app in spawn_apps().await {
        let project = Project::of(&app).await;
        let wide = wide(&project);
        let mut ids = Vec::new();
        for i in 0..12 {
            let created = wide
                .ok(
                    "/wa_template",
                    &json!({"name": format!("notice_{i}"), "label": "Notice", "type": "TEXT",
                        "category": "UTILITY", "language": "en_US", "sample_text": "",
                        "text": format!("Your account notice number {i} is ready to read.")}),
                )
                .await;
            ids.push(created["id"].as_str().unwrap().to_owned());
        }
        let page = |q: String| {
            let project = &project;
            async move {
                let res = project.get(&format!("/wa_template{q}")).await;
                let status = res.status();
                let body: Value = res.json().await.unwrap();
                assert_eq!(status, 200, "{q}: {body}");
                let got: Vec<String> = body["template"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| t["id"].as_str().unwrap().to_owned())
                    .collect();
                assert_eq!(body["size"], got.len(), "{body}");
                assert_eq!(body["count"], 12, "{body}");
                got
            }
        };
        // Without a filter: the first 10 (the default).
        assert_eq!(page(String::new()).await, ids[..10]);
        // §9's URL shape: limit and after.
        assert_eq!(page(format!("?limit=20&after={}", ids[2])).await, ids[3..]);
        assert_eq!(page(format!("?limit=3&after={}", ids[3])).await, ids[4..7]);
        assert!(page(format!("?after={}", ids[11])).await.is_empty());
        // Backwards: the page just before, oldest first.
        assert_eq!(page(format!("?limit=3&before={}", ids[7])).await, ids[4..7]);
        assert_eq!(page(format!("?before={}", ids[11])).await, ids[1..11]);
        assert_eq!(
            page(format!("?limit=100&before={}", ids[2])).await,
            ids[..2]
        );
        assert!(page(format!("?before={}", ids[0])).await.is_empty());

        // Bad parameters.
        for q in ["?limit=0", "?limit=101", "?limit=ten", "?limit=-1"] {
            let res = project.get(&format!("/wa_template{q}")).await;
            assert_error(res, 400, 601, Some("limit")).await;
        }
        for (q, field) in [
            ("?after=669e47462ce0715d5f508b77".to_owned(), "after"),
            ("?before=123".to_owned(), "before"),
            (format!("?after={}&before={}", ids[1], ids[5]), "before"),
        ] {
            let res = project.get(&format!("/wa_template{q}")).await;
            assert_error(res, 400, 601, Some(field)).await;
        }
    }
}

#[tokio::test]
async fn templates_are_got_and_deleted_by_id_and_foreign_ids_are_unknown() {
    for app in spawn_apps().await {
        let project = Project::of(&app).await;
        let wide = wide(&project);
        let created = wide.ok("/wa_template", &sample_1_amended()).await;
        let id = created["id"].as_str().unwrap().to_owned();

        // Another account's template, on its own channel.
        let (_, other_key) = app.other_account().await;
        let other_channel = app.create_channel(&other_key, "Other Co").await;
        let other_waba = other_channel["waba_id"].as_str().unwrap();
        let res = app
            .with_key(
                Method::POST,
                &format!("/v23.0/{other_waba}/message_templates"),
                &other_key,
            )
            .json(&json!({"name": "theirs", "language": "en_US", "category": "UTILITY",
                "components": [{"type": "BODY", "text": "Your account was updated as you asked."}]}))
            .send()
            .await
            .unwrap();
        let theirs: Value = res.json().await.unwrap();
        let theirs = theirs["id"].as_str().unwrap().to_owned();

        for unknown in [theirs.as_str(), "66b45880abe7bc4b8ec96981", "9999999999"] {
            let res = project.get(&format!("/wa_template/{unknown}")).await;
            assert_error(res, 404, 404, None).await;
            let res = wide
                .req(Method::DELETE, &format!("/wa_template/{unknown}"))
                .send()
                .await
                .unwrap();
            assert_error(res, 404, 404, None).await;
            let res = project.get(&format!("/wa_template?after={unknown}")).await;
            assert_error(res, 400, 601, Some("after")).await;
        }
        // Theirs is still there.
        let res = app
            .with_key(Method::GET, &format!("/v23.0/{theirs}"), &other_key)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);

        // A key limited to the project reads but does not delete (templates are the WABA's).
        let res = project
            .req(Method::DELETE, &format!("/wa_template/{id}"))
            .send()
            .await
            .unwrap();
        assert_error(res, 403, 403, None).await;

        let res = wide
            .req(Method::DELETE, &format!("/wa_template/{id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body, json!({"status": "success"}));
        assert!(cloud_templates(&app).await.is_empty());
        let res = project.get(&format!("/wa_template/{id}")).await;
        assert_error(res, 404, 404, None).await;
        let res = wide
            .req(Method::DELETE, &format!("/wa_template/{id}"))
            .send()
            .await
            .unwrap();
        assert_error(res, 404, 404, None).await;
    }
}

#[tokio::test]
async fn bad_submissions_get_the_seeds_codes_and_nothing_is_stored() {
    for app in spawn_apps().await {
        let project = Project::of(&app).await;
        let wide = wide(&project);
        let with = |patch: Value| {
            let mut b = sample_1_amended();
            for (k, v) in patch.as_object().unwrap() {
                if v.is_null() {
                    b.as_object_mut().unwrap().remove(k);
                } else {
                    b[k] = v.clone();
                }
            }
            b
        };
        let cases = [
            (with(json!({"name": 5})), 400, 601, Some("name")),
            (with(json!({"name": null})), 400, 601, Some("name")),
            (
                with(json!({"name": "Package Delivered"})),
                400,
                601,
                Some("name"),
            ),
            (with(json!({"text": null})), 400, 601, Some("text")),
            (with(json!({"text": ["Hello"]})), 400, 601, Some("text")),
            (with(json!({"label": null})), 400, 601, Some("label")),
            (
                with(json!({"label": "x".repeat(256)})),
                400,
                603,
                Some("label"),
            ),
            (
                with(
                    json!({"text": format!("Hello {{{{1}}}}, {}", "x".repeat(1100)),
                            "sample_text": format!("Hello [Ann], {}", "x".repeat(1100))}),
                ),
                400,
                603,
                Some("text"),
            ),
            (
                with(json!({"language": "Klingon"})),
                400,
                601,
                Some("language"),
            ),
            (with(json!({"language": 1})), 400, 601, Some("language")),
            (
                with(json!({"category": "PROMO"})),
                400,
                601,
                Some("category"),
            ),
            (with(json!({"type": "CAROUSEL"})), 400, 604, Some("type")),
            (with(json!({"type": "FAX"})), 400, 604, Some("type")),
            (
                with(json!({"type": "IMAGE", "header_text": null})),
                400,
                601,
                Some("sample_media"),
            ),
            (
                with(json!({"sample_text": null})),
                400,
                601,
                Some("sample_text"),
            ),
            (
                with(json!({"sample_text": "Hello [Brindha]"})),
                400,
                601,
                Some("sample_text"),
            ),
            (
                with(json!({"message_action_type": "CTA"})),
                400,
                601,
                Some("message_action_type"),
            ),
            (
                with(json!({"message_action_type": "Both"})),
                400,
                601,
                Some("message_action_type"),
            ),
            (
                with(json!({"quick_replies": "Yes"})),
                400,
                601,
                Some("quick_replies"),
            ),
            (
                with(
                    json!({"message_action_type": "CTA", "call_to_action": [{"type": "URL", "button_title": "Go"}]}),
                ),
                400,
                601,
                Some("call_to_action[0].button_value"),
            ),
            (
                with(
                    json!({"message_action_type": "CTA", "call_to_action": [{"type": "URL", "button_title": "Go", "button_value": "ftp://x"}]}),
                ),
                400,
                601,
                Some("call_to_action[0]"),
            ),
            (
                with(
                    json!({"quick_replies": ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"]}),
                ),
                400,
                601,
                None,
            ),
        ];
        for (body, status, code, field) in cases {
            let res = wide.post("/wa_template", &body).await;
            let e = assert_error(res, status, code, field).await;
            assert!(e["request_id"].is_string(), "{body}: {e}");
        }
        // Malformed JSON and a body that is not an object.
        let res = wide
            .req(Method::POST, "/wa_template")
            .header("content-type", "application/json")
            .body("{\"name\": \"packagedelivered\",")
            .send()
            .await
            .unwrap();
        assert_error(res, 400, 601, None).await;
        let res = wide
            .post("/wa_template", &json!(["packagedelivered"]))
            .await;
        assert_error(res, 400, 601, None).await;
        // A key limited to the project cannot submit (templates are the WABA's).
        let res = project.post("/wa_template", &sample_1_amended()).await;
        assert_error(res, 403, 403, None).await;
        assert!(cloud_templates(&app).await.is_empty(), "nothing stored");
    }
}

/// A local file server: `/brochure.pdf`, `/cat.png`, `/notes.txt`; 404 otherwise.
async fn file_server() -> String {
    use axum::http::{StatusCode, header};
    use axum::routing::get;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let file = |ct: &'static str, bytes: Vec<u8>| {
        move || async move { ([(header::CONTENT_TYPE, ct)], bytes) }
    };
    let app = axum::Router::new()
        .route("/brochure.pdf", get(file("application/pdf", pdf())))
        .route("/cat.png", get(file("image/png", png())))
        .route("/notes.txt", get(file("text/plain", b"call me".to_vec())))
        .fallback(|| async { (StatusCode::NOT_FOUND, "no such file") });
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn a_header_sample_is_fetched_from_a_public_url() {
    let files = file_server().await;
    for app in spawn_apps_with(|c| c.media.fetch.allow_private_networks = true).await {
        let project = Project::of(&app).await;
        let wide = wide(&project);
        let mut body = sample_2();
        body["type"] = json!("IMAGE");
        body["sample_media"] = json!(format!("{files}/cat.png"));
        let created = wide.ok("/wa_template", &body).await;
        assert_eq!(created["type"], "IMAGE");
        let stored = cloud_templates(&app).await;
        assert_eq!(stored[0]["components"][0]["format"], "IMAGE");
        let handle = stored[0]["components"][0]["example"]["header_handle"][0]
            .as_str()
            .unwrap();
        assert!(handle.starts_with("4::"), "{handle}");

        // A sample that cannot be fetched, or is no image, video or PDF: refused, nothing
        // stored.
        body["name"] = json!("temp_name_2");
        for (url, status, code) in [("/missing.png", 400, 601), ("/notes.txt", 415, 415)] {
            body["sample_media"] = json!(format!("{files}{url}"));
            let res = wide.post("/wa_template", &body).await;
            assert_error(res, status, code, Some("sample_media")).await;
        }
        // Not a URL nor a media id.
        body["sample_media"] = json!("cat.png");
        let res = wide.post("/wa_template", &body).await;
        assert_error(res, 400, 601, Some("sample_media")).await;
        assert_eq!(cloud_templates(&app).await.len(), 1);
    }
}
