//! The business profile, commerce settings, WABA information and subscribed apps on the
//! Cloud plane: round trips (what a POST stores is what the GET and the management plane
//! answer), `fields`, every limit of §6.3 and bad input (each a Graph error naming the field,
//! nothing stored), another account's phone number and WABA (100/33), the profile picture
//! from a Resumable Upload handle (its URL serves the image without a key, outlives the
//! upload, and dies when replaced), commerce settings from query parameters, the WABA object,
//! and the subscribed-apps lifecycle with an alternate callback that receives the WABA's
//! webhooks. Then pywa's own profile and commerce calls
//! (`conformance/profile/pywa_profile.py`).

use reqwest::{Method, Response};
use serde_json::{Value, json};
use tokio::process::Command;

use crate::helpers::{TestApp, assert_graph_error, http_client, spawn_apps};
use crate::receiver::{Receiver, SECRET, TOKEN};
use crate::sdk::{conformance_dir, pywa_python};

const APP_ID: &str = "1234567890";

/// A JPEG (JFIF start, then filler).
fn jpeg(len: usize) -> Vec<u8> {
    let mut b = b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00".to_vec();
    b.extend(std::iter::repeat_n(0x42, len));
    b
}

/// A PNG (signature and IHDR, then filler).
fn png(len: usize) -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0".to_vec();
    b.extend(std::iter::repeat_n(0x5a, len));
    b
}

fn profile_path(pnid: &str) -> String {
    format!("/v23.0/{pnid}/whatsapp_business_profile")
}

/// The profile object the GET answers.
async fn profile_of(app: &TestApp, query: &str) -> Value {
    let res = app
        .get(&format!("{}{query}", profile_path(&app.phone_number_id)))
        .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["data"].as_array().unwrap().len(), 1, "{body}");
    body["data"][0].clone()
}

async fn update(app: &TestApp, body: &Value) -> Response {
    app.post_json(&profile_path(&app.phone_number_id), body)
        .await
}

async fn update_ok(app: &TestApp, body: Value) {
    let res = update(app, &body).await;
    let status = res.status();
    let answer: Value = res.json().await.unwrap();
    assert_eq!(
        (status.as_u16(), answer),
        (200, json!({"success": true})),
        "{body}"
    );
}

/// A file uploaded with the Resumable Upload API by `key`: its handle.
async fn upload_handle(app: &TestApp, key: &str, file_type: &str, bytes: Vec<u8>) -> String {
    let session: Value = app
        .with_key(
            Method::POST,
            &format!(
                "/v23.0/{APP_ID}/uploads?file_name=picture&file_length={}&file_type={file_type}",
                bytes.len()
            ),
            key,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let session = session["id"].as_str().expect("a session id").to_owned();
    let done: Value = app
        .with_key(Method::POST, &format!("/v23.0/{session}"), key)
        .header("file_offset", "0")
        .body(bytes)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    done["h"].as_str().expect("a handle").to_owned()
}

async fn waba_of(app: &TestApp) -> String {
    let list: Value = app.get("/api/v1/channels").await.json().await.unwrap();
    list["data"][0]["waba_id"].as_str().unwrap().to_owned()
}

async fn channel_view(app: &TestApp) -> Value {
    let list: Value = app.get("/api/v1/channels").await.json().await.unwrap();
    list["data"][0].clone()
}

#[tokio::test]
async fn business_profiles_round_trip_and_narrow_by_fields() {
    for app in spawn_apps().await {
        // A fresh profile: nothing set, the vertical UNDEFINED.
        assert_eq!(
            profile_of(&app, "").await,
            json!({"messaging_product": "whatsapp", "vertical": "UNDEFINED"})
        );
        update_ok(
            &app,
            json!({
                "messaging_product": "whatsapp",
                "about": "Fresh food, every day",
                "address": "1 Main St, Springfield",
                "description": "A corner shop.\nOpen daily.",
                "email": "hi@acme.example",
                "vertical": "GROCERY",
                "websites": ["https://acme.example", "http://acme.example/shop"],
            }),
        )
        .await;
        let full = json!({
            "about": "Fresh food, every day",
            "address": "1 Main St, Springfield",
            "description": "A corner shop.\nOpen daily.",
            "email": "hi@acme.example",
            "messaging_product": "whatsapp",
            "vertical": "GROCERY",
            "websites": ["https://acme.example", "http://acme.example/shop"],
        });
        assert_eq!(profile_of(&app, "").await, full, "{}", app.backend);
        let all_fields =
            "?fields=about,address,description,email,profile_picture_url,websites,vertical";
        assert_eq!(profile_of(&app, all_fields).await, full);
        assert_eq!(
            profile_of(&app, "?fields=about,websites").await,
            json!({
                "about": "Fresh food, every day",
                "messaging_product": "whatsapp",
                "websites": ["https://acme.example", "http://acme.example/shop"],
            })
        );
        // A nested selection names one field: `websites{a,b}` is `websites`.
        assert_eq!(
            profile_of(&app, "?fields=about,websites%7Ba,b%7D").await,
            profile_of(&app, "?fields=about,websites").await
        );
        // Without the version segment, the same.
        let unversioned: Value = app
            .get(&format!(
                "/{}/whatsapp_business_profile",
                app.phone_number_id
            ))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(unversioned["data"][0], full);
        // The management plane shows the same values (they are the channel's).
        let view = channel_view(&app).await;
        assert_eq!(view["profile"]["about"], "Fresh food, every day");
        assert_eq!(view["profile"]["vertical"], "GROCERY");

        // Absent keeps, "" clears (as pywa sends None), websites replace.
        update_ok(
            &app,
            json!({"messaging_product": "whatsapp", "about": "", "vertical": "",
                   "websites": ["https://new.example"]}),
        )
        .await;
        let after = profile_of(&app, "").await;
        assert_eq!(after.get("about"), None, "{after}");
        assert_eq!(after["vertical"], "UNDEFINED");
        assert_eq!(after["websites"], json!(["https://new.example"]));
        assert_eq!(after["email"], "hi@acme.example");
        assert_eq!(channel_view(&app).await["profile"]["about"], Value::Null);
        // An unknown field is refused as Graph refuses it.
        let res = app
            .get(&format!(
                "{}?fields=about,colour",
                profile_path(&app.phone_number_id)
            ))
            .await;
        let err = assert_graph_error(res, 400, 100).await;
        assert!(
            err["error"]["message"].as_str().unwrap().contains("colour"),
            "{err}"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn business_profile_limits_and_bad_input_are_refused_and_store_nothing() {
    let long = |n: usize| "a".repeat(n);
    let mp = |extra: Value| {
        let mut body = json!({"messaging_product": "whatsapp"});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    for app in spawn_apps().await {
        let before = profile_of(&app, "").await;
        // At the limits: accepted.
        update_ok(
            &app,
            mp(json!({
                "about": long(139), "address": long(256), "description": long(512),
                "email": format!("{}@example.com", long(116)),
                "websites": [format!("https://a.example/{}", long(256 - 18))],
            })),
        )
        .await;
        let at_limits = profile_of(&app, "").await;
        assert_eq!(at_limits["about"].as_str().unwrap().len(), 139);
        assert_eq!(at_limits["websites"][0].as_str().unwrap().len(), 256);
        let cases: Vec<(Value, u64, &str)> = vec![
            (mp(json!({"about": long(140)})), 131009, "about"),
            (mp(json!({"address": long(257)})), 131009, "address"),
            (mp(json!({"description": long(513)})), 131009, "description"),
            (
                mp(json!({"email": format!("{}@example.com", long(117))})),
                131009,
                "email",
            ),
            (mp(json!({"email": "not-an-email"})), 131009, "email"),
            (
                mp(
                    json!({"websites": ["https://a.example", "https://b.example", "https://c.example"]}),
                ),
                131009,
                "websites",
            ),
            (
                mp(json!({"websites": ["ftp://a.example"]})),
                131009,
                "websites[0]",
            ),
            (
                mp(json!({"websites": [format!("https://a.example/{}", long(239))]})),
                131009,
                "websites[0]",
            ),
            (
                mp(json!({"websites": {"url": "https://a.example"}})),
                100,
                "websites",
            ),
            (mp(json!({"websites": [42]})), 100, "websites[0]"),
            (mp(json!({"vertical": "SHOPS"})), 100, "vertical"),
            (mp(json!({"vertical": 7})), 100, "vertical"),
            (mp(json!({"about": 5})), 100, "about"),
            (mp(json!({"email": ["hi@acme.example"]})), 100, "email"),
            (
                mp(json!({"profile_picture_handle": 12})),
                100,
                "profile_picture_handle",
            ),
            (
                mp(json!({"profile_picture_handle": "4::d2FnYXRl:bm9wZQ"})),
                100,
                "profile_picture_handle",
            ),
            (
                mp(json!({"profile_picture_handle": "4::aW1hZ2UvanBlZw==:ARZ"})),
                100,
                "profile_picture_handle",
            ),
            (json!({"about": "x"}), 131008, "messaging_product"),
            (
                json!({"messaging_product": "sms", "about": "x"}),
                100,
                "messaging_product",
            ),
            (json!(["about"]), 100, "body"),
        ];
        for (body, code, field) in cases {
            let res = update(&app, &body).await;
            let err = assert_graph_error(res, 400, code).await;
            let message = err["error"]["message"].as_str().unwrap();
            assert!(
                message.contains(&format!(" {field}: ")),
                "{body} -> {err} ({})",
                app.backend
            );
        }
        // Not JSON at all.
        let res = app
            .post_raw(
                &profile_path(&app.phone_number_id),
                "application/json",
                "{\"about\": ",
            )
            .await;
        assert_graph_error(res, 400, 100).await;
        // A refused update changes nothing, not even its valid fields.
        let res = update(
            &app,
            &mp(json!({"about": "Changed", "websites": ["https://a.example", "https://b.example", "https://c.example"]})),
        )
        .await;
        assert_graph_error(res, 400, 131009).await;
        assert_eq!(profile_of(&app, "").await, at_limits);
        assert_ne!(at_limits, before);
        app.stop().await;
    }
}

#[tokio::test]
async fn another_accounts_phone_number_and_waba_are_unknown() {
    for app in spawn_apps().await {
        let (_, other_key) = app.other_account().await;
        let waba = waba_of(&app).await;
        let pnid = app.phone_number_id.clone();
        let paths = [
            (Method::GET, profile_path(&pnid)),
            (Method::POST, profile_path(&pnid)),
            (
                Method::GET,
                format!("/v23.0/{pnid}/whatsapp_commerce_settings"),
            ),
            (
                Method::POST,
                format!("/v23.0/{pnid}/whatsapp_commerce_settings?is_cart_enabled=false"),
            ),
            (Method::GET, format!("/v23.0/{waba}")),
            (Method::GET, format!("/v23.0/{waba}/subscribed_apps")),
            (Method::POST, format!("/v23.0/{waba}/subscribed_apps")),
            (Method::DELETE, format!("/v23.0/{waba}/subscribed_apps")),
        ];
        for (method, path) in &paths {
            let res = app
                .with_key(method.clone(), path, &other_key)
                .json(&json!({"messaging_product": "whatsapp", "about": "Stolen"}))
                .send()
                .await
                .unwrap();
            let err = assert_graph_error(res, 400, 100).await;
            assert_eq!(err["error"]["error_subcode"], 33, "{method} {path}: {err}");
        }
        // Ids that do not exist at all answer the same.
        for path in [
            profile_path("999999999999999"),
            "/v23.0/999999999999999/subscribed_apps".to_owned(),
            "/v23.0/not-an-id/whatsapp_commerce_settings".to_owned(),
        ] {
            let err = assert_graph_error(app.get(&path).await, 400, 100).await;
            assert_eq!(err["error"]["error_subcode"], 33, "{path}: {err}");
        }
        // Nothing changed for the owner.
        assert_eq!(profile_of(&app, "").await.get("about"), None);
        let apps: Value = app
            .get(&format!("/v23.0/{waba}/subscribed_apps"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(apps, json!({"data": []}));
        app.stop().await;
    }
}

#[tokio::test]
async fn profile_pictures_come_from_upload_handles_and_download_without_a_key() {
    for app in spawn_apps().await {
        let image = jpeg(3_000);
        let handle = upload_handle(&app, &app.api_key, "image/jpeg", image.clone()).await;
        update_ok(
            &app,
            json!({"messaging_product": "whatsapp", "profile_picture_handle": handle}),
        )
        .await;
        let profile = profile_of(&app, "?fields=profile_picture_url").await;
        let url = profile["profile_picture_url"].as_str().unwrap().to_owned();
        assert!(url.starts_with(&app.base_url), "{url}");
        assert_eq!(
            channel_view(&app).await["profile"]["profile_picture_url"],
            url.as_str()
        );
        // The URL serves the image to anyone holding it.
        let res = http_client().get(&url).send().await.unwrap();
        assert_eq!(res.status(), 200, "{url}");
        assert_eq!(res.headers()["content-type"], "image/jpeg");
        assert_eq!(res.bytes().await.unwrap().to_vec(), image);

        // The upload's own media id can go; the picture stays.
        let media_id = app
            .app
            .resolve_upload_handle(
                &wagate_app::Principal::operator(app.account_id.parse().unwrap()),
                &wagate_store::UploadHandle::parse(&handle).unwrap(),
            )
            .await
            .unwrap()
            .id;
        let res = app
            .req(Method::DELETE, &format!("/v23.0/{media_id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let res = http_client().get(&url).send().await.unwrap();
        assert_eq!(res.status(), 200);

        // Refused handles: a PDF, another account's upload, one we never issued.
        let pdf = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n".to_vec();
        let pdf_handle = upload_handle(&app, &app.api_key, "application/pdf", pdf).await;
        let (_, other_key) = app.other_account().await;
        // The other account needs a phone number of its own to upload.
        app.create_channel(&other_key, "Other Shop").await;
        let foreign = upload_handle(&app, &other_key, "image/jpeg", jpeg(100)).await;
        for (bad, why) in [
            (pdf_handle.as_str(), "JPEG or PNG"),
            (foreign.as_str(), "unknown or expired"),
            ("4::aW1hZ2UvanBlZw==:ARZxyz", "unknown or expired"),
        ] {
            let res = update(
                &app,
                &json!({"messaging_product": "whatsapp", "profile_picture_handle": bad}),
            )
            .await;
            let err = assert_graph_error(res, 400, 100).await;
            let message = err["error"]["message"].as_str().unwrap();
            assert!(
                message.contains("profile_picture_handle") && message.contains(why),
                "{bad}: {err}"
            );
        }
        assert_eq!(
            profile_of(&app, "").await["profile_picture_url"],
            url.as_str(),
            "unchanged"
        );

        // A new picture (a PNG) has a new URL; the old one stops working.
        let picture = png(500);
        let handle = upload_handle(&app, &app.api_key, "image/png", picture.clone()).await;
        update_ok(
            &app,
            json!({"messaging_product": "whatsapp", "profile_picture_handle": handle,
                   "about": "New look"}),
        )
        .await;
        let profile = profile_of(&app, "").await;
        assert_eq!(profile["about"], "New look");
        let new_url = profile["profile_picture_url"].as_str().unwrap().to_owned();
        assert_ne!(new_url, url);
        let res = http_client().get(&new_url).send().await.unwrap();
        assert_eq!(res.headers()["content-type"], "image/png");
        assert_eq!(res.bytes().await.unwrap().to_vec(), picture);
        let res = http_client().get(&url).send().await.unwrap();
        assert_graph_error(res, 404, 100).await;
        // Not every media id is a picture URL.
        let res = http_client()
            .get(app.url(&format!("/media/{media_id}/profile")))
            .send()
            .await
            .unwrap();
        assert_graph_error(res, 404, 100).await;

        // "" removes the picture.
        update_ok(
            &app,
            json!({"messaging_product": "whatsapp", "profile_picture_handle": ""}),
        )
        .await;
        let profile = profile_of(&app, "").await;
        assert_eq!(profile.get("profile_picture_url"), None, "{profile}");
        assert_eq!(profile["about"], "New look");
        let res = http_client().get(&new_url).send().await.unwrap();
        assert_eq!(res.status(), 404);
        app.stop().await;
    }
}

#[tokio::test]
async fn commerce_settings_change_by_query_parameters_form_or_json() {
    for app in spawn_apps().await {
        let path = format!("/v23.0/{}/whatsapp_commerce_settings", app.phone_number_id);
        let read = || async {
            let body: Value = app.get(&path).await.json().await.unwrap();
            body["data"][0].clone()
        };
        let first = read().await;
        assert_eq!(first["is_cart_enabled"], true);
        assert_eq!(first["is_catalog_visible"], true);
        let id = first["id"].as_str().unwrap().to_owned();
        assert!(id.bytes().all(|b| b.is_ascii_digit()), "{first}");

        // Meta documents the parameters in the query string, with an empty body.
        let res = app
            .req(Method::POST, &format!("{path}?is_cart_enabled=false"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.json::<Value>().await.unwrap(), json!({"success": true}));
        assert_eq!(
            read().await,
            json!({"is_cart_enabled": false, "is_catalog_visible": true, "id": id})
        );
        let res = app
            .post_json(&path, &json!({"is_catalog_visible": false}))
            .await;
        assert_eq!(res.status(), 200);
        let res = app
            .post_raw(
                &path,
                "application/x-www-form-urlencoded",
                "is_cart_enabled=true",
            )
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(
            read().await,
            json!({"is_cart_enabled": true, "is_catalog_visible": false, "id": id})
        );

        // Bad booleans and nothing to change: Graph 100 naming the parameter.
        for (query, field) in [
            ("?is_cart_enabled=yes", "is_cart_enabled"),
            ("?is_catalog_visible=", "is_catalog_visible"),
            ("", "is_cart_enabled"),
        ] {
            let res = app
                .req(Method::POST, &format!("{path}{query}"))
                .send()
                .await
                .unwrap();
            let err = assert_graph_error(res, 400, 100).await;
            assert!(
                err["error"]["message"].as_str().unwrap().contains(field),
                "{query}: {err}"
            );
        }
        let res = app
            .post_json(&path, &json!({"is_cart_enabled": "maybe"}))
            .await;
        assert_graph_error(res, 400, 100).await;
        let res = app.post_raw(&path, "application/json", "{oops").await;
        assert_graph_error(res, 400, 100).await;
        assert_eq!(
            read().await,
            json!({"is_cart_enabled": true, "is_catalog_visible": false, "id": id})
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn the_waba_object_answers_graph_fields_from_our_state() {
    for app in spawn_apps().await {
        let waba = waba_of(&app).await;
        let info: Value = app
            .get(&format!("/v23.0/{waba}"))
            .await
            .json()
            .await
            .unwrap();
        let account: Value = app.get("/api/v1/account").await.json().await.unwrap();
        let keys: Vec<&str> = info
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys.len(),
            4,
            "Graph's default fields: id, name, timezone_id, message_template_namespace: {info}"
        );
        assert_eq!(info["id"], waba.as_str());
        assert_eq!(info["name"], account["name"]);
        assert_eq!(info["timezone_id"], "1");
        let namespace = info["message_template_namespace"].as_str().unwrap();
        assert_eq!(namespace.len(), 36, "{namespace}");

        let fields = "id,name,currency,timezone_id,message_template_namespace,\
                      account_review_status,business_verification_status,country,\
                      ownership_type,primary_funding_id,status,health_status,subscribed_apps,\
                      owner_business_info";
        let info: Value = app
            .get(&format!("/v23.0/{waba}?fields={fields}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(info["currency"], "USD");
        assert_eq!(info["account_review_status"], "APPROVED");
        assert_eq!(info["business_verification_status"], "not_verified");
        assert_eq!(
            info["country"], "US",
            "the sandbox number is +1 555…: {info}"
        );
        assert_eq!(info["ownership_type"], "SELF");
        assert_eq!(info["message_template_namespace"], namespace, "stable");
        assert_eq!(info.get("primary_funding_id"), None, "no value, left out");
        assert_eq!(info["subscribed_apps"], json!({"data": []}));
        assert_eq!(info["owner_business_info"]["name"], account["name"]);
        let entities = info["health_status"]["entities"].as_array().unwrap();
        assert!(
            entities
                .iter()
                .any(|e| e["id"] == app.phone_number_id.as_str()),
            "{info}"
        );
        // A nested selection names one field (it once split at every comma).
        let res = app
            .get(&format!(
                "/v23.0/{waba}?fields=name,owner_business_info%7Bid,name%7D"
            ))
            .await;
        let info: Value = res.json().await.unwrap();
        assert_eq!(
            info["owner_business_info"]["name"], account["name"],
            "{info}"
        );
        assert_eq!(info["name"], account["name"], "{info}");
        // Unversioned too; an unknown field is refused.
        let res = app.get(&format!("/{waba}?fields=name")).await;
        assert_eq!(
            res.json::<Value>().await.unwrap(),
            json!({"name": account["name"], "id": waba})
        );
        let err = assert_graph_error(
            app.get(&format!("/v23.0/{waba}?fields=colour")).await,
            400,
            100,
        )
        .await;
        assert!(
            err["error"]["message"]
                .as_str()
                .unwrap()
                .contains("WhatsAppBusinessAccount"),
            "{err}"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn subscribed_apps_lifecycle_with_an_alternate_callback() {
    for app in spawn_apps().await {
        let waba = waba_of(&app).await;
        let path = format!("/v23.0/{waba}/subscribed_apps");
        let list = || async {
            let body: Value = app.get(&path).await.json().await.unwrap();
            body["data"].as_array().unwrap().clone()
        };
        assert!(list().await.is_empty());
        let res = app.req(Method::POST, &path).send().await.unwrap();
        assert_eq!(res.json::<Value>().await.unwrap(), json!({"success": true}));
        let apps = list().await;
        assert_eq!(apps.len(), 1);
        let data = &apps[0]["whatsapp_business_api_data"];
        assert_eq!(data["name"], "wagate");
        assert!(
            data["id"]
                .as_str()
                .unwrap()
                .bytes()
                .all(|b| b.is_ascii_digit())
        );
        assert!(data["link"].as_str().unwrap().starts_with(&app.base_url));
        assert_eq!(apps[0].get("override_callback_uri"), None);
        let info: Value = app
            .get(&format!("/v23.0/{waba}?fields=subscribed_apps"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(info["subscribed_apps"]["data"], json!(apps));

        // An alternate callback needs the account's webhook subscription (its secret).
        let alternate = Receiver::start().await;
        let callback = json!({"override_callback_uri": alternate.url, "verify_token": TOKEN});
        let err = assert_graph_error(app.post_json(&path, &callback).await, 400, 100).await;
        assert!(
            err["error"]["message"]
                .as_str()
                .unwrap()
                .contains("/api/v1/webhooks"),
            "{err}"
        );
        let main = Receiver::start().await;
        let res = app
            .post_json(
                "/api/v1/webhooks",
                &json!({"url": main.url, "secret": SECRET, "verify_token": TOKEN}),
            )
            .await;
        assert_eq!(res.status(), 201);

        // A verify token the callback does not expect: Graph 2200, nothing stored.
        let wrong = json!({"override_callback_uri": alternate.url, "verify_token": "nope"});
        assert_graph_error(app.post_json(&path, &wrong).await, 400, 2200).await;
        let hooks: Value = app.get("/api/v1/webhooks").await.json().await.unwrap();
        assert_eq!(hooks["data"].as_array().unwrap().len(), 1);
        // Missing verify token.
        let no_token = json!({"override_callback_uri": alternate.url});
        assert_graph_error(app.post_json(&path, &no_token).await, 400, 131008).await;

        let res = app.post_json(&path, &callback).await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        let apps = list().await;
        assert_eq!(apps[0]["override_callback_uri"], alternate.url.as_str());
        let hooks: Value = app.get("/api/v1/webhooks").await.json().await.unwrap();
        let hooks = hooks["data"].as_array().unwrap().clone();
        assert_eq!(hooks.len(), 2, "{hooks:?}");
        let carrier = hooks
            .iter()
            .find(|h| h["url"] == alternate.url.as_str())
            .unwrap();
        assert!(carrier["channel_id"].is_string(), "{carrier}");

        // The WABA's webhooks reach the alternate callback, signed with the account's secret.
        let wamid = app
            .send(json!({"to": "15550001111", "type": "text", "text": {"body": "hello"}}))
            .await;
        let posts = alternate.wait(1).await;
        let value = &posts[0].body["entry"][0]["changes"][0]["value"];
        assert_eq!(value["statuses"][0]["id"], wamid.as_str());
        assert_eq!(posts[0].body["entry"][0]["id"], waba.as_str());
        assert_eq!(
            posts[0].signature,
            wagate_core::webhook::ascii::signature(SECRET.as_bytes(), &posts[0].raw)
        );

        // POST without a callback removes it; DELETE unsubscribes.
        let res = app.req(Method::POST, &path).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(list().await[0].get("override_callback_uri"), None);
        let hooks: Value = app.get("/api/v1/webhooks").await.json().await.unwrap();
        assert_eq!(hooks["data"].as_array().unwrap().len(), 1);
        let res = app.req(Method::DELETE, &path).send().await.unwrap();
        assert_eq!(res.json::<Value>().await.unwrap(), json!({"success": true}));
        assert!(list().await.is_empty());
        let res = app.req(Method::DELETE, &path).send().await.unwrap();
        assert_eq!(res.status(), 200, "unsubscribing twice is fine");

        // A key limited to some channels may read but not subscribe.
        let channel = channel_view(&app).await;
        let res = app
            .post_json(
                "/api/v1/api-keys",
                &json!({"name": "scoped", "channel_ids": [channel["id"]]}),
            )
            .await;
        let key: Value = res.json().await.unwrap();
        let scoped = key["key"].as_str().unwrap();
        let res = app
            .with_key(Method::GET, &path, scoped)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let res = app
            .with_key(Method::POST, &path, scoped)
            .send()
            .await
            .unwrap();
        assert_graph_error(res, 403, 10).await;
        app.stop().await;
    }
}
#[tokio::test]
#[ignore = "real client libraries (pywa, whatsapp-api-js, kapso, S3): `cargo test -- --include-ignored`, as CI runs"]
async fn pywa_reads_and_updates_the_profile_and_commerce_settings() {
    let python = pywa_python().await;
    let app = spawn_apps().await.remove(0);
    let waba = waba_of(&app).await;
    let mut cmd = Command::new(&python);
    cmd.arg(conformance_dir().join("profile/pywa_profile.py"))
        .args(["--waba-id", &waba])
        .args(["--app-id", APP_ID]);
    crate::sdk::for_app(&mut cmd, &app);
    let ops = crate::sdk::run_script("pywa", cmd).await;
    crate::sdk::judge(
        "pywa",
        &[
            "get_empty",
            "update",
            "get_updated",
            "picture_bytes",
            "picture_url",
            "picture_path",
            "clear",
            "update_invalid",
            "get_commerce",
            "update_commerce",
            "get_commerce_updated",
            "business_account",
        ],
        &ops,
    );
    // What pywa wrote is what wagate stored.
    let profile = profile_of(&app, "").await;
    assert_eq!(profile["about"], "Made with pywa");
    assert_eq!(profile.get("email"), None, "pywa cleared it: {profile}");
    let commerce: Value = app
        .get(&format!(
            "/v23.0/{}/whatsapp_commerce_settings",
            app.phone_number_id
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(commerce["data"][0]["is_cart_enabled"], false);
    assert_eq!(commerce["data"][0]["is_catalog_visible"], true);
    app.stop().await;
}
