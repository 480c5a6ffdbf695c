//! Verifying a webhook URL the way Meta does: a GET with `hub.mode=subscribe`,
//! `hub.verify_token` and a random `hub.challenge`, answered 200 with the challenge.

use std::time::Duration;

use rand::Rng;
use wagate_core::webhook::{VerifyToken, WebhookUrl};

/// Why a URL failed verification, said so its owner can fix it.
pub async fn verify(
    client: &reqwest::Client,
    url: &WebhookUrl,
    token: &VerifyToken,
    timeout: Duration,
) -> Result<(), String> {
    let challenge = rand::rng()
        .random_range(1_000_000_000u64..10_000_000_000)
        .to_string();
    let answer = client
        .get(url.as_str())
        .query(&[
            ("hub.mode", "subscribe"),
            ("hub.verify_token", token.expose()),
            ("hub.challenge", challenge.as_str()),
        ])
        .timeout(timeout)
        .send()
        .await
        .map_err(|e| format!("the verification GET to {url} failed: {}", describe(&e)))?;
    let status = answer.status();
    let body = answer
        .text()
        .await
        .map_err(|e| format!("reading the answer of {url} failed: {}", describe(&e)))?;
    if !status.is_success() {
        return Err(format!(
            "{url} answered the verification GET with HTTP {}; it must answer 200 with the \
             hub.challenge value as the body (is the verify token the one it expects?)",
            status.as_u16()
        ));
    }
    if body.trim() != challenge {
        return Err(format!(
            "{url} answered 200 but not with the hub.challenge value as its body"
        ));
    }
    Ok(())
}

/// A transport error in a few words (no URL repeated, no secrets).
pub fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        "could not connect".to_owned()
    } else {
        let mut s = e.to_string();
        let mut src = std::error::Error::source(e);
        while let Some(inner) = src {
            s = format!("{s}: {inner}");
            src = inner.source();
        }
        s
    }
}
