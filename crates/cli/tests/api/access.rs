//! Who may call what: every management route and the Cloud plane's routes, each called with
//! each kind of key — admin, account-wide, limited to one channel, another account's, and
//! revoked — and the answer checked against the rule (issue 16, defect 2: a channel-scoped
//! key could reconfigure its channel).

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_apps};
use crate::receiver::{Receiver, SECRET, TOKEN};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Admin,
    AccountWide,
    Scoped,
    OtherAccount,
    Revoked,
}

const KINDS: [Kind; 5] = [
    Kind::Revoked,
    Kind::OtherAccount,
    Kind::Scoped,
    Kind::AccountWide,
    Kind::Admin,
];

/// Who a route is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Needs {
    /// Any key that may use the channel (a channel-scoped one included).
    Channel,
    /// An account-wide key.
    AccountWide,
    /// An admin key.
    Admin,
}

struct Route {
    method: Method,
    path: String,
    body: Option<Value>,
    needs: Needs,
    /// The path names this account's objects (another account's key must not find them).
    ours: bool,
}

fn route(method: Method, path: &str, body: Option<Value>, needs: Needs, ours: bool) -> Route {
    Route {
        method,
        path: path.to_owned(),
        body,
        needs,
        ours,
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Expect {
    Allowed,
    Unauthenticated,
    Forbidden,
    NotFound,
}

fn expect(r: &Route, kind: Kind) -> Expect {
    match kind {
        Kind::Revoked => Expect::Unauthenticated,
        Kind::Admin => Expect::Allowed,
        Kind::AccountWide if r.needs == Needs::Admin => Expect::Forbidden,
        Kind::AccountWide => Expect::Allowed,
        Kind::Scoped if r.needs == Needs::Channel => Expect::Allowed,
        Kind::Scoped => Expect::Forbidden,
        Kind::OtherAccount if r.needs == Needs::Admin => Expect::Forbidden,
        Kind::OtherAccount if r.ours => Expect::NotFound,
        Kind::OtherAccount => Expect::Allowed,
    }
}

/// What the answer was, in the terms of [`Expect`], for either plane.
fn observed(cloud: bool, status: u16, body: &Value) -> Expect {
    let graph_code = body["error"]["code"].as_u64();
    match (cloud, status) {
        (_, 401) => Expect::Unauthenticated,
        (_, 403) => Expect::Forbidden,
        (false, 404) => Expect::NotFound,
        (true, _) if graph_code == Some(100) && body["error"]["error_subcode"] == 33 => {
            Expect::NotFound
        }
        (true, 404) => Expect::NotFound,
        _ => Expect::Allowed,
    }
}

async fn key(app: &TestApp, body: Value) -> (String, String) {
    let res = app.post_json("/api/v1/api-keys", &body).await;
    assert_eq!(res.status(), 201);
    let k: Value = res.json().await.unwrap();
    (
        k["key"].as_str().unwrap().to_owned(),
        k["id"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn every_route_answers_each_kind_of_key_by_the_rule() {
    for app in spawn_apps().await {
        app.configure_sandbox(json!({})).await;
        let channels: Value = app.get("/api/v1/channels").await.json().await.unwrap();
        let channel = channels["data"][0].clone();
        let ch = channel["id"].as_str().unwrap().to_owned();
        let waba = channel["waba_id"].as_str().unwrap().to_owned();
        let pnid = app.phone_number_id.clone();
        let user = "16505559001";
        app.inject(json!({"from": user, "type": "text", "text": {"body": "hi"}}))
            .await;
        let wamid = app
            .send(json!({"to": user, "type": "text", "text": {"body": "hello"}}))
            .await;
        let receiver = Receiver::start().await;
        let res = app
            .post_json(
                "/api/v1/webhooks",
                &json!({"url": receiver.url, "secret": SECRET, "verify_token": TOKEN}),
            )
            .await;
        assert_eq!(res.status(), 201);
        let sub: Value = res.json().await.unwrap();
        let sub = sub["id"].as_str().unwrap().to_owned();

        let (wide, wide_id) = key(&app, json!({"name": "ops"})).await;
        let (scoped, _) = key(&app, json!({"name": "bot", "channel_ids": [ch]})).await;
        let (revoked, revoked_id) = key(&app, json!({"name": "old"})).await;
        let res = app
            .req(Method::DELETE, &format!("/api/v1/api-keys/{revoked_id}"))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success());
        let (_, other) = app.other_account().await;

        let text = json!({"messaging_product": "whatsapp", "to": user, "type": "text",
                          "text": {"body": "again"}});
        let routes = [
            route(Method::GET, "/api/v1/account", None, Needs::Channel, false),
            route(Method::GET, "/api/v1/whoami", None, Needs::Channel, false),
            route(Method::GET, "/api/v1/channels", None, Needs::Channel, false),
            route(
                Method::GET,
                &format!("/api/v1/channels/{ch}"),
                None,
                Needs::Channel,
                true,
            ),
            route(
                Method::PATCH,
                &format!("/api/v1/channels/{ch}"),
                Some(json!({"throughput_mps": 80})),
                Needs::AccountWide,
                true,
            ),
            route(
                Method::POST,
                "/api/v1/channels",
                Some(json!({"verified_name": "Another"})),
                Needs::AccountWide,
                false,
            ),
            route(
                Method::GET,
                "/api/v1/api-keys",
                None,
                Needs::AccountWide,
                false,
            ),
            route(
                Method::GET,
                &format!("/api/v1/api-keys/{wide_id}"),
                None,
                Needs::AccountWide,
                true,
            ),
            route(
                Method::POST,
                "/api/v1/api-keys",
                Some(json!({"name": "made"})),
                Needs::AccountWide,
                false,
            ),
            route(
                Method::POST,
                "/api/v1/api-keys",
                Some(json!({"name": "made admin", "admin": true})),
                Needs::Admin,
                false,
            ),
            route(Method::GET, "/api/v1/audit-log", None, Needs::Admin, false),
            route(Method::GET, "/api/v1/messages", None, Needs::Channel, false),
            route(
                Method::GET,
                &format!("/api/v1/messages/{wamid}"),
                None,
                Needs::Channel,
                true,
            ),
            route(
                Method::GET,
                &format!("/api/v1/messages/{wamid}/deliveries"),
                None,
                Needs::Channel,
                true,
            ),
            route(
                Method::GET,
                "/api/v1/webhooks",
                None,
                Needs::AccountWide,
                false,
            ),
            route(
                Method::GET,
                &format!("/api/v1/webhooks/{sub}"),
                None,
                Needs::AccountWide,
                true,
            ),
            route(
                Method::PATCH,
                &format!("/api/v1/webhooks/{sub}"),
                Some(json!({"batch_size": 1})),
                Needs::AccountWide,
                true,
            ),
            route(
                Method::GET,
                &format!("/api/v1/webhooks/{sub}/deliveries"),
                None,
                Needs::AccountWide,
                true,
            ),
            route(
                Method::POST,
                &format!("/api/v1/webhooks/{sub}/replay"),
                Some(json!({})),
                Needs::AccountWide,
                true,
            ),
            // The Cloud plane.
            route(
                Method::GET,
                &format!("/v23.0/{pnid}"),
                None,
                Needs::Channel,
                true,
            ),
            route(
                Method::POST,
                &format!("/v23.0/{pnid}/messages"),
                Some(text.clone()),
                Needs::Channel,
                true,
            ),
            route(
                Method::GET,
                &format!("/v23.0/{pnid}/whatsapp_business_profile"),
                None,
                Needs::Channel,
                true,
            ),
            route(
                Method::GET,
                &format!("/v23.0/{pnid}/settings"),
                None,
                Needs::Channel,
                true,
            ),
            // Reading the channel's WABA (its templates, to send them) is the channel's.
            route(
                Method::GET,
                &format!("/v23.0/{waba}/message_templates"),
                None,
                Needs::Channel,
                true,
            ),
            route(
                Method::POST,
                &format!("/v23.0/{waba}/message_templates"),
                Some(
                    json!({"name": "access_check", "language": "en_US", "category": "UTILITY",
                            "components": [{"type": "BODY", "text": "Your order is ready."}]}),
                ),
                Needs::AccountWide,
                true,
            ),
            route(
                Method::GET,
                &format!("/v23.0/{waba}"),
                None,
                Needs::Channel,
                true,
            ),
        ];

        let mut wrong = Vec::new();
        for r in &routes {
            let cloud = r.path.starts_with("/v23.0");
            for kind in KINDS {
                let secret = match kind {
                    Kind::Admin => app.api_key.as_str(),
                    Kind::AccountWide => wide.as_str(),
                    Kind::Scoped => scoped.as_str(),
                    Kind::OtherAccount => other.as_str(),
                    Kind::Revoked => revoked.as_str(),
                };
                let mut req = app.with_key(r.method.clone(), &r.path, secret);
                if let Some(body) = &r.body {
                    req = req.json(body);
                }
                let res = req.send().await.unwrap();
                let status = res.status().as_u16();
                let body: Value = res.json().await.unwrap_or(Value::Null);
                let want = expect(r, kind);
                let got = observed(cloud, status, &body);
                if got != want {
                    wrong.push(format!(
                        "{} {} as {kind:?}: want {want:?}, got {status} {body}",
                        r.method, r.path
                    ));
                }
                if cloud && status >= 400 {
                    assert!(
                        body["error"]["fbtrace_id"].is_string(),
                        "Graph's shape: {body}"
                    );
                } else if status >= 400 {
                    assert!(body["error"]["code"].is_string(), "the envelope: {body}");
                }
            }
        }
        assert!(
            wrong.is_empty(),
            "{}: {} of {} answers broke the rule:\n{}",
            app.backend,
            wrong.len(),
            routes.len() * KINDS.len(),
            wrong.join("\n")
        );
        app.stop().await;
    }
}
