//! `Idempotency-Key` on creating POSTs, over real HTTP on SQLite and PostgreSQL: the same key
//! and body replay the first answer byte for byte with no second effect; another body or
//! endpoint is refused; concurrent duplicates have one effect, also across two nodes on one
//! PostgreSQL database; keys are per API key; 4xx answers are stored; bad keys are 400 in the
//! plane's format; expired keys start fresh after the collector's step.

use futures::future::join_all;
use reqwest::multipart::{Form, Part};
use reqwest::{Method, Response};
use serde_json::{Value, json};
use wagate_app::config::Config;
use wagate_app::platform::database::DatabaseSetting;

use crate::helpers::{
    TestApp, assert_graph_error, assert_manage_error, fresh_postgres_url, spawn_apps,
};

const KEY: &str = "idempotency-key";
const REPLAYED: &str = "idempotent-replayed";

fn text(to: &str) -> Value {
    json!({"messaging_product": "whatsapp", "to": to, "type": "text", "text": {"body": "hi"}})
}

/// How many messages the account has (every accepted message is stored before the answer).
async fn stored(app: &TestApp) -> usize {
    let list: Value = app
        .get("/api/v1/messages?limit=100")
        .await
        .json()
        .await
        .unwrap();
    list["data"].as_array().unwrap().len()
}

fn sends(app: &TestApp) -> String {
    format!("/v23.0/{}/messages", app.phone_number_id)
}

async fn post(app: &TestApp, api_key: &str, path: &str, key: &str, body: &Value) -> Response {
    app.with_key(Method::POST, path, api_key)
        .header(KEY, key)
        .json(body)
        .send()
        .await
        .unwrap()
}

/// Status, content type, replayed flag and body bytes of an answer.
async fn answer(res: Response) -> (u16, String, bool, Vec<u8>) {
    let status = res.status().as_u16();
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let replayed = match res.headers().get(REPLAYED) {
        None => false,
        Some(v) => {
            assert_eq!(v, "true");
            true
        }
    };
    (status, ct, replayed, res.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn same_key_and_body_replay_the_first_answer_with_one_effect() {
    for app in spawn_apps().await {
        let key = &app.api_key;
        let path = sends(&app);
        let first = answer(post(&app, key, &path, "order-1", &text("+16505551234")).await).await;
        assert_eq!((first.0, first.2), (200, false), "{}", app.backend);
        assert_eq!(first.1, "application/json");
        let again = answer(post(&app, key, &path, "order-1", &text("+16505551234")).await).await;
        assert_eq!(again.0, 200);
        assert!(again.2, "a replay says so");
        assert_eq!((&again.1, &again.3), (&first.1, &first.3), "byte for byte");
        assert_eq!(stored(&app).await, 1, "one message");

        // Another body, or another endpoint, under the same key: refused, nothing stored.
        let body = assert_graph_error(
            post(&app, key, &path, "order-1", &text("+16505550000")).await,
            422,
            100,
        )
        .await;
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains("Idempotency-Key"), "{message}");
        assert_manage_error(
            post(
                &app,
                key,
                "/api/v1/channels",
                "order-1",
                &json!({"verified_name": "Shop"}),
            )
            .await,
            422,
            "idempotency_key_reused",
        )
        .await;
        assert_eq!(stored(&app).await, 1);

        // Without the header nothing changes: two sends are two messages.
        for _ in 0..2 {
            let res = app.post_json(&path, &text("+16505551234")).await;
            assert_eq!(res.status(), 200);
            assert!(res.headers().get(REPLAYED).is_none());
        }
        assert_eq!(stored(&app).await, 3);

        // The management plane: one channel, one API key, one webhook per key.
        let channels = app.channel_count().await;
        let make = json!({"verified_name": "Second Shop"});
        let a = answer(post(&app, key, "/api/v1/channels", "ch-1", &make).await).await;
        let b = answer(post(&app, key, "/api/v1/channels", "ch-1", &make).await).await;
        assert_eq!((a.0, a.2, b.0, b.2), (201, false, 201, true));
        assert_eq!(a.3, b.3);
        assert_eq!(app.channel_count().await, channels + 1);

        let k1 = answer(
            post(
                &app,
                key,
                "/api/v1/api-keys",
                "key-1",
                &json!({"name": "ci"}),
            )
            .await,
        )
        .await;
        let k2 = answer(
            post(
                &app,
                key,
                "/api/v1/api-keys",
                "key-1",
                &json!({"name": "ci"}),
            )
            .await,
        )
        .await;
        assert_eq!((k1.0, k2.0, k2.2), (201, 201, true));
        assert_eq!(k1.3, k2.3, "the same key (and secret) answered again");
        let keys: Value = app
            .get("/api/v1/api-keys?limit=100")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(keys["data"].as_array().unwrap().len(), 2, "{keys}");

        // Other methods ignore the header.
        let created: Value = serde_json::from_slice(&a.3).unwrap();
        let id = created["id"].as_str().unwrap();
        for name in ["Renamed", "Renamed again"] {
            let res = app
                .req(Method::PATCH, &format!("/api/v1/channels/{id}"))
                .header(KEY, "ch-1")
                .json(&json!({"verified_name": name}))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
            assert!(res.headers().get(REPLAYED).is_none());
        }
    }
}

#[tokio::test]
async fn client_errors_are_stored_and_bad_keys_are_refused_in_the_planes_format() {
    for app in spawn_apps().await {
        let key = &app.api_key;
        let path = sends(&app);
        // A 4xx answer is the answer (Stripe): replayed even after the cause is gone.
        let bad = json!({"messaging_product": "whatsapp", "type": "text", "text": {"body": "x"}});
        let first = answer(post(&app, key, &path, "bad-1", &bad).await).await;
        assert_eq!((first.0, first.2), (400, false));
        let again = answer(post(&app, key, &path, "bad-1", &bad).await).await;
        assert_eq!((again.0, again.2), (400, true));
        assert_eq!(again.3, first.3);

        // Empty, too long, not ASCII: 400 on both planes, nothing stored.
        let long = "k".repeat(256);
        for (bad_key, what) in [("", "empty"), (long.as_str(), "255")] {
            let res = post(&app, key, &path, bad_key, &text("+16505551234")).await;
            let body = assert_graph_error(res, 400, 100).await;
            assert!(
                body["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("Idempotency-Key"),
                "{body}"
            );
            let _ = what;
            let res = post(
                &app,
                key,
                "/api/v1/channels",
                bad_key,
                &json!({"verified_name": "X"}),
            )
            .await;
            let body = assert_manage_error(res, 400, "idempotency_key_invalid").await;
            assert_eq!(body["error"]["field"], "Idempotency-Key");
        }
        let res = app
            .req(Method::POST, &path)
            .header(
                KEY,
                reqwest::header::HeaderValue::from_bytes(b"caf\xc3\xa9").unwrap(),
            )
            .json(&text("+16505551234"))
            .send()
            .await
            .unwrap();
        assert_graph_error(res, 400, 100).await;
        assert!(app.channel_count().await == 1);
        assert_eq!(stored(&app).await, 0);
        // 255 characters is fine.
        let ok = post(&app, key, &path, &"k".repeat(255), &text("+16505551234")).await;
        assert_eq!(ok.status(), 200);

        // Authentication comes first and is not stored: a bad API key is refused as without
        // the header, every time.
        for _ in 0..2 {
            let res = post(&app, "wag_nope", &path, "auth-1", &text("+16505551234")).await;
            assert!(res.headers().get(REPLAYED).is_none());
            assert_graph_error(res, 401, 190).await;
        }
        assert_eq!(stored(&app).await, 1);
    }
}

#[tokio::test]
async fn concurrent_duplicates_have_one_effect() {
    for app in spawn_apps().await {
        let path = sends(&app);
        let body = text("+16505551234");
        let tries = (0..10).map(|_| post(&app, &app.api_key, &path, "burst", &body));
        let answers = join_all(join_all(tries).await.into_iter().map(answer)).await;
        let ok: Vec<_> = answers.iter().filter(|a| a.0 == 200).collect();
        assert!(!ok.is_empty(), "{}", app.backend);
        assert!(
            ok.iter().all(|a| a.3 == ok[0].3),
            "every 200 is the same answer"
        );
        for a in answers.iter().filter(|a| a.0 != 200) {
            assert_eq!(a.0, 409, "{}", String::from_utf8_lossy(&a.3));
            let e: Value = serde_json::from_slice(&a.3).unwrap();
            assert_eq!(e["error"]["code"], 100);
            assert!(
                e["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("still being processed")
            );
        }
        assert_eq!(stored(&app).await, 1, "{}: one effect", app.backend);
        // Once it finished, retries get its answer.
        let last = answer(post(&app, &app.api_key, &path, "burst", &body).await).await;
        assert_eq!((last.0, last.2), (200, true));
        assert_eq!(last.3, ok[0].3);

        // The management plane's refusal is its own envelope.
        let burst = json!({"verified_name": "Burst"});
        let tries =
            (0..10).map(|_| post(&app, &app.api_key, "/api/v1/channels", "ch-burst", &burst));
        let answers = join_all(join_all(tries).await.into_iter().map(answer)).await;
        let statuses: Vec<u16> = answers.iter().map(|a| a.0).collect();
        assert!(
            statuses.iter().all(|s| [201, 409].contains(s)),
            "{statuses:?}"
        );
        for a in answers.iter().filter(|a| a.0 == 409) {
            let e: Value = serde_json::from_slice(&a.3).unwrap();
            assert_eq!(e["error"]["code"], "idempotency_key_in_progress");
        }
        assert_eq!(app.channel_count().await, 2, "{statuses:?}");
    }
}

#[tokio::test]
async fn keys_belong_to_one_api_key_and_expire_after_a_day() {
    for app in spawn_apps().await {
        let path = sends(&app);
        let body = text("+16505551234");
        let created: Value = app
            .post_json("/api/v1/api-keys", &json!({"name": "second"}))
            .await
            .json()
            .await
            .unwrap();
        let second = created["key"].as_str().unwrap().to_owned();
        let a = answer(post(&app, &app.api_key, &path, "shared", &body).await).await;
        let b = answer(post(&app, &second, &path, "shared", &body).await).await;
        assert_eq!(
            (a.0, a.2, b.0, b.2),
            (200, false, 200, false),
            "independent keys"
        );
        assert_ne!(a.3, b.3);
        assert_eq!(stored(&app).await, 2);
        // Another account's key too (it cannot use this number; its own answer is stored).
        let (_, foreign) = app.other_account().await;
        let c = answer(post(&app, &foreign, &path, "shared", &body).await).await;
        assert_eq!((c.0, c.2), (400, false));

        // The collector's step a day later deletes them; the key then starts fresh.
        let collector = app.app.idempotency_collector();
        let soon = wagate_store::records::now();
        assert_eq!(
            collector.run_once(soon).await.unwrap(),
            0,
            "nothing is a day old"
        );
        let day_later =
            wagate_core::Timestamp::from_millisecond(soon.as_millisecond() + 86_401_000).unwrap();
        assert_eq!(collector.run_once(day_later).await.unwrap(), 3);
        assert_eq!(collector.run_once(day_later).await.unwrap(), 0);
        let fresh =
            answer(post(&app, &app.api_key, &path, "shared", &text("+16505550000")).await).await;
        assert_eq!(
            (fresh.0, fresh.2),
            (200, false),
            "a new request under an expired key"
        );
        assert_eq!(stored(&app).await, 3);
    }
}

#[tokio::test]
async fn media_uploads_replay_a_rebuilt_form() {
    for app in spawn_apps().await {
        let path = format!("/v23.0/{}/media", app.phone_number_id);
        // A rebuilt form has a new boundary: still the same request.
        let form = |bytes: &[u8]| {
            Form::new().text("messaging_product", "whatsapp").part(
                "file",
                Part::bytes(bytes.to_vec())
                    .file_name("a.pdf")
                    .mime_str("application/pdf")
                    .unwrap(),
            )
        };
        let pdf =
            b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
        let up = |f: Form| {
            app.req(Method::POST, &path)
                .header(KEY, "upload-1")
                .multipart(f)
                .send()
        };
        let first = answer(up(form(pdf)).await.unwrap()).await;
        assert_eq!(
            (first.0, first.2),
            (200, false),
            "{}",
            String::from_utf8_lossy(&first.3)
        );
        let again = answer(up(form(pdf)).await.unwrap()).await;
        assert_eq!((again.0, again.2), (200, true));
        assert_eq!(again.3, first.3, "the same media id");
        let mut other = pdf.to_vec();
        other.extend_from_slice(b"% another file\n");
        let res = up(form(&other)).await.unwrap();
        assert_graph_error(res, 422, 100).await;

        // A large body (spooled to a file) is handed over whole.
        let mut big = pdf.to_vec();
        big.extend(std::iter::repeat_n(b' ', 3 * 1024 * 1024));
        let sent = |key: &'static str| {
            app.req(Method::POST, &path)
                .header(KEY, key)
                .multipart(form(&big))
                .send()
        };
        let a = answer(sent("upload-big").await.unwrap()).await;
        assert_eq!(a.0, 200, "{}", String::from_utf8_lossy(&a.3));
        let id = serde_json::from_slice::<Value>(&a.3).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let meta: Value = app.get(&format!("/v23.0/{id}")).await.json().await.unwrap();
        assert_eq!(meta["file_size"], big.len() as u64, "{meta}");
        let b = answer(sent("upload-big").await.unwrap()).await;
        assert_eq!((b.0, b.2, &b.3), (200, true, &a.3));
    }
}

/// Two servers on one PostgreSQL database (two nodes): duplicates sent to both at once have
/// one effect.
#[tokio::test]
async fn two_nodes_on_one_database_have_one_effect() {
    let Some(url) = fresh_postgres_url().await else {
        return;
    };
    let node = |dir: &tempfile::TempDir| Config {
        data_dir: dir.path().join("data"),
        database: DatabaseSetting(url.clone()),
        database_max_connections: 4,
        ..Config::default()
    };
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let first = wagate_http::Server::build(node(&d1), listener)
        .await
        .unwrap();
    let creds = first.credentials().unwrap().clone();
    // Nodes of one database share its master key (secrets at rest).
    std::fs::create_dir_all(d2.path().join("data")).unwrap();
    std::fs::copy(
        d1.path().join("data/secrets.key"),
        d2.path().join("data/secrets.key"),
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let second = wagate_http::Server::build(node(&d2), listener)
        .await
        .unwrap();
    let urls = [first.base_url().to_owned(), second.base_url().to_owned()];
    let (stop1, stopped1) = tokio::sync::oneshot::channel::<()>();
    let (stop2, stopped2) = tokio::sync::oneshot::channel::<()>();
    let t1 = tokio::spawn(first.run(async move {
        let _ = stopped1.await;
    }));
    let t2 = tokio::spawn(second.run(async move {
        let _ = stopped2.await;
    }));

    let client = reqwest::Client::new();
    let key = creds.api_key.expose().to_owned();
    let path = format!("/v23.0/{}/messages", creds.phone_number_id);
    for round in 0..3 {
        let tries = (0..10).map(|i| {
            client
                .post(format!("{}{path}", urls[i % 2]))
                .bearer_auth(&key)
                .header(KEY, format!("two-nodes-{round}"))
                .json(&text("+16505551234"))
                .send()
        });
        let statuses: Vec<u16> = join_all(tries)
            .await
            .into_iter()
            .map(|r| r.unwrap().status().as_u16())
            .collect();
        assert!(statuses.contains(&200), "{statuses:?}");
        assert!(
            statuses.iter().all(|s| [200, 409].contains(s)),
            "{statuses:?}"
        );
    }
    let list: Value = client
        .get(format!("{}/api/v1/messages?limit=100", urls[1]))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        list["data"].as_array().unwrap().len(),
        3,
        "one message per key"
    );
    let _ = (stop1.send(()), stop2.send(()));
    t1.await.unwrap().unwrap();
    t2.await.unwrap().unwrap();
}

/// A fake Graph API answering every call `{"success":true}`; counts the calls.
async fn fake_meta() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let calls = std::sync::Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let counted = counted.clone();
            tokio::spawn(async move {
                let mut seen = Vec::new();
                let mut buf = [0u8; 4096];
                // Headers, then as many body bytes as Content-Length says.
                loop {
                    let Ok(n) = conn.read(&mut buf).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    seen.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&seen).to_ascii_lowercase();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let len = text[..end]
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .map_or(0, |v| v.trim().parse::<usize>().unwrap());
                        if seen.len() >= end + 4 + len {
                            break;
                        }
                    }
                }
                counted.fetch_add(1, Ordering::SeqCst);
                let body = r#"{"success":true}"#;
                let res = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = conn.write_all(res.as_bytes()).await;
            });
        }
    });
    (url, calls)
}

/// A 5xx answer is not stored: the key is released and a retry runs again.
#[tokio::test]
async fn server_errors_release_the_key() {
    use std::sync::atomic::Ordering;
    let app = crate::helpers::spawn_app().await;
    // A cloud channel whose Meta cannot be reached: calls Meta owns answer 503.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let upstream = |base_url: &str| {
        json!({"kind": "cloud", "base_url": base_url, "access_token": "meta-token",
               "app_secret": "meta-secret", "verify_token": "meta-verify"})
    };
    let created = app
        .post_json(
            "/api/v1/channels",
            &json!({"verified_name": "Acme via Meta", "phone_number_id": "109876543210",
                    "waba_id": "209876543210", "display_phone_number": "+1 650 555 0199",
                    "upstream": upstream(&closed)}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let channel: Value = created.json().await.unwrap();
    let path = "/v23.0/109876543210/register";
    let body = json!({"messaging_product": "whatsapp", "pin": "123456"});
    for _ in 0..2 {
        let res = post(&app, &app.api_key, path, "register-1", &body).await;
        assert!(res.headers().get(REPLAYED).is_none());
        assert_graph_error(res, 503, 2).await;
    }
    // Meta is back: the same key runs the request (once), then replays it.
    let (url, calls) = fake_meta().await;
    let res = app
        .patch_json(
            &format!("/api/v1/channels/{}", channel["id"].as_str().unwrap()),
            &json!({"upstream": upstream(&url)}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let ran = answer(post(&app, &app.api_key, path, "register-1", &body).await).await;
    assert_eq!(
        (ran.0, ran.2, ran.3.as_slice()),
        (200, false, &br#"{"success":true}"#[..])
    );
    let again = answer(post(&app, &app.api_key, path, "register-1", &body).await).await;
    assert_eq!((again.0, again.2, &again.3), (200, true, &ran.3));
    assert_eq!(calls.load(Ordering::SeqCst), 1, "Meta was called once");
}
