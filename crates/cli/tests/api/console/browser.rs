//! Browser stories: each starts a wagate, makes its fixtures through the API, and runs a
//! Playwright script of `conformance/console/` in Debian's headless chromium (installed by
//! `conformance/console/setup.sh`: a venv with the pinned Playwright; no browser download).
//! Screenshots of every page, at 1280×800 and 390×844, go to `target/console-screenshots/`.

use std::path::PathBuf;
use std::process::Stdio;

use serde_json::{Value, json};
use tokio::process::Command;

use crate::helpers::{TestApp, spawn_app};
use crate::sdk::conformance_dir;

/// Where the stories save their screenshots (CI keeps the folder as an artifact).
pub fn screenshots_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/console-screenshots")
}

/// `(python, chromium)`, installing Playwright on first use.
async fn install() -> (String, String) {
    let cache =
        std::env::var("WAGATE_CONSOLE_CACHE").unwrap_or_else(|_| "/tmp/wagate-console".to_owned());
    let out = Command::new("bash")
        .arg(conformance_dir().join("console/setup.sh"))
        .arg(&cache)
        .stderr(Stdio::inherit())
        .output()
        .await
        .expect("run conformance/console/setup.sh (needs bash and python3)");
    assert!(
        out.status.success(),
        "conformance/console/setup.sh failed: it installs Playwright for Python from PyPI and \
         needs Debian's chromium (apt-get install chromium)"
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let value = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .unwrap_or_else(|| panic!("setup.sh printed no {key}: {text}"))
            .to_owned()
    };
    (value("python="), value("chromium="))
}

/// Runs `conformance/console/story_<name>.py` against `app`, signed in with `key`, with
/// `fixtures`; fails the test with the script's output unless every expectation held.
pub async fn run_story(app: &TestApp, name: &str, key: &str, fixtures: Value) {
    let (python, chromium) = install().await;
    let dir = conformance_dir().join("console");
    let out = Command::new(python)
        .arg(dir.join(format!("story_{name}.py")))
        .current_dir(&dir)
        .env("WAGATE_URL", &app.base_url)
        .env("WAGATE_KEY", key)
        .env("WAGATE_FIXTURES", fixtures.to_string())
        .env("WAGATE_SCREENSHOTS", screenshots_dir())
        .env("CHROMIUM", chromium)
        .output()
        .await
        .expect("run the story");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("story passed"),
        "browser story `{name}` failed:\n{stdout}\n{stderr}"
    );
}

/// A key limited to `channel`: its secret.
pub async fn scoped_key(app: &TestApp, channel: &str) -> String {
    let res = app
        .post_json(
            "/api/v1/api-keys",
            &json!({"name": "scoped", "channel_ids": [channel]}),
        )
        .await;
    assert_eq!(res.status(), 201, "scoped key");
    let body: Value = res.json().await.unwrap();
    body["key"].as_str().expect("the key's secret").to_owned()
}

#[tokio::test]
#[ignore = "a browser story: drives Debian's chromium with Playwright (installs it first)"]
async fn access_sign_in_out_csrf_and_scoped_keys() {
    let app = spawn_app().await;
    let second = app.create_channel(&app.api_key, "Second Shop").await;
    let second_id = second["id"].as_str().unwrap();
    let key = scoped_key(&app, second_id).await;
    run_story(
        &app,
        "access",
        &app.api_key,
        json!({
            "all_channels": ["Second Shop", first_channel_name(&app).await],
            "scoped_key": key,
            "scoped_channel": "Second Shop",
        }),
    )
    .await;
    app.stop().await;
}

/// The verified name of the channel first start created.
pub async fn first_channel_name(app: &TestApp) -> String {
    let body: Value = app.get("/api/v1/channels").await.json().await.unwrap();
    body["data"][0]["verified_name"]
        .as_str()
        .unwrap()
        .to_owned()
}
