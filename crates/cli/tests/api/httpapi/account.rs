//! §3 instance status, §5 balance, §6 groups, §7 contacts.

use serde_json::{Value, json};

use super::{Instance, assert_error, shape};
use crate::helpers::spawn_apps;

#[tokio::test]
async fn the_qr_endpoints_answer_the_connected_instance() {
    for app in spawn_apps().await {
        let instance = Instance::of(&app).await;
        for op in ["qrCode", "qrCodeLink"] {
            let body = instance.ok(op, &[]).await;
            insta::allow_duplicates! {
                insta::assert_json_snapshot!("httpapi_instance", shape(&body), {
                    ".data.info.Wid" => "[the number]",
                });
            }
            let data = &body["data"];
            assert_eq!(data["instanceID"], app.channel_id().await.as_str());
            assert_eq!(
                (data["login"].as_bool(), data["info"]["Connected"].as_bool()),
                (Some(true), Some(true))
            );
        }
        // A deregistered number is not connected (and still no QR).
        let res = app
            .post_json(
                &format!("/v23.0/{}/deregister", app.phone_number_id),
                &json!({}),
            )
            .await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        let body = instance.ok("qrCode", &[]).await;
        assert_eq!(body["data"]["login"], false, "{body}");
        assert_eq!(body["status"], "success");
        // Sends from it are 04.
        let got = instance
            .get("sendText", &[("phone", "919300000001"), ("message", "x")])
            .await;
        assert_error(
            &got,
            400,
            "04-Phone number not registered on whatsapp or your instance not connected",
        );
    }
}

#[tokio::test]
async fn the_balance_comes_from_the_wallet() {
    for app in spawn_apps().await {
        let instance = Instance::of(&app).await;
        let res = app
            .patch_json(
                "/api/v1/wallet",
                &json!({"kind": "quota", "mode": "prepaid", "quota_expires_at": "2099-05-04T16:59:59Z"}),
            )
            .await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        for (amount, pool) in [(4300, "main"), (100, "backup")] {
            let res = app
                .post_json(
                    "/api/v1/wallet/top-ups",
                    &json!({"amount": amount, "pool": pool}),
                )
                .await;
            assert_eq!(
                res.status().as_u16() / 100,
                2,
                "{}",
                res.text().await.unwrap()
            );
        }
        let body = instance.ok("checkBal", &[]).await;
        insta::allow_duplicates! {
            insta::assert_json_snapshot!("httpapi_balance", shape(&body));
        }
        assert_eq!(body["data"]["quota"], 4300);
        assert_eq!(body["data"]["backup"]["quota"], 100);
        assert_eq!(body["data"]["status"], "active");
    }
}

#[tokio::test]
async fn groups_and_contacts() {
    for app in spawn_apps().await {
        let instance = Instance::of(&app).await;
        for op in ["groups", "contacts"] {
            let got = instance.get(op, &[]).await;
            assert_error(&got, 400, "14-Data not found");
        }
        app.inject(
            json!({"from": "919300000001", "type": "text", "text": {"body": "hi"},
            "profile_name": "Asha"}),
        )
        .await;
        app.wait_messages("direction=inbound", 1).await;
        let body = instance.ok("contacts", &[]).await;
        let data = body["data"].as_array().unwrap();
        assert_eq!(data.len(), 1, "{body}");
        assert_eq!(data[0]["id"], "919300000001");

        let res = app
            .post_json(
                &format!("/v23.0/{}/groups", app.phone_number_id),
                &json!({"messaging_product": "whatsapp", "subject": "Techsona"}),
            )
            .await;
        let created: Value = res.json().await.unwrap();
        let body = instance.ok("groups", &[]).await;
        assert_eq!(body["data"][0]["name"], "Techsona", "{body} {created}");
        assert!(body["data"][0]["participants"].is_array());
    }
}
