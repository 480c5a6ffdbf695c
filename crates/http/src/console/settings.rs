//! Settings (`/console/settings`, admin keys only; others get 403): the channels (create a
//! sandbox one, rename), the API keys (create — the secret shown once, on the answer to the
//! form, never again —, revoke), and the sandbox's template reviewer: the server-wide
//! `[templates]` settings (shown) and each sandbox channel's `approve_templates` (switched
//! here).

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use wagate_core::api_key::{ApiKey, KeyChannels};
use wagate_core::channel::{ChannelPatch, NewChannel, Upstream};
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::ids::{ApiKeyId, ChannelId};
use wagate_core::text::VerifiedName;
use wagate_store::Page;

use super::home::{ChannelRow, visible_channels};
use super::{Chrome, Console, page};
use crate::error::ApiError;
use crate::extract::Query;
use crate::manage::api_keys::CreateApiKey;
use crate::state::AppState;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/console/settings", get(show))
        .route("/console/settings/channels", post(create_channel))
        .route(
            "/console/settings/channels/{id}/rename",
            post(rename_channel),
        )
        .route("/console/settings/channels/{id}/review", post(set_review))
        .route("/console/settings/keys", post(create_key))
        .route("/console/settings/keys/{id}/revoke", post(revoke_key))
}

/// Settings are for admin keys.
fn admin(console: &Console) -> Result<(), ApiError> {
    console.principal.require_admin()?;
    Ok(())
}

pub struct SettingsChannel {
    pub row: ChannelRow,
    pub sandbox: bool,
    pub approve_templates: bool,
}

pub struct KeyRow {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub scope: String,
    pub admin: bool,
    pub active: bool,
    pub created_at: String,
}

impl KeyRow {
    fn of(k: &ApiKey, channels: &[SettingsChannel]) -> Self {
        Self {
            id: k.id.to_string(),
            name: k.name.as_str().to_owned(),
            prefix: k.prefix.clone(),
            scope: match &k.channels {
                KeyChannels::All => "every channel".to_owned(),
                KeyChannels::Only(ids) => ids
                    .iter()
                    .map(|id| {
                        channels
                            .iter()
                            .find(|c| c.row.id == id.to_string())
                            .map(|c| c.row.name.clone())
                            .unwrap_or_else(|| id.to_string())
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
            },
            admin: k.admin,
            active: k.is_active(),
            created_at: k.created_at.strftime("%Y-%m-%d %H:%M UTC").to_string(),
        }
    }
}

/// A key just created: its secret, shown on this one answer.
pub struct Created {
    pub name: String,
    pub secret: String,
}

#[derive(Template)]
#[template(path = "console/settings/index.html")]
struct Settings {
    chrome: Chrome,
    channels: Vec<SettingsChannel>,
    keys: Vec<KeyRow>,
    next_keys: Option<String>,
    created: Option<Created>,
    /// Why a form was refused, and which form (`channel`, `key`).
    error: Option<(String, &'static str)>,
    approve_all: bool,
    review_delay: String,
    key_name: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct SettingsQuery {
    /// The keys page after this key id.
    pub keys_after: Option<String>,
}

const KEYS_PAGE: u32 = 50;

async fn show(
    State(state): State<AppState>,
    console: Console,
    Query(q): Query<SettingsQuery>,
) -> Result<Response, ApiError> {
    admin(&console)?;
    let after = match q.keys_after.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(a) => Some(a.parse::<ApiKeyId>().map_err(|_| {
            ApiError::new(ErrorCode::InvalidQuery, "keys_after is not an API key id")
                .field("keys_after")
        })?),
    };
    render(&state, &console, after, None, None, String::new()).await
}

async fn render(
    state: &AppState,
    console: &Console,
    keys_after: Option<ApiKeyId>,
    created: Option<Created>,
    error: Option<(String, &'static str)>,
    key_name: String,
) -> Result<Response, ApiError> {
    let channels: Vec<SettingsChannel> = visible_channels(state, console)
        .await?
        .iter()
        .map(|c| {
            let (sandbox, approve_templates) = match &c.upstream {
                Upstream::Sandbox(s) => (true, s.approve_templates),
                Upstream::Cloud(_) => (false, false),
            };
            SettingsChannel {
                row: ChannelRow::of(c),
                sandbox,
                approve_templates,
            }
        })
        .collect();
    let mut keys = state
        .app
        .list_api_keys(&console.principal, &Page::after(keys_after, KEYS_PAGE + 1))
        .await?;
    let more = keys.len() > KEYS_PAGE as usize;
    keys.truncate(KEYS_PAGE as usize);
    let next_keys = keys
        .last()
        .filter(|_| more)
        .map(|k| format!("keys_after={}", k.id));
    let review = state.app.templates_config();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut res = page(&Settings {
        chrome: Chrome::new(console, "settings", "Settings"),
        keys: keys.iter().map(|k| KeyRow::of(k, &channels)).collect(),
        channels,
        next_keys,
        created,
        error,
        approve_all: review.approve_all,
        review_delay: format!("{} ms", review.review_delay_ms),
        key_name,
    })?;
    *res.status_mut() = status;
    // A page showing a secret must not be kept anywhere.
    res.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(res)
}

/// A form's message when it is the person's fault (4xx), else the error itself.
fn refusal(e: ApiError) -> Result<String, ApiError> {
    if !(400..500).contains(&e.code.http_status()) || e.code.http_status() == 404 {
        return Err(e);
    }
    Ok(match e.field.as_deref() {
        Some(f) if !e.message.contains(f) => format!("{f}: {}", e.message),
        _ => e.message,
    })
}

fn value<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim())
        .unwrap_or("")
}

fn channel_id(raw: &str) -> Result<ChannelId, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::not_found(ErrorCode::ChannelNotFound, "channel", raw))
}

async fn create_channel(
    State(state): State<AppState>,
    console: Console,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    admin(&console)?;
    let made = async {
        let name = VerifiedName::parse(value(&f, "verified_name"))?;
        let new = NewChannel::sandbox(console.principal.account_id, name);
        Ok::<_, ApiError>(state.app.create_channel(&console.principal, new).await?)
    }
    .await;
    match made {
        Ok(_) => Ok(Redirect::to("/console/settings").into_response()),
        Err(e) => {
            let m = refusal(e)?;
            render(
                &state,
                &console,
                None,
                None,
                Some((m, "channel")),
                String::new(),
            )
            .await
        }
    }
}

async fn rename_channel(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    admin(&console)?;
    let cid = channel_id(&id)?;
    let patch = ChannelPatch {
        verified_name: Some(VerifiedName::parse(value(&f, "verified_name"))?),
        ..ChannelPatch::default()
    };
    state
        .app
        .update_channel(&console.principal, cid, &patch)
        .await
        .map_err(|e| ApiError::naming(e, ErrorCode::ChannelNotFound, "channel", &id))?;
    Ok(Redirect::to("/console/settings").into_response())
}

/// Switches a sandbox channel's `approve_templates` (the reviewer approves every template
/// of its WABA instead of applying its rules).
async fn set_review(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    admin(&console)?;
    let cid = channel_id(&id)?;
    let approve = match value(&f, "approve_templates") {
        "true" => true,
        "false" => false,
        _ => {
            return Err(ValidationError::new("approve_templates", "must be true or false").into());
        }
    };
    let channel = state
        .app
        .get_channel(&console.principal, cid)
        .await
        .map_err(|e| ApiError::naming(e, ErrorCode::ChannelNotFound, "channel", &id))?;
    let Upstream::Sandbox(mut settings) = channel.upstream else {
        return Err(ValidationError::new(
            "approve_templates",
            "only a sandbox channel's templates are reviewed by wagate",
        )
        .into());
    };
    settings.approve_templates = approve;
    let patch = ChannelPatch {
        upstream: Some(Upstream::Sandbox(settings)),
        ..ChannelPatch::default()
    };
    state
        .app
        .update_channel(&console.principal, cid, &patch)
        .await
        .map_err(|e| ApiError::naming(e, ErrorCode::ChannelNotFound, "channel", &id))?;
    Ok(Redirect::to("/console/settings").into_response())
}

async fn create_key(
    State(state): State<AppState>,
    console: Console,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    admin(&console)?;
    let name = value(&f, "name").to_owned();
    let scope = value(&f, "scope");
    let body = CreateApiKey {
        name: name.clone(),
        channel_ids: match scope {
            "some" => Some(
                f.iter()
                    .filter(|(k, _)| k == "channel_ids")
                    .map(|(_, v)| v.clone())
                    .collect(),
            ),
            _ => None,
        },
        admin: false,
    };
    let made = async {
        if !matches!(scope, "all" | "some") {
            return Err(ApiError::from(ValidationError::new(
                "scope",
                "choose every channel or some channels",
            )));
        }
        let (name, channels) = body.parse().map_err(ApiError::from)?;
        Ok::<_, ApiError>(
            state
                .app
                .create_api_key(&console.principal, name, channels)
                .await?,
        )
    }
    .await;
    match made {
        Ok((key, secret)) => {
            let created = Created {
                name: key.name.as_str().to_owned(),
                secret: secret.expose().to_owned(),
            };
            render(&state, &console, None, Some(created), None, String::new()).await
        }
        Err(e) => {
            let m = if e.code == ErrorCode::ChannelNotFound {
                "channel_ids: one of the channels is not this account's".to_owned()
            } else {
                refusal(e)?
            };
            render(&state, &console, None, None, Some((m, "key")), name).await
        }
    }
}

async fn revoke_key(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    admin(&console)?;
    let unknown = || ApiError::not_found(ErrorCode::ApiKeyNotFound, "API key", &id);
    let kid: ApiKeyId = id.parse().map_err(|_| unknown())?;
    state
        .app
        .revoke_api_key(&console.principal, kid)
        .await
        .map_err(|e| ApiError::naming(e, ErrorCode::ApiKeyNotFound, "API key", &id))?;
    Ok(Redirect::to("/console/settings").into_response())
}
