//! Campaigns over real HTTP, on SQLite and PostgreSQL, through the simulated network: a
//! broadcast from a seed-001 CSV run to completion with its figures equal to a recount;
//! bad files refused whole (nothing stored, nothing sent); a launch the wallet cannot cover
//! refused, a partial one paused when the wallet runs out; scheduling, pause, resume and
//! cancel; a template paused by its quality pausing the campaign until it is approved
//! again; an API campaign growing one recipient per call with replies attributed; the
//! messaging tier holding recipients back; another account seeing nothing.

use std::time::Duration;

use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_manage_error, from_now, spawn_apps};

/// An approved UTILITY template with two body variables; its name.
async fn order_template(app: &TestApp, name: &str) -> String {
    app.approved_template(json!({
        "name": name, "language": "en_US", "category": "UTILITY",
        "components": [{"type": "BODY", "text": "Hi {{1}}, your order {{2}} has shipped.",
            "example": {"body_text": [["Pablo", "860198"]]}}]
    }))
    .await;
    name.to_owned()
}

async fn create(app: &TestApp, body: Value) -> Value {
    let res = app.post_json("/api/v1/campaigns", &body).await;
    let status = res.status();
    let v: Value = res.json().await.unwrap();
    assert_eq!(status, 201, "{}: {v}", app.backend);
    v
}

fn broadcast(app_channel: &str, name: &str, template: &str) -> Value {
    json!({
        "name": name, "kind": "broadcast", "channel_id": app_channel,
        "template": {"name": template, "language": "en_US"},
        "params": {"body": [
            {"from": "column", "name": "var1"},
            {"from": "column", "name": "var2", "fallback": "soon"}
        ]}
    })
}

async fn upload(
    app: &TestApp,
    id: &str,
    name: &str,
    bytes: Vec<u8>,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let mut form = Form::new().part("file", Part::bytes(bytes).file_name(name.to_owned()));
    for (k, v) in fields {
        form = form.text((*k).to_owned(), (*v).to_owned());
    }
    app.req(Method::POST, &format!("/api/v1/campaigns/{id}/audience"))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

async fn campaign(app: &TestApp, id: &str) -> Value {
    let res = app.get(&format!("/api/v1/campaigns/{id}")).await;
    assert_eq!(res.status(), 200, "{}", app.backend);
    res.json().await.unwrap()
}

async fn post(app: &TestApp, path: &str) -> reqwest::Response {
    app.req(Method::POST, path).send().await.unwrap()
}

/// Runs every worker until idle with time `ahead` on (the network's delays elapse).
async fn settle(app: &TestApp, ahead: Duration) {
    app.app.drain_at(from_now(ahead)).await.unwrap();
}

async fn recipients(app: &TestApp, id: &str, query: &str) -> Value {
    let res = app
        .get(&format!("/api/v1/campaigns/{id}/recipients?{query}"))
        .await;
    assert_eq!(res.status(), 200, "{}", app.backend);
    res.json().await.unwrap()
}

/// Drains at `t0` plus each quarter second of `ms`.
async fn steps(app: &TestApp, t0: jiff::Timestamp, ms: std::ops::RangeInclusive<i64>) {
    for ms in ms.step_by(250) {
        app.app
            .drain_at(t0 + jiff::SignedDuration::from_millis(ms))
            .await
            .unwrap();
    }
}

async fn outbound_count(app: &TestApp) -> usize {
    app.messages("direction=outbound").await.len()
}

#[tokio::test]
async fn a_broadcast_from_a_csv_runs_to_completion_with_figures_equal_to_a_recount() {
    for app in spawn_apps().await {
        app.configure_sandbox(json!({})).await;
        let channel = app.channel_id().await;
        let template = order_template(&app, "order_update").await;
        // A contact who opted out: skipped at send time, counted.
        let res = app
            .post_json(
                "/api/v1/contacts",
                &json!({"wa_id": "+919876500004", "name": "Out", "opted_in": false}),
            )
            .await;
        assert_eq!(res.status(), 201);
        let c = create(&app, broadcast(&channel, "Diwali", &template)).await;
        let id = c["id"].as_str().unwrap();
        assert_eq!(c["status"], "draft");
        // The name is unique ignoring case.
        let dup = app
            .post_json(
                "/api/v1/campaigns",
                &broadcast(&channel, "diwali", &template),
            )
            .await;
        assert_manage_error(dup, 409, "campaign_exists").await;

        // Seed 001's layout: Country, Mobile, variables.
        let csv = "Country,Mobile,var1,var2\n\
                   91,9876500001,Asha,A-1\n\
                   91,9876500002,Ravi,\n\
                   91,not-a-number,Bad,B-3\n\
                   91,9876500001,Again,A-9\n\
                   91,9876500003,,C-5\n\
                   +91,9876500004,Out,D-6\n\
                   44,07700900123,Ada,E-7\n";
        let res = upload(&app, id, "people.csv", csv.as_bytes().to_vec(), &[]).await;
        assert_eq!(res.status(), 202, "{}", res.text().await.unwrap());
        settle(&app, Duration::from_millis(10)).await;
        let c = campaign(&app, id).await;
        assert_eq!(c["audience"]["status"], "ready", "{c}");
        assert_eq!(c["counts"]["recipients"], 4, "{c}");
        assert_eq!(c["counts"]["skipped_by_reason"]["invalid"], 1, "{c}");
        assert_eq!(c["counts"]["skipped_by_reason"]["duplicate"], 1, "{c}");
        assert_eq!(
            c["counts"]["skipped_by_reason"]["missing_parameter"], 1,
            "{c}"
        );
        let errors: Value = app
            .get(&format!("/api/v1/campaigns/{id}/errors"))
            .await
            .json()
            .await
            .unwrap();
        let rows: Vec<u64> = errors["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["row"].as_u64().unwrap())
            .collect();
        assert_eq!(rows, vec![4, 5, 6], "{errors}");
        assert_eq!(errors["data"][0]["column"], "Mobile");
        // Nothing is sent before the launch.
        settle(&app, Duration::from_secs(1)).await;
        assert_eq!(outbound_count(&app).await, 0);

        let res = post(&app, &format!("/api/v1/campaigns/{id}/launch")).await;
        let launched: Value = res.json().await.unwrap();
        assert_eq!(launched["status"], "running", "{launched}");
        assert_eq!(launched["estimate"]["recipients"], 3, "{launched}");
        settle(&app, Duration::from_secs(2)).await;
        settle(&app, Duration::from_secs(4)).await;
        let c = campaign(&app, id).await;
        assert_eq!(c["status"], "completed", "{c}");
        assert_eq!(c["counts"]["queued"], 3, "{c}");
        assert_eq!(c["counts"]["skipped_by_reason"]["opted_out"], 1, "{c}");
        assert_eq!(c["counts"]["pending"], 0, "{c}");

        // The figures equal a recount of the messages.
        let all = recipients(&app, id, "limit=1000").await;
        assert_eq!(all["total"], 4);
        let statuses: Vec<&str> = all["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["status"].as_str().unwrap())
            .collect();
        let reached = |s: &[&str]| statuses.iter().filter(|x| s.contains(x)).count() as u64;
        assert_eq!(
            c["counts"]["sent"].as_u64().unwrap(),
            reached(&["sent", "delivered", "read"]),
            "{all}"
        );
        assert_eq!(
            c["counts"]["delivered"].as_u64().unwrap(),
            reached(&["delivered", "read"]),
            "{all}"
        );
        assert_eq!(reached(&["skipped"]), 1);
        let out = app.messages("direction=outbound").await;
        assert_eq!(out.len(), 3, "one message per recipient");
        // The parameters came from the columns, with the fallback for an empty cell.
        let bodies: Vec<String> = out
            .iter()
            .map(|m| {
                m["rendered"]["body"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect();
        assert!(
            bodies.contains(&"Hi Asha, your order A-1 has shipped.".to_owned()),
            "{bodies:?}"
        );
        assert!(
            bodies.contains(&"Hi Ravi, your order soon has shipped.".to_owned()),
            "{bodies:?}"
        );
        let delivered = recipients(&app, id, "status=DELIVERED&fields=row,wa_id,status").await;
        assert_eq!(delivered["total"], c["counts"]["delivered"]);
        assert_eq!(
            delivered["data"][0].as_object().unwrap().len(),
            3,
            "the projection keeps the fields asked for: {delivered}"
        );
        let days: Value = app
            .get(&format!("/api/v1/campaigns/{id}/analytics"))
            .await
            .json()
            .await
            .unwrap();
        let sent: i64 = days["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["sent"].as_i64().unwrap())
            .sum();
        assert_eq!(sent, c["counts"]["sent"].as_i64().unwrap(), "{days}");
        // The export lists every recipient.
        let csv = app
            .get(&format!("/api/v1/campaigns/{id}/export"))
            .await
            .text()
            .await
            .unwrap();
        assert_eq!(csv.lines().count(), 5, "{csv}");
        assert!(csv.starts_with("row,phone,status"), "{csv}");
        let xlsx = app
            .get(&format!("/api/v1/campaigns/{id}/export?format=xlsx"))
            .await
            .bytes()
            .await
            .unwrap();
        assert!(xlsx.starts_with(b"PK\x03\x04"));

        // A completed campaign takes no more actions.
        let res = post(&app, &format!("/api/v1/campaigns/{id}/resume")).await;
        assert_manage_error(res, 409, "campaign_state").await;
        // Another account sees nothing of it.
        let (_, other) = app.other_account().await;
        for path in ["", "/recipients", "/analytics", "/export", "/errors"] {
            let res = app
                .with_key(
                    Method::GET,
                    &format!("/api/v1/campaigns/{id}{path}"),
                    &other,
                )
                .send()
                .await
                .unwrap();
            assert_manage_error(res, 404, "campaign_not_found").await;
        }
        let res = app
            .with_key(
                Method::POST,
                &format!("/api/v1/campaigns/{id}/cancel"),
                &other,
            )
            .send()
            .await
            .unwrap();
        assert_manage_error(res, 404, "campaign_not_found").await;
        let list: Value = app
            .with_key(Method::GET, "/api/v1/campaigns", &other)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(list["data"].as_array().unwrap().len(), 0);
    }
}

#[tokio::test]
async fn bad_files_and_bad_requests_are_refused_and_nothing_is_sent() {
    for app in spawn_apps().await {
        let channel = app.channel_id().await;
        let template = order_template(&app, "order_update").await;
        let c = create(&app, broadcast(&channel, "Refusals", &template)).await;
        let id = c["id"].as_str().unwrap();
        let refused = [
            (
                "unknown column",
                "Mobile,var1,var2,city\n+447700900001,a,b,c\n"
                    .as_bytes()
                    .to_vec(),
                "unknown column `city`",
            ),
            (
                "missing column",
                b"Mobile,var2\n+447700900001,b\n".to_vec(),
                "`var1`",
            ),
            (
                "no phone",
                b"name,var1,var2\nx,a,b\n".to_vec(),
                "no phone column",
            ),
            ("empty", Vec::new(), "empty"),
        ];
        for (what, bytes, needle) in refused {
            let res = upload(&app, id, "a.csv", bytes, &[]).await;
            assert_eq!(res.status(), 400, "{what}");
            let body: Value = res.json().await.unwrap();
            assert_eq!(body["error"]["field"], "file", "{what}: {body}");
            assert!(
                body["error"]["message"].as_str().unwrap().contains(needle),
                "{what}: {body}"
            );
        }
        let res = upload(
            &app,
            id,
            "a.xlsx",
            b"PK\x03\x04 not really a zip".to_vec(),
            &[("format", "xlsx")],
        )
        .await;
        assert_eq!(res.status(), 400);
        // 10 MB of one cell: the file loads, the row is refused with its number.
        let mut big = b"Mobile,var1,var2\n+447700900001,".to_vec();
        big.extend(std::iter::repeat_n(b'x', 10 * 1024 * 1024));
        big.extend_from_slice(b",b\n+447700900002,ok,b\n");
        let res = upload(&app, id, "big.csv", big, &[]).await;
        assert_eq!(res.status(), 202);
        settle(&app, Duration::from_millis(10)).await;
        let c = campaign(&app, id).await;
        assert_eq!(c["counts"]["recipients"], 1, "{c}");
        let errors: Value = app
            .get(&format!("/api/v1/campaigns/{id}/errors"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(errors["data"][0]["row"], 2, "{errors}");
        assert!(
            errors["data"][0]["reason"]
                .as_str()
                .unwrap()
                .contains("over"),
            "{errors}"
        );

        // Malformed and wrong requests.
        for body in [
            json!({"name": "", "kind": "broadcast", "channel_id": channel, "template": {"name": template, "language": "en_US"}}),
            json!({"name": "x", "kind": "weekly", "channel_id": channel, "template": {"name": template, "language": "en_US"}}),
            json!({"name": "x", "kind": "broadcast", "channel_id": channel, "template": {"name": template, "language": "en_US"}, "rate": 0}),
            json!({"name": "x", "kind": "broadcast", "channel_id": channel, "template": {"name": template, "language": "en_US"}, "surprise": 1}),
            json!({"name": "x", "kind": "broadcast", "channel_id": channel, "template": {"name": template, "language": "en_US"},
                   "params": {"header_media": {"type": "image"}}}),
        ] {
            let res = app.post_json("/api/v1/campaigns", &body).await;
            assert_eq!(res.status(), 400, "{body}");
        }
        let res = app
            .post_json(
                "/api/v1/campaigns",
                &json!({"name": "x", "kind": "broadcast", "channel_id": channel,
                        "template": {"name": "no_such_template", "language": "en_US"}}),
            )
            .await;
        assert_manage_error(res, 404, "template_not_found").await;
        let (other_key, _) = app.other_account().await;
        let _ = other_key;
        let res = app
            .get("/api/v1/campaigns/00000000-0000-7000-8000-000000000000")
            .await;
        assert_manage_error(res, 404, "campaign_not_found").await;
        let res = app.get("/api/v1/campaigns/not-an-id").await;
        assert_manage_error(res, 404, "campaign_not_found").await;
        let res = app
            .get(&format!("/api/v1/campaigns/{id}/recipients?status=MAYBE"))
            .await;
        assert_manage_error(res, 400, "invalid_query").await;
        // A draft without an audience does not launch; one whose launch is refused sends
        // nothing.
        let empty = create(&app, broadcast(&channel, "Empty", &template)).await;
        let res = post(
            &app,
            &format!("/api/v1/campaigns/{}/launch", empty["id"].as_str().unwrap()),
        )
        .await;
        assert_manage_error(res, 409, "campaign_state").await;
        let res = app
            .post_json(
                &format!("/api/v1/campaigns/{id}/launch"),
                &json!({"at": "2020-01-01T00:00:00Z"}),
            )
            .await;
        assert_eq!(res.status(), 400);
        let res = app
            .post_json(
                &format!("/api/v1/campaigns/{id}/launch"),
                &json!({"at": "2030-01-01T09:00"}),
            )
            .await;
        let body = assert_manage_error(res, 400, "missing_parameter").await;
        assert_eq!(body["error"]["field"], "timezone");
        settle(&app, Duration::from_secs(1)).await;
        assert_eq!(outbound_count(&app).await, 0);
        assert_eq!(campaign(&app, id).await["status"], "draft");
    }
}

#[tokio::test]
async fn a_launch_the_wallet_cannot_cover_is_refused_and_a_partial_run_pauses() {
    for app in spawn_apps().await {
        app.configure_sandbox(json!({})).await;
        let channel = app.channel_id().await;
        let template = order_template(&app, "order_update").await;
        let res = app
            .patch_json("/api/v1/wallet", &json!({"mode": "prepaid"}))
            .await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        let numbers: Vec<String> = (1..=5).map(|i| format!("+4477009001{i:02}")).collect();
        let mut body = broadcast(&channel, "Unfunded", &template);
        body["params"] = json!({"body": [{"from": "fixed", "value": "friend"}, {"from": "fixed", "value": "X"}]});
        let c = create(&app, body.clone()).await;
        let id = c["id"].as_str().unwrap();
        let res = app
            .post_json(
                &format!("/api/v1/campaigns/{id}/audience"),
                &json!({"numbers": numbers}),
            )
            .await;
        assert_eq!(res.status(), 200);
        let res = post(&app, &format!("/api/v1/campaigns/{id}/launch")).await;
        assert_manage_error(res, 402, "campaign_unfunded").await;
        assert_eq!(campaign(&app, id).await["status"], "draft");
        settle(&app, Duration::from_secs(1)).await;
        assert_eq!(outbound_count(&app).await, 0);

        // Enough for two messages: a partial run sends two and pauses for the wallet.
        let price = campaign(&app, id).await;
        let _ = price;
        let rates: Value = app.get("/api/v1/rates").await.json().await.unwrap();
        let card = &rates["card"];
        let gb = card["markets"]["GB"]["utility"]
            .as_i64()
            .or_else(|| card["markets"]["*"]["utility"].as_i64())
            .unwrap_or_else(|| panic!("a utility price: {card}"));
        let res = app
            .post_json("/api/v1/wallet/top-ups", &json!({"amount": gb * 2}))
            .await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        body["name"] = json!("Partial");
        body["allow_partial"] = json!(true);
        let c = create(&app, body).await;
        let id = c["id"].as_str().unwrap();
        app.post_json(
            &format!("/api/v1/campaigns/{id}/audience"),
            &json!({"numbers": numbers}),
        )
        .await;
        let res = post(&app, &format!("/api/v1/campaigns/{id}/launch")).await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        settle(&app, Duration::from_secs(2)).await;
        let c = campaign(&app, id).await;
        assert_eq!(c["status"], "paused", "{c}");
        assert_eq!(c["pause_reason"], "wallet", "{c}");
        assert_eq!(c["counts"]["queued"], 2, "{c}");
        assert_eq!(outbound_count(&app).await, 2);
        assert_eq!(recipients(&app, id, "status=PENDING").await["total"], 3);
    }
}

#[tokio::test]
async fn scheduling_pause_resume_and_cancel_take_effect() {
    for app in spawn_apps().await {
        app.configure_sandbox(json!({})).await;
        let channel = app.channel_id().await;
        let template = order_template(&app, "order_update").await;
        let numbers: Vec<String> = (1..=20).map(|i| format!("+4477009002{i:02}")).collect();
        let mut body = broadcast(&channel, "Scheduled", &template);
        body["params"] = json!({"body": [{"from": "attribute", "name": "name", "fallback": "there"}, {"from": "fixed", "value": "X"}]});
        body["rate"] = json!(2);
        let c = create(&app, body).await;
        let id = c["id"].as_str().unwrap();
        app.post_json(
            &format!("/api/v1/campaigns/{id}/audience"),
            &json!({"numbers": numbers}),
        )
        .await;
        // At 09:00 in Kolkata, a day from now.
        let at = jiff::Zoned::now()
            .with_time_zone(jiff::tz::TimeZone::get("Asia/Kolkata").unwrap())
            .saturating_add(jiff::SignedDuration::from_hours(24));
        let local = at
            .datetime()
            .with()
            .hour(9)
            .minute(0)
            .second(0)
            .subsec_nanosecond(0)
            .build()
            .unwrap();
        let res = app
            .post_json(
                &format!("/api/v1/campaigns/{id}/launch"),
                &json!({"at": local.to_string(), "timezone": "Asia/Kolkata"}),
            )
            .await;
        let c: Value = res.json().await.unwrap();
        assert_eq!(c["status"], "scheduled", "{c}");
        assert_eq!(c["timezone"], "Asia/Kolkata");
        let due: jiff::Timestamp = c["scheduled_at"].as_str().unwrap().parse().unwrap();
        assert_eq!(
            due.to_zoned(jiff::tz::TimeZone::get("Asia/Kolkata").unwrap())
                .hour(),
            9
        );
        settle(&app, Duration::from_secs(60)).await;
        assert_eq!(outbound_count(&app).await, 0, "nothing before its time");
        // Its time comes: it starts, paced at 2 messages a second.
        let t0 = due + jiff::SignedDuration::from_secs(1);
        app.app.drain_at(t0).await.unwrap();
        let c = campaign(&app, id).await;
        assert_eq!(c["status"], "running", "{c}");
        let first = c["counts"]["queued"].as_u64().unwrap();
        // A step catches up at most a second of slots (3 at 2/s); the server's own loop,
        // on the real clock, may have fed once too as the campaign started.
        assert!((1..=6).contains(&first), "{c}");
        // Time is driven in steps, as the worker's own loop would (it never skips seconds).
        steps(&app, t0, 250..=2000).await;
        let queued = campaign(&app, id).await["counts"]["queued"]
            .as_u64()
            .unwrap();
        assert!(
            (first + 3..=first + 5).contains(&queued),
            "{queued} after 2 s at 2/s from {first}"
        );
        // Paused: nothing more however long.
        let res = post(&app, &format!("/api/v1/campaigns/{id}/pause")).await;
        assert_eq!(res.status(), 200);
        app.app
            .drain_at(t0 + jiff::SignedDuration::from_secs(30))
            .await
            .unwrap();
        let c = campaign(&app, id).await;
        assert_eq!(
            (c["status"].as_str(), c["pause_reason"].as_str()),
            (Some("paused"), Some("operator"))
        );
        assert_eq!(c["counts"]["queued"].as_u64().unwrap(), queued);
        let res = post(&app, &format!("/api/v1/campaigns/{id}/resume")).await;
        assert_eq!(res.status(), 200);
        steps(&app, t0, 30_250..=32_000).await;
        let resumed = campaign(&app, id).await["counts"]["queued"]
            .as_u64()
            .unwrap();
        assert!(resumed > queued, "{resumed} > {queued}");
        let res = post(&app, &format!("/api/v1/campaigns/{id}/cancel")).await;
        let c: Value = res.json().await.unwrap();
        assert_eq!(c["status"], "cancelled");
        app.app
            .drain_at(t0 + jiff::SignedDuration::from_secs(120))
            .await
            .unwrap();
        let c = campaign(&app, id).await;
        assert_eq!(c["counts"]["queued"].as_u64().unwrap(), resumed, "{c}");
        assert!(c["counts"]["pending"].as_u64().unwrap() > 0);
        let out = app.messages("direction=outbound").await;
        assert_eq!(
            out.len() as u64,
            resumed,
            "every queued recipient, and no other, has a message"
        );
        // The contact's name was not known: the fallback.
        assert!(out.iter().all(|m| {
            m["rendered"]["body"]
                .as_str()
                .unwrap()
                .starts_with("Hi there,")
        }));
    }
}

#[tokio::test]
async fn a_paused_template_pauses_the_campaign_until_it_is_approved_again() {
    for app in spawn_apps().await {
        app.configure_sandbox(json!({})).await;
        let channel = app.channel_id().await;
        let template = order_template(&app, "order_update").await;
        let tid = {
            let list: Value = app.get("/api/v1/channels").await.json().await.unwrap();
            let waba = list["data"][0]["waba_id"].as_str().unwrap().to_owned();
            let t: Value = app
                .get(&format!("/v23.0/{waba}/message_templates?name={template}"))
                .await
                .json()
                .await
                .unwrap();
            t["data"][0]["id"].as_str().unwrap().to_owned()
        };
        let mut body = broadcast(&channel, "Quality", &template);
        body["params"] = json!({"body": [{"from": "fixed", "value": "friend"}, {"from": "fixed", "value": "X"}]});
        body["rate"] = json!(1);
        let c = create(&app, body).await;
        let id = c["id"].as_str().unwrap();
        let numbers: Vec<String> = (1..=10).map(|i| format!("+4477009003{i:02}")).collect();
        app.post_json(
            &format!("/api/v1/campaigns/{id}/audience"),
            &json!({"numbers": numbers}),
        )
        .await;
        assert_eq!(
            post(&app, &format!("/api/v1/campaigns/{id}/launch"))
                .await
                .status(),
            200
        );
        let t0 = from_now(Duration::from_secs(1));
        app.app.drain_at(t0).await.unwrap();
        let res = app
            .post_json(
                &format!("/sandbox/templates/{tid}/quality"),
                &json!({"score": "RED"}),
            )
            .await;
        assert!(res.status().is_success(), "{}", res.text().await.unwrap());
        app.app
            .drain_at(t0 + jiff::SignedDuration::from_secs(2))
            .await
            .unwrap();
        let c = campaign(&app, id).await;
        assert_eq!(c["status"], "paused", "{c}");
        assert_eq!(c["pause_reason"], "template_paused", "{c}");
        let queued = c["counts"]["queued"].as_u64().unwrap();
        // The operator cannot resume it while the template is paused.
        let res = post(&app, &format!("/api/v1/campaigns/{id}/resume")).await;
        assert_manage_error(res, 400, "template_paused").await;
        // Meta's first pause lasts 3 hours: then the template is APPROVED and it resumes.
        app.app
            .drain_at(t0 + jiff::SignedDuration::from_hours(3) + jiff::SignedDuration::from_secs(5))
            .await
            .unwrap();
        app.app
            .drain_at(
                t0 + jiff::SignedDuration::from_hours(3) + jiff::SignedDuration::from_secs(10),
            )
            .await
            .unwrap();
        let c = campaign(&app, id).await;
        assert_eq!(c["status"], "running", "{c}");
        assert!(c["counts"]["queued"].as_u64().unwrap() > queued, "{c}");
    }
}

#[tokio::test]
async fn an_api_campaign_grows_one_recipient_per_call_and_counts_replies() {
    for app in spawn_apps().await {
        app.configure_sandbox(json!({})).await;
        let channel = app.channel_id().await;
        let template = order_template(&app, "order_update").await;
        let c = create(
            &app,
            json!({"name": "Receipts", "kind": "api", "channel_id": channel,
                   "template": {"name": template, "language": "en_US"},
                   "params": {"body": [{"from": "attribute", "name": "name"}, {"from": "fixed", "value": "X"}]}}),
        )
        .await;
        let id = c["id"].as_str().unwrap();
        assert_eq!(
            post(&app, &format!("/api/v1/campaigns/{id}/launch"))
                .await
                .status(),
            200
        );
        let res = app
            .post_json(
                &format!("/api/v1/campaigns/{id}/recipients"),
                &json!({"to": "+447700900401", "params": ["Brindha", "ORD-9"]}),
            )
            .await;
        assert_eq!(res.status(), 202, "{}", res.text().await.unwrap());
        let res = app
            .post_json(
                &format!("/api/v1/campaigns/{id}/recipients"),
                &json!({"to": "+447700900401"}),
            )
            .await;
        assert_manage_error(res, 409, "campaign_state").await;
        for bad in [
            json!({"to": "nope"}),
            json!({"to": "+447700900402", "params": ["only one"]}),
            json!({"to": "+447700900402", "extra": true}),
        ] {
            let res = app
                .post_json(&format!("/api/v1/campaigns/{id}/recipients"), &bad)
                .await;
            assert_eq!(res.status(), 400, "{bad}");
        }
        settle(&app, Duration::from_secs(2)).await;
        let rows = recipients(&app, id, "").await;
        assert_eq!(rows["total"], 1, "{rows}");
        let wamid = rows["data"][0]["wamid"]
            .as_str()
            .unwrap_or_else(|| panic!("{}: not fed: {rows}", app.backend))
            .to_owned();
        let m = app.message(&wamid).await;
        assert_eq!(
            m["rendered"]["body"], "Hi Brindha, your order ORD-9 has shipped.",
            "{m}"
        );
        // An API campaign keeps running for the next call.
        let c = campaign(&app, id).await;
        assert_eq!(c["status"], "running", "{c}");
        // The user replies quoting it.
        app.inject(
            json!({"from": "447700900401", "type": "text", "text": {"body": "thanks"},
                          "context": {"id": wamid}}),
        )
        .await;
        settle(&app, Duration::from_secs(1)).await;
        let replied = recipients(&app, id, "status=REPLIED").await;
        assert_eq!(replied["total"], 1, "{}: {replied}", app.backend);
        assert!(replied["data"][0]["replied_at"].is_string(), "{replied}");
        let c = campaign(&app, id).await;
        assert_eq!(c["counts"]["replied"], 1, "{c}");
        // Cancelled, it takes no more recipients.
        post(&app, &format!("/api/v1/campaigns/{id}/cancel")).await;
        let res = app
            .post_json(
                &format!("/api/v1/campaigns/{id}/recipients"),
                &json!({"to": "+447700900403"}),
            )
            .await;
        assert_manage_error(res, 409, "campaign_state").await;
    }
}

#[tokio::test]
async fn the_messaging_tier_holds_recipients_back_and_api_sends_are_not_starved() {
    for app in spawn_apps().await {
        app.configure_sandbox(json!({})).await;
        let channel = app.channel_id().await;
        let res = app
            .patch_json(
                &format!("/api/v1/channels/{channel}"),
                &json!({"messaging_limit_tier": "TIER_250", "throughput_mps": 1000}),
            )
            .await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        let template = order_template(&app, "order_update").await;
        let mut body = broadcast(&channel, "Tiered", &template);
        body["params"] = json!({"body": [{"from": "fixed", "value": "friend"}, {"from": "fixed", "value": "X"}]});
        let c = create(&app, body).await;
        let id = c["id"].as_str().unwrap();
        let numbers: Vec<String> = (0..260)
            .map(|i| format!("+4477009{:05}", 10_000 + i))
            .collect();
        let res = app
            .post_json(
                &format!("/api/v1/campaigns/{id}/audience"),
                &json!({"numbers": numbers}),
            )
            .await;
        assert_eq!(res.status(), 200);
        let one_off = |to: &str| {
            json!({"to": to, "type": "template",
                   "template": {"name": template, "language": {"code": "en_US"},
                      "components": [{"type": "body", "parameters": [
                          {"type": "text", "text": "A"}, {"type": "text", "text": "B"}]}]}})
        };
        // A user reached today before the campaign: one of the tier's 250.
        app.send(one_off("447700988887")).await;
        assert_eq!(
            post(&app, &format!("/api/v1/campaigns/{id}/launch"))
                .await
                .status(),
            200
        );
        // A one-off send while the campaign runs still goes out.
        let wamid = app.send(one_off("447700988888")).await;
        for s in 1..=8 {
            settle(&app, Duration::from_secs(s * 2)).await;
        }
        let m = app.message(&wamid).await;
        assert_ne!(m["status"], "accepted", "{m}");
        let c = campaign(&app, id).await;
        // 250 users a day: the one-off sends took one or two of them (the second counts if
        // it was stored before the campaign's first feed); the rest wait.
        assert_eq!(c["status"], "running", "{c}");
        let queued = c["counts"]["queued"].as_u64().unwrap();
        assert!((248..=249).contains(&queued), "{c}");
        // More time does not release them: the window is 24 hours.
        settle(&app, Duration::from_secs(3_600)).await;
        assert_eq!(
            campaign(&app, id).await["counts"]["queued"]
                .as_u64()
                .unwrap(),
            queued
        );
        assert_eq!(
            recipients(&app, id, "status=PENDING").await["total"]
                .as_u64()
                .unwrap(),
            260 - queued
        );
    }
}

#[tokio::test]
async fn the_live_stream_follows_a_campaign_to_its_end() {
    for app in spawn_apps().await {
        app.configure_sandbox(json!({})).await;
        let channel = app.channel_id().await;
        let template = order_template(&app, "order_update").await;
        let mut body = broadcast(&channel, "Live", &template);
        body["params"] = json!({"body": [{"from": "fixed", "value": "friend"}, {"from": "fixed", "value": "X"}]});
        let c = create(&app, body).await;
        let id = c["id"].as_str().unwrap();
        app.post_json(
            &format!("/api/v1/campaigns/{id}/audience"),
            &json!({"numbers": ["+447700900501", "+447700900502"]}),
        )
        .await;
        let mut res = app.get(&format!("/api/v1/campaigns/{id}/events")).await;
        assert_eq!(res.status(), 200);
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/event-stream")
        );
        let first = String::from_utf8(res.chunk().await.unwrap().unwrap().to_vec()).unwrap();
        assert!(first.starts_with("event: campaign\n"), "{first}");
        assert!(first.contains("\"status\":\"draft\""), "{first}");
        assert_eq!(
            post(&app, &format!("/api/v1/campaigns/{id}/launch"))
                .await
                .status(),
            200
        );
        settle(&app, Duration::from_secs(2)).await;
        // The stream ends after the final state.
        let rest = tokio::time::timeout(Duration::from_secs(10), res.text())
            .await
            .expect("the stream ends once the campaign completes")
            .unwrap();
        assert!(rest.contains("\"status\":\"completed\""), "{rest}");
        let res = app
            .get("/api/v1/campaigns/00000000-0000-7000-8000-000000000000/events")
            .await;
        assert_manage_error(res, 404, "campaign_not_found").await;
    }
}

#[tokio::test]
async fn a_seed_001_xlsx_sheet_is_an_audience() {
    for app in spawn_apps().await {
        app.configure_sandbox(json!({})).await;
        let channel = app.channel_id().await;
        let template = order_template(&app, "order_update").await;
        let c = create(&app, broadcast(&channel, "Sheet", &template)).await;
        let id = c["id"].as_str().unwrap();
        // Seed 001's bulk layout, numbers typed as numbers, CTA columns the template has no
        // use for.
        let sheet = crate::contact_imports::xlsx(&[
            vec![
                json!("Country"),
                json!("Mobile"),
                json!("ctaVar1"),
                json!("ctaVar2"),
                json!("var1"),
                json!("var2"),
            ],
            vec![
                json!(91),
                json!(9_876_500_101_u64),
                json!(""),
                json!(""),
                json!("Asha"),
                json!("A-1"),
            ],
            vec![
                json!(91),
                json!(9_876_500_102_u64),
                json!(""),
                json!(""),
                json!("Ravi"),
                json!(7),
            ],
            vec![
                json!(91),
                json!("12"),
                json!(""),
                json!(""),
                json!("Bad"),
                json!("B"),
            ],
        ]);
        let res = upload(&app, id, "bulk.xlsx", sheet, &[]).await;
        assert_eq!(res.status(), 202, "{}", res.text().await.unwrap());
        settle(&app, Duration::from_millis(10)).await;
        let c = campaign(&app, id).await;
        assert_eq!(c["audience"]["status"], "ready", "{c}");
        assert_eq!(c["counts"]["recipients"], 2, "{c}");
        let errors: Value = app
            .get(&format!("/api/v1/campaigns/{id}/errors"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(errors["data"][0]["row"], 4, "{errors}");
        assert_eq!(
            post(&app, &format!("/api/v1/campaigns/{id}/launch"))
                .await
                .status(),
            200
        );
        settle(&app, Duration::from_secs(2)).await;
        let out = app.messages("direction=outbound").await;
        let mut bodies: Vec<&str> = out
            .iter()
            .map(|m| m["rendered"]["body"].as_str().unwrap())
            .collect();
        bodies.sort_unstable();
        assert_eq!(
            bodies,
            vec![
                "Hi Asha, your order A-1 has shipped.",
                "Hi Ravi, your order 7 has shipped."
            ]
        );
    }
}
