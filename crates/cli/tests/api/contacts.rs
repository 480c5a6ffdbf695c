//! The contact book over real HTTP, on SQLite and PostgreSQL: the lifecycle of a contact,
//! tags and attributes, filters with a total, bad input, and another account's contacts.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_manage_error, spawn_apps};

async fn tag(app: &TestApp, name: &str) -> Value {
    let res = app.post_json("/api/v1/tags", &json!({"name": name})).await;
    assert_eq!(res.status(), 201, "{}", app.backend);
    res.json().await.unwrap()
}

async fn delete(app: &TestApp, path: &str) -> reqwest::Response {
    app.req(Method::DELETE, path).send().await.unwrap()
}

#[tokio::test]
async fn a_contact_lives_is_tagged_filtered_and_erased() {
    for app in spawn_apps().await {
        let vip = tag(&app, "VIP").await;
        tag(&app, "beta").await;
        // Names are unique ignoring case.
        let res = app.post_json("/api/v1/tags", &json!({"name": "vip"})).await;
        assert_manage_error(res, 409, "tag_exists").await;

        let res = app
            .post_json(
                "/api/v1/contacts",
                &json!({"wa_id": "+44 7700 900123", "name": "Ada", "tags": ["vip"],
                        "attributes": {"Plan": "gold", "city": "London"}, "opted_in": true}),
            )
            .await;
        assert_eq!(res.status(), 201, "{}", app.backend);
        let ada: Value = res.json().await.unwrap();
        assert_eq!(ada["wa_id"], "447700900123");
        assert_eq!(ada["country"], "GB");
        assert_eq!(ada["tags"], json!(["VIP"]));
        assert_eq!(ada["attributes"], json!({"city": "London", "plan": "gold"}));
        assert_eq!(ada["opted_in"], true);
        assert_eq!(ada["opt_in_source"], "api");
        let id = ada["id"].as_str().unwrap().to_owned();

        // The same number in another spelling: 409 naming the existing contact.
        let res = app
            .post_json("/api/v1/contacts", &json!({"wa_id": "447700900123"}))
            .await;
        let err = assert_manage_error(res, 409, "contact_exists").await;
        assert!(
            err["error"]["message"].as_str().unwrap().contains(&id),
            "{err}"
        );

        // By id and by number.
        let by_number: Value = app
            .get("/api/v1/contacts/+447700900123")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(by_number["id"], id.as_str());
        let res = app.get("/api/v1/contacts/+15550000000").await;
        assert_manage_error(res, 404, "contact_not_found").await;

        // Tags add/remove, attributes set/unset, opt-out, block, the name cleared.
        let path = format!("/api/v1/contacts/{id}");
        let res = app
            .patch_json(
                &path,
                &json!({"name": null, "tags": {"add": ["beta"], "remove": ["VIP"]},
                        "attributes": {"set": {"tier": "2"}, "unset": ["city"]},
                        "opted_in": false, "blocked": true}),
            )
            .await;
        assert_eq!(res.status(), 200, "{}", app.backend);
        let changed: Value = res.json().await.unwrap();
        assert_eq!(changed["name"], Value::Null);
        assert_eq!(changed["tags"], json!(["beta"]));
        assert_eq!(changed["attributes"], json!({"plan": "gold", "tier": "2"}));
        assert_eq!(changed["opted_in"], false);
        assert_eq!(changed["blocked"], true);

        // A second contact, then filters with totals.
        let res = app
            .post_json(
                "/api/v1/contacts",
                &json!({"wa_id": "+1 650 555 0101", "name": "Grace", "tags": ["VIP"]}),
            )
            .await;
        assert_eq!(res.status(), 201);
        let list = |q: &str| {
            let app = &app;
            let q = q.to_owned();
            async move {
                let v: Value = app
                    .get(&format!("/api/v1/contacts{q}"))
                    .await
                    .json()
                    .await
                    .unwrap();
                v
            }
        };
        assert_eq!(list("").await["total"], 2);
        let vips = list("?tag=vip").await;
        assert_eq!(vips["total"], 1);
        assert_eq!(vips["data"][0]["name"], "Grace");
        assert_eq!(list("?attribute=plan:gold").await["total"], 1);
        assert_eq!(list("?opted_in=false").await["total"], 1);
        assert_eq!(list("?blocked=true").await["data"][0]["id"], id.as_str());
        assert_eq!(list("?q=grac").await["total"], 1);
        assert_eq!(list("?q=6505550").await["total"], 1);
        let first = list("?limit=1").await;
        assert_eq!(first["data"].as_array().unwrap().len(), 1);
        assert_eq!(first["total"], 2);
        let next = first["next_after"].as_str().unwrap();
        let second = list(&format!("?limit=1&after={next}")).await;
        assert_eq!(second["data"].as_array().unwrap().len(), 1);
        assert_ne!(second["data"][0]["id"], first["data"][0]["id"]);

        // Tag counts; renaming keeps the contacts; deleting takes it off them.
        let tags: Value = app.get("/api/v1/tags").await.json().await.unwrap();
        let counts: Vec<(String, u64)> = tags["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    t["name"].as_str().unwrap().to_owned(),
                    t["contacts"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(counts, [("beta".to_owned(), 1), ("VIP".to_owned(), 1)]);
        let vip_path = format!("/api/v1/tags/{}", vip["id"].as_str().unwrap());
        let res = app.patch_json(&vip_path, &json!({"name": "Gold"})).await;
        assert_eq!(res.status(), 200);
        let renamed: Value = res.json().await.unwrap();
        assert_eq!(
            (renamed["name"].as_str(), renamed["contacts"].as_u64()),
            (Some("Gold"), Some(1))
        );
        assert_eq!(list("?tag=gold").await["total"], 1);
        assert_eq!(delete(&app, &vip_path).await.status(), 204);
        assert_eq!(list("?tag=gold").await["total"], 0);
        let grace: Value = app
            .get("/api/v1/contacts/+16505550101")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(grace["tags"], json!([]));

        // Erasure.
        assert_eq!(delete(&app, &path).await.status(), 204);
        assert_manage_error(app.get(&path).await, 404, "contact_not_found").await;
        assert_manage_error(delete(&app, &path).await, 404, "contact_not_found").await;
        assert_eq!(list("").await["total"], 1);
    }
}

#[tokio::test]
async fn bad_contacts_are_refused_and_nothing_is_stored() {
    for app in spawn_apps().await {
        let cases = [
            (json!({"wa_id": "not a number"}), 400, "invalid_request"),
            (
                json!({"wa_id": "+447700900123", "tags": ["nope"]}),
                404,
                "tag_not_found",
            ),
            (
                json!({"wa_id": "+447700900123", "attributes": {"first name": "x"}}),
                400,
                "invalid_request",
            ),
            (
                json!({"wa_id": "+447700900123", "name": "n".repeat(257)}),
                400,
                "invalid_parameter_value",
            ),
            (
                json!({"wa_id": "+447700900123", "colour": "red"}),
                400,
                "invalid_request",
            ),
            (json!({"wa_id": 447700900123u64}), 400, "invalid_request"),
            (json!({}), 400, "invalid_request"),
        ];
        for (body, status, code) in cases {
            let res = app.post_json("/api/v1/contacts", &body).await;
            let got = res.status().as_u16();
            let err: Value = res.json().await.unwrap();
            assert_eq!(got, status, "{body} → {err} ({})", app.backend);
            assert_eq!(err["error"]["code"], code, "{body} → {err}");
        }
        let too_many: serde_json::Map<String, Value> =
            (0..101).map(|i| (format!("k{i}"), json!("v"))).collect();
        let res = app
            .post_json(
                "/api/v1/contacts",
                &json!({"wa_id": "+447700900123", "attributes": too_many}),
            )
            .await;
        assert_eq!(res.status(), 400);
        let list: Value = app.get("/api/v1/contacts").await.json().await.unwrap();
        assert_eq!(list["total"], 0, "nothing stored for a refused request");
        let res = app.get("/api/v1/contacts?attribute=nocolon").await;
        assert_manage_error(res, 400, "invalid_query").await;
        let res = app
            .patch_json("/api/v1/contacts/not-an-id", &json!({"name": "x"}))
            .await;
        assert_manage_error(res, 404, "contact_not_found").await;
    }
}

#[tokio::test]
async fn another_accounts_contacts_and_tags_are_unknown() {
    for app in spawn_apps().await {
        let t = tag(&app, "mine").await;
        let res = app
            .post_json(
                "/api/v1/contacts",
                &json!({"wa_id": "+447700900123", "tags": ["mine"]}),
            )
            .await;
        let mine: Value = res.json().await.unwrap();
        let (_, other_key) = app.other_account().await;
        let path = format!("/api/v1/contacts/{}", mine["id"].as_str().unwrap());
        let as_other = |m: Method, p: &str| app.with_key(m, p, &other_key);
        let res = as_other(Method::GET, &path).send().await.unwrap();
        assert_manage_error(res, 404, "contact_not_found").await;
        let res = as_other(Method::GET, "/api/v1/contacts/+447700900123")
            .send()
            .await
            .unwrap();
        assert_manage_error(res, 404, "contact_not_found").await;
        let res = as_other(Method::DELETE, &path).send().await.unwrap();
        assert_manage_error(res, 404, "contact_not_found").await;
        let tag_path = format!("/api/v1/tags/{}", t["id"].as_str().unwrap());
        let res = as_other(Method::DELETE, &tag_path).send().await.unwrap();
        assert_manage_error(res, 404, "tag_not_found").await;
        // The other account's book is its own: the same number, no tag of ours.
        let res = as_other(Method::POST, "/api/v1/contacts")
            .json(&json!({"wa_id": "+447700900123", "tags": ["mine"]}))
            .send()
            .await
            .unwrap();
        assert_manage_error(res, 404, "tag_not_found").await;
        let res = as_other(Method::POST, "/api/v1/contacts")
            .json(&json!({"wa_id": "+447700900123"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        let theirs: Value = as_other(Method::GET, "/api/v1/contacts")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(theirs["total"], 1);
        let ours: Value = app.get(&path).await.json().await.unwrap();
        assert_eq!(ours["tags"], json!(["mine"]), "ours untouched");
    }
}

#[tokio::test]
async fn sends_add_new_numbers_and_blocked_contacts_are_refused() {
    for app in spawn_apps().await {
        app.configure_sandbox(json!({})).await;
        // A send to a number the book lacks adds it.
        app.send(json!({"to": "+1 650 555 0199", "type": "text", "text": {"body": "hi"}}))
            .await;
        let card: Value = app
            .get("/api/v1/contacts/+16505550199")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(card["wa_id"], "16505550199", "{}", app.backend);
        assert_eq!(card["opted_in"], Value::Null);
        // A second send does not add it twice.
        app.send(json!({"to": "16505550199", "type": "text", "text": {"body": "again"}}))
            .await;
        let list: Value = app.get("/api/v1/contacts").await.json().await.unwrap();
        assert_eq!(list["total"], 1);

        // Blocked at the gateway: refused on both planes, nothing stored.
        let path = format!("/api/v1/contacts/{}", card["id"].as_str().unwrap());
        let res = app.patch_json(&path, &json!({"blocked": true})).await;
        assert_eq!(res.status(), 200);
        let ids = |v: Value| -> Vec<Value> {
            v["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["id"].clone())
                .collect()
        };
        let before = ids(app.get("/api/v1/messages").await.json().await.unwrap());
        assert_eq!(before.len(), 2);
        let res = app
            .post_json(
                &format!("/v23.0/{}/messages", app.phone_number_id),
                &json!({"messaging_product": "whatsapp", "to": "16505550199", "type": "text",
                        "text": {"body": "refused"}}),
            )
            .await;
        let err = crate::helpers::assert_graph_error(res, 400, 100).await;
        assert!(
            err["error"]["message"]
                .as_str()
                .unwrap()
                .contains("blocked"),
            "{err}"
        );
        let after = ids(app.get("/api/v1/messages").await.json().await.unwrap());
        assert_eq!(after, before, "nothing stored");
        // Unblocked: sends go again.
        app.patch_json(&path, &json!({"blocked": false})).await;
        app.send(json!({"to": "16505550199", "type": "text", "text": {"body": "back"}}))
            .await;
    }
}

#[tokio::test]
async fn the_books_opt_out_stops_marketing_and_stop_start_are_recorded() {
    for app in spawn_apps().await {
        app.configure_sandbox(json!({})).await;
        app.approved_template(json!({"name": "spring_sale", "language": "en", "category": "MARKETING",
            "components": [{"type": "BODY", "text": "Our spring collection is here, have a look."}]}))
            .await;
        let marketing = |to: &str| {
            json!({"to": to, "type": "template",
                "template": {"name": "spring_sale", "language": {"code": "en"}}})
        };

        // Opted out in the book (no STOP ever sent): marketing fails 131050, as after a STOP.
        let res = app
            .post_json(
                "/api/v1/contacts",
                &json!({"wa_id": "+15550003333", "opted_in": false}),
            )
            .await;
        assert_eq!(res.status(), 201);
        let id = app.send(marketing("15550003333")).await;
        let m = app.wait_status(&id, &["failed", "delivered"]).await;
        assert_eq!(m["status"], "failed", "{}: {m}", app.backend);
        assert_eq!(m["error"]["code"], 131050);
        assert_eq!(m["handovers"], 0);

        // A user who writes in joins the book; STOP and START are recorded as the opt-in.
        app.inject(json!({"from": "15550004444", "text": {"body": "STOP"}}))
            .await;
        let card: Value = app
            .get("/api/v1/contacts/+15550004444")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(card["opted_in"], false, "{card}");
        assert_eq!(card["opt_in_source"], "inbound");
        app.inject(json!({"from": "15550004444", "text": {"body": "start"}}))
            .await;
        let card: Value = app
            .get("/api/v1/contacts/+15550004444")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(card["opted_in"], true);
        // Its activity comes from the chat: the window is open for 24 h from the last message.
        let last: wagate_core::Timestamp =
            card["last_active_at"].as_str().unwrap().parse().unwrap();
        let until: wagate_core::Timestamp =
            card["window_open_until"].as_str().unwrap().parse().unwrap();
        assert_eq!(until.as_second() - last.as_second(), 24 * 3600, "{card}");
        let list = |q: String| {
            let app = &app;
            async move {
                let v: Value = app
                    .get(&format!("/api/v1/contacts?{q}"))
                    .await
                    .json()
                    .await
                    .unwrap();
                v["data"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c["wa_id"].as_str().unwrap().to_owned())
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(list("window_open=true".into()).await, ["15550004444"]);
        assert_eq!(list("window_open=false".into()).await, ["15550003333"]);
        let before = (last - wagate_core::clock::SignedDuration::from_secs(1)).to_string();
        let after = (last + wagate_core::clock::SignedDuration::from_secs(1)).to_string();
        assert_eq!(
            list(format!("active_since={before}")).await,
            ["15550004444"]
        );
        assert!(list(format!("active_until={before}")).await.is_empty());
        assert!(list(format!("active_since={after}")).await.is_empty());
        let res = app.get("/api/v1/contacts?active_since=yesterday").await;
        assert_manage_error(res, 400, "invalid_query").await;
        // Opted in again: marketing goes out.
        let id = app.send(marketing("15550004444")).await;
        let m = app.wait_status(&id, &["failed", "delivered", "read"]).await;
        assert_ne!(m["status"], "failed", "{}: {m}", app.backend);
        assert_eq!(m["handovers"], 1);
    }
}
