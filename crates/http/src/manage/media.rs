//! `/api/v1/channels/{id}/media`: a file from a URL or from base64 kept as a media id (and a
//! Resumable Upload handle) in one call — the service the providers' APIs use where the
//! Cloud API wants an upload first (see `wagate_app::media::from`).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wagate_app::media::from::{KeepAs, MediaFrom, Source};
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::ids::ChannelId;

use super::ErrorBody;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create))
}

/// A file to keep: exactly one of `link` and `data`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMedia {
    /// An `http`/`https` URL wagate fetches (public addresses only, size and time limits).
    #[schema(max_length = 2048)]
    pub link: Option<String>,
    /// The file as a `data:<type>;base64,…` URI or bare base64 (within the request body
    /// limit, 1 MB by default).
    pub data: Option<String>,
    /// The file's MIME type, checked against its bytes (optional: the bytes tell it).
    #[serde(rename = "type")]
    #[schema(max_length = 255)]
    pub media_type: Option<String>,
    /// The file name to keep (default: the link's last path segment).
    #[schema(max_length = 240)]
    pub filename: Option<String>,
    /// `media_id` (default), or `upload_handle` for a media id and a Resumable Upload handle
    /// (PDF, JPEG, PNG or MP4; Meta's handle for a cloud channel, whose upstream needs an
    /// `app_id`).
    pub keep_as: Option<String>,
}

/// The kept file.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeptMedia {
    /// The media id, for sends (`{"image": {"id": …}}`) and `GET /{media_id}`.
    pub id: String,
    /// The Resumable Upload handle, when `keep_as` was `upload_handle`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handle: Option<String>,
    pub mime_type: String,
    pub sha256: String,
    pub file_size: u64,
    pub filename: Option<String>,
}

impl NewMedia {
    fn into_command(self) -> Result<MediaFrom, ValidationError> {
        let source = match (self.link, self.data) {
            (Some(link), None) => {
                if link.len() > 2048 {
                    return Err(ValidationError::out_of_range(
                        "link",
                        "at most 2048 characters",
                    ));
                }
                Source::Link(link)
            }
            (None, Some(data)) => Source::Inline(data),
            _ => {
                return Err(ValidationError::new(
                    "link",
                    "give exactly one of `link` and `data`",
                ));
            }
        };
        if self.media_type.as_ref().is_some_and(|t| t.len() > 255) {
            return Err(ValidationError::out_of_range(
                "type",
                "at most 255 characters",
            ));
        }
        if let Some(name) = &self.filename
            && (name.trim().is_empty()
                || name.chars().count() > 240
                || name.chars().any(char::is_control))
        {
            return Err(ValidationError::new(
                "filename",
                "must be 1–240 characters without control characters",
            ));
        }
        let keep_as = match self.keep_as.as_deref() {
            None | Some("media_id") => KeepAs::MediaId,
            Some("upload_handle") => KeepAs::UploadHandle,
            Some(_) => {
                return Err(ValidationError::new(
                    "keep_as",
                    "must be `media_id` or `upload_handle`",
                ));
            }
        };
        Ok(MediaFrom {
            source,
            declared: self.media_type,
            filename: self.filename,
            keep_as,
        })
    }
}

/// Keep a file from a URL or base64 as one of the channel's media ids (and an upload
/// handle).
#[utoipa::path(post, path = "/channels/{id}/media", operation_id = "create_channel_media", tag = "channels",
    request_body = NewMedia, params(("id" = String, Path, description = "Channel id")),
    responses((status = 201, body = KeptMedia), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<NewMedia>,
) -> Result<(StatusCode, Json<KeptMedia>), ApiError> {
    let id: ChannelId = id
        .parse()
        .map_err(|_| ApiError::not_found(ErrorCode::ChannelNotFound, "channel", &id))?;
    let cmd = body.into_command()?;
    let channel =
        state.app.get_channel(&p, id).await.map_err(|e| {
            ApiError::naming(e, ErrorCode::ChannelNotFound, "channel", id.to_string())
        })?;
    let kept = state.app.media_from(&p, &channel, cmd).await?;
    Ok((
        StatusCode::CREATED,
        Json(KeptMedia {
            id: kept.media.id.to_string(),
            handle: kept.handle,
            mime_type: kept.media.mime_type,
            sha256: kept.media.sha256,
            file_size: kept.media.file_size,
            filename: kept.media.filename,
        }),
    ))
}
