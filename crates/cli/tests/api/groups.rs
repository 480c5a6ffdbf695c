//! Groups over real HTTP on every backend (Meta's Groups API on a sandbox number): the
//! whole lifecycle — create (a request id, then `group_lifecycle_update` with the group's
//! id and invite link), read, list, a virtual user joining by the link, group messages with
//! Meta's group statuses, updates, removal, a reset link (the old one refused), a user
//! leaving, suspension, deletion — each with its webhook, signed. Then every limit and rule
//! with Meta's code and nothing stored, bad input, and another account's ids answering as
//! unknown (131041).

use reqwest::Method;
use serde_json::{Value, json};
use wagate_core::webhook::ascii;

use crate::helpers::{TestApp, assert_graph_error, assert_manage_error, spawn_apps};
use crate::receiver::{Post, Receiver, SECRET, TOKEN};

const FIELDS: &[&str] = &[
    "group_lifecycle_update",
    "group_participants_update",
    "group_settings_update",
    "group_status_update",
    "statuses",
    "messages",
];

async fn subscribe(app: &TestApp) -> Receiver {
    let receiver = Receiver::start().await;
    let res = app
        .post_json(
            "/api/v1/webhooks",
            &json!({"url": receiver.url, "secret": SECRET, "verify_token": TOKEN,
                "batch_size": 1, "fields": FIELDS}),
        )
        .await;
    assert_eq!(res.status(), 201, "{}", app.backend);
    receiver
}

/// The changes the receiver got so far, from the `seen`th on, once there are `seen + n`:
/// `(field, value)`, each POST signed over its exact bytes.
async fn changes(
    app: &TestApp,
    receiver: &Receiver,
    seen: usize,
    n: usize,
) -> Vec<(String, Value)> {
    app.app.drain().await.unwrap();
    let posts: Vec<Post> = receiver.wait_events(seen + n).await;
    let mut out = Vec::new();
    for post in posts {
        assert_eq!(
            post.signature,
            ascii::signature(SECRET.as_bytes(), &post.raw)
        );
        for change in post.body["entry"][0]["changes"].as_array().unwrap() {
            out.push((
                change["field"].as_str().unwrap().to_owned(),
                change["value"].clone(),
            ));
        }
    }
    assert_eq!(out.len(), seen + n, "{out:#?}");
    out.split_off(seen)
}

/// The one group item of a group webhook value, checked to name the number.
fn item(app: &TestApp, value: &Value) -> Value {
    assert_eq!(value["messaging_product"], "whatsapp");
    assert_eq!(
        value["metadata"]["phone_number_id"],
        app.phone_number_id.as_str()
    );
    let groups = value["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 1, "{value}");
    assert!(groups[0]["timestamp"].is_i64(), "{value}");
    groups[0].clone()
}

fn groups_path(pnid: &str) -> String {
    format!("/v23.0/{pnid}/groups")
}

async fn delete_json(app: &TestApp, path: &str, body: &Value) -> reqwest::Response {
    app.req(Method::DELETE, path)
        .json(body)
        .send()
        .await
        .unwrap()
}

/// Creates a group; `(request_id, group_id, invite_link)` from the answer and the webhook.
async fn create(
    app: &TestApp,
    receiver: &Receiver,
    seen: usize,
    body: Value,
) -> (String, String, String) {
    let res = app
        .post_json(&groups_path(&app.phone_number_id), &body)
        .await;
    assert_eq!(res.status(), 200, "{}", app.backend);
    let answer: Value = res.json().await.unwrap();
    assert_eq!(answer["messaging_product"], "whatsapp");
    let request = answer["request_id"].as_str().unwrap().to_owned();
    let got = changes(app, receiver, seen, 1).await;
    assert_eq!(got[0].0, "group_lifecycle_update");
    let g = item(app, &got[0].1);
    assert_eq!(
        (g["type"].as_str(), g["request_id"].as_str()),
        (Some("group_create"), Some(request.as_str()))
    );
    assert_eq!(g["subject"], body["subject"]);
    let link = g["invite_link"].as_str().unwrap().to_owned();
    assert!(link.starts_with("https://chat.whatsapp.com/"), "{link}");
    (request, g["group_id"].as_str().unwrap().to_owned(), link)
}

async fn join(app: &TestApp, link: &str, from: &str) -> reqwest::Response {
    app.post_json(
        &format!("/sandbox/{}/groups/join", app.phone_number_id),
        &json!({"invite_link": link, "from": from}),
    )
    .await
}

async fn send(app: &TestApp, body: Value) -> reqwest::Response {
    let mut body = body;
    body["messaging_product"] = json!("whatsapp");
    body["recipient_type"] = json!("group");
    app.post_json(&format!("/v23.0/{}/messages", app.phone_number_id), &body)
        .await
}

/// The participants' numbers of a group view (each also carries its `user_id`, a BSUID).
fn members(g: &Value) -> Vec<String> {
    g["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            assert!(
                p["user_id"].as_str().is_some_and(|u| u.contains('.')),
                "{p}"
            );
            p["wa_id"].as_str().unwrap().to_owned()
        })
        .collect()
}

async fn group_count(app: &TestApp, path: &str) -> usize {
    let v: Value = app.get(path).await.json().await.unwrap();
    v["data"].as_array().unwrap().len()
}

async fn info(app: &TestApp, group: &str) -> Value {
    let res = app.get(&format!("/{group}?fields=subject,description,participants,total_participant_count,suspended,creation_timestamp,join_approval_mode")).await;
    assert_eq!(res.status(), 200, "{}", app.backend);
    res.json().await.unwrap()
}

#[tokio::test]
async fn a_group_lives_its_whole_life_with_webhooks() {
    for app in spawn_apps().await {
        let receiver = subscribe(&app).await;
        let (_, group, link) = create(
            &app,
            &receiver,
            0,
            json!({"messaging_product": "whatsapp", "subject": "Book club",
                "description": "Monthly picks\nand chat"}),
        )
        .await;

        // Read and list.
        let g = info(&app, &group).await;
        assert_eq!(g["id"], group.as_str());
        assert_eq!(g["subject"], "Book club");
        assert_eq!(g["description"], "Monthly picks\nand chat");
        assert_eq!(g["join_approval_mode"], "auto_approve");
        assert_eq!(
            (
                g["suspended"].as_bool(),
                g["total_participant_count"].as_u64()
            ),
            (Some(false), Some(0))
        );
        assert!(members(&g).is_empty());
        assert!(g["creation_timestamp"].as_i64().unwrap() > 1_700_000_000);
        let versioned: Value = app
            .get(&format!("/v23.0/{group}?fields=subject"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            versioned,
            json!({"messaging_product": "whatsapp", "id": group, "subject": "Book club"})
        );
        let list: Value = app
            .get(&groups_path(&app.phone_number_id))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list["data"][0]["id"], group.as_str(), "{list}");
        assert_eq!(list["data"][0]["subject"], "Book club", "{list}");
        assert_eq!(
            list["paging"]["cursors"]["before"],
            group.as_str(),
            "{list}"
        );
        assert!(list["paging"].get("next").is_none(), "{list}");
        let invite: Value = app
            .get(&format!("/v23.0/{group}/invite_link"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(invite["invite_link"], link.as_str());

        // Nobody joined yet: Meta's "Bad Group".
        let res = send(
            &app,
            json!({"to": group, "type": "text", "text": {"body": "hi"}}),
        )
        .await;
        assert_graph_error(res, 400, 131020).await;

        // Two virtual users join by the link; opening it again changes nothing.
        for user in ["15550100001", "15550100002"] {
            let res = join(&app, &link, user).await;
            assert_eq!(res.status(), 200);
            let body: Value = res.json().await.unwrap();
            assert_eq!(body, json!({"group_id": group, "status": "joined"}));
        }
        let again: Value = join(&app, &link, "15550100001").await.json().await.unwrap();
        assert_eq!(again["status"], "already_joined");
        let got = changes(&app, &receiver, 1, 2).await;
        for (i, (field, value)) in got.iter().enumerate() {
            assert_eq!(field, "group_participants_update");
            let g = item(&app, value);
            assert_eq!(
                (g["type"].as_str(), g["reason"].as_str()),
                (Some("group_participants_add"), Some("invite_link"))
            );
            assert_eq!(
                g["added_participants"],
                json!([{"wa_id": format!("1555010000{}", i + 1)}])
            );
        }
        assert_eq!(info(&app, &group).await["total_participant_count"], 2);

        // A group message: one `sent` for the group, one `delivered` per participant.
        let res = send(
            &app,
            json!({"to": group, "type": "text", "text": {"body": "Welcome!"},
            "biz_opaque_callback_data": "order-7"}),
        )
        .await;
        assert_eq!(res.status(), 200);
        let sent: Value = res.json().await.unwrap();
        assert_eq!(sent["contacts"], json!([{"input": group, "wa_id": group}]));
        let wamid = sent["messages"][0]["id"].as_str().unwrap().to_owned();
        assert!(wamid.starts_with("wamid."), "{sent}");
        let got = changes(&app, &receiver, 3, 3).await;
        let statuses: Vec<Value> = got
            .iter()
            .map(|(field, v)| {
                assert_eq!(field, "messages");
                v["statuses"][0].clone()
            })
            .collect();
        assert_eq!(statuses[0]["status"], "sent");
        assert!(statuses[0].get("recipient_participant_id").is_none());
        let mut delivered: Vec<&str> = statuses[1..]
            .iter()
            .map(|s| {
                assert_eq!(
                    (s["status"].as_str(), s["id"].as_str()),
                    (Some("delivered"), Some(wamid.as_str()))
                );
                s["recipient_participant_id"].as_str().unwrap()
            })
            .collect();
        delivered.sort_unstable();
        assert_eq!(delivered, ["15550100001", "15550100002"]);
        for s in &statuses {
            assert_eq!(
                (s["recipient_type"].as_str(), s["recipient_id"].as_str()),
                (Some("group"), Some(group.as_str()))
            );
            assert_eq!(s["biz_opaque_callback_data"], "order-7");
        }
        // Media and templates are taken; interactive messages are not (131051).
        let res = send(
            &app,
            json!({"to": group, "type": "image",
            "image": {"link": "https://example.com/a.jpg"}}),
        )
        .await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        let res = send(&app, json!({"to": group, "type": "interactive", "interactive": {"type": "button",
            "body": {"text": "Pick"}, "action": {"buttons": [{"type": "reply", "reply": {"id": "a", "title": "A"}}]}}})).await;
        assert_graph_error(res, 400, 131051).await;
        let _ = changes(&app, &receiver, 6, 3).await;

        // Update the subject: `group_settings_update`.
        let res = app
            .post_json(
                &format!("/{group}"),
                &json!({"messaging_product": "whatsapp", "subject": "Book club 2026"}),
            )
            .await;
        assert_eq!(res.status(), 200);
        let answer: Value = res.json().await.unwrap();
        assert_eq!(answer["success"], true);
        let got = changes(&app, &receiver, 9, 1).await;
        assert_eq!(got[0].0, "group_settings_update");
        let g = item(&app, &got[0].1);
        assert_eq!(
            g["group_subject"],
            json!({"text": "Book club 2026", "update_successful": true})
        );
        assert_eq!(g["request_id"], answer["request_id"]);
        assert!(g.get("group_description").is_none());
        assert_eq!(info(&app, &group).await["subject"], "Book club 2026");

        // Remove a participant: `group_participants_remove` initiated by the business.
        let res = delete_json(&app, &format!("/v23.0/{group}/participants"),
            &json!({"messaging_product": "whatsapp", "participants": [{"user": "+1 555 010 0001"}]})).await;
        assert_eq!(res.status(), 200);
        let got = changes(&app, &receiver, 10, 1).await;
        let g = item(&app, &got[0].1);
        assert_eq!(
            (g["type"].as_str(), g["initiated_by"].as_str()),
            (Some("group_participants_remove"), Some("business"))
        );
        assert_eq!(
            g["removed_participants"],
            json!([{"input": "+1 555 010 0001", "wa_id": "15550100001"}])
        );
        assert_eq!(members(&info(&app, &group).await), ["15550100002"]);

        // Reset the link: the old one is refused, the new one works.
        let res = app
            .post_json(
                &format!("/v23.0/{group}/invite_link"),
                &json!({"messaging_product": "whatsapp"}),
            )
            .await;
        assert_eq!(res.status(), 200);
        let fresh = res.json::<Value>().await.unwrap()["invite_link"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_ne!(fresh, link);
        assert_manage_error(
            join(&app, &link, "15550100003").await,
            404,
            "group_invite_link_invalid",
        )
        .await;
        assert_eq!(join(&app, &fresh, "15550100003").await.status(), 200);
        let _ = changes(&app, &receiver, 11, 1).await;

        // A user leaves: initiated by the participant.
        let res = app
            .post_json(
                &format!("/sandbox/{}/groups/{group}/leave", app.phone_number_id),
                &json!({"from": "15550100003"}),
            )
            .await;
        assert_eq!(res.status(), 200);
        let got = changes(&app, &receiver, 12, 1).await;
        let g = item(&app, &got[0].1);
        assert_eq!(g["initiated_by"], "participant");
        assert_eq!(g["removed_participants"], json!([{"wa_id": "15550100003"}]));

        // Suspended: no messages (131207); `group_status_update`.
        let res = app
            .post_json(
                &format!("/sandbox/{}/groups/{group}/suspend", app.phone_number_id),
                &json!({"suspended": true}),
            )
            .await;
        assert_eq!(res.status(), 200);
        assert_graph_error(
            send(
                &app,
                json!({"to": group, "type": "text", "text": {"body": "x"}}),
            )
            .await,
            403,
            131207,
        )
        .await;
        let got = changes(&app, &receiver, 13, 1).await;
        assert_eq!(got[0].0, "group_status_update");
        assert_eq!(item(&app, &got[0].1)["type"], "group_suspend");
        assert_eq!(info(&app, &group).await["suspended"], true);

        // Delete: `group_lifecycle_update`; the id and the link are unknown from then on.
        let res = app
            .req(Method::DELETE, &format!("/v23.0/{group}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let got = changes(&app, &receiver, 14, 1).await;
        assert_eq!(item(&app, &got[0].1)["type"], "group_delete");
        assert_graph_error(app.get(&format!("/{group}")).await, 400, 131041).await;
        assert_graph_error(app.get(&format!("/{group}/invite_link")).await, 400, 131041).await;
        assert_graph_error(
            send(
                &app,
                json!({"to": group, "type": "text", "text": {"body": "x"}}),
            )
            .await,
            400,
            131041,
        )
        .await;
        assert_manage_error(
            join(&app, &fresh, "15550100004").await,
            404,
            "group_invite_link_invalid",
        )
        .await;
        let list: Value = app
            .get(&groups_path(&app.phone_number_id))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list["data"], json!([]));
        app.stop().await;
    }
}

#[tokio::test]
async fn limits_bad_input_and_other_accounts() {
    for app in spawn_apps().await {
        let receiver = subscribe(&app).await;
        let path = groups_path(&app.phone_number_id);
        // Bad creates: Meta's codes, nothing stored, no webhook.
        for (body, code) in [
            (json!({"messaging_product": "whatsapp"}), 131008),
            (
                json!({"messaging_product": "whatsapp", "subject": "  "}),
                131008,
            ),
            (
                json!({"messaging_product": "whatsapp", "subject": "x".repeat(129)}),
                131009,
            ),
            (
                json!({"messaging_product": "whatsapp", "subject": "ok", "description": "d".repeat(2049)}),
                131009,
            ),
            (
                json!({"messaging_product": "whatsapp", "subject": "ok", "join_approval_mode": "open"}),
                100,
            ),
            (json!({"messaging_product": "sms", "subject": "ok"}), 100),
            (
                json!({"messaging_product": "whatsapp", "subject": ["x"]}),
                100,
            ),
        ] {
            assert_graph_error(app.post_json(&path, &body).await, 400, code).await;
        }
        assert_eq!(group_count(&app, &path).await, 0);
        // The limits themselves are allowed.
        let (_, group, link) = create(
            &app,
            &receiver,
            0,
            json!({"messaging_product": "whatsapp",
            "subject": "s".repeat(128), "description": "d".repeat(2048)}),
        )
        .await;
        assert_eq!(
            info(&app, &group).await["subject"]
                .as_str()
                .unwrap()
                .chars()
                .count(),
            128
        );

        // Paging: a cursor this list did not give is Meta's 131059.
        assert_graph_error(
            app.get(&format!("{path}?after=not%20a%20cursor")).await,
            400,
            131059,
        )
        .await;
        assert_graph_error(app.get(&format!("{path}?limit=0")).await, 400, 100).await;

        // Meta's cap of 8 participants: the ninth is refused and not stored.
        for n in 1..=8 {
            assert_eq!(
                join(&app, &link, &format!("1555020000{n}")).await.status(),
                200
            );
        }
        assert_manage_error(
            join(&app, &link, "15550200009").await,
            409,
            "group_participant_overlimit",
        )
        .await;
        assert_eq!(info(&app, &group).await["total_participant_count"], 8);
        let _ = changes(&app, &receiver, 1, 8).await;

        // Removal rules: all or none, Meta's codes, nothing removed.
        let rm = format!("/{group}/participants");
        for (body, code) in [
            (
                json!({"participants": [{"user": "15550200001"}, {"user": "15559999999"}]}),
                131212,
            ),
            (
                json!({"participants": [{"user": "15550200001"}, {"user": "+15550200001"}]}),
                131202,
            ),
            (json!({"participants": []}), 131009),
            (
                json!({"participants": (0..9).map(|n| json!({"user": format!("1555020000{n}")})).collect::<Vec<_>>()}),
                131009,
            ),
            (json!({}), 131008),
            (json!({"participants": [{"user": "not a number"}]}), 100),
        ] {
            let res = delete_json(&app, &rm, &body).await;
            assert_eq!(res.status(), 400, "{body}");
            let e: Value = res.json().await.unwrap();
            assert_eq!(e["error"]["code"], code, "{body}: {e}");
        }
        assert_eq!(info(&app, &group).await["total_participant_count"], 8);

        // Bad updates and joins.
        assert_graph_error(
            app.post_json(
                &format!("/{group}"),
                &json!({"messaging_product": "whatsapp"}),
            )
            .await,
            400,
            131008,
        )
        .await;
        assert_graph_error(
            app.post_json(&format!("/{group}"), &json!({"subject": "x".repeat(129)}))
                .await,
            400,
            131009,
        )
        .await;
        assert_eq!(
            info(&app, &group).await["subject"].as_str().unwrap().len(),
            128
        );
        assert_manage_error(
            join(&app, "https://chat.whatsapp.com/nope", "15550200010").await,
            400,
            "invalid_request",
        )
        .await;
        assert_manage_error(
            join(&app, "AAAAAAAAAAAAAAAAAAAAAA", "15550200010").await,
            404,
            "group_invite_link_invalid",
        )
        .await;
        assert_manage_error(join(&app, &link, "nobody").await, 400, "invalid_request").await;

        // Unknown ids: Meta's 131041.
        let unknown = "Y2FwaV9ncm91cDoxNTU1MDAwMDAwMDoxMjM0NTY3ODkwMTIzNDU2Nzg";
        assert_graph_error(app.get(&format!("/{unknown}")).await, 400, 131041).await;
        assert_graph_error(
            app.req(Method::DELETE, &format!("/{unknown}"))
                .send()
                .await
                .unwrap(),
            400,
            131041,
        )
        .await;
        assert_graph_error(
            app.post_json(&format!("/{unknown}"), &json!({"subject": "x"}))
                .await,
            400,
            131041,
        )
        .await;
        assert_graph_error(
            send(
                &app,
                json!({"to": unknown, "type": "text", "text": {"body": "x"}}),
            )
            .await,
            400,
            131041,
        )
        .await;
        assert_graph_error(
            send(
                &app,
                json!({"to": "not a group", "type": "text", "text": {"body": "x"}}),
            )
            .await,
            400,
            131041,
        )
        .await;

        // Another account: its key sees our group as unknown; its number cannot message it.
        let (_, other_key) = app.other_account().await;
        let other_channel = app.create_channel(&other_key, "Other Shop").await;
        let other_pnid = other_channel["phone_number_id"].as_str().unwrap();
        let as_other = |m: Method, p: String| app.with_key(m, &p, &other_key);
        for (m, p) in [
            (Method::GET, format!("/{group}")),
            (Method::GET, format!("/v23.0/{group}/invite_link")),
            (Method::POST, format!("/v23.0/{group}/invite_link")),
            (Method::DELETE, format!("/{group}")),
            (Method::GET, format!("/{group}/join_requests")),
        ] {
            let res = as_other(m.clone(), p.clone())
                .json(&json!({"messaging_product": "whatsapp"}))
                .send()
                .await
                .unwrap();
            assert_graph_error(res, 400, 131041).await;
        }
        let res = as_other(Method::POST, format!("/v23.0/{other_pnid}/messages"))
            .json(
                &json!({"messaging_product": "whatsapp", "recipient_type": "group", "to": group,
                "type": "text", "text": {"body": "x"}}),
            )
            .send()
            .await
            .unwrap();
        assert_graph_error(res, 400, 131041).await;
        let res = as_other(Method::DELETE, format!("/{group}/participants"))
            .json(&json!({"participants": [{"user": "15550200001"}]}))
            .send()
            .await
            .unwrap();
        assert_graph_error(res, 400, 131041).await;
        // Its own number's join endpoint does not take our link.
        let res = app
            .with_key(
                Method::POST,
                &format!("/sandbox/{other_pnid}/groups/join"),
                &other_key,
            )
            .json(&json!({"invite_link": link, "from": "15550200011"}))
            .send()
            .await
            .unwrap();
        assert_manage_error(res, 404, "group_invite_link_invalid").await;
        let theirs: Value = as_other(Method::GET, groups_path(other_pnid))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(theirs["data"], json!([]));
        // Nothing changed: same participants, same link.
        assert_eq!(info(&app, &group).await["total_participant_count"], 8);
        let invite: Value = app
            .get(&format!("/{group}/invite_link"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(invite["invite_link"], link.as_str());
        app.stop().await;
    }
}

#[tokio::test]
async fn join_requests_are_approved_and_rejected() {
    for app in spawn_apps().await {
        let receiver = subscribe(&app).await;
        let (_, group, link) = create(
            &app,
            &receiver,
            0,
            json!({"messaging_product": "whatsapp",
            "subject": "Members only", "join_approval_mode": "approval_required"}),
        )
        .await;
        let mut ids = Vec::new();
        for user in ["15550300001", "15550300002"] {
            let body: Value = join(&app, &link, user).await.json().await.unwrap();
            assert_eq!(body["status"], "requested", "{body}");
            ids.push(body["join_request_id"].as_str().unwrap().to_owned());
        }
        let got = changes(&app, &receiver, 1, 2).await;
        for (i, (_, v)) in got.iter().enumerate() {
            let g = item(&app, v);
            assert_eq!(g["type"], "group_join_request_created");
            assert_eq!(g["join_request_id"], ids[i].as_str());
        }
        let pending: Value = app
            .get(&format!("/v23.0/{group}/join_requests"))
            .await
            .json()
            .await
            .unwrap();
        let listed: Vec<&str> = pending["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["join_request_id"].as_str().unwrap())
            .collect();
        assert_eq!(listed, ids.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(pending["data"][0]["wa_id"], "15550300001");
        assert_eq!(info(&app, &group).await["total_participant_count"], 0);

        // An unknown request among them: none decided.
        let res = app
            .post_json(
                &format!("/v23.0/{group}/join_requests"),
                &json!({"messaging_product": "whatsapp", "join_requests": [ids[0], "999"]}),
            )
            .await;
        assert_graph_error(res, 400, 100).await;
        let res = app
            .post_json(
                &format!("/v23.0/{group}/join_requests"),
                &json!({"messaging_product": "whatsapp", "join_requests": [ids[0]]}),
            )
            .await;
        assert_eq!(res.status(), 200);
        let answer: Value = res.json().await.unwrap();
        assert_eq!(answer["approved_join_requests"], json!([ids[0]]));
        assert!(answer["request_id"].is_string());
        let res = delete_json(
            &app,
            &format!("/v23.0/{group}/join_requests"),
            &json!({"messaging_product": "whatsapp", "join_requests": [ids[1]]}),
        )
        .await;
        assert_eq!(
            res.json::<Value>().await.unwrap()["rejected_join_requests"],
            json!([ids[1]])
        );
        let got = changes(&app, &receiver, 3, 1).await;
        let g = item(&app, &got[0].1);
        assert_eq!(
            (g["type"].as_str(), g["reason"].as_str()),
            (Some("group_participants_add"), Some("join_request"))
        );
        assert_eq!(members(&info(&app, &group).await), ["15550300001"]);
        let pending: Value = app
            .get(&format!("/{group}/join_requests"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(pending["data"], json!([]));
        // A participant writes in the group: a `messages` webhook with the group's id; a user
        // who is not in it is refused.
        let inbound = format!("/sandbox/{}/groups/{group}/inbound", app.phone_number_id);
        let res = app
            .post_json(
                &inbound,
                &json!({"from": "15550300001", "text": {"body": "Hi all"}}),
            )
            .await;
        assert_eq!(res.status(), 200);
        let wamid = res.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let res = app
            .post_json(
                &inbound,
                &json!({"from": "15550300002", "text": {"body": "Let me in"}}),
            )
            .await;
        assert_manage_error(res, 400, "group_participant_not_found").await;
        let got = changes(&app, &receiver, 4, 1).await;
        assert_eq!(got[0].0, "messages");
        let m = &got[0].1["messages"][0];
        assert_eq!(
            (m["group_id"].as_str(), m["from"].as_str()),
            (Some(group.as_str()), Some("15550300001"))
        );
        assert_eq!(
            (m["id"].as_str(), m["text"]["body"].as_str()),
            (Some(wamid.as_str()), Some("Hi all"))
        );
        assert_eq!(got[0].1["contacts"][0]["wa_id"], "15550300001");
        app.stop().await;
    }
}

#[tokio::test]
#[ignore = "real client libraries (pywa, whatsapp-api-js, kapso, S3): `cargo test -- --include-ignored`, as CI runs"]
async fn pywa_group_calls_round_trip() {
    let (python, _) = crate::sdk::install().await;
    let app = crate::helpers::spawn_app().await;
    let mut cmd = tokio::process::Command::new(&python);
    cmd.arg(crate::sdk::conformance_dir().join("groups/pywa_groups.py"));
    crate::sdk::for_app(&mut cmd, &app);
    let ops = crate::sdk::run_script("pywa", cmd).await;
    crate::sdk::judge(
        "pywa",
        &[
            "create_group",
            "get_groups",
            "get_group",
            "get_group_invite_link",
            "users_ask_to_join",
            "get_group_join_requests",
            "approve",
            "reject_group_join_requests",
            "participants_after_approval",
            "send_message_to_group",
            "remove_group_participants",
            "reset_group_invite_link",
            "delete_group",
            "get_deleted_group",
            "create_too_long",
        ],
        &ops,
    );
    // What pywa did is what the server holds: no group left.
    let list: Value = app
        .get(&groups_path(&app.phone_number_id))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["data"], json!([]));
    app.stop().await;
}

#[tokio::test]
#[ignore = "real client libraries (pywa, whatsapp-api-js, kapso, S3): `cargo test -- --include-ignored`, as CI runs"]
async fn whatsapp_api_js_sends_to_a_group() {
    let (_, node_modules) = crate::sdk::install().await;
    let app = crate::helpers::spawn_app().await;
    let receiver = subscribe(&app).await;
    let (_, group, link) = create(
        &app,
        &receiver,
        0,
        json!({"messaging_product": "whatsapp", "subject": "wajs"}),
    )
    .await;
    assert_eq!(join(&app, &link, "15550600001").await.status(), 200);
    let mut cmd = tokio::process::Command::new("node");
    cmd.arg(crate::sdk::conformance_dir().join("groups/wajs_groups.mjs"))
        .args(["--node-modules", &node_modules, "--group", &group]);
    crate::sdk::for_app(&mut cmd, &app);
    let ops = crate::sdk::run_script("whatsapp-api-js", cmd).await;
    crate::sdk::judge(
        "whatsapp-api-js",
        &[
            "send_text_to_group",
            "send_image_to_group",
            "send_to_unknown_group",
        ],
        &ops,
    );
    // Each send: `sent` for the group and `delivered` for its one participant.
    let got = changes(&app, &receiver, 1, 5).await;
    let statuses: Vec<&str> = got
        .iter()
        .filter_map(|(_, v)| v["statuses"][0]["status"].as_str())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == "delivered").count(),
        2,
        "{got:?}"
    );
    app.stop().await;
}

/// B's cloud channel on A's first number: A stands in for Meta (see `cloud_upstream.rs`).
async fn cloud_channel_on(b: &TestApp, a: &TestApp) {
    let list: Value = a.get("/api/v1/channels").await.json().await.unwrap();
    let a_channel = &list["data"][0];
    let res = b
        .post_json(
            "/api/v1/channels",
            &json!({
                "verified_name": "Acme via Meta",
                "phone_number_id": a.phone_number_id,
                "waba_id": a_channel["waba_id"],
                "display_phone_number": a_channel["display_phone_number"],
                "upstream": {"kind": "cloud", "base_url": a.base_url, "access_token": a.api_key,
                             "app_secret": "meta-app-secret", "verify_token": "meta-verify-token"}
            }),
        )
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
}

#[tokio::test]
async fn a_cloud_numbers_group_calls_go_to_meta() {
    let a = crate::helpers::spawn_app().await;
    let b = crate::helpers::spawn_app().await;
    cloud_channel_on(&b, &a).await;
    let pnid = a.phone_number_id.clone();

    // Created through B, at Meta (A).
    let res = b
        .post_json(
            &groups_path(&pnid),
            &json!({"messaging_product": "whatsapp", "subject": "Via Meta"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert!(res.json::<Value>().await.unwrap()["request_id"].is_string());
    let at_meta: Value = a.get(&groups_path(&pnid)).await.json().await.unwrap();
    let group = at_meta["data"][0]["id"].as_str().unwrap().to_owned();
    let listed: Value = b.get(&groups_path(&pnid)).await.json().await.unwrap();
    assert_eq!(listed, at_meta);

    // By the group's id alone, and its edges: Meta answers for the cloud WABA.
    let via_b: Value = b
        .get(&format!("/v23.0/{group}?fields=subject"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        via_b,
        json!({"messaging_product": "whatsapp", "id": group, "subject": "Via Meta"})
    );
    let link: Value = b
        .get(&format!("/v23.0/{group}/invite_link"))
        .await
        .json()
        .await
        .unwrap();
    let at_a: Value = a
        .get(&format!("/v23.0/{group}/invite_link"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(link, at_a);

    // A group message through B is Meta's to send.
    assert_eq!(
        join(&a, at_a["invite_link"].as_str().unwrap(), "15550700001")
            .await
            .status(),
        200
    );
    let res = b
        .post_json(
            &format!("/v23.0/{pnid}/messages"),
            &json!({"messaging_product": "whatsapp",
            "recipient_type": "group", "to": group, "type": "text", "text": {"body": "hi"}}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let sent: Value = res.json().await.unwrap();
    assert_eq!(sent["contacts"][0]["input"], group.as_str());
    // Meta's refusals come back as Meta gave them.
    let res = b
        .post_json(
            &format!("/v23.0/{pnid}/messages"),
            &json!({"messaging_product": "whatsapp",
            "recipient_type": "group", "to": group, "type": "location",
            "location": {"latitude": 1.0, "longitude": 2.0}}),
        )
        .await;
    assert_graph_error(res, 400, 131051).await;

    // Deleted through B, at Meta; then unknown there and here.
    let res = b
        .req(Method::DELETE, &format!("/v23.0/{group}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_graph_error(a.get(&format!("/{group}")).await, 400, 131041).await;
    assert_graph_error(b.get(&format!("/{group}")).await, 400, 131041).await;
    a.stop().await;
    b.stop().await;
}
