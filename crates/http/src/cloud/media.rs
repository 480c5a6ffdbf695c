//! Media on the Cloud plane (reference §1.2): `POST /{phone_number_id}/media` (multipart
//! upload), `GET /{media_id}` (Meta's object with a signed URL; served by the `GET /{id}`
//! route), `DELETE /{media_id}`, and the download URL itself.
//!
//! Uploads are read as clients send them: the fields in any order, `messaging_product` and
//! `type` as form fields or in the query string, `type` a MIME type, a kind (`audio`) or
//! absent (the file part's Content-Type, then its extension, then the bytes decide).

use axum::Json;
use axum::body::Body;
use axum::extract::{Multipart, Path, Query as RawQuery, State};
use axum::http::{HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio_util::io::ReaderStream;
use wagate_core::error::ErrorCode;
use wagate_core::ids::MediaId;

use super::path::ObjectPath;
use super::phone_number;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::kit::upload::{self, Upload};
use crate::state::AppState;

/// `POST /{phone_number_id}/media`.
pub async fn upload(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
    uri: Uri,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Json<Value>, ApiError> {
    let channel = phone_number(&state, &p, &object_id).await?;
    let Upload {
        fields,
        staged,
        meta,
    } = upload::read(&state, multipart, uri.query(), "file", Some("type")).await?;
    match fields.str("messaging_product") {
        Some("whatsapp") => {}
        Some(_) => {
            return Err(ApiError::new(
                ErrorCode::InvalidRequest,
                "The parameter messaging_product must be whatsapp",
            )
            .field("messaging_product"));
        }
        None => {
            return Err(ApiError::new(
                ErrorCode::InvalidRequest,
                "The parameter messaging_product is required",
            )
            .field("messaging_product"));
        }
    }
    let Some(staged) = staged else {
        return Err(ApiError::new(
            ErrorCode::InvalidRequest,
            "The parameter file is required: a multipart part named `file` with the bytes",
        )
        .field("file"));
    };
    let media = state.app.store_upload(&p, &channel, staged, meta).await?;
    Ok(Json(json!({ "id": media.id.as_str() })))
}

/// Meta's media object, for `GET /{media_id}`; `None` when `object_id` is no media id of
/// the principal's.
pub async fn find(
    state: &AppState,
    p: &wagate_app::Principal,
    object_id: &str,
) -> Result<Option<Value>, ApiError> {
    let Ok(id) = MediaId::parse(object_id) else {
        return Ok(None);
    };
    match state.app.media_info(p, &id, &state.base_url).await {
        Ok(info) => Ok(Some(json!({
            "messaging_product": "whatsapp",
            "url": info.url,
            "mime_type": info.media.mime_type,
            "sha256": info.media.sha256,
            "file_size": info.media.file_size,
            "id": info.media.id.as_str(),
        }))),
        Err(e) if e.code() == ErrorCode::MediaNotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// `DELETE /{media_id}`.
pub async fn delete(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
) -> Result<Json<Value>, ApiError> {
    // A draft flow.
    if let Some(done) = super::flows::delete(&state, &p, &object_id).await? {
        return Ok(done);
    }
    // A product.
    if let Some(done) = super::catalogs::delete(&state, &p, &object_id).await? {
        return Ok(done);
    }
    // A group.
    if let Some(done) = super::groups::delete(&state, &p, &object_id).await? {
        return Ok(done);
    }
    let unknown = |e| ApiError::naming(e, ErrorCode::MediaNotFound, "media", object_id.clone());
    let id = MediaId::parse(&object_id).map_err(|_| {
        unknown(wagate_store::StoreError::NotFound(wagate_store::Entity::Media).into())
    })?;
    state.app.delete_media(&p, &id).await.map_err(unknown)?;
    Ok(Json(json!({ "success": true })))
}

#[derive(Debug, Deserialize)]
pub struct DownloadQuery {
    account: Option<String>,
    expires: Option<i64>,
    signature: Option<String>,
}

/// `GET /media/{media_id}/download?account=&expires=&signature=`: the bytes, to anyone
/// holding a URL that `GET /{media_id}` gave out and that has not expired.
pub async fn download(
    State(state): State<AppState>,
    Path(media_id): Path<String>,
    RawQuery(q): RawQuery<DownloadQuery>,
) -> Result<Response, ApiError> {
    let (Some(account), Some(expires), Some(signature)) = (q.account, q.expires, q.signature)
    else {
        return Err(ApiError::new(
            ErrorCode::MediaUrlExpired,
            "this media URL is incomplete; get one with GET /{media_id}",
        ));
    };
    let (media, file) = state
        .app
        .open_signed_media(&account, &media_id, expires, &signature)
        .await
        .map_err(|e| match e.code() {
            // Deleted or expired since the URL was given: the URL is dead, as on Meta.
            ErrorCode::MediaNotFound => ApiError::new(
                ErrorCode::MediaUrlExpired,
                "this media was deleted or expired",
            ),
            _ => e.into(),
        })?;
    let mut res = Body::from_stream(ReaderStream::new(file)).into_response();
    let headers = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&media.mime_type) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(media.file_size));
    let name = media
        .filename
        .clone()
        .unwrap_or_else(|| media.id.as_str().to_owned());
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{ascii}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=300"),
    );
    Ok(res)
}
