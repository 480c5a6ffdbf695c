//! `wagate backup` and `wagate restore` with the real binary: a backup taken while a server
//! accepts sends holds every message acknowledged before it began, and restores into a
//! working server (media key and bytes included).

use std::collections::HashSet;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const BIN: &str = env!("CARGO_BIN_EXE_wagate");

fn wagate(args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args).kill_on_drop(true);
    for (k, _) in std::env::vars() {
        if k.starts_with("WAGATE_") {
            cmd.env_remove(k);
        }
    }
    cmd
}

/// `wagate serve` on `data`; its base URL once it listens.
async fn serve(data: &Path) -> (Child, String) {
    let mut child = wagate(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        data.to_str().unwrap(),
        "--log",
        "warn",
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::inherit())
    .spawn()
    .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("wagate printed in time")
        .unwrap()
        .expect("a first line");
    let base = first
        .strip_prefix("wagate is listening on ")
        .and_then(|s| s.split(' ').next())
        .unwrap_or_else(|| panic!("unexpected first line: {first}"))
        .to_owned();
    // Keep reading so the child never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, base)
}

fn creds(data: &Path) -> (String, String) {
    let file = std::fs::read_to_string(data.join("credentials.env")).unwrap();
    let get = |k: &str| {
        file.lines()
            .find_map(|l| l.strip_prefix(&format!("{k}=")))
            .unwrap()
            .to_owned()
    };
    (get("WAGATE_API_KEY"), get("WAGATE_PHONE_NUMBER_ID"))
}

struct Out {
    ok: bool,
    stdout: String,
    stderr: String,
}

async fn run(args: &[&str]) -> Out {
    let out = wagate(args).output().await.unwrap();
    Out {
        ok: out.status.success(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn send(
    client: &reqwest::Client,
    base: &str,
    key: &str,
    pnid: &str,
    i: u64,
) -> reqwest::RequestBuilder {
    client
        .post(format!("{base}/v23.0/{pnid}/messages"))
        .bearer_auth(key)
        .json(
            &json!({"messaging_product": "whatsapp", "to": format!("1650555{:04}", i % 50),
            "type": "text", "text": {"body": format!("backup under load {i}")}}),
        )
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn a_backup_under_load_restores_every_acknowledged_message() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (mut server, base) = serve(&data).await;
    let (key, pnid) = creds(&data);
    let client = crate::helpers::http_client();

    // A media file, so the backup must carry the URL key and the bytes.
    let pdf = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
    let form = reqwest::multipart::Form::new()
        .text("messaging_product", "whatsapp")
        .part(
            "file",
            reqwest::multipart::Part::bytes(pdf.to_vec())
                .file_name("menu.pdf")
                .mime_str("application/pdf")
                .unwrap(),
        );
    let media: Value = client
        .post(format!("{base}/v23.0/{pnid}/media"))
        .bearer_auth(&key)
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let media_id = media["id"].as_str().expect("uploaded").to_owned();
    let signed: Value = client
        .get(format!("{base}/v23.0/{media_id}"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let signed_path = signed["url"]
        .as_str()
        .unwrap()
        .strip_prefix(&base)
        .unwrap()
        .to_owned();

    // Senders run until told to stop; each acknowledged id is recorded.
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let senders: Vec<_> = (0..4u64)
        .map(|n| {
            let (client, base, key, pnid) =
                (client.clone(), base.clone(), key.clone(), pnid.clone());
            let (acked, stop) = (acked.clone(), stop.clone());
            tokio::spawn(async move {
                let mut i = n;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let res = send(&client, &base, &key, &pnid, i).send().await.unwrap();
                    assert_eq!(res.status(), 200);
                    let body: Value = res.json().await.unwrap();
                    let id = body["messages"][0]["id"].as_str().unwrap().to_owned();
                    acked.lock().unwrap().push(id);
                    i += 4;
                }
            })
        })
        .collect();
    // Load first (the server is another process), then the backup while the senders keep
    // going.
    let before = crate::helpers::eventually(
        "the server accepting sends",
        Duration::from_secs(6),
        || async {
            let acked = acked.lock().unwrap().clone();
            if acked.len() >= 200 {
                Ok(acked)
            } else {
                Err(format!("{} acknowledged", acked.len()))
            }
        },
    )
    .await;
    let backup = dir.path().join("backups/wagate.backup");
    let out = run(&[
        "backup",
        backup.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
    ])
    .await;
    assert!(out.ok, "{}", out.stderr);
    assert!(
        out.stdout.contains("media.key")
            && out.stdout.contains("1 media file(s)")
            && out.stdout.contains("secrets.key (the master key"),
        "{}",
        out.stdout
    );
    let during = acked.lock().unwrap().len();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for s in senders {
        s.await.unwrap();
    }
    assert!(during > before.len(), "sends went on while the backup ran");
    #[cfg(unix)]
    assert_eq!(mode(&backup), 0o600);

    // Never over an existing file, nor over a database a server has open.
    let again = run(&[
        "backup",
        backup.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
    ])
    .await;
    assert!(
        !again.ok && again.stderr.contains("--force"),
        "{}",
        again.stderr
    );
    let busy = run(&[
        "restore",
        backup.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
        "--force",
    ])
    .await;
    assert!(
        !busy.ok && busy.stderr.contains("has") && busy.stderr.contains("open"),
        "{}",
        busy.stderr
    );
    server.kill().await.unwrap();

    // Restore into a fresh data directory.
    let fresh = dir.path().join("fresh");
    let f = fresh.to_str().unwrap();
    let out = run(&["restore", backup.to_str().unwrap(), "--data-dir", f]).await;
    assert!(out.ok, "{}", out.stderr);
    assert!(out.stdout.contains("integrity ok"), "{}", out.stdout);
    #[cfg(unix)]
    for file in ["wagate.db", "media.key"] {
        assert_eq!(mode(&fresh.join(file)), 0o600, "{file}");
    }
    let out = run(&["restore", backup.to_str().unwrap(), "--data-dir", f]).await;
    assert!(!out.ok && out.stderr.contains("--force"), "{}", out.stderr);
    // A damaged backup is refused before anything is replaced.
    let damaged = dir.path().join("damaged.backup");
    let mut bytes = std::fs::read(&backup).unwrap();
    bytes.truncate(bytes.len() / 2);
    std::fs::write(&damaged, bytes).unwrap();
    let out = run(&[
        "restore",
        damaged.to_str().unwrap(),
        "--data-dir",
        f,
        "--force",
    ])
    .await;
    assert!(!out.ok, "a damaged backup was restored: {}", out.stdout);

    // The secrets' master key is kept apart from backups: the operator brings it back.
    let master = std::fs::read(data.join("secrets.key")).unwrap();
    std::fs::write(fresh.join("secrets.key"), master).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let private = std::fs::Permissions::from_mode(0o600);
        std::fs::set_permissions(fresh.join("secrets.key"), private).unwrap();
    }
    let (mut restored, base) = serve(&fresh).await;
    let (key, pnid) = (key.clone(), pnid.clone());
    let listed: HashSet<String> = {
        let mut ids = HashSet::new();
        let mut after: Option<String> = None;
        loop {
            let mut url = format!("{base}/api/v1/messages?limit=100");
            if let Some(a) = &after {
                url.push_str(&format!("&after={a}"));
            }
            let page: Value = client
                .get(url)
                .bearer_auth(&key)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let data = page["data"].as_array().unwrap();
            for m in data {
                ids.insert(m["wamid"].as_str().unwrap().to_owned());
            }
            after = page["next_after"].as_str().map(str::to_owned);
            if data.is_empty() || after.is_none() {
                break;
            }
        }
        ids
    };
    let missing: Vec<&String> = before.iter().filter(|id| !listed.contains(*id)).collect();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged messages missing",
        missing.len(),
        before.len()
    );
    for id in before.iter().step_by(50) {
        let res = client
            .get(format!("{base}/api/v1/messages/{id}"))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{id}");
    }
    // The media URL signed before the backup still works: same key, same bytes.
    let res = client
        .get(format!("{base}{signed_path}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().as_ref(), pdf);
    // And the restored server works.
    let res = send(&client, &base, &key, &pnid, 9999)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    restored.kill().await.unwrap();
}
