//! Message Central's credential: a token from `GET /auth/v1/authentication/token`
//! (`customerId` = the wagate account id, `key` = base64 of a wagate API key), sent in the
//! `authToken` header of every other call. The token is a JWT signed by wagate (HS512,
//! `sub` = the account, `kid` = the key, 30 days: `wagate_app::access::tokens`); a forged,
//! expired or foreign token, or one whose key was revoked, is error 800.
//!
//! The business number a call names (`senderId`, `phoneNumber`) picks the channel among the
//! key's: an unknown one is 801.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use wagate_app::Principal;
use wagate_core::channel::Channel;
use wagate_core::error::ErrorCode;
use wagate_core::phone::PhoneE164;

use crate::auth::{Scheme, authenticate, header_key, missing};
use crate::error::ApiError;
use crate::state::AppState;

/// The header the token travels in.
pub const HEADER: &str = "authtoken";

/// `authToken: <token>`.
pub struct AuthToken;

impl Scheme for AuthToken {
    async fn principal(parts: &Parts, state: &AppState) -> Result<Principal, ApiError> {
        let Some(token) = header_key(parts, HEADER)? else {
            return Err(missing(
                "send the token from /auth/v1/authentication/token in the authToken header",
            ));
        };
        state.app.authenticate_token(&token).await?.ok_or_else(|| {
            ApiError::new(
                ErrorCode::InvalidApiKey,
                "the token is invalid, expired, or its key was revoked; generate a new one",
            )
        })
    }
}

/// The caller of a Message Central call.
pub struct Customer(pub Principal);

impl FromRequestParts<AppState> for Customer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        authenticate::<AuthToken>(parts, state).await.map(Customer)
    }
}

/// The caller's channel whose number is `raw` (`field` names the parameter): 801 when it is
/// missing, not a number, or no channel of the caller's.
pub async fn sender(
    state: &AppState,
    p: &Principal,
    field: &str,
    raw: Option<&str>,
) -> Result<Channel, ApiError> {
    let raw = raw
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            ApiError::new(ErrorCode::MissingParameter, "is required: your WABA number").field(field)
        })?;
    let unknown = || ApiError::not_found(ErrorCode::ChannelNotFound, "sender", raw).field(field);
    let number = PhoneE164::parse(raw).map_err(|_| unknown())?;
    let channel = state
        .app
        .channel_by_number(p, &number)
        .await
        .map_err(|e| ApiError::naming(e, ErrorCode::ChannelNotFound, "sender", raw))?;
    tracing::Span::current().record("channel_id", tracing::field::display(channel.id));
    Ok(channel)
}
