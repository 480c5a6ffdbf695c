//! §2 delivery reports and §4 inbox reports.

use serde_json::json;

use super::{Instance, assert_error, sent_ids, shape};
use crate::helpers::spawn_apps;

const PHONE: &str = "919300000001";

/// Today as the seed writes dates (`dd-mm-yyyy`, UTC: the account's default zone).
fn today() -> String {
    wagate_core::Timestamp::now()
        .strftime("%d-%m-%Y")
        .to_string()
}

#[tokio::test]
async fn a_sent_messages_status_and_the_delivery_report() {
    for app in spawn_apps().await {
        let instance = Instance::of(&app).await;
        // Nothing sent yet: the seed's 14.
        let got = instance.get("campaignReport", &[]).await;
        assert_error(&got, 400, "14-Data not found");

        app.configure_sandbox(json!({})).await;
        app.inject(json!({"from": PHONE, "type": "text", "text": {"body": "hi"}}))
            .await;
        let mut ids = Vec::new();
        for text in ["first", "second", "test_message"] {
            let body = instance
                .ok("sendText", &[("phone", PHONE), ("message", text)])
                .await;
            ids.extend(sent_ids(&body));
        }
        for id in &ids {
            app.wait_status(id, &["read"]).await;
        }
        // §2.1 by wagate's id and by wamid: 4 Read.
        let body = instance.ok("campaignStatus", &[("msg_id", &ids[2])]).await;
        insta::allow_duplicates! {
            insta::assert_json_snapshot!("httpapi_campaign_status", shape(&body));
        }
        let data = &body["data"];
        assert_eq!(
            (data["status"].as_u64(), data["statusInfo"].as_str()),
            (Some(4), Some("Read"))
        );
        assert_eq!(data["text"], "test_message");
        assert_eq!(data["phone"], PHONE);
        let wamid = data["waMessageID"].as_str().unwrap().to_owned();
        let by_wamid = instance.ok("campaignStatus", &[("msg_id", &wamid)]).await;
        assert_eq!(by_wamid["data"]["messageID"], ids[2].as_str());
        // An unknown id, a missing one.
        let got = instance
            .get(
                "campaignStatus",
                &[("msg_id", "0190f0f0-0000-7000-8000-000000000000")],
            )
            .await;
        assert_error(&got, 404, "14-Data not found");
        let got = instance.get("campaignStatus", &[]).await;
        assert_error(&got, 400, "13-Parameter required");

        // §2.2 last 7 days, newest first; `limit` the newest n; a range of today.
        let body = instance.ok("campaignReport", &[]).await;
        assert_eq!(
            (
                body["total"].as_u64(),
                body["offset"].as_u64(),
                body["limit"].as_u64()
            ),
            (Some(3), Some(0), Some(0))
        );
        assert_eq!(body["data"][0]["messageID"], ids[2].as_str());
        let body = instance.ok("campaignReport", &[("limit", "2")]).await;
        assert_eq!(body["data"].as_array().unwrap().len(), 2);
        assert_eq!(body["total"], 3);
        let day = today();
        let (status, body) = instance
            .post(
                "campaignReport",
                &[("start_date", &day), ("end_date", &day), ("limit", "1")],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        insta::allow_duplicates! {
            insta::assert_json_snapshot!("httpapi_campaign_report", shape(&body));
        }
        let got = instance
            .get(
                "campaignReport",
                &[("start_date", "01-01-2020"), ("end_date", "02-01-2020")],
            )
            .await;
        assert_error(&got, 400, "14-Data not found");
        let got = instance
            .get("campaignReport", &[("start_date", "2026-01-01")])
            .await;
        assert_error(&got, 400, "12-Parsing parameter failed");
        assert_eq!(got.1["field"], "start_date");
    }
}

#[tokio::test]
async fn the_inbox_report_and_its_offset() {
    for app in spawn_apps().await {
        let instance = Instance::of(&app).await;
        let got = instance.get("inboxReport", &[]).await;
        assert_error(&got, 400, "14-Data not found");
        for text in ["Let_me_check_the_status", "two", "three"] {
            app.inject(json!({"from": PHONE, "type": "text", "text": {"body": text}}))
                .await;
        }
        app.wait_messages("direction=inbound", 3).await;
        // §4.1 all, newest first.
        let body = instance.ok("inboxReport", &[("limit", "1")]).await;
        insta::allow_duplicates! {
            insta::assert_json_snapshot!("httpapi_inbox_report", shape(&body));
        }
        assert_eq!(body["total"], 3);
        assert_eq!(body["data"][0]["text"], "three");
        let day = today();
        let body = instance
            .ok("inboxReport", &[("start_date", &day), ("end_date", &day)])
            .await;
        let all = body["data"].as_array().unwrap().clone();
        assert_eq!(all.len(), 3);
        // §4.2 after a message, oldest first.
        let first = all[2]["messageID"].as_str().unwrap();
        let body = instance.ok("inboxReportOffset", &[("offset", first)]).await;
        let texts: Vec<_> = body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["text"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(texts, ["two", "three"]);
        let body = instance.ok("inboxReportOffset", &[("limit", "1")]).await;
        assert_eq!(body["data"][0]["text"], "Let_me_check_the_status");
        let last = all[0]["messageID"].as_str().unwrap();
        let got = instance.get("inboxReportOffset", &[("offset", last)]).await;
        assert_error(&got, 400, "14-Data not found");
    }
}
