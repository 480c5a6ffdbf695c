//! Phone-number webhooks over real HTTP: `POST /sandbox/{phone_number_id}/quality` moves a
//! sandbox number's quality rating and messaging limit, and subscribers get Meta's
//! `phone_number_quality_update` (UPGRADE, DOWNGRADE, FLAGGED, UNFLAGGED), signed; the
//! sandbox's display-name reviewer sends `phone_number_name_update` (APPROVED, REJECTED).
//! Bad input (unknown or other accounts' numbers, cloud numbers, empty bodies, wrong types,
//! unknown tiers) is refused and records nothing.
//!
//! The name review decides 30 seconds after the request; the test calls the service with a
//! later `now` instead of waiting, as the registration tests do.

use reqwest::Method;
use serde_json::{Value, json};
use wagate_app::Principal;
use wagate_core::Timestamp;
use wagate_core::ids::{AccountId, PhoneNumberId};
use wagate_core::webhook::ascii;

use crate::helpers::{TestApp, assert_manage_error, spawn_apps};
use crate::receiver::{Post, Receiver, SECRET, TOKEN};

/// The first channel's view (the bootstrap sandbox channel).
async fn first_channel(app: &TestApp) -> Value {
    let list: Value = app.get("/api/v1/channels").await.json().await.unwrap();
    list["data"][0].clone()
}

/// A receiver subscribed to `fields`; the subscription's view.
async fn subscribe(app: &TestApp, fields: &[&str]) -> (Receiver, Value) {
    let receiver = Receiver::start().await;
    let res = app
        .post_json(
            "/api/v1/webhooks",
            &json!({"url": receiver.url, "secret": SECRET, "verify_token": TOKEN,
                "batch_size": 10, "fields": fields}),
        )
        .await;
    assert_eq!(res.status(), 201, "{}", app.backend);
    let sub = res.json().await.unwrap();
    (receiver, sub)
}

/// How many deliveries the subscription has (events are fanned out when recorded, in the
/// same transaction as the change, so this is exact at once).
async fn delivery_count(app: &TestApp, sub: &Value) -> usize {
    let id = sub["id"].as_str().unwrap();
    let log: Value = app
        .get(&format!("/api/v1/webhooks/{id}/deliveries?limit=100"))
        .await
        .json()
        .await
        .unwrap();
    log["data"].as_array().unwrap().len()
}

async fn set_quality(app: &TestApp, pnid: &str, body: &Value) -> reqwest::Response {
    app.post_json(&format!("/sandbox/{pnid}/quality"), body)
        .await
}

/// Sets the first number's standing, which must succeed; the answer.
async fn set(app: &TestApp, body: Value) -> Value {
    let res = set_quality(app, &app.phone_number_id, &body).await;
    assert_eq!(res.status(), 200, "{}: {body}", app.backend);
    res.json().await.unwrap()
}

/// Every change the receiver got, in arrival order, as `(field, value)`; each POST checked
/// to be signed over its exact bytes and shaped as Meta's management webhooks are (the
/// WABA's id, a time, no metadata).
async fn changes(receiver: &Receiver, waba: &str, n: usize) -> Vec<(String, Value)> {
    let posts: Vec<Post> = receiver.wait_events(n).await;
    let mut out = Vec::new();
    for post in posts {
        assert_eq!(
            post.signature,
            ascii::signature(SECRET.as_bytes(), &post.raw),
            "signed over the exact bytes sent"
        );
        assert_eq!(post.body["object"], "whatsapp_business_account");
        let entries = post.body["entry"].as_array().unwrap();
        assert_eq!(entries.len(), 1, "{}", post.body);
        let entry = &entries[0];
        assert_eq!(entry["id"], waba);
        assert!(entry["time"].is_i64(), "{entry}");
        for change in entry["changes"].as_array().unwrap() {
            assert!(change["value"].get("metadata").is_none(), "{change}");
            out.push((
                change["field"].as_str().unwrap().to_owned(),
                change["value"].clone(),
            ));
        }
    }
    assert_eq!(out.len(), n, "{out:?}");
    out
}

fn quality_update(display: &str, event: &str, old: Option<&str>, current: &str) -> Value {
    let mut v = json!({"display_phone_number": display, "event": event,
        "current_limit": current, "max_daily_conversations_per_business": current});
    if let Some(old) = old {
        v["old_limit"] = json!(old);
    }
    v
}

#[tokio::test]
async fn quality_and_limit_changes_reach_subscribers_signed() {
    for app in spawn_apps().await {
        let channel = first_channel(&app).await;
        let waba = channel["waba_id"].as_str().unwrap();
        let display = channel["display_phone_number"]
            .as_str()
            .unwrap()
            .trim_start_matches('+')
            .to_owned();
        assert_eq!(channel["quality_rating"], "GREEN");
        assert_eq!(channel["messaging_limit_tier"], "TIER_250");
        let (receiver, sub) = subscribe(&app, &["phone_number_quality_update"]).await;
        let (names, name_sub) = subscribe(&app, &["phone_number_name_update"]).await;

        // A higher tier: UPGRADE, from the old limit.
        let body = set(&app, json!({"messaging_limit_tier": "TIER_10K"})).await;
        let upgrade = quality_update(&display, "UPGRADE", Some("TIER_250"), "TIER_10K");
        assert_eq!(
            body,
            json!({"phone_number_id": app.phone_number_id, "quality_rating": "GREEN",
                "messaging_limit_tier": "TIER_10K", "changed": true, "events": [upgrade]}),
            "{}",
            app.backend
        );

        // RED and a lower tier at once: FLAGGED, then DOWNGRADE.
        let body = set(
            &app,
            json!({"quality_rating": "RED", "messaging_limit_tier": "TIER_2K"}),
        )
        .await;
        let flagged = quality_update(&display, "FLAGGED", None, "TIER_2K");
        let downgrade = quality_update(&display, "DOWNGRADE", Some("TIER_10K"), "TIER_2K");
        assert_eq!(body["events"], json!([flagged, downgrade]));
        assert_eq!(
            (&body["quality_rating"], &body["messaging_limit_tier"]),
            (&json!("RED"), &json!("TIER_2K"))
        );

        // The same again: nothing changes, nothing is sent.
        let body = set(
            &app,
            json!({"quality_rating": "RED", "messaging_limit_tier": "TIER_2K"}),
        )
        .await;
        assert_eq!(body["changed"], false);
        assert_eq!(body["events"], json!([]));

        // Leaving RED: UNFLAGGED. YELLOW to GREEN: a change no webhook reports.
        let body = set(&app, json!({"quality_rating": "YELLOW"})).await;
        let unflagged = quality_update(&display, "UNFLAGGED", None, "TIER_2K");
        assert_eq!(body["events"], json!([unflagged]));
        let body = set(&app, json!({"quality_rating": "GREEN"})).await;
        assert_eq!(
            (&body["changed"], &body["events"]),
            (&json!(true), &json!([]))
        );

        // The receiver got exactly the four events, signed, in Meta's envelope. They are not
        // about a message, so they carry no ordering key and may arrive in any order.
        let mut got = changes(&receiver, waba, 4).await;
        let field = "phone_number_quality_update".to_owned();
        let mut want = vec![
            (field.clone(), upgrade),
            (field.clone(), flagged),
            (field.clone(), downgrade),
            (field, unflagged),
        ];
        got.sort_by_key(|(_, v)| v.to_string());
        want.sort_by_key(|(_, v)| v.to_string());
        assert_eq!(got, want, "{}", app.backend);
        assert_eq!(delivery_count(&app, &sub).await, 4);
        assert_eq!(
            delivery_count(&app, &name_sub).await,
            0,
            "a name subscriber gets no quality events"
        );
        assert!(names.posts().is_empty());

        // The number shows its new standing on both planes.
        let channel = first_channel(&app).await;
        assert_eq!(channel["quality_rating"], "GREEN");
        assert_eq!(channel["messaging_limit_tier"], "TIER_2K");
        let number: Value = app
            .get(&format!(
                "/v23.0/{}?fields=quality_rating,whatsapp_business_manager_messaging_limit",
                app.phone_number_id
            ))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(number["quality_rating"], "GREEN");
        assert_eq!(
            number["whatsapp_business_manager_messaging_limit"],
            "TIER_2K"
        );
    }
}

fn operator(app: &TestApp) -> Principal {
    Principal::operator(app.account_id.parse::<AccountId>().unwrap())
}

/// The sandbox reviewer's read of the first number `seconds` from now.
async fn review_later(
    app: &TestApp,
    seconds: i64,
) -> wagate_app::channels::registration::PhoneNumber {
    let p = operator(app);
    let pnid = PhoneNumberId::parse(&app.phone_number_id).unwrap();
    let channel = app.app.channel_by_phone_number_id(&p, &pnid).await.unwrap();
    let later =
        Timestamp::from_millisecond(Timestamp::now().as_millisecond() + seconds * 1000).unwrap();
    app.app
        .phone_number(&p, channel, false, later)
        .await
        .unwrap()
}

#[tokio::test]
async fn display_name_decisions_reach_subscribers() {
    for app in spawn_apps().await {
        let channel = first_channel(&app).await;
        let waba = channel["waba_id"].as_str().unwrap().to_owned();
        let display = channel["display_phone_number"]
            .as_str()
            .unwrap()
            .trim_start_matches('+')
            .to_owned();
        let (receiver, sub) = subscribe(&app, &["phone_number_name_update"]).await;
        let (_quality, quality_sub) = subscribe(&app, &["phone_number_quality_update"]).await;
        let path = format!("/v23.0/{}", app.phone_number_id);

        // Requested: nothing yet. Reviewed 31 seconds on: APPROVED, and it is the name.
        let res = app
            .post_json(
                &path,
                &json!({"messaging_product": "whatsapp", "new_display_name": "Acme Shoes"}),
            )
            .await;
        assert_eq!(res.status(), 200, "{}", app.backend);
        assert_eq!(delivery_count(&app, &sub).await, 0);
        let number = review_later(&app, 31).await;
        assert_eq!(number.channel.verified_name.as_str(), "Acme Shoes");
        // A later read decides nothing again.
        review_later(&app, 40).await;
        assert_eq!(delivery_count(&app, &sub).await, 1);

        // A name claiming to be WhatsApp: REJECTED, with Meta's reason; the name stays.
        let res = app
            .post_json(&path, &json!({"new_display_name": "WhatsApp Help Desk"}))
            .await;
        assert_eq!(res.status(), 200);
        let number = review_later(&app, 31).await;
        assert_eq!(number.channel.verified_name.as_str(), "Acme Shoes");

        // Events that are not about a message carry no ordering key: two may arrive in
        // either order.
        let mut got = changes(&receiver, &waba, 2).await;
        got.sort_by_key(|(_, v)| v["decision"].as_str().unwrap_or_default().to_owned());
        let field = "phone_number_name_update".to_owned();
        assert_eq!(
            got,
            vec![
                (
                    field.clone(),
                    json!({"display_phone_number": display, "decision": "APPROVED",
                        "requested_verified_name": "Acme Shoes", "rejection_reason": null})
                ),
                (
                    field,
                    json!({"display_phone_number": display, "decision": "REJECTED",
                        "requested_verified_name": "WhatsApp Help Desk",
                        "rejection_reason": "NAME_FORMAT_UNACCEPTABLE"})
                ),
            ],
            "{}",
            app.backend
        );
        assert_eq!(delivery_count(&app, &quality_sub).await, 0);
    }
}

#[tokio::test]
async fn bad_input_is_refused_and_nothing_is_emitted() {
    for app in spawn_apps().await {
        let (receiver, sub) = subscribe(
            &app,
            &["phone_number_quality_update", "phone_number_name_update"],
        )
        .await;
        let ours = app.phone_number_id.clone();

        // Numbers that are not the caller's: unknown, malformed, another account's.
        for pnid in ["123456789", "not-a-number"] {
            let res = set_quality(&app, pnid, &json!({"quality_rating": "RED"})).await;
            let body = assert_manage_error(res, 404, "channel_not_found").await;
            assert!(
                body["error"]["message"].as_str().unwrap().contains(pnid),
                "{body}"
            );
        }
        let (_, other_key) = app.other_account().await;
        let theirs = app.create_channel(&other_key, "Theirs").await;
        let their_pnid = theirs["phone_number_id"].as_str().unwrap();
        let res = set_quality(&app, their_pnid, &json!({"quality_rating": "RED"})).await;
        assert_manage_error(res, 404, "channel_not_found").await;
        let res = app
            .with_key(
                Method::POST,
                &format!("/sandbox/{ours}/quality"),
                &other_key,
            )
            .json(&json!({"messaging_limit_tier": "TIER_UNLIMITED"}))
            .send()
            .await
            .unwrap();
        assert_manage_error(res, 404, "channel_not_found").await;

        // A cloud number: Meta rates it.
        let res = app
            .post_json(
                "/api/v1/channels",
                &json!({"verified_name": "Live", "phone_number_id": "106540352242922",
                    "waba_id": "102290129340398", "display_phone_number": "+14155552671",
                    "upstream": {"kind": "cloud", "access_token": "EAAG-secret"}}),
            )
            .await;
        assert_eq!(res.status(), 201);
        let res = set_quality(&app, "106540352242922", &json!({"quality_rating": "RED"})).await;
        let body = assert_manage_error(res, 400, "invalid_request").await;
        assert_eq!(body["error"]["field"], "phone_number_id");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("sandbox numbers only"),
            "{body}"
        );

        // Bodies: empty, wrong types, unknown values and fields.
        let cases: Vec<(Value, &str)> = vec![
            (json!({}), "quality_rating"),
            (json!({"quality_rating": null}), "quality_rating"),
            (json!({"quality_rating": 1}), "quality_rating"),
            (
                json!({"messaging_limit_tier": ["TIER_2K"]}),
                "messaging_limit_tier",
            ),
            (
                json!({"messaging_limit_tier": "TIER_1M"}),
                "messaging_limit_tier",
            ),
            (
                json!({"messaging_limit_tier": "tier_2k"}),
                "messaging_limit_tier",
            ),
            (json!({"quality_rating": "BLUE"}), "quality_rating"),
            (json!({"quality_rating": "UNKNOWN"}), "quality_rating"),
            (
                json!({"quality_rating": "RED", "messaging_limit_tier": "TIER_5"}),
                "messaging_limit_tier",
            ),
            (json!({"quality": "RED"}), ""),
        ];
        for (body, field) in cases {
            let res = set_quality(&app, &ours, &body).await;
            let err = assert_manage_error(res, 400, "invalid_request").await;
            if !field.is_empty() {
                assert_eq!(err["error"]["field"], field, "{body}: {err}");
            }
        }
        let err = assert_manage_error(
            set_quality(&app, &ours, &json!({"messaging_limit_tier": "TIER_1M"})).await,
            400,
            "invalid_request",
        )
        .await;
        assert!(
            err["error"]["message"]
                .as_str()
                .unwrap()
                .contains("TIER_UNLIMITED"),
            "the message names the tiers: {err}"
        );
        let res = app
            .post_raw(&format!("/sandbox/{ours}/quality"), "application/json", "")
            .await;
        assert_manage_error(res, 400, "malformed_json").await;
        let res = app
            .post_raw(&format!("/sandbox/{ours}/quality"), "text/plain", "RED")
            .await;
        assert_manage_error(res, 415, "unsupported_media_type").await;
        let res = app
            .client
            .post(app.url(&format!("/sandbox/{ours}/quality")))
            .json(&json!({"quality_rating": "RED"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);

        // Nothing changed and nothing was recorded (fan-out happens with the change, so the
        // log is exact now); the receiver stays quiet.
        let channel = first_channel(&app).await;
        assert_eq!(channel["quality_rating"], "GREEN");
        assert_eq!(channel["messaging_limit_tier"], "TIER_250");
        assert_eq!(delivery_count(&app, &sub).await, 0);
        app.app.drain().await.unwrap();
        assert!(receiver.posts().is_empty());
    }
}
