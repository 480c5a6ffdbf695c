//! `GET /auth/v1/authentication/token?customerId=…&key=…&scope=NEW&country=…&email=…`:
//! trades a key for the `authToken` every other call sends. `customerId` is the wagate
//! account id, `key` the base64 of a wagate API key of that account (the seed's "Base-64
//! encrypted password"; a key sent as is is taken too). `scope`, `country` and `email` are
//! accepted and ignored. Answers `{"status": 200, "token": "<JWT>"}`; a wrong customer or
//! key is 800 Invalid Auth (the two are not told apart).

use axum::Json;
use axum::extract::State;
use axum::http::Uri;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use serde_json::{Value, json};
use wagate_core::error::ErrorCode;

use crate::auth::rate_limited;
use crate::error::ApiError;
use crate::kit::params::Params;
use crate::state::AppState;

/// The key the `key` parameter carries: its base64 decoding when it is base64 of text.
fn presented_key(raw: &str) -> String {
    let raw = raw.trim();
    if raw.starts_with("wag_") {
        return raw.to_owned();
    }
    let padded = |s: &str| format!("{s}{}", "=".repeat((4 - s.len() % 4) % 4));
    let decoded = STANDARD
        .decode(padded(raw))
        .or_else(|_| URL_SAFE.decode(padded(raw)))
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .filter(|k| !k.is_empty() && k.chars().all(|c| c.is_ascii_graphic()));
    decoded.unwrap_or_else(|| raw.to_owned())
}

fn refused() -> ApiError {
    ApiError::new(
        ErrorCode::InvalidApiKey,
        "customerId and key do not name a live key of that account",
    )
}

pub async fn token(State(state): State<AppState>, uri: Uri) -> Result<Json<Value>, ApiError> {
    let params = Params::query(uri.query());
    let customer = params.str("customerId").map(str::trim).unwrap_or_default();
    let key = params.str("key").map(presented_key).unwrap_or_default();
    if customer.is_empty() || key.is_empty() {
        return Err(ApiError::new(
            ErrorCode::MissingApiKey,
            "customerId and key (the base64 of your API key) are required",
        ));
    }
    let issued = state.app.issue_token(&key).await?.ok_or_else(refused)?;
    if issued.principal.account_id.to_string() != customer {
        return Err(refused());
    }
    state
        .app
        .rate_limits()
        .check(&issued.principal)
        .map_err(rate_limited)?;
    Ok(Json(json!({ "status": 200, "token": issued.token })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_taken_in_base64_or_as_is() {
        let key = "wag_abcDEF123";
        assert_eq!(presented_key(&STANDARD.encode(key)), key);
        assert_eq!(
            presented_key(STANDARD.encode(key).trim_end_matches('=')),
            key
        );
        assert_eq!(presented_key(key), key);
    }
}
