//! wagate's webhooks received by real, unmodified client libraries: pywa (PyPI) and
//! whatsapp-api-js (npm), each behind a tiny HTTP server in `conformance/webhooks/`. Both
//! verify the subscription (the hub.challenge GET), check `X-Hub-Signature-256` over the raw
//! bytes and parse every update into their typed objects; the receivers report what the
//! library made of each POST. `conformance/webhooks/setup.sh` installs the pinned versions
//! (idempotent, cached in `$WAGATE_SDK_CACHE` or `/tmp/wagate-sdk`).

use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::helpers::{TestApp, eventually, spawn_apps};
use crate::sdk::{conformance_dir, install};

const SECRET: &str = "sdk-app-secret";
const TOKEN: &str = "sdk-verify-token";
/// One library's receiver, running as a child process.
struct SdkReceiver {
    lib: &'static str,
    url: String,
    _child: Child,
}

impl SdkReceiver {
    /// pywa's receiver, run by the venv's `python`.
    async fn pywa(python: &str, app: &TestApp) -> SdkReceiver {
        let mut cmd = Command::new(python);
        cmd.arg(conformance_dir().join("webhooks/pywa_receiver.py"));
        Self::start(cmd, "pywa", app).await
    }

    /// whatsapp-api-js's receiver, with the library from `node_modules`.
    async fn wajs(node_modules: &str, app: &TestApp) -> SdkReceiver {
        let mut cmd = Command::new("node");
        cmd.arg(conformance_dir().join("webhooks/wajs_receiver.mjs"))
            .args(["--node-modules", node_modules]);
        Self::start(cmd, "wajs", app).await
    }

    async fn start(mut cmd: Command, lib: &'static str, app: &TestApp) -> SdkReceiver {
        cmd.args(["--port", "0", "--phone-id", &app.phone_number_id])
            .args(["--token", "unused-token", "--app-secret", SECRET])
            .args(["--verify-token", TOKEN])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("start {lib}: {e}"));
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .unwrap_or_else(|_| panic!("{lib} receiver did not start"))
            .unwrap()
            .unwrap_or_else(|| panic!("{lib} receiver exited"));
        let listening: Value = serde_json::from_str(&first).unwrap();
        assert_eq!(listening["kind"], "listening", "{first}");
        // Keep draining stdout so the child never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        SdkReceiver {
            lib,
            url: format!("http://127.0.0.1:{}/webhook", listening["port"]),
            _child: child,
        }
    }

    async fn received(&self) -> Vec<Value> {
        let url = self.url.replace("/webhook", "/received");
        let body: Value = reqwest::get(&url).await.unwrap().json().await.unwrap();
        body.as_array().unwrap().clone()
    }

    /// Waits until the library (another process) reported `n` records besides the
    /// verification.
    async fn wait(&self, n: usize) -> Vec<Value> {
        let what = format!("{} reporting {n} records", self.lib);
        eventually(&what, Duration::from_secs(10), || async {
            let got: Vec<Value> = self
                .received()
                .await
                .into_iter()
                .filter(|r| r["kind"] != "verify")
                .collect();
            if got.len() >= n {
                Ok(got)
            } else {
                Err(json!(got))
            }
        })
        .await
    }
}

/// One inbound message of every kind a user can send (reference §5.4); replies to buttons,
/// lists and flows quote `replied_to` as their `context`, as on WhatsApp.
pub(crate) fn inbound_of_every_type(user: &str, replied_to: &str) -> Vec<Value> {
    let reply = |mut m: Value| {
        m["context"] = json!({"id": replied_to});
        m
    };
    let media = |kind: &str, extra: Value| {
        // The simulated network fills in id, mime_type and sha256 where absent.
        json!({"from": user, "type": kind, kind: extra})
    };
    vec![
        media("image", json!({"caption": "my receipt"})),
        media("video", json!({"mime_type": "video/mp4"})),
        media("audio", json!({"mime_type": "audio/ogg", "voice": true})),
        media(
            "document",
            json!({"mime_type": "application/pdf", "filename": "invoice.pdf"}),
        ),
        media(
            "sticker",
            json!({"mime_type": "image/webp", "animated": false}),
        ),
        json!({"from": user, "type": "location", "location": {"latitude": 38.72,
            "longitude": -9.14, "name": "Praça", "address": "Lisboa"}}),
        json!({"from": user, "type": "contacts", "contacts": [{"name": {"formatted_name": "Ana Silva",
            "first_name": "Ana"}, "phones": [{"phone": "+351 912 345 678", "type": "CELL"}]}]}),
        reply(
            json!({"from": user, "type": "interactive", "interactive": {"type": "button_reply",
            "button_reply": {"id": "yes", "title": "Yes"}}}),
        ),
        reply(
            json!({"from": user, "type": "interactive", "interactive": {"type": "list_reply",
            "list_reply": {"id": "row-1", "title": "Shipping", "description": "Where is it?"}}}),
        ),
        reply(
            json!({"from": user, "type": "interactive", "interactive": {"type": "nfm_reply",
            "nfm_reply": {"name": "flow", "body": "Sent", "response_json": "{\"flow_token\":\"tok-1\",\"rating\":\"5\"}"}}}),
        ),
        reply(
            json!({"from": user, "type": "button", "button": {"payload": "STOP_PROMOS", "text": "Stop promotions"}}),
        ),
        json!({"from": user, "type": "order", "order": {"catalog_id": "cat-1", "text": "For today",
            "product_items": [{"product_retailer_id": "sku-1", "quantity": 2, "item_price": 9.5, "currency": "EUR"}]}}),
    ]
}

#[tokio::test]
#[ignore = "real client libraries (pywa, whatsapp-api-js, kapso, S3): `cargo test -- --include-ignored`, as CI runs"]
async fn pywa_and_whatsapp_api_js_verify_and_parse_every_update() {
    let (python, node_modules) = install().await;
    for app in spawn_apps().await {
        app.configure_sandbox(json!({"not_on_whatsapp": ["15550009999"]}))
            .await;
        let receivers = [
            SdkReceiver::pywa(&python, &app).await,
            SdkReceiver::wajs(&node_modules, &app).await,
        ];
        for r in &receivers {
            let res = app
                .post_json(
                    "/api/v1/webhooks",
                    &json!({"url": r.url, "secret": SECRET, "verify_token": TOKEN}),
                )
                .await;
            assert_eq!(
                res.status(),
                201,
                "{}: {}",
                r.lib,
                res.text().await.unwrap()
            );
            let verified = r.received().await;
            assert!(
                verified.iter().any(|v| v["kind"] == "verify"),
                "{} answered the challenge itself: {verified:?}",
                r.lib
            );
        }

        // The user writes first (opening the service window), the business answers, then
        // the user sends one message of every other kind.
        let user = "15550004242";
        let hello = json!({"from": user, "type": "text", "text": {"body": "Olá! ¿Qué tal? 😀"}});
        let mut inbound = vec![app.inject(hello.clone()).await["wamid"].clone()];
        let sent = app
            .send(json!({"to": user, "type": "text", "text": {"body": "Thanks, on its way"}}))
            .await;
        let mut messages = vec![hello];
        messages.extend(inbound_of_every_type(user, &sent));
        for m in &messages[1..] {
            inbound.push(app.inject(m.clone()).await["wamid"].clone());
        }
        app.simple_template("welcome", "en").await;
        let failed = app
            .send(json!({"to": "15550009999", "type": "template",
                "template": {"name": "welcome", "language": {"code": "en"}}}))
            .await;
        // Every inbound message, sent/delivered/read of one and failed of the other.
        let expected = messages.len() + 4;

        for r in &receivers {
            let got = r.wait(expected).await;
            let bad: Vec<_> = got
                .iter()
                .filter(|v| {
                    ![
                        "message",
                        "callback_button",
                        "callback_selection",
                        "flow_completion",
                        "status",
                    ]
                    .contains(&v["kind"].as_str().unwrap_or_default())
                })
                .collect();
            assert!(bad.is_empty(), "{} on {}: {bad:?}", r.lib, app.backend);
            assert_eq!(got.len(), expected, "{}: {got:?}", r.lib);
            for (id, m) in inbound.iter().zip(&messages) {
                let seen: Vec<_> = got.iter().filter(|v| v["id"] == *id).collect();
                assert_eq!(seen.len(), 1, "{}: {m} as {seen:?}", r.lib);
                assert_eq!(seen[0]["from"], user, "{}: {:?}", r.lib, seen[0]);
            }
            let statuses = |wamid: &str| -> Vec<Value> {
                got.iter()
                    .filter(|v| v["kind"] == "status" && v["id"] == wamid)
                    .cloned()
                    .collect()
            };
            let ours = statuses(&sent);
            let names: Vec<_> = ours.iter().map(|s| s["status"].clone()).collect();
            assert_eq!(names, ["sent", "delivered", "read"], "{}", r.lib);
            assert!(
                ours.iter().all(|s| s["from"] == user),
                "{}: {ours:?}",
                r.lib
            );
            let failure = statuses(&failed);
            assert_eq!(failure.len(), 1, "{}: {got:?}", r.lib);
            assert_eq!(failure[0]["status"], "failed");
            assert_eq!(failure[0]["error_code"], 131026, "{}: {failure:?}", r.lib);
        }
        // pywa made typed callbacks of the replies and the flow, not plain messages.
        let pywa_got = receivers[0].received().await;
        for (kind, index) in [
            ("callback_button", 8),
            ("callback_selection", 9),
            ("flow_completion", 10),
            ("callback_button", 11),
        ] {
            let rec = pywa_got.iter().find(|v| v["id"] == inbound[index]).unwrap();
            assert_eq!(rec["kind"], kind, "{rec}");
        }
        app.stop().await;
    }
}

#[tokio::test]
#[ignore = "real client libraries (pywa, whatsapp-api-js, kapso, S3): `cargo test -- --include-ignored`, as CI runs"]
async fn the_libraries_refuse_what_is_not_signed_with_their_secret() {
    let (python, node_modules) = install().await;
    let app = crate::helpers::spawn_app().await;
    for r in [
        SdkReceiver::pywa(&python, &app).await,
        SdkReceiver::wajs(&node_modules, &app).await,
    ] {
        // A subscription with another secret: wagate's POSTs are refused, so they stay
        // pending and retried, never reported as delivered.
        let res = app
            .post_json(
                "/api/v1/webhooks",
                &json!({"url": r.url, "secret": "not-the-receivers-secret", "verify_token": TOKEN}),
            )
            .await;
        assert_eq!(res.status(), 201);
        let sub: Value = res.json().await.unwrap();
        app.inject(json!({"from": "15550004343", "type": "text", "text": {"body": "hi"}}))
            .await;
        let got = r.wait(1).await;
        assert_eq!(got[0]["kind"], "rejected", "{}: {got:?}", r.lib);
        // The refusal is recorded just after the library answers: once drain returns, every
        // POST started has been recorded.
        app.app.drain().await.unwrap();
        let log: Value = app
            .get(&format!(
                "/api/v1/webhooks/{}/deliveries",
                sub["id"].as_str().unwrap()
            ))
            .await
            .json()
            .await
            .unwrap();
        let row = &log["data"][0];
        assert_eq!(row["status"], "pending", "{}: {log}", r.lib);
        assert!(row["last_status_code"].as_u64().unwrap() >= 400, "{row}");
        let res = app
            .req(
                reqwest::Method::DELETE,
                &format!("/api/v1/webhooks/{}", sub["id"].as_str().unwrap()),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 204);
    }
    app.stop().await;
}

#[tokio::test]
#[ignore = "real client libraries (pywa, whatsapp-api-js, kapso, S3): `cargo test -- --include-ignored`, as CI runs"]
async fn pywa_parses_template_status_updates() {
    let (python, _) = install().await;
    let apps = crate::helpers::spawn_apps_with(|c| c.templates.review_delay_ms = 50).await;
    for app in apps {
        let pywa = SdkReceiver::pywa(&python, &app).await;
        let res = app
            .post_json(
                "/api/v1/webhooks",
                &json!({"url": pywa.url, "secret": SECRET, "verify_token": TOKEN,
                    "fields": ["message_template_status_update"]}),
            )
            .await;
        assert_eq!(res.status(), 201);
        let channels: Value = app.get("/api/v1/channels").await.json().await.unwrap();
        let waba = channels["data"][0]["waba_id"].as_str().unwrap().to_owned();
        let created: Value = app
            .post_json(
                &format!("/v23.0/{waba}/message_templates"),
                &json!({"name": "shipping_update", "language": "en", "category": "UTILITY",
                    "components": [{"type": "BODY", "text": "Hello {{1}}, your parcel is on its way to you.",
                        "example": {"body_text": [["Ana"]]}}]}),
            )
            .await
            .json()
            .await
            .unwrap();
        let got = pywa.wait(1).await;
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(
            got[0]["kind"], "template_status",
            "{}: {got:?}",
            app.backend
        );
        assert_eq!(got[0]["event"], "APPROVED");
        assert_eq!(got[0]["template_name"], "shipping_update");
        assert_eq!(
            got[0]["id"].to_string().trim_matches('"'),
            created["id"].as_str().unwrap()
        );
        app.stop().await;
    }
}
