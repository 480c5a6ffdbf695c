//! §4 Upload Media: `POST …/media`, multipart `file` → `{"id": "<media id>"}`, the id §5
//! and §6 sends attach (`{"document": {"id": …}}`). The same upload as the Cloud plane's
//! (types, sizes and retention are the core's); no `messaging_product` is asked for.

use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::http::Uri;
use serde_json::{Value, json};
use wagate_core::error::ErrorCode;

use super::auth::Project;
use crate::error::ApiError;
use crate::kit::upload::{self, Upload};
use crate::state::AppState;

pub async fn upload(
    State(state): State<AppState>,
    Project { principal, channel }: Project,
    uri: Uri,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Json<Value>, ApiError> {
    let Upload { staged, meta, .. } =
        upload::read(&state, multipart, uri.query(), "file", None).await?;
    let Some(staged) = staged else {
        return Err(ApiError::new(
            ErrorCode::MissingParameter,
            "is required: a multipart part named `file` with the bytes",
        )
        .field("file"));
    };
    let media = state
        .app
        .store_upload(&principal, &channel, staged, meta)
        .await?;
    Ok(Json(json!({ "id": media.id.as_str() })))
}
