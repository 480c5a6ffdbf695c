//! Media from a URL or from base64 in one call (`POST /api/v1/channels/{id}/media`): the
//! file is fetched from a local axum server (so private networks are allowed, except in the
//! test of the guard) or decoded, its type read from its bytes, and it is kept as a media id
//! the Cloud plane serves, or also as a Resumable Upload handle a template header takes —
//! Meta's handle for a cloud channel, from a second wagate playing Meta. Every refusal keeps
//! nothing.

use axum::Router;
use axum::http::{StatusCode, header};
use axum::routing::get;
use base64::Engine as _;
use reqwest::Response;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;

use crate::helpers::{TestApp, assert_manage_error, spawn_app, spawn_apps_with};

fn png(len: usize) -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0".to_vec();
    b.extend(std::iter::repeat_n(0x5a, len));
    b
}

fn pdf() -> Vec<u8> {
    b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// `/cat.png`, `/docs/Price%20list.pdf` (served as `image/png`: only the bytes tell),
/// `/notes.txt` (`text/plain`, no signature), `/voice.ogg`, and 404 for anything else.
async fn file_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let file = |ct: &'static str, bytes: Vec<u8>| {
        move || async move { ([(header::CONTENT_TYPE, ct)], bytes) }
    };
    let app = Router::new()
        .route("/cat.png", get(file("image/png", png(300))))
        .route("/docs/{name}", get(file("image/png", pdf())))
        .route(
            "/notes.txt",
            get(file("text/plain; charset=utf-8", b"call me back".to_vec())),
        )
        .route(
            "/voice.ogg",
            get(file("audio/ogg", b"OggS\0\x02\0\0\0\0\0\0\0\0".to_vec())),
        )
        .fallback(|| async { (StatusCode::NOT_FOUND, "no such file") });
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    format!("http://{addr}")
}

fn allow_private(c: &mut wagate_app::config::Config) {
    c.media.fetch.allow_private_networks = true;
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

impl TestApp {
    async fn media_from(&self, channel: &str, body: Value) -> Response {
        self.post_json(&format!("/api/v1/channels/{channel}/media"), &body)
            .await
    }

    async fn kept(&self, channel: &str, body: Value) -> Value {
        let res = self.media_from(channel, body.clone()).await;
        let status = res.status();
        let answer: Value = res.json().await.unwrap();
        assert_eq!(status, 201, "{body}: {answer}");
        answer
    }

    /// The bytes behind a media id, through the Cloud plane's signed URL.
    async fn media_bytes(&self, id: &str) -> (Value, Vec<u8>) {
        let info: Value = self
            .get(&format!("/v23.0/{id}"))
            .await
            .json()
            .await
            .unwrap();
        let url = info["url"].as_str().unwrap().to_owned();
        let bytes = reqwest::get(url).await.unwrap().bytes().await.unwrap();
        (info, bytes.to_vec())
    }

    async fn waba_id(&self) -> String {
        let list: Value = self.get("/api/v1/channels").await.json().await.unwrap();
        list["data"][0]["waba_id"].as_str().unwrap().to_owned()
    }

    async fn image_template(&self, name: &str, handle: &str) -> Response {
        let waba = self.waba_id().await;
        self.post_json(
            &format!("/v23.0/{waba}/message_templates"),
            &json!({"name": name, "language": "en_US", "category": "MARKETING",
                "components": [
                    {"type": "HEADER", "format": "IMAGE", "example": {"header_handle": [handle]}},
                    {"type": "BODY", "text": "Our new spring collection is here, take a look at it today."}]}),
        )
        .await
    }
}

#[tokio::test]
async fn links_and_base64_become_media_ids_and_handles() {
    let files = file_server().await;
    for app in spawn_apps_with(allow_private).await {
        let ch = app.channel_id().await;
        // A link: type from the bytes, name from the path.
        let kept = app
            .kept(&ch, json!({"link": format!("{files}/cat.png")}))
            .await;
        assert_eq!(kept["mime_type"], "image/png", "{kept}");
        assert_eq!(kept["filename"], "cat.png");
        assert_eq!(kept["file_size"], png(300).len());
        assert!(kept.get("handle").is_none(), "{kept}");
        let (info, bytes) = app.media_bytes(kept["id"].as_str().unwrap()).await;
        assert_eq!(bytes, png(300));
        assert_eq!(info["sha256"], hex::encode(Sha256::digest(png(300))));
        assert_eq!(info["mime_type"], "image/png");

        // A PDF the server calls image/png is a PDF; the decoded name.
        let kept = app
            .kept(
                &ch,
                json!({"link": format!("{files}/docs/Price%20list.pdf")}),
            )
            .await;
        assert_eq!(kept["mime_type"], "application/pdf", "{kept}");
        assert_eq!(kept["filename"], "Price list.pdf");

        // Bytes with no signature: the server's Content-Type is all there is.
        let kept = app
            .kept(&ch, json!({"link": format!("{files}/notes.txt")}))
            .await;
        assert_eq!(kept["mime_type"], "text/plain", "{kept}");

        // A data: URI and bare base64, with a name given.
        let kept = app
            .kept(
                &ch,
                json!({"data": format!("data:image/png;base64,{}", b64(&png(40))), "filename": "dot.png"}),
            )
            .await;
        assert_eq!(kept["mime_type"], "image/png");
        assert_eq!(kept["filename"], "dot.png");
        let (_, bytes) = app.media_bytes(kept["id"].as_str().unwrap()).await;
        assert_eq!(bytes, png(40));
        let kept = app.kept(&ch, json!({"data": b64(&pdf())})).await;
        assert_eq!(kept["mime_type"], "application/pdf");

        // A handle: a template's image header takes it as its sample.
        let kept = app
            .kept(
                &ch,
                json!({"link": format!("{files}/cat.png"), "keep_as": "upload_handle"}),
            )
            .await;
        let handle = kept["handle"].as_str().unwrap();
        assert!(handle.starts_with("4::"), "{kept}");
        let res = app.image_template("spring_sample", handle).await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        // …but not a PDF's handle for an image header.
        let kept = app
            .kept(
                &ch,
                json!({"data": b64(&pdf()), "keep_as": "upload_handle"}),
            )
            .await;
        let res = app
            .image_template("wrong_sample", kept["handle"].as_str().unwrap())
            .await;
        assert_eq!(res.status(), 400);
    }
}

#[tokio::test]
async fn bad_sources_are_refused_and_nothing_is_kept() {
    let files = file_server().await;
    for app in spawn_apps_with(allow_private).await {
        let ch = app.channel_id().await;
        let before = kept_files(&app);
        let cases = [
            (json!({}), 400, "invalid_request"),
            (
                json!({"link": format!("{files}/cat.png"), "data": b64(&png(4))}),
                400,
                "invalid_request",
            ),
            (json!({"link": 7}), 400, "invalid_request"),
            (
                json!({"data": "not base64!"}),
                400,
                "invalid_parameter_value",
            ),
            (json!({"data": "   "}), 400, "media_empty"),
            (
                json!({"data": "data:,hello"}),
                400,
                "invalid_parameter_value",
            ),
            (
                json!({"data": b64(&pdf()), "type": "image/png"}),
                400,
                "media_type_mismatch",
            ),
            (
                json!({"data": b64(b"\x00\x01\x02\x03\xfe\xff\x00")}),
                415,
                "media_type_not_supported",
            ),
            (
                json!({"link": format!("{files}/docs/x.pdf"), "type": "image/jpeg"}),
                400,
                "media_type_mismatch",
            ),
            (
                json!({"link": format!("{files}/gone.png")}),
                400,
                "media_upload_error",
            ),
            (
                json!({"link": "ftp://example.com/a.png"}),
                400,
                "media_upload_error",
            ),
            (
                json!({"link": format!("{files}/{}", "a".repeat(2100))}),
                400,
                "invalid_parameter_value",
            ),
            (
                json!({"link": format!("{files}/voice.ogg"), "keep_as": "upload_handle"}),
                415,
                "media_type_not_supported",
            ),
            (
                json!({"data": b64(&pdf()), "keep_as": "handle"}),
                400,
                "invalid_request",
            ),
            (
                json!({"data": b64(&pdf()), "filename": ""}),
                400,
                "invalid_request",
            ),
            (
                json!({"data": b64(&pdf()), "extra": 1}),
                400,
                "invalid_request",
            ),
            (
                json!({"data": b64(&vec![0x41; 70 * 1024])}),
                413,
                "payload_too_large",
            ),
        ];
        for (body, status, code) in cases {
            let res = app.media_from(&ch, body.clone()).await;
            let got = res.status();
            let text = res.text().await.unwrap();
            assert_eq!(got, status, "{body}: {text}");
            let err: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(err["error"]["code"], code, "{body}: {text}");
        }
        // The fetch failure says why.
        let res = app
            .media_from(&ch, json!({"link": format!("{files}/gone.png")}))
            .await;
        let err = assert_manage_error(res, 400, "media_upload_error").await;
        assert!(
            err["error"]["message"].as_str().unwrap().contains("404"),
            "{err}"
        );
        assert_eq!(kept_files(&app), before, "nothing kept");

        // Unknown and another account's channels are the same 404.
        let res = app
            .media_from(
                "00000000-0000-0000-0000-000000000000",
                json!({"data": b64(&pdf())}),
            )
            .await;
        assert_manage_error(res, 404, "channel_not_found").await;
        let (_, other_key) = app.other_account().await;
        let res = app
            .with_key(
                reqwest::Method::POST,
                &format!("/api/v1/channels/{ch}/media"),
                &other_key,
            )
            .json(&json!({"data": b64(&pdf())}))
            .send()
            .await
            .unwrap();
        assert_manage_error(res, 404, "channel_not_found").await;
        assert_eq!(kept_files(&app), before, "nothing kept");
    }
}

#[tokio::test]
async fn private_networks_are_refused_by_default() {
    let files = file_server().await;
    for app in spawn_apps_with(|c| c.outbound.allow_private_networks = false).await {
        let ch = app.channel_id().await;
        let res = app
            .media_from(&ch, json!({"link": format!("{files}/cat.png")}))
            .await;
        let err = assert_manage_error(res, 400, "media_upload_error").await;
        assert!(
            err["error"]["message"]
                .as_str()
                .unwrap()
                .contains("does not fetch from private networks"),
            "{err}"
        );
    }
}

#[tokio::test]
async fn a_cloud_channels_handle_is_metas() {
    // A plays Meta; B's channel is A's number through the cloud upstream.
    let a = spawn_app().await;
    let b = spawn_app().await;
    let a_channel: Value = a
        .get("/api/v1/channels")
        .await
        .json::<Value>()
        .await
        .unwrap()["data"][0]
        .clone();
    let cloud = |app_id: Option<&str>| {
        let mut upstream =
            json!({"kind": "cloud", "base_url": a.base_url, "access_token": a.api_key});
        if let Some(id) = app_id {
            upstream["app_id"] = json!(id);
        }
        upstream
    };
    let res = b
        .post_json(
            "/api/v1/channels",
            &json!({"verified_name": "Acme via Meta", "phone_number_id": a.phone_number_id,
                    "waba_id": a_channel["waba_id"], "display_phone_number": a_channel["display_phone_number"],
                    "upstream": cloud(None)}),
        )
        .await;
    let created: Value = res.json().await.unwrap();
    let ch = created["id"].as_str().unwrap().to_owned();
    let body = json!({"data": b64(&png(64)), "keep_as": "upload_handle"});
    // Without the app's id there is no way to Meta's Resumable Upload API.
    let res = b.media_from(&ch, body.clone()).await;
    let err = assert_manage_error(res, 400, "invalid_request").await;
    assert_eq!(err["error"]["field"], "upstream.app_id", "{err}");

    let res = b
        .patch_json(
            &format!("/api/v1/channels/{ch}"),
            &json!({"upstream": cloud(Some("1234567890"))}),
        )
        .await;
    let patched: Value = res.json().await.unwrap();
    assert_eq!(patched["upstream"]["app_id"], "1234567890", "{patched}");
    let kept = b.kept(&ch, body).await;
    let handle = kept["handle"].as_str().unwrap();
    // The handle is Meta's (A's): a template created at Meta takes it.
    let res = a.image_template("via_b_sample", handle).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    // B kept the file too, under its own media id.
    let (_, bytes) = b.media_bytes(kept["id"].as_str().unwrap()).await;
    assert_eq!(bytes, png(64));
}
