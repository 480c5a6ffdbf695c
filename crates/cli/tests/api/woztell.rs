//! The WOZTELL Public API dialect (seed 003) at `/compat/woztell`, over real HTTP on SQLite and
//! PostgreSQL: the seed's documented requests sent as written (its JSON typos repaired, as
//! `shared/reference/seeds.md` lists, and each verbatim typo answered as malformed), answers
//! snapshotted (ids redacted by [`shape`]) and their effect checked in wagate.

use axum::Router;
use axum::http::{StatusCode, header};
use axum::routing::get;
use reqwest::{Method, Response};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use wagate_app::templates::TemplatesConfig;
use wagate_app::templates::review::TemplateReviewer;

use crate::helpers::{TestApp, spawn_apps_with};

const BASE: &str = "/compat/woztell/v1.2/api";

fn png() -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0".to_vec();
    b.extend(std::iter::repeat_n(0x5a, 300));
    b
}

/// `/image.png` and `/doc.pdf`; 404 for anything else.
pub(crate) async fn file_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new()
        .route(
            "/image.png",
            get(|| async { ([(header::CONTENT_TYPE, "image/png")], png()) }),
        )
        .route(
            "/doc.pdf",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "application/pdf")],
                    b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
                        .to_vec(),
                )
            }),
        )
        .fallback(|| async { (StatusCode::NOT_FOUND, "no such file") });
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    format!("http://{addr}")
}

/// Files kept in the server's local media directory.
fn kept_files(app: &TestApp) -> usize {
    fn count(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir).map_or(0, |rd| {
            rd.flatten()
                .map(|e| {
                    let p = e.path();
                    if p.is_dir() { count(&p) } else { 1 }
                })
                .sum()
        })
    }
    count(&app.data_dir().join("media"))
}

pub(crate) async fn apps() -> Vec<TestApp> {
    spawn_apps_with(|c| c.media.fetch.allow_private_networks = true).await
}

/// The first channel's ids and a key limited to it (the channel's access token).
struct Woz<'a> {
    app: &'a TestApp,
    channel_id: String,
    pnid: String,
    waba: String,
    /// A key limited to the channel.
    token: String,
}

impl<'a> Woz<'a> {
    async fn of(app: &'a TestApp) -> Woz<'a> {
        let list: Value = app.get("/api/v1/channels").await.json().await.unwrap();
        let c = &list["data"][0];
        let channel_id = c["id"].as_str().unwrap().to_owned();
        let res = app
            .post_json(
                "/api/v1/api-keys",
                &json!({"name": "woztell channel token", "channel_ids": [channel_id]}),
            )
            .await;
        assert_eq!(res.status(), 201);
        let key: Value = res.json().await.unwrap();
        Woz {
            app,
            channel_id,
            pnid: c["phone_number_id"].as_str().unwrap().to_owned(),
            waba: c["waba_id"].as_str().unwrap().to_owned(),
            token: key["key"].as_str().unwrap().to_owned(),
        }
    }

    /// `GET path_and_query` (the token added by the caller).
    async fn get(&self, path_and_query: &str) -> Response {
        self.app
            .client
            .get(self.app.url(&format!("{BASE}{path_and_query}")))
            .send()
            .await
            .unwrap()
    }

    async fn send(&self, method: Method, path: &str, body: &Value) -> Response {
        self.app
            .client
            .request(method, self.app.url(&format!("{BASE}{path}")))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    async fn raw(&self, method: Method, path: &str, body: &str) -> Response {
        self.app
            .client
            .request(method, self.app.url(&format!("{BASE}{path}")))
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .unwrap()
    }
}

pub(crate) async fn ok(res: Response) -> Value {
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!((status.as_u16(), &body["ok"]), (200, &json!(1)), "{body}");
    body
}

/// Asserts the dialect's error: HTTP status and `error.code`.
pub(crate) async fn assert_error(res: Response, status: u16, code: &str) -> Value {
    let got = res.status().as_u16();
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        (got, body["ok"].clone(), body["error"]["code"].as_str()),
        (status, json!(0), Some(code)),
        "{body}"
    );
    assert!(body["error"]["message"].is_string(), "{body}");
    body
}

/// Ids, numbers and keys redacted.
fn shape(v: &Value) -> Value {
    fn walk(v: &mut Value) {
        match v {
            Value::Object(m) => {
                for (k, x) in m.iter_mut() {
                    let redact = matches!(
                        k.as_str(),
                        "id" | "waId"
                            | "phoneNumberId"
                            | "wabaId"
                            | "phoneNumber"
                            | "formattedPhoneNumber"
                            | "namespace"
                            | "channelId"
                            | "mediaId"
                            | "display_phone_number"
                            | "before"
                            | "after"
                            | "header_handle"
                            | "profile_picture_url"
                            | "requestId"
                            | "preview_url"
                            | "expires_at"
                            | "link"
                            | "value"
                            | "message_template_namespace"
                    );
                    // A screen's id is its name, kept.
                    let screen_id = k == "id"
                        && x.as_str()
                            .is_some_and(|s| !s.chars().all(|c| c.is_ascii_digit()));
                    if redact && !x.is_null() && !screen_id {
                        *x = json!(format!("[{k}]"));
                    } else {
                        walk(x);
                    }
                }
            }
            Value::Array(a) => a.iter_mut().for_each(walk),
            _ => {}
        }
    }
    let mut v = v.clone();
    walk(&mut v);
    v
}

#[tokio::test]
async fn access_tokens_and_the_error_shape() {
    for app in apps().await {
        let w = Woz::of(&app).await;
        // No token, a wrong one, a revoked one: 401 UNAUTHORIZED.
        let res = w
            .get(&format!("/waba-info?channelId={}", w.channel_id))
            .await;
        assert_error(res, 401, "UNAUTHORIZED").await;
        let res = w
            .get(&format!(
                "/waba-info?accessToken=wag_nope&channelId={}",
                w.channel_id
            ))
            .await;
        let body = assert_error(res, 401, "UNAUTHORIZED").await;
        assert_eq!(body["error"]["type"], "invalid_api_key");
        let res = w
            .send(
                Method::PATCH,
                "/whatsapp-business-profile",
                &json!({"accessToken": "wag_nope", "phoneNumberId": w.pnid,
                    "profile": {"messaging_product": "whatsapp", "about": "x"}}),
            )
            .await;
        assert_error(res, 401, "UNAUTHORIZED").await;
        // Another account's key does not see this channel: 404, as an unknown one.
        let (_, other) = app.other_account().await;
        let res = w
            .get(&format!(
                "/waba-info?accessToken={other}&channelId={}",
                w.channel_id
            ))
            .await;
        assert_error(res, 404, "NOT_FOUND").await;
        let res = w
            .get(&format!(
                "/whatsapp-business-profile?accessToken={other}&phoneNumberId={}",
                w.pnid
            ))
            .await;
        assert_error(res, 404, "NOT_FOUND").await;
        let res = w
            .get(&format!(
                "/waba-info?accessToken={}&wabaId=999999999999999",
                w.token
            ))
            .await;
        let body = assert_error(res, 404, "NOT_FOUND").await;
        assert_eq!(body["error"]["field"], "wabaId");
        // A body token that reaches nothing changes nothing.
        let before: Value = app
            .get(&format!("/v23.0/{}/whatsapp_business_profile", w.pnid))
            .await
            .json()
            .await
            .unwrap();
        let res = w
            .send(
                Method::PATCH,
                "/whatsapp-business-profile",
                &json!({"accessToken": other, "phoneNumberId": w.pnid,
                    "profile": {"messaging_product": "whatsapp", "about": "Hijacked"}}),
            )
            .await;
        assert_error(res, 404, "NOT_FOUND").await;
        let after: Value = app
            .get(&format!("/v23.0/{}/whatsapp_business_profile", w.pnid))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(before, after);
        // Missing parameters, malformed bodies, unknown endpoints.
        let res = w.get(&format!("/waba-info?accessToken={}", w.token)).await;
        assert_error(res, 400, "INVALID_PARAMETER").await;
        let res = w
            .raw(Method::PUT, "/media-id", "{\"accessToken\": \"x\",")
            .await;
        let body = assert_error(res, 400, "INVALID_PARAMETER").await;
        assert_eq!(body["error"]["type"], "malformed_json");
        let res = w
            .get(&format!("/flows-of-mars?accessToken={}", w.token))
            .await;
        assert_error(res, 404, "NOT_FOUND").await;
        app.stop().await;
    }
}

#[tokio::test]
async fn the_general_apis() {
    let files = file_server().await;
    for app in apps().await {
        let w = Woz::of(&app).await;
        let t = &w.token;
        // GET /waba-info, by channel and by WABA: the same channel.
        let by_channel = ok(w
            .get(&format!(
                "/waba-info?accessToken={t}&channelId={}",
                w.channel_id
            ))
            .await)
        .await;
        let by_waba = ok(w
            .get(&format!("/waba-info?accessToken={t}&wabaId={}", w.waba))
            .await)
        .await;
        assert_eq!(by_channel, by_waba);
        assert_eq!(by_channel["result"]["phoneNumberId"], w.pnid.as_str());
        assert_eq!(by_channel["result"]["wabaId"], w.waba.as_str());
        // The phone number id works as channelId too.
        let by_pnid = ok(w
            .get(&format!("/waba-info?accessToken={t}&channelId={}", w.pnid))
            .await)
        .await;
        assert_eq!(by_pnid, by_channel);
        insta::allow_duplicates! {
            insta::assert_json_snapshot!("woztell_waba_info", shape(&by_channel));
        }

        // PATCH /whatsapp-business-profile: the seed's body, its picture a URL.
        let res = w
            .send(
                Method::PATCH,
                "/whatsapp-business-profile",
                &json!({
                    "accessToken": t,
                    "phoneNumberId": w.pnid,
                    "profile": {
                        "about": "This is the about text.",
                        "address": "Office",
                        "description": "Testing Text",
                        "email": "test999@woztell.com",
                        "profile_picture_url": format!("{files}/image.png"),
                        "websites": ["https://woztell.com/blog/", "https://woztell.com/pricing/"],
                        "vertical": "PROF_SERVICES",
                        "messaging_product": "whatsapp"
                    }
                }),
            )
            .await;
        assert_eq!(ok(res).await, json!({"ok": 1}));
        let got = ok(w
            .get(&format!(
                "/whatsapp-business-profile?accessToken={t}&phoneNumberId={}",
                w.pnid
            ))
            .await)
        .await;
        insta::allow_duplicates! {
            insta::assert_json_snapshot!("woztell_business_profile", shape(&got));
        }
        // The picture is served at its URL: the fetched bytes.
        let url = got["data"]["profile_picture_url"].as_str().unwrap();
        let bytes = app
            .client
            .get(url)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert_eq!(bytes.to_vec(), png());
        // The Cloud plane sees the same profile.
        let cloud: Value = app
            .get(&format!("/v23.0/{}/whatsapp_business_profile", w.pnid))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(cloud["data"][0]["about"], "This is the about text.");
        // The table's `website` is read too; a bad vertical changes nothing.
        let res = w
            .send(
                Method::PATCH,
                "/whatsapp-business-profile",
                &json!({"accessToken": t, "phoneNumberId": w.pnid,
                    "profile": {"messaging_product": "whatsapp", "website": ["https://example.com/"]}}),
            )
            .await;
        ok(res).await;
        let res = w
            .send(
                Method::PATCH,
                "/whatsapp-business-profile",
                &json!({"accessToken": t, "phoneNumberId": w.pnid,
                    "profile": {"messaging_product": "whatsapp", "about": "changed", "vertical": "SPACESHIPS"}}),
            )
            .await;
        let body = assert_error(res, 400, "INVALID_PARAMETER").await;
        assert_eq!(body["error"]["field"], "profile.vertical");
        let got = ok(w
            .get(&format!(
                "/whatsapp-business-profile?accessToken={t}&phoneNumberId={}",
                w.pnid
            ))
            .await)
        .await;
        assert_eq!(got["data"]["websites"], json!(["https://example.com/"]));
        assert_eq!(got["data"]["about"], "This is the about text.");

        // GET /whatsapp-displayname-status.
        let status = ok(w
            .get(&format!(
                "/whatsapp-displayname-status?accessToken={t}&phoneNumberId={}",
                w.pnid
            ))
            .await)
        .await;
        assert_eq!(status["data"]["id"], w.pnid.as_str());
        insta::allow_duplicates! {
            insta::assert_json_snapshot!("woztell_displayname_status", shape(&status));
        }

        // PUT /media-id: the seed's body (its trailing comma removed).
        let res = w
            .raw(
                Method::PUT,
                "/media-id",
                &format!(
                    "{{\"phoneNumberId\": \"{}\", \"accessToken\": \"{t}\", \"type\": \"image\", \"url\": \"{files}/image.png\",}}",
                    w.pnid
                ),
            )
            .await;
        assert_error(res, 400, "INVALID_PARAMETER").await;
        let res = w
            .send(
                Method::PUT,
                "/media-id",
                &json!({"phoneNumberId": w.pnid, "accessToken": t, "type": "image",
                    "url": format!("{files}/image.png")}),
            )
            .await;
        let media = ok(res).await;
        insta::allow_duplicates! {
            insta::assert_json_snapshot!("woztell_media_id", shape(&media));
        }
        let id = media["mediaId"].as_str().unwrap();
        let info: Value = app.get(&format!("/v23.0/{id}")).await.json().await.unwrap();
        assert_eq!(info["mime_type"], "image/png", "{info}");
        // A PDF is a `file`, not an `image`; an unknown type; a URL that is not there.
        let pdf = json!({"phoneNumberId": w.pnid, "accessToken": t, "type": "file",
            "url": format!("{files}/doc.pdf")});
        let got = ok(w.send(Method::PUT, "/media-id", &pdf).await).await;
        assert_eq!(got["fileType"], "file");
        let kept = kept_files(&app);
        let mut wrong = pdf.clone();
        wrong["type"] = json!("image");
        let body = assert_error(
            w.send(Method::PUT, "/media-id", &wrong).await,
            400,
            "INVALID_PARAMETER",
        )
        .await;
        assert_eq!(body["error"]["field"], "type");
        wrong["type"] = json!("sticker");
        assert_error(
            w.send(Method::PUT, "/media-id", &wrong).await,
            400,
            "INVALID_PARAMETER",
        )
        .await;
        let mut gone = pdf.clone();
        gone["url"] = json!(format!("{files}/nothing.png"));
        assert_error(
            w.send(Method::PUT, "/media-id", &gone).await,
            400,
            "INVALID_PARAMETER",
        )
        .await;
        // Nothing was kept for the refused ones.
        assert_eq!(kept_files(&app), kept);

        // Business encryption: the seed's masked key is refused; restored, it is set.
        let masked = "-----BEGIN PUBLIC KEY-----\nABCDIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAls1409DedWXmHnt0Pb6s\nIdGkL6pFXxd5vPxrk/CChQssCGLK7jEPQwzhAZ/La7Cg/IvxjxvgC8DD3v8ZniU7\nHu5xPftKm3rEvNRwstRHaoPF+CNxHzHMy2DkgdVxvnBI6qtEjn+yZXdEOHhGHejH\nEf0EfFSMoyCaXea4E3LqvOE8iJ42uNtC7D4TmyeE+dTKudclswNA3QDA0zLH1M+Y\n9Oxv06FgD9S8gmvSwJgn3hfwLc/j5Dj5Qr6NAd9dRMQGLGeFEbg/JJXAVaAAxFlb\nvITHRG1ynRZDcrAri377Z+HS8G43o3TmrPyD0zRXQFbHCu+kOH5DBs3yFRcFjA7L\nwQIDAQAB\n-----END PUBLIC KEY-----";
        let res = w
            .send(
                Method::POST,
                "/whatsapp-business-encryption",
                &json!({"accessToken": t, "publicKey": masked}),
            )
            .await;
        let body = assert_error(res, 400, "INVALID_PARAMETER").await;
        assert_eq!(body["error"]["field"], "publicKey");
        let empty = ok(w
            .get(&format!("/whatsapp-business-encryption?accessToken={t}"))
            .await)
        .await;
        assert_eq!(empty["data"], json!([]));
        let key = masked.replacen("ABCD", "MIIB", 1);
        let res = w
            .send(
                Method::POST,
                "/whatsapp-business-encryption",
                &json!({"accessToken": t, "publicKey": key}),
            )
            .await;
        assert_eq!(ok(res).await, json!({"ok": 1}));
        let got = ok(w
            .get(&format!("/whatsapp-business-encryption?accessToken={t}"))
            .await)
        .await;
        assert_eq!(
            got,
            json!({"ok": 1, "data": [{"business_public_key": key,
                "business_public_key_signature_status": "VALID"}]})
        );
        // The Cloud plane has the same key.
        let cloud: Value = app
            .get(&format!("/v23.0/{}/whatsapp_business_encryption", w.pnid))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(cloud["data"][0]["business_public_key"], key.as_str());
        app.stop().await;
    }
}

/// The seed's sample with its missing comma after `"category": "MARKETING"` repaired
/// (`repair`), or as written.
fn sample(waba: &str, token: &str, name: &str, rest: &str, repair: bool) -> String {
    format!(
        "{{\n\"wabaId\": \"{waba}\",\n\"accessToken\": \"{token}\",\n\"name\": \"{name}\",\n\"language\": \"en_US\",\n\"category\": \"MARKETING\"{}\n\"components\": {rest}\n}}",
        if repair { "," } else { "" }
    )
}

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

#[tokio::test]
async fn the_template_apis() {
    let files = file_server().await;
    for app in apps().await {
        let w = Woz::of(&app).await;
        // Templates belong to the WABA: writing them takes the account's key.
        let admin = app.api_key.clone();
        let image = format!(
            "[{{\"type\": \"BODY\", \"text\": \"Hi there! Are you interested in our latest promotional sale?\"}},
              {{\"type\": \"HEADER\", \"format\": \"IMAGE\", \"example\":{{\"header_handle\":[\"{files}/image.png\"]}}}}]"
        );
        let cta = r#"[{"type": "BODY", "text": "hello {{1}} this is body template", "example":{"body_text":[["Test"]]}},
            {"type": "FOOTER", "text": "this is footer template"},
            {"type": "BUTTONS", "buttons": [{"type": "PHONE_NUMBER", "text": "Call", "phone_number":"+85212769072"},
                {"type": "URL", "text": "URL", "url":"https://www.woztell.com/"}]}]"#;
        let quick = r#"[{"type": "BODY", "text": "hello {{1}} this is body template", "example":{"body_text":[["Test"]]}},
            {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "yes"}, {"type": "QUICK_REPLY", "text": "no"}]}]"#;
        // As written (no comma after the category): malformed, nothing created.
        let res = w
            .raw(
                Method::PUT,
                "/whatsapp-message-template",
                &sample(&w.waba, &admin, "test_template", &image, false),
            )
            .await;
        assert_error(res, 400, "INVALID_PARAMETER").await;
        // A channel's key may not write the WABA's templates.
        let res = w
            .raw(
                Method::PUT,
                "/whatsapp-message-template",
                &sample(&w.waba, &w.token, "test_template", &image, true),
            )
            .await;
        assert_error(res, 403, "FORBIDDEN").await;
        let none: Value = app
            .get(&format!("/v23.0/{}/message_templates", w.waba))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(none["data"], json!([]), "{none}");
        // Repaired: created, the image header's URL fetched and uploaded.
        let created = ok(w
            .raw(
                Method::PUT,
                "/whatsapp-message-template",
                &sample(&w.waba, &admin, "test_template", &image, true),
            )
            .await)
        .await;
        insta::allow_duplicates! {
            insta::assert_json_snapshot!("woztell_template_create", shape(&created));
        }
        let id = created["id"].as_str().unwrap().to_owned();
        let t: Value = app.get(&format!("/v23.0/{id}")).await.json().await.unwrap();
        assert_eq!(t["status"], "PENDING", "{t}");
        assert_eq!(t["components"][0]["type"], "HEADER", "{t}");
        let handle = t["components"][0]["example"]["header_handle"][0]
            .as_str()
            .unwrap();
        assert!(handle.starts_with("4::"), "{t}");
        ok(w.raw(
            Method::PUT,
            "/whatsapp-message-template",
            &sample(&w.waba, &admin, "test_template_cta", cta, true),
        )
        .await)
        .await;
        ok(w.raw(
            Method::PUT,
            "/whatsapp-message-template",
            &sample(&w.waba, &admin, "test_template_quick_reply", quick, true),
        )
        .await)
        .await;
        // The same name and language again: refused by Meta's rule.
        let res = w
            .raw(
                Method::PUT,
                "/whatsapp-message-template",
                &sample(&w.waba, &admin, "test_template_cta", cta, true),
            )
            .await;
        assert_error(res, 400, "INVALID_PARAMETER").await;
        // A header sample that cannot be fetched: refused, nothing created.
        let missing = image.replace("image.png", "gone.png");
        let res = w
            .raw(
                Method::PUT,
                "/whatsapp-message-template",
                &sample(&w.waba, &admin, "test_template_gone", &missing, true),
            )
            .await;
        let body = assert_error(res, 400, "INVALID_PARAMETER").await;
        assert_eq!(
            body["error"]["field"],
            "components[0].example.header_handle[0]"
        );
        // A template Meta's rules refuse fetches nothing: no file is kept for its sample.
        let kept = kept_files(&app);
        let bad_body = image.replace("Hi there!", "{{1}} Hi there!");
        let res = w
            .raw(
                Method::PUT,
                "/whatsapp-message-template",
                &sample(&w.waba, &admin, "test_template_bad", &bad_body, true),
            )
            .await;
        assert_error(res, 400, "INVALID_PARAMETER").await;
        assert_eq!(kept_files(&app), kept);

        // The list, as the seed's example asks it: nothing APPROVED yet.
        let list = |q: String| {
            let w = &w;
            async move {
                ok(w.get(&format!(
                    "/whatsapp-message-templates?accessToken={}&wabaId={}&{q}",
                    w.token, w.waba
                ))
                .await)
                .await
            }
        };
        let got = list("first=10&after=MAZDZD&status=[\"APPROVED\"]".into()).await;
        assert_eq!(got["data"], json!([]), "{got}");
        approve_all(&app).await;
        // A second language of test_template, still pending.
        let es = sample(
            &w.waba,
            &admin,
            "test_template",
            r#"[{"type": "BODY", "text": "Hola, ¿te interesa nuestra oferta?"}]"#,
            true,
        )
        .replace("en_US", "es");
        ok(w.raw(Method::PUT, "/whatsapp-message-template", &es).await).await;
        let got = list("first=10&after=MAZDZD&status=[\"APPROVED\"]".into()).await;
        insta::allow_duplicates! {
            insta::assert_json_snapshot!("woztell_template_list", shape(&got));
        }
        let names: Vec<&str> = got["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "test_template",
                "test_template_cta",
                "test_template_quick_reply"
            ]
        );
        // Every status: test_template has both languages.
        let all = list("first=1".into()).await;
        assert_eq!(all["data"][0]["languages"], json!(["en_US", "es"]), "{all}");
        assert_eq!(all["paging"]["hasNext"], true);
        let after = all["paging"]["cursors"]["after"]
            .as_str()
            .unwrap()
            .to_owned();
        let next = list(format!("first=2&after={after}")).await;
        assert_eq!(next["data"][0]["name"], "test_template_cta");
        assert_eq!(next["paging"]["hasNext"], false);
        assert_eq!(next["paging"]["hasPrevious"], true);
        let before = next["paging"]["cursors"]["before"]
            .as_str()
            .unwrap()
            .to_owned();
        let back = list(format!("first=5&before={before}")).await;
        assert_eq!(back["data"], all["data"]);
        // Filters: language, category (OTP is AUTHENTICATION: none), name search.
        let es_only = list("first=10&language=[\"es\"]".into()).await;
        assert_eq!(es_only["data"].as_array().unwrap().len(), 1, "{es_only}");
        let otp = list("first=10&category=[\"OTP\"]".into()).await;
        assert_eq!(otp["data"], json!([]));
        let quick_only = list("first=10&name=quick".into()).await;
        assert_eq!(quick_only["data"][0]["name"], "test_template_quick_reply");
        // Bad list parameters.
        for q in [
            "first=0",
            "first=101",
            "status=[\"NOPE\"]&first=1",
            "first=1&after=%25%25",
        ] {
            let res = w
                .get(&format!(
                    "/whatsapp-message-templates?accessToken={}&wabaId={}&{q}",
                    w.token, w.waba
                ))
                .await;
            assert_error(res, 400, "INVALID_PARAMETER").await;
        }

        // PATCH: the seed's edit of test_template's en_US version.
        let edit = json!({
            "wabaId": w.waba,
            "accessToken": admin,
            "messageTemplateLanguage": "en_US",
            "messageTemplateName": "test_template",
            "messageTemplateId": id,
            "components": [{"type": "BODY",
                "text": "Winter's coming, it's time to check out our latest winter collection!"}]
        });
        let done = ok(w
            .send(Method::PATCH, "/whatsapp-message-template", &edit)
            .await)
        .await;
        assert_eq!(done, json!({"ok": 1, "success": true}));
        let t: Value = app.get(&format!("/v23.0/{id}")).await.json().await.unwrap();
        assert_eq!(t["status"], "PENDING", "{t}");
        assert_eq!(
            t["components"],
            json!([{"type": "BODY", "text": "Winter's coming, it's time to check out our latest winter collection!"}])
        );
        // Pending again: Meta edits only approved, rejected or paused templates.
        let res = w
            .send(Method::PATCH, "/whatsapp-message-template", &edit)
            .await;
        assert_error(res, 400, "INVALID_PARAMETER").await;
        // A name or language that is not the id's; an unknown id.
        let mut wrong = edit.clone();
        wrong["messageTemplateLanguage"] = json!("es");
        assert_error(
            w.send(Method::PATCH, "/whatsapp-message-template", &wrong)
                .await,
            400,
            "INVALID_PARAMETER",
        )
        .await;
        wrong["messageTemplateId"] = json!("1748340935544945");
        assert_error(
            w.send(Method::PATCH, "/whatsapp-message-template", &wrong)
                .await,
            404,
            "NOT_FOUND",
        )
        .await;

        // DELETE by name: every language goes.
        let del = json!({"wabaId": w.waba, "accessToken": admin, "name": "test_template"});
        let done = ok(w
            .send(Method::DELETE, "/whatsapp-message-template", &del)
            .await)
        .await;
        assert_eq!(done, json!({"ok": 1, "success": true}));
        let left = list("first=10".into()).await;
        let names: Vec<&str> = left["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["test_template_cta", "test_template_quick_reply"]);
        assert_error(
            w.send(Method::DELETE, "/whatsapp-message-template", &del)
                .await,
            404,
            "NOT_FOUND",
        )
        .await;
        app.stop().await;
    }
}

/// The seed's `PATCH /flow-json` body's `data`.
pub(crate) fn preferences_flow_json() -> Value {
    json!({
        "version": "3.1",
        "screens": [{
            "id": "PREFERENCES",
            "title": "Update Preferences",
            "data": {},
            "terminal": true,
            "layout": {
                "type": "SingleColumnLayout",
                "children": [{
                    "type": "Form",
                    "name": "form",
                    "children": [
                        {"type": "CheckboxGroup", "label": "Communication types", "required": true,
                         "name": "communicationTypes", "data-source": [
                            {"id": "0", "title": "Special offers and promotions"},
                            {"id": "1", "title": "Changes to my subscription"},
                            {"id": "2", "title": "News and events"},
                            {"id": "3", "title": "New products"}]},
                        {"type": "CheckboxGroup", "label": "Contact Preferences", "required": false,
                         "name": "contactPrefs", "data-source": [
                            {"id": "0", "title": "Whatsapp"},
                            {"id": "1", "title": "Email"},
                            {"id": "2", "title": "SMS"}]},
                        {"type": "Footer", "label": "Done", "on-click-action": {
                            "name": "complete",
                            "payload": {"communicationTypes": "${form.communicationTypes}",
                                        "contactPrefs": "${form.contactPrefs}"}}}
                    ]
                }]
            }
        }]
    })
}

#[tokio::test]
async fn the_flow_apis() {
    for app in apps().await {
        let w = Woz::of(&app).await;
        let admin = app.api_key.clone();
        let get = |path: String| {
            let w = &w;
            let admin = admin.clone();
            async move {
                w.get(&format!(
                    "{path}{}accessToken={admin}",
                    if path.contains('?') { "&" } else { "?" }
                ))
                .await
            }
        };
        // The flow the seed's example clones, as a migrating user has it.
        let source = ok(w
            .send(
                Method::PUT,
                "/create-flow",
                &json!({"accessToken": admin, "name": "Customer Success", "categories": ["SIGN_UP"]}),
            )
            .await)
        .await;
        let source_id = source["id"].as_str().unwrap().to_owned();
        // PUT /create-flow: the seed's body, cloning it.
        let created = ok(w
            .send(
                Method::PUT,
                "/create-flow",
                &json!({"accessToken": admin, "data": {
                    "name": "Test Flow 2",
                    "categories": ["SURVEY"],
                    "clone_flow_id": source_id,
                    "endpoint_url": "https://webhook.site/ff434d70-465c-4c79-90cc-333adfa858b5"
                }}),
            )
            .await)
        .await;
        insta::allow_duplicates! {
            insta::assert_json_snapshot!("woztell_flow_create", shape(&created));
        }
        let id = created["id"].as_str().unwrap().to_owned();
        let cloud: Value = app
            .get(&format!(
                "/v23.0/{id}?fields=name,categories,status,endpoint_uri"
            ))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(cloud["name"], "Test Flow 2", "{cloud}");
        assert_eq!(cloud["categories"], json!(["SURVEY"]), "{cloud}");
        // A clone of a flow that is not there; a bad category: nothing created.
        let res = w
            .send(
                Method::PUT,
                "/create-flow",
                &json!({"accessToken": admin, "data": {"name": "X", "categories": ["SURVEY"],
                    "clone_flow_id": "368669698913502"}}),
            )
            .await;
        let body = assert_error(res, 400, "INVALID_PARAMETER").await;
        assert_eq!(
            body["error"]["message"],
            "clone_flow_id: Flow with id 368669698913502 does not exist"
        );
        let res = w
            .send(
                Method::PUT,
                "/create-flow",
                &json!({"accessToken": admin, "data": {"name": "X", "categories": ["PARTY"]}}),
            )
            .await;
        assert_error(res, 400, "INVALID_PARAMETER").await;

        // PATCH /flow-json: the seed's Flow JSON, valid.
        let done = ok(w
            .send(
                Method::PATCH,
                "/flow-json",
                &json!({"accessToken": admin, "flowId": id, "data": preferences_flow_json()}),
            )
            .await)
        .await;
        assert_eq!(
            done,
            json!({"ok": 1, "success": true, "validation_errors": []})
        );
        // A broken one is stored with its errors.
        let broken = ok(w
            .send(
                Method::PATCH,
                "/flow-json",
                &json!({"accessToken": admin, "flowId": source_id, "data": {"version": "3.1", "screens": []}}),
            )
            .await)
        .await;
        assert!(
            !broken["validation_errors"].as_array().unwrap().is_empty(),
            "{broken}"
        );

        // PATCH /flow-metadata: the seed's body (endpoint_url outside data).
        let done = ok(w
            .send(
                Method::PATCH,
                "/flow-metadata",
                &json!({"accessToken": admin, "flowId": id, "data": {"name": "Test Flow ABC"},
                    "endpoint_url": "https://webhook.site/ff434d70-465c-4c79-90cc-333adfa858b5"}),
            )
            .await)
        .await;
        assert_eq!(done, json!({"ok": 1, "success": true}));

        // The reads.
        let mut list = ok(get("/flow?limit=10".into()).await).await;
        list["data"]
            .as_array_mut()
            .unwrap()
            .sort_by_key(|f| f["label"].as_str().unwrap().to_owned());
        insta::allow_duplicates! {
            insta::assert_json_snapshot!("woztell_flow_list", shape(&list));
        }
        let labels: Vec<&str> = list["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["label"].as_str().unwrap())
            .collect();
        assert_eq!(
            labels,
            ["Customer Success (DRAFT)", "Test Flow ABC (DRAFT)"]
        );
        let first = ok(get("/flow?limit=1".into()).await).await;
        assert_eq!(first["paging"]["hasNext"], true);
        let after = first["paging"]["cursors"]["after"]
            .as_str()
            .unwrap()
            .to_owned();
        let second = ok(get(format!("/flow?limit=1&after={after}")).await).await;
        assert_eq!(second["paging"]["hasNext"], false);
        assert_eq!(second["paging"]["hasPrevious"], true);
        let mut both = [
            first["data"][0]["value"].clone(),
            second["data"][0]["value"].clone(),
        ];
        both.sort_by_key(|v| v.as_str().unwrap().to_owned());
        let mut want = [json!(id), json!(source_id)];
        want.sort_by_key(|v| v.as_str().unwrap().to_owned());
        assert_eq!(both, want);
        assert_error(get("/flow".into()).await, 400, "INVALID_PARAMETER").await;
        let payload = ok(get(format!("/flow-screen-payload?flowId={id}")).await).await;
        insta::allow_duplicates! {
            insta::assert_json_snapshot!("woztell_flow_screen_payload", shape(&payload));
        }
        let preview = ok(get(format!("/flow-preview?flowId={id}")).await).await;
        let url = preview["data"]["preview_url"].as_str().unwrap();
        let page = app.client.get(url).send().await.unwrap();
        assert_eq!(page.status(), 200);
        let detail = ok(get(format!("/flow-detail?flowId={id}")).await).await;
        insta::allow_duplicates! {
            insta::assert_json_snapshot!("woztell_flow_detail", shape(&detail));
        }
        assert_error(
            get("/flow-detail?flowId=913687770028833".into()).await,
            404,
            "NOT_FOUND",
        )
        .await;
        // Another account's token does not see the flow.
        let (_, other) = app.other_account().await;
        let res = w
            .get(&format!("/flow-detail?flowId={id}&accessToken={other}"))
            .await;
        assert_error(res, 404, "NOT_FOUND").await;

        // The lifecycle, with the seed's bodies: publish, deprecate; delete only a draft.
        let body = json!({"accessToken": admin, "flowId": id});
        let done = ok(w.send(Method::POST, "/publish-flow", &body).await).await;
        assert_eq!(done, json!({"ok": 1, "success": true}));
        let cloud: Value = app
            .get(&format!("/v23.0/{id}?fields=status"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(cloud["status"], "PUBLISHED", "{cloud}");
        let res = w.send(Method::DELETE, "/flow", &body).await;
        assert_error(res, 409, "REFUSED").await;
        ok(w.send(Method::POST, "/deprecate-flow", &body).await).await;
        let res = w.send(Method::POST, "/deprecate-flow", &body).await;
        assert_error(res, 409, "REFUSED").await;
        // A draft with errors is not published; deleted, it is gone.
        let draft = json!({"accessToken": admin, "flowId": source_id});
        assert_error(
            w.send(Method::POST, "/publish-flow", &draft).await,
            409,
            "REFUSED",
        )
        .await;
        ok(w.send(Method::DELETE, "/flow", &draft).await).await;
        assert_error(
            w.send(Method::DELETE, "/flow", &draft).await,
            404,
            "NOT_FOUND",
        )
        .await;
        app.stop().await;
    }
}

#[tokio::test]
async fn conversation_analytics_catalogs_and_products() {
    for app in apps().await {
        let w = Woz::of(&app).await;
        let t = &w.token;
        // A delivered template: one business-initiated conversation.
        app.simple_template("account_update", "en_US").await;
        let wamid = app
            .send(json!({"to": "447700900123", "type": "template",
                "template": {"name": "account_update", "language": {"code": "en_US"}}}))
            .await;
        app.wait_status(&wamid, &["delivered", "read"]).await;
        let now = wagate_core::Timestamp::now().as_second();
        let (from, to) = (now - 86_400, now + 86_400);
        let q = format!(
            "/conversation-analytics?accessToken={t}&from={from}&to={to}&granularity=DAILY\
             &metric_types=[\"COST\",\"CONVERSATION\"]&conversation_directions=[\"business_initiated\",\"uesr_initiated\"]\
             &dimensions=[\"phone\",\"conversation_type\",\"conversation_reaction\"]"
        );
        let got = ok(w.get(&q).await).await;
        let points = got["conversationAnalytics"]["data_points"]
            .as_array()
            .unwrap();
        let total: i64 = points
            .iter()
            .map(|p| p["conversation"].as_i64().unwrap())
            .sum();
        assert_eq!(total, 1, "{got}");
        assert_eq!(
            points[0]["conversation_direction"], "BUSINESS_INITIATED",
            "{got}"
        );
        assert!(points[0]["phone_number"].is_string(), "{got}");
        // Only user-initiated ones: none.
        let q2 = format!(
            "/conversation-analytics?accessToken={t}&from={from}&to={to}&granularity=DAILY&conversation_directions=uesr_initiated"
        );
        let none = ok(w.get(&q2).await).await;
        assert_eq!(
            none["conversationAnalytics"]["data_points"],
            json!([]),
            "{none}"
        );
        // Missing and bad parameters.
        for bad in [
            format!("from={from}&granularity=DAILY"),
            format!("from=yesterday&to={to}&granularity=DAILY"),
            format!("from={from}&to={to}&granularity=WEEKLY"),
        ] {
            let res = w
                .get(&format!("/conversation-analytics?accessToken={t}&{bad}"))
                .await;
            assert_error(res, 400, "INVALID_PARAMETER").await;
        }

        // Catalogs: none, then one linked to the WABA with two products.
        let empty = ok(w.get(&format!("/catalogs?accessToken={t}")).await).await;
        assert_eq!(empty["data"], json!([]));
        let res = app
            .post_json(
                "/api/v1/catalogs",
                &json!({"name": "test_products", "waba_id": w.waba}),
            )
            .await;
        assert_eq!(res.status(), 201);
        let catalog = res.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        for (sku, name, price) in [
            ("a6y7a9y6f0", "Test Product 1", 90000),
            ("yu7q27pbg1", "Test Product 2", 200000),
        ] {
            let res = app
                .post_json(
                    &format!("/v23.0/{catalog}/products"),
                    &json!({"retailer_id": sku, "name": name, "price": price, "currency": "HKD",
                        "image_url": "https://img.example/p.png"}),
                )
                .await;
            assert_eq!(res.status(), 200);
        }
        let catalogs = ok(w.get(&format!("/catalogs?accessToken={t}")).await).await;
        insta::allow_duplicates! {
            insta::assert_json_snapshot!("woztell_catalogs", shape(&catalogs));
        }
        assert_eq!(catalogs["data"][0]["id"], catalog.as_str());
        let mut products = ok(w
            .get(&format!("/products?accessToken={t}&catalogId={catalog}"))
            .await)
        .await;
        products["data"]
            .as_array_mut()
            .unwrap()
            .sort_by_key(|p| p["name"].as_str().unwrap().to_owned());
        insta::allow_duplicates! {
            insta::assert_json_snapshot!("woztell_products", shape(&products));
        }
        let one = ok(w
            .get(&format!(
                "/products?accessToken={t}&catalogId={catalog}&limit=1"
            ))
            .await)
        .await;
        assert_eq!(one["paging"]["hasNext"], true);
        let after = one["paging"]["cursors"]["after"].as_str().unwrap();
        let two = ok(w
            .get(&format!(
                "/products?accessToken={t}&catalogId={catalog}&limit=1&after={after}"
            ))
            .await)
        .await;
        assert_eq!(two["paging"]["hasNext"], false);
        assert_ne!(one["data"][0]["id"], two["data"][0]["id"]);
        // An unknown catalog, another account's token.
        let res = w
            .get(&format!(
                "/products?accessToken={t}&catalogId=1234577510532066"
            ))
            .await;
        assert_error(res, 404, "NOT_FOUND").await;
        let (_, other) = app.other_account().await;
        // (Another account with no channel: its token reaches none.)
        let res = w.get(&format!("/catalogs?accessToken={other}")).await;
        assert_error(res, 404, "NOT_FOUND").await;
        let res = w
            .get(&format!(
                "/products?accessToken={other}&catalogId={catalog}&channelId={}",
                w.channel_id
            ))
            .await;
        assert_error(res, 404, "NOT_FOUND").await;
        app.stop().await;
    }
}

#[tokio::test]
async fn the_channel_a_call_is_about() {
    for app in apps().await {
        let w = Woz::of(&app).await;
        let second = app.create_channel(&app.api_key, "Second Shop").await;
        let second_id = second["id"].as_str().unwrap().to_owned();
        let admin = &app.api_key;
        // An account-wide key reaching two channels: a call naming none needs channelId.
        let res = w
            .get(&format!(
                "/whatsapp-business-encryption?accessToken={admin}"
            ))
            .await;
        let body = assert_error(res, 400, "INVALID_PARAMETER").await;
        assert_eq!(body["error"]["field"], "channelId");
        ok(w.get(&format!(
            "/whatsapp-business-encryption?accessToken={admin}&channelId={second_id}"
        ))
        .await)
        .await;
        let info = ok(w
            .get(&format!(
                "/waba-info?accessToken={admin}&channelId={second_id}"
            ))
            .await)
        .await;
        assert_eq!(info["result"]["name"], "Second Shop");
        // The first channel's token reaches only it: the second is not found, and calls that
        // name no channel are about the first.
        let res = w
            .get(&format!(
                "/waba-info?accessToken={}&channelId={second_id}",
                w.token
            ))
            .await;
        assert_error(res, 404, "NOT_FOUND").await;
        let res = w
            .get(&format!(
                "/whatsapp-business-profile?accessToken={}&phoneNumberId={}",
                w.token,
                second["phone_number_id"].as_str().unwrap()
            ))
            .await;
        assert_error(res, 404, "NOT_FOUND").await;
        ok(w.get(&format!(
            "/whatsapp-business-encryption?accessToken={}",
            w.token
        ))
        .await)
        .await;
        // A revoked token stops at once.
        let keys: Value = app.get("/api/v1/api-keys").await.json().await.unwrap();
        let id = keys["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["name"] == "woztell channel token")
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let res = app
            .req(Method::DELETE, &format!("/api/v1/api-keys/{id}"))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "{}", res.status());
        let res = w
            .get(&format!(
                "/whatsapp-business-encryption?accessToken={}",
                w.token
            ))
            .await;
        assert_error(res, 401, "UNAUTHORIZED").await;
        app.stop().await;
    }
}
