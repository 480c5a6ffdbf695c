//! Templates made with real, unmodified client libraries' template builders — pywa (PyPI)
//! and @kapso/whatsapp-cloud-api (npm) — are accepted, listed, approved and sent by wagate.
//! The scripts in `conformance/templates/` drive each library against a running server and
//! print one JSON line per operation; this test judges them and checks every message they
//! sent is stored as that template. `conformance/webhooks/setup.sh` installs the pinned
//! versions (idempotent, cached in `$WAGATE_SDK_CACHE` or `/tmp/wagate-sdk`).
//!
//! Only the SQLite server is used: the point is the libraries' wire format, not storage.

use serde_json::Value;
use tokio::process::Command;

use crate::helpers::{TestApp, spawn_apps_with};
use crate::sdk::{conformance_dir, install};
/// A server that approves every template 200 ms after creation, and a fresh sandbox
/// channel on it: `(app, phone_number_id, waba_id)`.
async fn server(lib: &str) -> (TestApp, String, String) {
    let app = spawn_apps_with(|c| {
        c.templates.approve_all = true;
        c.templates.review_delay_ms = 200;
    })
    .await
    .into_iter()
    .next()
    .unwrap();
    let channel = app
        .create_channel(&app.api_key, &format!("{lib} Templates"))
        .await;
    let field = |k: &str| channel[k].as_str().unwrap().to_owned();
    let (phone, waba) = (field("phone_number_id"), field("waba_id"));
    (app, phone, waba)
}

/// Runs one library's script against `app` and returns its JSON lines.
async fn run(lib: &str, mut cmd: Command, app: &TestApp, phone: &str, waba: &str) -> Vec<Value> {
    cmd.args(["--base-url", &app.base_url, "--token", &app.api_key])
        .args(["--waba-id", waba, "--phone-id", phone])
        .args(["--to", "+15551230001", "--wait", "15"]);
    crate::sdk::run_script(lib, cmd).await
}

/// Judges a script's report; every problem found, so one run shows them all.
async fn problems(lib: &str, app: &TestApp, names: &[&str], ops: &[Value]) -> Vec<String> {
    let mut problems = Vec::new();
    let find = |op: &str, name: Option<&str>| {
        ops.iter()
            .find(|o| o["op"] == op && name.is_none_or(|n| o["template"] == n))
    };
    for op in ops.iter().filter(|o| o["op"] == "build") {
        problems.push(format!("building the templates failed: {op}"));
    }
    match find("list", None) {
        Some(o) if o["ok"] == true => {}
        other => problems.push(format!("list: {other:?}")),
    }
    for name in names {
        for op in ["create", "approved", "send"] {
            match find(op, Some(name)) {
                Some(o) if o["ok"] == true => {}
                other => problems.push(format!("{op} {name}: {other:?}")),
            }
        }
        let Some(wamid) = find("send", Some(name)).and_then(|o| o["detail"]["id"].as_str()) else {
            continue;
        };
        if !wamid.starts_with("wamid.") {
            problems.push(format!("send {name}: message id {wamid} is no wamid"));
            continue;
        }
        let res = app.get(&format!("/api/v1/messages/{wamid}")).await;
        if res.status() != 200 {
            problems.push(format!(
                "send {name}: {wamid} not stored ({})",
                res.status()
            ));
            continue;
        }
        let message: Value = res.json().await.unwrap();
        if message["type"] != "template"
            || message["content"]["name"] != *name
            || message["content"]["language"]["code"] != "en_US"
            || message["status"] == "failed"
        {
            problems.push(format!("send {name}: {wamid} stored as {message}"));
        }
    }
    // The send with a missing body parameter: refused with a template error (132xxx) or
    // a plain invalid-parameter error (100).
    match find("send_invalid", None) {
        Some(o) if o["ok"] == false => {
            let code = o["detail"]["code"].as_u64().unwrap_or(0);
            let expected = code == 100 || (132_000..133_000).contains(&code);
            if !expected {
                problems.push(format!(
                    "send_invalid refused with an unexpected error: {o}"
                ));
            }
        }
        other => problems.push(format!(
            "send_invalid (no body parameters) was not refused: {other:?}"
        )),
    }
    problems
        .into_iter()
        .map(|p| format!("{lib}: {p}"))
        .collect()
}

#[tokio::test]
#[ignore = "real client libraries (pywa, whatsapp-api-js, kapso, S3): `cargo test -- --include-ignored`, as CI runs"]
async fn pywa_templates_are_created_listed_approved_and_sent() {
    let (python, _) = install().await;
    let (app, phone, waba) = server("pywa").await;
    let mut cmd = Command::new(&python);
    cmd.arg(conformance_dir().join("templates/pywa_templates.py"));
    let ops = run("pywa", cmd, &app, &phone, &waba).await;
    let names = [
        "pywa_marketing",
        "pywa_named_utility",
        "pywa_auth",
        "pywa_coupon",
        "pywa_image",
    ];
    let problems = problems("pywa", &app, &names, &ops).await;
    assert!(
        problems.is_empty(),
        "{}\n\nthe script's report:\n{}",
        problems.join("\n"),
        ops.iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
    app.stop().await;
}

#[tokio::test]
#[ignore = "real client libraries (pywa, whatsapp-api-js, kapso, S3): `cargo test -- --include-ignored`, as CI runs"]
async fn kapso_templates_are_created_listed_approved_and_sent() {
    let (_, node_modules) = install().await;
    let (app, phone, waba) = server("kapso").await;
    let mut cmd = Command::new("node");
    cmd.arg(conformance_dir().join("templates/kapso_templates.mjs"))
        .args(["--node-modules", &node_modules]);
    let ops = run("kapso", cmd, &app, &phone, &waba).await;
    let names = [
        "kapso_marketing",
        "kapso_named_utility",
        "kapso_auth",
        "kapso_coupon",
        "kapso_image",
    ];
    let problems = problems("kapso", &app, &names, &ops).await;
    assert!(
        problems.is_empty(),
        "{}\n\nthe script's report:\n{}",
        problems.join("\n"),
        ops.iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
    app.stop().await;
}
