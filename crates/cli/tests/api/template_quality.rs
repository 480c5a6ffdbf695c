//! The sandbox's review workflow after the first review: approve-all per channel, users'
//! quality ratings (`POST /sandbox/templates/{id}/quality`) with Meta's pause ladder and its
//! webhooks, pauses ending on their own, and Meta's category change on review.
//!
//! Pauses last Meta's 3 and 6 hours; the tests step the reviewer with a later `now` instead
//! of waiting (the server's own loop, on the real clock, never reaches a pause's end).

use std::time::Duration;

use serde_json::{Value, json};
use wagate_app::templates::review::TemplateReviewer;
use wagate_core::Timestamp;

use crate::helpers::{TestApp, assert_manage_error, spawn_apps_with};
use crate::receiver::{Receiver, SECRET, TOKEN};

const HOUR: i64 = 3_600_000;

/// The first channel's id and WABA.
async fn first_channel(app: &TestApp) -> (String, String) {
    let list: Value = app.get("/api/v1/channels").await.json().await.unwrap();
    let ch = &list["data"][0];
    (
        ch["id"].as_str().unwrap().to_owned(),
        ch["waba_id"].as_str().unwrap().to_owned(),
    )
}

fn order_update(name: &str) -> Value {
    json!({
        "name": name, "language": "en_US", "category": "UTILITY",
        "components": [{"type": "BODY", "text": "Hi {{1}}, your order {{2}} has shipped.",
            "example": {"body_text": [["Pablo", "860198"]]}}]
    })
}

/// A UTILITY template with marketing language (review rejects it as INCORRECT_CATEGORY).
fn promo(name: &str) -> Value {
    let mut t = order_update(name);
    t["components"][0]["text"] =
        json!("Hi {{1}}, our big sale is on: 20% off order {{2}} and more this weekend.");
    t
}

/// Creates a template in `waba`; its id.
async fn create(app: &TestApp, waba: &str, body: &Value) -> String {
    let res = app
        .post_json(&format!("/v23.0/{waba}/message_templates"), body)
        .await;
    assert_eq!(res.status(), 200, "{}", app.backend);
    let created: Value = res.json().await.unwrap();
    created["id"].as_str().unwrap().to_owned()
}

async fn template(app: &TestApp, id: &str) -> Value {
    app.get(&format!("/v23.0/{id}")).await.json().await.unwrap()
}

/// The template once the sandbox's review is due: the workers are driven a second on (past
/// the tests' 50 ms review delay), so it is reviewed, and its webhooks delivered, by then.
async fn reviewed(app: &TestApp, id: &str) -> Value {
    app.app
        .drain_at(crate::helpers::from_now(Duration::from_secs(1)))
        .await
        .unwrap();
    let t: Value = template(app, id).await;
    assert_ne!(
        t["status"], "PENDING",
        "template {id} was never reviewed: {t}"
    );
    t
}

async fn rate(app: &TestApp, id: &str, score: &str) -> reqwest::Response {
    app.post_json(
        &format!("/sandbox/templates/{id}/quality"),
        &json!({ "score": score }),
    )
    .await
}

/// Rates a template, which must succeed; the answer.
async fn rated(app: &TestApp, id: &str, score: &str) -> Value {
    let res = rate(app, id, score).await;
    assert_eq!(res.status(), 200, "{}: rating {id} {score}", app.backend);
    res.json().await.unwrap()
}

/// A receiver subscribed to every template field, batching so that the events of one
/// change arrive in one POST, in order.
async fn template_receiver(app: &TestApp) -> Receiver {
    let receiver = Receiver::start().await;
    let res = app
        .post_json(
            "/api/v1/webhooks",
            &json!({"url": receiver.url, "secret": SECRET, "verify_token": TOKEN,
                "batch_size": 10,
                "fields": ["message_template_status_update", "message_template_quality_update",
                    "template_category_update"]}),
        )
        .await;
    assert_eq!(res.status(), 201);
    receiver
}

/// Every change the receiver got, in arrival order: `(field, value)`, each entry checked to
/// be shaped as Meta's template events are (the WABA's id, a time, no metadata).
async fn changes(receiver: &Receiver, waba: &str, n: usize) -> Vec<(String, Value)> {
    let posts = receiver.wait_events(n).await;
    let mut out = Vec::new();
    for post in posts {
        let entry = &post.body["entry"][0];
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

/// The reviewer's step at `ms` from now (as the server's loop would run it then).
async fn step_at(app: &TestApp, ms: i64) -> usize {
    let reviewer = TemplateReviewer::new(app.app.store().clone(), app.app.templates_config());
    let later = Timestamp::from_millisecond(Timestamp::now().as_millisecond() + ms).unwrap();
    reviewer.run_once(later).await.unwrap()
}

#[tokio::test]
async fn a_channels_approve_templates_approves_every_template_of_its_waba() {
    let apps = spawn_apps_with(|c| c.templates.review_delay_ms = 50).await;
    for app in apps {
        let (channel, waba) = first_channel(&app).await;
        let second = app.create_channel(&app.api_key, "Second Shop").await;
        let other_waba = second["waba_id"].as_str().unwrap().to_owned();
        assert_ne!(waba, other_waba);

        let res = app
            .patch_json(
                &format!("/api/v1/channels/{channel}"),
                &json!({"upstream": {"kind": "sandbox", "sandbox": {"approve_templates": true}}}),
            )
            .await;
        assert_eq!(res.status(), 200, "{}", app.backend);
        let view: Value = res.json().await.unwrap();
        assert_eq!(view["upstream"]["sandbox"]["approve_templates"], true);
        assert_eq!(second["upstream"]["sandbox"]["approve_templates"], false);

        // The same content: approved as it is in the approving WABA, rejected in the other.
        let approved = create(&app, &waba, &promo("weekend_sale")).await;
        let rejected = create(&app, &other_waba, &promo("weekend_sale")).await;
        let t = reviewed(&app, &approved).await;
        assert_eq!(t["status"], "APPROVED", "{}: {t}", app.backend);
        assert_eq!(t["category"], "UTILITY", "approve-all keeps the category");
        let t = reviewed(&app, &rejected).await;
        assert_eq!(t["status"], "REJECTED", "{t}");
        assert_eq!(t["rejected_reason"], "INCORRECT_CATEGORY");

        // Turned off: the rules apply again.
        let res = app
            .patch_json(
                &format!("/api/v1/channels/{channel}"),
                &json!({"upstream": {"kind": "sandbox", "sandbox": {}}}),
            )
            .await;
        assert_eq!(res.status(), 200);
        let again = create(&app, &waba, &promo("autumn_sale")).await;
        assert_eq!(reviewed(&app, &again).await["status"], "REJECTED");
        app.stop().await;
    }
}

#[tokio::test]
async fn red_ratings_pause_twice_then_disable_and_pauses_end_on_their_own() {
    let apps = spawn_apps_with(|c| c.templates.review_delay_ms = 50).await;
    for app in apps {
        let (_, waba) = first_channel(&app).await;
        let receiver = template_receiver(&app).await;
        let id = create(&app, &waba, &order_update("order_update")).await;
        assert_eq!(reviewed(&app, &id).await["status"], "APPROVED");
        let mut seen = changes(&receiver, &waba, 1).await;
        assert_eq!(seen[0].1["event"], "APPROVED");
        assert!(seen[0].1.get("other_info").is_none());
        let numeric: u64 = id.parse().unwrap();

        // GREEN: a quality update only.
        let answer = rated(&app, &id, "green").await;
        assert_eq!(
            answer,
            json!({"id": id, "status": "APPROVED", "quality_score": "GREEN", "pause_count": 0})
        );
        assert_eq!(template(&app, &id).await["quality_score"]["score"], "GREEN");
        seen = changes(&receiver, &waba, 2).await;
        assert_eq!(seen[1].0, "message_template_quality_update");
        assert_eq!(
            seen[1].1,
            json!({"previous_quality_score": "UNKNOWN", "new_quality_score": "GREEN",
                "message_template_id": numeric, "message_template_name": "order_update",
                "message_template_language": "en_US"})
        );

        // RED: the quality update, then the first pause (3 hours), in that order.
        let answer = rated(&app, &id, "RED").await;
        assert_eq!(answer["status"], "PAUSED", "{}: {answer}", app.backend);
        assert_eq!(answer["pause_count"], 1);
        assert!(answer["paused_until"].is_string(), "{answer}");
        assert_eq!(template(&app, &id).await["status"], "PAUSED");
        seen = changes(&receiver, &waba, 4).await;
        assert_eq!(seen[2].0, "message_template_quality_update");
        assert_eq!(seen[2].1["previous_quality_score"], "GREEN");
        assert_eq!(seen[2].1["new_quality_score"], "RED");
        let (field, paused) = &seen[3];
        assert_eq!(field, "message_template_status_update");
        assert_eq!(paused["event"], "PAUSED");
        assert_eq!(paused["reason"], "NONE");
        assert_eq!(paused["message_template_id"], numeric);
        assert_eq!(paused["other_info"]["title"], "FIRST_PAUSE");
        let description = paused["other_info"]["description"].as_str().unwrap();
        assert!(description.contains("paused for 3 hours"), "{description}");
        assert!(paused.get("disable_info").is_none());

        // RED again while paused: nothing changes, nothing is sent.
        let answer = rated(&app, &id, "RED").await;
        assert_eq!(
            (&answer["status"], &answer["pause_count"]),
            (&json!("PAUSED"), &json!(1))
        );

        // Two hours on, still paused; past three, APPROVED again (UNPAUSE), still RED.
        step_at(&app, 2 * HOUR).await;
        assert_eq!(template(&app, &id).await["status"], "PAUSED");
        assert!(step_at(&app, 3 * HOUR + 1_000).await >= 1);
        let t = template(&app, &id).await;
        assert_eq!(t["status"], "APPROVED", "{}: {t}", app.backend);
        assert_eq!(t["quality_score"]["score"], "RED");
        seen = changes(&receiver, &waba, 5).await;
        assert_eq!(seen[4].1["event"], "APPROVED");
        assert_eq!(seen[4].1["other_info"]["title"], "UNPAUSE");

        // The second RED pauses for 6 hours (the rating did not change: no quality update).
        let answer = rated(&app, &id, "RED").await;
        assert_eq!(
            (&answer["status"], &answer["pause_count"]),
            (&json!("PAUSED"), &json!(2))
        );
        seen = changes(&receiver, &waba, 6).await;
        assert_eq!(seen[5].1["event"], "PAUSED");
        assert_eq!(seen[5].1["other_info"]["title"], "SECOND_PAUSE");
        assert!(
            seen[5].1["other_info"]["description"]
                .as_str()
                .unwrap()
                .contains("6 hours")
        );
        step_at(&app, 5 * HOUR).await;
        assert_eq!(template(&app, &id).await["status"], "PAUSED", "6 hours");
        step_at(&app, 6 * HOUR + 1_000).await;
        assert_eq!(template(&app, &id).await["status"], "APPROVED");
        seen = changes(&receiver, &waba, 7).await;
        assert_eq!(seen[6].1["other_info"]["title"], "UNPAUSE");

        // The third: DISABLED, for good.
        let answer = rated(&app, &id, "RED").await;
        assert_eq!(answer["status"], "DISABLED");
        assert_eq!(answer["pause_count"], 3);
        assert!(answer.get("paused_until").is_none(), "{answer}");
        seen = changes(&receiver, &waba, 8).await;
        let disabled = &seen[7].1;
        assert_eq!(disabled["event"], "DISABLED");
        assert_eq!(disabled["other_info"]["title"], "DISABLED");
        assert!(
            disabled["disable_info"]["disable_date"].is_i64(),
            "{disabled}"
        );
        step_at(&app, 24 * HOUR).await;
        assert_eq!(template(&app, &id).await["status"], "DISABLED");
        let res = rate(&app, &id, "GREEN").await;
        let err = assert_manage_error(res, 400, "invalid_request").await;
        assert!(
            err["error"]["message"]
                .as_str()
                .unwrap()
                .contains("DISABLED"),
            "{err}"
        );

        // The order of every change, once more, as the subscriber saw it.
        let titles: Vec<String> = seen
            .iter()
            .map(|(field, v)| {
                let what = v["event"]
                    .as_str()
                    .or(v["new_quality_score"].as_str())
                    .unwrap_or_default();
                let title = v["other_info"]["title"].as_str().unwrap_or("-");
                format!("{field}:{what}:{title}")
            })
            .collect();
        assert_eq!(
            titles,
            [
                "message_template_status_update:APPROVED:-",
                "message_template_quality_update:GREEN:-",
                "message_template_quality_update:RED:-",
                "message_template_status_update:PAUSED:FIRST_PAUSE",
                "message_template_status_update:APPROVED:UNPAUSE",
                "message_template_status_update:PAUSED:SECOND_PAUSE",
                "message_template_status_update:APPROVED:UNPAUSE",
                "message_template_status_update:DISABLED:DISABLED",
            ]
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn a_paused_template_is_edited_and_reviewed_again() {
    let apps = spawn_apps_with(|c| c.templates.review_delay_ms = 50).await;
    for app in apps {
        let (_, waba) = first_channel(&app).await;
        let id = create(&app, &waba, &order_update("order_update")).await;
        assert_eq!(reviewed(&app, &id).await["status"], "APPROVED");
        assert_eq!(rated(&app, &id, "RED").await["status"], "PAUSED");

        let edit = json!({"components": [{"type": "BODY",
            "text": "Hello {{1}}, order {{2}} is on its way to you now.",
            "example": {"body_text": [["Ana", "42"]]}}]});
        let res = app.post_json(&format!("/v23.0/{id}"), &edit).await;
        assert_eq!(res.json::<Value>().await.unwrap()["success"], true);
        let t = reviewed(&app, &id).await;
        assert_eq!(t["status"], "APPROVED", "{}: {t}", app.backend);
        // Its old pause does not end it again; the ladder remembers the first pause.
        step_at(&app, 4 * HOUR).await;
        assert_eq!(template(&app, &id).await["status"], "APPROVED");
        let answer = rated(&app, &id, "RED").await;
        assert_eq!(
            (&answer["status"], &answer["pause_count"]),
            (&json!("PAUSED"), &json!(2))
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn allow_category_change_makes_a_utility_template_marketing_instead_of_rejecting_it() {
    let apps = spawn_apps_with(|c| c.templates.review_delay_ms = 50).await;
    for app in apps {
        let (_, waba) = first_channel(&app).await;
        let receiver = template_receiver(&app).await;
        let mut body = promo("weekend_sale");
        body["allow_category_change"] = json!(true);
        let id = create(&app, &waba, &body).await;
        let t = reviewed(&app, &id).await;
        assert_eq!(t["status"], "APPROVED", "{}: {t}", app.backend);
        assert_eq!(t["category"], "MARKETING");

        let seen = changes(&receiver, &waba, 2).await;
        let numeric: u64 = id.parse().unwrap();
        assert_eq!(seen[0].0, "template_category_update");
        assert_eq!(
            seen[0].1,
            json!({"message_template_id": numeric, "message_template_name": "weekend_sale",
                "message_template_language": "en_US", "previous_category": "UTILITY",
                "new_category": "MARKETING"})
        );
        assert_eq!(seen[1].0, "message_template_status_update");
        assert_eq!(seen[1].1["event"], "APPROVED");
        assert_eq!(seen[1].1["message_template_category"], "MARKETING");

        // Without the flag the same content is rejected, and no category update is sent.
        let rejected = create(&app, &waba, &promo("autumn_sale")).await;
        let t = reviewed(&app, &rejected).await;
        assert_eq!(
            (&t["status"], &t["category"]),
            (&json!("REJECTED"), &json!("UTILITY"))
        );
        let seen = changes(&receiver, &waba, 3).await;
        assert_eq!(seen[2].0, "message_template_status_update");
        assert_eq!(seen[2].1["reason"], "INCORRECT_CATEGORY");
        app.stop().await;
    }
}

#[tokio::test]
async fn bad_ratings_get_clear_errors() {
    // Templates stay PENDING (the default test review delay is an hour).
    let apps = spawn_apps_with(|_| {}).await;
    for app in apps {
        let (_, waba) = first_channel(&app).await;
        let id = create(&app, &waba, &order_update("order_update")).await;

        // Unknown ids, and another account's template, do not exist.
        for unknown in ["123456789012345", "not-a-template"] {
            let err =
                assert_manage_error(rate(&app, unknown, "RED").await, 404, "template_not_found")
                    .await;
            assert!(
                err["error"]["message"].as_str().unwrap().contains(unknown),
                "{err}"
            );
        }
        let (_, other_key) = app.other_account().await;
        let res = app
            .with_key(
                reqwest::Method::POST,
                &format!("/sandbox/templates/{id}/quality"),
                &other_key,
            )
            .json(&json!({"score": "RED"}))
            .send()
            .await
            .unwrap();
        assert_manage_error(res, 404, "template_not_found").await;
        let res = app
            .client
            .post(app.url(&format!("/sandbox/templates/{id}/quality")))
            .json(&json!({"score": "RED"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);

        // Bad bodies name the field.
        for (body, code) in [
            (json!({"score": "BLUE"}), "invalid_request"),
            (json!({"score": "UNKNOWN"}), "invalid_request"),
            (json!({"score": 3}), "invalid_request"),
            (json!({}), "invalid_request"),
            (json!({"score": "RED", "why": "spam"}), "invalid_request"),
        ] {
            let res = app
                .post_json(&format!("/sandbox/templates/{id}/quality"), &body)
                .await;
            let err = assert_manage_error(res, 400, code).await;
            let field = err["error"]["field"].as_str().unwrap_or_default();
            let message = err["error"]["message"].as_str().unwrap();
            assert!(
                field.contains("score") || field == "why" || message.contains("score"),
                "{body}: {err}"
            );
        }
        let res = app
            .post_raw(
                &format!("/sandbox/templates/{id}/quality"),
                "application/json",
                b"{\"score\": ".to_vec(),
            )
            .await;
        assert_manage_error(res, 400, "malformed_json").await;

        // A template in review has no users yet.
        let err = assert_manage_error(rate(&app, &id, "GREEN").await, 400, "invalid_request").await;
        let message = err["error"]["message"].as_str().unwrap();
        assert!(message.contains("PENDING"), "{message}");
        assert!(message.contains("APPROVED or PAUSED"), "{message}");
        assert_eq!(template(&app, &id).await["status"], "PENDING");
        app.stop().await;
    }
}
