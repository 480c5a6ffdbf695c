//! The cloud upstream end to end: one wagate (B) whose channel's upstream is `cloud`,
//! pointed at another wagate (A) whose channel uses the simulated network, as DESIGN.md
//! describes. A stands in for Meta: B hands messages to A's Cloud API over HTTP, and A's
//! webhook subscription reports statuses and users' messages to B's `/webhooks/meta`,
//! signed with the app secret. Real HTTP between two servers both ways.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use wagate_core::webhook::ascii::signature;

use crate::helpers::{TestApp, assert_manage_error, eventually, from_now, spawn_app, spawn_apps};
use crate::receiver::{Receiver, SECRET, TOKEN};

pub(crate) const APP_SECRET: &str = "meta-app-secret";
pub(crate) const VERIFY_TOKEN: &str = "meta-verify-token";
const USER: &str = "16505551234";
/// What a Meta app subscribes its callback URL to.
pub(crate) const META_FIELDS: &[&str] = &[
    "messages",
    "statuses",
    "message_template_status_update",
    "phone_number_quality_update",
    "account_update",
];

/// A's first channel, as B's cloud channel: same phone number id, WABA and number.
pub(crate) async fn cloud_channel_on(b: &TestApp, a: &TestApp) -> String {
    let a_channel: Value = a
        .get("/api/v1/channels")
        .await
        .json::<Value>()
        .await
        .unwrap()["data"][0]
        .clone();
    let res = b
        .post_json(
            "/api/v1/channels",
            &json!({
                "verified_name": "Acme via Meta",
                "phone_number_id": a.phone_number_id,
                "waba_id": a_channel["waba_id"],
                "display_phone_number": a_channel["display_phone_number"],
                "upstream": {"kind": "cloud", "base_url": a.base_url, "access_token": a.api_key,
                             "app_secret": APP_SECRET, "verify_token": VERIFY_TOKEN}
            }),
        )
        .await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

async fn send_on(b: &TestApp, pnid: &str, body: Value) -> String {
    let mut body = body;
    body["messaging_product"] = json!("whatsapp");
    let res = b.post_json(&format!("/v23.0/{pnid}/messages"), &body).await;
    let status = res.status();
    let answer: Value = res.json().await.unwrap();
    assert_eq!(status, 200, "{answer}");
    answer["messages"][0]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_cloud_channel_sends_through_meta_and_gets_its_reports() {
    let a = spawn_app().await;
    a.configure_sandbox(json!({"read_percent": 100})).await;
    for b in spawn_apps().await {
        let pnid = a.phone_number_id.clone();
        cloud_channel_on(&b, &a).await;
        let receiver = Receiver::start().await;
        let res = b
            .post_json(
                "/api/v1/webhooks",
                &json!({"url": receiver.url, "secret": SECRET, "verify_token": TOKEN,
                        "fields": ["messages", "statuses", "phone_number_quality_update"]}),
            )
            .await;
        assert_eq!(res.status(), 201, "{}", b.backend);

        // A (Meta) subscribes B's endpoint; B answers Meta's verification itself.
        let res = a
            .post_json(
                "/api/v1/webhooks",
                &json!({"url": b.url("/webhooks/meta"), "secret": APP_SECRET,
                        "verify_token": VERIFY_TOKEN, "fields": META_FIELDS}),
            )
            .await;
        let status = res.status();
        let sub: Value = res.json().await.unwrap();
        assert_eq!(status, 201, "{}: {sub}", b.backend);

        // A user writes to the number: B stores it under Meta's id and tells its receiver.
        let injected = a
            .inject(
                json!({"from": USER, "type": "text", "text": {"body": "hello"},
                           "profile": {"name": "Kerry"}}),
            )
            .await;
        let meta_inbound = injected["wamid"].as_str().unwrap().to_owned();
        let received = b.wait_status(&meta_inbound, &["received"]).await;
        assert_eq!(received["direction"], "inbound");
        assert_eq!(received["content"]["body"], "hello");

        // B replies: the reply goes through A (Meta), and A's statuses come back to B.
        let reply = send_on(
            &b,
            &pnid,
            json!({"to": USER, "type": "text", "text": {"body": "hi Kerry"},
                   "context": {"message_id": meta_inbound}}),
        )
        .await;
        let read = b.wait_status(&reply, &["read"]).await;
        assert_eq!(read["handovers"], 1, "{}", b.backend);
        assert!(read["delivered_at"].is_string(), "{read}");
        let at_meta = a.wait_messages("direction=outbound", 1).await;
        let at_meta = at_meta
            .iter()
            .find(|m| {
                m["content"]["body"] == "hi Kerry" && m["context_message_id"] == json!(meta_inbound)
            })
            .unwrap_or_else(|| panic!("A got the reply with its context: {at_meta:?}"))
            .clone();
        assert_eq!(at_meta["handovers"], 1);
        assert_ne!(
            at_meta["wamid"],
            json!(reply),
            "B keeps its own id for the message"
        );

        // The user answers B's reply: the context is put back in B's terms.
        a.inject(
            json!({"from": USER, "type": "text", "text": {"body": "thanks"},
                        "context": {"id": at_meta["wamid"]}}),
        )
        .await;
        let thanks = b.wait_messages("direction=inbound", 2).await;
        let thanks = thanks
            .iter()
            .find(|m| m["content"]["body"] == "thanks")
            .unwrap();
        assert_eq!(thanks["context_message_id"], json!(reply), "{}", b.backend);

        // B's own subscribers see B's ids only, in Meta's format.
        let posts = receiver.wait_events(5).await;
        let ids: Vec<String> = posts
            .iter()
            .flat_map(|p| {
                let v = &p.body["entry"][0]["changes"][0]["value"];
                v["statuses"]
                    .as_array()
                    .into_iter()
                    .chain(v["messages"].as_array())
                    .flatten()
                    .map(|x| {
                        format!(
                            "{}:{}",
                            x["id"].as_str().unwrap(),
                            x["status"].as_str().or(x["type"].as_str()).unwrap()
                        )
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        for want in [
            format!("{meta_inbound}:text"),
            format!("{reply}:sent"),
            format!("{reply}:delivered"),
            format!("{reply}:read"),
        ] {
            assert!(ids.contains(&want), "{}: {want} not in {ids:?}", b.backend);
        }

        // Meta fails a message (the user left WhatsApp): B fails it with Meta's code.
        a.inject(json!({"from": "15550001111", "type": "text", "text": {"body": "bye"}}))
            .await;
        b.wait_messages("direction=inbound", 3).await;
        a.configure_sandbox(
            json!({"read_percent": 100, "users": {"15550001111": {"on_whatsapp": false}}}),
        )
        .await;
        let gone = send_on(
            &b,
            &pnid,
            json!({"to": "15550001111", "type": "text", "text": {"body": "are you there?"}}),
        );
        let gone = gone.await;
        let failed = b.wait_status(&gone, &["failed"]).await;
        assert_eq!(failed["error"]["code"], 131026, "{failed}");

        // Templates live at Meta: B passes on one it has not seen; Meta checks it.
        let template = format!("order_update_{}", b.backend);
        a.simple_template(&template, "en_US").await;
        let ok = send_on(
            &b,
            &pnid,
            json!({"to": USER, "type": "template",
                   "template": {"name": template, "language": {"code": "en_US"}}}),
        )
        .await;
        b.wait_status(&ok, &["delivered", "read"]).await;
        let missing = send_on(
            &b,
            &pnid,
            json!({"to": USER, "type": "template",
                   "template": {"name": "no_such_template", "language": {"code": "en_US"}}}),
        )
        .await;
        let failed = b.wait_status(&missing, &["failed"]).await;
        assert_eq!(failed["error"]["code"], 132001, "Meta's refusal: {failed}");

        // What Meta reports about the number itself reaches B's subscribers too.
        let res = a
            .post_json(
                &format!("/sandbox/{pnid}/quality"),
                &json!({"quality_rating": "RED"}),
            )
            .await;
        assert_eq!(res.status(), 200);
        // A's report crosses to B, then B's to its receiver: no one server's drain covers it.
        let flagged = eventually(
            "B passed on Meta's phone_number_quality_update",
            Duration::from_secs(10),
            || async {
                receiver
                    .posts()
                    .into_iter()
                    .find(|p| {
                        p.body["entry"][0]["changes"][0]["field"] == "phone_number_quality_update"
                    })
                    .ok_or_else(|| format!("{} other POSTs", receiver.posts().len()))
            },
        )
        .await;
        assert_eq!(
            flagged.body["entry"][0]["changes"][0]["value"]["event"],
            "FLAGGED"
        );

        let res = a
            .req(
                Method::DELETE,
                &format!("/api/v1/webhooks/{}", sub["id"].as_str().unwrap()),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 204);
        // A is shared by the backends' rounds: back to GREEN for the next one.
        let res = a
            .post_json(
                &format!("/sandbox/{pnid}/quality"),
                &json!({"quality_rating": "GREEN"}),
            )
            .await;
        assert_eq!(res.status(), 200);
        b.stop().await;
    }
    a.stop().await;
}

#[tokio::test]
async fn reports_must_be_signed_and_verification_needs_a_channels_token() {
    let a = spawn_app().await;
    let b = spawn_app().await;
    cloud_channel_on(&b, &a).await;

    // Meta's verification: the challenge for a cloud channel's token, 403 for another.
    let ok = b
        .client
        .get(b.url(&format!(
            "/webhooks/meta?hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=1158201444"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.text().await.unwrap(), "1158201444");
    let wrong = b
        .client
        .get(b.url("/webhooks/meta?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1"))
        .send()
        .await
        .unwrap();
    assert_manage_error(wrong, 403, "forbidden").await;
    for (query, code) in [
        (
            "hub.verify_token=meta-verify-token&hub.challenge=1",
            "invalid_request",
        ),
        (
            "hub.mode=unsubscribe&hub.verify_token=meta-verify-token&hub.challenge=1",
            "invalid_request",
        ),
        (
            "hub.mode=subscribe&hub.verify_token=meta-verify-token",
            "missing_parameter",
        ),
    ] {
        let res = b
            .client
            .get(b.url(&format!("/webhooks/meta?{query}")))
            .send()
            .await
            .unwrap();
        assert_manage_error(res, 400, code).await;
    }

    // A report about the cloud channel's number, signed with another secret: refused,
    // nothing stored.
    let report = serde_json::to_vec(&json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550000000", "phone_number_id": a.phone_number_id},
            "contacts": [{"profile": {"name": "Eve"}, "wa_id": USER}],
            "messages": [{"from": USER, "id": "wamid.Rk9SR0VE", "timestamp": "1750000000",
                          "type": "text", "text": {"body": "forged"}}]}}]}]
    }))
    .unwrap();
    let post = |sig: Option<String>, body: Vec<u8>| {
        let mut req = b
            .client
            .post(b.url("/webhooks/meta"))
            .header("content-type", "application/json")
            .body(body);
        if let Some(sig) = sig {
            req = req.header("x-hub-signature-256", sig);
        }
        req.send()
    };
    let forged = post(Some(signature(b"not-the-secret", &report)), report.clone())
        .await
        .unwrap();
    assert_manage_error(forged, 401, "webhook_signature_invalid").await;
    let unsigned = post(None, report.clone()).await.unwrap();
    assert_manage_error(unsigned, 401, "webhook_signature_invalid").await;
    assert!(b.messages("direction=inbound").await.is_empty());

    // A body over Meta's 3 MiB (with room) is refused before it is read.
    let huge = vec![b' '; 5 * 1024 * 1024];
    let res = post(Some(signature(APP_SECRET.as_bytes(), &huge)), huge)
        .await
        .unwrap();
    assert_eq!(res.status(), 413);

    // A report about a number wagate does not serve is acknowledged and ignored.
    let elsewhere = serde_json::to_vec(&json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
            "metadata": {"phone_number_id": "999000999000"},
            "messages": [{"from": USER, "id": "wamid.RUxTRVdIRVJF", "type": "text",
                          "text": {"body": "not for us"}}]}}]}]
    }))
    .unwrap();
    let res = post(Some(signature(b"any", &elsewhere)), elsewhere)
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(b.messages("direction=inbound").await.is_empty());

    // Malformed bodies are refused whatever the signature.
    let garbage = post(Some(signature(APP_SECRET.as_bytes(), b"{")), b"{".to_vec())
        .await
        .unwrap();
    assert_manage_error(garbage, 400, "invalid_request").await;

    // Signed with the app secret: stored once, a redelivery changes nothing.
    for _ in 0..2 {
        let res = post(
            Some(signature(APP_SECRET.as_bytes(), &report)),
            report.clone(),
        )
        .await
        .unwrap();
        assert_eq!(res.status(), 200);
    }
    let stored = b.messages("direction=inbound").await;
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(stored[0]["wamid"], "wamid.Rk9SR0VE");

    // A status of a message wagate never sent (another app on the number) is acknowledged
    // and ignored.
    let status = serde_json::to_vec(&json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
            "metadata": {"phone_number_id": a.phone_number_id},
            "statuses": [{"id": "wamid.T1RIRVI=", "status": "delivered", "timestamp": "1750000000",
                          "recipient_id": USER}]}}]}]
    }))
    .unwrap();
    let res = post(Some(signature(APP_SECRET.as_bytes(), &status)), status)
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    // Meta's pricing replaces wagate's estimate. The user writes now, opening the window,
    // so wagate estimates a reply as free service; Meta bills it as utility on its `sent`
    // (no progress: wagate recorded `sent` at hand-over, and keeps that time).
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string();
    let hello = serde_json::to_vec(&json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
            "metadata": {"phone_number_id": a.phone_number_id},
            "contacts": [{"profile": {"name": "Eve"}, "wa_id": USER}],
            "messages": [{"from": USER, "id": "wamid.SEVMTE8=", "timestamp": now,
                          "type": "text", "text": {"body": "hello"}}]}}]}]
    }))
    .unwrap();
    let res = post(Some(signature(APP_SECRET.as_bytes(), &hello)), hello)
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let reply = send_on(
        &b,
        &a.phone_number_id,
        json!({"to": USER, "type": "text", "text": {"body": "priced"}}),
    )
    .await;
    let handed = b.wait_status(&reply, &["sent"]).await;
    assert_eq!(handed["pricing"]["category"], "service", "{handed}");
    let upstream = a.wait_messages("direction=outbound", 1).await[0]["wamid"].clone();
    let priced = serde_json::to_vec(&json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
            "metadata": {"phone_number_id": a.phone_number_id},
            "statuses": [{"id": upstream, "status": "sent", "timestamp": "1750000000",
                          "recipient_id": USER,
                          "conversation": {"id": "c-utility", "expiration_timestamp": "1750086400",
                                           "origin": {"type": "utility"}},
                          "pricing": {"billable": true, "pricing_model": "PMP",
                                      "category": "utility", "type": "regular"}}]}}]}]
    }))
    .unwrap();
    let res = post(Some(signature(APP_SECRET.as_bytes(), &priced)), priced)
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // B may still be applying the report it acknowledged.
    let m = eventually(
        "B applied Meta's pricing",
        Duration::from_secs(10),
        || async {
            let m = b.message(&reply).await;
            if m["pricing"]["category"] == "utility" {
                Ok(m)
            } else {
                Err(m)
            }
        },
    )
    .await;
    assert_eq!(
        m["pricing"],
        json!({"billable": true, "pricing_model": "PMP", "type": "regular", "category": "utility"}),
        "{m}"
    );
    assert_eq!(m["conversation"]["id"], "c-utility", "{m}");
    assert_eq!(m["status"], "sent");
    assert_eq!(m["sent_at"], handed["sent_at"]);
    b.stop().await;
    a.stop().await;
}

/// A PNG: the signature, an IHDR chunk, then filler.
fn png() -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0".to_vec();
    b.extend(std::iter::repeat_n(0x5a, 2048));
    b
}

/// The bytes behind a media id, through the Cloud API (`GET /{id}`, then its `url`).
async fn download(app: &TestApp, id: &str) -> Vec<u8> {
    let info: Value = app.get(&format!("/v23.0/{id}")).await.json().await.unwrap();
    let url = info["url"]
        .as_str()
        .unwrap_or_else(|| panic!("{id}: {info}"));
    let res = app
        .client
        .get(url)
        .bearer_auth(&app.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.bytes().await.unwrap().to_vec()
}

#[tokio::test]
async fn media_crosses_to_meta_and_back_as_each_sides_own_ids() {
    let a = spawn_app().await;
    a.configure_sandbox(json!({"read_percent": 100})).await;
    let b = spawn_app().await;
    let pnid = a.phone_number_id.clone();
    cloud_channel_on(&b, &a).await;
    let res = a
        .post_json(
            "/api/v1/webhooks",
            &json!({"url": b.url("/webhooks/meta"), "secret": APP_SECRET,
                    "verify_token": VERIFY_TOKEN}),
        )
        .await;
    assert_eq!(res.status(), 201);

    // A user sends a picture: B downloads it from Meta and keeps it under its own id.
    let injected = a
        .inject(json!({"from": USER, "type": "image", "image": {"caption": "my cat"}}))
        .await;
    let meta_media = injected["content"]["id"].as_str().unwrap().to_owned();
    let at_b = b
        .wait_status(injected["wamid"].as_str().unwrap(), &["received"])
        .await;
    let b_media = at_b["content"]["id"].as_str().unwrap().to_owned();
    assert_ne!(b_media, meta_media, "B serves the file under its own id");
    assert_eq!(at_b["content"]["caption"], "my cat");
    assert_eq!(
        download(&b, &b_media).await,
        download(&a, &meta_media).await
    );

    // B's user uploads a file to B and sends it twice by id: Meta gets the file once, under
    // Meta's own id.
    let form = reqwest::multipart::Form::new()
        .text("messaging_product", "whatsapp")
        .part(
            "file",
            reqwest::multipart::Part::bytes(png())
                .file_name("pic.png")
                .mime_str("image/png")
                .unwrap(),
        );
    let res = b
        .req(Method::POST, &format!("/v23.0/{pnid}/media"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let uploaded = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut sent = Vec::new();
    for caption in ["one", "two"] {
        let wamid = send_on(
            &b,
            &pnid,
            json!({"to": USER, "type": "image", "image": {"id": uploaded, "caption": caption}}),
        )
        .await;
        b.wait_status(&wamid, &["delivered", "read"]).await;
        sent.push(wamid);
    }
    let at_meta = a.wait_messages("direction=outbound", 2).await;
    let ids: Vec<&str> = at_meta
        .iter()
        .map(|m| m["content"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 2);
    assert_eq!(ids[0], ids[1], "uploaded to Meta once");
    assert_ne!(ids[0], uploaded, "Meta's id, not B's");
    assert_eq!(download(&a, ids[0]).await, png());
    b.stop().await;
    a.stop().await;
}

#[tokio::test]
async fn calls_meta_owns_about_a_cloud_number_are_answered_by_meta() {
    let a = spawn_app().await;
    let b = spawn_app().await;
    let pnid = a.phone_number_id.clone();
    cloud_channel_on(&b, &a).await;
    let waba: String = a
        .get("/api/v1/channels")
        .await
        .json::<Value>()
        .await
        .unwrap()["data"][0]["waba_id"]
        .as_str()
        .unwrap()
        .to_owned();

    // A template created through B is created at Meta, which reviews it.
    let res = b
        .post_json(
            &format!("/v23.0/{waba}/message_templates"),
            &json!({"name": "shipping_update", "language": "en_US", "category": "UTILITY",
                    "components": [{"type": "BODY", "text": "Your parcel is on its way."}]}),
        )
        .await;
    let status = res.status();
    let created: Value = res.json().await.unwrap();
    assert_eq!(status, 200, "{created}");
    let id = created["id"].as_str().unwrap();
    let at_meta: Value = a.get(&format!("/v23.0/{id}")).await.json().await.unwrap();
    assert_eq!(at_meta["name"], "shipping_update", "{at_meta}");
    let listed: Value = b
        .get(&format!(
            "/v23.0/{waba}/message_templates?name=shipping_update"
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["data"][0]["id"], json!(id), "{listed}");

    // By its id alone: B does not know the template, so Meta answers for the cloud WABA.
    let by_id: Value = b.get(&format!("/v23.0/{id}")).await.json().await.unwrap();
    assert_eq!(by_id["name"], "shipping_update", "{by_id}");
    assert_eq!(by_id, at_meta);
    // A template of B's own (its sandbox WABA) is still B's; an id nobody knows is
    // Graph's unknown object, as Meta answered it.
    let channels: Value = b.get("/api/v1/channels").await.json().await.unwrap();
    let own_waba = channels["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["upstream"]["kind"] == "sandbox")
        .unwrap()["waba_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(own_waba, waba);
    let own = b
        .post_json(
            &format!("/v23.0/{own_waba}/message_templates"),
            &json!({"name": "local_only", "language": "en_US", "category": "UTILITY",
                    "components": [{"type": "BODY", "text": "Kept by wagate."}]}),
        )
        .await
        .json::<Value>()
        .await
        .unwrap();
    let own_id = own["id"].as_str().unwrap();
    let local: Value = b
        .get(&format!("/v23.0/{own_id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(local["name"], "local_only", "{local}");
    let res = b.get("/v23.0/123456789012345").await;
    assert_eq!(res.status(), 400);
    let unknown: Value = res.json().await.unwrap();
    assert_eq!(
        (
            &unknown["error"]["code"],
            &unknown["error"]["error_subcode"]
        ),
        (&json!(100), &json!(33)),
        "{unknown}"
    );

    // Meta's refusals come back as Meta wrote them.
    let res = b
        .post_json(
            &format!("/v23.0/{waba}/message_templates"),
            &json!({"name": "Bad Name!", "language": "en_US", "category": "UTILITY",
                    "components": [{"type": "BODY", "text": "x"}]}),
        )
        .await;
    let via_b = (res.status(), res.json::<Value>().await.unwrap());
    let res = a
        .post_json(
            &format!("/v23.0/{waba}/message_templates"),
            &json!({"name": "Bad Name!", "language": "en_US", "category": "UTILITY",
                    "components": [{"type": "BODY", "text": "x"}]}),
        )
        .await;
    let direct = (res.status(), res.json::<Value>().await.unwrap());
    assert_eq!(via_b.0, direct.0);
    assert_eq!(
        via_b.1["error"]["code"], direct.1["error"]["code"],
        "{via_b:?}"
    );
    assert_eq!(
        via_b.1["error"]["error_subcode"],
        direct.1["error"]["error_subcode"]
    );

    // The number's own fields are Meta's.
    let via_b: Value = b
        .get(&format!(
            "/v23.0/{pnid}?fields=verified_name,quality_rating"
        ))
        .await
        .json()
        .await
        .unwrap();
    let direct: Value = a
        .get(&format!(
            "/v23.0/{pnid}?fields=verified_name,quality_rating"
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(via_b, direct);

    // So are the WABA's analytics: B keeps no figures of a cloud WABA (nor knows Meta's
    // template), so an answer equal to A's, with A's send in it, came from A.
    a.configure_sandbox(json!({})).await;
    a.simple_template("meta_side", "en").await;
    let sent = a
        .send(json!({"to": USER, "type": "template",
                     "template": {"name": "meta_side", "language": {"code": "en"}}}))
        .await;
    a.wait_status(&sent, &["read"]).await;
    let now = wagate_core::Timestamp::now().as_second();
    let (start, end) = ((now - 86_400).to_string(), (now + 86_400).to_string());
    let fields = format!("analytics.start({start}).end({end}).granularity(DAY)");
    let ids = format!("[\"{id}\"]");
    for (path, query) in [
        (format!("/v23.0/{waba}"), vec![("fields", fields.as_str())]),
        (
            format!("/v23.0/{waba}/template_analytics"),
            vec![
                ("start", start.as_str()),
                ("end", end.as_str()),
                ("granularity", "DAILY"),
                ("template_ids", ids.as_str()),
            ],
        ),
    ] {
        let ask = |app: &TestApp| app.req(Method::GET, &path).query(&query).send();
        let res = ask(&b).await.unwrap();
        let via_b = (res.status(), res.json::<Value>().await.unwrap());
        let res = ask(&a).await.unwrap();
        let direct = (res.status(), res.json::<Value>().await.unwrap());
        assert_eq!(via_b.0, 200, "{path}: {:?}", via_b.1);
        assert_eq!(via_b, direct, "{path}");
    }
    let res = b
        .req(Method::GET, &format!("/v23.0/{waba}"))
        .query(&[("fields", fields.as_str())])
        .send()
        .await
        .unwrap();
    let analytics = res.json::<Value>().await.unwrap();
    let sends: i64 = analytics["analytics"]["data_points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["sent"].as_i64().unwrap())
        .sum();
    assert_eq!(sends, 1, "A's send, as A counts it: {analytics}");

    // A key of B's that may not use the cloud number is answered by B: nothing reaches Meta.
    let sandbox_channel: Value = b
        .get("/api/v1/channels")
        .await
        .json::<Value>()
        .await
        .unwrap()["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["upstream"]["kind"] == "sandbox")
        .unwrap()
        .clone();
    let res = b
        .post_json(
            "/api/v1/api-keys",
            &json!({"name": "sandbox only", "channel_ids": [sandbox_channel["id"]]}),
        )
        .await;
    let scoped = res.json::<Value>().await.unwrap()["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = b
        .with_key(
            Method::POST,
            &format!("/v23.0/{waba}/message_templates"),
            &scoped,
        )
        .json(
            &json!({"name": "sneaky", "language": "en_US", "category": "UTILITY",
                      "components": [{"type": "BODY", "text": "hi"}]}),
        )
        .send()
        .await
        .unwrap();
    assert_ne!(res.status(), 200);
    let at_meta: Value = a
        .get(&format!("/v23.0/{waba}/message_templates?name=sneaky"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(at_meta["data"], json!([]), "{at_meta}");
    let res = b
        .with_key(Method::GET, &format!("/v23.0/{id}"), &scoped)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        400,
        "Meta's template is not that key's to see"
    );
    b.stop().await;
    a.stop().await;
}

/// A "Meta" that answers its first sends 200 with an HTML page (an intercepting proxy),
/// then as Graph does. The message is retried (131000 is), not failed, and goes out.
#[tokio::test]
async fn a_2xx_that_is_not_graphs_answer_is_retried() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::Router;
    use axum::routing::post;

    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let fake = Router::new().route(
        "/{version}/{pnid}/messages",
        post(move || {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            async move {
                if n < 2 {
                    (
                        [("content-type", "text/html")],
                        "<html>Welcome to the hotel network</html>".to_owned(),
                    )
                } else {
                    (
                        [("content-type", "application/json")],
                        r#"{"messaging_product":"whatsapp","contacts":[{"input":"16505551234","wa_id":"16505551234"}],"messages":[{"id":"wamid.SEFORExFRA=="}]}"#.to_owned(),
                    )
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let fake_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, fake).await.unwrap() });

    for b in crate::helpers::spawn_apps_with(|c| {
        c.dispatch.backoff_base_ms = 20;
        c.dispatch.backoff_max_ms = 50;
    })
    .await
    {
        let pnid = "106540352242922";
        let res = b
            .post_json(
                "/api/v1/channels",
                &json!({"verified_name": "Acme via Meta", "phone_number_id": pnid,
                    "waba_id": "102290129340398", "display_phone_number": "+15550109999",
                    "upstream": {"kind": "cloud", "base_url": fake_url, "access_token": "EAAG-test",
                                 "app_secret": APP_SECRET, "verify_token": VERIFY_TOKEN}}),
            )
            .await;
        assert_eq!(res.status(), 201);
        // The user writes first (a report from "Meta"), opening the window.
        let now_secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            .to_string();
        let report = serde_json::to_vec(&json!({
            "object": "whatsapp_business_account",
            "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "15550109999", "phone_number_id": pnid},
                "contacts": [{"profile": {"name": "Eve"}, "wa_id": USER}],
                "messages": [{"from": USER, "id": "wamid.SEkgVEhFUkU=", "timestamp": now_secs,
                              "type": "text", "text": {"body": "hi"}}]}}]}]
        }))
        .unwrap();
        let res = b
            .client
            .post(b.url("/webhooks/meta"))
            .header("content-type", "application/json")
            .header(
                "x-hub-signature-256",
                signature(APP_SECRET.as_bytes(), &report),
            )
            .body(report)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        calls.store(0, Ordering::SeqCst);
        let wamid = send_on(
            &b,
            pnid,
            json!({"to": USER, "type": "text", "text": {"body": "hello"}}),
        )
        .await;
        // B's dispatch is driven rather than awaited: each drain a second further on, past
        // the retry (20 to 75 ms) the one before scheduled; three calls in all are needed.
        for ahead in 1..=3 {
            b.app
                .drain_at(from_now(Duration::from_secs(ahead)))
                .await
                .unwrap();
        }
        let m = b.message(&wamid).await;
        assert_eq!(m["status"], "sent", "{}: {m}", b.backend);
        assert_eq!(
            calls.load(Ordering::SeqCst),
            3,
            "two unreadable answers, then Graph's"
        );
        b.stop().await;
    }
}

/// A user's image whose file Meta cannot give (a media id Meta does not know) reaches
/// subscribers as Meta reports a message it cannot deliver (`unsupported`, error 131052),
/// never as an image without its id.
#[tokio::test]
async fn an_inbound_file_that_cannot_be_downloaded_is_reported_as_unsupported() {
    let a = spawn_app().await;
    let b = spawn_app().await;
    cloud_channel_on(&b, &a).await;
    let receiver = Receiver::start().await;
    let res = b
        .post_json(
            "/api/v1/webhooks",
            &json!({"url": receiver.url, "secret": SECRET, "verify_token": TOKEN}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let report = serde_json::to_vec(&json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550000000", "phone_number_id": a.phone_number_id},
            "contacts": [{"profile": {"name": "Eve"}, "wa_id": USER}],
            "messages": [{"from": USER, "id": "wamid.SU1BR0UtR09ORQ==", "timestamp": "1750000000",
                          "type": "image", "image": {"id": "987654321987654", "mime_type": "image/jpeg",
                                                     "sha256": "abc", "caption": "my receipt"}}]}}]}]
    }))
    .unwrap();
    let res = b
        .client
        .post(b.url("/webhooks/meta"))
        .header("content-type", "application/json")
        .header(
            "x-hub-signature-256",
            signature(APP_SECRET.as_bytes(), &report),
        )
        .body(report)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let posts = receiver.wait(1).await;
    let m = &posts[0].body["entry"][0]["changes"][0]["value"]["messages"][0];
    assert_eq!(m["type"], "unsupported", "{m}");
    assert!(m.get("image").is_none(), "{m}");
    assert_eq!(m["errors"][0]["code"], 131052, "{m}");
    assert_eq!(m["errors"][0]["title"], "Media download error");
    assert!(
        m["errors"][0]["error_data"]["details"]
            .as_str()
            .unwrap()
            .contains("could not be downloaded"),
        "{m}"
    );
}
