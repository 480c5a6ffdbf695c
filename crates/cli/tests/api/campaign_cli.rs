//! `wagate campaign …`, the real binary as a client of a running server, on SQLite and
//! PostgreSQL: a draft created from a CSV (its refused row reported), launched and followed
//! to completion by the server's own workers, its status read with the server found through
//! `credentials.env`; a scheduled campaign paused and cancelled; a bad `--param` spec, an
//! unknown campaign and a refused action failing with a clear message.

use std::process::Output;
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_apps};

const BIN: &str = env!("CARGO_BIN_EXE_wagate");

/// `wagate campaign <args>` against `app`, with `--url` and `--key` unless `server` says
/// otherwise (the environment cleared either way). Dies after a minute.
async fn campaign(app: &TestApp, args: &[&str], server: Option<&[&str]>) -> Output {
    let url_and_key = ["--url", &app.base_url, "--key", &app.api_key];
    let mut cmd = tokio::process::Command::new(BIN);
    cmd.arg("campaign")
        .args(args)
        .args(server.unwrap_or(&url_and_key))
        .env_remove("WAGATE_URL")
        .env_remove("WAGATE_API_KEY")
        .env_remove("WAGATE_DATA_DIR")
        .kill_on_drop(true);
    tokio::time::timeout(Duration::from_secs(60), cmd.output())
        .await
        .unwrap_or_else(|_| panic!("wagate campaign {args:?} did not finish in a minute"))
        .unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[track_caller]
fn succeeded(app: &TestApp, out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}: {:?}\nstdout: {}\nstderr: {}",
        app.backend,
        out.status,
        stdout(out),
        stderr(out)
    );
    stdout(out)
}

#[track_caller]
fn failed(app: &TestApp, out: &Output) -> String {
    assert!(
        !out.status.success(),
        "{}: it should fail\nstdout: {}",
        app.backend,
        stdout(out)
    );
    stderr(out)
}

/// The id in `campaign <id> created (draft)`.
fn created_id(out: &str) -> String {
    out.lines()
        .find_map(|l| {
            l.strip_prefix("campaign ")?
                .strip_suffix(" created (draft)")
        })
        .unwrap_or_else(|| panic!("no campaign id in: {out}"))
        .to_owned()
}

/// An approved UTILITY template with two body variables.
async fn order_template(app: &TestApp) {
    app.approved_template(json!({
        "name": "order_update", "language": "en_US", "category": "UTILITY",
        "components": [{"type": "BODY", "text": "Hi {{1}}, your order {{2}} has shipped.",
            "example": {"body_text": [["Pablo", "860198"]]}}]
    }))
    .await;
}

async fn get(app: &TestApp, id: &str) -> Value {
    let res = app.get(&format!("/api/v1/campaigns/{id}")).await;
    assert_eq!(res.status(), 200, "{}", app.backend);
    res.json().await.unwrap()
}

#[tokio::test]
async fn a_campaign_is_created_from_a_csv_launched_and_followed_to_completion() {
    for app in spawn_apps().await {
        app.configure_sandbox(json!({})).await;
        order_template(&app).await;
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("orders.csv");
        std::fs::write(
            &csv,
            "Mobile,var1,var2\n\
             +447700900001,Asha,A-1\n\
             +447700900002,Ravi,\n\
             +447700900003,Cy,C-3\n\
             not-a-number,Bad,B-4\n",
        )
        .unwrap();

        let out = campaign(
            &app,
            &[
                "create",
                "--name",
                "Orders",
                "--template",
                "order_update",
                "--param",
                "column:var1",
                "--param",
                "column:var2=soon",
                "--file",
                csv.to_str().unwrap(),
            ],
            None,
        )
        .await;
        let printed = succeeded(&app, &out);
        let id = created_id(&printed);
        assert!(
            printed.contains("audience ready: 3 recipients; refused rows: 1"),
            "{}: {printed}",
            app.backend
        );
        assert!(
            printed.contains("row 5, Mobile: "),
            "the refused row is shown: {printed}"
        );
        let c = get(&app, &id).await;
        assert_eq!(c["status"], "draft", "{c}");
        assert_eq!(c["audience"]["status"], "ready", "{c}");
        assert_eq!(c["counts"]["recipients"], 3, "{c}");
        assert_eq!(c["channel_id"], app.channel_id().await.as_str(), "{c}");
        assert_eq!(
            c["params"]["body"],
            json!([{"from": "column", "name": "var1"},
                   {"from": "column", "name": "var2", "fallback": "soon"}]),
            "{c}"
        );

        // The server's own workers run it; --follow returns once it is completed.
        let out = campaign(&app, &["launch", &id, "--follow"], None).await;
        let printed = succeeded(&app, &out);
        assert!(
            printed.contains(&format!("campaign {id}: running")),
            "{printed}"
        );
        assert!(
            printed.contains(&format!("campaign {id} \"Orders\": completed")),
            "{printed}"
        );
        assert_eq!(get(&app, &id).await["status"], "completed");

        // The server found through its credentials.env.
        let data_dir = app.data_dir();
        let out = campaign(
            &app,
            &["status", &id],
            Some(&["--data-dir", data_dir.to_str().unwrap()]),
        )
        .await;
        let printed = succeeded(&app, &out);
        assert!(printed.contains(": completed"), "{printed}");
        assert!(printed.contains("queued 3 · pending 0"), "{printed}");
        let out = campaign(
            &app,
            &["status", &id],
            Some(&["--data-dir", dir.path().to_str().unwrap()]),
        )
        .await;
        let e = failed(&app, &out);
        assert!(
            e.contains("no --url/--key") && e.contains("credentials.env"),
            "{e}"
        );
    }
}

#[tokio::test]
async fn a_scheduled_campaign_pauses_and_cancels_and_mistakes_fail_clearly() {
    for app in spawn_apps().await {
        order_template(&app).await;
        let out = campaign(
            &app,
            &[
                "create",
                "--name",
                "Later",
                "--template",
                "order_update",
                "--param",
                "fixed:20%",
                "--param",
                "attribute:name=there",
                "--numbers",
                "+447700900011,+447700900012,nope",
            ],
            None,
        )
        .await;
        let printed = succeeded(&app, &out);
        let id = created_id(&printed);
        assert!(printed.contains("2 numbers added, 1 refused"), "{printed}");

        let out = campaign(
            &app,
            &[
                "launch",
                &id,
                "--at",
                "2099-12-24T09:00",
                "--timezone",
                "Asia/Kolkata",
            ],
            None,
        )
        .await;
        let printed = succeeded(&app, &out);
        assert!(
            printed.contains(&format!("campaign {id}: scheduled for 2099-12-24T03:30:00")),
            "{printed}"
        );
        let out = campaign(&app, &["pause", &id], None).await;
        assert_eq!(succeeded(&app, &out), format!("campaign {id}: paused\n"));
        let out = campaign(&app, &["cancel", &id], None).await;
        assert_eq!(succeeded(&app, &out), format!("campaign {id}: cancelled\n"));
        let out = campaign(&app, &["resume", &id], None).await;
        let e = failed(&app, &out);
        assert!(
            e.contains("campaign_state") && e.contains("HTTP 409"),
            "{e}"
        );

        // A bad spec is refused before anything is created.
        let out = campaign(
            &app,
            &[
                "create",
                "--name",
                "Bad",
                "--template",
                "order_update",
                "--param",
                "row:var1",
            ],
            None,
        )
        .await;
        let e = failed(&app, &out);
        assert!(
            e.contains("`row:var1`") && e.contains("column:NAME[=FALLBACK]"),
            "{e}"
        );
        // So is a file that cannot be read.
        let out = campaign(
            &app,
            &[
                "create",
                "--name",
                "Missing",
                "--template",
                "order_update",
                "--file",
                "/nonexistent/orders.csv",
            ],
            None,
        )
        .await;
        let e = failed(&app, &out);
        assert!(e.contains("opening /nonexistent/orders.csv"), "{e}");
        let list: Value = app.get("/api/v1/campaigns").await.json().await.unwrap();
        assert_eq!(list["data"].as_array().unwrap().len(), 1, "{list}");

        // An unknown campaign, and an API refusal at creation.
        for unknown in ["0190b6a2-0000-7000-8000-000000000000", "nope"] {
            let out = campaign(&app, &["status", unknown], None).await;
            let e = failed(&app, &out);
            assert!(
                e.contains(&format!("campaign `{unknown}` does not exist"))
                    && e.contains("campaign_not_found, HTTP 404"),
                "{e}"
            );
        }
        let out = campaign(
            &app,
            &["create", "--name", "later", "--template", "order_update"],
            None,
        )
        .await;
        let e = failed(&app, &out);
        assert!(e.contains("campaign_exists"), "{e}");
    }
}
