//! Rate limits through real HTTP: a key over its bucket, an account over its shared bucket,
//! another account untouched, refills driven by a manual clock (no sleeps), on the
//! management plane (429 + Retry-After) and the Cloud plane (Graph codes 4 and 80007).

use std::sync::Arc;

use reqwest::{Method, Response};
use wagate_app::Principal;
use wagate_app::access::rate_limit::{ManualClock, RateLimitConfig};
use wagate_core::api_key::KeyChannels;
use wagate_core::text::KeyName;

use crate::helpers::{TestApp, assert_graph_error, assert_manage_error, spawn_apps_with};

fn retry_after(res: &Response) -> u64 {
    res.headers()
        .get("retry-after")
        .expect("Retry-After")
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

async fn status(app: &TestApp, key: &str, path: &str) -> u16 {
    app.with_key(Method::GET, path, key)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn keys_and_accounts_are_limited_and_refill() {
    for app in spawn_apps_with(|c| {
        c.rate_limits = RateLimitConfig {
            enabled: true,
            key_per_sec: 1,
            key_burst: 3,
            account_per_sec: 1,
            account_burst: 5,
            idle_evict_secs: 300,
        };
    })
    .await
    {
        let clock = Arc::new(ManualClock::default());
        app.app.rate_limits().use_clock(clock.clone());
        // A second key of the same account, and another account's key, made by the operator
        // (the CLI is never limited).
        let account = app.account_id.parse().unwrap();
        let (_, b) = app
            .app
            .create_api_key(
                &Principal::operator(account),
                KeyName::parse("b").unwrap(),
                KeyChannels::All,
            )
            .await
            .unwrap();
        let b = b.expose().to_owned();
        let (_, other) = app.other_account().await;
        let a = app.api_key.clone();

        // Key A: its burst of 3, then its own bucket refuses.
        for _ in 0..3 {
            assert_eq!(status(&app, &a, "/api/v1/account").await, 200);
        }
        let res = app.get("/api/v1/account").await;
        let after = retry_after(&res);
        assert_eq!(after, 1, "one token a second: next in 1 s");
        let body = assert_manage_error(res, 429, "key_rate_limited").await;
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("Retry-After")
        );

        // Key B has its own key bucket, but the account's (5) has 2 left.
        for _ in 0..2 {
            assert_eq!(
                status(&app, &b, "/api/v1/account").await,
                200,
                "{}",
                app.backend
            );
        }
        let res = app
            .with_key(Method::GET, "/api/v1/account", &b)
            .send()
            .await
            .unwrap();
        assert!(retry_after(&res) >= 1);
        assert_manage_error(res, 429, "account_rate_limited").await;

        // Another account is unaffected.
        for _ in 0..3 {
            assert_eq!(status(&app, &other, "/api/v1/account").await, 200);
        }

        // One second later: one token in A's bucket and one in the account's.
        clock.advance_ms(1_000);
        let pnid = format!("/v23.0/{}", app.phone_number_id);
        assert_eq!(status(&app, &a, &pnid).await, 200);
        // On the Cloud plane, as Meta answers: code 4 for the key…
        let res = app.with_key(Method::GET, &pnid, &a).send().await.unwrap();
        assert_eq!(retry_after(&res), 1);
        let body = assert_graph_error(res, 400, 4).await;
        assert_eq!(
            body["error"]["message"],
            "(#4) Application request limit reached"
        );
        // …and 80007 for the account (B's own bucket still has tokens).
        let res = app.with_key(Method::GET, &pnid, &b).send().await.unwrap();
        assert!(retry_after(&res) >= 1);
        let body = assert_graph_error(res, 400, 80007).await;
        assert_eq!(body["error"]["message"], "(#80007) Rate limit issues");

        // Ten seconds later both buckets are full again (up to their bursts).
        clock.advance_ms(10_000);
        for _ in 0..3 {
            assert_eq!(status(&app, &a, "/api/v1/account").await, 200);
        }
        assert_eq!(status(&app, &a, "/api/v1/account").await, 429);
        assert_eq!(status(&app, &b, "/api/v1/account").await, 200);

        // Unauthenticated requests are answered 401 and use no bucket.
        let res = app
            .client
            .get(app.url("/api/v1/account"))
            .bearer_auth("wag_unknown")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
    }
}

#[tokio::test]
async fn default_limits_leave_ordinary_use_alone() {
    let app = crate::helpers::spawn_app().await;
    let defaults = RateLimitConfig::default();
    assert!(defaults.enabled);
    assert!(defaults.key_per_sec >= 10_000 && defaults.account_per_sec >= defaults.key_per_sec);
    for _ in 0..50 {
        assert_eq!(status(&app, &app.api_key, "/api/v1/account").await, 200);
    }
}
