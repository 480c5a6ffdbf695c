//! §16 create API campaign, §17 send, §18 list, §19 details, §20 analytics, §21 audience,
//! §22 Get Campaigns: the seed's examples verbatim after its fixtures (templates
//! `packagedelivered` and `testmessage` approved, tag `AUGUST_LEAD`), the message really
//! delivered and read through the simulated network, the figures read back, and bad input
//! refused with nothing stored.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use super::{Project, assert_error, shape};
use crate::helpers::{TestApp, from_now, spawn_apps};

/// The fixtures: the templates §16 and §22 name, approved, and §17's tag.
async fn fixtures(app: &TestApp) {
    app.approved_template(json!({
        "name": "packagedelivered", "language": "en_US", "category": "UTILITY",
        "components": [{"type": "BODY",
            "text": "Hello {{1}}, Your Package Delivered to your address, Thank you {{2}} for choosing us.",
            "example": {"body_text": [["Brindha", "Mam"]]}}]
    }))
    .await;
    app.approved_template(json!({
        "name": "testmessage", "language": "en_US", "category": "UTILITY",
        "components": [
            {"type": "BODY", "text": "Hello {{1}}, Thanks for contacting us",
             "example": {"body_text": [["Mohamed Sujaludeen"]]}},
            {"type": "BUTTONS", "buttons": [
                {"type": "URL", "text": "Click Here", "url": "https://www.cetastech.com"}]}
        ]
    }))
    .await;
    let res = app
        .post_json("/api/v1/tags", &json!({"name": "AUGUST_LEAD"}))
        .await;
    assert_eq!(res.status(), 201);
}

/// §16's request, verbatim.
fn create_example() -> Value {
    json!({
      "campaign_name": "packagedeliverycampaign",
      "template_name": "packagedelivered"
    })
}

/// §17's request, verbatim.
fn send_example() -> Value {
    json!({
      "name": "Brindhhaa",
      "tags": [
        "AUGUST_LEAD"
      ],
      "media": {
        "url": "https://ucarecdn.com/c0da7e72-51ce-4ebc-8144-839e636bf153/-/crop/1490x1252/112,115/-/preview/templatee-03-(2).png",
        "filename": "Purchase Order"
      },
      "source": "API",
      "attributes": {
        "country": "India"
      },
      "phone_number": "910000000000",
      "campaign_name": "packagedeliverycampaign",
      "template_params": [
        "Brindha",
        "Mam"
      ],
      "default_country_code": "91"
    })
}

/// §22's request, verbatim.
fn campaigns_example() -> Value {
    json!({
      "skip": 0,
      "limit": 0,
      "campaignType": "API"
    })
}

/// Runs the workers with time `ahead` on.
async fn settle(app: &TestApp, ahead: Duration) {
    app.app.drain_at(from_now(ahead)).await.unwrap();
}

async fn managed(app: &TestApp, path: &str) -> Value {
    let res = app.get(path).await;
    assert_eq!(res.status(), 200, "{}: {path}", app.backend);
    res.json().await.unwrap()
}

async fn ok_get(project: &Project<'_>, path: &str) -> Value {
    let res = project.get(path).await;
    let status = res.status();
    let v: Value = res.json().await.unwrap();
    assert_eq!(status, 200, "GET {path}: {v}");
    v
}

/// The wamid of the campaign's recipient `row` once it is fed.
async fn fed(app: &TestApp, campaign: &str, row: usize) -> String {
    settle(app, Duration::from_secs(2)).await;
    let rows = managed(app, &format!("/api/v1/campaigns/{campaign}/recipients")).await;
    rows["data"][row]["wamid"]
        .as_str()
        .unwrap_or_else(|| panic!("{}: not fed: {rows}", app.backend))
        .to_owned()
}

#[tokio::test]
async fn an_api_campaign_is_created_sent_delivered_listed_and_reported() {
    for app in spawn_apps().await {
        app.configure_sandbox(json!({})).await;
        fixtures(&app).await;
        let project = Project::of(&app).await;

        // §16.
        let created = project.ok("/campaign/api", &create_example()).await;
        insta::allow_duplicates! {
            insta::assert_json_snapshot!("redington_campaign_created", shape(&created));
        }
        let id = created["id"].as_str().unwrap().to_owned();
        assert_eq!(created["status"], "LIVE");
        assert_eq!(created["type"], "API");
        assert_eq!(
            created["message_payload"]["template"]["name"],
            "packagedelivered"
        );
        assert_eq!(
            created["message_payload"]["template"]["total_parameters"],
            2
        );
        let c = managed(&app, &format!("/api/v1/campaigns/{id}")).await;
        assert_eq!(
            (c["kind"].clone(), c["status"].clone()),
            (json!("api"), json!("running")),
            "{c}"
        );
        assert_eq!(c["channel_id"], project.id.as_str());

        // §17: the message goes out, is delivered and read.
        let sent = project.ok("/campaign/api/send", &send_example()).await;
        assert_eq!(sent, json!({"status": "success"}));
        let wamid = fed(&app, &id, 0).await;
        settle(&app, Duration::from_secs(5)).await;
        let m = app.wait_status(&wamid, &["read"]).await;
        assert_eq!(
            m["rendered"]["body"],
            "Hello Brindha, Your Package Delivered to your address, Thank you Mam for choosing us.",
            "{m}"
        );
        assert_eq!(m["wa_id"], "910000000000", "{m}");
        // The contact was created with the name, tag and attribute.
        let contacts = managed(&app, "/api/v1/contacts?q=910000000000").await;
        let contact = &contacts["data"][0];
        assert_eq!(contact["name"], "Brindhhaa", "{contacts}");
        assert_eq!(contact["tags"], json!(["AUGUST_LEAD"]));
        assert_eq!(contact["attributes"], json!({"country": "India"}));
        assert_eq!(contact["opted_in"], true);
        // §7 names the campaign.
        let details = ok_get(&project, &format!("/messages/{wamid}")).await;
        assert_eq!(details["campaign"]["id"], id.as_str(), "{details}");

        // §18.
        let list = ok_get(&project, "/campaign/api").await;
        insta::allow_duplicates! {
            insta::assert_json_snapshot!("redington_campaign_list", shape(&list));
        }
        assert_eq!(
            (list["size"].clone(), list["count"].clone()),
            (json!(1), json!(1))
        );
        assert_eq!(list["campaign"][0]["id"], id.as_str());

        // §19.
        let details = ok_get(&project, &format!("/campaign/api/{id}")).await;
        insta::allow_duplicates! {
            insta::assert_json_snapshot!("redington_campaign_details", shape(&details));
        }
        assert_eq!(details["audience_size"], 1);
        assert_eq!(details["submitted"], 1);

        // §20, without a body and with dates.
        let analytics = project
            .req(Method::POST, &format!("/campaign/analytics/{id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(analytics.status(), 200);
        let analytics: Value = analytics.json().await.unwrap();
        insta::allow_duplicates! {
            insta::assert_json_snapshot!("redington_campaign_analytics", shape(&analytics), {
                ".chats[]._id" => "[campaign id:date]",
                ".chats[].dayDate" => "[iso time]",
            });
        }
        let day = &analytics["chats"][0];
        assert_eq!(
            analytics["chats"].as_array().unwrap().len(),
            1,
            "{analytics}"
        );
        assert_eq!(day["campaignId"], id.as_str());
        assert_eq!(day["sentChatCount"], 1, "{day}");
        assert_eq!(day["deliveredChatcount"], 1, "{day}");
        assert_eq!(day["readChatCount"], 1, "{day}");
        assert_eq!(day["failedChatCount"], 0, "{day}");
        assert_eq!(day["templateMessagesCount"], 1, "{day}");
        let today = jiff::Zoned::now()
            .with_time_zone(jiff::tz::TimeZone::UTC)
            .date()
            .to_string();
        for body in [
            json!({"startDate": today, "endDate": today}),
            json!({"startDate": (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(1)).as_millisecond()}),
            json!({"endDate": (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1)).to_string()}),
        ] {
            let a = project
                .ok(&format!("/campaign/analytics/{id}"), &body)
                .await;
            assert_eq!(a["chats"][0]["sentChatCount"], 1, "{body}: {a}");
        }
        let none = project
            .ok(
                &format!("/campaign/analytics/{id}"),
                &json!({"startDate": "2020-01-01", "endDate": "2020-01-02"}),
            )
            .await;
        assert_eq!(none, json!({"chats": []}));

        // A second recipient, for paging; then §21.
        let mut second = send_example();
        second["phone_number"] = json!("9000000002");
        second["name"] = json!("Kavya");
        second["template_params"] = json!(["Kavya", "Sir"]);
        project.ok("/campaign/api/send", &second).await;
        let wamid2 = fed(&app, &id, 1).await;
        app.wait_status(&wamid2, &["delivered", "read"]).await;

        let audience = ok_get(&project, &format!("/campaign/audience/{id}?limit=1")).await;
        insta::allow_duplicates! {
            insta::assert_json_snapshot!("redington_campaign_audience", shape(&audience));
        }
        assert_eq!(audience["total"], 2);
        let row = &audience["data"][0];
        assert_eq!(row["userNumber"], "910000000000");
        assert_eq!(row["userName"], "Brindhhaa");
        assert_eq!(row["isoCode"], "IN");
        assert_eq!(row["campaignId"], id.as_str());
        assert!(row["readAt"].is_string(), "{row}");
        // §7 reads the row's message by its `_id`.
        let by_row = ok_get(
            &project,
            &format!("/messages/{}", row["_id"].as_str().unwrap()),
        )
        .await;
        assert_eq!(by_row["messageId"], wamid.as_str());
        // The next page, and back.
        let after = audience["paging"]["cursors"]["after"].as_str().unwrap();
        let next = ok_get(
            &project,
            &format!("/campaign/audience/{id}?limit=1&after={after}"),
        )
        .await;
        assert_eq!(next["data"][0]["userNumber"], "919000000002", "{next}");
        assert_eq!(next["data"][0]["userName"], "Kavya");
        let before = next["paging"]["cursors"]["before"].as_str().unwrap();
        let back = ok_get(
            &project,
            &format!("/campaign/audience/{id}?limit=1&before={before}"),
        )
        .await;
        assert_eq!(back["data"][0]["userNumber"], "910000000000", "{back}");
        let last = next["paging"]["cursors"]["after"].as_str().unwrap();
        let end = ok_get(&project, &format!("/campaign/audience/{id}?after={last}")).await;
        assert_eq!(end["data"], json!([]));
        assert_eq!(end["total"], 2);
        // Sort, filters and projection.
        let desc = ok_get(&project, &format!("/campaign/audience/{id}?sort=desc")).await;
        assert_eq!(desc["data"][0]["userNumber"], "919000000002");
        let read = ok_get(&project, &format!("/campaign/audience/{id}?category=READ")).await;
        assert!(read["total"].as_u64().unwrap() >= 1, "{read}");
        for category in ["FAILED", "REPLIED", "CLICKED"] {
            let none = ok_get(
                &project,
                &format!("/campaign/audience/{id}?category={category}"),
            )
            .await;
            assert_eq!(
                (none["total"].clone(), none["data"].clone()),
                (json!(0), json!([])),
                "{category}"
            );
        }
        let sent = ok_get(&project, &format!("/campaign/audience/{id}?category=sent")).await;
        assert_eq!(sent["total"], 2);
        let projected = ok_get(
            &project,
            &format!(
                "/campaign/audience/{id}?fields=userNumber,sentAt&startDate={today}&endDate={today}"
            ),
        )
        .await;
        assert_eq!(projected["total"], 2, "{projected}");
        let mut keys: Vec<&String> = projected["data"][0].as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(keys, ["_id", "sentAt", "userNumber"], "{projected}");
        let old = ok_get(
            &project,
            &format!("/campaign/audience/{id}?endDate=2020-01-01"),
        )
        .await;
        assert_eq!(old["total"], 0);

        // A reply counts in §20 and §21.
        app.inject(
            json!({"from": "910000000000", "type": "text", "text": {"body": "thanks"},
                          "context": {"id": wamid}}),
        )
        .await;
        settle(&app, Duration::from_secs(1)).await;
        let replied = ok_get(
            &project,
            &format!("/campaign/audience/{id}?category=REPLIED"),
        )
        .await;
        assert_eq!(replied["total"], 1, "{replied}");
        assert!(replied["data"][0]["repliedAt"].is_string(), "{replied}");
        let a = project
            .ok(&format!("/campaign/analytics/{id}"), &json!({}))
            .await;
        assert_eq!(a["chats"][0]["repliedToCampaignCount"], 1, "{a}");

        // §22 lists the project's API campaigns, with skip and limit.
        project
            .ok(
                "/campaign/api",
                &json!({"campaign_name": "textwithattribute", "template_name": "testmessage"}),
            )
            .await;
        let campaigns = project
            .ok(&format!("/campaign/audience/{id}"), &campaigns_example())
            .await;
        insta::allow_duplicates! {
            insta::assert_json_snapshot!("redington_get_campaigns", shape(&campaigns));
        }
        let names: Vec<&str> = campaigns["campaigns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["textwithattribute", "packagedeliverycampaign"]);
        let cta = &campaigns["campaigns"][0]["message_payload"]["template"];
        assert_eq!(
            cta["text"],
            "Hello {{1}}, Thanks for contacting us | [Click Here,https://www.cetastech.com]"
        );
        assert_eq!(cta["message_action_type"], "CTA");
        assert_eq!(cta["language"], "English (US)");
        let page = project
            .ok(
                &format!("/campaign/audience/{id}"),
                &json!({"skip": 1, "limit": 1, "campaignType": "api"}),
            )
            .await;
        assert_eq!(page["campaigns"].as_array().unwrap().len(), 1);
        assert_eq!(page["campaigns"][0]["name"], "packagedeliverycampaign");
        let broadcasts = project
            .ok(
                &format!("/campaign/audience/{id}"),
                &json!({"campaignType": "BROADCAST"}),
            )
            .await;
        assert_eq!(broadcasts, json!({"campaigns": []}));
        // The testmessage campaign sends its one parameter (the seed's media is ignored
        // for a TEXT template).
        project
            .ok(
                "/campaign/api/send",
                &json!({"name": "Mohamed", "phone_number": "+91 90000 00003",
                        "campaign_name": "TextWithAttribute", "template_params": "Mohamed",
                        "media": {"url": "https://example.com/x.png"}}),
            )
            .await;
        let second_id = campaigns["campaigns"][0]["id"].as_str().unwrap();
        let wamid3 = fed(&app, second_id, 0).await;
        let m = app.wait_status(&wamid3, &["delivered", "read"]).await;
        assert_eq!(
            m["rendered"]["body"], "Hello Mohamed, Thanks for contacting us",
            "{m}"
        );

        // An IMAGE header template (the seed's `cetasimagetemplate`): each send brings the
        // media, refused without it (nothing stored).
        app.approved_template(json!({
            "name": "cetasimagetemplate", "language": "en_US", "category": "UTILITY",
            "components": [
                {"type": "HEADER", "format": "IMAGE", "example": {"header_handle": ["4::aW"]}},
                {"type": "BODY", "text": "Hello {{1}}, here is your offer.",
                 "example": {"body_text": [["Suja"]]}}
            ]
        }))
        .await;
        let image = project
            .ok(
                "/campaign/api",
                &json!({"campaign_name": "ImageCampaign", "template_name": "cetasimagetemplate"}),
            )
            .await;
        assert_eq!(image["message_payload"]["template"]["type"], "IMAGE");
        let image_id = image["id"].as_str().unwrap();
        let mut body = json!({"name": "Suja", "phone_number": "919000000004",
                              "campaign_name": "ImageCampaign", "template_params": ["Suja"]});
        let res = project.post("/campaign/api/send", &body).await;
        assert_error(res, 400, 601, Some("media")).await;
        let rows = managed(&app, &format!("/api/v1/campaigns/{image_id}/recipients")).await;
        assert_eq!(rows["total"], 0, "{rows}");
        body["media"] = json!({"url": "https://example.com/offer.png", "filename": "Offer"});
        project.ok("/campaign/api/send", &body).await;
        let wamid4 = fed(&app, image_id, 0).await;
        let m = app.wait_status(&wamid4, &["delivered", "read"]).await;
        assert!(
            m.to_string().contains("https://example.com/offer.png"),
            "{m}"
        );
        assert_eq!(
            m["rendered"]["body"], "Hello Suja, here is your offer.",
            "{m}"
        );
    }
}

#[tokio::test]
async fn bad_campaign_requests_are_refused_and_nothing_is_stored() {
    for app in spawn_apps().await {
        app.configure_sandbox(json!({})).await;
        fixtures(&app).await;
        let project = Project::of(&app).await;
        // A template still in review.
        let waba: Value = app.get("/api/v1/channels").await.json().await.unwrap();
        let waba = waba["data"][0]["waba_id"].as_str().unwrap().to_owned();
        let res = app
            .post_json(
                &format!("/v23.0/{waba}/message_templates"),
                &json!({"name": "pendingone", "language": "en_US", "category": "UTILITY",
                        "components": [{"type": "BODY", "text": "Your order shipped."}]}),
            )
            .await;
        assert_eq!(res.status(), 200);

        // §16 refusals store no campaign.
        for (body, status, code, field) in [
            (
                json!({"template_name": "packagedelivered"}),
                400,
                601,
                Some("campaign_name"),
            ),
            (
                json!({"campaign_name": "x"}),
                400,
                601,
                Some("template_name"),
            ),
            (
                json!({"campaign_name": 5, "template_name": "packagedelivered"}),
                400,
                601,
                Some("campaign_name"),
            ),
            (
                json!({"campaign_name": "x".repeat(129), "template_name": "packagedelivered"}),
                400,
                601,
                Some("campaign_name"),
            ),
            (
                json!({"campaign_name": "x", "template_name": "packagedelivered", "kind": "api"}),
                400,
                601,
                None,
            ),
            (
                json!({"campaign_name": "x", "template_name": "nosuchtemplate"}),
                404,
                404,
                Some("template_name"),
            ),
        ] {
            let res = project.post("/campaign/api", &body).await;
            assert_error(res, status, code, field).await;
        }
        let res = project
            .post(
                "/campaign/api",
                &json!({"campaign_name": "x", "template_name": "pendingone"}),
            )
            .await;
        let status = res.status().as_u16();
        let body = assert_error(res, status, status, Some("template_name")).await;
        assert_eq!(body["error"], "template_not_approved", "{body}");
        let campaigns = managed(&app, "/api/v1/campaigns").await;
        assert_eq!(campaigns["data"], json!([]), "{}", app.backend);

        let created = project.ok("/campaign/api", &create_example()).await;
        let id = created["id"].as_str().unwrap().to_owned();
        let res = project
            .post(
                "/campaign/api",
                &json!({"campaign_name": "PackageDeliveryCampaign", "template_name": "testmessage"}),
            )
            .await;
        assert_error(res, 409, 409, Some("campaign_name")).await;
        assert_eq!(
            managed(&app, "/api/v1/campaigns").await["data"]
                .as_array()
                .unwrap()
                .len(),
            1
        );

        // §17 refusals add no recipient and touch no contact.
        let with = |k: &str, v: Value| {
            let mut b = send_example();
            b[k] = v;
            b
        };
        let without = |k: &str| {
            let mut b = send_example();
            b.as_object_mut().unwrap().remove(k);
            b
        };
        for (body, status, code, field) in [
            (without("campaign_name"), 400, 601, Some("campaign_name")),
            (without("name"), 400, 601, Some("name")),
            (without("phone_number"), 400, 602, Some("phone_number")),
            (
                with("phone_number", json!("abc")),
                400,
                602,
                Some("phone_number"),
            ),
            (
                with("phone_number", json!(910000000000_u64)),
                400,
                602,
                Some("phone_number"),
            ),
            (
                with("template_params", json!(["only one"])),
                400,
                601,
                Some("template_params"),
            ),
            (
                without("template_params"),
                400,
                601,
                Some("template_params"),
            ),
            (
                with("template_params", json!({"1": "x"})),
                400,
                601,
                Some("template_params"),
            ),
            (with("tags", json!(["NO_SUCH_TAG"])), 404, 404, Some("tags")),
            (with("tags", json!("AUGUST_LEAD")), 400, 601, Some("tags")),
            (
                with("attributes", json!({"country": 5})),
                400,
                601,
                Some("attributes.country"),
            ),
            (
                with("attributes", json!({"first name": "x"})),
                400,
                601,
                Some("attributes"),
            ),
            (
                with("default_country_code", json!("abcd")),
                400,
                601,
                Some("default_country_code"),
            ),
            (
                with("campaign_name", json!("nosuchcampaign")),
                404,
                404,
                Some("campaign_name"),
            ),
            (with("surprise", json!(1)), 400, 601, None),
        ] {
            let res = project.post("/campaign/api/send", &body).await;
            assert_error(res, status, code, field).await;
        }
        let rows = managed(&app, &format!("/api/v1/campaigns/{id}/recipients")).await;
        assert_eq!(rows["total"], 0, "{}: {rows}", app.backend);
        let contacts = managed(&app, "/api/v1/contacts").await;
        assert_eq!(contacts["total"], 0, "{}: {contacts}", app.backend);

        // A number gets the campaign once.
        project.ok("/campaign/api/send", &send_example()).await;
        let res = project.post("/campaign/api/send", &send_example()).await;
        let dup = assert_error(res, 409, 409, None).await;
        assert_eq!(dup["error"], "campaign_state", "{dup}");
        // A cancelled campaign is STOPPED and takes no more sends.
        let res = app
            .req(Method::POST, &format!("/api/v1/campaigns/{id}/cancel"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(
            ok_get(&project, &format!("/campaign/api/{id}")).await["status"],
            "STOPPED"
        );
        let mut later = send_example();
        later["phone_number"] = json!("910000000008");
        let res = project.post("/campaign/api/send", &later).await;
        assert_error(res, 409, 409, None).await;
        let rows = managed(&app, &format!("/api/v1/campaigns/{id}/recipients")).await;
        assert_eq!(rows["total"], 1);

        // §19–§22: unknown ids, and bad parameters.
        let unknown = uuid::Uuid::new_v4().to_string();
        for id in ["nope", unknown.as_str()] {
            assert_error(
                project.get(&format!("/campaign/api/{id}")).await,
                404,
                404,
                None,
            )
            .await;
            let res = project
                .post(&format!("/campaign/analytics/{id}"), &json!({}))
                .await;
            assert_error(res, 404, 404, None).await;
            assert_error(
                project.get(&format!("/campaign/audience/{id}")).await,
                404,
                404,
                None,
            )
            .await;
            let res = project
                .post(&format!("/campaign/audience/{id}"), &campaigns_example())
                .await;
            assert_error(res, 404, 404, None).await;
        }
        for (body, field) in [
            (json!({"startDate": "yesterday"}), "startDate"),
            (json!({"endDate": true}), "endDate"),
            (
                json!({"startDate": "2024-08-09", "endDate": "2024-08-08"}),
                "endDate",
            ),
            (json!({"from": "2024-08-09"}), ""),
        ] {
            let res = project
                .post(&format!("/campaign/analytics/{id}"), &body)
                .await;
            assert_error(res, 400, 601, (!field.is_empty()).then_some(field)).await;
        }
        for (query, field) in [
            ("limit=0", "limit"),
            ("limit=101", "limit"),
            ("limit=ten", "limit"),
            ("category=OPENED", "category"),
            ("sort=up", "sort"),
            ("fields=userNumber,secret", "fields"),
            ("after=NjZiNDhmZDgzMzBmNGEyZGI2YzI4M2I3", "after"),
            ("startDate=last-week", "startDate"),
        ] {
            let res = project
                .get(&format!("/campaign/audience/{id}?{query}"))
                .await;
            assert_error(res, 400, 601, Some(field)).await;
        }
        for (body, field) in [
            (json!({"skip": 0, "limit": 0}), "campaignType"),
            (json!({"campaignType": "SENT"}), "campaignType"),
            (json!({"campaignType": "API", "skip": "x"}), "skip"),
            (json!({"campaignType": "API", "limit": -1}), "limit"),
        ] {
            let res = project
                .post(&format!("/campaign/audience/{id}"), &body)
                .await;
            assert_error(res, 400, 601, Some(field)).await;
        }

        // Another project of the account, and another account, see none of it.
        let channel2 = app.create_channel(&app.api_key, "Second project").await;
        let other_project = Project {
            app: &app,
            id: channel2["id"].as_str().unwrap().to_owned(),
            key: app.api_key.clone(),
        };
        let (_, other_key) = app.other_account().await;
        let theirs = app.create_channel(&other_key, "Theirs").await;
        let foreign = Project {
            app: &app,
            id: theirs["id"].as_str().unwrap().to_owned(),
            key: other_key,
        };
        for p in [&other_project, &foreign] {
            assert_error(p.get(&format!("/campaign/api/{id}")).await, 404, 404, None).await;
            let res = p
                .post(&format!("/campaign/analytics/{id}"), &json!({}))
                .await;
            assert_error(res, 404, 404, None).await;
            assert_error(
                p.get(&format!("/campaign/audience/{id}")).await,
                404,
                404,
                None,
            )
            .await;
            let mut body = send_example();
            body["phone_number"] = json!("910000000009");
            let res = p.post("/campaign/api/send", &body).await;
            assert_error(res, 404, 404, Some("campaign_name")).await;
            let list = ok_get(p, "/campaign/api").await;
            assert_eq!(list, json!({"campaign": [], "size": 0, "count": 0}));
        }
        // The foreign project's key does not reach this project at all.
        let res = app
            .client
            .get(project.url(&format!("/campaign/api/{id}")))
            .header("X-Project-API-Pwd", &foreign.key)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404);
        let rows = managed(&app, &format!("/api/v1/campaigns/{id}/recipients")).await;
        assert_eq!(rows["total"], 1);
    }
}
