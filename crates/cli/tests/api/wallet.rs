//! The wallet over real HTTP, on SQLite and PostgreSQL: a prepaid wallet refuses what it
//! cannot cover (nothing stored), holds at accept, charges on delivery, releases on failure,
//! and its balance equals the sum of its ledger to the micro-unit after every step;
//! concurrent sends never overdraw; quotas expire and have daily limits; rate cards and
//! markups price sends; the low-balance webhook; bad input and other accounts.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_manage_error, spawn_apps};

/// US utility template outside the window, from the shipped card (micro-units).
const US_UTILITY: i64 = 3_400;

async fn wallet(app: &TestApp) -> Value {
    app.get("/api/v1/wallet").await.json().await.unwrap()
}

async fn patch(app: &TestApp, body: Value) -> Value {
    let res = app.patch_json("/api/v1/wallet", &body).await;
    assert_eq!(res.status(), 200, "{}", app.backend);
    res.json().await.unwrap()
}

async fn top_up(app: &TestApp, body: Value) -> Value {
    let res = app.post_json("/api/v1/wallet/top-ups", &body).await;
    assert_eq!(res.status(), 201, "{}", app.backend);
    res.json().await.unwrap()
}

/// The ledger as CSV: the sum of its amounts per pool `(main, backup)`, and its kinds.
async fn ledger(app: &TestApp) -> (i64, i64, Vec<String>) {
    let csv = app
        .get("/api/v1/wallet/ledger?format=csv")
        .await
        .text()
        .await
        .unwrap();
    let (mut main, mut backup, mut kinds) = (0, 0, Vec::new());
    for line in csv.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        let amount: i64 = cells[4].parse().unwrap();
        match cells[3] {
            "main" => main += amount,
            _ => backup += amount,
        }
        kinds.push(cells[2].to_owned());
    }
    (main, backup, kinds)
}

/// The balance equals the ledger's sum, to the micro-unit.
async fn balanced(app: &TestApp) -> Value {
    let w = wallet(app).await;
    let (main, backup, _) = ledger(app).await;
    assert_eq!(w["balance"].as_i64(), Some(main), "{}: {w}", app.backend);
    assert_eq!(
        w["backup_balance"].as_i64(),
        Some(backup),
        "{}: {w}",
        app.backend
    );
    w
}

fn hello(to: &str) -> Value {
    json!({"messaging_product": "whatsapp", "to": to, "type": "template",
        "template": {"name": "hello", "language": {"code": "en"}}})
}

async fn send_raw(app: &TestApp, body: &Value) -> reqwest::Response {
    app.post_json(&format!("/v23.0/{}/messages", app.phone_number_id), body)
        .await
}

async fn charge(app: &TestApp, id: &str) -> reqwest::Response {
    let m = app.message(id).await;
    let mid = m["id"].as_str().unwrap().to_owned();
    app.get(&format!("/api/v1/messages/{mid}/charge")).await
}

async fn message_count(app: &TestApp) -> usize {
    app.messages("direction=outbound").await.len()
}

#[tokio::test]
async fn a_prepaid_wallet_holds_charges_releases_and_equals_its_ledger() {
    for app in spawn_apps().await {
        app.configure_sandbox(json!({"not_on_whatsapp": ["15550000000"]}))
            .await;
        app.simple_template("hello", "en").await;
        // The first-start account is postpaid and empty.
        let w = wallet(&app).await;
        assert_eq!(
            (
                w["kind"].as_str(),
                w["mode"].as_str(),
                w["unit"].as_str(),
                w["currency"].as_str()
            ),
            (
                Some("credits"),
                Some("postpaid"),
                Some("micros"),
                Some("USD")
            )
        );
        assert_eq!(w["balance"], 0);
        patch(&app, json!({"mode": "prepaid"})).await;

        // Nothing to cover it: refused in Meta's shape, nothing stored.
        let res = send_raw(&app, &hello("15550001212")).await;
        assert_eq!(res.status(), 400, "{}", app.backend);
        let err: Value = res.json().await.unwrap();
        assert_eq!(err["error"]["code"], 131042, "{err}");
        assert_eq!(message_count(&app).await, 0);
        // A free-form message costs nothing: it goes.
        app.send(json!({"to": "15550001212", "type": "text", "text": {"body": "hi"}}))
            .await;

        let t = top_up(&app, json!({"amount": 10_000, "reference": "inv-1"})).await;
        assert_eq!(t["wallet"]["balance"], 10_000);
        assert_eq!(t["entry"]["kind"], "top_up");
        assert_eq!(t["entry"]["reference"], "inv-1");

        // Held at accept, at the card's US utility price.
        let id = app.send(hello("15550001212")).await;
        let c: Value = charge(&app, &id).await.json().await.unwrap();
        assert_eq!(
            (c["state"].as_str(), c["price"].as_i64()),
            (Some("held"), Some(US_UTILITY)),
            "{c}"
        );
        assert_eq!(
            (c["market"].as_str(), c["category"].as_str()),
            (Some("US"), Some("utility"))
        );
        let w = balanced(&app).await;
        assert_eq!(
            (w["balance"].as_i64(), w["held"].as_i64()),
            (Some(10_000 - US_UTILITY), Some(US_UTILITY))
        );
        // Charged on delivery: the balance stays, the hold is gone.
        app.wait_status(&id, &["delivered", "read"]).await;
        app.app.drain().await.unwrap();
        let c: Value = charge(&app, &id).await.json().await.unwrap();
        assert_eq!(c["state"], "charged", "{}: {c}", app.backend);
        // Beside it, the pricing the network reported on the message's statuses.
        assert_eq!(
            (
                c["network_pricing"]["billable"].as_bool(),
                c["network_pricing"]["category"].as_str()
            ),
            (Some(true), Some("utility")),
            "{c}"
        );
        let w = balanced(&app).await;
        assert_eq!(
            (w["balance"].as_i64(), w["held"].as_i64()),
            (Some(10_000 - US_UTILITY), Some(0))
        );

        // Released on failure (the number is not on WhatsApp).
        let lost = app.send(hello("15550000000")).await;
        app.wait_status(&lost, &["failed"]).await;
        app.app.drain().await.unwrap();
        let c: Value = charge(&app, &lost).await.json().await.unwrap();
        assert_eq!(c["state"], "released");
        let w = balanced(&app).await;
        assert_eq!(
            (w["balance"].as_i64(), w["held"].as_i64()),
            (Some(10_000 - US_UTILITY), Some(0))
        );

        // Inside the window a utility template is free: no charge at all.
        app.inject(json!({"from": "15550003333", "text": {"body": "hello"}}))
            .await;
        let free = app.send(hello("15550003333")).await;
        let res = charge(&app, &free).await;
        assert_manage_error(res, 404, "charge_not_found").await;

        // A markup raises what is held from now on.
        patch(&app, json!({"markup_bps": 5_000})).await;
        let marked = app.send(hello("15550004444")).await;
        let c: Value = charge(&app, &marked).await.json().await.unwrap();
        assert_eq!(c["price"], US_UTILITY * 3 / 2);

        // An adjustment with a reason, and the ledger tells the whole story.
        let res = app
            .post_json(
                "/api/v1/wallet/adjustments",
                &json!({"amount": -100, "reason": "fee"}),
            )
            .await;
        assert_eq!(res.status(), 201);
        let w = balanced(&app).await;
        assert_eq!(
            w["balance"].as_i64(),
            Some(10_000 - US_UTILITY - US_UTILITY * 3 / 2 - 100)
        );
        let (_, _, kinds) = ledger(&app).await;
        for k in ["top_up", "hold", "release", "charge", "adjustment"] {
            assert!(kinds.iter().any(|x| x == k), "{k} in {kinds:?}");
        }
        // The first message's charge (the marked one may be delivered by now too).
        let first = app.message(&id).await["id"].as_str().unwrap().to_owned();
        let page: Value = app
            .get(&format!(
                "/api/v1/wallet/ledger?kind=charge&message_id={first}"
            ))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(page["data"].as_array().unwrap().len(), 1, "{page}");
        assert_eq!(page["data"][0]["amount"], -US_UTILITY);
    }
}

#[tokio::test]
async fn concurrent_sends_never_overdraw() {
    for app in spawn_apps().await {
        // Deliveries wait: every hold is still open when it is looked at.
        app.configure_sandbox(json!({"delivery_delay_ms": 3_600_000}))
            .await;
        app.simple_template("hello", "en").await;
        patch(&app, json!({"mode": "prepaid"})).await;
        top_up(&app, json!({"amount": 10 * US_UTILITY})).await;
        let sends = (0..100).map(|i| {
            let body = hello(&format!("1555002{i:04}"));
            let app = &app;
            async move { send_raw(app, &body).await.status().as_u16() }
        });
        let statuses = futures::future::join_all(sends).await;
        let accepted = statuses.iter().filter(|s| **s == 200).count();
        let refused = statuses.iter().filter(|s| **s == 400).count();
        assert_eq!(
            (accepted, refused),
            (10, 90),
            "{}: {statuses:?}",
            app.backend
        );
        assert_eq!(message_count(&app).await, 10, "refused sends store nothing");
        let w = balanced(&app).await;
        assert_eq!(
            (w["balance"].as_i64(), w["held"].as_i64()),
            (Some(0), Some(10 * US_UTILITY))
        );
    }
}

/// The first sends of an account whose wallet was never set up create it once: concurrent
/// ones do not overwrite one another's holds.
#[tokio::test]
async fn concurrent_first_sends_create_one_wallet() {
    for app in spawn_apps().await {
        app.configure_sandbox(json!({"delivery_delay_ms": 3_600_000}))
            .await;
        app.simple_template("hello", "en").await;
        let sends = (0..30).map(|i| {
            let body = hello(&format!("1555003{i:04}"));
            let app = &app;
            async move { send_raw(app, &body).await.status().as_u16() }
        });
        let statuses = futures::future::join_all(sends).await;
        assert!(statuses.iter().all(|s| *s == 200), "postpaid: {statuses:?}");
        let w = balanced(&app).await;
        assert_eq!(
            w["held"].as_i64(),
            Some(30 * US_UTILITY),
            "{}: {w}",
            app.backend
        );
        assert_eq!(w["balance"].as_i64(), Some(-30 * US_UTILITY));
    }
}

#[tokio::test]
async fn a_quota_expires_has_a_daily_limit_and_a_backup() {
    for app in spawn_apps().await {
        app.configure_sandbox(json!({})).await;
        app.simple_template("hello", "en").await;
        let w = patch(
            &app,
            json!({"kind": "quota", "mode": "prepaid", "daily_limit": 2}),
        )
        .await;
        assert_eq!(w["unit"], "messages");
        top_up(&app, json!({"amount": 5})).await;
        app.send(hello("15550005001")).await;
        app.send(hello("15550005002")).await;
        let w = wallet(&app).await;
        assert_eq!(
            (w["balance"].as_i64(), w["daily_used"].as_i64()),
            (Some(3), Some(2))
        );
        let res = send_raw(&app, &hello("15550005003")).await;
        let err: Value = res.json().await.unwrap();
        assert_eq!(err["error"]["code"], 131042, "{err}");
        // Through the management plane's own code, the reason is machine-readable.
        assert!(
            err["error"]["message"].as_str().unwrap().contains("daily"),
            "{err}"
        );

        let w = patch(
            &app,
            json!({"daily_limit": null, "quota_expires_at": "2020-01-01T00:00:00Z"}),
        )
        .await;
        assert_eq!(w["daily_limit"], Value::Null);
        let res = send_raw(&app, &hello("15550005004")).await;
        let err: Value = res.json().await.unwrap();
        assert!(
            err["error"]["message"]
                .as_str()
                .unwrap()
                .contains("expired"),
            "{err}"
        );
        // The backup serves once the quota expired.
        top_up(&app, json!({"amount": 1, "pool": "backup"})).await;
        app.send(hello("15550005005")).await;
        let w = balanced(&app).await;
        assert_eq!(
            (w["balance"].as_i64(), w["backup_balance"].as_i64()),
            (Some(3), Some(0))
        );
        assert_eq!(send_raw(&app, &hello("15550005006")).await.status(), 400);
        // A kind changes only while the wallet is empty.
        let res = app
            .patch_json("/api/v1/wallet", &json!({"kind": "credits"}))
            .await;
        assert_manage_error(res, 409, "wallet_in_use").await;
    }
}

#[tokio::test]
async fn rate_cards_price_sends_and_the_low_balance_event_fires() {
    use crate::receiver::{Receiver, SECRET, TOKEN};
    for app in spawn_apps().await {
        app.configure_sandbox(json!({})).await;
        app.simple_template("hello", "en").await;
        let rates: Value = app.get("/api/v1/rates").await.json().await.unwrap();
        assert_eq!(
            (rates["scope"].as_str(), rates["card"]["currency"].as_str()),
            (Some("default"), Some("USD"))
        );
        assert!(rates["card"]["markets"]["*"]["marketing"].is_i64());
        assert!(
            rates["card"]["source"]
                .as_str()
                .unwrap()
                .contains("placeholder")
        );

        let card = json!({"currency": "USD", "source": "ours", "effective": "2026-12-01",
            "markets": {"*": {"utility": 1_000, "marketing": 2_000}}});
        let res = app
            .req(Method::PUT, "/api/v1/rates")
            .json(&card)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let got: Value = res.json().await.unwrap();
        assert_eq!(got["scope"], "account");

        let receiver = Receiver::start().await;
        let res = app
            .post_json(
                "/api/v1/webhooks",
                &json!({"url": receiver.url, "secret": SECRET, "verify_token": TOKEN,
                    "fields": ["wallet"]}),
            )
            .await;
        assert_eq!(res.status(), 201);
        patch(
            &app,
            json!({"mode": "prepaid", "low_balance_threshold": 1_500}),
        )
        .await;
        top_up(&app, json!({"amount": 2_000})).await;
        let id = app.send(hello("15550006001")).await;
        let c: Value = charge(&app, &id).await.json().await.unwrap();
        assert_eq!(
            (c["price"].as_i64(), c["market"].as_str()),
            (Some(1_000), Some("*")),
            "{c}"
        );
        app.app.drain().await.unwrap();
        let posts = receiver.wait_events(1).await;
        let change = &posts[0].body["entry"][0]["changes"][0];
        assert_eq!(change["field"], "wallet", "{}", posts[0].body);
        assert_eq!(change["value"]["event"], "low_balance");
        assert_eq!(change["value"]["balance"], 1_000);

        // A card in another currency than the wallet's is refused.
        let res = app
            .req(Method::PUT, "/api/v1/rates")
            .json(
                &json!({"currency": "EUR", "source": "x", "effective": "x", "markets": {"*": {}}}),
            )
            .send()
            .await
            .unwrap();
        assert_manage_error(res, 409, "currency_mismatch").await;
        // Back to the default card.
        let res = app
            .req(Method::DELETE, "/api/v1/rates")
            .send()
            .await
            .unwrap();
        let got: Value = res.json().await.unwrap();
        assert_eq!(got["scope"], "default");
        let res = app
            .req(Method::PUT, "/api/v1/rates")
            .json(
                &json!({"currency": "USD", "source": "x", "effective": "x", "markets": {"IN": {}}}),
            )
            .send()
            .await
            .unwrap();
        assert_manage_error(res, 400, "invalid_request").await;
    }
}

#[tokio::test]
async fn bad_input_other_accounts_and_non_admin_keys_are_refused() {
    for app in spawn_apps().await {
        for (body, code) in [
            (json!({"amount": 0}), "invalid_parameter_value"),
            (json!({"amount": "10"}), "invalid_request"),
            (json!({}), "invalid_request"),
            (json!({"amount": 5, "reference": ""}), "invalid_request"),
            (json!({"amount": 5, "pool": "savings"}), "invalid_request"),
            (json!({"amount": 5, "extra": 1}), "invalid_request"),
        ] {
            let res = app.post_json("/api/v1/wallet/top-ups", &body).await;
            let err = assert_manage_error(res, 400, code).await;
            assert!(err["error"]["message"].is_string(), "{body}: {err}");
        }
        let res = app
            .post_json("/api/v1/wallet/adjustments", &json!({"amount": 5}))
            .await;
        assert_manage_error(res, 400, "invalid_request").await;
        for body in [
            json!({"markup_bps": 100_001}),
            json!({"mode": "free"}),
            json!({"credit_limit": -1}),
            json!({"quota_expires_at": "soon"}),
            json!({"daily_limit": 0}),
        ] {
            let res = app.patch_json("/api/v1/wallet", &body).await;
            assert_eq!(res.status(), 400, "{body}");
        }
        let res = app.get("/api/v1/wallet/ledger?kind=gift").await;
        assert_manage_error(res, 400, "invalid_query").await;
        assert_eq!(ledger(&app).await.2.len(), 0, "nothing was written");

        // A key that is not an admin reads but does not change.
        let res = app
            .post_json("/api/v1/api-keys", &json!({"name": "ci"}))
            .await;
        let key: Value = res.json().await.unwrap();
        let key = key["key"].as_str().unwrap();
        let res = app
            .with_key(Method::GET, "/api/v1/wallet", key)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        for (method, path, body) in [
            (Method::PATCH, "/api/v1/wallet", json!({"mode": "prepaid"})),
            (Method::POST, "/api/v1/wallet/top-ups", json!({"amount": 5})),
            (
                Method::PUT,
                "/api/v1/rates",
                json!({"currency": "USD", "source": "x",
                "effective": "x", "markets": {"*": {}}}),
            ),
        ] {
            let res = app
                .with_key(method, path, key)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_manage_error(res, 403, "forbidden").await;
        }

        // Another account's charges and ledger are its own.
        app.configure_sandbox(json!({"delivery_delay_ms": 3_600_000}))
            .await;
        app.simple_template("hello", "en").await;
        let id = app.send(hello("15550007001")).await;
        let mid = app.message(&id).await["id"].as_str().unwrap().to_owned();
        let (_, other) = app.other_account().await;
        let path = format!("/api/v1/messages/{mid}/charge");
        let res = app
            .with_key(Method::GET, &path, &other)
            .send()
            .await
            .unwrap();
        assert_manage_error(res, 404, "charge_not_found").await;
        let theirs: Value = app
            .with_key(Method::GET, "/api/v1/wallet/ledger", &other)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(theirs["data"], json!([]));
        // Postpaid by default: the send went and its hold is on our ledger.
        assert_eq!(balanced(&app).await["held"], US_UTILITY);
    }
}

/// `wagate wallet` and `wagate rates` work on the server's database: what they change, the
/// API sees.
#[tokio::test]
async fn the_cli_tops_up_adjusts_and_replaces_the_default_card() {
    const BIN: &str = env!("CARGO_BIN_EXE_wagate");
    for app in spawn_apps().await {
        let db = app.database_arg();
        // Async: the server under test runs on this test's runtime.
        let run = |args: &[&str]| {
            let mut cmd = tokio::process::Command::new(BIN);
            cmd.args(args)
                .args(["--database", &db, "--data-dir"])
                .arg(app.data_dir())
                .env_remove("WAGATE_CONFIG");
            async move { cmd.output().await.unwrap() }
        };
        let out = run(&["wallet", "top-up", "7000", "--reference", "cli-1"]).await;
        assert!(out.status.success(), "{out:?}");
        let shown: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(shown["balance"], 7_000);
        let out = run(&["wallet", "adjust", "--reason", "goodwill", "-500"]).await;
        assert!(out.status.success(), "{out:?}");
        let out = run(&["wallet", "set", r#"{"mode":"prepaid","markup_bps":250}"#]).await;
        assert!(out.status.success(), "{out:?}");
        let out = run(&["wallet", "top-up", "0"]).await;
        assert!(!out.status.success(), "a zero top-up is refused");
        let w = balanced(&app).await;
        assert_eq!(
            (
                w["balance"].as_i64(),
                w["mode"].as_str(),
                w["markup_bps"].as_i64()
            ),
            (Some(6_500), Some("prepaid"), Some(250))
        );

        let file = app.data_dir().join("card.json");
        std::fs::write(
            &file,
            r#"{"currency":"USD","source":"operator","effective":"2026-12","markets":{"*":{"marketing":9}}}"#,
        )
        .unwrap();
        let out = run(&["rates", "set", file.to_str().unwrap()]).await;
        assert!(out.status.success(), "{out:?}");
        let rates: Value = app.get("/api/v1/rates").await.json().await.unwrap();
        assert_eq!(rates["card"]["source"], "operator", "{rates}");
        assert!(run(&["rates", "reset"]).await.status.success());
        std::fs::write(&file, "{}").unwrap();
        assert!(
            !run(&["rates", "set", file.to_str().unwrap()])
                .await
                .status
                .success()
        );
    }
}
