//! The console's contacts section over HTTP (see `crates/http/src/console/contacts.rs`):
//! search and filters, an edit read back through the API, tags, an import's progress and
//! row errors, the export, and what another account or a bad form gets.

use std::time::Duration;

use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use super::session::sign_in;
use crate::helpers::{TestApp, from_now, spawn_apps};

async fn contact(app: &TestApp, body: Value) -> Value {
    let res = app.post_json("/api/v1/contacts", &body).await;
    assert_eq!(res.status(), 201, "{}", app.backend);
    res.json().await.unwrap()
}

async fn tag(app: &TestApp, name: &str) {
    let res = app.post_json("/api/v1/tags", &json!({"name": name})).await;
    assert_eq!(res.status(), 201, "{}", app.backend);
}

/// Three contacts: Ann (vip, Paris), Bob (vip), Cy (nothing). Their ids.
async fn book(app: &TestApp) -> (String, String, String) {
    tag(app, "vip").await;
    tag(app, "late").await;
    let ann = contact(app, json!({"wa_id": "+447700900101", "name": "Ann Smith", "tags": ["vip"], "attributes": {"city": "Paris"}})).await;
    let bob = contact(
        app,
        json!({"wa_id": "+447700900102", "name": "Bob Jones", "tags": ["vip"]}),
    )
    .await;
    let cy = contact(app, json!({"wa_id": "+447700900103", "name": "Cy Young"})).await;
    let id = |v: &Value| v["id"].as_str().unwrap().to_owned();
    (id(&ann), id(&bob), id(&cy))
}

#[tokio::test]
async fn search_and_filters_page_the_book_and_the_export_has_the_filtered_rows() {
    for app in spawn_apps().await {
        book(&app).await;
        let s = sign_in(&app, &app.api_key).await;
        let all = s.page("/console/contacts").await;
        for n in ["+447700900101", "+447700900102", "+447700900103"] {
            assert!(all.contains(n), "{}: {n}", app.backend);
        }
        let vip = s.page("/console/contacts?tag=vip&q=&attribute=").await;
        assert!(vip.contains("+447700900101") && vip.contains("+447700900102"));
        assert!(!vip.contains("+447700900103"), "{}", app.backend);
        let paris = s.page("/console/contacts?attribute=city%3AParis").await;
        assert!(paris.contains("Ann Smith") && !paris.contains("Bob Jones"));
        let q = s.page("/console/contacts?q=jones").await;
        assert!(q.contains("Bob Jones") && !q.contains("Ann Smith"));
        // A bad filter is a clear message.
        let res = s.get("/console/contacts?attribute=nocolon").await;
        assert_eq!(res.status(), 400);
        assert!(res.text().await.unwrap().contains("key:value"));
        // Keyset paging: a bad cursor is refused.
        assert_eq!(s.get("/console/contacts?after=zzz").await.status(), 400);

        let res = s.get("/console/contacts/export?tag=vip").await;
        assert_eq!(res.status(), 200);
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/csv")
        );
        let csv = res.text().await.unwrap();
        assert!(csv.starts_with("phone,name,tags"), "{csv}");
        assert!(csv.contains("447700900101") && csv.contains("447700900102"));
        assert!(!csv.contains("447700900103"), "{}: {csv}", app.backend);
        app.stop().await;
    }
}

#[tokio::test]
async fn an_edit_is_saved_and_read_back_through_the_api() {
    for app in spawn_apps().await {
        let (ann, _, cy) = book(&app).await;
        let s = sign_in(&app, &app.api_key).await;
        let page = s.page(&format!("/console/contacts/{ann}")).await;
        assert!(page.contains("city=Paris"), "{page}");
        let res = s
            .post_form(
                &format!("/console/contacts/{ann}"),
                &[
                    ("name", "Ann Lee"),
                    ("attributes", "city=Rome\nplan=gold"),
                    ("opted_in", "no"),
                    ("blocked", "on"),
                ],
            )
            .await;
        assert_eq!(res.status(), 303, "{}", app.backend);
        let v: Value = app
            .get(&format!("/api/v1/contacts/{ann}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(v["name"], "Ann Lee");
        assert_eq!(v["attributes"], json!({"city": "Rome", "plan": "gold"}));
        assert_eq!(v["opted_in"], false);
        assert_eq!(v["blocked"], true);
        assert_eq!(v["opt_in_source"], "console");

        // Tags: add one, remove one.
        let res = s
            .post_form(&format!("/console/contacts/{ann}/tags"), &[("tag", "late")])
            .await;
        assert_eq!(res.status(), 303);
        let res = s
            .post_form(
                &format!("/console/contacts/{ann}/tags/remove"),
                &[("tag", "vip")],
            )
            .await;
        assert_eq!(res.status(), 303);
        let v: Value = app
            .get(&format!("/api/v1/contacts/{ann}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(v["tags"], json!(["late"]), "{}", app.backend);

        // A malformed form: a clear message, nothing changed.
        let res = s
            .post_form(
                &format!("/console/contacts/{cy}"),
                &[("name", "Cyrus"), ("attributes", "no equals sign")],
            )
            .await;
        assert_eq!(res.status(), 400);
        assert!(res.text().await.unwrap().contains("key=value"));
        let res = s
            .post_form(&format!("/console/contacts/{cy}/tags"), &[("tag", "nope")])
            .await;
        assert_eq!(res.status(), 404);
        let v: Value = app
            .get(&format!("/api/v1/contacts/{cy}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(v["name"], "Cy Young");
        assert_eq!(v["tags"], json!([]));

        // Unknown ids and another account's contacts are not found.
        assert_eq!(s.get("/console/contacts/not-an-id").await.status(), 404);
        let (_, other) = app.other_account().await;
        let o = sign_in(&app, &other).await;
        assert_eq!(
            o.get(&format!("/console/contacts/{ann}")).await.status(),
            404
        );
        let res = o
            .post_form(&format!("/console/contacts/{ann}"), &[("name", "Hijack")])
            .await;
        assert_eq!(res.status(), 404);
        let v: Value = app
            .get(&format!("/api/v1/contacts/{ann}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(v["name"], "Ann Lee");
        app.stop().await;
    }
}

#[tokio::test]
async fn an_import_shows_its_progress_and_its_row_errors() {
    for app in spawn_apps().await {
        let s = sign_in(&app, &app.api_key).await;
        let csv = "phone,name\n+447700900201,Dee\nnot a number,Eve\n+447700900203,Fay\n";
        let form = Form::new().part(
            "file",
            Part::bytes(csv.as_bytes().to_vec()).file_name("people.csv"),
        );
        let res = s
            .htmx(Method::POST, "/console/contacts/import")
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303, "{}", app.backend);
        let to = res.headers()["hx-redirect"].to_str().unwrap().to_owned();
        assert!(to.starts_with("/console/contacts/imports/"));
        let page = s.page(&to).await;
        assert!(
            page.contains("hx-trigger=\"every 1s\""),
            "a queued import polls"
        );
        app.app.drain_at(from_now(Duration::ZERO)).await.unwrap();
        let frag = s.page(&format!("{to}/progress")).await;
        assert!(frag.contains("data-status=\"completed\""), "{frag}");
        assert!(
            !frag.contains("every 1s"),
            "a finished import stops polling"
        );
        assert!(
            frag.contains("<span data-testid=\"created\">2</span>"),
            "{frag}"
        );
        assert!(
            frag.contains("<span data-testid=\"failed\">1</span>"),
            "{frag}"
        );
        assert!(frag.contains("aria-valuenow=\"100\""));
        assert!(
            frag.contains("<td>3</td><td>phone</td>"),
            "the bad row is named: {frag}"
        );
        let v: Value = app
            .get("/api/v1/contacts?q=Fay")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(v["total"], 1);

        // No file: a clear message, no import.
        let res = s
            .htmx(Method::POST, "/console/contacts/import")
            .multipart(Form::new().text("default_country_code", "44"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
        assert!(res.text().await.unwrap().contains("file"));
        let list: Value = app
            .get("/api/v1/contacts/imports")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list["data"].as_array().unwrap().len(), 1, "{}", app.backend);
        // Another account cannot read it.
        let (_, other) = app.other_account().await;
        let o = sign_in(&app, &other).await;
        assert_eq!(o.get(&to).await.status(), 404);
        app.stop().await;
    }
}
