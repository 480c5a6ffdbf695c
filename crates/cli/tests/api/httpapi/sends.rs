//! §1 sends: each endpoint by GET and by POST, the message really sent and delivered, the
//! degradations and refusals of dialects.md §2, and bad input with nothing sent.

use axum::Router;
use axum::http::{StatusCode, header};
use axum::routing::get;
use serde_json::{Value, json};
use tokio::net::TcpListener;

use super::{Instance, assert_error, sent_ids, shape};
use crate::helpers::{TestApp, spawn_apps};

const PHONE: &str = "919300000001";

fn png() -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0".to_vec();
    b.extend(std::iter::repeat_n(0x5a, 300));
    b
}

fn pdf() -> Vec<u8> {
    b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec()
}

/// `/cat.png`, `/files/invoice.pdf` (served as `application/octet-stream`: the bytes tell)
/// and 404 for anything else.
async fn file_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new()
        .route(
            "/cat.png",
            get(|| async { ([(header::CONTENT_TYPE, "image/png")], png()) }),
        )
        .route(
            "/files/invoice.pdf",
            get(|| async { ([(header::CONTENT_TYPE, "application/octet-stream")], pdf()) }),
        )
        .fallback(|| async { (StatusCode::NOT_FOUND, "no such file") });
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    format!("http://{addr}")
}

/// The user writes first, so session messages are delivered.
async fn open_window(app: &TestApp) {
    app.configure_sandbox(json!({})).await;
    app.inject(json!({"from": PHONE, "type": "text", "text": {"body": "hi"}}))
        .await;
}

/// The stored message of each id, once delivered or read: its content.
async fn delivered(app: &TestApp, ids: &[String]) -> Vec<Value> {
    let mut out = Vec::new();
    for id in ids {
        let m = app.wait_status(id, &["delivered", "read"]).await;
        assert_eq!(m["wa_id"], PHONE, "{m}");
        out.push(m["content"].clone());
    }
    out
}

#[tokio::test]
async fn texts_are_sent_by_get_and_by_post_and_long_ones_in_parts() {
    for app in spawn_apps().await {
        open_window(&app).await;
        let instance = Instance::of(&app).await;
        // §1.1's URL template, with the seed's formatting and a %0a line break.
        let body = instance
            .ok(
                "sendText",
                &[("phone", PHONE), ("message", "*Hello* _there_\nline two")],
            )
            .await;
        insta::allow_duplicates! {
            insta::assert_json_snapshot!("httpapi_send", shape(&body));
        }
        let ids = sent_ids(&body);
        assert_eq!(ids.len(), 1);
        let content = delivered(&app, &ids).await;
        assert_eq!(
            content[0]["body"], "*Hello* _there_\nline two",
            "{content:?}"
        );

        // POST: token in the query, the rest as a form; `\n` written out is a line break.
        let (status, body) = instance
            .post("sendText", &[("phone", PHONE), ("message", "a\\nb")])
            .await;
        assert_eq!(status, 200, "{body}");
        let content = delivered(&app, &sent_ids(&body)).await;
        assert_eq!(content[0]["body"], "a\nb");

        // Over 2,000 bytes: parts of at most 2,000, every id answered.
        let long = "word ".repeat(900);
        let body = instance
            .ok("sendText", &[("phone", PHONE), ("message", &long)])
            .await;
        let ids = sent_ids(&body);
        assert_eq!(ids.len(), 3);
        let parts = delivered(&app, &ids).await;
        let joined: String = parts.iter().map(|c| c["body"].as_str().unwrap()).collect();
        assert_eq!(joined.trim_end(), long.trim_end());
    }
}

#[tokio::test]
async fn files_by_link_and_uploaded_with_and_without_caption() {
    let files = file_server().await;
    for app in spawn_apps().await {
        open_window(&app).await;
        let instance = Instance::of(&app).await;
        // §1.2: the kind comes from the bytes (a PDF served as octet-stream is a document).
        let pdf_link = format!("{files}/files/invoice.pdf");
        let body = instance
            .ok("sendFiles", &[("phone", PHONE), ("link", &pdf_link)])
            .await;
        let c = delivered(&app, &sent_ids(&body)).await;
        let stored = app.message(&sent_ids(&body)[0]).await;
        assert_eq!(stored["type"], "document", "{stored}");
        assert_eq!(c[0]["filename"], "invoice.pdf", "{c:?}");

        // §1.3: an image with its caption.
        let png_link = format!("{files}/cat.png");
        let (status, body) = instance
            .post(
                "sendFileWithCaption",
                &[
                    ("phone", PHONE),
                    ("link", &png_link),
                    ("message", "Our *cat*"),
                ],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let ids = sent_ids(&body);
        let c = delivered(&app, &ids).await;
        assert_eq!(app.message(&ids[0]).await["type"], "image");
        assert_eq!(c[0]["caption"], "Our *cat*");

        // §1.2(a) and §1.3(a): the local file as multipart form data.
        let (status, body) = instance
            .upload(
                "sendFiles",
                &[("phone", PHONE)],
                ("photo.png", "image/png", png()),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let ids = sent_ids(&body);
        delivered(&app, &ids).await;
        assert_eq!(app.message(&ids[0]).await["type"], "image");
        let (status, body) = instance
            .upload(
                "sendFileWithCaption",
                &[("phone", PHONE), ("message", "The invoice")],
                ("invoice.pdf", "application/pdf", pdf()),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let ids = sent_ids(&body);
        let c = delivered(&app, &ids).await;
        assert_eq!(app.message(&ids[0]).await["type"], "document");
        assert_eq!(c[0]["caption"], "The invoice", "{c:?}");

        // A link that is no URL (09), one that cannot be fetched (10); a missing file (13).
        let got = instance
            .get("sendFiles", &[("phone", PHONE), ("link", "not a url")])
            .await;
        assert_error(&got, 400, "09-Link not valid");
        assert_eq!(got.1["field"], "link");
        assert_eq!(got.1["request"]["phone"], json!([PHONE]), "{}", got.1);
        let missing = format!("{files}/gone.png");
        let got = instance
            .get("sendFiles", &[("phone", PHONE), ("link", &missing)])
            .await;
        assert_error(&got, 400, "10-Download file failed");
        let got = instance.get("sendFiles", &[("phone", PHONE)]).await;
        assert_error(&got, 400, "13-Parameter required");
        assert_eq!(app.messages("direction=outbound").await.len(), 4);
    }
}

#[tokio::test]
async fn locations_and_contacts() {
    for app in spawn_apps().await {
        open_window(&app).await;
        let instance = Instance::of(&app).await;
        let location = [
            ("phone", PHONE),
            ("degreesLatitude", "19.0760"),
            ("degreesLongitude", "72.8777"),
            ("name", "Head office"),
            ("address", "Mumbai"),
        ];
        let body = instance.ok("sendLocation", &location).await;
        let ids = sent_ids(&body);
        assert_eq!(ids.len(), 1);
        let c = delivered(&app, &ids).await;
        assert_eq!(
            (c[0]["latitude"].as_f64(), c[0]["name"].as_str()),
            (Some(19.076), Some("Head office")),
            "{c:?}"
        );
        // A `url`: Cloud locations have none, so it follows as a text.
        let mut with_url = location.to_vec();
        with_url.push(("url", "https://example.com/map"));
        let ids = sent_ids(&instance.ok("sendLocation", &with_url).await);
        assert_eq!(ids.len(), 2);
        let c = delivered(&app, &ids).await;
        assert_eq!(c[1]["body"], "https://example.com/map");

        let body = instance
            .ok(
                "sendContact",
                &[
                    ("phone", PHONE),
                    ("contactName", "Asha Rao"),
                    ("contactPhone", "919800000002"),
                    ("contactOrganization", "Acme"),
                ],
            )
            .await;
        let c = delivered(&app, &sent_ids(&body)).await;
        assert_eq!(c[0][0]["name"]["formatted_name"], "Asha Rao", "{c:?}");
        assert_eq!(c[0][0]["org"]["company"], "Acme");

        // Bad coordinates (12), a missing name (13): nothing more sent.
        let got = instance
            .get(
                "sendLocation",
                &[
                    ("phone", PHONE),
                    ("degreesLatitude", "north"),
                    ("degreesLongitude", "1"),
                    ("name", "x"),
                ],
            )
            .await;
        assert_error(&got, 400, "12-Parsing parameter failed");
        assert_eq!(got.1["field"], "degreesLatitude");
        let got = instance
            .get(
                "sendLocation",
                &[
                    ("phone", PHONE),
                    ("degreesLatitude", "1"),
                    ("degreesLongitude", "1"),
                ],
            )
            .await;
        assert_error(&got, 400, "13-Parameter required");
        assert_eq!(app.messages("direction=outbound").await.len(), 4);
    }
}

#[tokio::test]
async fn buttons_and_lists_as_cloud_allows_them() {
    let files = file_server().await;
    for app in spawn_apps().await {
        open_window(&app).await;
        let instance = Instance::of(&app).await;
        // §1.6 quick replies, with a footer.
        let body = instance
            .ok(
                "sendTextButton",
                &[
                    ("phone", PHONE),
                    ("message", "Confirm your order?"),
                    ("footer", "Reply below"),
                    ("button1", "Yes"),
                    ("button2", "No"),
                ],
            )
            .await;
        let c = delivered(&app, &sent_ids(&body)).await;
        assert_eq!(c[0]["type"], "button", "{c:?}");
        assert_eq!(c[0]["action"]["buttons"][1]["reply"]["title"], "No");
        assert_eq!(c[0]["footer"]["text"], "Reply below");
        // One URL button (the table's lower-case names work too).
        let body = instance
            .ok(
                "sendTextButton",
                &[
                    ("phone", PHONE),
                    ("message", "Our catalogue"),
                    ("urlbuttontext", "Open"),
                    ("urlbuttonvalue", "https://example.com/catalogue"),
                ],
            )
            .await;
        let c = delivered(&app, &sent_ids(&body)).await;
        assert_eq!(c[0]["type"], "cta_url", "{c:?}");
        // A call button, and a URL button with reply buttons: refused naming the limit.
        for extra in [
            vec![
                ("callButtonText", "Call us"),
                ("callButtonValue", "919800000002"),
            ],
            vec![
                ("button1", "Yes"),
                ("urlButtonText", "Open"),
                ("urlButtonValue", "https://example.com"),
            ],
        ] {
            let mut params = vec![("phone", PHONE), ("message", "x")];
            params.extend(extra);
            let got = instance.get("sendTextButton", &params).await;
            assert_error(&got, 400, "12-Parsing parameter failed");
            assert!(
                got.1["detail"]
                    .as_str()
                    .unwrap()
                    .contains("up to 3 reply buttons"),
                "{}",
                got.1
            );
        }

        // §1.7 a file as the header.
        let png_link = format!("{files}/cat.png");
        let body = instance
            .ok(
                "sendFilesButton",
                &[
                    ("phone", PHONE),
                    ("link", &png_link),
                    ("message", "New arrivals"),
                    ("button1", "Show me"),
                ],
            )
            .await;
        let c = delivered(&app, &sent_ids(&body)).await;
        assert_eq!(c[0]["header"]["type"], "image", "{c:?}");
        // §1.7(a) the header file uploaded, with a URL button.
        let (status, body) = instance
            .upload(
                "sendFilesButton",
                &[
                    ("phone", PHONE),
                    ("message", "Your invoice"),
                    ("urlButtonText", "Pay"),
                    ("urlButtonValue", "https://example.com/pay"),
                ],
                ("invoice.pdf", "application/pdf", pdf()),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let c = delivered(&app, &sent_ids(&body)).await;
        assert_eq!(c[0]["type"], "cta_url", "{c:?}");
        assert_eq!(c[0]["header"]["type"], "document", "{c:?}");
        // §1.8 the location, then the buttons.
        let body = instance
            .ok(
                "sendLocationButton",
                &[
                    ("phone", PHONE),
                    ("degreesLatitude", "19.07"),
                    ("degreesLongitude", "72.87"),
                    ("name", "Store"),
                    ("message", "Visit us"),
                    ("button1", "On my way"),
                ],
            )
            .await;
        let ids = sent_ids(&body);
        assert_eq!(ids.len(), 2);
        let c = delivered(&app, &ids).await;
        assert_eq!(c[0]["name"], "Store");
        assert_eq!(c[1]["body"]["text"], "Visit us", "{c:?}");

        // §1.9 rows=section:title:description, repeated.
        let (status, body) = instance
            .post(
                "sendList",
                &[
                    ("phone", PHONE),
                    ("header", "Menu"),
                    ("message", "Pick a dish"),
                    ("footer", "Fresh daily"),
                    ("buttonText", "Dishes"),
                    ("rows", "Starters:Soup:Tomato"),
                    ("rows", "Mains:Curry:"),
                    ("rows", "Starters:Salad:Green"),
                ],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let c = delivered(&app, &sent_ids(&body)).await;
        let sections = &c[0]["action"]["sections"];
        assert_eq!(sections[0]["title"], "Starters", "{c:?}");
        assert_eq!(sections[0]["rows"][1]["title"], "Salad");
        assert_eq!(sections[0]["rows"][1]["description"], "Green");
        assert_eq!(sections[1]["rows"][0]["title"], "Curry");
        let got = instance
            .get(
                "sendList",
                &[("phone", PHONE), ("message", "x"), ("buttonText", "b")],
            )
            .await;
        assert_error(&got, 400, "13-Parameter required");
        assert_eq!(got.1["field"], "rows");
        assert_eq!(app.messages("direction=outbound").await.len(), 7);
    }
}

#[tokio::test]
async fn the_token_and_the_instance_are_checked() {
    for app in spawn_apps().await {
        let instance = Instance::of(&app).await;
        let url = instance.url("sendText");
        let params = [("phone", PHONE), ("message", "hello")];
        // No token, a wrong one: the seed's 401.
        for token in [None, Some("wg_live_wrong")] {
            let mut req = app.client.get(&url).query(&params);
            if let Some(t) = token {
                req = req.query(&[("token", t)]);
            }
            let res = req.send().await.unwrap();
            let got = (res.status().as_u16(), res.json::<Value>().await.unwrap());
            assert_error(&got, 401, "invalid object id");
            assert!(got.1.get("request").is_none(), "{}", got.1);
        }
        // The token in the form works as in the query.
        let mut form = params.to_vec();
        form.push(("token", instance.key.as_str()));
        let res = app
            .client
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(super::encode(&form))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        // Another account's key naming this instance: 404, the instance is not confirmed.
        let (_, other) = app.other_account().await;
        let channel = app.channel_id().await;
        let res = app
            .client
            .get(&url)
            .query(&params)
            .query(&[("token", other.as_str()), ("instance", channel.as_str())])
            .send()
            .await
            .unwrap();
        let got = (res.status().as_u16(), res.json::<Value>().await.unwrap());
        assert_error(&got, 404, "03-Instance id not found");
        // The instance as a path segment, with an account-wide key.
        let path = format!("/compat/httpapi/{channel}/api/sendText");
        let res = app
            .client
            .get(app.url(&path))
            .query(&params)
            .query(&[("token", app.api_key.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        // A bad phone (12), a missing message (13) with the request echoed, token masked.
        let got = instance
            .get("sendText", &[("phone", "call me"), ("message", "x")])
            .await;
        assert_error(&got, 400, "12-Parsing parameter failed");
        let got = instance.get("sendText", &[("phone", PHONE)]).await;
        assert_error(&got, 400, "13-Parameter required");
        let token = got.1["request"]["token"][0].as_str().unwrap();
        assert!(
            token.ends_with("***") && !token.contains(&instance.key),
            "{}",
            got.1
        );
        insta::allow_duplicates! {
            insta::assert_json_snapshot!("httpapi_error", shape(&got.1), {
                ".request.token" => "[masked token]",
            });
        }
        assert_eq!(app.messages("direction=outbound").await.len(), 2);
    }
}
