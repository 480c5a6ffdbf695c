//! `/api/v1/channels`: a channel is one WhatsApp business number bound to an upstream.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wagate_core::Timestamp;
use wagate_core::channel::{
    BusinessProfile, BusinessProfilePatch, Channel, ChannelPatch, CloudSettings,
    MessagingLimitTier, NewChannel, ProfileEmail, QualityRating, SandboxSettings, Throughput,
    Upstream, UpstreamKind, Vertical, WindowPolicy, parse_websites,
};
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::ids::{AccountId, ChannelId, PhoneNumberId, WabaId};
use wagate_core::phone::PhoneE164;
use wagate_core::text::{ProfileAbout, ProfileAddress, ProfileDescription, VerifiedName};

use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::{JsonBody, Query};
use crate::manage::ErrorBody;
use crate::manage::paging::{List, ListQuery};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get, update))
        .routes(routes!(
            issue_woztell_secret,
            woztell_secret_status,
            revoke_woztell_secret
        ))
}

// ---- requests ----------------------------------------------------------------------------

/// A new channel. For a `sandbox` upstream every id is optional (wagate makes Meta-style ones);
/// for `cloud`, give the ids Meta assigned to the number.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateChannel {
    /// Business name WhatsApp users see (1–256 characters, no control characters).
    #[schema(min_length = 1, max_length = 256)]
    pub verified_name: String,
    /// The number in international format, e.g. `+15550100001` (8 to 15 digits; spaces,
    /// dashes, dots and parentheses between them are ignored). Required for `cloud`.
    #[schema(max_length = 32)]
    pub display_phone_number: Option<String>,
    /// Meta's phone number id (1–20 digits). Required for `cloud`.
    pub phone_number_id: Option<String>,
    /// Meta's WhatsApp Business Account id (1–20 digits). Required for `cloud`.
    pub waba_id: Option<String>,
    /// Where messages go. Default: `{"kind":"sandbox"}`.
    pub upstream: Option<UpstreamInput>,
    /// Messages per second handed to the upstream, 1–1000 (default 80).
    #[schema(minimum = 1, maximum = 1000)]
    pub throughput_mps: Option<u32>,
    /// Default `GREEN`.
    #[schema(value_type = Option<QualityRating>)]
    pub quality_rating: Option<String>,
    /// Default `TIER_250`.
    #[schema(value_type = Option<MessagingLimitTier>)]
    pub messaging_limit_tier: Option<String>,
    pub profile: Option<ProfileInput>,
    /// A free-form message outside the 24-hour window: `fail` (accepted, then fails with
    /// 131047, as on Meta; the default) or `reject` (refused at the API with 131047).
    #[schema(value_type = Option<WindowPolicy>)]
    pub window_policy: Option<String>,
}

/// Upstream of a channel.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpstreamInput {
    /// `sandbox` (the simulated network) or `cloud` (Meta's Graph API).
    pub kind: String,
    /// cloud: Graph base URL (default `https://graph.facebook.com`).
    pub base_url: Option<String>,
    /// cloud: Graph version for calls (default `v23.0`).
    pub api_version: Option<String>,
    /// cloud: system-user access token (required). Never shown again.
    pub access_token: Option<String>,
    /// cloud: app secret, to check Meta's webhook signatures.
    pub app_secret: Option<String>,
    /// cloud: verify token for Meta's webhook handshake.
    pub verify_token: Option<String>,
    /// cloud: the Meta app's id, for Meta's Resumable Upload API (files wagate uploads to
    /// Meta for a handle).
    pub app_id: Option<String>,
    /// sandbox: how the simulated network behaves (delays, read share, scripts, limits,
    /// per-user overrides); replaces the previous settings. See the README.
    pub sandbox: Option<SandboxSettings>,
}

/// Business profile fields. On update, a field that is absent is kept and `null` clears it.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileInput {
    /// 1–139 characters.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub about: Option<Option<String>>,
    /// At most 256 characters.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub address: Option<Option<String>>,
    /// At most 512 characters.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    /// At most 128 characters.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    /// One of Meta's verticals (`RETAIL`, `EDU`, …).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Vertical>)]
    pub vertical: Option<Option<String>>,
    /// At most two http(s) URLs; replaces the list.
    pub websites: Option<Vec<String>>,
}

/// Changes to a channel; absent fields are kept. The phone number id and WABA id cannot change.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateChannel {
    pub verified_name: Option<String>,
    #[schema(max_length = 32)]
    pub display_phone_number: Option<String>,
    pub upstream: Option<UpstreamInput>,
    #[schema(minimum = 1, maximum = 1000)]
    pub throughput_mps: Option<u32>,
    #[schema(value_type = Option<QualityRating>)]
    pub quality_rating: Option<String>,
    #[schema(value_type = Option<MessagingLimitTier>)]
    pub messaging_limit_tier: Option<String>,
    pub profile: Option<ProfileInput>,
    #[schema(value_type = Option<WindowPolicy>)]
    pub window_policy: Option<String>,
}

/// `Some(value)` for a present field (even `null`), so absent and `null` differ.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

fn opt<T>(
    v: Option<&str>,
    parse: impl FnOnce(&str) -> Result<T, ValidationError>,
) -> Result<Option<T>, ValidationError> {
    v.map(parse).transpose()
}

impl UpstreamInput {
    pub fn parse(&self) -> Result<Upstream, ValidationError> {
        match UpstreamKind::parse(&self.kind)? {
            UpstreamKind::Sandbox => {
                let cloud_only = [
                    &self.base_url,
                    &self.api_version,
                    &self.access_token,
                    &self.app_secret,
                    &self.verify_token,
                    &self.app_id,
                ];
                if cloud_only.iter().any(|f| f.is_some()) {
                    return Err(ValidationError::new(
                        "upstream",
                        "a sandbox upstream takes no Graph settings",
                    ));
                }
                Ok(Upstream::Sandbox(
                    self.sandbox.clone().unwrap_or_default().check()?,
                ))
            }
            UpstreamKind::Cloud if self.sandbox.is_some() => Err(ValidationError::new(
                "upstream.sandbox",
                "only a sandbox upstream takes sandbox settings",
            )),
            UpstreamKind::Cloud => Ok(Upstream::Cloud(CloudSettings::parse(
                self.base_url.as_deref(),
                self.api_version.as_deref(),
                self.access_token.as_deref(),
                self.app_secret.as_deref(),
                self.verify_token.as_deref(),
                self.app_id.as_deref(),
            )?)),
        }
    }
}

impl ProfileInput {
    pub fn parse(&self) -> Result<BusinessProfilePatch, ValidationError> {
        fn field<T>(
            v: &Option<Option<String>>,
            parse: impl FnOnce(&str) -> Result<T, ValidationError>,
        ) -> Result<Option<Option<T>>, ValidationError> {
            match v {
                None => Ok(None),
                Some(None) => Ok(Some(None)),
                Some(Some(s)) => parse(s)
                    .map(|t| Some(Some(t)))
                    .map_err(|e| e.within("profile")),
            }
        }
        Ok(BusinessProfilePatch {
            about: field(&self.about, ProfileAbout::parse)?,
            address: field(&self.address, ProfileAddress::parse)?,
            description: field(&self.description, ProfileDescription::parse)?,
            email: field(&self.email, ProfileEmail::parse)?,
            vertical: field(&self.vertical, Vertical::parse)?,
            websites: self.websites.as_deref().map(parse_websites).transpose()?,
        })
    }
}

impl CreateChannel {
    /// The create command for `account`.
    pub fn into_command(self, account: AccountId) -> Result<NewChannel, ValidationError> {
        let verified_name = VerifiedName::parse(&self.verified_name)?;
        let upstream = match &self.upstream {
            None => Upstream::Sandbox(SandboxSettings::default()),
            Some(u) => u.parse()?,
        };
        let mut new = NewChannel::sandbox(account, verified_name);
        let is_cloud = upstream.kind() == UpstreamKind::Cloud;
        let required = |name: &str, v: &Option<String>| {
            if is_cloud && v.is_none() {
                Err(ValidationError::new(
                    name,
                    "is required for a cloud channel (Meta's id for the number)",
                ))
            } else {
                Ok(())
            }
        };
        required("phone_number_id", &self.phone_number_id)?;
        required("waba_id", &self.waba_id)?;
        required("display_phone_number", &self.display_phone_number)?;
        if let Some(v) = opt(self.phone_number_id.as_deref(), PhoneNumberId::parse)? {
            new.phone_number_id = v;
        }
        if let Some(v) = opt(self.waba_id.as_deref(), WabaId::parse)? {
            new.waba_id = v;
        }
        if let Some(v) = opt(self.display_phone_number.as_deref(), |s| {
            PhoneE164::parse_field("display_phone_number", s)
        })? {
            new.display_phone_number = v;
        }
        new.upstream = upstream;
        if let Some(n) = self.throughput_mps {
            new.throughput = Throughput::parse(n)?;
        }
        if let Some(v) = opt(self.quality_rating.as_deref(), QualityRating::parse)? {
            new.quality_rating = v;
        }
        if let Some(v) = opt(
            self.messaging_limit_tier.as_deref(),
            MessagingLimitTier::parse,
        )? {
            new.messaging_limit_tier = v;
        }
        if let Some(p) = &self.profile {
            let mut profile = BusinessProfile::default();
            profile.apply(&p.parse()?);
            new.profile = profile;
        }
        if let Some(v) = opt(self.window_policy.as_deref(), WindowPolicy::parse)? {
            new.window_policy = v;
        }
        Ok(new)
    }
}

impl TryFrom<UpdateChannel> for ChannelPatch {
    type Error = ValidationError;
    fn try_from(u: UpdateChannel) -> Result<Self, ValidationError> {
        let patch = ChannelPatch {
            display_phone_number: opt(u.display_phone_number.as_deref(), |s| {
                PhoneE164::parse_field("display_phone_number", s)
            })?,
            verified_name: opt(u.verified_name.as_deref(), VerifiedName::parse)?,
            upstream: u.upstream.as_ref().map(UpstreamInput::parse).transpose()?,
            throughput: u.throughput_mps.map(Throughput::parse).transpose()?,
            quality_rating: opt(u.quality_rating.as_deref(), QualityRating::parse)?,
            messaging_limit_tier: opt(
                u.messaging_limit_tier.as_deref(),
                MessagingLimitTier::parse,
            )?,
            profile: u
                .profile
                .as_ref()
                .map(ProfileInput::parse)
                .transpose()?
                .unwrap_or_default(),
            window_policy: opt(u.window_policy.as_deref(), WindowPolicy::parse)?,
        };
        if patch.is_empty() {
            return Err(ValidationError::new("body", "names no field to change"));
        }
        Ok(patch)
    }
}

// ---- views -------------------------------------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelView {
    pub id: ChannelId,
    pub account_id: AccountId,
    /// Meta's phone number id: the `{phone_number_id}` of Cloud API paths.
    pub phone_number_id: String,
    /// `+15550100001`
    pub display_phone_number: String,
    pub waba_id: String,
    pub verified_name: String,
    pub upstream: UpstreamView,
    pub throughput_mps: u32,
    pub quality_rating: QualityRating,
    pub messaging_limit_tier: MessagingLimitTier,
    pub profile: ProfileView,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    /// `fail` or `reject`: a free-form message outside the 24-hour window.
    pub window_policy: WindowPolicy,
}

/// An upstream as shown: secrets are never returned, only whether they are set.
#[derive(Debug, Serialize, ToSchema)]
pub struct UpstreamView {
    pub kind: UpstreamKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_token_set: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_secret_set: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verify_token_set: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    /// The simulated network's settings (sandbox channels).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sandbox: Option<SandboxSettings>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileView {
    pub about: Option<String>,
    pub address: Option<String>,
    pub description: Option<String>,
    pub email: Option<String>,
    pub vertical: Option<Vertical>,
    pub websites: Vec<String>,
    pub profile_picture_url: Option<String>,
}

impl From<Channel> for ChannelView {
    fn from(c: Channel) -> Self {
        let upstream = match &c.upstream {
            Upstream::Sandbox(settings) => UpstreamView {
                kind: UpstreamKind::Sandbox,
                base_url: None,
                api_version: None,
                access_token_set: None,
                app_secret_set: None,
                verify_token_set: None,
                app_id: None,
                sandbox: Some(settings.clone()),
            },
            Upstream::Cloud(s) => UpstreamView {
                kind: UpstreamKind::Cloud,
                base_url: Some(s.base_url.clone()),
                api_version: Some(s.api_version.clone()),
                access_token_set: Some(true),
                app_secret_set: Some(s.app_secret.is_some()),
                verify_token_set: Some(s.verify_token.is_some()),
                app_id: s.app_id.clone(),
                sandbox: None,
            },
        };
        let p = c.profile;
        Self {
            id: c.id,
            account_id: c.account_id,
            phone_number_id: c.phone_number_id.to_string(),
            display_phone_number: c.display_phone_number.to_string(),
            waba_id: c.waba_id.to_string(),
            verified_name: c.verified_name.to_string(),
            upstream,
            throughput_mps: c.throughput.per_second(),
            quality_rating: c.quality_rating,
            messaging_limit_tier: c.messaging_limit_tier,
            profile: ProfileView {
                about: p.about.map(String::from),
                address: p.address.map(String::from),
                description: p.description.map(String::from),
                email: p.email.map(String::from),
                vertical: p.vertical,
                websites: p.websites.into_iter().map(String::from).collect(),
                profile_picture_url: p.profile_picture_url,
            },
            created_at: c.created_at,
            updated_at: c.updated_at,
            window_policy: c.window_policy,
        }
    }
}

fn channel_id(raw: &str) -> Result<ChannelId, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::not_found(ErrorCode::ChannelNotFound, "channel", raw))
}

// ---- handlers ----------------------------------------------------------------------------

/// List the channels the API key can use, oldest first.
#[utoipa::path(get, path = "/channels", operation_id = "list_channels", tag = "channels", params(ListQuery),
    responses((status = 200, body = List<ChannelView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<ListQuery>,
) -> Result<Json<List<ChannelView>>, ApiError> {
    let (page, limit) = q.page::<ChannelId>()?;
    let rows = state.app.list_channels(&p, &page).await?;
    Ok(Json(List::from_rows(
        rows,
        limit,
        |c| c.id.to_string(),
        ChannelView::from,
    )))
}

/// Add a WhatsApp number to the account. Needs an account-wide key.
#[utoipa::path(post, path = "/channels", operation_id = "create_channel", tag = "channels", request_body = CreateChannel,
    responses((status = 201, body = ChannelView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 415, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Auth(p): Auth,
    JsonBody(body): JsonBody<CreateChannel>,
) -> Result<(StatusCode, Json<ChannelView>), ApiError> {
    let new = body.into_command(p.account_id)?;
    let channel = state.app.create_channel(&p, new).await?;
    Ok((StatusCode::CREATED, Json(channel.into())))
}

/// One channel by its id.
#[utoipa::path(get, path = "/channels/{id}", operation_id = "get_channel", tag = "channels", params(("id" = String, Path, description = "Channel id")),
    responses((status = 200, body = ChannelView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<Json<ChannelView>, ApiError> {
    let id = channel_id(&id)?;
    let channel =
        state.app.get_channel(&p, id).await.map_err(|e| {
            ApiError::naming(e, ErrorCode::ChannelNotFound, "channel", id.to_string())
        })?;
    Ok(Json(channel.into()))
}

/// Change a channel: name, number, upstream, throughput, quality, tier or profile.
#[utoipa::path(patch, path = "/channels/{id}", operation_id = "update_channel", tag = "channels", request_body = UpdateChannel,
    params(("id" = String, Path, description = "Channel id")),
    responses((status = 200, body = ChannelView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<UpdateChannel>,
) -> Result<Json<ChannelView>, ApiError> {
    let id = channel_id(&id)?;
    let patch = ChannelPatch::try_from(body)?;
    let channel = state
        .app
        .update_channel(&p, id, &patch)
        .await
        .map_err(|e| ApiError::naming(e, ErrorCode::ChannelNotFound, "channel", id.to_string()))?;
    Ok(Json(channel.into()))
}

// ---- WOZTELL signing secret ----------------------------------------------------------------

/// A channel's WOZTELL signing secret, as issued: the only answer that shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct WoztellSecretIssued {
    pub channel_id: String,
    /// The secret: HMAC-SHA256 key (its UTF-8 bytes) for `X-Woztell-SignedContext`. Shown
    /// once; issue again to rotate.
    pub secret: String,
    #[schema(value_type = String, format = DateTime)]
    pub issued_at: Timestamp,
}

/// Whether a channel has a WOZTELL signing secret (never the secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct WoztellSecretState {
    pub channel_id: String,
    pub set: bool,
    /// When the current secret was issued; `null` when none is set.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub issued_at: Option<Timestamp>,
}

/// Issue the channel's WOZTELL signing secret, or rotate it (the old one stops working at
/// once). Answers the secret, once. Needs an account-wide key. See the README's WOZTELL
/// section for the signed-context scheme it keys.
#[utoipa::path(post, path = "/channels/{id}/woztell-secret", operation_id = "issue_woztell_secret", tag = "channels",
    params(("id" = String, Path, description = "Channel id")),
    responses((status = 201, body = WoztellSecretIssued), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn issue_woztell_secret(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<WoztellSecretIssued>), ApiError> {
    let id = channel_id(&id)?;
    let issued =
        state.app.issue_woztell_secret(&p, id).await.map_err(|e| {
            ApiError::naming(e, ErrorCode::ChannelNotFound, "channel", id.to_string())
        })?;
    Ok((
        StatusCode::CREATED,
        Json(WoztellSecretIssued {
            channel_id: issued.channel_id.to_string(),
            secret: issued.secret,
            issued_at: issued.issued_at,
        }),
    ))
}

/// Whether the channel has a WOZTELL signing secret and when it was issued.
#[utoipa::path(get, path = "/channels/{id}/woztell-secret", operation_id = "get_woztell_secret", tag = "channels",
    params(("id" = String, Path, description = "Channel id")),
    responses((status = 200, body = WoztellSecretState), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn woztell_secret_status(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<Json<WoztellSecretState>, ApiError> {
    let id = channel_id(&id)?;
    let status =
        state.app.woztell_secret_status(&p, id).await.map_err(|e| {
            ApiError::naming(e, ErrorCode::ChannelNotFound, "channel", id.to_string())
        })?;
    Ok(Json(WoztellSecretState {
        channel_id: status.channel_id.to_string(),
        set: status.issued_at.is_some(),
        issued_at: status.issued_at,
    }))
}

/// Revoke the channel's WOZTELL signing secret (signed contexts are then refused). Revoking
/// none is not an error. Needs an account-wide key.
#[utoipa::path(delete, path = "/channels/{id}/woztell-secret", operation_id = "revoke_woztell_secret", tag = "channels",
    params(("id" = String, Path, description = "Channel id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke_woztell_secret(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = channel_id(&id)?;
    state
        .app
        .revoke_woztell_secret(&p, id)
        .await
        .map_err(|e| ApiError::naming(e, ErrorCode::ChannelNotFound, "channel", id.to_string()))?;
    Ok(StatusCode::NO_CONTENT)
}
