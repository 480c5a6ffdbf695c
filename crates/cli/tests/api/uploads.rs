//! Meta's Resumable Upload API on the Cloud plane: a session, the bytes in one chunk or in
//! several with a resume in between (also across a restart), wrong offsets, bytes past the
//! announced length, a file of another type than announced, interrupted chunks, another
//! account's session; the handle as a template media header's example (accepted for the
//! right kind, refused for another kind or when unknown; foreign handles pass as before);
//! and pywa's own calls (`conformance/media/pywa_resumable.py`).

use std::time::Duration;

use reqwest::{Method, Response};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::process::Command;
use wagate_app::Principal;
use wagate_app::config::Config;
use wagate_core::ids::AccountId;
use wagate_http::Server;

use crate::helpers::{TestApp, assert_graph_error, http_client, spawn_apps, spawn_apps_with};
use crate::sdk::{conformance_dir, pywa_python};

const APP_ID: &str = "1234567890";

/// A PNG: the signature, an IHDR chunk, then `len` bytes of filler.
fn png(len: usize) -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0".to_vec();
    b.extend(std::iter::repeat_n(0x5a, len));
    b
}

fn pdf() -> Vec<u8> {
    b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec()
}

impl TestApp {
    /// `POST /v23.0/{app_id}/uploads` with the admin key.
    async fn start_upload(&self, file_name: &str, length: usize, file_type: &str) -> Response {
        self.req(
            Method::POST,
            &format!(
                "/v23.0/{APP_ID}/uploads?file_name={file_name}&file_length={length}&file_type={file_type}"
            ),
        )
        .send()
        .await
        .unwrap()
    }

    async fn session(&self, file_name: &str, length: usize, file_type: &str) -> String {
        let res = self.start_upload(file_name, length, file_type).await;
        let status = res.status();
        let body: Value = res.json().await.unwrap();
        assert_eq!(status, 200, "{body}");
        let id = body["id"].as_str().unwrap().to_owned();
        assert!(id.starts_with("upload:"), "{id}");
        id
    }

    /// `POST /v23.0/upload:…` with `file_offset` and raw bytes, as pywa sends it, with Meta's
    /// documented `OAuth` scheme.
    async fn chunk(&self, session: &str, offset: usize, bytes: Vec<u8>) -> Response {
        self.client
            .post(self.url(&format!("/v23.0/{session}")))
            .header("authorization", format!("OAuth {}", self.api_key))
            .header("file_offset", offset.to_string())
            .header("content-type", "application/octet-stream")
            .body(bytes)
            .send()
            .await
            .unwrap()
    }

    async fn chunk_ok(&self, session: &str, offset: usize, bytes: Vec<u8>) -> Value {
        let res = self.chunk(session, offset, bytes).await;
        let status = res.status();
        let body: Value = res.json().await.unwrap();
        assert_eq!(status, 200, "{body}");
        body
    }

    /// A whole file uploaded in one chunk: its handle.
    async fn handle_for(&self, name: &str, file_type: &str, bytes: Vec<u8>) -> String {
        let session = self.session(name, bytes.len(), file_type).await;
        let done = self.chunk_ok(&session, 0, bytes).await;
        done["h"].as_str().unwrap().to_owned()
    }

    fn principal(&self) -> Principal {
        Principal::operator(self.account_id.parse::<AccountId>().unwrap())
    }

    /// The bytes a handle stands for, downloaded through its media id.
    async fn bytes_of(&self, handle: &str) -> Vec<u8> {
        let media = self
            .app
            .resolve_upload_handle(
                &self.principal(),
                &wagate_store::UploadHandle::parse(handle).unwrap(),
            )
            .await
            .unwrap();
        let info: Value = self
            .get(&format!("/v23.0/{}", media.id))
            .await
            .json()
            .await
            .unwrap();
        let url = info["url"].as_str().unwrap();
        let res = http_client().get(url).send().await.unwrap();
        assert_eq!(res.status(), 200);
        res.bytes().await.unwrap().to_vec()
    }

    /// Files and directories left under the sessions' directory.
    fn upload_leftovers(&self) -> usize {
        std::fs::read_dir(self.data_dir().join("media/tmp/uploads"))
            .map_or(0, |entries| entries.count())
    }

    async fn waba(&self) -> String {
        let list: Value = self.get("/api/v1/channels").await.json().await.unwrap();
        list["data"][0]["waba_id"].as_str().unwrap().to_owned()
    }

    async fn create_template(
        &self,
        waba: &str,
        name: &str,
        format: &str,
        handle: &str,
    ) -> Response {
        let body = json!({
            "name": name, "language": "en_US", "category": "MARKETING",
            "components": [
                {"type": "HEADER", "format": format, "example": {"header_handle": [handle]}},
                {"type": "BODY", "text": "Our new spring collection is here, take a look at it today."}
            ]
        });
        self.post_json(&format!("/v23.0/{waba}/message_templates"), &body)
            .await
    }
}

#[tokio::test]
async fn a_file_in_one_chunk_or_two_with_a_resume_gives_a_handle_to_its_bytes() {
    for app in spawn_apps().await {
        // One chunk.
        let bytes = png(3_000);
        let session = app
            .session("/home/me/cat.png", bytes.len(), "image/png")
            .await;
        let done = app.chunk_ok(&session, 0, bytes.clone()).await;
        let handle = done["h"].as_str().unwrap().to_owned();
        assert!(handle.starts_with("4::d2FnYXRl:aW1hZ2UvcG5n:"), "{handle}");
        assert_eq!(
            done.as_object().unwrap().len(),
            1,
            "only the handle: {done}"
        );
        assert_eq!(app.bytes_of(&handle).await, bytes, "{}", app.backend);
        let media = app
            .app
            .resolve_upload_handle(
                &app.principal(),
                &wagate_store::UploadHandle::parse(&handle).unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(media.mime_type, "image/png");
        assert_eq!(media.filename.as_deref(), Some("cat.png"));
        assert_eq!(media.sha256, hex::encode(Sha256::digest(&bytes)));

        // Two chunks, with the offset read back in between (unversioned paths too).
        let bytes = pdf();
        let half = bytes.len() / 2;
        let session = app
            .session("menu.pdf", bytes.len(), "application/pdf")
            .await;
        let fresh: Value = app.get(&format!("/{session}")).await.json().await.unwrap();
        assert_eq!(fresh, json!({"id": session, "file_offset": 0}));
        let partial = app.chunk_ok(&session, 0, bytes[..half].to_vec()).await;
        assert_eq!(partial, json!({"id": session, "file_offset": half}));
        let resumed: Value = app
            .get(&format!("/v23.0/{session}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(resumed, json!({"id": session, "file_offset": half}));
        let offset = resumed["file_offset"].as_u64().unwrap() as usize;
        let done = app
            .chunk_ok(&session, offset, bytes[offset..].to_vec())
            .await;
        let handle = done["h"].as_str().unwrap().to_owned();
        assert!(
            handle.starts_with("4::d2FnYXRl:YXBwbGljYXRpb24vcGRm:"),
            "{handle}"
        );
        assert_eq!(app.bytes_of(&handle).await, bytes);

        // The complete session tells its handle; sending the last chunk again answers it.
        let read: Value = app
            .get(&format!("/v23.0/{session}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            read,
            json!({"id": session, "file_offset": bytes.len(), "h": handle})
        );
        let again = app.chunk_ok(&session, bytes.len(), Vec::new()).await;
        assert_eq!(again["h"], handle.as_str());
        assert_eq!(app.upload_leftovers(), 0, "parts removed once kept");
    }
}

#[tokio::test]
async fn wrong_offsets_lengths_and_types_are_refused_and_nothing_is_kept() {
    for app in spawn_apps().await {
        let bytes = png(100);
        let session = app.session("cat.png", bytes.len(), "image/png").await;

        // An offset the session has not reached.
        let res = app.chunk(&session, 10, bytes[10..].to_vec()).await;
        let body = assert_graph_error(res, 400, 100).await;
        let details = body["error"]["error_data"]["details"].as_str().unwrap();
        assert!(
            details.contains("starts at file_offset 0, not 10"),
            "{details}"
        );
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("file_offset"),
            "{body}"
        );

        // More bytes than announced: refused, the offset stays.
        let mut long = bytes.clone();
        long.push(0);
        let res = app.chunk(&session, 0, long).await;
        let body = assert_graph_error(res, 400, 100).await;
        assert!(
            body["error"]["error_data"]["details"]
                .as_str()
                .unwrap()
                .contains("past file_length"),
            "{body}"
        );
        let read: Value = app
            .get(&format!("/v23.0/{session}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(read["file_offset"], 0);

        // A chunk cut off half-way counts for nothing.
        let chunks: Vec<Result<bytes::Bytes, std::io::Error>> = vec![
            Ok(bytes::Bytes::from(bytes[..50].to_vec())),
            Err(std::io::Error::other("the client went away")),
        ];
        let sent = app
            .req(Method::POST, &format!("/v23.0/{session}"))
            .header("file_offset", "0")
            .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
            .send()
            .await;
        assert!(sent.is_err(), "the request broke off");
        // A real pause, kept: the broken request's handler ends on the server's connection
        // task, which no worker step covers and nothing observable marks as done; this gives
        // it the time to (wrongly) count the bytes it read before the offset is checked.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let read: Value = app
            .get(&format!("/v23.0/{session}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(read["file_offset"], 0);
        // ...and the whole file still completes the session.
        let done = app.chunk_ok(&session, 0, bytes.clone()).await;
        assert!(done["h"].is_string());

        // PNG bytes announced as a PDF: refused when the file is whole; the session is gone.
        let session = app
            .session("menu.pdf", bytes.len(), "application/pdf")
            .await;
        let first = app.chunk_ok(&session, 0, bytes[..40].to_vec()).await;
        assert_eq!(first["file_offset"], 40);
        let res = app.chunk(&session, 40, bytes[40..].to_vec()).await;
        let body = assert_graph_error(res, 400, 100).await;
        let details = body["error"]["error_data"]["details"].as_str().unwrap();
        assert!(
            details.contains("image/png") && details.contains("`file_type` says application/pdf"),
            "{details}"
        );
        let res = app.get(&format!("/v23.0/{session}")).await;
        let body = assert_graph_error(res, 400, 100).await;
        assert_eq!(body["error"]["error_subcode"], 33, "{body}");
        assert_eq!(app.upload_leftovers(), 0, "nothing kept of refused uploads");

        // Bad announcements.
        for (query, field) in [
            (
                "file_name=a.gif&file_length=10&file_type=image/gif",
                "file_type",
            ),
            (
                "file_name=a.webp&file_length=10&file_type=image/webp",
                "file_type",
            ),
            ("file_name=a.png&file_length=10", "file_type"),
            (
                "file_name=a.png&file_length=0&file_type=image/png",
                "file_length",
            ),
            (
                "file_name=a.png&file_length=ten&file_type=image/png",
                "file_length",
            ),
        ] {
            let res = app
                .req(Method::POST, &format!("/v23.0/{APP_ID}/uploads?{query}"))
                .send()
                .await
                .unwrap();
            let body = assert_graph_error(res, 400, 100).await;
            let message = body["error"]["message"].as_str().unwrap();
            assert!(message.contains(field), "{query}: {message}");
        }
        // Over the type's limit: an image is at most 5 MB; a PDF may be 100 MB.
        let res = app
            .start_upload("big.png", 5 * 1024 * 1024 + 1, "image/png")
            .await;
        let body = assert_graph_error(res, 400, 100).await;
        assert!(
            body["error"]["error_data"]["details"]
                .as_str()
                .unwrap()
                .contains("5 MB"),
            "{body}"
        );
        let res = app
            .start_upload("big.pdf", 100 * 1024 * 1024, "application/pdf")
            .await;
        assert_eq!(res.status(), 200);
        // image/jpg is Meta's spelling too; the app id is any number.
        assert_eq!(
            app.start_upload("a.jpg", 10, "image/jpg").await.status(),
            200
        );
        let res = app
            .req(
                Method::POST,
                "/v23.0/my-app/uploads?file_name=a.png&file_length=10&file_type=image/png",
            )
            .send()
            .await
            .unwrap();
        let body = assert_graph_error(res, 400, 100).await;
        assert_eq!(body["error"]["error_subcode"], 33, "{body}");
        // Unknown sessions, and ids that are no session id.
        for id in ["upload:0123456789abcdef0123456789abcdef", "upload:nope"] {
            let res = app.get(&format!("/v23.0/{id}")).await;
            assert_graph_error(res, 400, 100).await;
            let res = app.chunk(id, 0, b"x".to_vec()).await;
            assert_graph_error(res, 400, 100).await;
        }
    }
}

#[tokio::test]
async fn another_accounts_sessions_and_handles_are_unknown() {
    for app in spawn_apps().await {
        let bytes = png(10);
        let session = app.session("cat.png", bytes.len(), "image/png").await;
        let (_, other) = app.other_account().await;
        // A number (and so a WABA) of its own, for its templates below.
        app.create_channel(&other, "Other Shop").await;
        let res = app
            .with_key(Method::GET, &format!("/v23.0/{session}"), &other)
            .send()
            .await
            .unwrap();
        let body = assert_graph_error(res, 400, 100).await;
        assert_eq!(body["error"]["error_subcode"], 33);
        let res = app
            .with_key(Method::POST, &format!("/v23.0/{session}"), &other)
            .header("file_offset", "0")
            .body(bytes.clone())
            .send()
            .await
            .unwrap();
        assert_graph_error(res, 400, 100).await;
        // Untouched by the attempt.
        let done = app.chunk_ok(&session, 0, bytes).await;
        let handle = done["h"].as_str().unwrap();

        // The handle is nothing to the other account's templates.
        let list: Value = app
            .with_key(Method::GET, "/api/v1/channels", &other)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let waba = list["data"][0]["waba_id"].as_str().unwrap();
        let res = app
            .with_key(
                Method::POST,
                &format!("/v23.0/{waba}/message_templates"),
                &other,
            )
            .json(&json!({
                "name": "stolen_sample", "language": "en_US", "category": "MARKETING",
                "components": [
                    {"type": "HEADER", "format": "IMAGE", "example": {"header_handle": [handle]}},
                    {"type": "BODY", "text": "Our new spring collection is here, take a look at it today."}
                ]
            }))
            .send()
            .await
            .unwrap();
        let body = assert_graph_error(res, 400, 100).await;
        assert!(
            body["error"]["error_data"]["details"]
                .as_str()
                .unwrap()
                .contains("unknown"),
            "{body}"
        );
    }
}

#[tokio::test]
async fn handles_are_template_media_header_examples_of_their_kind() {
    for app in spawn_apps().await {
        let waba = app.waba().await;
        let image = app.handle_for("cat.png", "image/png", png(500)).await;
        let document = app.handle_for("menu.pdf", "application/pdf", pdf()).await;

        // The right kinds are accepted.
        let res = app
            .create_template(&waba, "uploaded_image", "IMAGE", &image)
            .await;
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["status"], "PENDING", "{body}");
        let stored: Value = app
            .get(&format!("/v23.0/{}", body["id"].as_str().unwrap()))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            stored["components"][0]["example"]["header_handle"][0],
            image.as_str()
        );
        let res = app
            .create_template(&waba, "uploaded_menu", "DOCUMENT", &document)
            .await;
        assert_eq!(res.status(), 200);

        // An edit is checked the same way.
        let id = body["id"].as_str().unwrap().to_owned();
        wagate_app::templates::review::TemplateReviewer::new(
            app.app.store().clone(),
            wagate_app::templates::TemplatesConfig {
                review_delay_ms: 0,
                ..Default::default()
            },
        )
        .run_once(wagate_core::Timestamp::now())
        .await
        .unwrap();
        let components = |handle: &str| {
            json!({"components": [
                {"type": "HEADER", "format": "IMAGE", "example": {"header_handle": [handle]}},
                {"type": "BODY", "text": "Our summer collection is here, take a look at it today."}
            ]})
        };
        let res = app
            .post_json(&format!("/v23.0/{id}"), &components(&document))
            .await;
        let body = assert_graph_error(res, 400, 100).await;
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("components[0].example.header_handle[0]"),
            "{body}"
        );
        let other_image = app.handle_for("dog.png", "image/png", png(700)).await;
        let res = app
            .post_json(&format!("/v23.0/{id}"), &components(&other_image))
            .await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());

        // A PDF cannot be an IMAGE header's sample, nor a PNG a VIDEO's.
        let res = app
            .create_template(&waba, "wrong_kind", "IMAGE", &document)
            .await;
        let body = assert_graph_error(res, 400, 100).await;
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("components[0].example.header_handle[0]")
                && message.contains("application/pdf"),
            "{message}"
        );
        let res = app
            .create_template(&waba, "wrong_kind", "VIDEO", &image)
            .await;
        assert_graph_error(res, 400, 100).await;

        // One of our handles that we never issued.
        let made_up = "4::d2FnYXRl:aW1hZ2UvcG5n:0123456789abcdef0123456789abcdef";
        let res = app
            .create_template(&waba, "made_up", "IMAGE", made_up)
            .await;
        let body = assert_graph_error(res, 400, 100).await;
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("header_handle"),
            "{body}"
        );

        // Handles we did not issue (Meta's, samples) are not ours to judge.
        let res = app
            .create_template(
                &waba,
                "metas_handle",
                "IMAGE",
                "4::aW1hZ2UvanBlZw==:ARZsampleHandleForTheHeaderExample",
            )
            .await;
        assert_eq!(res.status(), 200);

        // Carousel cards' headers are checked too.
        let card = |handle: &str| {
            json!({"components": [
                {"type": "HEADER", "format": "IMAGE", "example": {"header_handle": [handle]}},
                {"type": "BODY", "text": "A card."},
                {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "More"}]}
            ]})
        };
        let carousel = |handle: &str| {
            json!({
                "name": "uploaded_carousel", "language": "en_US", "category": "MARKETING",
                "components": [
                    {"type": "BODY", "text": "Our new spring collection is here, take a look."},
                    {"type": "CAROUSEL", "cards": [card(&image), card(handle)]}
                ]
            })
        };
        let path = format!("/v23.0/{waba}/message_templates");
        let res = app.post_json(&path, &carousel(&document)).await;
        let body = assert_graph_error(res, 400, 100).await;
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("components[1].cards[1].components[0].example.header_handle[0]"),
            "{body}"
        );
        let res = app.post_json(&path, &carousel(&image)).await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    }
}

#[tokio::test]
async fn an_upload_resumes_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        data_dir: dir.path().join("data"),
        max_body_bytes: 64 * 1024,
        ..Config::default()
    };
    let start = || async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server = Server::build(config.clone(), listener).await.unwrap();
        let creds = server.credentials().cloned();
        let base = server.base_url().to_owned();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(server.run(async move {
            let _ = stopped.await;
        }));
        (base, creds, stop, task)
    };
    let client = http_client();
    let bytes = png(2_000);

    let (base, creds, stop, task) = start().await;
    let key = creds.expect("first start").api_key.expose().to_owned();
    let session: Value = client
        .post(format!(
            "{base}/v23.0/{APP_ID}/uploads?file_name=cat.png&file_length={}&file_type=image/png",
            bytes.len()
        ))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let session = session["id"].as_str().unwrap().to_owned();
    let partial: Value = client
        .post(format!("{base}/v23.0/{session}"))
        .bearer_auth(&key)
        .header("file_offset", "0")
        .body(bytes[..700].to_vec())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(partial["file_offset"], 700);
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();

    let (base, creds, stop, task) = start().await;
    assert!(creds.is_none(), "a restart");
    let resumed: Value = client
        .get(format!("{base}/v23.0/{session}"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(resumed["file_offset"], 700);
    let done: Value = client
        .post(format!("{base}/v23.0/{session}"))
        .bearer_auth(&key)
        .header("file_offset", "700")
        .body(bytes[700..].to_vec())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(done["h"].as_str().unwrap().starts_with("4::"), "{done}");
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
}
#[tokio::test]
#[ignore = "real client libraries (pywa, whatsapp-api-js, kapso, S3): `cargo test -- --include-ignored`, as CI runs"]
async fn pywa_uploads_resumably_and_uses_the_handle_in_templates() {
    let python = pywa_python().await;
    let app = spawn_apps_with(|_| {}).await.remove(0);
    let waba = app.waba().await;
    let mut cmd = Command::new(&python);
    cmd.arg(conformance_dir().join("media/pywa_resumable.py"))
        .args(["--waba-id", &waba])
        .args(["--app-id", APP_ID]);
    crate::sdk::for_app(&mut cmd, &app);
    let ops = crate::sdk::run_script("pywa", cmd).await;
    for op in [
        "upload",
        "wrong_offset",
        "template_handle",
        "template_bytes",
    ] {
        let found = ops.iter().find(|o| o["op"] == op);
        assert!(
            found.is_some_and(|o| o["ok"] == true),
            "{op}: {found:?}\nthe script's report: {ops:?}"
        );
    }
    // The handle pywa got for the bytes it uploaded itself is one of ours, of those bytes.
    let id = ops.iter().find(|o| o["op"] == "template_bytes").unwrap()["detail"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let template: Value = app.get(&format!("/v23.0/{id}")).await.json().await.unwrap();
    let handle = template["components"][0]["example"]["header_handle"][0]
        .as_str()
        .unwrap();
    assert!(handle.starts_with("4::d2FnYXRl:"), "{template}");
    let upload = &ops.iter().find(|o| o["op"] == "upload").unwrap()["detail"];
    let size = upload["size"].as_u64().unwrap() as usize;
    assert_eq!(app.bytes_of(handle).await.len(), size);
    assert_eq!(
        upload["first"]["file_offset"].as_u64(),
        Some(size as u64 / 2)
    );
    app.stop().await;
}
