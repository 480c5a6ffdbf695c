//! Media uploaded, read, downloaded, sent and deleted with real, unmodified client
//! libraries' own media calls — pywa (PyPI) and @kapso/whatsapp-cloud-api (npm) — round-trip
//! through wagate. The scripts in `conformance/media/` drive each library against a running
//! server and print one JSON line per operation (`ok` meaning "behaved as a client expects",
//! refusals included); this test judges them and checks over wagate's HTTP that every
//! message they sent by media id is stored with that id and was delivered.
//! `conformance/webhooks/setup.sh` installs the pinned versions (idempotent, cached in
//! `$WAGATE_SDK_CACHE` or `/tmp/wagate-sdk`).
//!
//! Only the SQLite server is used: the point is the libraries' wire format, not storage.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::process::Command;

use crate::helpers::{TestApp, from_now, spawn_app};
use crate::sdk::{conformance_dir, install};

/// The virtual user the scripts send to.
const TO: &str = "+15551230001";
/// A server whose sandbox delivers and reads in tens of milliseconds, with the virtual
/// user's message already in (so the service window is open for media messages).
async fn server() -> TestApp {
    let app = spawn_app().await;
    app.configure_sandbox(json!({})).await;
    app.inject(json!({"from": TO.trim_start_matches('+'), "text": {"body": "hi"}}))
        .await;
    app
}

/// Runs one library's script against `app` and returns its JSON lines.
async fn run(lib: &str, mut cmd: Command, app: &TestApp) -> Vec<Value> {
    crate::sdk::for_app(&mut cmd, app).args(["--to", TO]);
    crate::sdk::run_script(lib, cmd).await
}

/// The stored message once the network has reported on it; `None` when it is not stored.
/// The workers are driven rather than waited for, a minute on and then two (well past the
/// sandbox's 20 ms delays): the first drain hands over what is queued and applies the
/// reports due, the second the reports that its own hand-overs scheduled.
async fn delivered(app: &TestApp, wamid: &str) -> Option<Value> {
    for ahead in [60, 120] {
        app.app
            .drain_at(from_now(Duration::from_secs(ahead)))
            .await
            .unwrap();
    }
    let res = app.get(&format!("/api/v1/messages/{wamid}")).await;
    if res.status() == 200 {
        Some(res.json().await.unwrap())
    } else {
        None
    }
}

/// Judges a script's report: every `expected` op present and ok, no other op failed, the
/// refusals carry Graph code 100, and each send is stored as a delivered message of
/// `(op, type)` with the uploaded id. Every problem found, so one run shows them all.
async fn problems(
    lib: &str,
    app: &TestApp,
    expected: &[&str],
    sends: &[(&str, &str)],
    ops: &[Value],
) -> Vec<String> {
    let mut problems = Vec::new();
    let find = |op: &str| ops.iter().find(|o| o["op"] == op);
    for op in expected {
        match find(op) {
            Some(o) if o["ok"] == true => {}
            other => problems.push(format!("{op}: {other:?}")),
        }
    }
    for o in ops {
        let known = o["op"].as_str().is_some_and(|op| expected.contains(&op));
        if !known && o["ok"] != true {
            problems.push(format!("unexpected failing op: {o}"));
        }
    }
    // The refusals: Graph code 100 as the library parsed it.
    for op in expected
        .iter()
        .filter(|op| op.starts_with("get_deleted_") || **op == "upload_mismatch")
    {
        if let Some(o) = find(op)
            && o["detail"]["code"] != 100
        {
            problems.push(format!("{op}: not refused with code 100: {o}"));
        }
    }
    for (op, kind) in sends {
        let Some(o) = find(op) else { continue };
        let (Some(wamid), Some(media_id)) =
            (o["detail"]["id"].as_str(), o["detail"]["media_id"].as_str())
        else {
            continue;
        };
        match delivered(app, wamid).await {
            Some(m)
                if (m["status"] == "delivered" || m["status"] == "read")
                    && m["direction"] == "outbound"
                    && m["type"] == *kind
                    && m["content"]["id"] == media_id => {}
            Some(m) => problems.push(format!(
                "{op}: {wamid} stored as {m}, not a delivered {kind} of media {media_id}"
            )),
            None => problems.push(format!("{op}: {wamid} not stored")),
        }
    }
    problems
        .into_iter()
        .map(|p| format!("{lib}: {p}"))
        .collect()
}

fn report(problems: &[String], ops: &[Value]) -> String {
    format!(
        "{}\n\nthe script's report:\n{}",
        problems.join("\n"),
        ops.iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    )
}

#[tokio::test]
#[ignore = "real client libraries (pywa, whatsapp-api-js, kapso, S3): `cargo test -- --include-ignored`, as CI runs"]
async fn pywa_media_round_trips() {
    let (python, _) = install().await;
    let app = server().await;
    let mut cmd = Command::new(&python);
    cmd.arg(conformance_dir().join("media/pywa_media.py"));
    let ops = run("pywa", cmd, &app).await;
    let expected = [
        // upload_media from bytes, from a file path, from a file object.
        "upload_png_bytes",
        "upload_pdf_path",
        "upload_png_file",
        // get_media_url.
        "info_png",
        "info_pdf",
        "info_png_file",
        // download_media, MediaURL.get_bytes, Media.download.
        "download_png",
        "get_bytes_png",
        "download_pdf",
        // send_image by id string, send_document by Media object.
        "send_image",
        "send_document",
        // delete_media with and without phone_id, Media.delete.
        "delete_png",
        "delete_pdf",
        "delete_png_file",
        "get_deleted_png",
        "get_deleted_pdf",
        "get_deleted_png_file",
        "download_deleted",
        "upload_mismatch",
    ];
    let sends = [("send_image", "image"), ("send_document", "document")];
    let problems = problems("pywa", &app, &expected, &sends, &ops).await;
    assert!(problems.is_empty(), "{}", report(&problems, &ops));
    app.stop().await;
}

#[tokio::test]
#[ignore = "real client libraries (pywa, whatsapp-api-js, kapso, S3): `cargo test -- --include-ignored`, as CI runs"]
async fn kapso_media_round_trips() {
    let (_, node_modules) = install().await;
    let app = server().await;
    let mut cmd = Command::new("node");
    cmd.arg(conformance_dir().join("media/kapso_media.mjs"))
        .args(["--node-modules", &node_modules]);
    let ops = run("kapso", cmd, &app).await;
    let expected = [
        // media.upload from a Uint8Array and from a typed Blob.
        "upload_png",
        "upload_pdf",
        // media.get.
        "info_png",
        "info_pdf",
        // media.download without the token (auth "auto") and with it (auth "always").
        "download_png",
        "download_pdf",
        // messages.sendImage / sendDocument by id.
        "send_image",
        "send_document",
        // media.delete with and without phoneNumberId.
        "delete_png",
        "delete_pdf",
        "get_deleted_png",
        "get_deleted_pdf",
        // client.rawFetch of the URL given before the delete.
        "download_deleted",
        "upload_mismatch",
    ];
    let sends = [("send_image", "image"), ("send_document", "document")];
    let problems = problems("kapso", &app, &expected, &sends, &ops).await;
    assert!(problems.is_empty(), "{}", report(&problems, &ops));
    app.stop().await;
}
