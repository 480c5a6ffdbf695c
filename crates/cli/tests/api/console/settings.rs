//! The console's settings over HTTP (see `crates/http/src/console/settings.rs`): admin keys
//! only; an API key's secret shown once and working, revoked and failing; scoped keys;
//! sandbox channels created and renamed; the template reviewer switch; bad input and
//! another account's ids.

use reqwest::Method;
use reqwest::header::LOCATION;
use serde_json::{Value, json};

use super::session::sign_in;
use crate::helpers::{TestApp, spawn_apps};

async fn keys(app: &TestApp) -> Vec<Value> {
    let list: Value = app
        .get("/api/v1/api-keys?limit=100")
        .await
        .json()
        .await
        .unwrap();
    list["data"].as_array().unwrap().clone()
}

async fn channels(app: &TestApp) -> Vec<Value> {
    let list: Value = app
        .get("/api/v1/channels?limit=100")
        .await
        .json()
        .await
        .unwrap();
    list["data"].as_array().unwrap().clone()
}

fn secret_of(html: &str) -> String {
    html.split("data-testid=\"secret\">")
        .nth(1)
        .expect("the secret shown")
        .split('<')
        .next()
        .unwrap()
        .to_owned()
}

async fn api_status(app: &TestApp, key: &str) -> u16 {
    app.with_key(Method::GET, "/api/v1/channels", key)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_key_is_shown_once_works_and_is_revoked() {
    for app in spawn_apps().await {
        let s = sign_in(&app, &app.api_key).await;
        let html = s.page("/console/settings").await;
        assert!(html.contains("API keys") && html.contains("Template review"));
        let before = keys(&app).await.len();

        let res = s
            .post_form(
                "/console/settings/keys",
                &[("name", "billing robot"), ("scope", "all")],
            )
            .await;
        assert_eq!(res.status(), 200, "{}", app.backend);
        assert_eq!(res.headers()["cache-control"], "no-store");
        let html = res.text().await.unwrap();
        let secret = secret_of(&html);
        assert!(secret.len() > 20, "{secret}");
        assert_eq!(keys(&app).await.len(), before + 1);
        // It works on the API…
        assert_eq!(api_status(&app, &secret).await, 200);
        // …and is never shown again.
        let again = s.page("/console/settings").await;
        assert!(!again.contains(&secret), "the secret is shown once");
        assert!(again.contains("billing robot"));

        // Revoked: it stops working.
        let id = keys(&app)
            .await
            .into_iter()
            .find(|k| k["name"] == "billing robot")
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let res = s
            .post_form(&format!("/console/settings/keys/{id}/revoke"), &[])
            .await;
        assert_eq!(res.status(), 303);
        assert_eq!(res.headers()[LOCATION], "/console/settings");
        assert_eq!(api_status(&app, &secret).await, 401);
        assert!(s.page("/console/settings").await.contains("revoked"));

        // Bad forms: a clear message, nothing stored.
        let n = keys(&app).await.len();
        for (form, says) in [
            (vec![("name", ""), ("scope", "all")], "name"),
            (vec![("name", "nobody's"), ("scope", "some")], "channel_ids"),
            (vec![("name", "odd"), ("scope", "everything")], "scope"),
            (
                vec![
                    ("name", "foreign"),
                    ("scope", "some"),
                    ("channel_ids", "not-a-channel"),
                ],
                "channel_ids",
            ),
        ] {
            let res = s.post_form("/console/settings/keys", &form).await;
            assert_eq!(res.status(), 422, "{form:?}");
            let html = res.text().await.unwrap();
            let error = html
                .split("id=\"key-error\">")
                .nth(1)
                .expect("the form's error")
                .split('<')
                .next()
                .unwrap()
                .to_owned();
            assert!(error.contains(says), "{form:?}: {error}");
            assert!(!html.contains("data-testid=\"secret\""));
        }
        assert_eq!(keys(&app).await.len(), n, "nothing stored");

        // Another account's key and channel: 404.
        let (_, other_key) = app.other_account().await;
        let other_channel = app.create_channel(&other_key, "Theirs").await;
        let other_channel = other_channel["id"].as_str().unwrap();
        let theirs: Value = app
            .with_key(Method::GET, "/api/v1/api-keys", &other_key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let their_key = theirs["data"][0]["id"].as_str().unwrap();
        let res = s
            .post_form(&format!("/console/settings/keys/{their_key}/revoke"), &[])
            .await;
        assert_eq!(res.status(), 404);
        assert_eq!(api_status(&app, &other_key).await, 200, "still works");
        let res = s
            .post_form(
                &format!("/console/settings/channels/{other_channel}/rename"),
                &[("verified_name", "Mine now")],
            )
            .await;
        assert_eq!(res.status(), 404);
        let res = s
            .post_form(
                "/console/settings/keys",
                &[
                    ("name", "sneaky"),
                    ("scope", "some"),
                    ("channel_ids", other_channel),
                ],
            )
            .await;
        assert_eq!(res.status(), 422);
        assert_eq!(keys(&app).await.len(), n, "nothing stored");
    }
}

#[tokio::test]
async fn settings_need_an_admin_key_and_scoped_keys_see_their_channels() {
    for app in spawn_apps().await {
        let s = sign_in(&app, &app.api_key).await;
        // A sandbox channel made here, renamed, and its reviewer switched.
        let res = s
            .post_form(
                "/console/settings/channels",
                &[("verified_name", "Support line")],
            )
            .await;
        assert_eq!(res.status(), 303, "{}", app.backend);
        let second = channels(&app)
            .await
            .into_iter()
            .find(|c| c["verified_name"] == "Support line")
            .expect("created");
        let second_id = second["id"].as_str().unwrap().to_owned();
        assert_eq!(second["upstream"]["kind"], "sandbox");
        let res = s
            .post_form(
                &format!("/console/settings/channels/{second_id}/rename"),
                &[("verified_name", "Help desk")],
            )
            .await;
        assert_eq!(res.status(), 303);
        let renamed: Value = app
            .get(&format!("/api/v1/channels/{second_id}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(renamed["verified_name"], "Help desk");
        let res = s
            .post_form(
                &format!("/console/settings/channels/{second_id}/review"),
                &[("approve_templates", "true")],
            )
            .await;
        assert_eq!(res.status(), 303);
        let ch: Value = app
            .get(&format!("/api/v1/channels/{second_id}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(ch["upstream"]["sandbox"]["approve_templates"], true, "{ch}");
        let html = s.page("/console/settings").await;
        assert!(html.contains("approves every template"));
        // Bad channel forms: a clear message, nothing changed.
        let n = channels(&app).await.len();
        let res = s
            .post_form("/console/settings/channels", &[("verified_name", "")])
            .await;
        assert_eq!(res.status(), 422);
        assert!(res.text().await.unwrap().contains("verified_name"));
        assert_eq!(channels(&app).await.len(), n);
        let res = s
            .post_form(
                &format!("/console/settings/channels/{second_id}/review"),
                &[("approve_templates", "maybe")],
            )
            .await;
        assert_eq!(res.status(), 400);
        assert_eq!(
            s.post_form(
                "/console/settings/channels/nope/rename",
                &[("verified_name", "x")]
            )
            .await
            .status(),
            404
        );

        // A key limited to the new channel, made here.
        let res = s
            .post_form(
                "/console/settings/keys",
                &[
                    ("name", "help desk only"),
                    ("scope", "some"),
                    ("channel_ids", &second_id),
                ],
            )
            .await;
        assert_eq!(res.status(), 200);
        let scoped_secret = secret_of(&res.text().await.unwrap());
        let seen: Value = app
            .with_key(Method::GET, "/api/v1/channels", &scoped_secret)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(seen["data"].as_array().unwrap().len(), 1);
        assert_eq!(seen["data"][0]["id"], second_id.as_str());
        let scoped = sign_in(&app, &scoped_secret).await;
        let first = app.channel_id().await;
        let numbers = scoped.page("/console/numbers").await;
        assert!(numbers.contains("Help desk") && !numbers.contains(&first));
        // Not an admin key: no settings (and no link to them).
        let res = scoped.get("/console/settings").await;
        assert_eq!(res.status(), 403);
        assert!(!numbers.contains("href=\"/console/settings\""));
        let res = scoped
            .post_form(
                "/console/settings/keys",
                &[("name", "escalate"), ("scope", "all")],
            )
            .await;
        assert_eq!(res.status(), 403);

        // An account-wide key that is not admin: 403 too.
        let res = app
            .post_json("/api/v1/api-keys", &json!({"name": "plain"}))
            .await;
        let plain: Value = res.json().await.unwrap();
        let plain = sign_in(&app, plain["key"].as_str().unwrap()).await;
        assert_eq!(plain.get("/console/settings").await.status(), 403);
        let res = plain
            .post_form("/console/settings/channels", &[("verified_name", "Sneaky")])
            .await;
        assert_eq!(res.status(), 403);
        assert_eq!(channels(&app).await.len(), n, "nothing stored");
    }
}
