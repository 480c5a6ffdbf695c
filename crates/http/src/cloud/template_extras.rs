//! Template operations beyond create/list/get/edit/delete (reference §1.1, §1.3), as pywa
//! calls them: `POST /{pnid}/marketing_messages` (Marketing Messages Lite),
//! `POST /{template_id}/unpause`, `POST /{waba}/upsert_message_templates`,
//! `POST /{waba}/message_templates/archive` and `…/unarchive`, `GET /{template_id}/compare`
//! and `POST /{dest_waba}/migrate_message_templates`. The rules live in
//! [`wagate_app::templates::bulk`] and [`wagate_app::templates::compare`]; these handlers read Graph's bodies and answer in its
//! shapes.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use serde_json::{Map, Value, json};
use wagate_app::templates::bulk::BulkOutcome;
use wagate_core::Timestamp;
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::ids::TemplateId;
use wagate_core::message::Recipient;
use wagate_core::template::AuthUpsert;

use super::messages::{SendResponse, SentContact, SentMessage, parse_send};
use super::path::ObjectPath;
use super::phone_number;
use super::waba;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::parse_json;
use crate::kit::params::comma_list;
use crate::state::AppState;

/// `POST /{pnid}/marketing_messages`: a template send (as `/messages`), of a MARKETING
/// template only; `message_activity_sharing` (bool) is accepted and not used.
pub async fn send_marketing(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
    body: Bytes,
) -> Result<Json<SendResponse>, ApiError> {
    let channel = phone_number(&state, &p, &object_id).await?;
    let body: Value = parse_json(&body)?;
    match body.get("message_activity_sharing") {
        None | Some(Value::Null | Value::Bool(_)) => {}
        Some(_) => {
            return Err(
                ValidationError::new("message_activity_sharing", "must be a boolean").into(),
            );
        }
    }
    let cmd = parse_send(&body)?;
    let (input, user_id) = match &cmd.recipient {
        Recipient::Phone { input, .. } => (input.clone(), None),
        Recipient::Bsuid(b) => (b.as_str().to_owned(), Some(b.as_str().to_owned())),
    };
    let m = state.app.send_marketing_message(&p, &channel, cmd).await?;
    Ok(Json(SendResponse {
        messaging_product: "whatsapp",
        contacts: vec![SentContact {
            input,
            wa_id: m.wa_id.as_ref().map(|w| w.digits().to_owned()),
            user_id: user_id.or_else(|| m.bsuid.as_ref().map(|b| b.as_str().to_owned())),
        }],
        messages: vec![SentMessage {
            id: m.wamid.to_string(),
            message_status: "accepted",
        }],
    }))
}

/// `POST /{template_id}/unpause` → `{"success":true}`, or `{"success":false,"reason":…}`
/// when the template is not paused.
pub async fn unpause(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
) -> Result<Json<Value>, ApiError> {
    let id = ApiError::known(
        TemplateId::parse(&object_id),
        ErrorCode::TemplateNotFound,
        "object",
        &object_id,
    )?;
    let done = state
        .app
        .unpause_template(&p, &id)
        .await
        .map_err(|e| ApiError::naming(e, ErrorCode::TemplateNotFound, "object", &object_id))?;
    Ok(Json(match done {
        Ok(_) => json!({"success": true}),
        Err(reason) => json!({"success": false, "reason": reason}),
    }))
}

/// `POST /{waba}/upsert_message_templates` → `{"data":[{"id","status","language",
/// "category"}]}` (pywa reads `category` too), one item per language.
pub async fn upsert(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let waba = waba(&state, &p, &object_id).await?;
    let mut body: Value = parse_json(&body)?;
    // pywa sends the template already encoded, as a JSON string (httpx `json=` of a str),
    // which Graph takes as the object it holds.
    if let Value::String(inner) = &body {
        body = parse_json(inner.as_bytes())?;
    }
    let upsert = AuthUpsert::parse(&body).map_err(wagate_app::Error::from)?;
    let templates = state.app.upsert_auth_templates(&p, &waba, upsert).await?;
    let data: Vec<Value> = templates
        .iter()
        .map(|t| {
            json!({
                "id": t.id.as_str(),
                "status": t.status.as_str(),
                "language": t.language.as_str(),
                "category": t.category.as_str(),
            })
        })
        .collect();
    Ok(Json(json!({ "data": data })))
}

/// `POST /{waba}/message_templates/archive` with `{"hsm_ids":"id1,id2"}` →
/// `{"archived_templates":[…],"failed_templates":{id: reason}}`.
pub async fn archive(
    state: State<AppState>,
    auth: Auth,
    path: ObjectPath,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    archive_or_unarchive(state, auth, path, body, true).await
}

/// `POST /{waba}/message_templates/unarchive`, as [`archive`] with
/// `unarchived_templates`.
pub async fn unarchive(
    state: State<AppState>,
    auth: Auth,
    path: ObjectPath,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    archive_or_unarchive(state, auth, path, body, false).await
}

async fn archive_or_unarchive(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
    body: Bytes,
    archive: bool,
) -> Result<Json<Value>, ApiError> {
    let waba = waba(&state, &p, &object_id).await?;
    let body: Value = parse_json(&body)?;
    let ids: Vec<String> = match body.get("hsm_ids") {
        Some(Value::String(s)) => comma_list(s).map(str::to_owned).collect(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => Ok(s.clone()),
                Value::Number(n) => Ok(n.to_string()),
                _ => Err(ValidationError::new("hsm_ids", "must hold template ids")),
            })
            .collect::<Result<_, _>>()?,
        _ => {
            return Err(ValidationError::missing(
                "hsm_ids",
                "is required: the template ids, comma-separated",
            )
            .into());
        }
    };
    let outcome = state
        .app
        .archive_templates(&p, &waba, &ids, archive)
        .await?;
    let key = if archive {
        "archived_templates"
    } else {
        "unarchived_templates"
    };
    let (done, failed) = bulk(&outcome);
    Ok(Json(json!({ key: done, "failed_templates": failed })))
}

/// `GET /{template_id}/compare?template_ids=…&start=…&end=…` → Meta's three metrics:
/// BLOCK_RATE (wagate knows of no blocks: the request's order), MESSAGE_SENDS (template
/// messages sent in the window) and TOP_BLOCK_REASON (none).
pub async fn compare(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let known = |raw: &str| {
        ApiError::known(
            TemplateId::parse(raw),
            ErrorCode::TemplateNotFound,
            "object",
            raw,
        )
    };
    let id = known(&object_id)?;
    let others = q
        .get("template_ids")
        .map(|s| comma_list(s).map(known).collect::<Result<Vec<_>, _>>())
        .transpose()?
        .unwrap_or_default();
    let start = unix_time(&q, "start")?;
    let end = unix_time(&q, "end")?;
    let compared = state
        .app
        .compare_templates(&p, &id, &others, start, end)
        .await
        .map_err(|e| ApiError::naming(e, ErrorCode::TemplateNotFound, "object", &object_id))?;
    let ids: Vec<&str> = compared.iter().map(|c| c.id.as_str()).collect();
    let sends: Vec<Value> = compared
        .iter()
        .map(|c| json!({"key": c.id.as_str(), "value": c.sends}))
        .collect();
    Ok(Json(json!({"data": [
        {"metric": "BLOCK_RATE", "type": "RELATIVE", "order_by_relative_metric": ids},
        {"metric": "MESSAGE_SENDS", "type": "NUMBER_VALUES", "number_values": sends},
        {"metric": "TOP_BLOCK_REASON", "type": "STRING_VALUES", "string_values": []},
    ]})))
}

/// `POST /{dest_waba}/migrate_message_templates?source_waba_id=…&page_number=…` →
/// `{"migrated_templates":[new ids],"failed_templates":[{"id","reason"}]}`. Meta's page
/// does not say how failures are shaped; this is the list pywa parses.
pub async fn migrate(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let dest = waba(&state, &p, &object_id).await?;
    let source_id = q.get("source_waba_id").ok_or_else(|| {
        ValidationError::missing("source_waba_id", "is required: the WABA to copy from")
    })?;
    let source = waba(&state, &p, source_id).await?;
    let page = match q.get("page_number") {
        None => 0,
        Some(n) => n
            .parse::<usize>()
            .map_err(|_| ValidationError::new("page_number", "must be a whole number from 0 up"))?,
    };
    let outcome = state
        .app
        .migrate_templates(&p, &source, &dest, page)
        .await?;
    let migrated: Vec<&str> = outcome.done.iter().map(|id| id.as_str()).collect();
    let failed: Vec<Value> = outcome
        .failed
        .iter()
        .map(|(id, reason)| json!({"id": id, "reason": reason}))
        .collect();
    Ok(Json(json!({
        "migrated_templates": migrated,
        "failed_templates": failed,
    })))
}

/// The ids an archive changed, and `{id: reason}` for the others.
fn bulk(outcome: &BulkOutcome) -> (Vec<&str>, Map<String, Value>) {
    let done = outcome.done.iter().map(|id| id.as_str()).collect();
    let failed = outcome
        .failed
        .iter()
        .map(|(id, reason)| (id.clone(), json!(reason)))
        .collect();
    (done, failed)
}

/// A required UNIX time (seconds) query parameter.
fn unix_time(q: &HashMap<String, String>, key: &str) -> Result<Timestamp, ApiError> {
    let raw = q
        .get(key)
        .ok_or_else(|| ValidationError::missing(key, "is required: a UNIX time in seconds"))?;
    raw.parse::<i64>()
        .ok()
        .and_then(|s| Timestamp::from_second(s).ok())
        .ok_or_else(|| ValidationError::new(key, "must be a UNIX time in seconds").into())
}
