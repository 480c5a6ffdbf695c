//! The console's templates section over HTTP (see `crates/http/src/console/templates.rs`):
//! the live lint (the core's, as the Cloud plane runs it) beside the field, a create read
//! back through the Graph API, a refused one storing nothing, filters, and other accounts.

use reqwest::Method;
use serde_json::Value;

use super::session::sign_in;
use crate::helpers::{TestApp, spawn_apps};

async fn waba(app: &TestApp) -> String {
    let list: Value = app.get("/api/v1/channels").await.json().await.unwrap();
    list["data"][0]["waba_id"].as_str().unwrap().to_owned()
}

async fn templates(app: &TestApp, waba: &str) -> Vec<Value> {
    let v: Value = app
        .get(&format!("/v23.0/{waba}/message_templates"))
        .await
        .json()
        .await
        .unwrap();
    v["data"].as_array().unwrap().clone()
}

#[tokio::test]
async fn the_live_check_shows_the_lint_error_beside_its_field_and_none_for_a_good_template() {
    for app in spawn_apps().await {
        let s = sign_in(&app, &app.api_key).await;
        let form = s.page("/console/templates/new").await;
        assert!(form.contains("hx-trigger=\"input changed delay:400ms\""));
        // A variable without an example: Meta's lint names the body's example.
        let bad = s
            .htmx(Method::POST, "/console/templates/check")
            .form(&[
                ("name", "order_update"),
                ("language", "en_US"),
                ("category", "UTILITY"),
                ("body", "Hi {{1}}, your order shipped."),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), 200, "{}", app.backend);
        let html = bad.text().await.unwrap();
        assert!(html.contains("data-testid=\"lint\""), "{html}");
        assert!(html.contains("Hi {{1}}, your order shipped.") || html.contains("Hi {{1}}"));
        let field_error = |html: &str, field: &str| {
            let at = html.find(&format!("id=\"err-{field}\"")).unwrap();
            let rest = &html[at..];
            let open = rest.find('>').unwrap() + 1;
            let close = rest.find("</p>").unwrap();
            rest[open..close].trim().to_owned()
        };
        assert!(
            !field_error(&html, "examples").is_empty() || !field_error(&html, "body").is_empty(),
            "{html}"
        );
        assert!(field_error(&html, "name").is_empty());
        // A bad name is named beside the name.
        let html = s
            .htmx(Method::POST, "/console/templates/check")
            .form(&[
                ("name", "Bad Name!"),
                ("language", "en_US"),
                ("category", "UTILITY"),
                ("body", "Hello"),
            ])
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!field_error(&html, "name").is_empty(), "{html}");
        // Fixed: no error, the preview fills the example in.
        let good = s
            .htmx(Method::POST, "/console/templates/check")
            .form(&[
                ("name", "order_update"),
                ("language", "en_US"),
                ("category", "UTILITY"),
                ("body", "Hi {{1}}, your order shipped."),
                ("examples", "Pablo"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(good.status(), 200);
        let html = good.text().await.unwrap();
        assert!(html.contains("data-testid=\"lint-ok\""), "{html}");
        assert!(html.contains("Hi Pablo, your order shipped."), "{html}");
        for f in ["name", "body", "examples", "category"] {
            assert!(field_error(&html, f).is_empty(), "{f}: {html}");
        }
        app.stop().await;
    }
}

#[tokio::test]
async fn a_create_is_stored_through_the_templates_service_and_a_bad_one_stores_nothing() {
    for app in spawn_apps().await {
        let waba = waba(&app).await;
        let s = sign_in(&app, &app.api_key).await;
        // A lint error: the form again with the error, nothing stored.
        let res = s
            .post_form(
                "/console/templates",
                &[
                    ("waba", &waba),
                    ("name", "order_update"),
                    ("language", "en_US"),
                    ("category", "UTILITY"),
                    ("body", "Hi {{1}}"),
                ],
            )
            .await;
        assert_eq!(res.status(), 400, "{}", app.backend);
        let html = res.text().await.unwrap();
        assert!(html.contains("data-testid=\"lint\""), "{html}");
        assert!(templates(&app, &waba).await.is_empty());
        // A form without its body: Meta's error beside the body, nothing stored.
        let res = s
            .post_form(
                "/console/templates",
                &[
                    ("waba", &waba),
                    ("name", "order_update"),
                    ("language", "en_US"),
                    ("category", "UTILITY"),
                ],
            )
            .await;
        assert_eq!(res.status(), 400);
        let html = res.text().await.unwrap();
        assert!(html.contains("data-field=\"body\""), "{html}");
        assert!(templates(&app, &waba).await.is_empty());

        let res = s
            .post_form(
                "/console/templates",
                &[
                    ("waba", &waba),
                    ("name", "order_update"),
                    ("language", "en_US"),
                    ("category", "UTILITY"),
                    ("header", "Your order"),
                    ("body", "Hi {{1}}, your order shipped."),
                    ("examples", "Pablo"),
                    ("footer", "Reply STOP to opt out"),
                    ("buttons", "Thanks"),
                ],
            )
            .await;
        assert_eq!(res.status(), 303, "{}", app.backend);
        let to = res.headers()["location"].to_str().unwrap().to_owned();
        let list = templates(&app, &waba).await;
        assert_eq!(list.len(), 1);
        let t = &list[0];
        assert_eq!(t["name"], "order_update");
        assert_eq!(t["status"], "PENDING");
        assert_eq!(t["components"][1]["text"], "Hi {{1}}, your order shipped.");
        assert_eq!(t["components"][1]["example"]["body_text"][0][0], "Pablo");
        assert_eq!(
            to,
            format!("/console/templates/{}", t["id"].as_str().unwrap())
        );
        let page = s.page(&to).await;
        assert!(
            page.contains("data-testid=\"template-status\">PENDING"),
            "{page}"
        );
        assert!(
            page.contains("every 1s"),
            "a pending template polls its status"
        );
        let list_page = s
            .page("/console/templates?status=PENDING&category=UTILITY")
            .await;
        assert!(list_page.contains("order_update"));
        let list_page = s.page("/console/templates?status=APPROVED").await;
        assert!(!list_page.contains("order_update"));
        // The same name and language again: Meta's error beside the name.
        let res = s
            .post_form(
                "/console/templates",
                &[
                    ("waba", &waba),
                    ("name", "order_update"),
                    ("language", "en_US"),
                    ("category", "UTILITY"),
                    ("body", "Hello"),
                ],
            )
            .await;
        assert_eq!(res.status(), 400);
        assert_eq!(templates(&app, &waba).await.len(), 1);
        // A pending template cannot be edited (Meta's rule, the service's).
        let id = t["id"].as_str().unwrap();
        let res = s
            .post_form(
                &format!("/console/templates/{id}"),
                &[("category", "UTILITY"), ("body", "Changed")],
            )
            .await;
        assert_eq!(res.status(), 400, "{}", app.backend);

        // Another account: neither the template nor the WABA.
        let (_, other) = app.other_account().await;
        let o = sign_in(&app, &other).await;
        assert_eq!(o.get(&to).await.status(), 404);
        let res = o
            .post_form(
                "/console/templates",
                &[
                    ("waba", &waba),
                    ("name", "stolen"),
                    ("language", "en_US"),
                    ("category", "UTILITY"),
                    ("body", "Hello"),
                ],
            )
            .await;
        assert_eq!(res.status(), 404);
        assert_eq!(templates(&app, &waba).await.len(), 1);
        assert_eq!(s.get("/console/templates/nope").await.status(), 404);
        app.stop().await;
    }
}

/// The browser story: a lint error fixed in the form, the template created and approved by
/// the sandbox's reviewer while its page is open.
#[tokio::test]
#[ignore = "a browser story: drives Debian's chromium with Playwright (installs it first)"]
async fn browser_a_template_is_fixed_in_the_form_and_approved() {
    let app = crate::helpers::spawn_apps_with(|c| {
        c.templates.review_delay_ms = 1500;
    })
    .await
    .into_iter()
    .next()
    .unwrap();
    super::browser::run_story(&app, "templates", &app.api_key, serde_json::json!({})).await;
    app.stop().await;
}
