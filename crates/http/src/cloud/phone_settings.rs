//! A phone number's settings and conversational automation, and new numbers in a WABA
//! (reference §1.4; the rules are `wagate_app::phone_settings`'s):
//!
//! - `GET /{phone_number_id}/settings[?fields=]` → the settings object (`calling`,
//!   `storage_configuration`, `payload_encryption`, `user_identity_change`, and
//!   `fallback_language` once set); `fields` narrows it, `include_sip_credentials` is
//!   accepted (the sandbox has no SIP credentials).
//! - `POST /{phone_number_id}/settings` with the settings to replace → `{"success":true}`.
//! - `POST /{phone_number_id}/conversational_automation` with `enable_welcome_message`,
//!   `prompts`, `commands` (an array, or a JSON string of one, as pywa sends) →
//!   `{"success":true}`; `GET /{phone_number_id}?fields=conversational_automation` reads it.
//! - `POST /{waba_id}/phone_numbers` with `country_code`, `phone_number`, `verified_name` →
//!   `{"id": "<new phone number id>"}`.
//!
//! Parameters come as JSON, as a form, or in the query string; a body's value wins. Bad
//! values are Graph's code 100 naming the parameter; another account's number or WABA is
//! 100/33, like one that does not exist.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Uri, header};
use serde_json::{Map, Value, json};
use wagate_app::Principal;
use wagate_app::channels::phone_settings::{
    AutomationUpdate, NewPhoneNumber, SettingsUpdate, effective_automation, effective_settings,
};
use wagate_core::channel::Channel;
use wagate_core::error::{ErrorCode, ValidationError};

use super::path::ObjectPath;
use super::phone_number;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::{Query, parse_json};
use crate::state::AppState;

/// A write's parameters: the query string, with a JSON or form body's over them.
fn params(uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    let mut out = Map::new();
    let pairs = |bytes: &[u8]| {
        form_urlencoded::parse(bytes)
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect::<Vec<_>>()
    };
    out.extend(pairs(uri.query().unwrap_or_default().as_bytes()));
    out.remove("access_token");
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(out);
    }
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| {
            m.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if is_form {
        out.extend(pairs(body));
        return Ok(out);
    }
    match parse_json::<Value>(body)? {
        Value::Object(fields) => out.extend(fields),
        _ => {
            return Err(ApiError::new(
                ErrorCode::InvalidRequest,
                "the body must be a JSON object",
            ));
        }
    }
    Ok(out)
}

/// A form or query value that is JSON text (`calling={"status":"ENABLED"}`) taken as JSON.
fn decode_nested(mut p: Map<String, Value>) -> Map<String, Value> {
    for v in p.values_mut() {
        if let Value::String(s) = v
            && s.starts_with('{')
            && let Ok(parsed @ Value::Object(_)) = serde_json::from_str::<Value>(s)
        {
            *v = parsed;
        }
    }
    p
}

/// `GET /{phone_number_id}/settings[?fields=a,b]`.
pub async fn get(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let channel = phone_number(&state, &p, &object_id).await?;
    let stored = state.app.phone_settings(&p, &channel).await?;
    let all = effective_settings(&stored);
    let Some(fields) = q.get("fields").filter(|f| !f.trim().is_empty()) else {
        return Ok(Json(Value::Object(all)));
    };
    let mut out = Map::new();
    for f in fields.split(',').map(str::trim).filter(|f| !f.is_empty()) {
        // `calling{status}` narrows nothing here: the whole object comes.
        let name = f.split(['{', '.']).next().unwrap_or(f);
        if ![
            "calling",
            "storage_configuration",
            "payload_encryption",
            "user_identity_change",
            "fallback_language",
        ]
        .contains(&name)
        {
            return Err(ValidationError::new(
                "fields",
                format!("`{name}` is not a field of phone number settings"),
            )
            .into());
        }
        if let Some(v) = all.get(name) {
            out.insert(name.to_owned(), v.clone());
        }
    }
    Ok(Json(Value::Object(out)))
}

/// `POST /{phone_number_id}/settings` → `{"success":true}`.
pub async fn update(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let channel = phone_number(&state, &p, &object_id).await?;
    let update = SettingsUpdate::try_from(&decode_nested(params(&uri, &headers, &body)?))?;
    state
        .app
        .update_phone_settings(&p, &channel, update)
        .await?;
    Ok(Json(json!({"success": true})))
}

/// `POST /{phone_number_id}/conversational_automation` → `{"success":true}`.
pub async fn update_automation(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let channel = phone_number(&state, &p, &object_id).await?;
    let update = AutomationUpdate::try_from(&params(&uri, &headers, &body)?)?;
    state
        .app
        .update_conversational_automation(&p, &channel, update)
        .await?;
    Ok(Json(json!({"success": true})))
}

/// The `conversational_automation` field of `GET /{phone_number_id}`: the stored object.
pub async fn automation_field(
    state: &AppState,
    p: &Principal,
    channel: &Channel,
) -> Result<Value, ApiError> {
    let stored = state.app.phone_settings(p, channel).await?;
    let mut v = effective_automation(&stored);
    v.insert("id".into(), json!(channel.phone_number_id.as_str()));
    Ok(Value::Object(v))
}

/// `POST /{waba_id}/phone_numbers` → `{"id": "<phone number id>"}`.
pub async fn create_phone_number(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let waba = state
        .app
        .waba(&p, &object_id)
        .await
        .map_err(|e| ApiError::naming(e, ErrorCode::ChannelNotFound, "object", &object_id))?;
    let new = NewPhoneNumber::try_from(&params(&uri, &headers, &body)?)?;
    let channel = state.app.create_phone_number(&p, &waba, new).await?;
    Ok(Json(json!({"id": channel.phone_number_id.as_str()})))
}
