//! The 1MSG.IO dialect (seed 004) at `/compat/1msg`, over real HTTP on SQLite and
//! PostgreSQL: the seed's request bodies sent as they are (its one request sample,
//! sendReaction's form, verbatim; the others built from its documented fields and
//! examples), to an instance that is the channel's phone number id with `?token=` an API
//! key; answers snapshotted (ids and times redacted) and effects checked in wagate (the
//! message went out through the simulated network and was delivered). Bad input answers
//! the dialect's error body and stores nothing.

use axum::Router;
use axum::http::header;
use axum::routing::get;
use base64::Engine as _;
use reqwest::Response;
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::helpers::{TestApp, spawn_apps, spawn_apps_with};

/// A 1MSG client of the first channel: `/compat/1msg/{instance}` and its token.
struct Client<'a> {
    app: &'a TestApp,
    instance: String,
    token: String,
}

fn client(app: &TestApp) -> Client<'_> {
    Client {
        app,
        instance: app.phone_number_id.clone(),
        token: app.api_key.clone(),
    }
}

impl Client<'_> {
    fn url(&self, method: &str) -> String {
        self.app.url(&format!(
            "/compat/1msg/{}/{method}?token={}",
            self.instance, self.token
        ))
    }

    async fn post(&self, method: &str, body: &Value) -> Response {
        self.app
            .client
            .post(self.url(method))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    async fn get(&self, method_and_query: &str) -> Response {
        let (method, query) = method_and_query
            .split_once('?')
            .unwrap_or((method_and_query, ""));
        self.app
            .client
            .get(format!("{}&{query}", self.url(method)))
            .send()
            .await
            .unwrap()
    }

    /// Posts `body`; asserts the send answer; returns it.
    async fn sent(&self, method: &str, body: &Value) -> Value {
        answer(self.post(method, body).await).await
    }
}

async fn answer(res: Response) -> Value {
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["sent"], true, "{body}");
    assert!(body["id"].as_str().unwrap().starts_with("wamid."), "{body}");
    body
}

/// Asserts the dialect's error body: its status, `kind` and `field`.
async fn assert_error(res: Response, status: u16, kind: &str, field: Option<&str>) -> Value {
    let got = res.status().as_u16();
    let body: Value = res.json().await.unwrap();
    assert_eq!(got, status, "{body}");
    assert_eq!(body["kind"], kind, "{body}");
    assert!(body["error"].is_string(), "{body}");
    assert!(body["request_id"].is_string(), "{body}");
    assert_eq!(body["field"].as_str(), field, "{body}");
    body
}

/// Ids and times redacted.
fn shape(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let v = match k.as_str() {
                        "id" | "quotedMsgId" if v.is_string() => json!("[id]"),
                        "time" if v.is_number() => json!("[time]"),
                        "instanceId" | "request_id" => json!(format!("[{k}]")),
                        _ => shape(v),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(shape).collect()),
        other => other.clone(),
    }
}

/// The users of the seed's examples write in first (the session sends need the window).
async fn users_write_in(app: &TestApp) -> String {
    app.configure_sandbox(json!({})).await;
    let first = app
        .inject(json!({"from": "12020721369", "type": "text", "text": {"body": "hi"}}))
        .await;
    app.inject(json!({"from": "556123122026", "type": "text", "text": {"body": "hello"}}))
        .await;
    first["wamid"].as_str().unwrap().to_owned()
}

async fn outbound_count(app: &TestApp) -> usize {
    app.messages("direction=outbound").await.len()
}

#[tokio::test]
async fn session_sends_replay_the_seed() {
    for app in spawn_apps().await {
        let inbound = users_write_in(&app).await;
        let c = client(&app);

        // Send a Message: chatId, then phone (an integer) quoting the user's message.
        let text = c
            .sent(
                "sendMessage",
                &json!({"chatId": "12020721369@c.us", "body": "Hello 🍏"}),
            )
            .await;
        insta::allow_duplicates! {
            insta::assert_json_snapshot!("onemsg_send_message", shape(&text));
        }
        assert_eq!(text["message"], "Sent to 12020721369@c.us");
        let m = app
            .wait_status(text["id"].as_str().unwrap(), &["delivered", "read"])
            .await;
        assert_eq!(m["content"]["body"], "Hello 🍏", "{m}");
        let quoted = c
            .sent(
                "sendMessage",
                &json!({"phone": 556123122026u64, "body": "Thanks", "quotedMsgId": inbound}),
            )
            .await;
        assert_eq!(quoted["message"], "Sent to 556123122026@c.us");
        let m = app
            .wait_status(quoted["id"].as_str().unwrap(), &["delivered", "read"])
            .await;
        assert_eq!(m["context_message_id"], inbound.as_str(), "{m}");

        // Send a Location: the seed's example values.
        let loc = c
            .sent(
                "sendLocation",
                &json!({"lat": "45.018337", "lng": "-73.968285",
                    "address": "9766 Valley View St., New York, NY 10024",
                    "name": "Facebook HQ", "chatId": "12020721369@c.us"}),
            )
            .await;
        let m = app
            .wait_status(loc["id"].as_str().unwrap(), &["delivered", "read"])
            .await;
        assert_eq!(m["content"]["latitude"], 45.018337, "{m}");
        assert_eq!(m["content"]["name"], "Facebook HQ", "{m}");

        // Send a Contact: the seed's example array.
        let contacts = json!([{"addresses":[{"city":"Menlo Park","country":"United States","country_code":"us","state":"CA","street":"1 Hacker Way","type":"HOME","zip":"94025"},{"city":"Menlo Park","country":"United States","country_code":"us","state":"CA","street":"200 Jefferson Dr","type":"WORK","zip":"94025"}],"birthday":"2012-08-18","emails":[{"email":"test@fb.com","type":"WORK"},{"email":"test@whatsapp.com","type":"WORK"}],"name":{"first_name":"John","formatted_name":"John Smith","last_name":"Smith"},"org":{"company":"WhatsApp","department":"Design","title":"Manager"},"phones":[{"phone":"+1 (940) 555-1234","type":"HOME"},{"phone":"+1 (650) 555-1234","type":"WORK","wa_id":"16505551234"}],"urls":[{"url":"https://www.facebook.com","type":"WORK"}]}]);
        let card = c
            .sent(
                "sendContact",
                &json!({"contacts": contacts, "chatId": "12020721369@c.us"}),
            )
            .await;
        let m = app
            .wait_status(card["id"].as_str().unwrap(), &["delivered", "read"])
            .await;
        assert_eq!(m["type"], "contacts", "{m}");

        // Send List Message: the seed's sections example.
        let sections = json!([{"title":"Section 1","rows":[{"id":"1","title":"Option 1","description":"Description 1"}]},{"title":"Section 2","rows":[{"id":"2","title":"Option 2","description":"Description 2"}]}]);
        let list = c
            .sent(
                "sendList",
                &json!({"body": "Pick one", "header": "Menu", "footer": "Thanks",
                    "action": "Options", "sections": sections, "phone": "12020721369"}),
            )
            .await;
        let m = app
            .wait_status(list["id"].as_str().unwrap(), &["delivered", "read"])
            .await;
        assert_eq!(m["content"]["action"]["button"], "Options", "{m}");

        // Send Reply Buttons Message: the seed's `sections` with its `"id "` key.
        let buttons = json!([{"type": "reply","reply": {"id ": "1","title": "1 Button's Title"}},{"type": "reply", "reply": {"id": "2", "title": "2 Button's Title"}}]);
        let button = c
            .sent(
                "sendButton",
                &json!({"body": "Choose", "sections": buttons, "chatId": "12020721369@c.us"}),
            )
            .await;
        let m = app
            .wait_status(button["id"].as_str().unwrap(), &["delivered", "read"])
            .await;
        assert_eq!(
            m["content"]["action"]["buttons"][0]["reply"]["id"], "1",
            "{m}"
        );

        // Send Location Request Message.
        let request = c
            .sent(
                "sendLocationRequest",
                &json!({"body": "Where are you?", "chatId": "12020721369@c.us"}),
            )
            .await;
        app.wait_status(request["id"].as_str().unwrap(), &["delivered", "read"])
            .await;

        // Send Reaction: the seed's form body verbatim.
        let res = app
            .client
            .post(c.url("sendReaction"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body("body=%F0%9F%91%8D&quotedMsgId=wamid.HBgLdemo-text-001&chatId=12020721369%40c.us")
            .send()
            .await
            .unwrap();
        let reaction = answer(res).await;
        let m = app
            .wait_status(
                reaction["id"].as_str().unwrap(),
                &["delivered", "read", "sent"],
            )
            .await;
        assert_eq!(m["content"]["emoji"], "👍", "{m}");

        // Mark message as read.
        let res = c.post("readMessage", &json!({"messageId": inbound})).await;
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body, json!({"result": "success"}));
        let res = c
            .post("readMessage", &json!({"messageId": text["id"]}))
            .await;
        assert_error(res, 404, "not_found", None).await;
    }
}

/// `/doc.pdf` and `/cat.png`.
async fn file_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new()
        .route(
            "/doc.pdf",
            get(|| async { ([(header::CONTENT_TYPE, "application/pdf")], pdf()) }),
        )
        .route(
            "/cat.png",
            get(|| async { ([(header::CONTENT_TYPE, "image/png")], png()) }),
        )
        .route(
            "/clip.mp4",
            get(|| async { ([(header::CONTENT_TYPE, "video/mp4")], mp4()) }),
        );
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    format!("http://{addr}")
}

fn png() -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0".to_vec();
    b.extend(std::iter::repeat_n(0x5a, 200));
    b
}

/// An ISO media file of brand `mp42`: an `ftyp` box, then `mdat`.
fn mp4() -> Vec<u8> {
    let mut b = 20u32.to_be_bytes().to_vec();
    b.extend_from_slice(b"ftypmp42\x00\x00\x02\x00isom");
    b.extend_from_slice(b"\x00\x00\x00\x08free\x00\x00\x10\x00mdat");
    b
}

fn pdf() -> Vec<u8> {
    b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec()
}

#[tokio::test]
async fn files_by_link_base64_and_form() {
    let files = file_server().await;
    for app in spawn_apps_with(|c| c.media.fetch.allow_private_networks = true).await {
        users_write_in(&app).await;
        let c = client(&app);
        // A link: a PDF goes as a document named `filename`, with its caption.
        let doc = c
            .sent(
                "sendFile",
                &json!({"body": format!("{files}/doc.pdf"), "filename": "hello.pdf",
                    "caption": "Your invoice", "chatId": "12020721369@c.us"}),
            )
            .await;
        let m = app
            .wait_status(doc["id"].as_str().unwrap(), &["delivered", "read"])
            .await;
        assert_eq!(m["type"], "document", "{m}");
        assert_eq!(m["content"]["filename"], "hello.pdf", "{m}");
        assert_eq!(m["content"]["caption"], "Your invoice", "{m}");
        // Base64 with its mime data: an image.
        let data = format!(
            "data:image/png;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(png())
        );
        let image = c
            .sent(
                "sendFile",
                &json!({"body": data, "filename": "1.png", "caption": "A cat",
                    "phone": 12020721369u64}),
            )
            .await;
        let m = app
            .wait_status(image["id"].as_str().unwrap(), &["delivered", "read"])
            .await;
        assert_eq!(m["type"], "image", "{m}");
        // A form-data file.
        let form = reqwest::multipart::Form::new()
            .text("chatId", "12020721369@c.us")
            .text("filename", "hello.pdf")
            .part(
                "body",
                reqwest::multipart::Part::bytes(pdf())
                    .file_name("hello.pdf")
                    .mime_str("application/pdf")
                    .unwrap(),
            );
        let res = app
            .client
            .post(c.url("sendFile"))
            .multipart(form)
            .send()
            .await
            .unwrap();
        let form = answer(res).await;
        let m = app
            .wait_status(form["id"].as_str().unwrap(), &["delivered", "read"])
            .await;
        assert_eq!(m["type"], "document", "{m}");

        // No file, or a file that is not one: nothing is sent.
        let before = outbound_count(&app).await;
        let res = c
            .post(
                "sendFile",
                &json!({"filename": "a.pdf", "chatId": "12020721369@c.us"}),
            )
            .await;
        assert_error(res, 400, "invalid", Some("body")).await;
        let res = c
            .post(
                "sendFile",
                &json!({"body": "data:image/png;base64,@@@", "filename": "a.png",
                    "chatId": "12020721369@c.us"}),
            )
            .await;
        assert_error(res, 400, "invalid", Some("body")).await;
        assert_eq!(outbound_count(&app).await, before);
    }
}

#[tokio::test]
async fn the_message_list_follows_message_numbers() {
    for app in spawn_apps().await {
        users_write_in(&app).await;
        let c = client(&app);
        let sent = c
            .sent(
                "sendMessage",
                &json!({"chatId": "12020721369@c.us", "body": "Hello"}),
            )
            .await;
        app.wait_status(sent["id"].as_str().unwrap(), &["read"])
            .await;
        let res = c.get("messages").await;
        assert_eq!(res.status(), 200);
        let all: Value = res.json().await.unwrap();
        insta::allow_duplicates! {
            insta::assert_json_snapshot!("onemsg_messages", shape(&all));
        }
        let numbers: Vec<u64> = all["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["messageNumber"].as_u64().unwrap())
            .collect();
        assert_eq!(numbers, [1, 2, 3]);
        assert_eq!(all["lastMessageNumber"], 3);
        // After number 1; one chat; the last one; limit 0 = all.
        let after: Value = c
            .get("messages?lastMessageNumber=1")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(after["messages"].as_array().unwrap().len(), 2, "{after}");
        assert_eq!(after["messages"][0]["messageNumber"], 2);
        let chat: Value = c
            .get("messages?chatId=556123122026@c.us")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(chat["messages"].as_array().unwrap().len(), 1, "{chat}");
        assert_eq!(chat["messages"][0]["body"], "hello");
        assert_eq!(chat["messages"][0]["fromMe"], false);
        let last: Value = c
            .get("messages?last=true&limit=1")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(last["messages"][0]["id"], sent["id"], "{last}");
        assert_eq!(last["messages"][0]["fromMe"], true);
        let every: Value = c.get("messages?limit=0").await.json().await.unwrap();
        assert_eq!(every["messages"].as_array().unwrap().len(), 3);
        let future: Value = c
            .get("messages?min_time=4102444800")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(future["messages"], json!([]));
        let one: Value = c
            .get(&format!("messages?msgId={}", sent["id"].as_str().unwrap()))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(one["messages"][0]["messageNumber"], 3, "{one}");
        let res = c.get("messages?limit=many").await;
        assert_error(res, 400, "invalid", Some("limit")).await;
    }
}

#[tokio::test]
async fn tokens_instances_and_refusals() {
    for app in spawn_apps().await {
        users_write_in(&app).await;
        let before = outbound_count(&app).await;
        let body = json!({"chatId": "12020721369@c.us", "body": "Hello"});
        let base = format!("/compat/1msg/{}/sendMessage", app.phone_number_id);
        // No token, a wrong one.
        let res = app
            .client
            .post(app.url(&base))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_error(res, 401, "auth", None).await;
        let res = app
            .client
            .post(app.url(&format!("{base}?token=wag_wrong")))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_error(res, 401, "auth", None).await;
        // Another account's key does not see this instance; an unknown instance is 404.
        let (_, other) = app.other_account().await;
        let stranger = Client {
            app: &app,
            instance: app.phone_number_id.clone(),
            token: other,
        };
        assert_error(
            stranger.post("sendMessage", &body).await,
            404,
            "not_found",
            None,
        )
        .await;
        let nowhere = Client {
            app: &app,
            instance: "999999999999".into(),
            token: app.api_key.clone(),
        };
        assert_error(
            nowhere.post("sendMessage", &body).await,
            404,
            "not_found",
            None,
        )
        .await;
        // The channel's id is an instance too, and the token may be in the body.
        let channel_id = app.channel_id().await;
        let res = app
            .client
            .post(app.url(&format!("/compat/1msg/{channel_id}/sendMessage")))
            .json(&json!({"token": app.api_key, "chatId": "12020721369@c.us", "body": "Hi"}))
            .send()
            .await
            .unwrap();
        answer(res).await;
        let before = before + 1;

        // Bad input: the field at fault; nothing is sent.
        let c = client(&app);
        let cases = [
            (json!({"chatId": "12020721369@c.us"}), "body"),
            (json!({"body": "x"}), "chatId"),
            (json!({"body": "x", "chatId": "120363@g.us"}), "chatId"),
            (json!({"body": "x", "phone": "not a phone"}), "phone"),
            (json!({"body": ["x"], "phone": "12020721369"}), "body"),
            (
                json!({"body": "x", "phone": "12020721369", "quotedMsgId": "nope"}),
                "quotedMsgId",
            ),
        ];
        for (bad, field) in cases {
            let res = c.post("sendMessage", &bad).await;
            assert_error(res, 400, "invalid", Some(field)).await;
        }
        let res = app
            .client
            .post(c.url("sendMessage"))
            .header(header::CONTENT_TYPE, "application/json")
            .body("{\"body\": ")
            .send()
            .await
            .unwrap();
        assert_error(res, 400, "invalid", None).await;
        let res = c
            .post(
                "sendLocation",
                &json!({"lat": "north", "lng": "1", "chatId": "12020721369@c.us"}),
            )
            .await;
        assert_error(res, 400, "invalid", Some("lat")).await;
        let res = c
            .post(
                "sendButton",
                &json!({"body": "x", "chatId": "12020721369@c.us"}),
            )
            .await;
        assert_error(res, 400, "invalid", Some("buttons")).await;
        // A user who never wrote, on a channel that refuses sends outside the window (by
        // default Meta takes them and fails them later with 131047): refused at once.
        let id = app.channel_id().await;
        let res = app
            .patch_json(
                &format!("/api/v1/channels/{id}"),
                &json!({"window_policy": "reject"}),
            )
            .await;
        assert_eq!(res.status(), 200);
        let res = c
            .post(
                "sendMessage",
                &json!({"phone": "14155550100", "body": "Hi"}),
            )
            .await;
        let refused = assert_error(res, 400, "refused", None).await;
        assert_eq!(refused["sent"], false, "{refused}");
        insta::allow_duplicates! {
            insta::assert_json_snapshot!("onemsg_refused", shape(&refused));
        }
        assert_eq!(outbound_count(&app).await, before);
        // No such method.
        let res = c.post("sendFax", &json!({})).await;
        assert_error(res, 404, "not_found", None).await;
    }
}

/// Has the sandbox's reviewer approve every pending template now.
async fn approve_all(app: &TestApp) {
    use wagate_app::templates::TemplatesConfig;
    use wagate_app::templates::review::TemplateReviewer;
    let approve = TemplatesConfig {
        approve_all: true,
        review_delay_ms: 0,
        ..TemplatesConfig::default()
    };
    TemplateReviewer::new(app.app.store().clone(), approve)
        .run_once(wagate_core::Timestamp::now())
        .await
        .unwrap();
}

#[tokio::test]
async fn templates_are_added_listed_sent_and_removed() {
    let files = file_server().await;
    for app in spawn_apps_with(|c| c.media.fetch.allow_private_networks = true).await {
        users_write_in(&app).await;
        let c = client(&app);
        // addTemplate Example 1's components (its header example a URL, here a local one),
        // as `template_name` in `en`: the fixture sendTemplate Example 1 names.
        let components = json!([{"type": "HEADER", "format": "IMAGE", "example": {"header_handle": [format!("{files}/cat.png")]}}, {"text": "We remind you that you have an appointment at {{1}} with the dentist tomorrow. Are you confirming your appointment with the doctor?", "type": "BODY", "example": {"body_text": [["9:00"]]}}, {"text": "white", "type": "FOOTER"}, {"type": "BUTTONS", "buttons": [{"text": "Yes", "type": "QUICK_REPLY"}, {"text": "No", "type": "QUICK_REPLY"}]}]);
        let res = c
            .post(
                "addTemplate",
                &json!({"name": "template_name", "category": "UTILITY", "language": "en",
                    "components": components}),
            )
            .await;
        assert_eq!(res.status(), 200);
        let added: Value = res.json().await.unwrap();
        insta::allow_duplicates! {
            insta::assert_json_snapshot!("onemsg_add_template", shape(&added));
        }
        // The header's example became an upload handle.
        let t: Value = app
            .get(&format!("/v23.0/{}", added["id"].as_str().unwrap()))
            .await
            .json()
            .await
            .unwrap();
        let handle = t["components"][0]["example"]["header_handle"][0]
            .as_str()
            .unwrap();
        assert!(handle.starts_with("4::"), "{t}");
        approve_all(&app).await;

        // Get templates list.
        let list: Value = c.get("templates").await.json().await.unwrap();
        assert_eq!(list["total"], 1, "{list}");
        assert_eq!(list["templates"][0]["status"], "approved");
        assert_eq!(list["templates"][0]["name"], "template_name");
        let namespace = list["templates"][0]["namespace"]
            .as_str()
            .unwrap()
            .to_owned();

        // sendTemplate Example 1 verbatim.
        let example = json!({"template":"template_name","language":{"policy":"deterministic","code":"en"},"namespace":"namespace_id","params":[{"type":"header","parameters":[{"type":"image","image": {"link":"https://..."}}]},{"type":"body","parameters":[{"type":"text","text":"test"}]}],"phone":"556123122026"});
        let sent = c.sent("sendTemplate", &example).await;
        assert_eq!(sent["message"], "Sent to 556123122026@c.us");
        let m = app
            .wait_status(sent["id"].as_str().unwrap(), &["delivered", "read"])
            .await;
        assert_eq!(m["type"], "template", "{m}");
        // The namespace /templates gives works as well as any, and so does a user who never
        // wrote (a template opens the conversation).
        let mut again = example.clone();
        again["namespace"] = json!(namespace);
        again["phone"] = json!(14155550100u64);
        let charged = c.sent("sendTemplate", &again).await;
        app.wait_status(charged["id"].as_str().unwrap(), &["delivered", "read"])
            .await;

        // Statistics: the month's template cost (the one outside a window is charged, as
        // on Meta), and by day and category.
        let stats: Value = c.get("statistics").await.json().await.unwrap();
        let cost = stats["templates_cost"].as_f64().unwrap();
        assert!(cost > 0.0, "{stats}");
        let month = stats["date"].as_str().unwrap().to_owned();
        assert_eq!(month.len(), 7, "{stats}");
        let same: Value = c
            .get(&format!("statistics?date={month}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(same, stats);
        let empty: Value = c.get("statistics?date=03.2022").await.json().await.unwrap();
        assert_eq!(empty, json!({"date": "03.2022", "templates_cost": 0.0}));
        let res = c.get("statistics?date=2022-03").await;
        assert_error(res, 400, "invalid", Some("date")).await;
        let extended: Value = c.get("extendedStatistics").await.json().await.unwrap();
        let rows = extended.as_array().unwrap();
        assert_eq!(rows.len(), 1, "{extended}");
        assert_eq!(rows[0]["category"], "utility", "{extended}");
        assert_eq!(rows[0]["quantity"], 1, "{extended}");
        assert_eq!(rows[0]["price"].as_f64().unwrap(), cost, "{extended}");

        // Bad template sends: a wrong parameter count, an unknown template; nothing sent.
        let before = outbound_count(&app).await;
        let mut wrong = example.clone();
        wrong["params"][1]["parameters"] = json!([]);
        let res = c.post("sendTemplate", &wrong).await;
        assert_error(res, 400, "invalid", None).await;
        let mut unknown = example.clone();
        unknown["template"] = json!("no_such_template");
        let res = c.post("sendTemplate", &unknown).await;
        let status = res.status().as_u16();
        assert!(status == 400 || status == 404, "{status}");
        // Example 3 leaves chatId empty: no recipient.
        let res = c
            .post(
                "sendTemplate",
                &json!({"namespace": "", "template": "template_name", "language": {"policy": "deterministic","code": "en" }, "params": [], "chatId": ""}),
            )
            .await;
        assert_error(res, 400, "invalid", Some("chatId")).await;
        assert_eq!(outbound_count(&app).await, before);

        // addTemplate refused by Meta's lint: nothing fetched, nothing stored.
        let res = c
            .post(
                "addTemplate",
                &json!({"name": "bad", "category": "UTILITY", "language": "en",
                    "components": [{"type": "BODY", "text": "{{1}}"}]}),
            )
            .await;
        assert_error(res, 400, "invalid", Some("components[0].example")).await;

        // removeTemplate; then it is gone.
        let res = c
            .post("removeTemplate", &json!({"name": "template_name"}))
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(
            res.json::<Value>().await.unwrap(),
            json!({"result": "success"})
        );
        let list: Value = c.get("templates").await.json().await.unwrap();
        assert_eq!(list["total"], 0, "{list}");
        let res = c
            .post("removeTemplate", &json!({"name": "template_name"}))
            .await;
        assert_error(res, 404, "not_found", None).await;
    }
}

#[tokio::test]
async fn upload_media_gives_a_media_id() {
    let files = file_server().await;
    for app in spawn_apps_with(|c| c.media.fetch.allow_private_networks = true).await {
        let c = client(&app);
        let by_link: Value = c
            .post("uploadMedia", &json!({"body": format!("{files}/doc.pdf")}))
            .await
            .json()
            .await
            .unwrap();
        let by_base64: Value = c
            .post(
                "uploadMedia",
                &json!({"body": format!("data:image/png;base64,{}",
                    base64::engine::general_purpose::STANDARD.encode(png()))}),
            )
            .await
            .json()
            .await
            .unwrap();
        let form = reqwest::multipart::Form::new().part(
            "body",
            reqwest::multipart::Part::bytes(png())
                .file_name("1.png")
                .mime_str("image/png")
                .unwrap(),
        );
        let by_form: Value = app
            .client
            .post(c.url("uploadMedia"))
            .multipart(form)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for (answer, mime) in [
            (by_link, "application/pdf"),
            (by_base64, "image/png"),
            (by_form, "image/png"),
        ] {
            let id = answer["mediaId"]
                .as_str()
                .unwrap_or_else(|| panic!("{answer}"));
            let media: Value = app.get(&format!("/v23.0/{id}")).await.json().await.unwrap();
            assert_eq!(media["mime_type"], mime, "{media}");
        }
        let res = c.post("uploadMedia", &json!({})).await;
        assert_error(res, 400, "invalid", Some("body")).await;
    }
}

#[tokio::test]
async fn channel_settings_webhooks_and_acks() {
    for app in spawn_apps().await {
        app.configure_sandbox(json!({})).await;
        let c = client(&app);
        let status: Value = c.get("status").await.json().await.unwrap();
        assert_eq!(status, json!({"status": "connected"}));
        let me: Value = c.get("me").await.json().await.unwrap();
        assert!(me["phone"].is_string(), "{me}");
        assert!(me.get("vertical").is_some(), "{me}");

        // No webhook yet; Set webhook; the settings show it.
        let settings: Value = c.get("settings").await.json().await.unwrap();
        assert_eq!(
            settings,
            json!({"webhookUrl": null, "ackNotificationsOn": true})
        );
        let receiver = crate::receiver::Receiver::start().await;
        let res = c
            .post("webhook", &json!({"webhookUrl": receiver.url}))
            .await;
        assert_eq!(res.status(), 200);
        let set: Value = res.json().await.unwrap();
        assert_eq!(set["set"], true, "{set}");
        let settings: Value = c.get("settings").await.json().await.unwrap();
        assert_eq!(settings["webhookUrl"], receiver.url.as_str());

        // A message in, one out: `{"messages": […]}` and acks arrive.
        let inbound = users_write_in(&app).await;
        let sent = c
            .sent(
                "sendMessage",
                &json!({"chatId": "12020721369@c.us", "body": "Hello"}),
            )
            .await;
        let wamid = sent["id"].as_str().unwrap().to_owned();
        app.wait_status(&wamid, &["read"]).await;
        let posts = receiver.wait(2).await;
        let mut inbound_seen = false;
        for post in &posts {
            let b = &post.body;
            assert_eq!(b["instanceId"], app.channel_id().await.as_str(), "{b}");
            for m in b["messages"].as_array().into_iter().flatten() {
                if m["id"] == inbound.as_str() {
                    inbound_seen = true;
                    insta::allow_duplicates! {
                        insta::assert_json_snapshot!("onemsg_callback_message", shape(b));
                    }
                    assert_eq!(m["body"], "hi");
                    assert_eq!(m["fromMe"], false);
                }
            }
        }
        assert!(inbound_seen, "{posts:?}");
        // The acks of the sent message, in order, up to `viewed`.
        let acks_of = |posts: &[crate::receiver::Post]| -> Vec<String> {
            posts
                .iter()
                .flat_map(|p| p.body["ack"].as_array().cloned().unwrap_or_default())
                .filter(|a| a["id"] == wamid.as_str())
                .map(|a| a["status"].as_str().unwrap().to_owned())
                .collect()
        };
        let acks = crate::helpers::eventually(
            "the viewed ack",
            std::time::Duration::from_secs(10),
            || async {
                let acks = acks_of(&receiver.posts());
                if acks.contains(&"viewed".to_owned()) {
                    Ok(acks)
                } else {
                    Err(json!(acks))
                }
            },
        )
        .await;
        assert_eq!(acks, ["sent", "delivered", "viewed"]);

        // Check ACKs: the status history.
        let hooks: Value = c
            .get(&format!("hookInfo?messageId={wamid}"))
            .await
            .json()
            .await
            .unwrap();
        let statuses: Vec<&str> = hooks["hooks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["status"].as_str().unwrap())
            .collect();
        assert_eq!(
            statuses,
            ["queued", "sent", "delivered", "viewed"],
            "{hooks}"
        );
        let res = c.get("hookInfo?messageId=wamid.nope").await;
        assert_error(res, 404, "not_found", None).await;

        // Acks off, then the URL cleared with null.
        let res = c
            .post("settings", &json!({"ackNotificationsOn": false}))
            .await;
        assert_eq!(res.status(), 200);
        let settings: Value = c.get("settings").await.json().await.unwrap();
        assert_eq!(settings["ackNotificationsOn"], false, "{settings}");
        assert_eq!(settings["webhookUrl"], receiver.url.as_str());
        let res = c.post("settings", &json!({"webhookUrl": null})).await;
        assert_eq!(res.status(), 200);
        let settings: Value = c.get("settings").await.json().await.unwrap();
        assert_eq!(settings["webhookUrl"], Value::Null);
        let res = c.post("webhook", &json!({"webhookUrl": "not a url"})).await;
        assert_error(res, 400, "invalid", Some("webhookUrl")).await;

        // Commerce settings.
        let commerce: Value = c.get("commerce").await.json().await.unwrap();
        assert_eq!(
            commerce,
            json!([{"is_cart_enabled": true, "is_catalog_visible": true}])
        );
        let res = c.post("commerce", &json!({"is_cart_enabled": false})).await;
        assert_eq!(res.json::<Value>().await.unwrap(), json!({"success": true}));
        let commerce: Value = c.get("commerce").await.json().await.unwrap();
        assert_eq!(commerce[0]["is_cart_enabled"], false, "{commerce}");
        assert_eq!(commerce[0]["is_catalog_visible"], true, "{commerce}");
        let res = c
            .post("commerce", &json!({"is_cart_enabled": "maybe"}))
            .await;
        assert_error(res, 400, "invalid", Some("is_cart_enabled")).await;
    }
}

#[tokio::test]
async fn products_of_the_linked_catalog() {
    for app in spawn_apps().await {
        users_write_in(&app).await;
        let c = client(&app);
        // The fixture: a catalog linked to the WABA with SKU-1, SKU-2 and 001.
        let list: Value = app.get("/api/v1/channels").await.json().await.unwrap();
        let waba = list["data"][0]["waba_id"].as_str().unwrap();
        let res = app
            .post_json(
                "/api/v1/catalogs",
                &json!({"name": "Shop", "waba_id": waba}),
            )
            .await;
        assert_eq!(res.status(), 201);
        let catalog = res.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        for sku in ["SKU-1", "SKU-2", "001"] {
            let res = app
                .post_json(
                    &format!("/v23.0/{catalog}/products"),
                    &json!({"retailer_id": sku, "name": "Trail shoe", "price": 1099,
                        "currency": "USD", "image_url": "https://img.example/shoe.png"}),
                )
                .await;
            assert_eq!(res.status(), 200);
        }
        // One product.
        let one = c
            .sent(
                "sendProduct",
                &json!({"action": {"catalog_id": catalog, "product_retailer_id": "SKU-1"},
                    "body": "Some text.", "footer": "Footer.", "chatId": "12020721369@c.us"}),
            )
            .await;
        let m = app
            .wait_status(one["id"].as_str().unwrap(), &["delivered", "read"])
            .await;
        assert_eq!(m["content"]["type"], "product", "{m}");
        // The seed's multi-product example, its blanks filled (SKU-1 only once: WhatsApp
        // refuses a product twice in one list).
        let action = json!({"catalog_id": catalog, "sections": [{"title": "the-section-title",
            "product_items": [{"product_retailer_id": "SKU-1"}, {"product_retailer_id": "SKU-2"}]},
            {"title": "the-section-title2", "product_items": [{"product_retailer_id": "001"}]}]});
        let many = c
            .sent(
                "sendProduct",
                &json!({"action": action, "body": "Some text.", "header": "Header.",
                    "chatId": "12020721369@c.us"}),
            )
            .await;
        app.wait_status(many["id"].as_str().unwrap(), &["delivered", "read"])
            .await;
        // Refused: no header with sections, an unknown product, the seed's repeated SKU-1.
        let before = outbound_count(&app).await;
        let res = c
            .post(
                "sendProduct",
                &json!({"action": action, "body": "x", "chatId": "12020721369@c.us"}),
            )
            .await;
        assert_error(res, 400, "invalid", Some("header")).await;
        let res = c
            .post(
                "sendProduct",
                &json!({"action": {"catalog_id": catalog, "product_retailer_id": "SKU-9"},
                    "chatId": "12020721369@c.us"}),
            )
            .await;
        let status = res.status().as_u16();
        assert!(status == 400 || status == 404, "{status}");
        let mut twice = action.clone();
        twice["sections"][1]["product_items"][0]["product_retailer_id"] = json!("SKU-1");
        let res = c
            .post(
                "sendProduct",
                &json!({"action": twice, "body": "x", "header": "H", "chatId": "12020721369@c.us"}),
            )
            .await;
        assert_eq!(res.status(), 400);
        assert_eq!(outbound_count(&app).await, before);
    }
}

#[tokio::test]
async fn the_profile_is_read_and_changed() {
    let files = file_server().await;
    for app in spawn_apps_with(|c| c.media.fetch.allow_private_networks = true).await {
        let c = client(&app);
        let res = c
            .post(
                "me",
                &json!({"about": "Some about info", "address": "Neverland, Unexpected st.",
                    "description": "Some company description", "email": "john@neverland.play",
                    "phone": "12020721369", "vertical": "Professional Services",
                    "photo": format!("{files}/cat.png")}),
            )
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(
            res.json::<Value>().await.unwrap(),
            json!({"result": "success"})
        );
        let me: Value = c.get("me").await.json().await.unwrap();
        assert_eq!(me["about"], "Some about info", "{me}");
        assert_eq!(me["email"], "john@neverland.play", "{me}");
        assert_eq!(me["vertical"], "Professional Services", "{me}");
        assert_eq!(me["phone"], app.display_digits().await, "{me}");
        let photo = me["photo"].as_str().unwrap().to_owned();
        // A form-data photo replaces it; Meta's vertical code is read too.
        let form = reqwest::multipart::Form::new()
            .text("vertical", "RETAIL")
            .part(
                "photo",
                reqwest::multipart::Part::bytes(png())
                    .file_name("logo.png")
                    .mime_str("image/png")
                    .unwrap(),
            );
        let res = app
            .client
            .post(c.url("me"))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        let me: Value = c.get("me").await.json().await.unwrap();
        assert_eq!(me["vertical"], "Shopping and Retail", "{me}");
        assert_ne!(me["photo"], photo.as_str(), "{me}");
        // Bad values change nothing.
        let res = c
            .post("me", &json!({"email": "not an email", "about": "x"}))
            .await;
        assert_error(res, 400, "invalid", Some("email")).await;
        let res = c.post("me", &json!({"vertical": "Spaceships"})).await;
        assert_error(res, 400, "invalid", Some("vertical")).await;
        let me: Value = c.get("me").await.json().await.unwrap();
        assert_eq!(me["about"], "Some about info", "{me}");
    }
}

impl TestApp {
    /// The first channel's number, as digits.
    async fn display_digits(&self) -> String {
        let list: Value = self.get("/api/v1/channels").await.json().await.unwrap();
        list["data"][0]["display_phone_number"]
            .as_str()
            .unwrap()
            .trim_start_matches('+')
            .to_owned()
    }
}

#[tokio::test]
async fn a_carousel_template_as_example_2() {
    let files = file_server().await;
    for app in spawn_apps_with(|c| c.media.fetch.allow_private_networks = true).await {
        users_write_in(&app).await;
        let c = client(&app);
        // The fixture `test_carousel` (en_US): a body with 2 parameters; card 0 a VIDEO
        // header, a body with 2 parameters and 2 URL buttons of 1 parameter each; added
        // with addTemplate (Example 2's shape, its header example a URL and its variables
        // given samples, as Meta's lint needs).
        let card = json!({"components": [
            {"type": "HEADER", "format": "VIDEO", "example": {"header_handle": [format!("{files}/clip.mp4")]}},
            {"text": "Our carousel offer {{1}} comes with {{2}} for you today", "type": "BODY", "example": {"body_text": [["a", "b"]]}},
            {"type": "BUTTONS", "buttons": [
                {"url": "https://www.test.com/shop?promo={{1}}", "text": "Buy now", "type": "URL",
                 "example": ["https://www.test.com/shop?promo=summer_lemons_2023"]},
                {"url": "https://www.test.com/more?promo={{1}}", "text": "See more", "type": "URL",
                 "example": ["https://www.test.com/more?promo=summer"]}]}]});
        let mut second = card.clone();
        second["components"][1]["text"] =
            json!("Our second offer {{1}} comes with {{2}} for you today");
        let components = json!([
            {"text": "Hello there {{1}}, our summer picks {{2}} are here for you today", "type": "BODY", "example": {"body_text": [["x", "y"]]}},
            {"type": "CAROUSEL", "cards": [card, second]}]);
        let res = c
            .post(
                "addTemplate",
                &json!({"name": "test_carousel", "category": "MARKETING", "language": "en_US",
                    "components": components}),
            )
            .await;
        let status = res.status();
        let added: Value = res.json().await.unwrap();
        assert_eq!(status, 200, "{added}");
        approve_all(&app).await;
        // Example 2, verbatim but for the second card the fixture has.
        let mut example = json!({"template": "test_carousel", "language": {"policy": "deterministic", "code": "en_US"}, "namespace": "41123797_o98r_4f06_fi44_443b27c6f5ec","params": [{"type": "body", "parameters": [{"type": "text", "text": "b1"}, {"type": "text", "text": "b2"}]}, {"type": "CAROUSEL", "cards": [{"card_index": 0, "components": [{"type": "header", "parameters": [{"type": "video", "video": {"link": "https://test.com/video.mp4"}}]}, {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "1"}]}, {"type": "button", "sub_type": "url", "index": "1", "parameters": [{"type": "text", "text": "2"}]}, {"type": "body", "parameters": [{"type": "text", "text": "b3"}, {"type": "text", "text": "b4"}]}]}]}], "phone": "556123122026"});
        let mut card1 = example["params"][1]["cards"][0].clone();
        card1["card_index"] = json!(1);
        example["params"][1]["cards"]
            .as_array_mut()
            .unwrap()
            .push(card1);
        let sent = c.sent("sendTemplate", &example).await;
        let m = app
            .wait_status(sent["id"].as_str().unwrap(), &["delivered", "read"])
            .await;
        assert_eq!(m["type"], "template", "{m}");
        // Example 2 as written (one card for a two-card template) is refused.
        let before = outbound_count(&app).await;
        example["params"][1]["cards"].as_array_mut().unwrap().pop();
        let res = c.post("sendTemplate", &example).await;
        assert_eq!(res.status(), 400);
        assert_eq!(outbound_count(&app).await, before);
    }
}

#[tokio::test]
async fn a_catalog_template_as_example_3() {
    for app in spawn_apps().await {
        users_write_in(&app).await;
        let c = client(&app);
        // The fixtures: a catalog linked to the WABA with product 001, and template
        // `catalog` (en_US): a body with 1 parameter and a CATALOG button.
        let list: Value = app.get("/api/v1/channels").await.json().await.unwrap();
        let waba = list["data"][0]["waba_id"].as_str().unwrap();
        let res = app
            .post_json(
                "/api/v1/catalogs",
                &json!({"name": "Shop", "waba_id": waba}),
            )
            .await;
        assert_eq!(res.status(), 201);
        let catalog = res.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let res = app
            .post_json(
                &format!("/v23.0/{catalog}/products"),
                &json!({"retailer_id": "001", "name": "Lemonade", "price": 199,
                    "currency": "USD", "image_url": "https://img.example/l.png"}),
            )
            .await;
        assert_eq!(res.status(), 200);
        let res = c
            .post(
                "addTemplate",
                &json!({"name": "catalog", "category": "MARKETING", "language": "en_US",
                    "components": [
                        {"type": "BODY", "text": "Now shop for your favourite products right here on WhatsApp! {{1}} and more.",
                         "example": {"body_text": [["Check out the products in our store"]]}},
                        {"type": "BUTTONS", "buttons": [{"type": "CATALOG", "text": "View catalog"}]}]}),
            )
            .await;
        let status = res.status();
        let added: Value = res.json().await.unwrap();
        assert_eq!(status, 200, "{added}");
        approve_all(&app).await;
        // Example 3 verbatim but for its token (this wagate's key, in the body as the
        // example has it): its empty chatId names no one.
        let mut example = json!({ "token": app.api_key, "namespace": "", "template": "catalog", "language": {"policy": "deterministic","code": "en_US" }, "params": [{ "type": "button", "sub_type": "CATALOG", "index": 0, "parameters": [ {"type": "action","action": { "thumbnail_product_retailer_id": "001"} } ]},{ "type": "body", "parameters": [ {"type": "text","text": "Check out the products in our store" } ]} ], "chatId": "" });
        let url = app.url(&format!(
            "/compat/1msg/{}/sendTemplate",
            app.phone_number_id
        ));
        let res = app.client.post(&url).json(&example).send().await.unwrap();
        assert_error(res, 400, "invalid", Some("chatId")).await;
        example["chatId"] = json!("12020721369@c.us");
        let sent = answer(app.client.post(&url).json(&example).send().await.unwrap()).await;
        let m = app
            .wait_status(sent["id"].as_str().unwrap(), &["delivered", "read"])
            .await;
        assert_eq!(m["type"], "template", "{m}");
        // A thumbnail the catalog lacks is refused.
        let before = outbound_count(&app).await;
        example["params"][0]["parameters"][0]["action"]["thumbnail_product_retailer_id"] =
            json!("SKU-404");
        let res = app.client.post(&url).json(&example).send().await.unwrap();
        assert_eq!(res.status(), 400);
        assert_eq!(outbound_count(&app).await, before);
    }
}

/// A cloud channel (a second wagate plays Meta): the same calls reach Meta's API, and
/// Meta's statuses come back as the message's and as `hookInfo`.
#[tokio::test]
async fn a_cloud_channel_sends_through_meta() {
    use crate::cloud_upstream::{APP_SECRET, META_FIELDS, VERIFY_TOKEN, cloud_channel_on};
    let meta = crate::helpers::spawn_app().await;
    meta.configure_sandbox(json!({"read_percent": 100})).await;
    meta.approved_template(json!({"name": "demo_template", "language": "en_US",
        "category": "MARKETING", "components": [
        {"type": "BODY", "text": "Hello {{1}}, your coupon is {{2}} today.",
         "example": {"body_text": [["Kunal", "MSG1"]]}}]}))
        .await;
    for app in spawn_apps().await {
        let channel = cloud_channel_on(&app, &meta).await;
        let res = meta
            .post_json(
                "/api/v1/webhooks",
                &json!({"url": app.url("/webhooks/meta"), "secret": APP_SECRET,
                        "verify_token": VERIFY_TOKEN, "fields": META_FIELDS}),
            )
            .await;
        assert_eq!(res.status(), 201);
        let c = Client {
            app: &app,
            instance: channel.clone(),
            token: app.api_key.clone(),
        };
        // Outside the window Meta takes it, then fails it (131047), as the seed warns.
        let early = c
            .sent(
                "sendMessage",
                &json!({"chatId": "12020721369@c.us", "body": "Hello"}),
            )
            .await;
        let m = app
            .wait_status(early["id"].as_str().unwrap(), &["failed"])
            .await;
        assert_eq!(m["error"]["code"], 131047, "{m}");
        meta.inject(json!({"from": "12020721369", "type": "text", "text": {"body": "hi"}}))
            .await;
        app.wait_messages("direction=inbound", 1).await;
        let text = c
            .sent(
                "sendMessage",
                &json!({"chatId": "12020721369@c.us", "body": "Hello again"}),
            )
            .await;
        let m = app
            .wait_status(text["id"].as_str().unwrap(), &["read"])
            .await;
        assert_eq!(m["channel_id"], channel.as_str(), "{m}");
        // A template of Meta's.
        let sent = c
            .sent(
                "sendTemplate",
                &json!({"template": "demo_template", "namespace": "x",
                    "language": {"policy": "deterministic", "code": "en_US"},
                    "params": [{"type": "body", "parameters": [{"type": "text", "text": "Kunal"},
                        {"type": "text", "text": "MSG3545"}]}], "phone": "556123122026"}),
            )
            .await;
        app.wait_status(sent["id"].as_str().unwrap(), &["read"])
            .await;
        // The history and the statuses.
        let list: Value = c.get("messages?limit=0").await.json().await.unwrap();
        assert_eq!(list["messages"].as_array().unwrap().len(), 4, "{list}");
        let hooks: Value = c
            .get(&format!(
                "hookInfo?messageId={}",
                early["id"].as_str().unwrap()
            ))
            .await
            .json()
            .await
            .unwrap();
        let last = hooks["hooks"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["status"], "failed", "{hooks}");
        assert_eq!(last["error"]["code"], 131047, "{hooks}");

        // The WABA's templates are Meta's: listed from Meta, added at Meta, removed there.
        let list: Value = c.get("templates").await.json().await.unwrap();
        assert!(
            list["templates"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["name"] == "demo_template" && t["status"] == "approved"),
            "{list}"
        );
        let name = format!("cloud_{}", app.backend);
        let res = c
            .post(
                "addTemplate",
                &json!({"name": name, "category": "UTILITY", "language": "en",
                    "components": [{"type": "BODY", "text": "Your order is ready."}]}),
            )
            .await;
        assert_eq!(res.status(), 200);
        let added: Value = res.json().await.unwrap();
        let id = added["id"].as_str().unwrap().to_owned();
        let at_meta: Value = meta
            .get(&format!("/v23.0/{id}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(at_meta["name"].as_str(), Some(name.as_str()), "{at_meta}");
        let res = c.post("removeTemplate", &json!({"name": name})).await;
        assert_eq!(res.status(), 200);
        let gone = meta.get(&format!("/v23.0/{id}")).await;
        assert_ne!(gone.status(), 200, "deleted at Meta");
        let res = c.post("removeTemplate", &json!({"name": name})).await;
        assert_error(res, 404, "not_found", None).await;
    }
}

#[tokio::test]
async fn the_output_ip_is_the_configured_egress_address() {
    for app in
        spawn_apps_with(|c| c.outbound.egress_ip = Some("213.74.84.72".parse().unwrap())).await
    {
        let res = client(&app).get("outputIP").await;
        assert_eq!(res.status(), 200);
        assert_eq!(
            res.json::<Value>().await.unwrap(),
            json!({"result": "213.74.84.72"})
        );
    }
    for app in spawn_apps().await {
        let res = client(&app).get("outputIP").await;
        assert_error(res, 503, "server", None).await;
    }
}
