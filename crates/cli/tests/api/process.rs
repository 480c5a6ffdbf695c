//! The real `wagate` binary: first start, restart, signals, the admin CLI and settings.

use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};
use wagate_app::App;
use wagate_core::api_key::KeyChannels;

use crate::helpers::{eventually, fresh_postgres_url};

const BIN: &str = env!("CARGO_BIN_EXE_wagate");

/// A `wagate` command with no `WAGATE_*` variables inherited from the test's environment.
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

struct Running {
    child: Child,
    stdout: Lines<BufReader<ChildStdout>>,
    base_url: String,
}

async fn next_line(lines: &mut Lines<BufReader<ChildStdout>>) -> Option<String> {
    tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("wagate printed in time")
        .unwrap()
}

async fn serve(data_dir: &Path, database: Option<&str>) -> Running {
    serve_with(data_dir, database, &[]).await
}

/// `wagate serve` on `data_dir` with `extra` arguments.
async fn serve_with(data_dir: &Path, database: Option<&str>, extra: &[&str]) -> Running {
    let mut args = vec![
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        data_dir.to_str().unwrap(),
        "--log",
        "warn",
        // The tests' receivers and "Meta" listen on loopback.
        "--allow-private-networks",
    ];
    if let Some(db) = database {
        args.extend(["--database", db]);
    }
    args.extend(extra);
    let child = wagate(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    running(child).await
}

/// A spawned `wagate serve` (stdout piped) once it says where it listens.
async fn running(mut child: Child) -> Running {
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = next_line(&mut stdout).await.expect("a first line");
    let base_url = first
        .strip_prefix("wagate is listening on ")
        .and_then(|s| s.split(' ').next())
        .unwrap_or_else(|| panic!("unexpected first line: {first}"))
        .to_owned();
    Running {
        child,
        stdout,
        base_url,
    }
}

async fn signal_and_wait(mut running: Running, signal: &str) {
    let pid = running.child.id().unwrap().to_string();
    let status = Command::new("kill")
        .args([signal, &pid])
        .status()
        .await
        .unwrap();
    assert!(status.success());
    let exit = tokio::time::timeout(Duration::from_secs(15), running.child.wait())
        .await
        .expect("stops in time")
        .unwrap();
    assert!(exit.success(), "clean exit after {signal}: {exit:?}");
}

/// SIGTERM while a request is half sent: wagate stops accepting connections, yet the request
/// completes and is stored, then the process exits cleanly.
async fn request_in_flight_survives_sigterm(mut running: Running, key: &str) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = running.base_url.trim_start_matches("http://").to_owned();
    let body = serde_json::json!({"verified_name": "In flight"}).to_string();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /api/v1/channels HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {key}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\
         Expect: 100-continue\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    // `100 Continue` comes once the handler reads the body: the request is under way (a
    // connection whose headers were not read yet would count as idle at shutdown).
    let mut interim = Vec::new();
    tokio::time::timeout(Duration::from_secs(15), async {
        let mut byte = [0u8; 1];
        while !interim.ends_with(b"\r\n\r\n") {
            stream.read_exact(&mut byte).await.unwrap();
            interim.push(byte[0]);
        }
    })
    .await
    .expect("100 Continue in time");
    assert!(
        interim.starts_with(b"HTTP/1.1 100"),
        "{}",
        String::from_utf8_lossy(&interim)
    );
    stream.write_all(&body.as_bytes()[..5]).await.unwrap();
    stream.flush().await.unwrap();

    let pid = running.child.id().unwrap().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .await
            .unwrap()
            .success()
    );
    // Shutdown has begun once new connections are refused.
    eventually(
        "wagate refusing connections after SIGTERM",
        Duration::from_secs(5),
        || async {
            match tokio::net::TcpStream::connect(&addr).await {
                Ok(_) => Err("a connection accepted"),
                Err(_) => Ok(()),
            }
        },
    )
    .await;

    stream.write_all(&body.as_bytes()[5..]).await.unwrap();
    let mut response = String::new();
    tokio::time::timeout(
        Duration::from_secs(15),
        stream.read_to_string(&mut response),
    )
    .await
    .expect("response in time")
    .unwrap();
    assert!(
        response.starts_with("HTTP/1.1 201"),
        "in-flight request answered: {response}"
    );
    let exit = tokio::time::timeout(Duration::from_secs(15), running.child.wait())
        .await
        .expect("stops")
        .unwrap();
    assert!(exit.success(), "clean exit after SIGTERM: {exit:?}");
}

/// The admin key and phone number id first start wrote to `credentials.env`.
fn key_and_number(data_dir: &Path) -> (String, String) {
    let creds = std::fs::read_to_string(data_dir.join("credentials.env")).unwrap();
    (
        env_value(&creds, "WAGATE_API_KEY").to_owned(),
        env_value(&creds, "WAGATE_PHONE_NUMBER_ID").to_owned(),
    )
}

fn env_value<'a>(file: &'a str, key: &str) -> &'a str {
    file.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("{key} missing"))
}

async fn first_start_then_restart(database: Option<String>) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut run = serve(&data, database.as_deref()).await;

    // First start prints the credentials once and writes them, private, to credentials.env.
    let mut printed = Vec::new();
    while let Some(line) = next_line(&mut run.stdout).await {
        let done = line.starts_with("Try:");
        printed.push(line);
        if done {
            break;
        }
    }
    let printed = printed.join("\n");
    let file_path = data.join("credentials.env");
    let file = std::fs::read_to_string(&file_path).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&file_path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let key = env_value(&file, "WAGATE_API_KEY").to_owned();
    assert!(printed.contains(&key), "the key is printed once: {printed}");
    assert_eq!(env_value(&file, "WAGATE_BASE_URL"), run.base_url);
    for k in [
        "WAGATE_ACCOUNT_ID",
        "WAGATE_PHONE_NUMBER_ID",
        "WAGATE_WABA_ID",
    ] {
        assert!(printed.contains(env_value(&file, k)), "{k} printed");
    }

    let client = crate::helpers::http_client();
    let created = client
        .post(format!("{}/api/v1/channels", run.base_url))
        .bearer_auth(&key)
        .json(&serde_json::json!({"verified_name": "Kept across restarts"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    request_in_flight_survives_sigterm(run, &key).await;

    // Restart on the same data: nothing new is created, everything is still there.
    let mut run = serve(&data, database.as_deref()).await;
    let extra = tokio::time::timeout(Duration::from_millis(500), run.stdout.next_line()).await;
    assert!(
        !matches!(extra, Ok(Ok(Some(ref l))) if l.contains("First start")),
        "bootstrapped twice: {extra:?}"
    );
    assert_eq!(
        std::fs::read_to_string(&file_path).unwrap(),
        file,
        "credentials.env untouched"
    );
    let list: Value = client
        .get(format!("{}/api/v1/channels", run.base_url))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["verified_name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec!["wagate Sandbox", "Kept across restarts", "In flight"]
    );
    signal_and_wait(run, "-INT").await;
}

#[tokio::test]
async fn first_start_restart_and_signals_on_sqlite() {
    first_start_then_restart(None).await;
}

#[tokio::test]
async fn first_start_restart_and_signals_on_postgres() {
    match fresh_postgres_url().await {
        Some(url) => first_start_then_restart(Some(url)).await,
        None => eprintln!("WAGATE_TEST_POSTGRES_URL unset: skipped"),
    }
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

fn assert_fails(out: &Out, needle: &str) {
    assert!(!out.ok, "expected failure, got: {}", out.stdout);
    let line = out.stderr.trim_end();
    assert_eq!(line.lines().count(), 1, "one line: {line}");
    assert!(
        line.starts_with("error: ") && line.contains(needle),
        "{line}"
    );
}

fn id_after<'a>(text: &'a str, prefix: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.strip_prefix(prefix))
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_else(|| panic!("no `{prefix}` in {text}"))
}

#[tokio::test]
async fn admin_cli_manages_accounts_channels_and_keys() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap().to_owned();
    let d = ["--data-dir", data.as_str()];
    let cli = |args: &[&str]| {
        let mut v: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        v.extend(d.iter().map(|s| s.to_string()));
        v
    };
    let call = |args: &[&str]| {
        let v = cli(args);
        async move { run(&v.iter().map(String::as_str).collect::<Vec<_>>()).await }
    };

    // No database yet: a clear refusal.
    assert_fails(&call(&["account", "list"]).await, "no database at");

    let store = wagate_store_sqlite_open(dir.path()).await;
    let app = App::new(store.clone());
    app.bootstrap(dir.path(), "http://127.0.0.1:1")
        .await
        .unwrap()
        .unwrap();

    let out = call(&["account", "create", "--name", "Beta Foods"]).await;
    assert!(out.ok, "{}", out.stderr);
    let account = id_after(&out.stdout, "Created account ").to_owned();
    let listed = call(&["account", "list"]).await.stdout;
    assert!(listed.contains("Beta Foods") && listed.contains("Default account"));

    assert_fails(&call(&["channel", "list"]).await, "several accounts");
    assert_fails(
        &call(&[
            "channel",
            "create",
            "--account",
            &account,
            "--verified-name",
            "",
        ])
        .await,
        "verified_name: must not be empty",
    );
    assert_fails(
        &call(&[
            "channel",
            "create",
            "--account",
            &account,
            "--verified-name",
            "X",
            "--throughput-mps",
            "0",
        ])
        .await,
        "throughput_mps",
    );
    assert_fails(
        &call(&[
            "channel",
            "create",
            "--account",
            "nope",
            "--verified-name",
            "X",
        ])
        .await,
        "not an account id",
    );
    assert_fails(
        &call(&[
            "channel",
            "create",
            "--account",
            &uuid::Uuid::now_v7().to_string(),
            "--verified-name",
            "X",
        ])
        .await,
        "account does not exist",
    );

    let out = call(&[
        "channel",
        "create",
        "--account",
        &account,
        "--verified-name",
        "Beta Shop",
        "--about",
        "Fresh food",
    ])
    .await;
    assert!(out.ok, "{}", out.stderr);
    let channel = id_after(&out.stdout, "Created channel ").to_owned();
    assert!(
        call(&["channel", "list", "--account", &account])
            .await
            .stdout
            .contains("Beta Shop")
    );
    let shown: Value = serde_json::from_str(
        &call(&["channel", "show", &channel, "--account", &account])
            .await
            .stdout,
    )
    .unwrap();
    assert_eq!(shown["profile"]["about"], "Fresh food");
    let out = call(&[
        "channel",
        "update",
        &channel,
        "--account",
        &account,
        "--throughput-mps",
        "120",
        "--quality-rating",
        "RED",
    ])
    .await;
    assert!(out.ok, "{}", out.stderr);
    let after = app
        .store()
        .get_channel(account.parse().unwrap(), channel.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(after.throughput.per_second(), 120);
    assert_eq!(after.quality_rating.as_str(), "RED");
    assert_fails(
        &call(&["channel", "update", &channel, "--account", &account]).await,
        "nothing to change",
    );
    // Another account's channel is unknown here.
    let default_account = app.list_accounts(&wagate_store::Page::all()).await.unwrap()[0]
        .id
        .to_string();
    assert_fails(
        &call(&["channel", "show", &channel, "--account", &default_account]).await,
        "channel does not exist",
    );

    let out = call(&[
        "key",
        "create",
        "--account",
        &account,
        "--name",
        "ops",
        "--channel",
        &channel,
    ])
    .await;
    assert!(out.ok, "{}", out.stderr);
    let key_id = id_after(&out.stdout, "Created API key ").to_owned();
    let secret = out
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("Secret (shown once, store it now): "))
        .unwrap()
        .to_owned();
    let principal = app
        .authenticate(&secret)
        .await
        .unwrap()
        .expect("the printed key works");
    assert_eq!(
        principal.channels,
        KeyChannels::Only(vec![channel.parse().unwrap()])
    );
    assert!(
        call(&["key", "list", "--account", &account])
            .await
            .stdout
            .contains("ops")
    );
    assert_fails(
        &call(&["key", "revoke", &key_id, "--account", &default_account]).await,
        "API key does not exist",
    );
    assert!(
        call(&["key", "revoke", &key_id, "--account", &account])
            .await
            .ok
    );
    // Revoked by another process: this one's key cache forgets it within a second. A real
    // wait: the cache's entries age on `Instant` with a fixed 1 s TTL, a clock no test can
    // move and no worker step drives.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(
        app.authenticate(&secret).await.unwrap().is_none(),
        "revoked"
    );
    assert_fails(
        &call(&["key", "revoke", "garbage", "--account", &account]).await,
        "not an API key id",
    );
    store.close().await;
}

async fn wagate_store_sqlite_open(dir: &Path) -> Arc<dyn wagate_store::Store> {
    let db = wagate_app::platform::database::Database::Sqlite(dir.join("wagate.db"));
    db.open(1).await.unwrap()
}

#[tokio::test]
async fn settings_layer_defaults_file_env_flags() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("wagate.toml");
    std::fs::write(
        &file,
        "data_dir = \"/from-file\"\nlisten = \"127.0.0.1:9999\"\n",
    )
    .unwrap();
    let f = file.to_str().unwrap();

    let out = run(&["account", "list", "--config", f]).await;
    assert_fails(&out, "/from-file/wagate.db");
    let mut cmd = wagate(&["account", "list", "--config", f]);
    let out = cmd
        .env("WAGATE_DATA_DIR", "/from-env")
        .output()
        .await
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("/from-env/wagate.db"));
    let mut cmd = wagate(&["account", "list", "--config", f, "--data-dir", "/from-flag"]);
    let out = cmd
        .env("WAGATE_DATA_DIR", "/from-env")
        .output()
        .await
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("/from-flag/wagate.db"));
    let out = run(&["account", "list"]).await;
    assert_fails(&out, "wagate-data/wagate.db");

    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../../wagate.example.toml");
    let out = wagate(&["account", "list", "--config", example])
        .current_dir(dir.path())
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no database at ./wagate-data/wagate.db"),
        "the example config parses: {stderr}"
    );

    std::fs::write(&file, "data_dri = \"/typo\"\n").unwrap();
    assert_fails(&run(&["account", "list", "--config", f]).await, "data_dri");
    assert_fails(
        &run(&["account", "list", "--config", "/no/such.toml"]).await,
        "does not exist",
    );
    assert_fails(
        &run(&[
            "serve",
            "--database",
            "mysql://x/y",
            "--data-dir",
            dir.path().to_str().unwrap(),
        ])
        .await,
        "unsupported database",
    );

    let help = run(&["serve", "--help"]).await.stdout;
    for flag in [
        "--config",
        "--data-dir",
        "--listen",
        "--database",
        "--public-url",
        "--log-format",
        "--shutdown-grace-secs",
        "WAGATE_LISTEN",
        "WAGATE_DATABASE",
    ] {
        assert!(help.contains(flag), "serve --help lacks {flag}");
    }
}

/// Killed (SIGKILL) with a queue half sent, then restarted: every accepted message is
/// delivered, and none is handed to the network twice.
#[tokio::test]
async fn a_crash_mid_queue_loses_nothing_and_sends_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = dir.path().join("wagate.toml");
    std::fs::write(
        &config,
        "[dispatch]\nlease_secs = 1\n[templates]\napprove_all = true\nreview_delay_ms = 0\n",
    )
    .unwrap();
    let extra = ["--config", config.to_str().unwrap()];
    let run = serve_with(&data, None, &extra).await;
    let base = run.base_url.clone();
    let (key, pnid) = key_and_number(&data);
    let client = crate::helpers::http_client();
    let channels: Value = client
        .get(format!("{base}/api/v1/channels"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let channel = channels["data"][0]["id"].as_str().unwrap();
    let res = client
        .patch(format!("{base}/api/v1/channels/{channel}"))
        .bearer_auth(&key)
        .json(
            &serde_json::json!({"throughput_mps": 10, "upstream": {"kind": "sandbox",
            "sandbox": {"delivery_delay_ms": 300, "read_percent": 0}}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let waba = channels["data"][0]["waba_id"].as_str().unwrap();
    let created: Value = client
        .post(format!("{base}/v23.0/{waba}/message_templates"))
        .bearer_auth(&key)
        .json(&serde_json::json!({"name": "restock", "language": "en", "category": "UTILITY",
            "components": [{"type": "BODY", "text": "The item you asked about is back in stock."}]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let template = created["id"].as_str().expect("template created");
    eventually(
        "the sandbox approves the template",
        Duration::from_secs(10),
        || async {
            let t: Value = client
                .get(format!("{base}/v23.0/{template}"))
                .bearer_auth(&key)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if t["status"] == "APPROVED" {
                Ok(())
            } else {
                Err(t)
            }
        },
    )
    .await;

    let total = 40;
    for i in 0..total {
        let res = client
            .post(format!("{base}/v23.0/{pnid}/messages"))
            .bearer_auth(&key)
            .json(
                &serde_json::json!({"messaging_product": "whatsapp", "to": format!("1650555{i:04}"),
                "type": "template", "template": {"name": "restock", "language": {"code": "en"}}}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    // 10/s: the crash comes once part of the queue is out (a few handed over, most still
    // waiting for their slots).
    eventually("the first hand-overs", Duration::from_secs(10), || async {
        let list: Value = client
            .get(format!("{base}/api/v1/messages?limit=100"))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let out = list["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["status"] != "accepted")
            .count();
        if out >= 5 {
            Ok(())
        } else {
            Err(format!("{out} handed over"))
        }
    })
    .await;
    let mut child = run.child;
    child.start_kill().unwrap();
    child.wait().await.unwrap();

    let mut run = serve_with(&data, None, &extra).await;
    let base = run.base_url.clone();
    let seen_pending = std::cell::Cell::new(false);
    let messages = eventually(
        "every message delivered after the restart",
        Duration::from_secs(15),
        || async {
            let list: Value = client
                .get(format!("{base}/api/v1/messages?limit=100"))
                .bearer_auth(&key)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let data = list["data"].as_array().unwrap().clone();
            assert_eq!(
                data.len(),
                total,
                "every accepted message survived the crash"
            );
            let delivered = data.iter().filter(|m| m["status"] == "delivered").count();
            seen_pending.set(seen_pending.get() || data.iter().any(|m| m["status"] == "accepted"));
            if delivered == total {
                Ok(data)
            } else {
                Err(format!("{delivered} of {total} delivered"))
            }
        },
    )
    .await;
    for m in &messages {
        assert_eq!(m["handovers"], 1, "handed over exactly once: {m}");
    }
    let seen_pending = seen_pending.get();
    assert!(
        seen_pending,
        "the crash happened with messages still queued"
    );
    run.child.kill().await.unwrap();
}

/// Killed (SIGKILL) while webhook deliveries are being retried, then restarted: the
/// receiver gets every event, each message's events in order.
#[tokio::test]
async fn a_crash_mid_retry_loses_no_webhook() {
    use std::sync::atomic::Ordering;

    use crate::receiver::{Receiver, SECRET, TOKEN, events};

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = dir.path().join("wagate.toml");
    std::fs::write(
        &config,
        "[webhooks]\ntimeout_secs = 2\nbackoff_base_ms = 100\nbackoff_max_ms = 300\npause_base_ms = 20\n",
    )
    .unwrap();
    let extra = ["--config", config.to_str().unwrap()];
    let run = serve_with(&data, None, &extra).await;
    let base = run.base_url.clone();
    let (key, pnid) = key_and_number(&data);
    let client = crate::helpers::http_client();
    let receiver = Receiver::start().await;
    let res = client
        .post(format!("{base}/api/v1/webhooks"))
        .bearer_auth(&key)
        .json(&serde_json::json!({"url": receiver.url, "secret": SECRET, "verify_token": TOKEN}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    receiver.inbox.failing.store(true, Ordering::SeqCst);

    let users = 5;
    for i in 0..users {
        let res = client
            .post(format!("{base}/sandbox/{pnid}/inbound"))
            .bearer_auth(&key)
            .json(&serde_json::json!({"from": format!("1650555{i:04}"), "type": "text", "text": {"body": "hi"}}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
    }
    // Mid-retry: every event has been refused at least once.
    eventually("refusals mid-retry", Duration::from_secs(10), || async {
        let refused = receiver.inbox.refused.load(Ordering::SeqCst);
        if refused >= users + 2 {
            Ok(())
        } else {
            Err(format!("{refused} refused"))
        }
    })
    .await;
    let mut child = run.child;
    child.start_kill().unwrap();
    child.wait().await.unwrap();
    receiver.inbox.failing.store(false, Ordering::SeqCst);
    assert!(receiver.posts().is_empty());

    let mut run = serve_with(&data, None, &extra).await;
    let posts = receiver.wait(users).await;
    let got = events(&posts);
    let unique: std::collections::HashSet<_> = got.iter().collect();
    assert_eq!(
        unique.len(),
        users,
        "every event after the restart: {got:?}"
    );
    let from: std::collections::HashSet<_> = posts
        .iter()
        .map(|p| p.body["entry"][0]["changes"][0]["value"]["messages"][0]["from"].clone())
        .collect();
    assert_eq!(from.len(), users, "one per user");
    run.child.kill().await.unwrap();
}

/// kill -9 while POSTs are out and more deliveries are leased ahead: the dead process's
/// leases are short (the POST timeout plus a few seconds, renewed while it lived), so the
/// restarted one delivers everything within seconds, not minutes.
#[tokio::test]
async fn a_crash_with_posts_out_frees_its_leases_in_seconds() {
    use std::sync::atomic::Ordering;

    use crate::receiver::{Receiver, SECRET, TOKEN, events};

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = dir.path().join("wagate.toml");
    std::fs::write(
        &config,
        "[webhooks]\ntimeout_secs = 2\nbackoff_base_ms = 100\nbackoff_max_ms = 300\n",
    )
    .unwrap();
    let extra = ["--config", config.to_str().unwrap()];
    let run = serve_with(&data, None, &extra).await;
    let base = run.base_url.clone();
    let (key, pnid) = key_and_number(&data);
    let client = crate::helpers::http_client();
    let receiver = Receiver::start().await;
    let res = client
        .post(format!("{base}/api/v1/webhooks"))
        .bearer_auth(&key)
        .json(
            &serde_json::json!({"url": receiver.url, "secret": SECRET, "verify_token": TOKEN,
                                  "fields": ["messages"]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let hung = 1_000;
    receiver.inbox.hang_ms.store(60_000, Ordering::SeqCst);
    receiver.inbox.hang_first.store(hung, Ordering::SeqCst);
    let users = 40;
    for i in 0..users {
        let res = client
            .post(format!("{base}/sandbox/{pnid}/inbound"))
            .bearer_auth(&key)
            .json(&serde_json::json!({"from": format!("1650556{i:04}"), "type": "text", "text": {"body": "hi"}}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
    }
    // POSTs are out (and hanging): the process dies with its leases held.
    eventually("POSTs out and hanging", Duration::from_secs(10), || async {
        if receiver.inbox.hang_first.load(Ordering::SeqCst) < hung {
            Ok(())
        } else {
            Err("no POST yet")
        }
    })
    .await;
    let mut child = run.child;
    child.start_kill().unwrap();
    child.wait().await.unwrap();
    receiver.inbox.hang_first.store(0, Ordering::SeqCst);

    // Restarted: everything arrives within the receiver's wait (20 s; the old leases held
    // for 39 s with these settings).
    let mut run = serve_with(&data, None, &extra).await;
    let posts = receiver.wait_events(users).await;
    let unique: std::collections::HashSet<_> = events(&posts).into_iter().collect();
    assert_eq!(unique.len(), users, "every event after the restart");
    run.child.kill().await.unwrap();
}

/// `wagate secrets rotate` beside the data: a new master key in the key file, the data
/// keys re-wrapped, the webhook secret still opens after a restart; the old key no longer
/// unlocks the database, and says so.
#[tokio::test]
async fn the_master_key_rotates_and_the_old_one_stops_working() {
    use crate::receiver::{Receiver, SECRET, TOKEN};

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let run1 = serve(&data, None).await;
    let (key, pnid) = key_and_number(&data);
    let client = crate::helpers::http_client();
    let receiver = Receiver::start().await;
    let res = client
        .post(format!("{}/api/v1/webhooks", run1.base_url))
        .bearer_auth(&key)
        .json(&serde_json::json!({"url": receiver.url, "secret": SECRET, "verify_token": TOKEN}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    signal_and_wait(run1, "-TERM").await;

    let key_file = data.join("secrets.key");
    let old_key = std::fs::read_to_string(&key_file).unwrap();
    let data_arg = data.to_str().unwrap();
    let out = run(&["secrets", "rotate", "--data-dir", data_arg]).await;
    assert!(out.ok, "{}", out.stderr);
    assert!(
        out.stdout.contains("Rotated the master key: 1 data key(s)"),
        "{}",
        out.stdout
    );
    let new_key = std::fs::read_to_string(&key_file).unwrap();
    assert_ne!(old_key, new_key);
    assert_eq!(new_key.trim().len(), 64);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777,
        0o600
    );

    // Restarted under the new key: the subscription's secret opens and signs.
    let mut run2 = serve(&data, None).await;
    let res = client
        .post(format!("{}/sandbox/{pnid}/inbound", run2.base_url))
        .bearer_auth(&key)
        .json(&serde_json::json!({"from": "16505558001", "type": "text", "text": {"body": "hi"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let posts = receiver.wait(1).await;
    assert_eq!(
        posts[0].signature,
        wagate_core::webhook::ascii::signature(SECRET.as_bytes(), &posts[0].raw)
    );
    run2.child.kill().await.unwrap();

    // The old key does not unlock it any more.
    std::fs::write(&key_file, &old_key).unwrap();
    let out = run(&["key", "list", "--data-dir", data_arg]).await;
    assert_fails(&out, "does not unwrap under this master key");
}

/// The README's walkthrough of a cloud channel, with two real `wagate` processes: one plays
/// Meta (its channel on the simulated network), the other is the gateway whose cloud
/// channel points at it. A user's message reaches the gateway through Meta's webhook; the
/// gateway's answer goes out through Meta and comes back read.
#[tokio::test]
async fn a_gateway_process_sends_through_another_playing_meta() {
    let dir = tempfile::tempdir().unwrap();
    let (meta_dir, gw_dir) = (dir.path().join("meta"), dir.path().join("gw"));
    let meta = serve(&meta_dir, None).await;
    let gw = serve(&gw_dir, None).await;
    let (meta_key, pnid) = key_and_number(&meta_dir);
    let (gw_key, _) = key_and_number(&gw_dir);
    let http = crate::helpers::http_client();
    let post = |base: &str, key: &str, path: &str, body: Value| {
        http.post(format!("{base}{path}"))
            .bearer_auth(key)
            .json(&body)
            .send()
    };
    let channels: Value = http
        .get(format!("{}/api/v1/channels", meta.base_url))
        .bearer_auth(&meta_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let waba = channels["data"][0]["waba_id"].as_str().unwrap();
    let res = post(
        &gw.base_url,
        &gw_key,
        "/api/v1/channels",
        serde_json::json!({"verified_name": "Acme via Meta", "phone_number_id": pnid,
            "waba_id": waba, "display_phone_number": "+15550100001",
            "upstream": {"kind": "cloud", "base_url": meta.base_url, "access_token": meta_key,
                         "app_secret": "demo-secret", "verify_token": "demo-token"}}),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 201);
    let res = post(
        &meta.base_url,
        &meta_key,
        "/api/v1/webhooks",
        serde_json::json!({"url": format!("{}/webhooks/meta", gw.base_url),
            "secret": "demo-secret", "verify_token": "demo-token",
            "fields": ["messages", "statuses"]}),
    )
    .await
    .unwrap();
    assert_eq!(
        res.status(),
        201,
        "the gateway answered Meta's verification"
    );
    let res = post(
        &meta.base_url,
        &meta_key,
        &format!("/sandbox/{pnid}/inbound"),
        serde_json::json!({"from": "16505551234", "type": "text", "text": {"body": "Hi!"}}),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 201);
    // The user's message reaches the gateway through Meta's webhook (opening the window).
    let inbound = eventually(
        "the user's message at the gateway",
        Duration::from_secs(10),
        || async {
            let inbound: Value = http
                .get(format!("{}/api/v1/messages?direction=inbound", gw.base_url))
                .bearer_auth(&gw_key)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if inbound["data"].as_array().is_some_and(|d| !d.is_empty()) {
                Ok(inbound)
            } else {
                Err(inbound)
            }
        },
    )
    .await;
    assert_eq!(inbound["data"][0]["content"]["body"], "Hi!", "{inbound}");
    let res = post(
        &gw.base_url,
        &gw_key,
        &format!("/v23.0/{pnid}/messages"),
        serde_json::json!({"messaging_product": "whatsapp", "to": "16505551234",
            "type": "text", "text": {"body": "Hello from behind Meta"}}),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
    let wamid = res.json::<Value>().await.unwrap()["messages"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let last = eventually(
        "the reply delivered through Meta",
        Duration::from_secs(10),
        || async {
            let last: Value = http
                .get(format!("{}/api/v1/messages/{wamid}", gw.base_url))
                .bearer_auth(&gw_key)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if last["status"] == "read" || last["status"] == "delivered" {
                Ok(last)
            } else {
                Err(last)
            }
        },
    )
    .await;
    assert_eq!(last["handovers"], 1);
    signal_and_wait(gw, "-TERM").await;
    signal_and_wait(meta, "-TERM").await;
}

/// At `info`, in JSON: a send's request line names its route, account, channel and message
/// with the same field names everywhere, and neither the message text nor the API key is
/// logged.
#[tokio::test]
async fn info_logs_name_the_send_and_never_its_text_or_key() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut child = wagate(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        data.to_str().unwrap(),
        "--log",
        "info",
        "--log-format",
        "json",
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let mut logs = child.stderr.take().unwrap();
    let logs = tokio::spawn(async move {
        let mut all = String::new();
        tokio::io::AsyncReadExt::read_to_string(&mut logs, &mut all)
            .await
            .unwrap();
        all
    });
    let run = running(child).await;
    let base = run.base_url.clone();
    let (key, pnid) = key_and_number(&data);
    let client = crate::helpers::http_client();
    let secret_text = "the-secret-text-of-a-message";
    let inbound = client
        .post(format!("{base}/sandbox/{pnid}/inbound"))
        .bearer_auth(&key)
        .json(&serde_json::json!({"from": "16505551234", "text": {"body": "hi"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(inbound.status(), 201);
    let sent: Value = client
        .post(format!("{base}/v23.0/{pnid}/messages"))
        .bearer_auth(&key)
        .json(
            &serde_json::json!({"messaging_product": "whatsapp", "to": "16505551234",
            "type": "text", "text": {"body": secret_text}}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let wamid = sent["messages"][0]["id"].as_str().unwrap().to_owned();
    let message: Value = client
        .get(format!("{base}/api/v1/messages/{wamid}"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let channel_id = message["channel_id"].as_str().unwrap().to_owned();
    let message_id = message["id"].as_str().unwrap().to_owned();
    signal_and_wait(run, "-TERM").await;
    let logs = logs.await.unwrap();
    assert!(!logs.contains(secret_text), "message text in the logs");
    assert!(!logs.contains(&key), "the API key in the logs");
    let lines: Vec<Value> = logs
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert!(!lines.is_empty(), "JSON log lines: {logs}");
    // The send's request line (tower-http's "finished processing request", in its span).
    let send = lines
        .iter()
        .find(|l| {
            let span = &l["span"];
            span["route"] == "/{version}/{object_id}/messages" && span["method"] == "POST"
        })
        .unwrap_or_else(|| panic!("no line for the send: {logs}"));
    let span = &send["span"];
    assert_eq!(span["channel_id"], channel_id.as_str(), "{send}");
    assert_eq!(span["message_id"], message_id.as_str(), "{send}");
    assert!(span["account_id"].is_string(), "{send}");
}
