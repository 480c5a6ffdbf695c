//! The pinned, unmodified client libraries the SDK tests drive: where the conformance
//! scripts are, `conformance/webhooks/setup.sh`, which installs pywa, whatsapp-api-js and
//! @kapso/whatsapp-cloud-api into a cache (`WAGATE_SDK_CACHE`, default /tmp/wagate-sdk), and
//! the one way a test runs a script ([`run_script`]) and judges its report ([`judge`]).

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::process::Command;

use crate::helpers::TestApp;

/// How long a conformance script may run.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(60);

/// `cmd` with `app`'s `--base-url`, `--token` (its account key) and `--phone-id` (its first
/// number), the arguments every script takes.
pub fn for_app<'c>(cmd: &'c mut Command, app: &TestApp) -> &'c mut Command {
    cmd.args(["--base-url", &app.base_url, "--token", &app.api_key])
        .args(["--phone-id", &app.phone_number_id])
}

/// Runs one library's conformance script, `cmd` with every argument it needs, and returns
/// its report: one JSON object per line of its output. Panics, naming `lib` and showing its
/// output, when it cannot start, runs over [`SCRIPT_TIMEOUT`], exits unsuccessfully or
/// prints a line that is not JSON.
pub async fn run_script(lib: &str, mut cmd: Command) -> Vec<Value> {
    cmd.stdin(Stdio::null()).kill_on_drop(true);
    let out = tokio::time::timeout(SCRIPT_TIMEOUT, cmd.output())
        .await
        .unwrap_or_else(|_| panic!("{lib} script ran over {SCRIPT_TIMEOUT:?}"))
        .unwrap_or_else(|e| panic!("start {lib} script: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{lib} script exited {}:\n{stdout}\n{stderr}",
        out.status
    );
    stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("{lib} printed a non-JSON line ({e}): {l}\n{stderr}"))
        })
        .collect()
}

/// What is wrong with a script's report (`{"op", "ok", …}` lines): each operation of
/// `expected` missing or not ok, and each other one that failed.
pub fn problems(expected: &[&str], ops: &[Value]) -> Vec<String> {
    let mut problems = Vec::new();
    for op in expected {
        match ops.iter().find(|o| o["op"] == *op) {
            Some(o) if o["ok"] == true => {}
            other => problems.push(format!("{op}: {other:?}")),
        }
    }
    for o in ops.iter().filter(|o| o["ok"] != true) {
        if !expected.contains(&o["op"].as_str().unwrap_or_default()) {
            problems.push(format!("unexpected failure: {o}"));
        }
    }
    problems
}

/// Asserts a script's report has no [`problems`]; every problem found, so one run shows
/// them all.
pub fn judge(lib: &str, expected: &[&str], ops: &[Value]) {
    let problems = problems(expected, ops);
    assert!(problems.is_empty(), "{lib}:\n{}", problems.join("\n"));
}

/// The repository's `conformance/` directory.
pub fn conformance_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../conformance")
}

/// Runs `setup.sh` (a no-op once installed): `(python, node_modules)`.
pub async fn install() -> (String, String) {
    let cache = std::env::var("WAGATE_SDK_CACHE").unwrap_or_else(|_| "/tmp/wagate-sdk".to_owned());
    let out = Command::new("bash")
        .arg(conformance_dir().join("webhooks/setup.sh"))
        .arg(&cache)
        .stderr(Stdio::inherit())
        .output()
        .await
        .expect("run conformance/webhooks/setup.sh (needs bash, python3 and npm)");
    assert!(
        out.status.success(),
        "conformance/webhooks/setup.sh failed: it installs pywa from PyPI and \
         whatsapp-api-js and @kapso/whatsapp-cloud-api from npm, and needs python3 and npm"
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let value = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .unwrap_or_else(|| panic!("setup.sh printed no {key}: {text}"))
            .to_owned()
    };
    (value("VENV_PYTHON="), value("NODE_MODULES="))
}

/// The venv's python, with pywa.
pub async fn pywa_python() -> String {
    install().await.0
}
