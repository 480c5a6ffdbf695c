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
        // Last active is either way: the marketing send counts for the contact that never wrote.
        let quiet: Value = app
            .get("/api/v1/contacts/+15550003333")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            quiet["last_active_at"], quiet["last_outbound_at"],
            "{quiet}"
        );
        let sent: wagate_core::Timestamp =
            quiet["last_active_at"].as_str().unwrap().parse().unwrap();
        let ms = wagate_core::clock::SignedDuration::from_millis;
        let before = (last - ms(1)).to_string();
        let after = (last + ms(1)).to_string();
        assert_eq!(
            list(format!("active_since={before}")).await,
            ["15550004444"]
        );
        assert_eq!(
            list(format!("active_until={}", sent + ms(1))).await,
            ["15550003333"]
        );
        assert!(
            list(format!("active_until={}", sent - ms(1)))
                .await
                .is_empty()
        );
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

async fn card(app: &TestApp, number: &str) -> Value {
    let res = app.get(&format!("/api/v1/contacts/{number}")).await;
    assert_eq!(res.status(), 200, "{number} ({})", app.backend);
    res.json().await.unwrap()
}

fn time(v: &Value) -> wagate_core::Timestamp {
    v.as_str()
        .unwrap_or_else(|| panic!("a time, not {v}"))
        .parse()
        .unwrap()
}

#[tokio::test]
async fn deliveries_and_131026_tell_whether_a_number_is_on_whatsapp() {
    for app in spawn_apps().await {
        app.configure_sandbox(json!({"not_on_whatsapp": ["15550000000"]}))
            .await;
        app.simple_template("hello", "en").await;
        let hello = |to: &str| {
            json!({"to": to, "type": "template",
                "template": {"name": "hello", "language": {"code": "en"}}})
        };
        // Unknown until a message says.
        let res = app
            .post_json("/api/v1/contacts", &json!({"wa_id": "+15550001212"}))
            .await;
        let created: Value = res.json().await.unwrap();
        assert_eq!(created["on_whatsapp"], Value::Null, "{created}");

        let id = app.send(hello("15550001212")).await;
        app.wait_status(&id, &["delivered", "read"]).await;
        app.app.drain().await.unwrap();
        assert_eq!(card(&app, "15550001212").await["on_whatsapp"], true);

        let lost = app.send(hello("15550000000")).await;
        let m = app.wait_status(&lost, &["failed"]).await;
        assert_eq!(m["error"]["code"], 131026);
        app.app.drain().await.unwrap();
        let gone = card(&app, "15550000000").await;
        assert_eq!(gone["on_whatsapp"], false, "{} {gone}", app.backend);

        // The number joins WhatsApp: the next delivery says so.
        app.configure_sandbox(json!({})).await;
        let id = app.send(hello("15550000000")).await;
        app.wait_status(&id, &["delivered", "read"]).await;
        app.app.drain().await.unwrap();
        assert_eq!(card(&app, "15550000000").await["on_whatsapp"], true);
    }
}

#[tokio::test]
async fn first_and_last_messages_are_kept_per_direction() {
    for app in spawn_apps().await {
        app.configure_sandbox(json!({})).await;
        app.inject(json!({"from": "15550005555", "text": {"body": "hello"}}))
            .await;
        let c = card(&app, "+15550005555").await;
        assert_eq!(c["first_inbound_at"], c["last_inbound_at"], "{c}");
        assert_eq!(c["first_outbound_at"], Value::Null);
        assert_eq!(c["last_outbound_at"], Value::Null);
        assert_eq!(c["last_active_at"], c["last_inbound_at"]);
        let first_in = time(&c["first_inbound_at"]);

        app.send(json!({"to": "15550005555", "type": "text", "text": {"body": "one"}}))
            .await;
        let c = card(&app, "+15550005555").await;
        let first_out = time(&c["first_outbound_at"]);
        assert_eq!(c["last_outbound_at"], c["first_outbound_at"], "{c}");
        assert!(first_out >= first_in);
        assert_eq!(c["last_active_at"], c["last_outbound_at"], "{c}");

        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        app.send(json!({"to": "15550005555", "type": "text", "text": {"body": "two"}}))
            .await;
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        app.inject(json!({"from": "15550005555", "text": {"body": "thanks"}}))
            .await;
        let c = card(&app, "+15550005555").await;
        assert_eq!(time(&c["first_inbound_at"]), first_in, "{c}");
        assert_eq!(time(&c["first_outbound_at"]), first_out, "{c}");
        let last_out = time(&c["last_outbound_at"]);
        let last_in = time(&c["last_inbound_at"]);
        assert!(last_out > first_out && last_in > last_out, "{c}");
        assert_eq!(time(&c["last_active_at"]), last_in);
        assert_eq!(
            time(&c["window_open_until"]).as_second() - last_in.as_second(),
            24 * 3600
        );
    }
}

#[tokio::test]
async fn a_timezone_is_an_iana_name() {
    for app in spawn_apps().await {
        let res = app
            .post_json(
                "/api/v1/contacts",
                &json!({"wa_id": "+447700900123", "timezone": "europe/london"}),
            )
            .await;
        assert_eq!(res.status(), 201, "{}", app.backend);
        let c: Value = res.json().await.unwrap();
        assert_eq!(c["timezone"], "Europe/London");
        assert_eq!(c["country"], "GB");
        let path = format!("/api/v1/contacts/{}", c["id"].as_str().unwrap());

        for bad in [
            json!("Mars/Olympus_Mons"),
            json!("../../etc/passwd"),
            json!("+05:30"),
            json!("A".repeat(65)),
            json!(""),
            json!(42),
        ] {
            let res = app.patch_json(&path, &json!({ "timezone": bad })).await;
            let err = assert_manage_error(res, 400, "invalid_request").await;
            if bad.is_string() {
                assert_eq!(err["error"]["field"], "timezone", "{bad}: {err}");
                assert!(
                    err["error"]["message"]
                        .as_str()
                        .unwrap()
                        .contains("IANA time zone"),
                    "{err}"
                );
            }
        }
        let res = app
            .post_json(
                "/api/v1/contacts",
                &json!({"wa_id": "+15550001313", "timezone": "Nowhere/Land"}),
            )
            .await;
        assert_manage_error(res, 400, "invalid_request").await;
        assert_eq!(
            card(&app, "+447700900123").await["timezone"],
            "Europe/London"
        );

        let res = app
            .patch_json(&path, &json!({"timezone": "America/Sao_Paulo"}))
            .await;
        assert_eq!(res.status(), 200);
        let c: Value = res.json().await.unwrap();
        assert_eq!(c["timezone"], "America/Sao_Paulo");
        let res = app.patch_json(&path, &json!({"timezone": null})).await;
        let c: Value = res.json().await.unwrap();
        assert_eq!(c["timezone"], Value::Null);
        let list: Value = app.get("/api/v1/contacts").await.json().await.unwrap();
        assert_eq!(list["total"], 1, "nothing stored for the refused create");
    }
}

#[tokio::test]
async fn blocking_a_contact_blocks_at_meta_where_the_person_wrote_in_the_last_24_hours() {
    for app in spawn_apps().await {
        app.configure_sandbox(json!({})).await;
        let first = app.phone_number_id.clone();
        let second = app.create_channel(&app.api_key, "Second Number").await;
        let second = second["phone_number_id"].as_str().unwrap().to_owned();
        // Ada wrote to the first number just now; Bob never wrote.
        app.inject(json!({"from": "15550007001", "text": {"body": "hi"}}))
            .await;
        let ada = card(&app, "+15550007001").await;
        let answer = json!({"gateway": false, "whatsapp": [
            {"phone_number_id": first, "blocked": false},
            {"phone_number_id": second, "blocked": false}]});
        assert_eq!(ada["block"], answer, "{}", app.backend);
        let path = format!("/api/v1/contacts/{}", ada["id"].as_str().unwrap());

        let res = app.patch_json(&path, &json!({"blocked": true})).await;
        assert_eq!(res.status(), 200);
        let blocked: Value = res.json().await.unwrap();
        assert_eq!(blocked["blocked"], true);
        assert_eq!(
            blocked["block"],
            json!({"gateway": true, "whatsapp": [
                {"phone_number_id": first, "blocked": true},
                {"phone_number_id": second, "blocked": false, "reason": "no_recent_message"}]}),
            "{}",
            app.backend
        );
        // GET says the same, and the Cloud plane's block list has her on the first number.
        assert_eq!(card(&app, "+15550007001").await["block"], blocked["block"]);
        let listed: Value = app
            .get(&format!("/v23.0/{first}/block_users"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(listed["data"][0]["wa_id"], "15550007001", "{listed}");
        let listed: Value = app
            .get(&format!("/v23.0/{second}/block_users"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(listed["data"], json!([]), "{listed}");

        // Bob is created blocked: the gateway's block only.
        let res = app
            .post_json(
                "/api/v1/contacts",
                &json!({"wa_id": "+15550007002", "blocked": true}),
            )
            .await;
        assert_eq!(res.status(), 201);
        let bob: Value = res.json().await.unwrap();
        assert_eq!(
            bob["block"],
            json!({"gateway": true, "whatsapp": [
                {"phone_number_id": first, "blocked": false, "reason": "no_recent_message"},
                {"phone_number_id": second, "blocked": false, "reason": "no_recent_message"}]})
        );
        let list: Value = app
            .get("/api/v1/contacts?blocked=true")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list["total"], 2);

        // Unblocking lifts both.
        let res = app.patch_json(&path, &json!({"blocked": false})).await;
        let lifted: Value = res.json().await.unwrap();
        assert_eq!(lifted["block"], answer);
        let listed: Value = app
            .get(&format!("/v23.0/{first}/block_users"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(listed["data"], json!([]), "{listed}");
        app.send(json!({"to": "15550007001", "type": "text", "text": {"body": "back"}}))
            .await;
    }
}

#[tokio::test]
async fn contact_events_reach_only_subscriptions_that_list_the_field() {
    use crate::receiver::{Receiver, SECRET, TOKEN};
    for app in spawn_apps().await {
        app.configure_sandbox(json!({})).await;
        let contacts = Receiver::start().await;
        let res = app
            .post_json(
                "/api/v1/webhooks",
                &json!({"url": contacts.url, "secret": SECRET, "verify_token": TOKEN,
                    "fields": ["contacts"]}),
            )
            .await;
        assert_eq!(res.status(), 201, "{}", app.backend);
        let sub: Value = res.json().await.unwrap();
        assert_eq!(sub["fields"], json!(["contacts"]));
        // The default fields leave contacts out.
        let plain = Receiver::start().await;
        let res = app
            .post_json(
                "/api/v1/webhooks",
                &json!({"url": plain.url, "secret": SECRET, "verify_token": TOKEN}),
            )
            .await;
        let sub: Value = res.json().await.unwrap();
        assert_eq!(sub["fields"], json!(["messages", "statuses"]));

        let res = app
            .post_json(
                "/api/v1/contacts",
                &json!({"wa_id": "+15550008001", "name": "Ada"}),
            )
            .await;
        let ada: Value = res.json().await.unwrap();
        let path = format!("/api/v1/contacts/{}", ada["id"].as_str().unwrap());
        app.patch_json(&path, &json!({"name": "Ada L.", "tags": {"replace": []}}))
            .await;
        // A PATCH that changes nothing says nothing.
        app.patch_json(&path, &json!({"name": "Ada L."})).await;
        app.patch_json(&path, &json!({"opted_in": false})).await;
        // STOP and START from a user the book lacks.
        app.inject(json!({"from": "15550008002", "text": {"body": "STOP"}}))
            .await;
        app.inject(json!({"from": "15550008002", "text": {"body": "Start"}}))
            .await;
        app.app.drain().await.unwrap();

        let posts = contacts.wait_events(5).await;
        let mut got: Vec<(String, String, Value)> = Vec::new();
        for p in &posts {
            let entry = &p.body["entry"][0];
            assert_eq!(p.body["object"], "whatsapp_business_account");
            assert_eq!(entry["id"], app.account_id.as_str(), "{}", p.body);
            assert!(entry["time"].is_i64());
            for change in entry["changes"].as_array().unwrap() {
                assert_eq!(change["field"], "contacts", "{change}");
                let v = &change["value"];
                assert!(v["timestamp"].as_str().unwrap().parse::<i64>().is_ok());
                got.push((
                    v["event"].as_str().unwrap().to_owned(),
                    v["contact"]["wa_id"].as_str().unwrap().to_owned(),
                    v.clone(),
                ));
            }
        }
        // Account-wide events belong to no message, so POSTs may overtake one another.
        let rank = ["created", "updated", "opted_out", "opted_in"];
        got.sort_by_key(|(k, w, _)| (w.clone(), rank.iter().position(|r| r == k)));
        let kinds: Vec<(&str, &str)> = got
            .iter()
            .map(|(k, w, _)| (k.as_str(), w.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                ("created", "15550008001"),
                ("updated", "15550008001"),
                ("opted_out", "15550008001"),
                ("opted_out", "15550008002"),
                ("opted_in", "15550008002"),
            ],
            "{}",
            app.backend
        );
        assert_eq!(got[0].2["contact"]["name"], "Ada");
        assert_eq!(got[1].2["changed"], json!(["name"]));
        assert_eq!(got[1].2["contact"]["name"], "Ada L.");
        assert_eq!(got[2].2["source"], "api");
        assert_eq!(got[2].2["contact"]["marketing_opt_out"], true);
        assert_eq!(got[3].2["source"], "inbound");
        assert_eq!(got[3].2["phone_number_id"], app.phone_number_id.as_str());
        assert_eq!(got[4].2["contact"]["opted_in"], true);

        // The other subscriber got the users' messages, and no contact event.
        let posts = plain.wait_events(2).await;
        app.app.drain().await.unwrap();
        for p in posts.iter().chain(plain.posts().iter()) {
            for change in p.body["entry"][0]["changes"].as_array().unwrap() {
                assert_eq!(change["field"], "messages", "{change}");
            }
        }
        assert_eq!(
            crate::receiver::events(&contacts.posts()).len(),
            5,
            "no more"
        );
    }
}

#[tokio::test]
async fn bad_extras_are_refused() {
    for app in spawn_apps().await {
        let res = app
            .post_json("/api/v1/contacts", &json!({"wa_id": "+15550009001"}))
            .await;
        let c: Value = res.json().await.unwrap();
        let path = format!("/api/v1/contacts/{}", c["id"].as_str().unwrap());
        for body in [
            json!({"blocked": "yes"}),
            json!({"on_whatsapp": true}),
            json!({"marketing_opt_out": true}),
            json!({"block": {"gateway": true}}),
            json!({"last_inbound_at": "2026-01-01T00:00:00Z"}),
        ] {
            let res = app.patch_json(&path, &body).await;
            assert_manage_error(res, 400, "invalid_request").await;
        }
        let res = app
            .post_json(
                "/api/v1/webhooks",
                &json!({"url": "https://example.com/hook", "secret": "my-app-secret",
                    "verify_token": "t", "fields": ["contact"]}),
            )
            .await;
        let err = assert_manage_error(res, 400, "invalid_request").await;
        assert!(
            err["error"]["message"]
                .as_str()
                .unwrap()
                .contains("contacts"),
            "the known fields are listed: {err}"
        );
        let c = card(&app, "+15550009001").await;
        assert_eq!(c["blocked"], false);
        assert_eq!(c["on_whatsapp"], Value::Null);
    }
}

/// What a `contacts` subscriber receives, as a snapshot (ids and times by their name).
#[tokio::test]
async fn the_contacts_payload_shape() {
    use crate::receiver::{Receiver, SECRET, TOKEN};
    fn redact(v: &mut Value) {
        match v {
            Value::Object(map) => {
                for (key, value) in map.iter_mut() {
                    let volatile = ["id", "time", "timestamp"].contains(&key.as_str())
                        || key.ends_with("_at")
                        || key.ends_with("_until");
                    if volatile && !value.is_null() && !value.is_object() {
                        *value = Value::String(format!("[{key}]"));
                    } else {
                        redact(value);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(redact),
            _ => {}
        }
    }
    let app = crate::helpers::spawn_app().await;
    let receiver = Receiver::start().await;
    let res = app
        .post_json(
            "/api/v1/webhooks",
            &json!({"url": receiver.url, "secret": SECRET, "verify_token": TOKEN,
                "fields": ["contacts"], "batch_size": 10}),
        )
        .await;
    assert_eq!(res.status(), 201);
    tag(&app, "VIP").await;
    let res = app
        .post_json(
            "/api/v1/contacts",
            &json!({"wa_id": "+44 7700 900123", "name": "Ada", "tags": ["VIP"],
                "attributes": {"plan": "gold"}, "timezone": "Europe/London"}),
        )
        .await;
    let ada: Value = res.json().await.unwrap();
    let path = format!("/api/v1/contacts/{}", ada["id"].as_str().unwrap());
    app.patch_json(
        &path,
        &json!({"tags": {"remove": ["VIP"]}, "blocked": true}),
    )
    .await;
    app.patch_json(&path, &json!({"opted_in": false})).await;
    app.app.drain().await.unwrap();
    let mut changes: Vec<Value> = receiver
        .wait_events(3)
        .await
        .iter()
        .flat_map(|p| p.body["entry"][0]["changes"].as_array().unwrap().clone())
        .collect();
    changes.iter_mut().for_each(redact);
    // By kind: the snapshot does not depend on how the POSTs were batched.
    changes.sort_by_key(|c| c["value"]["event"].as_str().unwrap_or_default().to_owned());
    insta::assert_json_snapshot!(changes);
    app.stop().await;
}
