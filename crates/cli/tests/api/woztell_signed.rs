//! The WOZTELL dialect's signed context (`X-Woztell-Payload` + `X-Woztell-SignedContext`),
//! over real HTTP on SQLite and PostgreSQL: a channel's secret issued, shown and revoked on
//! the management plane; a good signature sets the business key (effect read back with an
//! API key); bad, stale, foreign, rotated-away and revoked signatures refused with WOZTELL's
//! `UNAUTHORIZED` and nothing changed.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use reqwest::{Method, Response};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::helpers::{TestApp, spawn_apps};

const BASE: &str = "/compat/woztell/v1.2/api";

const KEY: &str = "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAls1409DedWXmHnt0Pb6s\nIdGkL6pFXxd5vPxrk/CChQssCGLK7jEPQwzhAZ/La7Cg/IvxjxvgC8DD3v8ZniU7\nHu5xPftKm3rEvNRwstRHaoPF+CNxHzHMy2DkgdVxvnBI6qtEjn+yZXdEOHhGHejH\nEf0EfFSMoyCaXea4E3LqvOE8iJ42uNtC7D4TmyeE+dTKudclswNA3QDA0zLH1M+Y\n9Oxv06FgD9S8gmvSwJgn3hfwLc/j5Dj5Qr6NAd9dRMQGLGeFEbg/JJXAVaAAxFlb\nvITHRG1ynRZDcrAri377Z+HS8G43o3TmrPyD0zRXQFbHCu+kOH5DBs3yFRcFjA7L\nwQIDAQAB\n-----END PUBLIC KEY-----";

/// `(X-Woztell-Payload, X-Woztell-SignedContext)` for `channel` at `iat`, as the README
/// defines them: base64 of the JSON payload; hex HMAC-SHA256 of that text under the secret.
fn signed(secret: &str, channel: &str, iat: i64) -> (String, String) {
    let payload = STANDARD.encode(json!({"channelId": channel, "iat": iat}).to_string());
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(payload.as_bytes());
    (payload, hex::encode(mac.finalize().into_bytes()))
}

async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    headers: Option<&(String, String)>,
    body: Option<&Value>,
) -> Response {
    let mut req = app
        .client
        .request(method, app.url(&format!("{BASE}{path}")));
    if let Some((payload, signature)) = headers {
        req = req
            .header("X-Woztell-Payload", payload)
            .header("X-Woztell-SignedContext", signature);
    }
    if let Some(body) = body {
        req = req.json(body);
    }
    req.send().await.unwrap()
}

async fn unauthorized(res: Response) {
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["ok"], 0, "{body}");
    assert_eq!(body["error"]["code"], "UNAUTHORIZED", "{body}");
}

/// Sets the business key with a signed context.
async fn set_key(app: &TestApp, ctx: &(String, String), key: &str) -> Response {
    call(
        app,
        Method::POST,
        "/whatsapp-business-encryption",
        Some(ctx),
        Some(&json!({"publicKey": key})),
    )
    .await
}

/// The channel's business key as an account-wide API key reads it.
async fn stored_key(app: &TestApp, channel: &str) -> Value {
    let res = app
        .client
        .get(app.url(&format!(
            "{BASE}/whatsapp-business-encryption?accessToken={}&channelId={channel}",
            app.api_key
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    body["data"].clone()
}

async fn issue(app: &TestApp, channel: &str) -> String {
    let res = app
        .post_json(
            &format!("/api/v1/channels/{channel}/woztell-secret"),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["channel_id"], channel);
    assert!(body["issued_at"].is_string(), "{body}");
    body["secret"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_signed_context_acts_for_its_channel_only() {
    for app in spawn_apps().await {
        let list: Value = app.get("/api/v1/channels").await.json().await.unwrap();
        let ch = list["data"][0]["id"].as_str().unwrap().to_owned();
        let second = app.create_channel(&app.api_key, "Second Shop").await;
        let second_id = second["id"].as_str().unwrap().to_owned();
        let (_, other_key) = app.other_account().await;
        let foreign = app.create_channel(&other_key, "Elsewhere").await;
        let foreign_id = foreign["id"].as_str().unwrap().to_owned();
        let now = app.app.now().as_second();
        let secret_path = format!("/api/v1/channels/{ch}/woztell-secret");

        // No secret yet: the status says so, and a signed context is refused.
        let status: Value = app.get(&secret_path).await.json().await.unwrap();
        assert_eq!(
            status,
            json!({"channel_id": ch, "set": false, "issued_at": null})
        );
        unauthorized(set_key(&app, &signed("guess", &ch, now), KEY).await).await;

        // A key limited to the channel may not issue one.
        let res = app
            .post_json(
                "/api/v1/api-keys",
                &json!({"name": "scoped", "channel_ids": [ch]}),
            )
            .await;
        let scoped: Value = res.json().await.unwrap();
        let res = app
            .with_key(Method::POST, &secret_path, scoped["key"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403);
        // Another account's key does not see the channel.
        let res = app
            .with_key(Method::POST, &secret_path, &other_key)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404);
        let status: Value = app.get(&secret_path).await.json().await.unwrap();
        assert_eq!(status["set"], false);

        // Issued: shown once; the status never shows it again.
        let secret = issue(&app, &ch).await;
        let status: Value = app.get(&secret_path).await.json().await.unwrap();
        assert_eq!(status["set"], true);
        assert!(status["issued_at"].is_string());
        assert!(status.get("secret").is_none(), "{status}");
        assert!(!status.to_string().contains(&secret));

        // A good signature: the key is set on that channel, and only there.
        let good = signed(&secret, &ch, now);
        assert_eq!(stored_key(&app, &ch).await, json!([]));
        let res = set_key(&app, &good, KEY).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.json::<Value>().await.unwrap(), json!({"ok": 1}));
        let expected = json!([{"business_public_key": KEY,
            "business_public_key_signature_status": "VALID"}]);
        assert_eq!(stored_key(&app, &ch).await, expected);
        assert_eq!(stored_key(&app, &second_id).await, json!([]));
        // A read with it, naming the channel or not.
        for path in [
            "/whatsapp-business-encryption".to_owned(),
            format!("/whatsapp-business-encryption?channelId={ch}"),
        ] {
            let res = call(&app, Method::GET, &path, Some(&good), None).await;
            assert_eq!(res.status(), 200);
            let body: Value = res.json().await.unwrap();
            assert_eq!(body["data"], expected);
        }

        // Refused, each changing nothing: a flipped signature, a payload altered after
        // signing, one header alone, another secret, stale and future iat, a foreign
        // channel named by the call or in the payload.
        let now = app.app.now().as_second();
        let other_key_pem = KEY.replacen("ls14", "ls15", 1);
        let mut flipped = good.clone();
        flipped
            .1
            .replace_range(0..1, if flipped.1.starts_with('0') { "1" } else { "0" });
        let altered = (signed(&secret, &second_id, now).0, good.1.clone());
        let refused = [
            flipped,
            altered,
            (good.0.clone(), String::new()),
            (good.0.clone(), "not hex".to_owned()),
            signed("another-secret", &ch, now),
            // (300 s either way is the limit; the margin covers the test's own time.)
            signed(&secret, &ch, now - 330),
            signed(&secret, &ch, now + 330),
            signed(&secret, &second_id, now),
            signed(&secret, &foreign_id, now),
            ("bm90IGpzb24=".to_owned(), good.1.clone()),
        ];
        for ctx in &refused {
            unauthorized(set_key(&app, ctx, &other_key_pem).await).await;
        }
        let res = call(
            &app,
            Method::POST,
            "/whatsapp-business-encryption",
            None,
            Some(&json!({"publicKey": other_key_pem})),
        )
        .await;
        unauthorized(res).await;
        let res = app
            .client
            .post(app.url(&format!("{BASE}/whatsapp-business-encryption")))
            .header("X-Woztell-Payload", &good.0)
            .json(&json!({"publicKey": other_key_pem}))
            .send()
            .await
            .unwrap();
        unauthorized(res).await;
        // The signed channel naming another one (this account's or another's).
        for named in [
            format!("channelId={second_id}"),
            format!("channelId={foreign_id}"),
            format!(
                "phoneNumberId={}",
                foreign["phone_number_id"].as_str().unwrap()
            ),
        ] {
            let res = call(
                &app,
                Method::POST,
                &format!("/whatsapp-business-encryption?{named}"),
                Some(&good),
                Some(&json!({"publicKey": other_key_pem})),
            )
            .await;
            unauthorized(res).await;
        }
        // An endpoint the seed does not sign takes accessToken only.
        let res = call(&app, Method::GET, "/waba-info", Some(&good), None).await;
        unauthorized(res).await;
        assert_eq!(stored_key(&app, &ch).await, expected);
        assert_eq!(stored_key(&app, &second_id).await, json!([]));

        // Rotated: the old secret stops at once, the new one works.
        let rotated = issue(&app, &ch).await;
        assert_ne!(rotated, secret);
        unauthorized(set_key(&app, &good, &other_key_pem).await).await;
        assert_eq!(stored_key(&app, &ch).await, expected);
        let fresh = signed(&rotated, &ch, app.app.now().as_second());
        let res = call(
            &app,
            Method::GET,
            "/whatsapp-business-encryption",
            Some(&fresh),
            None,
        )
        .await;
        assert_eq!(res.status(), 200);

        // Revoked: refused, and the status says so; revoking again is fine.
        let res = app.req(Method::DELETE, &secret_path).send().await.unwrap();
        assert_eq!(res.status(), 204);
        unauthorized(set_key(&app, &fresh, &other_key_pem).await).await;
        assert_eq!(stored_key(&app, &ch).await, expected);
        let status: Value = app.get(&secret_path).await.json().await.unwrap();
        assert_eq!(status["set"], false);
        let res = app.req(Method::DELETE, &secret_path).send().await.unwrap();
        assert_eq!(res.status(), 204);

        // Audited, without the secret.
        let audit: Value = app
            .get("/api/v1/audit-log?limit=100")
            .await
            .json()
            .await
            .unwrap();
        let actions: Vec<&str> = audit["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["action"].as_str())
            .filter(|a| a.starts_with("woztell_secret."))
            .collect();
        assert_eq!(
            actions
                .iter()
                .filter(|a| **a == "woztell_secret.issue")
                .count(),
            2,
            "{audit}"
        );
        assert_eq!(
            actions
                .iter()
                .filter(|a| **a == "woztell_secret.revoke")
                .count(),
            1,
            "{audit}"
        );
        assert!(!audit.to_string().contains(&rotated));
        // The signed call's own entry has no key; its summary names the signing channel.
        let signed_set = audit["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["action"] == "business_key.set")
            .unwrap_or_else(|| panic!("the signed set is audited: {audit}"));
        assert!(signed_set["key_id"].is_null(), "{signed_set}");
        assert!(
            signed_set["summary"]
                .as_str()
                .unwrap()
                .contains(&format!("signed with channel {ch}'s WOZTELL secret")),
            "{signed_set}"
        );
        app.stop().await;
    }
}
