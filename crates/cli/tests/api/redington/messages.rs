//! §4 upload media, §5 session messages, §6 template messages and §7 message details.

use reqwest::Method;
use serde_json::{Value, json};

use super::{Project, assert_error, shape};
use crate::helpers::spawn_apps;

/// §5.1's request, verbatim.
fn text_example() -> Value {
    json!({
      "to": "910000000000",
      "text": {
        "body": "Hello Good Morning"
      },
      "type": "text",
      "recipient_type": "individual"
    })
}

#[tokio::test]
async fn a_session_text_is_sent_creates_its_contact_and_shows_in_the_message_details() {
    for app in spawn_apps().await {
        app.configure_sandbox(json!({})).await;
        let project = Project::of(&app).await;
        // The user wrote first: the window is open, so the session message is delivered.
        app.inject(json!({"from": "910000000000", "type": "text", "text": {"body": "hi"}}))
            .await;
        let sent = project.ok("/messages", &text_example()).await;
        insta::allow_duplicates! {
            insta::assert_json_snapshot!("redington_text_send", shape(&sent));
        }
        assert_eq!(sent["contacts"][0]["wa_id"], "910000000000");
        let wamid = sent["messages"][0]["id"].as_str().unwrap().to_owned();
        let stored = app.wait_status(&wamid, &["delivered", "read"]).await;
        assert_eq!(
            stored["content"]["text"]["body"], "Hello Good Morning",
            "{stored}"
        );

        let details = project.get(&format!("/messages/{wamid}")).await;
        assert_eq!(details.status(), 200);
        let details: Value = details.json().await.unwrap();
        insta::allow_duplicates! {
            insta::assert_json_snapshot!("redington_message_details", shape(&details), {
                ".status" => "[DELIVERED or READ]",
                ".read_at" => "[epoch ms or null]",
            });
        }
        assert_eq!(details["messageId"], wamid.as_str());
        assert_eq!(details["project_id"], project.id.as_str());
        assert_eq!(details["message_content"]["text"], "Hello Good Morning");
        assert_eq!(details["countryCode"], "91");
        assert!(
            details["sent_at"].as_i64().unwrap() > 1_700_000_000_000,
            "{details}"
        );
        // The contact the send created is the one the details name.
        let contact: Value = app
            .get("/api/v1/contacts?q=910000000000")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            details["contact_id"], contact["data"][0]["id"],
            "{details} {contact}"
        );
        // By wagate's id too.
        let by_id: Value = project
            .get(&format!("/messages/{}", details["id"].as_str().unwrap()))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(by_id["messageId"], wamid.as_str());
    }
}

#[tokio::test]
async fn bad_sends_get_the_seeds_codes_and_nothing_is_sent() {
    for app in spawn_apps().await {
        let project = Project::of(&app).await;
        let cases = [
            (
                json!({"to": "not a number", "type": "text", "text": {"body": "x"}}),
                602,
                "to",
            ),
            (
                json!({"to": "910000000000", "type": "fax", "fax": {}}),
                604,
                "type",
            ),
            (
                json!({"to": "910000000000", "type": "text", "text": {}}),
                601,
                "text.body",
            ),
            (
                json!({"to": "910000000000", "type": "text", "text": {"body": "x".repeat(4097)}}),
                603,
                "text.body",
            ),
        ];
        for (body, code, field) in cases {
            let res = project.post("/messages", &body).await;
            assert_error(res, 400, code, Some(field)).await;
        }
        let res = project
            .req(Method::POST, "/messages")
            .header("content-type", "application/json")
            .body("{\"to\": ")
            .send()
            .await
            .unwrap();
        assert_error(res, 400, 601, None).await;
        assert!(app.messages("direction=outbound").await.is_empty());
    }
}

#[tokio::test]
async fn the_project_password_and_the_project_are_checked() {
    for app in spawn_apps().await {
        let project = Project::of(&app).await;
        let body = text_example();
        // No password, a wrong one, another account's key.
        let res = app
            .client
            .post(project.url("/messages"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_error(res, 401, 401, None).await;
        let res = app
            .client
            .post(project.url("/messages"))
            .header("X-Project-API-Pwd", "wg_live_wrong")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_error(res, 401, 401, None).await;
        let (_, foreign) = app.other_account().await;
        let res = app
            .client
            .post(project.url("/messages"))
            .header("X-Project-API-Pwd", foreign)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_error(res, 404, 404, None).await;
        // A key limited to the project reaches no other project.
        let other = app.create_channel(&app.api_key, "Other project").await;
        let res = app
            .client
            .post(app.url(&format!(
                "/compat/redington/project-apis/v1/project/{}/messages",
                other["id"].as_str().unwrap()
            )))
            .header("X-Project-API-Pwd", &project.key)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_error(res, 404, 404, None).await;
        // The phone number id names the project as well as the channel id does.
        let by_pnid = app
            .client
            .get(app.url(&format!(
                "/compat/redington/project-apis/v1/project/{}/messages/wamid.unknown",
                app.phone_number_id
            )))
            .header("X-Project-API-Pwd", &project.key)
            .send()
            .await
            .unwrap();
        assert_error(by_pnid, 404, 404, None).await;
        // An unknown endpoint of the dialect answers in its format.
        let res = project.get("/nothing-here").await;
        assert_error(res, 404, 404, None).await;
        assert!(app.messages("direction=outbound").await.is_empty());
    }
}
