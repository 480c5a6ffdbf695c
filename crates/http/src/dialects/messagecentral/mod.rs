//! **Message Central — WhatsApp Now**, seed `001_302c186370fde743.txt`, at
//! `/compat/messagecentral`: the provider's paths verbatim after its host
//! (`https://cpaas.messagecentral.com/verification/v3/send` becomes
//! `…/compat/messagecentral/verification/v3/send`).
//!
//! - **Identity** ([`auth`]): a token from [`token`] (account id + base64 of an API key)
//!   in the `authToken` header; the business number (`senderId`, `phoneNumber`) picks the
//!   channel.
//! - **Envelope** ([`errors`]): `{responseCode, message, data}` for success and errors alike,
//!   with the seed's codes 800–830.
//! - **Webhooks**: the seed documents Meta's own notification format, so a subscription in
//!   wagate's `cloud` format is exactly it (configured with `/api/v1/webhooks`, where the
//!   provider takes an e-mail).
//!
//! Served: the token, templates (create, with or without media, and status), chat messages
//! (text, image or video with a caption), a template broadcast to one number, and the bulk
//! broadcast from a sheet (a campaign launched once its rows have loaded).

pub mod auth;
pub mod errors;
mod send;
mod templates;
mod token;

use axum::Router;
use axum::middleware::from_fn;
use axum::routing::{any, get, post};
use wagate_core::error::ErrorCode;

use crate::error::ApiError;
use crate::state::AppState;

/// Where the provider's paths start.
pub const BASE: &str = "/compat/messagecentral";

/// The operations, for the OpenAPI document: method, path after [`BASE`], the seed's
/// section and what it does.
pub const OPERATIONS: &[(&str, &str, &str, &str)] = &[
    (
        "get",
        "/auth/v1/authentication/token",
        "Generate Token",
        "Trade the account id and a base64 API key for an authToken",
    ),
    (
        "post",
        "/verification/v3/template",
        "Create Template",
        "Create a template from form fields (the header's sample as `file`); the name normalised",
    ),
    (
        "get",
        "/verification/v3/template",
        "Check Template Status",
        "A template's status and components (form data or query)",
    ),
    (
        "post",
        "/verification/v3/send",
        "Send Single Broadcast / Send Bulk Broadcast / Send Chat Messages",
        "A template to one number or to a sheet's rows (type=BROADCAST, `file`), or a session message (type=CHAT)",
    ),
];

async fn unknown() -> ApiError {
    ApiError::new(
        ErrorCode::RouteNotFound,
        "no such WhatsApp Now endpoint; see the README's Message Central section",
    )
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            &format!("{BASE}/auth/v1/authentication/token"),
            get(token::token),
        )
        .route(
            &format!("{BASE}/verification/v3/template"),
            get(templates::status).post(templates::create),
        )
        .route(&format!("{BASE}/verification/v3/send"), post(send::send))
        .route(&format!("{BASE}/{{*rest}}"), any(unknown))
        .layer(from_fn(errors::errors))
}
