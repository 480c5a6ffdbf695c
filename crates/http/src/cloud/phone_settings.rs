//! A phone number's settings and conversational automation, and new numbers in a WABA
//! (reference §1.4; the rules are `wagate_app::channels::phone_settings`'s):
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
//! Parameters come as JSON, as a form, or in the query string; a body's value wins, and a
//! setting sent as JSON text (`calling={"status":"ENABLED"}`) is taken as its object (see
//! [`crate::kit::params`]). Bad values are Graph's code 100 naming the parameter; another
//! account's number or WABA is 100/33, like one that does not exist.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use serde_json::{Map, Value, json};
use wagate_app::Principal;
use wagate_app::channels::phone_settings::{
    AutomationUpdate, NewPhoneNumber, SettingsUpdate, effective_automation, effective_settings,
};
use wagate_core::channel::Channel;
use wagate_core::error::ValidationError;

use super::path::ObjectPath;
use super::phone_number;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::Query;
use crate::kit::fields::FieldSelection;
use crate::kit::params::{Params, Rules};
use crate::state::AppState;

/// A write's parameters (see [`crate::kit::params`]).
fn params(uri: &Uri, headers: &HeaderMap, body: &[u8], rules: Rules) -> Result<Params, ApiError> {
    Params::read(uri.query(), headers, body, rules)
}

/// The fields of the settings object `fields=` may name.
const SETTINGS_FIELDS: &[&str] = &[
    "calling",
    "storage_configuration",
    "payload_encryption",
    "user_identity_change",
    "fallback_language",
];

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
    let Some(fields) = FieldSelection::from_param(q.get("fields").map(String::as_str))? else {
        return Ok(Json(Value::Object(all)));
    };
    if let Some(f) = fields.unknown(|name| SETTINGS_FIELDS.contains(&name)) {
        return Err(ValidationError::new(
            "fields",
            format!("`{}` is not a field of phone number settings", f.name),
        )
        .into());
    }
    let mut out = Map::new();
    // `calling{status}` narrows nothing here: the whole object comes.
    for name in fields.names() {
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
    let update = SettingsUpdate::try_from(
        params(&uri, &headers, &body, Rules::GRAPH.json_text_objects())?.as_map(),
    )?;
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
    let update = AutomationUpdate::try_from(params(&uri, &headers, &body, Rules::GRAPH)?.as_map())?;
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
    let waba = super::waba(&state, &p, &object_id).await?;
    let new = NewPhoneNumber::try_from(params(&uri, &headers, &body, Rules::GRAPH)?.as_map())?;
    let channel = state.app.create_phone_number(&p, &waba, new).await?;
    Ok(Json(json!({"id": channel.phone_number_id.as_str()})))
}
