//! Message analytics over real HTTP, on SQLite and PostgreSQL: the counters kept with each
//! change equal a recount of the messages table, split by the dimensions asked for, cost
//! included; another account sees nothing; bad queries are refused.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{assert_manage_error, spawn_apps};

fn range() -> String {
    let now = wagate_core::Timestamp::now();
    let day = wagate_core::clock::SignedDuration::from_hours(24);
    format!("start={}&end={}", now - day, now + day)
}

#[tokio::test]
async fn counters_equal_a_recount_of_the_messages() {
    for app in spawn_apps().await {
        app.configure_sandbox(json!({"not_on_whatsapp": ["15550000000"]}))
            .await;
        app.simple_template("hello", "en").await;
        let hello = |to: &str| {
            json!({"to": to, "type": "template",
                "template": {"name": "hello", "language": {"code": "en"}}})
        };
        let mut ids = Vec::new();
        for to in ["15550001001", "15550001002", "447700900001", "15550000000"] {
            ids.push(app.send(hello(to)).await);
        }
        app.inject(json!({"from": "15550009999", "text": {"body": "hi"}}))
            .await;
        app.inject(json!({"from": "15550009999", "text": {"body": "again"}}))
            .await;
        ids.push(
            app.send(json!({"to": "15550009999", "type": "text", "text": {"body": "hello"}}))
                .await,
        );
        for id in &ids {
            app.wait_status(id, &["delivered", "read", "failed"]).await;
        }
        // The GB recipient answers the template by quoting it: a reply on the template's row.
        let gb = app.message(&ids[2]).await;
        app.inject(json!({"from": "447700900001", "text": {"body": "thanks"},
            "context": {"id": gb["wamid"]}}))
            .await;
        // Everything settles (reads follow deliveries in the sandbox).
        app.app.drain().await.unwrap();
        tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                if app.app.drain().await.unwrap() == 1 {
                    break;
                }
            }
        })
        .await
        .unwrap();

        // The recount, from the messages themselves.
        let all = app.messages("order=asc").await;
        let count = |field: &str| {
            all.iter()
                .filter(|m| m["direction"] == "outbound" && !m[field].is_null())
                .count() as i64
        };
        let received = all.iter().filter(|m| m["direction"] == "inbound").count() as i64;
        let replied = all
            .iter()
            .filter(|m| {
                m["direction"] == "inbound"
                    && all.iter().any(|o| {
                        o["direction"] == "outbound" && o["wamid"] == m["context_message_id"]
                    })
            })
            .count() as i64;
        let got: Value = app
            .get(&format!(
                "/api/v1/analytics/messages?{}&granularity=half_hour",
                range()
            ))
            .await
            .json()
            .await
            .unwrap();
        let sum = |field: &str| {
            got["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p[field].as_i64().unwrap())
                .sum::<i64>()
        };
        assert_eq!(sum("sent"), count("sent_at"), "{}: {got}", app.backend);
        assert_eq!(sum("delivered"), count("delivered_at"), "{got}");
        assert_eq!(sum("read"), count("read_at"), "{got}");
        assert_eq!(sum("failed"), count("failed_at"), "{got}");
        assert_eq!(sum("received"), received, "{got}");
        assert_eq!(sum("replied"), replied, "{got}");
        assert!(
            sum("failed") >= 1 && sum("received") >= 3 && replied == 1,
            "{got}"
        );
        // Cost: the charges of the delivered templates (postpaid wallet), by the ledger.
        let ledger = app
            .get("/api/v1/wallet/ledger?kind=charge&limit=100")
            .await
            .json::<Value>()
            .await
            .unwrap();
        let charged: i64 = ledger["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| -e["amount"].as_i64().unwrap())
            .sum();
        assert!(charged > 0, "{ledger}");
        assert_eq!(sum("cost"), charged, "{got}");
        let charges = ledger["data"].as_array().unwrap().len() as i64;
        // By month, today's whole UTC day is read from the day sums: the same figures.
        let monthly: Value = app
            .get(&format!(
                "/api/v1/analytics/messages?{}&granularity=month",
                range()
            ))
            .await
            .json()
            .await
            .unwrap();
        for field in [
            "sent",
            "delivered",
            "read",
            "failed",
            "received",
            "replied",
            "cost",
        ] {
            let total: i64 = monthly["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p[field].as_i64().unwrap())
                .sum();
            assert_eq!(total, sum(field), "{field}: {monthly}");
        }
        // In another zone the day sums are rebuilt: days and months still add up.
        let res = app
            .patch_json("/api/v1/account", &json!({"timezone": "Asia/Kathmandu"}))
            .await;
        assert_eq!(res.status(), 200);
        for granularity in ["day", "month"] {
            let local: Value = app
                .get(&format!(
                    "/api/v1/analytics/messages?{}&granularity={granularity}",
                    range()
                ))
                .await
                .json()
                .await
                .unwrap();
            assert_eq!(local["timezone"], "Asia/Kathmandu");
            for field in ["sent", "delivered", "read", "received", "cost"] {
                let total: i64 = local["data"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p[field].as_i64().unwrap())
                    .sum();
                assert_eq!(total, sum(field), "{granularity} {field}: {local}");
            }
        }
        let res = app
            .patch_json("/api/v1/account", &json!({"timezone": "UTC"}))
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(sum("charged"), charges, "{got}");

        // Costs: the same charges, by category and country, with totals; filters narrow.
        let costs: Value = app
            .get(&format!(
                "/api/v1/analytics/costs?{}&dimensions=category,country",
                range()
            ))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(costs["total_cost"], charged, "{costs}");
        assert_eq!(costs["total_charged"], charges, "{costs}");
        assert!(
            costs["data"]
                .as_array()
                .unwrap()
                .iter()
                .all(|p| p["cost"].as_i64().unwrap() > 0 && p["category"] == "utility"),
            "{costs}"
        );
        let us: Value = app
            .get(&format!("/api/v1/analytics/costs?{}&country=us", range()))
            .await
            .json()
            .await
            .unwrap();
        let gb_cost: i64 = costs["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["country"] == "GB")
            .map(|p| p["cost"].as_i64().unwrap())
            .sum();
        assert!(gb_cost > 0, "{costs}");
        assert_eq!(
            us["total_cost"].as_i64().unwrap() + gb_cost,
            charged,
            "{us}"
        );

        // By template and language: the reply stands beside the template's sends.
        let by_template: Value = app
            .get(&format!(
                "/api/v1/analytics/messages?{}&dimensions=template",
                range()
            ))
            .await
            .json()
            .await
            .unwrap();
        let hello = by_template["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["template"] == "hello")
            .unwrap_or_else(|| panic!("{by_template}"));
        assert_eq!(
            (hello["language"].as_str(), hello["replied"].as_i64()),
            (Some("en"), Some(1))
        );
        let hello_sent = all
            .iter()
            .filter(|m| m["type"] == "template" && !m["sent_at"].is_null())
            .count();
        assert_eq!(hello["sent"], hello_sent, "{by_template}");
        assert_eq!(
            (got["unit"].as_str(), got["currency"].as_str()),
            (Some("micros"), Some("USD"))
        );

        // By country and category, one day.
        let split: Value = app
            .get(&format!(
                "/api/v1/analytics/messages?{}&dimensions=country,category,direction",
                range()
            ))
            .await
            .json()
            .await
            .unwrap();
        let gb = split["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["country"] == "GB" && p["category"] == "utility")
            .unwrap_or_else(|| panic!("a GB utility point: {split}"));
        assert_eq!(gb["sent"], 1);
        assert_eq!(gb["replied"], 1);
        assert_eq!(gb["direction"], "business_initiated");
        assert!(
            split["data"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["direction"] == "user_initiated" && p["received"] == 2)
        );

        // Another account sees none of it.
        let (_, other) = app.other_account().await;
        let theirs: Value = app
            .with_key(
                Method::GET,
                &format!("/api/v1/analytics/messages?{}", range()),
                &other,
            )
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(theirs["data"], json!([]));

        for query in [
            "start=yesterday&end=2026-01-01T00:00:00Z".to_owned(),
            format!("{}&granularity=week", range()),
            format!("{}&dimensions=colour", range()),
            "start=2026-01-02T00:00:00Z&end=2026-01-01T00:00:00Z".to_owned(),
            "start=2024-01-01T00:00:00Z&end=2026-01-01T00:00:00Z".to_owned(),
            format!("{}&channel_id=nope", range()),
            format!("{}&direction=sideways", range()),
            format!("{}&country=GBR", range()),
            "end=2026-01-01T00:00:00Z".to_owned(),
        ] {
            let res = app
                .get(&format!("/api/v1/analytics/messages?{query}"))
                .await;
            assert_eq!(res.status(), 400, "{query}");
        }
        let res = app.get("/api/v1/analytics/messages?start=x&end=y").await;
        assert_manage_error(res, 400, "invalid_query").await;
        let res = app.get("/api/v1/analytics/costs?start=x&end=y").await;
        assert_manage_error(res, 400, "invalid_query").await;
    }
}
