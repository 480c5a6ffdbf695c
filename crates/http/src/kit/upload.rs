//! A multipart file upload, read once for every surface that takes one (the Cloud plane's
//! `POST /{phone_number_id}/media`, the dialects' upload endpoints): the file part staged
//! to disk as it streams, the other parts as text parameters over the query's, and the
//! file's declared type from the surface's type parameter (the Cloud plane's `type`), else the part's Content-Type
//! (`application/octet-stream` ignored), else the file name's extension (the bytes decide
//! in the end: see `wagate_app::media`).

use axum::extract::Multipart;
use axum::extract::multipart::{MultipartError, MultipartRejection};
use axum::http::{HeaderMap, header};
use futures::TryStreamExt;
use wagate_app::media::UploadMeta;
use wagate_app::media::staging::Staged;
use wagate_core::error::ErrorCode;
use wagate_core::media::MediaType;

use super::params::Params;
use crate::error::ApiError;
use crate::state::AppState;

/// What a multipart upload carried.
pub struct Upload {
    /// The query's parameters with the form's text parts over them.
    pub fields: Params,
    /// The `file` part, staged; `None` when the request had none.
    pub staged: Option<Staged>,
    pub meta: UploadMeta,
}

/// Reads a multipart body whose file is the part named `file_part`; the parameter
/// `type_param`, when the surface has one, declares the file's type.
pub async fn read(
    state: &AppState,
    multipart: Result<Multipart, MultipartRejection>,
    query: Option<&str>,
    file_part: &str,
    type_param: Option<&str>,
) -> Result<Upload, ApiError> {
    let mut multipart = multipart.map_err(|e| {
        ApiError::new(
            ErrorCode::InvalidRequest,
            format!("upload media as multipart/form-data with a `{file_part}` part: {e}"),
        )
    })?;
    let mut fields = Params::query(query);
    let mut staged = None;
    let mut meta = UploadMeta::default();
    let mut part_type = None;
    while let Some(field) = multipart.next_field().await.map_err(malformed)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == file_part {
            if staged.is_some() {
                return Err(ApiError::new(
                    ErrorCode::InvalidRequest,
                    format!("send one `{file_part}` part per upload"),
                )
                .field(file_part));
            }
            meta.filename = field.file_name().map(str::to_owned);
            part_type = field.content_type().map(str::to_owned);
            let body = field.map_err(|e| e.to_string());
            staged = Some(state.app.stage_media(Box::pin(body)).await?);
        } else {
            let value = field.text().await.map_err(malformed)?;
            fields.insert_text(name, value);
        }
    }
    meta.declared = type_param
        .and_then(|t| fields.str(t))
        .filter(|t| !t.trim().is_empty())
        .map(str::to_owned)
        .or(part_type)
        .filter(|t| !t.eq_ignore_ascii_case("application/octet-stream"))
        .or_else(|| {
            let name = meta.filename.as_deref()?;
            MediaType::from_file_name(name).map(|t| t.to_string())
        });
    Ok(Upload {
        fields,
        staged,
        meta,
    })
}

fn malformed(e: MultipartError) -> ApiError {
    ApiError::new(
        ErrorCode::InvalidRequest,
        format!("the multipart body is malformed: {e}"),
    )
}

/// The parameters of a request that may carry a multipart form (a file among them): the
/// form over the query when the body is `multipart/form-data`, else the query alone.
pub async fn read_form(
    state: &AppState,
    query: Option<&str>,
    headers: &HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
    file_part: &str,
) -> Result<Upload, ApiError> {
    let is_multipart = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if is_multipart {
        read(state, multipart, query, file_part, None).await
    } else {
        Ok(Upload {
            fields: Params::query(query),
            staged: None,
            meta: UploadMeta::default(),
        })
    }
}
