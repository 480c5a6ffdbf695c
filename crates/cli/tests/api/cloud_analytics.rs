//! Meta's WABA analytics on the Cloud plane over real HTTP, on SQLite and PostgreSQL:
//! `analytics`, `conversation_analytics`, `pricing_analytics` and `template_analytics` of a
//! sandbox WABA equal what the management plane's analytics and the ledger say; a scoped
//! key sees its numbers only; bad parameters are Graph's code 100, another account's WABA
//! 100/33.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use wagate_core::Timestamp;

use crate::helpers::{TestApp, assert_graph_error, spawn_apps};

const DAY: i64 = 86_400;

async fn waba_id(app: &TestApp) -> String {
    let list: Value = app.get("/api/v1/channels").await.json().await.unwrap();
    list["data"][0]["waba_id"].as_str().unwrap().to_owned()
}

/// `GET path?query…` on the Cloud plane with `key`; the status and the body.
async fn graph(app: &TestApp, key: &str, path: &str, query: &[(&str, &str)]) -> (u16, Value) {
    let res = app
        .with_key(Method::GET, path, key)
        .query(query)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap())
}

/// Runs the workers until every delayed delivery and read has happened.
async fn settle(app: &TestApp) {
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
}

fn sum(points: &Value, field: &str) -> i64 {
    points
        .as_array()
        .unwrap_or_else(|| panic!("a list: {points}"))
        .iter()
        .map(|p| p[field].as_i64().unwrap_or(0))
        .sum()
}

fn sum_f(points: &Value, field: &str) -> f64 {
    points
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p[field].as_f64().unwrap_or(0.0))
        .sum()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[tokio::test]
async fn waba_analytics_equal_the_counters_and_the_ledger() {
    for app in spawn_apps().await {
        let key = app.api_key.clone();
        app.configure_sandbox(json!({"not_on_whatsapp": ["15550000000"]}))
            .await;
        let template_id = app.simple_template("hello", "en").await;
        let waba = waba_id(&app).await;
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
        ids.push(
            app.send(json!({"to": "15550009999", "type": "text", "text": {"body": "hello"}}))
                .await,
        );
        for id in &ids {
            app.wait_status(id, &["read", "failed"]).await;
        }
        // The first recipient answers the template, quoting it.
        app.inject(json!({"from": "15550001001", "text": {"body": "thanks"},
                          "context": {"id": ids[0]}}))
            .await;
        settle(&app).await;

        let now = Timestamp::now().as_second();
        let (start, end) = ((now - DAY).to_string(), (now + DAY).to_string());
        let manage_range = format!(
            "start={}&end={}",
            Timestamp::from_second(now - DAY).unwrap(),
            Timestamp::from_second(now + DAY).unwrap()
        );
        let manage: Value = app
            .get(&format!(
                "/api/v1/analytics/messages?{manage_range}&granularity=day&dimensions=direction,template"
            ))
            .await
            .json()
            .await
            .unwrap();
        let business: Vec<&Value> = manage["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["direction"] == "business_initiated")
            .collect();
        let manage_sum = |field: &str, template: Option<&str>| -> i64 {
            business
                .iter()
                .filter(|p| template.is_none_or(|t| p["template"] == t))
                .map(|p| p[field].as_i64().unwrap())
                .sum()
        };
        // The recount, from the messages themselves.
        let all = app.messages("order=asc").await;
        let recount = |field: &str| {
            all.iter()
                .filter(|m| m["direction"] == "outbound" && !m[field].is_null())
                .count() as i64
        };
        assert_eq!(manage_sum("sent", None), recount("sent_at"), "{manage}");

        // Messaging analytics, beside the WABA's own fields: every day of the range.
        let fields = format!("id,name,analytics.start({start}).end({end}).granularity(DAY)");
        let (status, got) = graph(
            &app,
            &key,
            &format!("/v23.0/{waba}"),
            &[("fields", fields.as_str())],
        )
        .await;
        assert_eq!(status, 200, "{}: {got}", app.backend);
        assert_eq!(got["id"], json!(waba));
        assert!(got["name"].is_string(), "{got}");
        let analytics = &got["analytics"];
        assert_eq!(analytics["granularity"], "DAY");
        let number = analytics["phone_numbers"][0].as_str().unwrap().to_owned();
        assert!(number.bytes().all(|b| b.is_ascii_digit()), "{analytics}");
        let points = &analytics["data_points"];
        assert!(points.as_array().unwrap().len() >= 2, "{analytics}");
        assert_eq!(sum(points, "sent"), manage_sum("sent", None), "{analytics}");
        assert_eq!(sum(points, "sent"), recount("sent_at"));
        assert_eq!(sum(points, "delivered"), recount("delivered_at"));
        for p in points.as_array().unwrap() {
            let day = Timestamp::from_second(p["start"].as_i64().unwrap()).unwrap();
            let same = business
                .iter()
                .filter(|m| m["start"].as_str().unwrap().parse::<Timestamp>().unwrap() == day)
                .map(|m| m["sent"].as_i64().unwrap())
                .sum::<i64>();
            assert_eq!(p["sent"].as_i64().unwrap(), same, "{p}");
            assert_eq!(
                p["end"].as_i64().unwrap() - p["start"].as_i64().unwrap(),
                DAY
            );
        }
        // Narrowed to the UK: one template there.
        let fields = format!(
            "analytics.start({start}).end({end}).granularity(DAY).country_codes([\"GB\"]).phone_numbers([\"{number}\"])"
        );
        let (_, gb) = graph(
            &app,
            &key,
            &format!("/{waba}"),
            &[("fields", fields.as_str())],
        )
        .await;
        assert_eq!(sum(&gb["analytics"]["data_points"], "sent"), 1, "{gb}");
        assert_eq!(gb["analytics"]["country_codes"], json!(["GB"]));

        // Conversation and pricing analytics: delivered business messages, split by charge.
        let ledger = app
            .get("/api/v1/wallet/ledger?kind=charge&limit=100")
            .await
            .json::<Value>()
            .await
            .unwrap();
        let charged_micros: i64 = ledger["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| -e["amount"].as_i64().unwrap())
            .sum();
        assert!(charged_micros > 0, "{ledger}");
        let charged_cost = charged_micros as f64 / 1e6;
        let fields = format!(
            "conversation_analytics.start({start}).end({end}).granularity(DAILY).metric_types([\"COST\",\"CONVERSATION\"]).dimensions([\"CONVERSATION_CATEGORY\",\"CONVERSATION_TYPE\",\"COUNTRY\",\"PHONE\",\"CONVERSATION_DIRECTION\"])"
        );
        let (status, conv) = graph(
            &app,
            &key,
            &format!("/v23.0/{waba}"),
            &[("fields", fields.as_str())],
        )
        .await;
        assert_eq!(status, 200, "{conv}");
        let points = &conv["conversation_analytics"]["data"][0]["data_points"];
        assert_eq!(
            sum(points, "conversation"),
            manage_sum("delivered", None),
            "{conv}"
        );
        assert!(
            close(sum_f(points, "cost"), charged_cost),
            "{conv} vs {charged_micros}"
        );
        let regular: i64 = points
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["conversation_type"] == "REGULAR")
            .map(|p| {
                assert_eq!(p["conversation_direction"], "BUSINESS_INITIATED", "{p}");
                assert_eq!(p["phone_number"], json!(number));
                p["conversation"].as_i64().unwrap()
            })
            .sum();
        assert_eq!(regular, manage_sum("charged", None), "{conv}");
        assert!(
            points
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["conversation_category"] == "SERVICE"
                    && p["conversation_type"] == "FREE_TIER"
                    && p["conversation_direction"] == "USER_INITIATED"),
            "the free-form answer is a free service conversation: {conv}"
        );
        assert!(
            points
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["conversation_category"] == "UTILITY" && p["country"] == "GB"),
            "{conv}"
        );

        let fields = format!(
            "pricing_analytics.start({start}).end({end}).granularity(DAILY).metric_types([\"COST\",\"VOLUME\"]).dimensions([\"PRICING_CATEGORY\",\"PRICING_TYPE\",\"TIER\"])"
        );
        let (status, pricing) = graph(
            &app,
            &key,
            &format!("/v23.0/{waba}"),
            &[("fields", fields.as_str())],
        )
        .await;
        assert_eq!(status, 200, "{pricing}");
        let points = &pricing["pricing_analytics"]["data"][0]["data_points"];
        assert_eq!(
            sum(points, "volume"),
            manage_sum("delivered", None),
            "{pricing}"
        );
        assert!(close(sum_f(points, "cost"), charged_cost), "{pricing}");
        for p in points.as_array().unwrap() {
            assert_eq!(p["tier"], "0:MAX");
            if p["pricing_type"] == "FREE_CUSTOMER_SERVICE" {
                assert_eq!(p["cost"].as_f64(), Some(0.0), "{p}");
            }
        }
        // Charged ones only, without the cost.
        let fields = format!(
            "pricing_analytics.start({start}).end({end}).granularity(MONTHLY).metric_types([VOLUME]).pricing_types([REGULAR])"
        );
        let (_, regular) = graph(
            &app,
            &key,
            &format!("/v23.0/{waba}"),
            &[("fields", fields.as_str())],
        )
        .await;
        let points = &regular["pricing_analytics"]["data"][0]["data_points"];
        assert_eq!(
            sum(points, "volume"),
            manage_sum("charged", None),
            "{regular}"
        );
        assert!(points[0].get("cost").is_none(), "{regular}");

        // Template analytics: sends, deliveries, reads and the reply, per day.
        let template_sent = all
            .iter()
            .filter(|m| m["type"] == "template" && !m["sent_at"].is_null())
            .count() as i64;
        let ids_param = format!("[\"{template_id}\"]");
        let query = [
            ("start", start.as_str()),
            ("end", end.as_str()),
            ("granularity", "DAILY"),
            (
                "metric_types",
                "[\"SENT\",\"DELIVERED\",\"READ\",\"CLICKED\",\"COST\"]",
            ),
            ("template_ids", ids_param.as_str()),
        ];
        let (status, templates) = graph(
            &app,
            &key,
            &format!("/v23.0/{waba}/template_analytics"),
            &query,
        )
        .await;
        assert_eq!(status, 200, "{templates}");
        let data = &templates["data"][0];
        assert_eq!(data["granularity"], "DAILY");
        assert_eq!(data["product_type"], "cloud_api");
        assert!(templates["paging"]["cursors"]["after"].is_string());
        let points = &data["data_points"];
        assert!(
            points
                .as_array()
                .unwrap()
                .iter()
                .all(|p| p["template_id"] == json!(template_id) && p["clicked"] == json!([]))
        );
        assert_eq!(sum(points, "sent"), template_sent, "{templates}");
        assert_eq!(sum(points, "sent"), manage_sum("sent", Some("hello")));
        assert_eq!(
            sum(points, "delivered"),
            manage_sum("delivered", Some("hello"))
        );
        assert_eq!(sum(points, "read"), manage_sum("read", Some("hello")));
        assert_eq!(sum(points, "delivered"), 3, "{templates}");
        assert_eq!(sum(points, "replied"), 1, "{templates}");
        let spent: f64 = points
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|p| p["cost"].as_array().unwrap().iter())
            .filter(|c| c["type"] == "amount_spent")
            .map(|c| c["value"].as_f64().unwrap())
            .sum();
        assert!(close(spent, charged_cost), "{templates}");
        // The same as a WABA field, without the version segment.
        let fields = format!(
            "template_analytics.start({start}).end({end}).granularity(DAILY).template_ids({ids_param})"
        );
        let (status, field) = graph(
            &app,
            &key,
            &format!("/{waba}"),
            &[("fields", fields.as_str())],
        )
        .await;
        assert_eq!(status, 200, "{field}");
        assert_eq!(
            field["template_analytics"]["data"][0]["data_points"],
            templates["data"][0]["data_points"]
        );
        let (status, unversioned) =
            graph(&app, &key, &format!("/{waba}/template_analytics"), &query).await;
        assert_eq!((status, &unversioned), (200, &templates));

        // A key for a second number of the WABA sees that number only.
        let second = app
            .post_json(
                "/api/v1/channels",
                &json!({"verified_name": "Second", "waba_id": waba}),
            )
            .await
            .json::<Value>()
            .await
            .unwrap();
        let res = app
            .post_json(
                "/api/v1/api-keys",
                &json!({"name": "second only", "channel_ids": [second["id"]]}),
            )
            .await;
        let scoped = res.json::<Value>().await.unwrap()["key"]
            .as_str()
            .unwrap()
            .to_owned();
        let fields = format!("analytics.start({start}).end({end}).granularity(DAY)");
        let (status, theirs) = graph(
            &app,
            &scoped,
            &format!("/v23.0/{waba}"),
            &[("fields", fields.as_str())],
        )
        .await;
        assert_eq!(status, 200, "{theirs}");
        assert_eq!(
            theirs["analytics"]["phone_numbers"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        assert_ne!(theirs["analytics"]["phone_numbers"][0], json!(number));
        assert_eq!(
            sum(&theirs["analytics"]["data_points"], "sent"),
            0,
            "{theirs}"
        );
        let (_, theirs) = graph(
            &app,
            &scoped,
            &format!("/v23.0/{waba}/template_analytics"),
            &query,
        )
        .await;
        assert_eq!(
            sum(&theirs["data"][0]["data_points"], "sent"),
            0,
            "{theirs}"
        );
    }
}

#[tokio::test]
async fn bad_analytics_parameters_are_graphs_code_100() {
    for app in spawn_apps().await {
        let key = app.api_key.clone();
        let waba = waba_id(&app).await;
        let template_id = app.simple_template("hello", "en").await;
        let now = Timestamp::now().as_second();
        let (start, end) = ((now - DAY).to_string(), (now + DAY).to_string());
        let path = format!("/v23.0/{waba}");

        for fields in [
            format!("analytics.end({end}).granularity(DAY)"),
            format!("analytics.start({start}).end({end}).granularity(WEEK)"),
            format!("analytics.start(yesterday).end({end}).granularity(DAY)"),
            format!("analytics.start({end}).end({start}).granularity(DAY)"),
            format!("analytics.start(0).end({end}).granularity(DAY)"),
            format!("id,analytics.start({start}).end({end}).granularity(DAY).colour(red)"),
            format!("conversation_analytics.start({start}).end({end}).granularity(DAY)"),
            format!(
                "pricing_analytics.start({start}).end({end}).granularity(DAILY).dimensions([WEEKDAY])"
            ),
            "analytics".to_owned(),
        ] {
            let res = app
                .req(Method::GET, &path)
                .query(&[("fields", fields.as_str())])
                .send()
                .await
                .unwrap();
            let body = assert_graph_error(res, 400, 100).await;
            assert!(
                body["error"].get("error_subcode").is_none(),
                "{fields}: {body}"
            );
        }

        let templates = format!("{path}/template_analytics");
        let eleven = format!(
            "[{}]",
            (0..11)
                .map(|i| format!("\"{}\"", 100_000 + i))
                .collect::<Vec<_>>()
                .join(",")
        );
        let ok_ids = format!("[\"{template_id}\"]");
        let cases: Vec<Vec<(&str, &str)>> = vec![
            vec![
                ("end", end.as_str()),
                ("granularity", "DAILY"),
                ("template_ids", ok_ids.as_str()),
            ],
            vec![
                ("start", "yesterday"),
                ("end", end.as_str()),
                ("granularity", "DAILY"),
                ("template_ids", ok_ids.as_str()),
            ],
            vec![
                ("start", start.as_str()),
                ("end", end.as_str()),
                ("granularity", "WEEK"),
                ("template_ids", ok_ids.as_str()),
            ],
            vec![
                ("start", start.as_str()),
                ("end", end.as_str()),
                ("granularity", "DAILY"),
            ],
            vec![
                ("start", start.as_str()),
                ("end", end.as_str()),
                ("granularity", "DAILY"),
                ("template_ids", eleven.as_str()),
            ],
            vec![
                ("start", start.as_str()),
                ("end", end.as_str()),
                ("granularity", "DAILY"),
                ("template_ids", "[\"123456789012345\"]"),
            ],
            vec![
                ("start", start.as_str()),
                ("end", end.as_str()),
                ("granularity", "DAILY"),
                ("template_ids", ok_ids.as_str()),
                ("metric_types", "[\"LIKES\"]"),
            ],
        ];
        for query in &cases {
            let res = app
                .req(Method::GET, &templates)
                .query(query)
                .send()
                .await
                .unwrap();
            let body = assert_graph_error(res, 400, 100).await;
            assert!(
                body["error"]["message"]
                    .as_str()
                    .unwrap()
                    .starts_with("(#100)"),
                "{query:?}: {body}"
            );
        }

        // Another account's WABA, like an unknown one, does not exist for the caller.
        let (_, other) = app.other_account().await;
        let fields = format!("analytics.start({start}).end({end}).granularity(DAY)");
        for (object, key) in [
            (waba.as_str(), other.as_str()),
            ("123456789012345", key.as_str()),
        ] {
            let (status, body) = graph(
                &app,
                key,
                &format!("/v23.0/{object}"),
                &[("fields", fields.as_str())],
            )
            .await;
            assert_eq!(status, 400, "{body}");
            assert_eq!(
                (&body["error"]["code"], &body["error"]["error_subcode"]),
                (&json!(100), &json!(33)),
                "{body}"
            );
            let (status, body) = graph(
                &app,
                key,
                &format!("/v23.0/{object}/template_analytics"),
                &[
                    ("start", start.as_str()),
                    ("end", end.as_str()),
                    ("granularity", "DAILY"),
                    ("template_ids", ok_ids.as_str()),
                ],
            )
            .await;
            assert_eq!(status, 400, "{body}");
            assert_eq!(
                (&body["error"]["code"], &body["error"]["error_subcode"]),
                (&json!(100), &json!(33)),
                "{body}"
            );
        }
    }
}
