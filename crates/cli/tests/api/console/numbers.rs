//! The console's numbers section over HTTP (see `crates/http/src/console/numbers.rs`): the
//! dashboard's figures are what was sent, the charts are inline SVG, the wallet and its
//! ledger (filters, keyset pages), the rate card, a scoped key's channels.

use serde_json::{Value, json};

use super::session::sign_in;
use crate::helpers::{TestApp, spawn_apps};

/// The figure `k` (`sent`, `delivered`…) of the period row `period` (`Today`, `7 days`…).
pub fn figure(html: &str, period: &str, k: &str) -> String {
    let row = html
        .split(&format!("data-period=\"{period}\""))
        .nth(1)
        .unwrap_or_else(|| panic!("no {period} row"));
    let row = &row[..row.find("</tr>").unwrap()];
    let at = row.find(&format!("data-k=\"{k}\">")).unwrap() + k.len() + 10;
    row[at..at + row[at..].find('<').unwrap()].to_owned()
}

/// What the API's analytics say of today and the last 30 days.
async fn api_counts(app: &TestApp) -> Value {
    let now = wagate_core::Timestamp::now();
    let start = now
        .checked_sub(jiff::SignedDuration::from_hours(24 * 31))
        .unwrap();
    let end = now
        .checked_add(jiff::SignedDuration::from_hours(24))
        .unwrap();
    let body: Value = app
        .get(&format!(
            "/api/v1/analytics/messages?start={start}&end={end}&granularity=month"
        ))
        .await
        .json()
        .await
        .unwrap();
    let mut sum = json!({"sent": 0, "delivered": 0, "failed": 0});
    for p in body["data"].as_array().unwrap() {
        for k in ["sent", "delivered", "failed"] {
            sum[k] = json!(sum[k].as_i64().unwrap() + p[k].as_i64().unwrap());
        }
    }
    sum
}

#[tokio::test]
async fn the_dashboard_shows_what_was_sent_with_charts() {
    for app in spawn_apps().await {
        app.configure_sandbox(json!({"read_percent": 0, "not_on_whatsapp": ["15550009999"]}))
            .await;
        // A user writes (the window opens); three answers reach them, one number is not on
        // WhatsApp.
        app.inject(json!({"from": "15550001111", "type": "text", "text": {"body": "hi"}}))
            .await;
        let mut sent = Vec::new();
        for i in 0..3 {
            sent.push(
                app.send(json!({"to": "15550001111", "type": "text", "text": {"body": format!("answer {i}")}}))
                    .await,
            );
        }
        let lost = app
            .send(json!({"to": "15550009999", "type": "text", "text": {"body": "nobody"}}))
            .await;
        for id in &sent {
            app.wait_status(id, &["delivered"]).await;
        }
        app.wait_status(&lost, &["failed"]).await;
        app.app.drain().await.unwrap();

        let s = sign_in(&app, &app.api_key).await;
        let html = s.page("/console/numbers").await;
        let api = api_counts(&app).await;
        for period in ["Today", "7 days", "30 days"] {
            assert_eq!(
                figure(&html, period, "delivered"),
                "3",
                "{}: {period}",
                app.backend
            );
            assert_eq!(figure(&html, period, "failed"), "1", "{period}");
            assert_eq!(
                figure(&html, period, "sent"),
                api["sent"].to_string(),
                "{period}: as the API counts"
            );
            assert_eq!(figure(&html, period, "read"), "0");
        }
        assert_eq!(api["delivered"], 3);
        // Two charts, drawn on the server: the four message series and the cost.
        assert_eq!(html.matches("<svg role=\"img\"").count(), 2, "{html}");
        assert!(html.contains("aria-label=\"Messages per day over 30 days"));
        assert!(html.contains("<polyline"));
        assert!(
            html.contains("delivered: ") && html.contains(" 3."),
            "the desc lists the points"
        );
        // The channel table: the sandbox channel with its quality and tier.
        assert!(
            html.contains(">GREEN<") && html.contains("TIER_250"),
            "{html}"
        );
        // The wallet and the rate card.
        assert!(html.contains("data-testid=\"balance\""));
        assert!(
            html.contains("Rate card") && html.contains("<td>*</td>"),
            "the default card"
        );

        // One channel: the same figures (only one has traffic); another one's are zero.
        let first = app.channel_id().await;
        let html = s.page(&format!("/console/numbers?channel={first}")).await;
        assert_eq!(figure(&html, "Today", "delivered"), "3");
        let second = app.create_channel(&app.api_key, "Second line").await;
        let second = second["id"].as_str().unwrap();
        let html = s.page(&format!("/console/numbers?channel={second}")).await;
        assert_eq!(figure(&html, "30 days", "delivered"), "0");
        // Unknown and malformed channels: 404.
        let res = s
            .get("/console/numbers?channel=0195f0e0-0000-7000-8000-000000000000")
            .await;
        assert_eq!(res.status(), 404);
        assert_eq!(s.get("/console/numbers?channel=nope").await.status(), 404);

        // A key limited to the second channel sees only it.
        let res = app
            .post_json(
                "/api/v1/api-keys",
                &json!({"name": "second only", "channel_ids": [second]}),
            )
            .await;
        assert_eq!(res.status(), 201);
        let key: Value = res.json().await.unwrap();
        let scoped = sign_in(&app, key["key"].as_str().unwrap()).await;
        let html = scoped.page("/console/numbers").await;
        assert!(html.contains("Second line"));
        assert!(!html.contains(&first), "the other channel is not listed");
        assert_eq!(figure(&html, "30 days", "delivered"), "0", "nor counted");
        let res = scoped
            .get(&format!("/console/numbers?channel={first}"))
            .await;
        assert_eq!(res.status(), 404);
    }
}

#[tokio::test]
async fn the_ledger_filters_and_pages() {
    for app in spawn_apps().await {
        for i in 0..52 {
            let res = app
                .post_json(
                    "/api/v1/wallet/top-ups",
                    &json!({"amount": 1_000_000 + i, "reference": format!("invoice-{i}")}),
                )
                .await;
            assert_eq!(res.status(), 201);
        }
        let res = app
            .post_json(
                "/api/v1/wallet/adjustments",
                &json!({"amount": -500_000, "reason": "goodwill correction"}),
            )
            .await;
        assert_eq!(res.status(), 201);
        let s = sign_in(&app, &app.api_key).await;

        let html = s.page("/console/numbers/ledger").await;
        assert_eq!(html.matches("data-entry=").count(), 50, "{}", app.backend);
        assert!(html.contains("goodwill correction"), "newest first");
        assert!(html.contains("invoice-51"));
        assert!(
            !html.contains("invoice-0<"),
            "the oldest is on the next page"
        );
        let next = html
            .split("href=\"/console/numbers/ledger?")
            .nth(1)
            .expect("a link to older entries")
            .split('"')
            .next()
            .unwrap()
            .replace("&#38;", "&");
        let older = s.page(&format!("/console/numbers/ledger?{next}")).await;
        assert_eq!(older.matches("data-entry=").count(), 3);
        assert!(older.contains("invoice-0<") && older.contains("invoice-1<"));
        assert!(!older.contains("Older entries"));

        // By kind: the one adjustment; and charges: none.
        let adj = s.page("/console/numbers/ledger?kind=adjustment").await;
        assert_eq!(adj.matches("data-entry=").count(), 1);
        assert!(adj.contains("-0.50"), "{adj}");
        let charges = s.page("/console/numbers/ledger?kind=charge").await;
        assert!(charges.contains("No entries."));
        // By day: today has them all, tomorrow nothing (kept through the next link).
        let tomorrow = (jiff::Zoned::now().date().tomorrow().unwrap()).to_string();
        let later = s
            .page(&format!("/console/numbers/ledger?since={tomorrow}"))
            .await;
        assert!(later.contains("No entries."));
        let today = jiff::Zoned::now()
            .with_time_zone(jiff::tz::TimeZone::UTC)
            .date()
            .to_string();
        let html = s
            .page(&format!(
                "/console/numbers/ledger?kind=top_up&until={tomorrow}&since={today}"
            ))
            .await;
        assert_eq!(html.matches("data-entry=").count(), 50);
        assert!(
            html.contains(&format!("kind=top_up&#38;since={today}")),
            "filters kept"
        );

        // Bad filters: a clear message.
        let res = s.get("/console/numbers/ledger?kind=bonus").await;
        assert_eq!(res.status(), 400);
        let body = res.text().await.unwrap();
        assert!(body.contains("kind must be top_up, adjustment"), "{body}");
        let res = s.get("/console/numbers/ledger?since=last%20week").await;
        assert_eq!(res.status(), 400);
        assert!(res.text().await.unwrap().contains("since must be a date"));
        let res = s.get("/console/numbers/ledger?after=zzz").await;
        assert_eq!(res.status(), 400);

        // The wallet on the dashboard: the balance the API reports.
        let wallet: Value = app.get("/api/v1/wallet").await.json().await.unwrap();
        let html = s.page("/console/numbers").await;
        let balance = wallet["balance"].as_i64().unwrap();
        let shown = format!("{}.", balance / 1_000_000);
        assert!(html.contains(&shown), "balance {balance}: {html}");
    }
}
