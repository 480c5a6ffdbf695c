//! The pinned, unmodified client libraries the SDK tests drive: where the conformance
//! scripts are, and `conformance/webhooks/setup.sh`, which installs pywa, whatsapp-api-js and
//! @kapso/whatsapp-cloud-api into a cache (`WAGATE_SDK_CACHE`, default /tmp/wagate-sdk).

use std::path::PathBuf;
use std::process::Stdio;

use tokio::process::Command;

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
