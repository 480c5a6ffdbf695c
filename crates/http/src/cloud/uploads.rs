//! Meta's Resumable Upload API on the Cloud plane (reference §1.2, §9.11), which gives the
//! handles template media headers use as samples:
//!
//! - `POST /{app_id}/uploads?file_name=&file_length=&file_type=` → `{"id":"upload:…"}`;
//! - `POST /upload:…` with header `file_offset: N` and the raw bytes from N on →
//!   `{"h":"4::…"}` once the whole file is in, `{"id","file_offset"}` before;
//! - `GET /upload:…` → `{"id","file_offset"}` (plus `h` once complete), to resume.
//!
//! A session id shares the `/{object_id}` paths with phone numbers, templates and media, so
//! those handlers hand `upload:` ids to [`get`] and [`upload`] (a path router cannot match a
//! prefix inside a segment). See `wagate_app::media::resumable` for the model.

use std::collections::HashMap;

use axum::Json;
use axum::body::Body;
use axum::extract::{Query as RawQuery, State};
use axum::http::HeaderMap;
use serde_json::{Value, json};
use wagate_app::Principal;
use wagate_app::media::resumable::NewUpload;
use wagate_core::error::ErrorCode;
use wagate_store::{UploadSession, UploadSessionId};

use super::path::ObjectPath;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::state::AppState;

/// Whether a Graph object id names an upload session (`upload:…`).
pub fn is_session(object_id: &str) -> bool {
    object_id.starts_with(UploadSessionId::PREFIX)
}

/// `POST /{app_id}/uploads`: starts a session for the file the query describes.
/// `file_type` is one of application/pdf, image/jpeg, image/jpg, image/png, video/mp4, and
/// `file_length` within that type's WhatsApp limit. Any numeric `app_id` is accepted.
pub async fn create(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(app_id): ObjectPath,
    RawQuery(q): RawQuery<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let arg = |k: &str| q.get(k).map(String::as_str);
    let new = NewUpload::parse(arg("file_name"), arg("file_length"), arg("file_type"))?;
    let session = state
        .app
        .create_upload_session(&p, &app_id, new)
        .await
        .map_err(|e| ApiError::naming(e, ErrorCode::AccountNotFound, "app", &app_id))?;
    Ok(Json(json!({ "id": session.id.to_string() })))
}

/// `POST /upload:…`: the bytes from `file_offset` on (any Content-Type; the body is the
/// file's bytes as is). The offset must be the one the session reached.
pub async fn upload(
    state: &AppState,
    p: &Principal,
    object_id: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    let id = session_id(object_id)?;
    let offset = file_offset(headers)?;
    let session = state
        .app
        .upload_chunk(p, &id, offset, body.into_data_stream())
        .await
        .map_err(|e| naming(e, object_id))?;
    Ok(Json(match &session.completed {
        Some(done) => json!({ "h": done.handle.as_str() }),
        None => progress(&session),
    }))
}

/// `GET /upload:…`: the session's offset, to resume an interrupted upload.
pub async fn get(
    state: &AppState,
    p: &Principal,
    object_id: &str,
) -> Result<Json<Value>, ApiError> {
    let session = state
        .app
        .upload_session(p, &session_id(object_id)?)
        .await
        .map_err(|e| naming(e, object_id))?;
    let mut body = progress(&session);
    if let Some(done) = &session.completed {
        body["h"] = json!(done.handle.as_str());
    }
    Ok(Json(body))
}

fn progress(s: &UploadSession) -> Value {
    json!({ "id": s.id.to_string(), "file_offset": s.file_offset })
}

/// An unknown, expired or other account's session: Graph's "object does not exist".
/// The session an `upload:<hex>` path names (anything else names no session of ours).
fn session_id(object_id: &str) -> Result<UploadSessionId, ApiError> {
    UploadSessionId::parse(object_id)
        .ok_or_else(|| ApiError::not_found(ErrorCode::MediaNotFound, "upload session", object_id))
}

/// The `file_offset` header (`file-offset` for proxies that drop underscores): where this
/// chunk starts; absent or empty is 0.
fn file_offset(headers: &HeaderMap) -> Result<u64, ApiError> {
    let bad = |shown: &str| {
        ApiError::new(
            ErrorCode::InvalidRequest,
            format!("`{shown}` is not an offset in bytes (a whole number)"),
        )
        .field("file_offset")
    };
    let Some(value) = ["file_offset", "file-offset"]
        .iter()
        .find_map(|h| headers.get(*h))
    else {
        return Ok(0);
    };
    let text = value.to_str().map_err(|_| bad("?"))?.trim();
    if text.is_empty() {
        return Ok(0);
    }
    text.parse::<u64>().map_err(|_| bad(text))
}

fn naming(e: wagate_app::Error, object_id: &str) -> ApiError {
    ApiError::naming(e, ErrorCode::MediaNotFound, "upload session", object_id)
}
