//! §12 create contact, §13 get by id, §14 get by mobile number, §15 update: the seed's
//! examples verbatim, their effect read back through `/api/v1/contacts`, and bad input
//! refused in the Project API's error body with nothing stored.

use reqwest::{Method, Response};
use serde_json::{Value, json};

use super::{Project, assert_error, shape};
use crate::helpers::{TestApp, spawn_apps};

/// §12's request, verbatim.
fn create_example() -> Value {
    json!({
      "name": "GK",
      "mobile_number": "910000000000"
    })
}

/// §15's request, verbatim.
fn update_example() -> Value {
    json!({
      "name": "Brindha",
      "blocked": false,
      "opted_in": true
    })
}

async fn patch(project: &Project<'_>, path: &str, body: &Value) -> Response {
    project
        .req(Method::PATCH, path)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn json_of(res: Response) -> Value {
    let status = res.status();
    let v: Value = res.json().await.unwrap();
    assert_eq!(status, 200, "{v}");
    v
}

/// The contact as the management API shows it.
async fn managed(app: &TestApp, id: &str) -> Value {
    let res = app.get(&format!("/api/v1/contacts/{id}")).await;
    assert_eq!(res.status(), 200, "{}", app.backend);
    res.json().await.unwrap()
}

async fn contact_total(app: &TestApp) -> u64 {
    let list: Value = app.get("/api/v1/contacts").await.json().await.unwrap();
    list["total"].as_u64().unwrap()
}

#[tokio::test]
async fn a_contact_is_created_opted_in_read_by_id_and_number_and_updated() {
    for app in spawn_apps().await {
        app.configure_sandbox(json!({})).await;
        let project = Project::of(&app).await;

        // §12.
        let created = project.ok("/contact", &create_example()).await;
        insta::allow_duplicates! {
            insta::assert_json_snapshot!("redington_contact_created", shape(&created));
        }
        let id = created["id"].as_str().unwrap().to_owned();
        assert_eq!(created["phone_number"], "910000000000");
        assert_eq!(created["country_code"], "91");
        assert_eq!(created["project_id"], project.id.as_str());
        assert_eq!(created["opted_in"], true);
        let m = managed(&app, &id).await;
        assert_eq!(m["wa_id"], "910000000000", "{m}");
        assert_eq!(m["name"], "GK");
        assert_eq!(m["opted_in"], true);
        assert_eq!(m["opt_in_source"], "api");

        // §13, with the id §12 answered.
        let by_id = json_of(project.get(&format!("/contact/{id}")).await).await;
        insta::allow_duplicates! {
            insta::assert_json_snapshot!("redington_contact_by_id", shape(&by_id));
        }
        assert_eq!(by_id, created);

        // §14, verbatim.
        let by_number = json_of(
            project
                .get("/contact?action=FetchContact&mobile_number=910000000000")
                .await,
        )
        .await;
        assert_eq!(by_number, created);
        // Any spelling of the number finds it.
        let plus = json_of(
            project
                .get("/contact?action=FetchContact&mobile_number=%2B91%2000000%2000000")
                .await,
        )
        .await;
        assert_eq!(plus["id"], id.as_str());

        // §15's body, on the contact §12 created (the seed's targets another).
        let updated =
            json_of(patch(&project, &format!("/contact/{id}"), &update_example()).await).await;
        insta::allow_duplicates! {
            insta::assert_json_snapshot!("redington_contact_updated", shape(&updated));
        }
        assert_eq!(updated["name"], "Brindha");
        assert_eq!(updated["id"], id.as_str());
        assert_eq!(managed(&app, &id).await["name"], "Brindha");

        // Once the person writes, their activity shows.
        app.inject(json!({"from": "910000000000", "type": "text", "text": {"body": "hi"}}))
            .await;
        let active = json_of(project.get(&format!("/contact/{id}")).await).await;
        assert!(
            active["last_active"].as_i64().unwrap() > 1_700_000_000_000,
            "{active}"
        );
        assert!(active["first_message"].is_string(), "{active}");
        assert!(active["last_message"].is_string(), "{active}");

        // Attributes: an object of strings, or the seed's "Array" reading.
        let with_email = json_of(
            patch(
                &project,
                &format!("/contact/{id}"),
                &json!({"attributes": {"email": "brindha@gmail.com"}}),
            )
            .await,
        )
        .await;
        assert_eq!(
            with_email["attributes"],
            json!({"email": "brindha@gmail.com"})
        );
        let both = json_of(
            patch(
                &project,
                &format!("/contact/{id}"),
                &json!({"attributes": [{"name": "city", "value": "Chennai"}]}),
            )
            .await,
        )
        .await;
        assert_eq!(
            both["attributes"],
            json!({"city": "Chennai", "email": "brindha@gmail.com"})
        );
        let m = managed(&app, &id).await;
        assert_eq!(
            m["attributes"],
            json!({"city": "Chennai", "email": "brindha@gmail.com"}),
            "{m}"
        );

        // Blocked and opted out: the gateway refuses sends, marketing is opted out.
        let blocked = json_of(
            patch(
                &project,
                &format!("/contact/{id}"),
                &json!({"blocked": true, "opted_in": false}),
            )
            .await,
        )
        .await;
        assert_eq!(
            (blocked["blocked"].clone(), blocked["opted_in"].clone()),
            (json!(true), json!(false))
        );
        let m = managed(&app, &id).await;
        assert_eq!(m["blocked"], true, "{m}");
        assert_eq!(m["opted_in"], false, "{m}");

        // Creating the number again answers its contact with the new name; the opt-out
        // stays the person's.
        let again = project
            .ok(
                "/contact",
                &json!({"name": "GK again", "mobile_number": "+91 00000 00000"}),
            )
            .await;
        assert_eq!(again["id"], id.as_str());
        assert_eq!(again["name"], "GK again");
        assert_eq!(again["opted_in"], false);
        assert_eq!(contact_total(&app).await, 1);

        // A number a §5 send created a contact for: §12 answers that contact.
        let sent = project
            .ok(
                "/messages",
                &json!({"to": "919800000001", "type": "text", "recipient_type": "individual",
                        "text": {"body": "Hello"}}),
            )
            .await;
        assert!(sent["messages"][0]["id"].is_string(), "{sent}");
        let listed: Value = app
            .get("/api/v1/contacts?q=919800000001")
            .await
            .json()
            .await
            .unwrap();
        let by_send = listed["data"][0]["id"].as_str().unwrap().to_owned();
        let created = project
            .ok(
                "/contact",
                &json!({"name": "Ravi", "mobile_number": "919800000001"}),
            )
            .await;
        assert_eq!(created["id"], by_send.as_str(), "{created}");
        assert_eq!(created["opted_in"], true);
        let m = managed(&app, &by_send).await;
        assert_eq!(
            (m["name"].clone(), m["opted_in"].clone()),
            (json!("Ravi"), json!(true))
        );
    }
}

#[tokio::test]
async fn bad_contact_requests_are_refused_and_nothing_is_stored() {
    for app in spawn_apps().await {
        let project = Project::of(&app).await;
        let created = project.ok("/contact", &create_example()).await;
        let id = created["id"].as_str().unwrap().to_owned();
        let before = managed(&app, &id).await;

        // §12: nothing is created.
        let long = "n".repeat(257);
        let cases: Vec<(Value, u16, Option<&str>)> = vec![
            (json!({"mobile_number": "910000000001"}), 601, Some("name")),
            (json!({"name": "GK"}), 602, Some("mobile_number")),
            (
                json!({"name": "GK", "mobile_number": "abc"}),
                602,
                Some("mobile_number"),
            ),
            (
                json!({"name": "GK", "mobile_number": "12"}),
                602,
                Some("mobile_number"),
            ),
            (
                json!({"name": 5, "mobile_number": "910000000001"}),
                601,
                Some("name"),
            ),
            (
                json!({"name": "GK", "mobile_number": 910000000001_u64}),
                602,
                Some("mobile_number"),
            ),
            (
                json!({"name": "  ", "mobile_number": "910000000001"}),
                601,
                Some("name"),
            ),
            (
                json!({"name": long, "mobile_number": "910000000001"}),
                603,
                Some("name"),
            ),
            (
                json!({"name": "GK", "mobile_number": "910000000001", "nick": "x"}),
                601,
                None,
            ),
            (json!([]), 601, None),
        ];
        for (body, code, field) in cases {
            let res = project.post("/contact", &body).await;
            assert_error(res, 400, code, field).await;
        }
        let res = project
            .req(Method::POST, "/contact")
            .header("content-type", "application/json")
            .body("{\"name\": ")
            .send()
            .await
            .unwrap();
        assert_error(res, 400, 601, None).await;
        assert_eq!(contact_total(&app).await, 1, "{}", app.backend);

        // §13 and §14: unknown ids and numbers.
        for path in [
            "/contact/nope".to_owned(),
            format!("/contact/{}", uuid::Uuid::new_v4()),
        ] {
            assert_error(project.get(&path).await, 404, 404, None).await;
        }
        for (query, status, code, field) in [
            ("mobile_number=910000000000", 400, 601, Some("action")),
            (
                "action=ListContacts&mobile_number=910000000000",
                400,
                601,
                Some("action"),
            ),
            ("action=FetchContact", 400, 602, Some("mobile_number")),
            (
                "action=FetchContact&mobile_number=abc",
                400,
                602,
                Some("mobile_number"),
            ),
            (
                "action=FetchContact&mobile_number=919999999999",
                404,
                404,
                None,
            ),
        ] {
            let res = project.get(&format!("/contact?{query}")).await;
            assert_error(res, status, code, field).await;
        }

        // §15: a refused update changes nothing.
        for (body, code, field) in [
            (json!({"blocked": "yes"}), 601, Some("blocked")),
            (json!({"opted_in": 1}), 601, Some("opted_in")),
            (json!({"name": ""}), 601, Some("name")),
            (json!({"attributes": "email"}), 601, Some("attributes")),
            (
                json!({"attributes": {"first name": "x"}}),
                601,
                Some("attributes"),
            ),
            (
                json!({"attributes": {"email": 5}}),
                601,
                Some("attributes.email"),
            ),
            (
                json!({"attributes": {"email": "x".repeat(1025)}}),
                603,
                Some("attributes.email"),
            ),
            (json!({"tags": ["vip"]}), 601, None),
        ] {
            let res = patch(&project, &format!("/contact/{id}"), &body).await;
            assert_error(res, 400, code, field).await;
        }
        let res = patch(
            &project,
            &format!("/contact/{}", uuid::Uuid::new_v4()),
            &update_example(),
        )
        .await;
        assert_error(res, 404, 404, None).await;
        assert_eq!(managed(&app, &id).await, before, "{}", app.backend);

        // Another account's contact is unknown to the project, and this one to theirs.
        let (_, other_key) = app.other_account().await;
        let res = app
            .with_key(Method::POST, "/api/v1/contacts", &other_key)
            .json(&json!({"wa_id": "447700900999", "name": "Theirs"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        let theirs: Value = res.json().await.unwrap();
        let theirs_id = theirs["id"].as_str().unwrap();
        assert_error(
            project.get(&format!("/contact/{theirs_id}")).await,
            404,
            404,
            None,
        )
        .await;
        let res = patch(
            &project,
            &format!("/contact/{theirs_id}"),
            &update_example(),
        )
        .await;
        assert_error(res, 404, 404, None).await;
        let res = project
            .get("/contact?action=FetchContact&mobile_number=447700900999")
            .await;
        assert_error(res, 404, 404, None).await;
        let still: Value = app
            .with_key(
                Method::GET,
                &format!("/api/v1/contacts/{theirs_id}"),
                &other_key,
            )
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(still["name"], "Theirs");
        // A wrong project password.
        let res = app
            .client
            .get(project.url(&format!("/contact/{id}")))
            .header("X-Project-API-Pwd", "wg_not_a_key")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
    }
}
