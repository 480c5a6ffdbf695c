//! Reports on the management plane over real HTTP: message lists with totals, paged both
//! ways while messages keep arriving, per-channel message numbers under concurrent sends,
//! status histories, date ranges in the account's time zone, the CSV export, bad input.

use std::collections::HashSet;
use std::time::Duration;

use futures::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};
use wagate_core::Timestamp;
use wagate_core::contact::card::Timezone;

use crate::helpers::{TestApp, assert_manage_error, from_now, spawn_app, spawn_apps};

const USER: &str = "16505551234";

async fn list(app: &TestApp, query: &str) -> Value {
    let res = app.get(&format!("/api/v1/messages?{query}")).await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, 200, "{query}: {body}");
    body
}

fn ids(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn send_text(app: &TestApp, body: &str) -> String {
    app.send(json!({"to": USER, "type": "text", "text": {"body": body}}))
        .await
}

async fn inject(app: &TestApp, body: &str) -> Value {
    app.inject(json!({"from": USER, "type": "text", "text": {"body": body}}))
        .await
}

/// Every message id of the account, oldest first.
async fn all_ids(app: &TestApp) -> Vec<String> {
    ids(&list(app, "order=asc&limit=1000").await)
}

#[tokio::test]
async fn pages_go_both_ways_without_gaps_or_repeats_while_messages_keep_arriving() {
    for app in spawn_apps().await {
        for i in 0..7 {
            send_text(&app, &format!("m{i}")).await;
            if i % 2 == 0 {
                inject(&app, &format!("r{i}")).await;
            }
        }
        let before = all_ids(&app).await;
        assert_eq!(before.len(), 11, "{}", app.backend);

        // Newest first, three at a time, while sends and replies keep arriving.
        let mut seen = Vec::new();
        let mut after: Option<String> = None;
        let mut totals = Vec::new();
        loop {
            let q = match &after {
                Some(a) => format!("limit=3&after={a}"),
                None => "limit=3".to_owned(),
            };
            let page = list(&app, &q).await;
            totals.push(page["total"].as_u64().unwrap());
            seen.extend(ids(&page));
            send_text(&app, "meanwhile").await;
            inject(&app, "meanwhile too").await;
            match page["next_after"].as_str() {
                Some(a) => after = Some(a.to_owned()),
                None => break,
            }
        }
        let mut newest_first = before.clone();
        newest_first.reverse();
        assert_eq!(
            seen, newest_first,
            "{}: the walk saw what was there",
            app.backend
        );
        assert_eq!(totals[0], 11);
        assert_eq!(
            totals,
            (0..totals.len() as u64)
                .map(|i| 11 + 2 * i)
                .collect::<Vec<_>>(),
            "the total counts what arrived meanwhile"
        );

        // Oldest first from a message: everything newer than it, new arrivals included.
        let from = before[3].clone();
        let mut seen = Vec::new();
        let mut after = from.clone();
        for round in 0.. {
            let page = list(&app, &format!("order=asc&limit=4&after={after}")).await;
            seen.extend(ids(&page));
            if round < 3 {
                send_text(&app, "still arriving").await;
            }
            match page["next_after"].as_str() {
                Some(a) => after = a.to_owned(),
                None => break,
            }
        }
        let everything = all_ids(&app).await;
        let position = everything.iter().position(|id| *id == from).unwrap();
        assert_eq!(seen, everything[position + 1..].to_vec(), "{}", app.backend);
        let unique: HashSet<&String> = seen.iter().collect();
        assert_eq!(unique.len(), seen.len(), "no repeats");

        // Without the count.
        let page = list(&app, "limit=1&total=false").await;
        assert!(page["total"].is_null());
        assert_eq!(page["data"].as_array().unwrap().len(), 1);
        let page = list(&app, "limit=1000").await;
        assert_eq!(page["data"].as_array().unwrap().len(), everything.len());
        assert!(page["next_after"].is_null());
    }
}

#[tokio::test]
async fn message_numbers_are_gap_free_under_concurrent_sends() {
    for app in spawn_apps().await {
        let sends = (0..100).map(|i| {
            let app = &app;
            async move { send_text(app, &format!("n{i}")).await }
        });
        let injects = (0..10).map(|i| {
            let app = &app;
            async move { inject(app, &format!("in{i}")).await }
        });
        let (sent, _) = futures::join!(join_all(sends), join_all(injects));
        assert_eq!(sent.len(), 100);
        let channel = app.channel_id().await;
        let page = list(&app, &format!("channel_id={channel}&limit=1000")).await;
        assert_eq!(page["total"], 110);
        let mut numbers: Vec<u64> = page["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["number"].as_u64().unwrap())
            .collect();
        numbers.sort_unstable();
        assert_eq!(
            numbers,
            (1..=110).collect::<Vec<u64>>(),
            "{}: each number once",
            app.backend
        );

        // Filter by number: 11..=20.
        let page = list(
            &app,
            &format!("channel_id={channel}&number_after=10&number_before=21&order=asc"),
        )
        .await;
        assert_eq!(page["total"], 10);
        let mut got: Vec<u64> = page["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["number"].as_u64().unwrap())
            .collect();
        got.sort_unstable();
        assert_eq!(got, (11..=20).collect::<Vec<u64>>());

        // A new channel counts from 1; the message view shows the number.
        let other = app.create_channel(&app.api_key, "Second").await;
        let pnid = other["phone_number_id"].as_str().unwrap();
        let res = app
            .post_json(
                &format!("/v23.0/{pnid}/messages"),
                &json!({"messaging_product": "whatsapp", "to": USER, "type": "text", "text": {"body": "first"}}),
            )
            .await;
        assert_eq!(res.status(), 200);
        let wamid = res.json::<Value>().await.unwrap()["messages"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(app.message(&wamid).await["number"], 1);
    }
}

#[tokio::test]
async fn the_status_history_follows_a_message_to_read() {
    for app in spawn_apps().await {
        app.configure_sandbox(json!({"read_percent": 100})).await;
        // The user writes first: the service window is open.
        let inbound = inject(&app, "hi").await;
        let wamid = send_text(&app, "read me").await;
        // Hand-over, delivery and read each fall due after the step before: drain at a
        // time past each.
        for ahead in [5, 10, 15] {
            app.app
                .drain_at(from_now(Duration::from_secs(ahead)))
                .await
                .unwrap();
        }
        let m = app.message(&wamid).await;
        assert_eq!(m["status"], "read", "{m}");

        for key in [wamid.clone(), m["id"].as_str().unwrap().to_owned()] {
            let res = app.get(&format!("/api/v1/messages/{key}/statuses")).await;
            assert_eq!(res.status(), 200);
            let history: Value = res.json().await.unwrap();
            assert_eq!(history["message_id"], m["id"]);
            assert_eq!(history["number"], m["number"]);
            let steps = history["data"].as_array().unwrap();
            let statuses: Vec<&str> = steps
                .iter()
                .map(|s| s["status"].as_str().unwrap())
                .collect();
            assert_eq!(
                statuses,
                ["accepted", "sent", "delivered", "read"],
                "{history}"
            );
            let times: Vec<Timestamp> = steps
                .iter()
                .map(|s| s["at"].as_str().unwrap().parse().unwrap())
                .collect();
            assert!(times.windows(2).all(|w| w[0] <= w[1]), "{history}");
            assert_eq!(steps[0]["at"], m["created_at"]);
            assert_eq!(steps[1]["at"], m["sent_at"]);
            assert_eq!(steps[2]["at"], m["delivered_at"]);
            assert_eq!(steps[3]["at"], m["read_at"]);
            assert_eq!(
                steps[1]["pricing"], m["pricing"],
                "sent carries Meta's pricing"
            );
            assert!(steps.iter().all(|s| s["error"].is_null()));
        }

        // A message outside the window (no one wrote from that number) fails, with its error
        // in the history.
        let failed = app
            .send(json!({"to": "16505550404", "type": "text", "text": {"body": "hello?"}}))
            .await;
        // Hand-over, delivery and read each fall due after the step before: drain at a
        // time past each.
        for ahead in [5, 10, 15] {
            app.app
                .drain_at(from_now(Duration::from_secs(ahead)))
                .await
                .unwrap();
        }
        let history: Value = app
            .get(&format!("/api/v1/messages/{failed}/statuses"))
            .await
            .json()
            .await
            .unwrap();
        let last = history["data"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["status"], "failed", "{history}");
        assert_eq!(last["error"]["code"], 131047, "{history}");
        assert_eq!(last["at"], app.message(&failed).await["failed_at"]);

        // An inbound message was received.
        let history: Value = app
            .get(&format!(
                "/api/v1/messages/{}/statuses",
                inbound["id"].as_str().unwrap()
            ))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(history["data"].as_array().unwrap().len(), 1);
        assert_eq!(history["data"][0]["status"], "received");

        // Another account does not see it.
        let (_, other_key) = app.other_account().await;
        for path in [
            format!("/api/v1/messages/{wamid}/statuses"),
            format!("/api/v1/messages/{}/statuses", m["id"].as_str().unwrap()),
            format!("/api/v1/messages/{}", m["id"].as_str().unwrap()),
        ] {
            let res = app
                .with_key(Method::GET, &path, &other_key)
                .send()
                .await
                .unwrap();
            assert_manage_error(res, 404, "message_not_found").await;
        }
        let list: Value = app
            .with_key(Method::GET, "/api/v1/messages", &other_key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(list["total"], 0);
    }
}

/// A zone whose date today differs from UTC's (one of the two always does).
fn zone_off_utc() -> (Timezone, String) {
    let now = Timestamp::now();
    let utc = now.to_zoned(Timezone::utc().zone()).date().to_string();
    for name in ["Pacific/Kiritimati", "Pacific/Pago_Pago"] {
        let tz = Timezone::parse(name).unwrap();
        let local = now.to_zoned(tz.zone()).date().to_string();
        if local != utc {
            return (tz, local);
        }
    }
    unreachable!("UTC+14 and UTC-11 cannot both share UTC's date")
}

#[tokio::test]
async fn date_ranges_are_days_in_the_accounts_timezone() {
    for app in spawn_apps().await {
        let account: Value = app.get("/api/v1/account").await.json().await.unwrap();
        assert_eq!(account["timezone"], "UTC");
        let (tz, today) = zone_off_utc();

        send_text(&app, "one").await;
        send_text(&app, "two").await;
        inject(&app, "three").await;
        let range = format!("from={today}&to={today}");

        // In UTC that date is not today: nothing.
        assert_eq!(list(&app, &range).await["total"], 0, "{}", app.backend);

        let res = app
            .patch_json("/api/v1/account", &json!({"timezone": tz.as_str()}))
            .await;
        assert_eq!(res.status(), 200);
        let account: Value = res.json().await.unwrap();
        assert_eq!(account["timezone"], tz.as_str());
        assert_eq!(
            app.get("/api/v1/account")
                .await
                .json::<Value>()
                .await
                .unwrap()["timezone"],
            tz.as_str()
        );

        // In the account's zone it is today: all three, and the filters still apply.
        assert_eq!(list(&app, &range).await["total"], 3);
        assert_eq!(
            list(&app, &format!("{range}&direction=outbound")).await["total"],
            2
        );
        assert_eq!(list(&app, &format!("to={today}")).await["total"], 3);
        assert_eq!(
            list(&app, &format!("from={today}&status=received")).await["total"],
            1
        );
        // An instant is an instant, whatever the zone.
        let later = from_now(Duration::from_secs(3600));
        assert_eq!(list(&app, &format!("from={later}")).await["total"], 0);
        assert_eq!(list(&app, &format!("to={later}")).await["total"], 3);
        let export = app
            .get(&format!("/api/v1/messages/export?{range}"))
            .await
            .text()
            .await
            .unwrap();
        assert_eq!(export.lines().count(), 4, "header and three rows");

        // Settings: a zone that does not exist, unknown fields, a scoped key.
        let res = app
            .patch_json("/api/v1/account", &json!({"timezone": "Mars/Olympus_Mons"}))
            .await;
        assert_manage_error(res, 400, "invalid_request").await;
        let res = app
            .patch_json("/api/v1/account", &json!({"name": "x"}))
            .await;
        assert_eq!(res.status(), 400);
        let res = app.patch_json("/api/v1/account", &json!({})).await;
        assert_eq!(res.status(), 200, "nothing to change");
    }
}

#[tokio::test]
async fn the_csv_export_is_the_filtered_list() {
    for app in spawn_apps().await {
        app.send(
            json!({"to": USER, "type": "text", "text": {"body": "Hello, \"world\""},
                        "biz_opaque_callback_data": "order-9"}),
        )
        .await;
        send_text(&app, "second").await;
        inject(&app, "a reply").await;
        let res = app
            .get("/api/v1/messages/export?direction=outbound&order=asc")
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(
            res.headers().get("content-type").unwrap(),
            "text/csv; charset=utf-8"
        );
        let text = res.text().await.unwrap();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header: Vec<String> = reader
            .headers()
            .unwrap()
            .iter()
            .map(str::to_owned)
            .collect();
        assert_eq!(header[..3], ["number", "id", "wamid"]);
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 2, "{text}");
        let col = |name: &str| header.iter().position(|h| h == name).unwrap();
        assert_eq!(&rows[0][col("number")], "1");
        assert_eq!(&rows[1][col("number")], "2");
        assert_eq!(&rows[0][col("preview")], "Hello, \"world\"");
        assert_eq!(&rows[0][col("biz_opaque_callback_data")], "order-9");
        assert_eq!(&rows[0][col("direction")], "outbound");
        assert_eq!(&rows[0][col("wa_id")], USER);
        let listed = list(&app, "direction=outbound&order=asc").await;
        assert_eq!(
            &rows[0][col("id")],
            listed["data"][0]["id"].as_str().unwrap()
        );
        assert_eq!(
            &rows[1][col("created_at")],
            listed["data"][1]["created_at"].as_str().unwrap()
        );

        // Everything, newest first: the reply leads.
        let all = app
            .get("/api/v1/messages/export")
            .await
            .text()
            .await
            .unwrap();
        let mut reader = csv::Reader::from_reader(all.as_bytes());
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 3);
        assert_eq!(&rows[0][col("direction")], "inbound");
        assert_eq!(&rows[0][col("number")], "3");

        let res = app.get("/api/v1/messages/export?from=2026-02-30").await;
        assert_manage_error(res, 400, "invalid_query").await;
    }
}

#[tokio::test]
async fn bad_report_input_is_refused() {
    let app = spawn_app().await;
    send_text(&app, "x").await;
    for query in [
        "from=2026-02-30",
        "to=07-12-2026",
        "from=yesterday",
        "since=2026-12-07",
        "after=not-a-uuid",
        "limit=0",
        "limit=1001",
        "order=sideways",
        "number_after=-1",
        "number_before=abc",
        "number_before=9223372036854775808",
        "channel_id=nope",
        "total=maybe",
    ] {
        let res = app.get(&format!("/api/v1/messages?{query}")).await;
        assert_manage_error(res, 400, "invalid_query").await;
    }
    let page = list(&app, "limit=1000").await;
    assert_eq!(page["total"], 1);
    // A cursor that names no message is a place in the order all the same.
    let page = list(&app, "after=00000000-0000-7000-8000-000000000000&order=asc").await;
    assert_eq!(page["total"], 1);
    assert_eq!(page["data"].as_array().unwrap().len(), 1);
    for id in ["00000000-0000-7000-8000-000000000000", "nope", "wamid.AAAA"] {
        let res = app.get(&format!("/api/v1/messages/{id}/statuses")).await;
        assert_manage_error(res, 404, "message_not_found").await;
    }
}
