//! Catalogs and products over real HTTP on SQLite and PostgreSQL: catalogs created and
//! linked on the management plane and with Meta's `/{waba_id}/product_catalogs`; products
//! created as JSON, a form or query parameters, read with prices formatted as Meta shows
//! them, listed with `fields`, `filter` and paging, updated and deleted; every bad input
//! refused with Graph's code 100 naming the field (a duplicate retailer_id with Meta's
//! 10800) and nothing stored; another account's ids unknown. Then product, product list,
//! catalog and multi-product template sends checked against the linked catalog (Meta's
//! 131009 for each refusal, nothing stored), and a virtual user's order arriving with its
//! webhook (refused for unknown or out-of-stock products and a disabled cart).

use reqwest::Method;
use serde_json::{Value, json};
use tokio::process::Command;

use crate::helpers::{TestApp, assert_graph_error, assert_manage_error, spawn_app, spawn_apps};
use crate::receiver::{Receiver, SECRET, TOKEN};
use crate::sdk::{conformance_dir, install};

const USER: &str = "15550004242";

async fn waba(app: &TestApp) -> String {
    let list: Value = app.get("/api/v1/channels").await.json().await.unwrap();
    list["data"][0]["waba_id"].as_str().unwrap().to_owned()
}

async fn json_of(res: reqwest::Response, status: u16) -> Value {
    let code = res.status().as_u16();
    let body: Value = res.json().await.unwrap();
    assert_eq!(code, status, "{body}");
    body
}

/// A catalog linked to the first channel's WABA: its id.
async fn linked_catalog(app: &TestApp) -> String {
    let waba = waba(app).await;
    let res = app
        .post_json(
            "/api/v1/catalogs",
            &json!({"name": "Shop", "waba_id": waba}),
        )
        .await;
    json_of(res, 201).await["id"].as_str().unwrap().to_owned()
}

async fn create_product(app: &TestApp, catalog: &str, body: Value) -> String {
    let res = app
        .post_json(&format!("/v23.0/{catalog}/products"), &body)
        .await;
    json_of(res, 200).await["id"].as_str().unwrap().to_owned()
}

fn shoe(retailer_id: &str) -> Value {
    json!({"retailer_id": retailer_id, "name": "Trail shoe", "price": 1099, "currency": "USD",
           "image_url": "https://img.example/shoe.png"})
}

async fn product_count(app: &TestApp, catalog: &str) -> usize {
    let body = json_of(
        app.get(&format!("/v23.0/{catalog}/products?limit=200"))
            .await,
        200,
    )
    .await;
    body["data"].as_array().unwrap().len()
}

/// Graph's code 100 without a subcode, the message naming `field`.
async fn assert_bad(res: reqwest::Response, field: &str) {
    let body = assert_graph_error(res, 400, 100).await;
    assert!(body["error"].get("error_subcode").is_none(), "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains(field), "{field} named in {body}");
}

/// Graph's "object does not exist" (100/33).
async fn assert_unknown(res: reqwest::Response) {
    let body = assert_graph_error(res, 400, 100).await;
    assert_eq!(body["error"]["error_subcode"], 33, "{body}");
}

#[tokio::test]
async fn catalogs_and_products_round_trip_in_metas_shapes() {
    for app in spawn_apps().await {
        let waba = waba(&app).await;
        let catalogs = format!("/v23.0/{waba}/product_catalogs");
        let empty = json_of(app.get(&catalogs).await, 200).await;
        assert_eq!(empty["data"], json!([]), "{}", app.backend);

        // A catalog linked at creation; a WABA takes one catalog, and nothing is stored
        // for a refused one.
        let catalog = linked_catalog(&app).await;
        let res = app
            .post_json(
                "/api/v1/catalogs",
                &json!({"name": "Again", "waba_id": waba}),
            )
            .await;
        assert_manage_error(res, 409, "catalog_linked").await;
        let res = app
            .post_json("/api/v1/catalogs", &json!({"name": ""}))
            .await;
        assert_manage_error(res, 400, "invalid_request").await;
        let res = app
            .post_json("/api/v1/catalogs", &json!({"name": "X", "waba_id": "123"}))
            .await;
        assert_manage_error(res, 404, "channel_not_found").await;
        let all = json_of(app.get("/api/v1/catalogs").await, 200).await;
        assert_eq!(all["data"].as_array().unwrap().len(), 1, "{all}");
        assert_eq!(all["data"][0]["waba_id"], waba.as_str());

        let linked = json_of(app.get(&catalogs).await, 200).await;
        assert_eq!(linked["data"], json!([{"id": catalog, "name": "Shop"}]));
        let res = app
            .get(&format!("{catalogs}?fields=id,name,product_count,vertical"))
            .await;
        assert_eq!(
            json_of(res, 200).await["data"][0],
            json!({"id": catalog, "name": "Shop", "product_count": 0, "vertical": "commerce"})
        );
        assert_bad(app.get(&format!("{catalogs}?fields=owner")).await, "owner").await;

        // Products as JSON, a form and query parameters.
        let p1 = create_product(&app, &catalog, shoe("sku-1")).await;
        let res = app
            .post_raw(
                &format!("/v23.0/{catalog}/products"),
                "application/x-www-form-urlencoded",
                "retailer_id=sku-2&name=Hat&price=250&currency=jpy&image_url=https%3A%2F%2Fimg.example%2Fh.png&availability=out%20of%20stock",
            )
            .await;
        let p2 = json_of(res, 200).await["id"].as_str().unwrap().to_owned();
        let res = app
            .req(
                Method::POST,
                &format!(
                    "/v23.0/{catalog}/products?retailer_id=sku-3&name=Sock&price=123456&currency=EUR&image_url=https://img.example/s.png&brand=Acme&visibility=hidden&condition=used&description=Warm"
                ),
            )
            .send()
            .await
            .unwrap();
        let p3 = json_of(res, 200).await["id"].as_str().unwrap().to_owned();

        let got = json_of(app.get(&format!("/v23.0/{p1}")).await, 200).await;
        assert_eq!(
            got,
            json!({"id": p1, "retailer_id": "sku-1", "name": "Trail shoe", "price": "$10.99",
                   "currency": "USD", "availability": "in stock", "condition": "new",
                   "image_url": "https://img.example/shoe.png", "visibility": "published"})
        );
        let got = json_of(app.get(&format!("/v23.0/{p2}")).await, 200).await;
        assert_eq!(
            (got["price"].as_str(), got["availability"].as_str()),
            (Some("¥250"), Some("out of stock"))
        );
        let got = json_of(
            app.get(&format!(
                "/{p3}?fields=price,brand,visibility,condition,description"
            ))
            .await,
            200,
        )
        .await;
        assert_eq!(
            got,
            json!({"id": p3, "price": "€1,234.56", "brand": "Acme", "visibility": "hidden",
                   "condition": "used", "description": "Warm"})
        );
        let got = json_of(
            app.get(&format!("/v23.0/{catalog}?fields=id,product_count"))
                .await,
            200,
        )
        .await;
        assert_eq!(got, json!({"id": catalog, "product_count": 3}));

        // Every bad input: code 100 naming the field (10800 for a duplicate retailer_id),
        // nothing stored.
        let res = app
            .post_json(&format!("/v23.0/{catalog}/products"), &shoe("sku-1"))
            .await;
        let body = assert_graph_error(res, 400, 10800).await;
        assert!(
            body["error"]["message"].as_str().unwrap().contains("sku-1"),
            "{body}"
        );
        for (key, value) in [
            ("price", json!(-5)),
            ("price", json!(10.99)),
            ("price", json!("cheap")),
            ("currency", json!("XYZ")),
            ("name", json!("n".repeat(151))),
            ("name", json!({"en": "x"})),
            ("retailer_id", json!("r".repeat(101))),
            ("image_url", json!("ftp://img.example/x.png")),
            ("url", json!("shop.example")),
            ("availability", json!("sold out")),
            ("condition", json!("broken")),
            ("visibility", json!("staging")),
            ("colour", json!("red")),
        ] {
            let mut body = shoe("sku-new");
            body[key] = value;
            let res = app
                .post_json(&format!("/v23.0/{catalog}/products"), &body)
                .await;
            assert_bad(res, key).await;
        }
        for key in ["retailer_id", "name", "price", "currency", "image_url"] {
            let mut body = shoe("sku-new");
            body.as_object_mut().unwrap().remove(key);
            let res = app
                .post_json(&format!("/v23.0/{catalog}/products"), &body)
                .await;
            assert_bad(res, key).await;
        }
        let res = app
            .post_raw(
                &format!("/v23.0/{catalog}/products"),
                "application/json",
                "{\"name\":",
            )
            .await;
        assert_graph_error(res, 400, 100).await;
        let res = app
            .post_raw(
                &format!("/v23.0/{catalog}/products"),
                "application/json",
                "[1]",
            )
            .await;
        assert_graph_error(res, 400, 100).await;
        assert_eq!(product_count(&app, &catalog).await, 3);

        // Lists: fields, filter, paging.
        let page1 = json_of(
            app.get(&format!(
                "/v23.0/{catalog}/products?limit=2&fields=retailer_id"
            ))
            .await,
            200,
        )
        .await;
        let items = page1["data"].as_array().unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].as_object().unwrap().len(), 2, "{page1}");
        let next = page1["paging"]["next"].as_str().unwrap();
        assert!(
            next.starts_with(&app.base_url) && next.contains("after="),
            "{next}"
        );
        let after = page1["paging"]["cursors"]["after"].as_str().unwrap();
        let page2 = json_of(
            app.get(&format!("/v23.0/{catalog}/products?limit=2&after={after}"))
                .await,
            200,
        )
        .await;
        assert_eq!(page2["data"].as_array().unwrap().len(), 1);
        assert!(page2["paging"].get("next").is_none(), "{page2}");
        let mut seen: Vec<String> = items
            .iter()
            .chain(page2["data"].as_array().unwrap())
            .map(|p| p["id"].as_str().unwrap().to_owned())
            .collect();
        seen.sort();
        let mut want = vec![p1.clone(), p2.clone(), p3.clone()];
        want.sort();
        assert_eq!(seen, want);
        let filter = urlencode(r#"{"retailer_id":{"is_any":["sku-1","sku-3"]}}"#);
        let some = json_of(
            app.get(&format!("/v23.0/{catalog}/products?filter={filter}"))
                .await,
            200,
        )
        .await;
        assert_eq!(some["data"].as_array().unwrap().len(), 2);
        let filter = urlencode(r#"{"availability":{"eq":"out of stock"}}"#);
        let some = json_of(
            app.get(&format!("/v23.0/{catalog}/products?filter={filter}"))
                .await,
            200,
        )
        .await;
        assert_eq!(some["data"][0]["id"], p2.as_str());
        assert_bad(
            app.get(&format!("/v23.0/{catalog}/products?filter=nope"))
                .await,
            "filter",
        )
        .await;
        assert_bad(
            app.get(&format!("/v23.0/{catalog}/products?limit=0")).await,
            "limit",
        )
        .await;
        assert_bad(
            app.get(&format!("/v23.0/{catalog}/products?after=x")).await,
            "after",
        )
        .await;

        // Update and delete through the object route.
        let res = app
            .post_json(
                &format!("/v23.0/{p1}"),
                &json!({"price": 2500, "availability": "preorder"}),
            )
            .await;
        assert_eq!(json_of(res, 200).await, json!({"success": true}));
        let got = json_of(
            app.get(&format!("/v23.0/{p1}?fields=price,availability"))
                .await,
            200,
        )
        .await;
        assert_eq!(
            got,
            json!({"id": p1, "price": "$25.00", "availability": "preorder"})
        );
        let res = app
            .post_json(&format!("/v23.0/{p1}"), &json!({"retailer_id": "sku-2"}))
            .await;
        assert_graph_error(res, 400, 10800).await;
        assert_bad(
            app.post_json(&format!("/v23.0/{p1}"), &json!({"price": -1}))
                .await,
            "price",
        )
        .await;
        let got = json_of(
            app.get(&format!("/v23.0/{p1}?fields=retailer_id,price"))
                .await,
            200,
        )
        .await;
        assert_eq!(
            got,
            json!({"id": p1, "retailer_id": "sku-1", "price": "$25.00"})
        );
        let res = app
            .req(Method::DELETE, &format!("/v23.0/{p3}"))
            .send()
            .await
            .unwrap();
        assert_eq!(json_of(res, 200).await, json!({"success": true}));
        assert_unknown(app.get(&format!("/v23.0/{p3}")).await).await;
        assert_eq!(product_count(&app, &catalog).await, 2);

        // Another account: every id unknown, nothing of theirs touched.
        let (_, key) = app.other_account().await;
        let as_other = |m: Method, path: &str| app.with_key(m, path, &key);
        assert_unknown(
            as_other(Method::GET, &format!("/v23.0/{catalog}/products"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_unknown(
            as_other(Method::GET, &format!("/v23.0/{p1}"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_unknown(as_other(Method::GET, &catalogs).send().await.unwrap()).await;
        assert_unknown(
            as_other(Method::POST, &format!("/v23.0/{catalog}/products"))
                .json(&shoe("theirs"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_unknown(
            as_other(Method::DELETE, &format!("/v23.0/{p1}"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        let res = as_other(Method::GET, &format!("/api/v1/catalogs/{catalog}"))
            .send()
            .await
            .unwrap();
        assert_manage_error(res, 404, "catalog_not_found").await;
        let res = as_other(Method::PUT, &format!("/api/v1/catalogs/{catalog}/link"))
            .json(&json!({"waba_id": waba}))
            .send()
            .await
            .unwrap();
        assert_manage_error(res, 404, "catalog_not_found").await;
        assert_eq!(product_count(&app, &catalog).await, 2);

        // Meta's unlink and link, then the management plane's.
        let res = app
            .req(Method::DELETE, &format!("{catalogs}?catalog_id={catalog}"))
            .send()
            .await
            .unwrap();
        assert_eq!(json_of(res, 200).await, json!({"success": true}));
        assert_eq!(
            json_of(app.get(&catalogs).await, 200).await["data"],
            json!([])
        );
        let res = app
            .req(Method::DELETE, &format!("{catalogs}?catalog_id={catalog}"))
            .send()
            .await
            .unwrap();
        assert_bad(res, "catalog_id").await;
        let res = app
            .post_json(&catalogs, &json!({"catalog_id": catalog}))
            .await;
        assert_eq!(json_of(res, 200).await, json!({"success": true}));
        assert_eq!(
            json_of(app.get(&catalogs).await, 200).await["data"][0]["id"],
            catalog.as_str()
        );
        assert_unknown(
            app.post_json(&catalogs, &json!({"catalog_id": "999"}))
                .await,
        )
        .await;
        let res = app
            .req(Method::DELETE, &format!("/api/v1/catalogs/{catalog}/link"))
            .send()
            .await
            .unwrap();
        assert_eq!(json_of(res, 200).await["waba_id"], Value::Null);
        let res = app
            .req(Method::PUT, &format!("/api/v1/catalogs/{catalog}/link"))
            .json(&json!({"waba_id": waba}))
            .send()
            .await
            .unwrap();
        assert_eq!(json_of(res, 200).await["waba_id"], waba.as_str());
        let res = app
            .req(Method::DELETE, &format!("/api/v1/catalogs/{catalog}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 204);
        assert_unknown(app.get(&format!("/v23.0/{p1}")).await).await;
        app.stop().await;
    }
}

/// Percent-encodes a query value.
fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A send refused with Meta's 131009, its details naming `field`.
async fn assert_refused(app: &TestApp, body: Value, field: &str) {
    let mut body = body;
    body["messaging_product"] = json!("whatsapp");
    body["to"] = json!(USER);
    let res = app
        .post_json(&format!("/v23.0/{}/messages", app.phone_number_id), &body)
        .await;
    let err = assert_graph_error(res, 400, 131009).await;
    assert!(err.to_string().contains(field), "{field} in {err}");
}

fn product_msg(catalog: &str, retailer: &str) -> Value {
    json!({"to": USER, "type": "interactive", "interactive": {"type": "product",
        "body": {"text": "Look"}, "action": {"catalog_id": catalog, "product_retailer_id": retailer}}})
}

fn list_msg(catalog: &str, a: &[&str], b: &[&str]) -> Value {
    let items = |ids: &[&str]| {
        ids.iter()
            .map(|r| json!({"product_retailer_id": r}))
            .collect::<Vec<_>>()
    };
    json!({"to": USER, "type": "interactive", "interactive": {"type": "product_list",
        "header": {"type": "text", "text": "Picks"}, "body": {"text": "Have a look"},
        "action": {"catalog_id": catalog, "sections": [
            {"title": "One", "product_items": items(a)}, {"title": "Two", "product_items": items(b)}]}}})
}

fn catalog_msg(thumb: Option<&str>) -> Value {
    let mut action = json!({"name": "catalog_message"});
    if let Some(t) = thumb {
        action["parameters"] = json!({"thumbnail_product_retailer_id": t});
    }
    json!({"to": USER, "type": "interactive", "interactive": {"type": "catalog_message",
        "body": {"text": "Our catalog"}, "action": action}})
}

#[tokio::test]
async fn sends_name_products_of_the_linked_catalog() {
    for app in spawn_apps().await {
        app.configure_sandbox(json!({})).await;
        app.inject(json!({"from": USER, "type": "text", "text": {"body": "hi"}}))
            .await;
        let catalog = linked_catalog(&app).await;
        create_product(&app, &catalog, shoe("sku-1")).await;
        create_product(&app, &catalog, shoe("sku-2")).await;
        let mut hidden = shoe("sku-hidden");
        hidden["visibility"] = json!("hidden");
        create_product(&app, &catalog, hidden).await;
        let mut oos = shoe("sku-oos");
        oos["availability"] = json!("out of stock");
        create_product(&app, &catalog, oos).await;
        let other = json_of(
            app.post_json("/api/v1/catalogs", &json!({"name": "Unlinked"}))
                .await,
            201,
        )
        .await;
        let other = other["id"].as_str().unwrap().to_owned();

        // Accepted: products of the linked catalog (an out-of-stock one too: WhatsApp
        // shows it as such), a list, a catalog message with and without a thumbnail.
        app.send(product_msg(&catalog, "sku-1")).await;
        app.send(product_msg(&catalog, "sku-oos")).await;
        app.send(list_msg(&catalog, &["sku-1"], &["sku-2", "sku-oos"]))
            .await;
        app.send(catalog_msg(Some("sku-2"))).await;
        app.send(catalog_msg(None)).await;
        let before = app.messages("direction=outbound").await.len();
        assert_eq!(before, 5);

        // Refused with 131009, each naming its field; nothing stored.
        assert_refused(
            &app,
            product_msg(&catalog, "nope"),
            "interactive.action.product_retailer_id",
        )
        .await;
        assert_refused(&app, product_msg(&catalog, "sku-hidden"), "hidden").await;
        assert_refused(
            &app,
            product_msg(&other, "sku-1"),
            "interactive.action.catalog_id",
        )
        .await;
        assert_refused(&app, product_msg("12345", "sku-1"), "not linked").await;
        assert_refused(
            &app,
            list_msg(&catalog, &["sku-1"], &["sku-2", "sku-1"]),
            "interactive.action.sections[1].product_items[1].product_retailer_id",
        )
        .await;
        assert_refused(&app, list_msg(&catalog, &["sku-1"], &["ghost"]), "ghost").await;
        assert_refused(
            &app,
            catalog_msg(Some("ghost")),
            "thumbnail_product_retailer_id",
        )
        .await;

        // A hidden catalog takes no catalog messages; product messages still go.
        let settings = format!(
            "/v23.0/{}/whatsapp_commerce_settings?is_catalog_visible=false",
            app.phone_number_id
        );
        assert_eq!(
            app.req(Method::POST, &settings)
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
        assert_refused(&app, catalog_msg(None), "is_catalog_visible").await;
        app.send(product_msg(&catalog, "sku-2")).await;

        // Multi-product template buttons name products of the linked catalog.
        let template = json!({"name": "picks", "language": "en_US", "category": "MARKETING",
            "components": [
                {"type": "HEADER", "format": "TEXT", "text": "Our picks"},
                {"type": "BODY", "text": "See what is new"},
                {"type": "BUTTONS", "buttons": [{"type": "MPM", "text": "View items"}]}]});
        app.approved_template(template).await;
        let mpm = |ids: &[&str]| {
            let items: Vec<Value> = ids
                .iter()
                .map(|r| json!({"product_retailer_id": r}))
                .collect();
            json!({"to": USER, "type": "template", "template": {"name": "picks",
                "language": {"code": "en_US"}, "components": [
                {"type": "button", "sub_type": "mpm", "index": 0, "parameters": [
                    {"type": "action", "action": {"thumbnail_product_retailer_id": ids[0],
                        "sections": [{"title": "New", "product_items": items}]}}]}]}})
        };
        app.send(mpm(&["sku-1", "sku-2"])).await;
        assert_refused(&app, mpm(&["sku-1", "ghost"]), "ghost").await;
        assert_refused(&app, mpm(&["sku-1", "sku-1"]), "product_items[1]").await;

        assert_eq!(app.messages("direction=outbound").await.len(), before + 2);

        // Another catalog linked: the first one's products are refused, the new one's go.
        let res = app
            .req(Method::DELETE, &format!("/api/v1/catalogs/{catalog}/link"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let res = app
            .req(Method::PUT, &format!("/api/v1/catalogs/{other}/link"))
            .json(&json!({"waba_id": waba(&app).await}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_refused(&app, product_msg(&catalog, "sku-1"), "not linked").await;
        assert_refused(&app, mpm(&["sku-1"]), "is not in catalog").await;
        create_product(&app, &other, shoe("sku-1")).await;
        app.send(product_msg(&other, "sku-1")).await;

        // With no catalog linked, the sandbox checks nothing (see the README).
        let res = app
            .req(Method::DELETE, &format!("/api/v1/catalogs/{other}/link"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        app.send(product_msg("123456789", "anything")).await;
        assert_eq!(app.messages("direction=outbound").await.len(), before + 4);
        app.stop().await;
    }
}

#[tokio::test]
async fn catalog_and_mpm_template_buttons_need_a_linked_catalog() {
    for app in spawn_apps().await {
        let waba = waba(&app).await;
        let path = format!("/v23.0/{waba}/message_templates");
        let templates = || async {
            let list: Value = app.get(&path).await.json().await.unwrap();
            list["data"].as_array().unwrap().len()
        };
        let with = |name: &str, kind: &str| {
            json!({"name": name, "language": "en_US", "category": "MARKETING",
                "components": [
                    {"type": "BODY", "text": "Now shop for your favourite products right here."},
                    {"type": "BUTTONS", "buttons": [
                        {"type": "QUICK_REPLY", "text": "Later"},
                        {"type": kind, "text": "View items"}]}]})
        };
        let before = templates().await;

        // No catalog linked to the WABA: refused, naming the button, nothing stored.
        for (name, kind) in [("shop_catalog", "CATALOG"), ("shop_picks", "MPM")] {
            let body =
                assert_graph_error(app.post_json(&path, &with(name, kind)).await, 400, 131009)
                    .await;
            let message = body["error"]["message"].as_str().unwrap();
            assert!(message.contains("components.buttons[1]"), "{body}");
            let details = body["error"]["error_data"]["details"].as_str().unwrap();
            assert!(
                details.contains(kind) && details.contains("catalog"),
                "{body}"
            );
        }
        assert_eq!(templates().await, before);

        // Linked: both are created.
        let catalog = linked_catalog(&app).await;
        for (name, kind) in [("shop_catalog", "CATALOG"), ("shop_picks", "MPM")] {
            json_of(app.post_json(&path, &with(name, kind)).await, 200).await;
        }
        assert_eq!(templates().await, before + 2);

        // Unlinked again: new ones are refused; the created ones stay.
        let res = app
            .req(Method::DELETE, &format!("/api/v1/catalogs/{catalog}/link"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_graph_error(
            app.post_json(&path, &with("shop_more", "MPM")).await,
            400,
            131009,
        )
        .await;
        assert_eq!(templates().await, before + 2);
    }
}

fn order(catalog: &str, items: &[(&str, u32)]) -> Value {
    let items: Vec<Value> = items
        .iter()
        .map(|(r, q)| json!({"product_retailer_id": r, "quantity": q, "item_price": 10.99, "currency": "USD"}))
        .collect();
    json!({"from": USER, "type": "order", "order": {"catalog_id": catalog, "text": "Please deliver",
        "product_items": items}})
}

async fn inject_refused(app: &TestApp, body: Value, field: &str) {
    let res = app
        .post_json(&format!("/sandbox/{}/inbound", app.phone_number_id), &body)
        .await;
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    assert_eq!(status, 400, "{text}");
    assert!(text.contains(field), "{field} in {text}");
}

#[tokio::test]
async fn a_virtual_users_order_arrives_with_its_webhook() {
    for app in spawn_apps().await {
        app.configure_sandbox(json!({})).await;
        let receiver = Receiver::start().await;
        let res = app
            .post_json(
                "/api/v1/webhooks",
                &json!({"url": receiver.url, "secret": SECRET, "verify_token": TOKEN, "fields": ["messages"]}),
            )
            .await;
        assert_eq!(res.status(), 201);
        let catalog = linked_catalog(&app).await;
        create_product(&app, &catalog, shoe("sku-1")).await;
        let mut oos = shoe("sku-oos");
        oos["availability"] = json!("out of stock");
        create_product(&app, &catalog, oos).await;

        // Refused: unknown product, out of stock, another catalog, a disabled cart.
        inject_refused(
            &app,
            order(&catalog, &[("sku-1", 1), ("ghost", 1)]),
            "order.product_items[1].product_retailer_id",
        )
        .await;
        inject_refused(&app, order(&catalog, &[("sku-oos", 1)]), "out of stock").await;
        inject_refused(&app, order("4242", &[("sku-1", 1)]), "order.catalog_id").await;
        let cart = format!(
            "/v23.0/{}/whatsapp_commerce_settings?is_cart_enabled=false",
            app.phone_number_id
        );
        assert_eq!(
            app.req(Method::POST, &cart).send().await.unwrap().status(),
            200
        );
        inject_refused(&app, order(&catalog, &[("sku-1", 1)]), "is_cart_enabled").await;
        assert!(app.messages("direction=inbound").await.is_empty());

        let cart = format!(
            "/v23.0/{}/whatsapp_commerce_settings?is_cart_enabled=true",
            app.phone_number_id
        );
        assert_eq!(
            app.req(Method::POST, &cart).send().await.unwrap().status(),
            200
        );
        app.inject(order(&catalog, &[("sku-1", 2)])).await;
        app.app.drain().await.unwrap();
        let posts = receiver.wait(1).await;
        let message = &posts[0].body["entry"][0]["changes"][0]["value"]["messages"][0];
        assert_eq!(message["type"], "order", "{}", posts[0].body);
        assert_eq!(message["order"]["catalog_id"], catalog.as_str());
        assert_eq!(
            message["order"]["product_items"][0]["product_retailer_id"],
            "sku-1"
        );
        assert_eq!(message["order"]["product_items"][0]["quantity"], 2);
        assert_eq!(app.messages("direction=inbound").await.len(), 1);
        app.stop().await;
    }
}

// ---- Real client libraries -------------------------------------------------------------------

/// A catalog with `sku-1` and `sku-2` linked to the first number, a user who wrote in, and
/// the script's report, every operation of `expected` present and ok.
async fn run_script(lib: &str, mut cmd: Command, app: &TestApp, expected: &[&str]) {
    app.configure_sandbox(json!({})).await;
    app.inject(json!({"from": USER, "type": "text", "text": {"body": "hi"}}))
        .await;
    let catalog = linked_catalog(app).await;
    create_product(app, &catalog, shoe("sku-1")).await;
    create_product(app, &catalog, shoe("sku-2")).await;
    crate::sdk::for_app(&mut cmd, app).args(["--catalog-id", &catalog, "--to", USER]);
    let ops = crate::sdk::run_script(lib, cmd).await;
    crate::sdk::judge(lib, expected, &ops);
}

#[tokio::test]
#[ignore = "real client libraries (pywa, whatsapp-api-js, kapso, S3): `cargo test -- --include-ignored`, as CI runs"]
async fn pywa_catalog_calls() {
    let (python, _) = install().await;
    let app = spawn_app().await;
    let mut cmd = Command::new(&python);
    cmd.arg(conformance_dir().join("catalogs/pywa_catalogs.py"));
    let expected = [
        "get_commerce_settings",
        "send_product",
        "send_products",
        "send_catalog",
        "send_catalog_plain",
        "send_product_unknown",
        "send_products_repeated",
        "send_catalog_unknown_thumbnail",
        "update_commerce_settings",
        "send_catalog_hidden",
        "restore_commerce_settings",
    ];
    run_script("pywa", cmd, &app, &expected).await;
    app.stop().await;
}

#[tokio::test]
#[ignore = "real client libraries (pywa, whatsapp-api-js, kapso, S3): `cargo test -- --include-ignored`, as CI runs"]
async fn whatsapp_api_js_catalog_builders() {
    let (_, node_modules) = install().await;
    let app = spawn_app().await;
    let mut cmd = Command::new("node");
    cmd.arg(conformance_dir().join("catalogs/wajs_catalogs.mjs"))
        .args(["--node-modules", &node_modules]);
    let expected = [
        "ActionProduct",
        "ActionProductList",
        "ActionCatalog_thumbnail",
        "ActionCatalog",
        "ActionProduct_unknown",
        "ActionProduct_unlinked_catalog",
        "ActionProductList_repeated",
    ];
    run_script("whatsapp-api-js", cmd, &app, &expected).await;
    app.stop().await;
}

// ---- Cloud channels ---------------------------------------------------------------------------

/// A cloud channel's catalog calls go to Meta: a second wagate (A) plays Meta for B, whose
/// channel is A's number with a cloud upstream (as in `cloud_upstream.rs`).
#[tokio::test]
async fn a_cloud_numbers_catalog_calls_are_answered_by_meta() {
    let a = spawn_app().await;
    let b = spawn_app().await;
    let a_channel: Value = a
        .get("/api/v1/channels")
        .await
        .json::<Value>()
        .await
        .unwrap()["data"][0]
        .clone();
    let waba = a_channel["waba_id"].as_str().unwrap().to_owned();
    let res = b
        .post_json(
            "/api/v1/channels",
            &json!({
                "verified_name": "Acme via Meta",
                "phone_number_id": a.phone_number_id,
                "waba_id": waba,
                "display_phone_number": a_channel["display_phone_number"],
                "upstream": {"kind": "cloud", "base_url": a.base_url, "access_token": a.api_key,
                             "app_secret": "meta-app-secret", "verify_token": "meta-verify-token"}
            }),
        )
        .await;
    json_of(res, 201).await;
    let catalog = linked_catalog(&a).await;
    let product = create_product(&a, &catalog, shoe("sku-1")).await;

    // The WABA's catalogs, a product by id, and a new product: Meta's answers through B.
    let path = format!("/v23.0/{waba}/product_catalogs?fields=id,name,product_count");
    let via_b = json_of(b.get(&path).await, 200).await;
    assert_eq!(via_b, json_of(a.get(&path).await, 200).await);
    assert_eq!(via_b["data"][0]["id"], catalog.as_str());
    let via_b = json_of(b.get(&format!("/v23.0/{product}")).await, 200).await;
    assert_eq!(via_b["price"], "$10.99", "{via_b}");
    let res = b
        .post_json(&format!("/v23.0/{catalog}/products"), &shoe("sku-2"))
        .await;
    let made = json_of(res, 200).await;
    let at_meta = json_of(
        a.get(&format!("/v23.0/{}", made["id"].as_str().unwrap()))
            .await,
        200,
    )
    .await;
    assert_eq!(at_meta["retailer_id"], "sku-2");
    // B keeps no catalog of its own.
    let own = json_of(b.get("/api/v1/catalogs").await, 200).await;
    assert_eq!(own["data"], json!([]));
    b.stop().await;
    a.stop().await;
}
