//! Media on the Cloud plane: multipart upload with Meta's type and size rules (the type from
//! the bytes), `GET /{media_id}` with a URL that serves the same bytes with and without a
//! token for a few minutes, delete, retention and the collector, isolation between accounts,
//! interrupted uploads, and media by id in messages.

use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{TestApp, assert_graph_error, eventually, spawn_apps, spawn_apps_with};

/// A PNG: the signature, an IHDR chunk, then `len` bytes of filler.
fn png(len: usize) -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0".to_vec();
    b.extend(std::iter::repeat_n(0x5a, len));
    b
}

fn pdf() -> Vec<u8> {
    b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec()
}

fn form(bytes: Vec<u8>, name: &str, part_type: &str, declared: Option<&str>) -> Form {
    let part = Part::bytes(bytes)
        .file_name(name.to_owned())
        .mime_str(part_type)
        .unwrap();
    let mut f = Form::new().text("messaging_product", "whatsapp");
    if let Some(t) = declared {
        f = f.text("type", t.to_owned());
    }
    f.part("file", part)
}

impl TestApp {
    async fn upload(&self, form: Form) -> reqwest::Response {
        self.req(
            reqwest::Method::POST,
            &format!("/v23.0/{}/media", self.phone_number_id),
        )
        .multipart(form)
        .send()
        .await
        .unwrap()
    }

    async fn upload_ok(&self, form: Form) -> String {
        let res = self.upload(form).await;
        let status = res.status();
        let body: Value = res.json().await.unwrap();
        assert_eq!(status, 200, "{body}");
        body["id"].as_str().unwrap().to_owned()
    }

    /// Files under the media store's content-addressed directory.
    fn stored_files(&self) -> usize {
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
        count(&self.data_dir().join("media/sha256")) + count(&self.data_dir().join("media/tmp"))
    }
}

#[tokio::test]
async fn uploads_round_trip_with_a_signed_url() {
    for app in spawn_apps().await {
        let bytes = png(3_000);
        let id = app
            .upload_ok(form(
                bytes.clone(),
                "/home/me/pics/cat.png",
                "image/png",
                Some("image/png"),
            ))
            .await;
        let info: Value = app.get(&format!("/v23.0/{id}")).await.json().await.unwrap();
        assert_eq!(info["messaging_product"], "whatsapp");
        assert_eq!(info["id"], id.as_str());
        assert_eq!(info["mime_type"], "image/png");
        assert_eq!(info["file_size"], bytes.len());
        let sha = hex::encode(Sha256::digest(&bytes));
        assert_eq!(info["sha256"], sha.as_str());
        let url = info["url"].as_str().unwrap();
        assert!(url.starts_with(&app.base_url), "{url}");

        // Without a token, and with one: the same bytes.
        let client = crate::helpers::http_client();
        let res = client.get(url).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "image/png");
        assert_eq!(
            res.headers()["content-disposition"],
            "attachment; filename=\"cat.png\""
        );
        assert_eq!(res.bytes().await.unwrap().as_ref(), bytes.as_slice());
        let res = client
            .get(url)
            .bearer_auth(&app.api_key)
            .send()
            .await
            .unwrap();
        assert_eq!(hex::encode(Sha256::digest(res.bytes().await.unwrap())), sha);

        // A changed signature, id or expiry is refused.
        for bad in [
            url.replace("signature=", "signature=00"),
            url.replace(&format!("/media/{id}/"), "/media/1234567890/"),
            url.replace("expires=", "expires=9"),
            url.split('?').next().unwrap().to_owned(),
        ] {
            let res = client.get(&bad).send().await.unwrap();
            assert_eq!(res.status(), 404, "{bad}");
            let body: Value = res.json().await.unwrap();
            assert_eq!(body["error"]["code"], 100, "{body}");
        }

        // Deleted: unknown, and its URL serves nothing.
        let res = app
            .req(reqwest::Method::DELETE, &format!("/v23.0/{id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.json::<Value>().await.unwrap(), json!({"success": true}));
        assert_graph_error(app.get(&format!("/v23.0/{id}")).await, 400, 100).await;
        assert_eq!(client.get(url).send().await.unwrap().status(), 404);
        let again = app
            .req(reqwest::Method::DELETE, &format!("/v23.0/{id}"))
            .send()
            .await
            .unwrap();
        assert_graph_error(again, 400, 100).await;
    }
}

/// A URL lasts `url_ttl_secs` and is refused after. Time is not waited for: the server
/// checks the expiry it signed against the real clock, so the test signs, with the server's
/// configured key, the same URL as it was handed out a moment ago (expired now).
#[tokio::test]
async fn download_urls_expire() {
    const URL_KEY: &str = "the-tests-media-url-key";
    let app = spawn_apps_with(|c| {
        c.media.url_ttl_secs = 1;
        c.media.url_key = Some(URL_KEY.to_owned());
    })
    .await
    .remove(0);
    let id = app
        .upload_ok(form(pdf(), "a.pdf", "application/pdf", None))
        .await;
    let before = wagate_core::Timestamp::now().as_second();
    let info: Value = app.get(&format!("/v23.0/{id}")).await.json().await.unwrap();
    let after = wagate_core::Timestamp::now().as_second();
    assert_eq!(info["mime_type"], "application/pdf");
    let url = info["url"].as_str().unwrap().to_owned();
    let client = crate::helpers::http_client();
    assert_eq!(client.get(&url).send().await.unwrap().status(), 200);
    // Signed with the server's key until `url_ttl_secs` from when it was handed out.
    let parsed = reqwest::Url::parse(&url).unwrap();
    let param = |name: &str| {
        parsed
            .query_pairs()
            .find(|(k, _)| k == name)
            .unwrap_or_else(|| panic!("{name} in {url}"))
            .1
            .into_owned()
    };
    let (account, expires, signature) = (param("account"), param("expires"), param("signature"));
    let expires: i64 = expires.parse().unwrap();
    assert!(
        (before + 1..=after + 1).contains(&expires),
        "expires {expires}, handed out in {before}..={after}: {url}"
    );
    let signer = wagate_app::media::UrlSigner::new(URL_KEY);
    assert_eq!(signer.sign(&account, &id, expires), signature, "{url}");
    // The same URL once its second is over (handed out two seconds earlier): refused.
    let expired = signer.url(
        url.split("/media/").next().unwrap(),
        &account,
        &id,
        before - 1,
    );
    assert_eq!(expired.split('?').next(), url.split('?').next());
    let res = client.get(&expired).send().await.unwrap();
    assert_eq!(res.status(), 404, "{expired}");
    // A fresh URL works again.
    let info: Value = app.get(&format!("/v23.0/{id}")).await.json().await.unwrap();
    let fresh = info["url"].as_str().unwrap();
    assert_eq!(client.get(fresh).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn uploads_are_judged_by_their_bytes_and_refusals_keep_nothing() {
    for app in spawn_apps().await {
        // No `type`: the part's Content-Type; a kind as `type`; octet-stream with a name.
        app.upload_ok(form(png(10), "x.png", "image/png", None))
            .await;
        app.upload_ok(form(png(10), "x.png", "image/png", Some("image")))
            .await;
        app.upload_ok(form(pdf(), "doc.pdf", "application/octet-stream", None))
            .await;
        let files = app.stored_files();

        let cases: Vec<(Form, &str)> = vec![
            (
                form(png(10), "x.jpg", "image/jpeg", Some("image/jpeg")),
                "image/png",
            ),
            (
                form(b"GIF89a\x01\0\x01\0".to_vec(), "a.gif", "image/gif", None),
                "image/gif",
            ),
            (
                form(png(5 * 1024 * 1024), "big.png", "image/png", None),
                "5 MB",
            ),
            (form(Vec::new(), "empty.png", "image/png", None), "empty"),
            (form(png(10), "x.png", "image/png", Some("audio")), "audio"),
            (
                form(
                    b"\0\0\0binary".to_vec(),
                    "x.bin",
                    "application/octet-stream",
                    None,
                ),
                "",
            ),
            (
                Form::new().part("file", Part::bytes(png(10)).file_name("x.png")),
                "messaging_product",
            ),
            (Form::new().text("messaging_product", "whatsapp"), "file"),
        ];
        for (f, says) in cases {
            let err = assert_graph_error(app.upload(f).await, 400, 100).await;
            let text = err.to_string();
            assert!(text.contains(says), "{says}: {err}");
        }
        // Not multipart at all.
        let res = app
            .post_json(
                &format!("/v23.0/{}/media", app.phone_number_id),
                &json!({"file": "x"}),
            )
            .await;
        assert_graph_error(res, 400, 100).await;
        assert_eq!(
            app.stored_files(),
            files,
            "nothing kept for a refused upload"
        );
    }
}

#[tokio::test]
async fn an_interrupted_upload_stores_nothing() {
    let app = spawn_apps().await.remove(0);
    let before = app.stored_files();
    let chunks: Vec<Result<bytes::Bytes, std::io::Error>> = vec![
        Ok(bytes::Bytes::from(png(64 * 1024))),
        Err(std::io::Error::other("the client went away")),
    ];
    let part = Part::stream(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
        .file_name("cut.png")
        .mime_str("image/png")
        .unwrap();
    let f = Form::new()
        .text("messaging_product", "whatsapp")
        .part("file", part);
    let sent = app
        .req(
            reqwest::Method::POST,
            &format!("/v23.0/{}/media", app.phone_number_id),
        )
        .multipart(f)
        .send()
        .await;
    assert!(sent.is_err(), "the request broke off");
    // The server drops its staged file as the broken request's handler ends, on the
    // connection's task: no drain covers it.
    eventually(
        "the staged file dropped",
        std::time::Duration::from_secs(2),
        || async {
            let now = app.stored_files();
            if now == before {
                Ok(())
            } else {
                Err(format!("{now} files, {before} before"))
            }
        },
    )
    .await;
}

#[tokio::test]
async fn another_accounts_media_is_unknown() {
    for app in spawn_apps().await {
        let id = app
            .upload_ok(form(png(10), "x.png", "image/png", None))
            .await;
        let (_, other_key) = app.other_account().await;
        for method in [reqwest::Method::GET, reqwest::Method::DELETE] {
            let res = app
                .with_key(method, &format!("/v23.0/{id}"), &other_key)
                .send()
                .await
                .unwrap();
            let err = assert_graph_error(res, 400, 100).await;
            assert_eq!(err["error"]["error_subcode"], 33);
        }
        // Still ours.
        let res = app.get(&format!("/v23.0/{id}")).await;
        assert_eq!(res.status(), 200);
        // Sending it from the other account's number: unknown id.
        let channel = app.create_channel(&other_key, "Other Shop").await;
        let pnid = channel["phone_number_id"].as_str().unwrap();
        let res = app
            .with_key(
                reqwest::Method::POST,
                &format!("/v23.0/{pnid}/messages"),
                &other_key,
            )
            .json(
                &json!({"messaging_product": "whatsapp", "to": "15550001234",
                "type": "image", "image": {"id": id}}),
            )
            .send()
            .await
            .unwrap();
        let err = assert_graph_error(res, 400, 100).await;
        assert!(err.to_string().contains("does not exist"), "{err}");
    }
}

#[tokio::test]
async fn the_collector_frees_bytes_when_the_last_id_goes() {
    for app in spawn_apps().await {
        let a = app
            .upload_ok(form(png(100), "a.png", "image/png", None))
            .await;
        let b = app
            .upload_ok(form(png(100), "b.png", "image/png", None))
            .await;
        assert_ne!(a, b);
        assert_eq!(app.stored_files(), 1, "same bytes, one file");
        let collector = app.app.media_collector();
        let now = wagate_core::Timestamp::now();
        app.req(reqwest::Method::DELETE, &format!("/v23.0/{a}"))
            .send()
            .await
            .unwrap();
        assert_eq!(collector.run_once(now).await.unwrap(), 0);
        assert_eq!(app.stored_files(), 1);
        // Thirty days on, `b` has expired too: its bytes go.
        let later =
            wagate_core::Timestamp::from_second(now.as_second() + (24 * 30 + 1) * 3600).unwrap();
        assert_eq!(collector.run_once(later).await.unwrap(), 1);
        assert_eq!(app.stored_files(), 0);
    }
}

#[tokio::test]
async fn messages_send_media_by_id_of_the_right_kind() {
    for app in spawn_apps().await {
        app.configure_sandbox(json!({})).await;
        app.inject(json!({"from": "15550003333", "text": {"body": "hi"}}))
            .await;
        let image = app
            .upload_ok(form(png(10), "x.png", "image/png", None))
            .await;
        let doc = app
            .upload_ok(form(pdf(), "x.pdf", "application/pdf", None))
            .await;
        let wamid = app
            .send(json!({"to": "15550003333", "type": "image", "image": {"id": image, "caption": "look"}}))
            .await;
        let m = app.wait_status(&wamid, &["delivered", "read"]).await;
        assert_eq!(m["content"]["id"], image.as_str());
        // An image may go as a document; a PDF may not go as an image.
        app.send(json!({"to": "15550003333", "type": "document", "document": {"id": image}}))
            .await;
        let path = format!("/v23.0/{}/messages", app.phone_number_id);
        let res = app
            .post_json(
                &path,
                &json!({"messaging_product": "whatsapp", "to": "15550003333",
                "type": "image", "image": {"id": doc}}),
            )
            .await;
        let err = assert_graph_error(res, 400, 100).await;
        assert!(err.to_string().contains("cannot be sent as image"), "{err}");
        let res = app
            .post_json(
                &path,
                &json!({"messaging_product": "whatsapp", "to": "15550003333",
                "type": "video", "video": {"id": "998877665544332"}}),
            )
            .await;
        assert_graph_error(res, 400, 100).await;
        assert_eq!(app.messages("direction=outbound").await.len(), 2);
    }
}
