//! `/api/v1/account`: who am I, and the account's settings (its time zone).

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wagate_app::Principal;
use wagate_core::account::Account;
use wagate_core::api_key::KeyChannels;
use wagate_core::contact::card::Timezone;
use wagate_core::ids::{AccountId, ApiKeyId, ChannelId};

use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::manage::ErrorBody;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get, update))
        .routes(routes!(whoami))
}

#[derive(Serialize, ToSchema)]
pub struct WhoAmI {
    pub account_id: AccountId,
    pub api_key_id: Option<ApiKeyId>,
    /// Channels the key may use; `null` means every channel of the account.
    pub api_key_channel_ids: Option<Vec<ChannelId>>,
}

/// The caller's identity, from the API key alone (no other lookup): a cheap authenticated
/// call for health checks and for measuring the server's own overhead (`wagate bench`).
#[utoipa::path(get, path = "/whoami", operation_id = "whoami", tag = "account",
    responses((status = 200, body = WhoAmI), (status = 401, body = ErrorBody)))]
pub async fn whoami(Auth(p): Auth) -> Json<WhoAmI> {
    Json(WhoAmI {
        account_id: p.account_id,
        api_key_id: p.key_id,
        api_key_channel_ids: p.channel_scope(),
    })
}

#[derive(Serialize, ToSchema)]
pub struct AccountView {
    pub id: AccountId,
    pub name: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: wagate_core::Timestamp,
    /// The IANA time zone report dates are read in (`from=2026-12-07` is that day there).
    pub timezone: String,
    /// The key this request used.
    pub api_key_id: Option<ApiKeyId>,
    /// Channels that key may use; `null` means every channel of the account.
    pub api_key_channel_ids: Option<Vec<ChannelId>>,
}

/// The account that owns the API key of this request, and that key's scope.
#[utoipa::path(get, path = "/account", operation_id = "get_account", tag = "account",
    responses((status = 200, body = AccountView), (status = 401, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<AccountView>, ApiError> {
    let account = state.app.get_account(p.account_id).await?;
    Ok(Json(view(account, &p)))
}

/// Changes to the account's settings; absent fields stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAccount {
    /// An IANA time zone name (`Asia/Kolkata`): report dates are read in it.
    #[schema(
        max_length = 64,
        pattern = r"^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z][A-Za-z0-9_+-]*)*$"
    )]
    pub timezone: Option<String>,
}

/// Change the account's settings: its `timezone`. Needs an account-wide key.
#[utoipa::path(patch, path = "/account", operation_id = "update_account", tag = "account",
    request_body = UpdateAccount,
    responses((status = 200, body = AccountView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    Auth(p): Auth,
    JsonBody(body): JsonBody<UpdateAccount>,
) -> Result<Json<AccountView>, ApiError> {
    let timezone = body.timezone.as_deref().map(Timezone::parse).transpose()?;
    let account = match timezone {
        Some(tz) => state.app.set_account_timezone(&p, tz).await?,
        None => state.app.get_account(p.account_id).await?,
    };
    Ok(Json(view(account, &p)))
}

fn view(account: Account, p: &Principal) -> AccountView {
    AccountView {
        id: account.id,
        name: account.name.to_string(),
        created_at: account.created_at,
        timezone: account.timezone.as_str().to_owned(),
        api_key_id: p.key_id,
        api_key_channel_ids: match &p.channels {
            KeyChannels::All => None,
            KeyChannels::Only(ids) => Some(ids.clone()),
        },
    }
}
