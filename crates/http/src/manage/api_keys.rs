//! `/api/v1/api-keys`: keys are shown once, at creation; afterwards only their prefix.
//! Managing keys needs an account-wide key; creating an admin key needs an admin key.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wagate_core::Timestamp;
use wagate_core::api_key::{ApiKey, KeyChannels};
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::ids::{ApiKeyId, ChannelId};
use wagate_core::text::KeyName;

use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::{JsonBody, Query};
use crate::manage::ErrorBody;
use crate::manage::paging::{List, ListQuery};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get, revoke))
}

/// Most channels one key can be limited to.
pub const MAX_SCOPED_CHANNELS: usize = 100;

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKey {
    /// A label to tell keys apart (1–100 characters).
    pub name: String,
    /// Limit the key to these channels. Absent or `null`: every channel, and the key may
    /// manage channels and keys.
    pub channel_ids: Option<Vec<String>>,
    /// An admin key: it may also create admin keys and read the audit log. Only an admin
    /// key may create one (else 403), and it is always account-wide (`channel_ids` must be
    /// left out).
    #[serde(default)]
    pub admin: bool,
}

impl CreateApiKey {
    pub fn parse(&self) -> Result<(KeyName, KeyChannels), ValidationError> {
        let name = KeyName::parse(&self.name)?;
        if self.admin && self.channel_ids.is_some() {
            return Err(ValidationError::new(
                "channel_ids",
                "an admin key is always account-wide; leave channel_ids out",
            ));
        }
        let channels = match &self.channel_ids {
            None => KeyChannels::All,
            Some(ids) if ids.is_empty() => {
                return Err(ValidationError::new(
                    "channel_ids",
                    "must name at least one channel, or be left out",
                ));
            }
            Some(ids) if ids.len() > MAX_SCOPED_CHANNELS => {
                return Err(ValidationError::new(
                    "channel_ids",
                    format!("at most {MAX_SCOPED_CHANNELS} channels"),
                ));
            }
            Some(ids) => KeyChannels::Only(
                ids.iter()
                    .enumerate()
                    .map(|(i, s)| {
                        s.parse::<ChannelId>().map_err(|_| {
                            ValidationError::new(format!("channel_ids[{i}]"), "is not a channel id")
                        })
                    })
                    .collect::<Result<_, _>>()?,
            ),
        };
        Ok((name, channels))
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyView {
    pub id: ApiKeyId,
    pub name: String,
    /// The key's first characters, to recognise it.
    pub prefix: String,
    /// `null`: every channel of the account.
    pub channel_ids: Option<Vec<ChannelId>>,
    /// An admin key (may create admin keys and read the audit log).
    pub admin: bool,
    /// `active` or `revoked`.
    pub status: &'static str,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<Timestamp>,
}

impl From<ApiKey> for ApiKeyView {
    fn from(k: ApiKey) -> Self {
        Self {
            id: k.id,
            status: if k.is_active() { "active" } else { "revoked" },
            name: k.name.to_string(),
            prefix: k.prefix,
            channel_ids: k.channels.as_list().map(<[ChannelId]>::to_vec),
            admin: k.admin,
            created_at: k.created_at,
            revoked_at: k.revoked_at,
        }
    }
}

/// A new key, with its secret. The secret is shown this once; wagate keeps only a digest.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiKey {
    #[serde(flatten)]
    pub api_key: ApiKeyView,
    /// The secret. Send it as `Authorization: Bearer <key>`.
    pub key: String,
}

fn key_id(raw: &str) -> Result<ApiKeyId, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::not_found(ErrorCode::ApiKeyNotFound, "API key", raw))
}

/// List the account's keys (active and revoked), oldest first.
#[utoipa::path(get, path = "/api-keys", operation_id = "list_api_keys", tag = "api-keys", params(ListQuery),
    responses((status = 200, body = List<ApiKeyView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<ListQuery>,
) -> Result<Json<List<ApiKeyView>>, ApiError> {
    let (page, limit) = q.page::<ApiKeyId>()?;
    let rows = state.app.list_api_keys(&p, &page).await?;
    Ok(Json(List::from_rows(
        rows,
        limit,
        |k| k.id.to_string(),
        ApiKeyView::from,
    )))
}

/// Create a key, optionally limited to some channels, or an admin key (`"admin": true`, by an
/// admin key only). The response holds the secret, once.
#[utoipa::path(post, path = "/api-keys", operation_id = "create_api_key", tag = "api-keys", request_body = CreateApiKey,
    responses((status = 201, body = CreatedApiKey), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Auth(p): Auth,
    JsonBody(body): JsonBody<CreateApiKey>,
) -> Result<(StatusCode, Json<CreatedApiKey>), ApiError> {
    let (name, channels) = body.parse()?;
    let created = if body.admin {
        state.app.create_admin_api_key(&p, name).await
    } else {
        state.app.create_api_key(&p, name, channels).await
    };
    let (key, secret) = created.map_err(|e| match e.code() {
        ErrorCode::ChannelNotFound => ApiError::new(
            ErrorCode::ChannelNotFound,
            "a channel in channel_ids does not exist",
        )
        .field("channel_ids"),
        _ => e.into(),
    })?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedApiKey {
            api_key: key.into(),
            key: secret.expose().to_owned(),
        }),
    ))
}

/// One key (never its secret).
#[utoipa::path(get, path = "/api-keys/{id}", operation_id = "get_api_key", tag = "api-keys", params(("id" = String, Path, description = "API key id")),
    responses((status = 200, body = ApiKeyView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<Json<ApiKeyView>, ApiError> {
    let id = key_id(&id)?;
    let key =
        state.app.get_api_key(&p, id).await.map_err(|e| {
            ApiError::naming(e, ErrorCode::ApiKeyNotFound, "API key", id.to_string())
        })?;
    Ok(Json(key.into()))
}

/// Revoke a key: it stops working at once. Revoking twice is harmless.
#[utoipa::path(delete, path = "/api-keys/{id}", operation_id = "revoke_api_key", tag = "api-keys", params(("id" = String, Path, description = "API key id")),
    responses((status = 200, body = ApiKeyView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<Json<ApiKeyView>, ApiError> {
    let id = key_id(&id)?;
    let key =
        state.app.revoke_api_key(&p, id).await.map_err(|e| {
            ApiError::naming(e, ErrorCode::ApiKeyNotFound, "API key", id.to_string())
        })?;
    Ok(Json(key.into()))
}
