//! Media and the simulated network: links fetched before delivery (sandbox setting
//! `fetch_media_links`, through the SSRF-guarded fetcher, so a link that cannot be fetched,
//! or fetches the wrong file, fails the message with 131053 and says why), and files users
//! send kept as inbound media ids that `GET /{media_id}` answers and whose URL downloads the
//! same bytes. Media is served by a local axum server, so the tests that fetch it allow
//! private networks (`[media.fetch] allow_private_networks`).

use axum::Router;
use axum::http::{StatusCode, header};
use axum::routing::get;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;

use crate::helpers::{TestApp, assert_manage_error, spawn_apps_with};

const USER: &str = "15550007777";

/// A PNG: the signature, an IHDR chunk, then `len` bytes of filler.
fn png(len: usize) -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0".to_vec();
    b.extend(std::iter::repeat_n(0x5a, len));
    b
}

fn pdf() -> Vec<u8> {
    b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec()
}

/// A media server on 127.0.0.1: `/cat.png`, `/report.pdf` (a PDF sent as `image/png`, so
/// only its bytes tell), `/huge.png` (one byte over 5 MB) and, for anything else, 404.
/// Answers its base URL.
async fn media_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let file =
        |bytes: Vec<u8>| move || async move { ([(header::CONTENT_TYPE, "image/png")], bytes) };
    let app = Router::new()
        .route("/cat.png", get(file(png(300))))
        .route("/report.pdf", get(file(pdf())))
        .route("/huge.png", get(file(png(5 * 1024 * 1024 + 1))))
        .fallback(|| async { (StatusCode::NOT_FOUND, "no such file") });
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    format!("http://{addr}")
}

fn allow_private(config: &mut wagate_app::config::Config) {
    config.media.fetch.allow_private_networks = true;
}

impl TestApp {
    /// Sends an image by `link` to [`USER`] and waits for the outcome.
    async fn send_image_link(&self, link: &str) -> Value {
        let wamid = self
            .send(json!({"to": USER, "type": "image", "image": {"link": link}}))
            .await;
        self.wait_status(&wamid, &["delivered", "read", "failed"])
            .await
    }

    /// Files in the media store (bytes and staged uploads).
    fn media_files(&self) -> usize {
        fn count(dir: &std::path::Path) -> usize {
            std::fs::read_dir(dir).map_or(0, |entries| {
                entries
                    .flatten()
                    .map(|e| {
                        let p = e.path();
                        if p.is_dir() { count(&p) } else { 1 }
                    })
                    .sum()
            })
        }
        count(&self.data_dir().join("media"))
    }

    /// The media object of an inbound message's content, checked against `GET /{media_id}`
    /// and its download: answers the downloaded bytes.
    async fn download_inbound(&self, media: &Value) -> Vec<u8> {
        let id = media["id"].as_str().expect("an inbound media id");
        let info: Value = self
            .get(&format!("/v23.0/{id}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(info["id"], id, "{info}");
        assert_eq!(
            info["mime_type"].as_str().unwrap(),
            media["mime_type"]
                .as_str()
                .unwrap()
                .split(';')
                .next()
                .unwrap(),
            "{info}"
        );
        let res = crate::helpers::http_client()
            .get(info["url"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let bytes = res.bytes().await.unwrap().to_vec();
        let sha = Sha256::digest(&bytes);
        assert_eq!(info["sha256"], hex::encode(sha), "GET /{{media_id}}: hex");
        assert_eq!(info["file_size"], bytes.len());
        // Webhooks write the digest in base64, as Meta's do; the data: URI reader decodes it.
        let webhook_sha = media["sha256"].as_str().unwrap();
        let decoded = wagate_core::media::data_uri::parse(
            &format!("data:image/png;base64,{webhook_sha}"),
            64,
        )
        .unwrap();
        assert_eq!(decoded.bytes, sha.to_vec(), "webhook sha256: base64");
        bytes
    }
}

#[tokio::test]
async fn links_are_fetched_before_delivery_and_failures_say_why() {
    let media = media_server().await;
    for app in spawn_apps_with(allow_private).await {
        app.configure_sandbox(json!({})).await;
        app.inject(json!({"from": USER, "text": {"body": "hi"}}))
            .await;
        // Off (the default): links are delivered unread.
        let m = app.send_image_link(&format!("{media}/missing.png")).await;
        assert_ne!(m["status"], "failed", "{m}");

        app.configure_sandbox(json!({"fetch_media_links": true}))
            .await;
        let m = app.send_image_link(&format!("{media}/cat.png")).await;
        assert_ne!(m["status"], "failed", "{m}");
        assert!(m["error"].is_null(), "{m}");

        let failed = |m: &Value| {
            assert_eq!(m["status"], "failed", "{m}");
            assert_eq!(m["error"]["code"], 131053, "{m}");
            assert_eq!(m["error"]["title"], "Media upload error", "{m}");
            m["error"]["details"].as_str().unwrap().to_owned()
        };
        let m = app.send_image_link(&format!("{media}/missing.png")).await;
        assert_eq!(failed(&m), "the media link answered 404 Not Found", "{m}");
        let m = app.send_image_link(&format!("{media}/report.pdf")).await;
        let details = failed(&m);
        assert!(
            details.contains("expected an image") && details.contains("application/pdf"),
            "{details}"
        );
        let m = app.send_image_link(&format!("{media}/huge.png")).await;
        assert_eq!(failed(&m), "the media file is over 5 MB", "{m}");
        let wamid = app
            .send(json!({"to": USER, "type": "sticker", "sticker": {"link": format!("{media}/cat.png")}}))
            .await;
        let m = app
            .wait_status(&wamid, &["delivered", "read", "failed"])
            .await;
        assert!(failed(&m).contains("expected a sticker"), "{m}");

        // A template's media header by link is fetched too.
        app.approved_template(
            json!({"name": "report", "language": "en", "category": "UTILITY",
            "components": [
                {"type": "HEADER", "format": "DOCUMENT", "example": {"header_handle": ["4::aW"]}},
                {"type": "BODY", "text": "Your monthly report is attached."}
            ]}),
        )
        .await;
        let template = |link: String| {
            json!({"to": USER, "type": "template", "template": {"name": "report",
                "language": {"code": "en"}, "components": [{"type": "header", "parameters": [
                    {"type": "document", "document": {"link": link, "filename": "report.pdf"}}]}]}})
        };
        let ok = app.send(template(format!("{media}/report.pdf"))).await;
        let m = app.wait_status(&ok, &["delivered", "read", "failed"]).await;
        assert_ne!(m["status"], "failed", "{m}");
        let lost = app.send(template(format!("{media}/gone.pdf"))).await;
        let m = app
            .wait_status(&lost, &["delivered", "read", "failed"])
            .await;
        assert_eq!(failed(&m), "the media link answered 404 Not Found");
    }
}

#[tokio::test]
async fn links_to_private_networks_are_refused_by_default() {
    let spawn_apps = || spawn_apps_with(|c| c.outbound.allow_private_networks = false);
    let media = media_server().await;
    for app in spawn_apps().await {
        app.configure_sandbox(json!({"fetch_media_links": true}))
            .await;
        app.inject(json!({"from": USER, "text": {"body": "hi"}}))
            .await;
        let m = app.send_image_link(&format!("{media}/cat.png")).await;
        assert_eq!(m["status"], "failed", "{m}");
        assert_eq!(m["error"]["code"], 131053, "{m}");
        assert_eq!(
            m["error"]["details"],
            "the media link resolves to 127.0.0.1, a loopback address; wagate does not fetch \
             from private networks"
        );
    }
}

#[tokio::test]
async fn files_users_send_are_kept_as_downloadable_media_ids() {
    let media = media_server().await;
    for app in spawn_apps_with(allow_private).await {
        // No file given: a sample of the kind, a real PNG for an image.
        let sent = app
            .inject(json!({"from": USER, "type": "image", "image": {"caption": "look"}}))
            .await;
        let content = &sent["content"];
        assert_eq!(content["mime_type"], "image/png", "{sent}");
        assert_eq!(content["caption"], "look");
        let bytes = app.download_inbound(content).await;
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));

        // A data: URI: exactly its bytes.
        let file = png(64);
        let data = format!(
            "data:image/png;base64,{}",
            // The standard alphabet, by hand: the tests have no base64 crate.
            base64(&file)
        );
        let sent = app
            .inject(json!({"from": USER, "type": "image", "image": {"data": data}}))
            .await;
        assert!(sent["content"].get("data").is_none(), "{sent}");
        assert_eq!(app.download_inbound(&sent["content"]).await, file);

        // A link, fetched like any media link.
        let sent = app
            .inject(json!({"from": USER, "type": "document",
                "document": {"link": format!("{media}/report.pdf"), "filename": "r.pdf"}}))
            .await;
        let content = &sent["content"];
        assert!(content.get("link").is_none(), "{sent}");
        assert_eq!(content["mime_type"], "application/pdf");
        assert_eq!(content["filename"], "r.pdf");
        assert_eq!(app.download_inbound(content).await, pdf());

        // A voice note: Meta's type with its codec in the message, the bare type on the id.
        let sent = app
            .inject(json!({"from": USER, "type": "audio", "audio": {"voice": true}}))
            .await;
        assert_eq!(sent["content"]["mime_type"], "audio/ogg; codecs=opus");
        assert_eq!(sent["content"]["voice"], true);
        app.download_inbound(&sent["content"]).await;

        // The inbound list shows the same media ids.
        let inbound = app.messages("direction=inbound").await;
        assert_eq!(inbound.len(), 4);
        for m in &inbound {
            assert!(
                m["content"]["id"].as_str().is_some_and(|id| !id.is_empty()),
                "{m}"
            );
        }
    }
}

#[tokio::test]
async fn refused_files_store_nothing() {
    let media = media_server().await;
    for app in spawn_apps_with(allow_private).await {
        let path = format!("/sandbox/{}/inbound", app.phone_number_id);
        let before = app.media_files();
        let inject = |media: Value| {
            let app = &app;
            let path = &path;
            async move {
                app.post_json(
                    path,
                    &json!({"from": USER, "type": "image", "image": media}),
                )
                .await
            }
        };
        let err = assert_manage_error(
            inject(json!({"data": "data:image/png;base64,not base64!"})).await,
            400,
            "invalid_parameter_value",
        )
        .await;
        assert_eq!(err["error"]["field"], "image.data", "{err}");
        let err = assert_manage_error(
            inject(json!({"data": "image/png,AAAA"})).await,
            400,
            "invalid_parameter_value",
        )
        .await;
        assert!(
            err["error"]["message"]
                .as_str()
                .unwrap()
                .contains("not a data: URI"),
            "{err}"
        );
        // A PDF is no image, whatever the URI says.
        let pdf_as_png = format!("data:image/png;base64,{}", base64(&pdf()));
        let err = assert_manage_error(
            inject(json!({"data": pdf_as_png})).await,
            400,
            "media_type_mismatch",
        )
        .await;
        assert_eq!(err["error"]["field"], "image.data", "{err}");
        let err = assert_manage_error(
            inject(json!({"link": format!("{media}/missing.png")})).await,
            400,
            "media_upload_error",
        )
        .await;
        assert_eq!(err["error"]["field"], "image.link", "{err}");
        assert_eq!(
            err["error"]["message"],
            "the media link answered 404 Not Found"
        );
        let err = assert_manage_error(
            inject(json!({"id": "1234567890"})).await,
            400,
            "invalid_request",
        )
        .await;
        assert_eq!(err["error"]["field"], "image.id", "{err}");

        assert!(app.messages("direction=inbound").await.is_empty());
        assert_eq!(app.media_files(), before, "nothing kept");
    }
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 0x3F) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}
